// What every service store is built from: the shared database and blob store, the cloud's identity, and
// late-bound references to the other services' stores (S3 hands events to Lambda, Lambda writes to Logs
// and X-Ray, Lambda asks IAM about roles). Stores never see HTTP.
import type { Db } from '../state/database.js';
import type { BlobStore } from '../state/blobs.js';
import type { DiskSpace } from '../state/disk-space.js';
import type { FaultInjector } from './faults.js';
import type { CredentialRegistry, KnownCredential } from './auth.js';
import type { RoleSession } from './authorize.js';

export interface CloudSettings {
  accountId: string;
  region: string;
  stateDir: string;
  /** The endpoint URL clients (and function environments) reach the cloud at; set once listening. */
  endpoint: string;
  /** Multiplies the artificial Pending/InProgress delays of Lambda state changes (0 = instant). */
  stateDelayMs: number;
}

export interface CloudContext {
  db: Db;
  blobs: BlobStore;
  settings: CloudSettings;
  faults: FaultInjector;
  /** Filled in by the registry once every store exists. */
  stores: CloudStores;
  /** Diagnostic lines from the cloud itself (not function logs). */
  log(message: string): void;
  /**
   * Access keys the local cloud issues at run time (function environments). Under `--require-auth` the server
   * accepts them beside the configured key: `credentials.issue(session)` gives an environment keys that stand
   * for its function's role (emulator/core/authorize.ts checks their calls against the role's policies).
   */
  credentials?: CredentialRegistry;
  /** The disk under the state directory: full or not; client writes ask it first (see disk-space.ts). */
  disk?: DiskSpace;
}

/**
 * The cross-service surface. Each service's store implements its part; the registry wires them.
 * Kept to what another service really needs, so services stay replaceable.
 */
export interface CloudStores {
  iam?: IamForOthers;
  lambda?: LambdaForOthers;
  logs?: LogsForOthers;
  xray?: XRayForOthers;
  s3?: S3ForOthers;
  sts?: StsForOthers;
}

export interface StsForOthers {
  /** The secret, session token and expiry of a temporary key STS issued, or undefined for any other key. */
  credentialFor(accessKeyId: string): KnownCredential | undefined;
  /**
   * What a temporary key STS issued stands for (expired keys too: they still never act as the administrator):
   * a role session (AssumeRole), the administrator's own session (GetSessionToken), or undefined for other keys.
   */
  sessionOf(accessKeyId: string): { kind: 'role'; session: RoleSession } | { kind: 'session-token' } | undefined;
}

export interface S3ForOthers {
  /** An object's bytes (Lambda reads function code given as S3Bucket/S3Key), or undefined when absent. */
  getObjectBytes(bucket: string, key: string): Promise<Buffer | undefined>;
  /** An object's size in bytes, or undefined when absent: read it before getObjectBytes to bound what is read. */
  objectSize?(bucket: string, key: string): number | undefined;
  /** An object's size and ETag (hex, unquoted), or undefined when absent: read it before the bytes to bound them. */
  objectSummary?(bucket: string, key: string): { size: number; etag: string } | undefined;
  /**
   * Writes an object as a service does for a caller (S3 Batch Operations' completion report), notifications
   * included. Throws S3's errors (NoSuchBucket, ...).
   */
  putObject?(bucket: string, key: string, body: Buffer, contentType: string, principalId: string): Promise<{ etag: string }>;
  /** True while an S3 object or upload part uses this blob digest: another service must not delete the blob. */
  usesBlob?(digest: string): boolean;
}

export interface IamForOthers {
  /** The role's trust policy document (decoded JSON text), or undefined when there is no such role. */
  roleTrustPolicy(roleArn: string): string | undefined;
  /** The role of this name (names are unique without regard to case), or undefined. */
  roleByName(roleName: string): { roleName: string; roleId: string; arn: string } | undefined;
  /** Every policy document (managed and inline) attached to the role, as JSON text. */
  rolePolicyDocuments(roleName: string): string[];
  /** Evaluates the role's policies for one call (a missing role allows nothing). */
  evaluateRolePolicies(roleName: string, request: { action: string; resource: string; context?: Record<string, string | string[]> }): 'allow' | 'explicit-deny' | 'implicit-deny';
}

export interface LambdaForOthers {
  /** True when the function exists and its resource policy lets s3.amazonaws.com invoke it for this bucket. */
  allowsS3Invoke(functionArn: string, bucketName: string, bucketOwnerAccount: string): boolean;
  /**
   * Invokes synchronously (RequestResponse), as a service does on a caller's behalf (S3 Batch Operations). Throws
   * the errors Invoke answers (ResourceNotFoundException, ResourceConflictException for a Pending function, ...).
   */
  invoke?(functionArn: string, payload: string): Promise<{ payload: string; functionError?: string; errorType?: string }>;
  /** Queues an asynchronous invoke (durable). Must not throw for a missing function: it logs instead. */
  enqueueEvent(functionArn: string, payload: string, source: 's3' | 'invoke', traceHeader?: string): void;
  /** True while some function's code is this blob digest (e.g. a zip also stored in S3): S3 must not delete the blob. */
  usesBlob?(digest: string): boolean;
}

export interface LogsForOthers {
  ensureStream(groupName: string, streamName: string): void;
  putEvents(groupName: string, streamName: string, events: { timestamp: number; message: string }[]): void;
}

export interface XRayForOthers {
  /** Accepts raw segment documents (JSON text), as PutTraceSegments and the UDP daemon receive them. */
  putSegments(documents: string[]): void;
  /** `127.0.0.1:<port>` of the UDP segment daemon once the cloud has started: a function's AWS_XRAY_DAEMON_ADDRESS. */
  daemonAddress?: string;
}
