// Lambda's state and rules, without HTTP: functions (configuration, code digest, resource policy, tags) and
// the durable queue of asynchronous invocations, in the shared SQLite database; code in the blob store.
// State transitions (Pending → Active, InProgress → Successful) are derived from timestamps, not timers.
import { randomUUID } from 'node:crypto';
import { existsSync, unlinkSync } from 'node:fs';
import type {
  AccountLimit,
  AccountUsage,
  CreateFunctionRequest,
  FunctionConfiguration,
  GetFunctionResponse,
  LoggingConfig,
  UpdateFunctionCodeRequest,
  UpdateFunctionConfigurationRequest,
} from '@aws-sdk/client-lambda';
import type { CloudContext } from '../../core/context.js';
import { migrate } from '../../state/database.js';
import { CodePackageError, MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES, codeDirectory, inspectCodePackage, unpackCodePackage } from '../../runtime/code-package.js';
import { defaultLogGroup } from '../../runtime/log-format.js';
import type { RunnableFunction } from '../../runtime/types.js';
import {
  functionNotFound,
  invalidParameter,
  preconditionFailed,
  requestTooLarge,
  resourceConflict,
  resourceNotFound,
  roleCannotBeAssumed,
  stateConflict,
  updateInProgress,
  validationErrors,
} from './errors.js';
import { trustsService } from '../iam/policy-document.js';
import { buildStatement, policyAllowsInvoke, policyDocument, type AddPermissionInput, type PolicyStatement } from './policy.js';
import { parseFunctionIdentifier, validateFunctionSettings } from './validation.js';

/** A request as it arrives on the wire: blobs are base64 text, not bytes. */
export type Wire<T> = { [K in keyof T]: T[K] extends Uint8Array | undefined ? string | undefined : T[K] };
export type CreateFunctionInput = Wire<Omit<CreateFunctionRequest, 'Code'>> & { Code?: Wire<NonNullable<CreateFunctionRequest['Code']>> };
export type UpdateFunctionCodeInput = Wire<UpdateFunctionCodeRequest>;
export type UpdateFunctionConfigurationInput = UpdateFunctionConfigurationRequest;

/** What is persisted for a function (one JSON document per row). */
export interface StoredFunction {
  name: string;
  runtime: string;
  handler: string;
  role: string;
  description: string;
  memorySize: number;
  timeout: number;
  /** undefined when the function never had an Environment. */
  variables?: Record<string, string>;
  tracingMode: 'Active' | 'PassThrough';
  logging: { LogFormat: 'Text' | 'JSON'; LogGroup: string; ApplicationLogLevel?: string; SystemLogLevel?: string };
  architectures: string[];
  ephemeralStorageMb: number;
  codeSha256Hex: string;
  codeSize: number;
  revisionId: string;
  /** Changes on code or configuration changes only (not on policy or tag changes): environments key on it. */
  generation: string;
  lastModified: number;
  /** Pending until then. */
  readyAt: number;
  /** InProgress until then; undefined before the first update. */
  updateReadyAt?: number;
  policy: PolicyStatement[];
  tags: Record<string, string>;
}

export interface QueuedEvent {
  id: number;
  functionName: string;
  requestId: string;
  payload: string;
  source: 's3' | 'invoke';
  traceHeader?: string;
  enqueuedAt: number;
  attempts: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS lambda_functions (
  name TEXT PRIMARY KEY,
  document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lambda_event_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  function_name TEXT NOT NULL,
  request_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  source TEXT NOT NULL,
  trace_header TEXT,
  enqueued_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  available_at INTEGER NOT NULL,
  claimed_by TEXT,
  claimed_at INTEGER
);
CREATE INDEX IF NOT EXISTS lambda_event_queue_ready ON lambda_event_queue (claimed_by, available_at, id);
`;

/** `2026-11-26T21:52:42.123+0000`, Lambda's LastModified format. */
export function formatLastModified(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** AWS: a CreateFunction/UpdateFunctionCode request body may be at most this large (50 MB, base64 in JSON). */
export const MAX_CODE_REQUEST_BYTES = 70_167_211;

export class LambdaStore {
  /** Told when a function's code or configuration changed or it was deleted (its environments retire). */
  onFunctionChanged: (name: string) => void = () => undefined;
  /** Told when no function uses this code any more (the runtime removes its folder once nothing runs in it). */
  onCodeReleased: (sha256Hex: string) => void = () => undefined;

  private readonly statements;
  /** Code folders known to exist, so a warm invocation does not stat the disk. */
  private readonly unpacked = new Set<string>();

  constructor(private readonly context: CloudContext) {
    migrate(context.db, SCHEMA);
    const db = context.db;
    this.statements = {
      get: db.prepare<[string], { document: string }>('SELECT document FROM lambda_functions WHERE name = ?'),
      insert: db.prepare<[string, string]>('INSERT INTO lambda_functions (name, document) VALUES (?, ?)'),
      update: db.prepare<[string, string]>('UPDATE lambda_functions SET document = ? WHERE name = ?'),
      remove: db.prepare<[string]>('DELETE FROM lambda_functions WHERE name = ?'),
      list: db.prepare<[string, number], { name: string; document: string }>('SELECT name, document FROM lambda_functions WHERE name > ? ORDER BY name LIMIT ?'),
      all: db.prepare<[], { document: string }>('SELECT document FROM lambda_functions'),
      // S3 asks on every overwrite and delete of a blob: let SQLite look, without parsing every document here.
      codeReferenced: db.prepare<[string], { found: 1 }>(`SELECT 1 AS found FROM lambda_functions WHERE json_extract(document, '$.codeSha256Hex') = ? LIMIT 1`),
      enqueue: db.prepare<[string, string, string, string, string | null, number, number]>(
        'INSERT INTO lambda_event_queue (function_name, request_id, payload, source, trace_header, enqueued_at, available_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      claim: db.prepare<[string, number, number], QueueRow>(
        `UPDATE lambda_event_queue SET claimed_by = ?, claimed_at = ?
         WHERE id = (SELECT id FROM lambda_event_queue WHERE claimed_by IS NULL AND available_at <= ? ORDER BY id LIMIT 1)
         RETURNING *`,
      ),
      complete: db.prepare<[number]>('DELETE FROM lambda_event_queue WHERE id = ?'),
      retry: db.prepare<[number, number, number]>('UPDATE lambda_event_queue SET claimed_by = NULL, claimed_at = NULL, attempts = ?, available_at = ? WHERE id = ?'),
      release: db.prepare<[string]>('UPDATE lambda_event_queue SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by = ?'),
      owners: db.prepare<[], { claimed_by: string; claimed_at: number }>('SELECT DISTINCT claimed_by, MIN(claimed_at) AS claimed_at FROM lambda_event_queue WHERE claimed_by IS NOT NULL GROUP BY claimed_by'),
      nextAvailable: db.prepare<[], { at: number | null }>('SELECT MIN(available_at) AS at FROM lambda_event_queue WHERE claimed_by IS NULL'),
      queued: db.prepare<[], { count: number }>('SELECT COUNT(*) AS count FROM lambda_event_queue'),
    };
  }

  // --- identity -------------------------------------------------------------------------------------------

  functionArn(name: string): string {
    return `arn:aws:lambda:${this.context.settings.region}:${this.context.settings.accountId}:function:${name}`;
  }

  /** Reads a FunctionName parameter (name or ARN); only `$LATEST` (or no qualifier) exists locally. */
  resolve(identifier: string, qualifier?: string): string {
    const parsed = parseFunctionIdentifier(identifier);
    const effective = qualifier ?? parsed.qualifier;
    if (effective !== undefined && effective !== '$LATEST') {
      throw functionNotFound(`${this.functionArn(parsed.name)}:${effective}`);
    }
    return parsed.name;
  }

  get(name: string): StoredFunction | undefined {
    const row = this.statements.get.get(name);
    return row ? (JSON.parse(row.document) as StoredFunction) : undefined;
  }

  require(name: string): StoredFunction {
    const fn = this.get(name);
    if (!fn) throw functionNotFound(this.functionArn(name));
    return fn;
  }

  // --- wire views -----------------------------------------------------------------------------------------

  /** The function as the API shows it, with State and LastUpdateStatus as of `now`. */
  configuration(fn: StoredFunction, now: number = Date.now()): FunctionConfiguration {
    const pending = now < fn.readyAt;
    const updating = fn.updateReadyAt !== undefined && now < fn.updateReadyAt;
    const configuration: FunctionConfiguration = {
      FunctionName: fn.name,
      FunctionArn: this.functionArn(fn.name),
      Runtime: fn.runtime as FunctionConfiguration['Runtime'],
      Role: fn.role,
      Handler: fn.handler,
      CodeSize: fn.codeSize,
      Description: fn.description,
      Timeout: fn.timeout,
      MemorySize: fn.memorySize,
      LastModified: formatLastModified(fn.lastModified),
      CodeSha256: Buffer.from(fn.codeSha256Hex, 'hex').toString('base64'),
      Version: '$LATEST',
      TracingConfig: { Mode: fn.tracingMode },
      RevisionId: fn.revisionId,
      State: pending ? 'Pending' : 'Active',
      PackageType: 'Zip',
      Architectures: fn.architectures as FunctionConfiguration['Architectures'],
      EphemeralStorage: { Size: fn.ephemeralStorageMb },
      SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
      LoggingConfig: fn.logging as LoggingConfig,
    };
    if (fn.variables !== undefined) configuration.Environment = { Variables: { ...fn.variables } };
    if (pending) {
      configuration.StateReason = 'The function is being created.';
      configuration.StateReasonCode = 'Creating';
    }
    if (updating) {
      configuration.LastUpdateStatus = 'InProgress';
    } else if (!pending) {
      configuration.LastUpdateStatus = 'Successful';
    }
    return configuration;
  }

  /** GetFunction's answer; the code location is a URL of the local endpoint that serves the zip. */
  functionDetails(fn: StoredFunction): GetFunctionResponse {
    const response: GetFunctionResponse = {
      Configuration: this.configuration(fn),
      Code: { RepositoryType: 'S3', Location: `${this.context.settings.endpoint}/2015-03-31/code-download/${fn.codeSha256Hex}.zip` },
    };
    if (Object.keys(fn.tags).length > 0) response.Tags = { ...fn.tags };
    return response;
  }

  /** True when some function's code has this digest (so the download URL may serve it). */
  codeIsReferenced(sha256Hex: string): boolean {
    return this.statements.codeReferenced.get(sha256Hex) !== undefined;
  }

  list(marker: string | undefined, maxItems: number): { functions: FunctionConfiguration[]; nextMarker?: string } {
    const rows = this.statements.list.all(marker ?? '', maxItems + 1);
    const page = rows.slice(0, maxItems);
    return {
      functions: page.map((row) => this.configuration(JSON.parse(row.document) as StoredFunction)),
      nextMarker: rows.length > maxItems ? page[page.length - 1]?.name : undefined,
    };
  }

  accountSettings(): { AccountLimit: AccountLimit; AccountUsage: AccountUsage } {
    const functions = this.statements.all.all().map((row) => JSON.parse(row.document) as StoredFunction);
    return {
      AccountLimit: {
        TotalCodeSize: 80_530_636_800,
        CodeSizeUnzipped: MAX_UNZIPPED_BYTES,
        CodeSizeZipped: MAX_ZIPPED_BYTES,
        ConcurrentExecutions: 1000,
        UnreservedConcurrentExecutions: 1000,
      },
      AccountUsage: { TotalCodeSize: functions.reduce((sum, fn) => sum + fn.codeSize, 0), FunctionCount: functions.length },
    };
  }

  // --- functions ------------------------------------------------------------------------------------------

  async createFunction(input: CreateFunctionInput): Promise<FunctionConfiguration> {
    const problems: string[] = [];
    if (input.FunctionName === undefined) problems.push(`Value null at 'functionName' failed to satisfy constraint: Member must not be null`);
    if (input.Role === undefined) problems.push(`Value null at 'role' failed to satisfy constraint: Member must not be null`);
    if (input.Code === undefined) problems.push(`Value null at 'code' failed to satisfy constraint: Member must not be null`);
    if (problems.length > 0) throw validationErrors(problems);
    const { name, qualifier } = parseFunctionIdentifier(input.FunctionName!);
    if (qualifier !== undefined) throw invalidParameter('Unsupported function name format: a qualifier is not allowed in CreateFunction');
    validateFunctionSettings(input);
    if (input.PackageType === 'Image') throw invalidParameter('The local cloud runs only Zip packages; PackageType Image is not supported.');
    if (input.Runtime === undefined || input.Handler === undefined) {
      throw invalidParameter('Runtime and Handler are mandatory parameters for functions created with deployment packages.');
    }
    if (input.Layers && input.Layers.length > 0) throw invalidParameter('The local cloud does not support layers.');
    if (this.get(name)) throw resourceConflict(`Function already exist: ${name}`);
    // AWS's IAM propagation quirk: a freshly created role is not assumable for a few seconds.
    if (this.context.faults.take('role-propagation')) throw roleCannotBeAssumed();
    this.checkRole(input.Role!);
    const code = await this.storeCode(input.Code ?? {});

    const now = Date.now();
    const fn: StoredFunction = {
      name,
      runtime: input.Runtime,
      handler: input.Handler,
      role: input.Role!,
      description: input.Description ?? '',
      memorySize: input.MemorySize ?? 128,
      timeout: input.Timeout ?? 3,
      variables: input.Environment?.Variables ? { ...input.Environment.Variables } : undefined,
      tracingMode: input.TracingConfig?.Mode === 'Active' ? 'Active' : 'PassThrough',
      logging: mergeLogging(undefined, name, input.LoggingConfig),
      architectures: input.Architectures ?? ['x86_64'],
      ephemeralStorageMb: input.EphemeralStorage?.Size ?? 512,
      codeSha256Hex: code.sha256Hex,
      codeSize: code.size,
      revisionId: randomUUID(),
      generation: randomUUID(),
      lastModified: now,
      readyAt: now + this.context.settings.stateDelayMs,
      policy: [],
      tags: { ...(input.Tags ?? {}) },
    };
    const inserted = this.context.db.transaction(() => {
      if (this.statements.get.get(name)) return false;
      this.statements.insert.run(name, JSON.stringify(fn));
      return true;
    })();
    if (!inserted) throw resourceConflict(`Function already exist: ${name}`);
    return this.configuration(fn, now);
  }

  async updateFunctionCode(identifier: string, input: UpdateFunctionCodeInput): Promise<FunctionConfiguration> {
    const name = this.resolve(identifier);
    const before = this.require(name);
    this.checkUpdatable(before, input.RevisionId);
    if (input.ImageUri !== undefined) throw invalidParameter('The local cloud runs only Zip packages; ImageUri is not supported.');
    const code = await this.storeCode({ ZipFile: input.ZipFile, S3Bucket: input.S3Bucket, S3Key: input.S3Key, S3ObjectVersion: input.S3ObjectVersion });
    let replaced: string | undefined;
    const configuration = this.applyUpdate(name, input.RevisionId, (fn) => {
      replaced = fn.codeSha256Hex;
      fn.codeSha256Hex = code.sha256Hex;
      fn.codeSize = code.size;
      if (input.Architectures) fn.architectures = input.Architectures;
    });
    if (replaced !== undefined && replaced !== code.sha256Hex) this.releaseCode(replaced);
    return configuration;
  }

  updateFunctionConfiguration(identifier: string, input: UpdateFunctionConfigurationInput): FunctionConfiguration {
    const name = this.resolve(identifier);
    const before = this.require(name);
    // Field by field, not the body itself: UpdateFunctionConfiguration has no Architectures, so a stray one in the body is not judged.
    validateFunctionSettings({
      Runtime: input.Runtime,
      Handler: input.Handler,
      Role: input.Role,
      MemorySize: input.MemorySize,
      Timeout: input.Timeout,
      Description: input.Description,
      Environment: input.Environment,
      TracingConfig: input.TracingConfig,
    });
    this.checkUpdatable(before, input.RevisionId);
    if (input.Role !== undefined && input.Role !== before.role) this.checkRole(input.Role);
    if (input.Layers && input.Layers.length > 0) throw invalidParameter('The local cloud does not support layers.');
    // The course demo's checkbox bug: the first save enabling Active tracing "succeeds" but changes nothing.
    const tracingIgnored = input.TracingConfig?.Mode !== undefined && this.context.faults.take('tracing-toggle');
    return this.applyUpdate(name, input.RevisionId, (fn) => {
      if (input.Runtime !== undefined) fn.runtime = input.Runtime;
      if (input.Handler !== undefined) fn.handler = input.Handler;
      if (input.Role !== undefined) fn.role = input.Role;
      if (input.MemorySize !== undefined) fn.memorySize = input.MemorySize;
      if (input.Timeout !== undefined) fn.timeout = input.Timeout;
      if (input.Description !== undefined) fn.description = input.Description;
      if (input.Environment !== undefined) fn.variables = { ...(input.Environment.Variables ?? {}) };
      if (input.TracingConfig?.Mode !== undefined && !tracingIgnored) fn.tracingMode = input.TracingConfig.Mode === 'Active' ? 'Active' : 'PassThrough';
      if (input.LoggingConfig !== undefined) fn.logging = mergeLogging(fn.logging, fn.name, input.LoggingConfig);
      if (input.EphemeralStorage?.Size !== undefined) fn.ephemeralStorageMb = input.EphemeralStorage.Size;
    });
  }

  deleteFunction(identifier: string, qualifier?: string): void {
    const name = this.resolve(identifier, qualifier);
    const fn = this.require(name);
    this.statements.remove.run(name);
    this.onFunctionChanged(name);
    this.releaseCode(fn.codeSha256Hex);
  }

  /**
   * Frees code no function uses any more, as Lambda discards a replaced or deleted $LATEST: its blob now (unless an
   * S3 object has the same bytes: blobs are shared by content), its unpacked folder once no environment runs in it
   * (onCodeReleased). Without this every update, and `thumbctl dev` makes one per save, would keep its zip and folder
   * for ever. The reference check and the unlink happen in one tick, as S3 releases its blobs.
   */
  releaseCode(sha256Hex: string): void {
    if (this.codeIsReferenced(sha256Hex)) return;
    let sharedWithS3: boolean;
    try {
      sharedWithS3 = this.context.stores.s3?.usesBlob?.(sha256Hex) ?? false;
    } catch (error) {
      this.context.log(`lambda: asking S3 about blob ${sha256Hex} failed, keeping it: ${(error as Error).message}`);
      sharedWithS3 = true;
    }
    if (!sharedWithS3) {
      try {
        unlinkSync(this.context.blobs.pathOf(sha256Hex));
      } catch {
        // Already gone.
      }
    }
    this.onCodeReleased(sha256Hex);
  }

  // --- resource policy and tags ---------------------------------------------------------------------------

  addPermission(identifier: string, input: AddPermissionInput & { RevisionId?: string }, qualifier?: string): string {
    const name = this.resolve(identifier, qualifier);
    const statement = buildStatement(input, this.functionArn(name));
    return this.context.db.transaction(() => {
      const fn = this.require(name);
      if (input.RevisionId !== undefined && input.RevisionId !== fn.revisionId) throw preconditionFailed();
      // AWS answers 409 for a reused statement id; so do we.
      if (fn.policy.some((existing) => existing.Sid === statement.Sid)) {
        throw resourceConflict('The statement id (sid) provided already exists. Please choose a new statement id, or remove the existing statement.');
      }
      fn.policy.push(statement);
      fn.revisionId = randomUUID();
      this.save(fn);
      return JSON.stringify(statement);
    })();
  }

  removePermission(identifier: string, statementId: string, revisionId?: string, qualifier?: string): void {
    const name = this.resolve(identifier, qualifier);
    this.context.db.transaction(() => {
      const fn = this.require(name);
      if (revisionId !== undefined && revisionId !== fn.revisionId) throw preconditionFailed();
      const index = fn.policy.findIndex((statement) => statement.Sid === statementId);
      if (index < 0) throw resourceNotFound(`Statement ${statementId} is not found in resource policy.`);
      fn.policy.splice(index, 1);
      fn.revisionId = randomUUID();
      this.save(fn);
    })();
  }

  getPolicy(identifier: string, qualifier?: string): { Policy: string; RevisionId: string } {
    const name = this.resolve(identifier, qualifier);
    const fn = this.require(name);
    if (fn.policy.length === 0) throw resourceNotFound('The resource you requested does not exist.');
    return { Policy: policyDocument(fn.policy), RevisionId: fn.revisionId };
  }

  listTags(resourceArn: string): Record<string, string> {
    return { ...this.requireByArn(resourceArn).tags };
  }

  tagResource(resourceArn: string, tags: Record<string, string>): void {
    const fn = this.requireByArn(resourceArn);
    Object.assign(fn.tags, tags);
    this.save(fn);
  }

  untagResource(resourceArn: string, keys: string[]): void {
    const fn = this.requireByArn(resourceArn);
    for (const key of keys) delete fn.tags[key];
    this.save(fn);
  }

  /** The cross-service check S3 makes before accepting a notification configuration and before delivering. */
  allowsS3Invoke(functionArn: string, bucketName: string, bucketOwnerAccount: string): boolean {
    let name: string;
    try {
      name = parseFunctionIdentifier(functionArn).name;
    } catch {
      return false;
    }
    const fn = this.get(name);
    if (!fn) return false;
    return policyAllowsInvoke(fn.policy, {
      service: 's3.amazonaws.com',
      functionArn: this.functionArn(name),
      sourceArn: `arn:aws:s3:::${bucketName}`,
      sourceAccount: bucketOwnerAccount,
    });
  }

  // --- running --------------------------------------------------------------------------------------------

  /**
   * What the runtime needs to run the function; unpacks its code if the folder is missing (e.g. a state
   * directory restored without its `code/` folder). Throws if the function is still Pending.
   */
  async runnable(fn: StoredFunction): Promise<RunnableFunction> {
    if (Date.now() < fn.readyAt) throw stateConflict('Pending');
    const directory = codeDirectory(this.context.settings.stateDir, fn.codeSha256Hex);
    if (!this.unpacked.has(directory) && !existsSync(directory)) {
      const zip = await this.context.blobs.read(fn.codeSha256Hex);
      await unpackCodePackage(this.context.settings.stateDir, fn.codeSha256Hex, zip, { maxZippedBytes: MAX_UNZIPPED_BYTES });
    }
    this.unpacked.add(directory);
    return {
      name: fn.name,
      arn: this.functionArn(fn.name),
      runtime: fn.runtime,
      handler: fn.handler,
      memorySizeMb: fn.memorySize,
      timeoutSeconds: fn.timeout,
      variables: fn.variables ?? {},
      tracingMode: fn.tracingMode,
      codeDirectory: directory,
      generation: fn.generation,
      logGroup: fn.logging.LogGroup,
      role: fn.role,
      region: this.context.settings.region,
      accountId: this.context.settings.accountId,
    };
  }

  // --- the asynchronous invocation queue ------------------------------------------------------------------

  /** Inserts (and commits, before returning) one asynchronous invocation. */
  enqueue(event: { functionName: string; requestId: string; payload: string; source: 's3' | 'invoke'; traceHeader?: string }, now = Date.now()): void {
    this.statements.enqueue.run(event.functionName, event.requestId, event.payload, event.source, event.traceHeader ?? null, now, now);
  }

  /** Atomically claims the oldest available event for `owner`. */
  claimNext(owner: string, now = Date.now()): QueuedEvent | undefined {
    const row = this.statements.claim.get(owner, now, now);
    return row ? fromQueueRow(row) : undefined;
  }

  completeEvent(id: number): void {
    this.statements.complete.run(id);
  }

  retryEventLater(id: number, attempts: number, availableAt: number): void {
    this.statements.retry.run(attempts, availableAt, id);
  }

  /** Gives back every claim of `owner` (on stop: the events run again after restart). */
  releaseClaims(owner: string): void {
    this.statements.release.run(owner);
  }

  /** Claim owners present in the queue, with their oldest claim time. */
  claimOwners(): { owner: string; claimedAt: number }[] {
    return this.statements.owners.all().map((row) => ({ owner: row.claimed_by, claimedAt: row.claimed_at }));
  }

  /** When the next unclaimed event becomes available (undefined when none is queued). */
  nextAvailableAt(): number | undefined {
    return this.statements.nextAvailable.get()?.at ?? undefined;
  }

  queuedCount(): number {
    return this.statements.queued.get()?.count ?? 0;
  }

  // --- internals ------------------------------------------------------------------------------------------

  private save(fn: StoredFunction): void {
    this.statements.update.run(JSON.stringify(fn), fn.name);
  }

  private requireByArn(resourceArn: string): StoredFunction {
    const name = parseFunctionIdentifier(resourceArn, 'resource').name;
    return this.require(name);
  }

  /** AWS refuses updates while the function is Pending or an update is InProgress (409). */
  private checkUpdatable(fn: StoredFunction, revisionId: string | undefined): void {
    const now = Date.now();
    if (now < fn.readyAt) throw stateConflict('Pending');
    if (fn.updateReadyAt !== undefined && now < fn.updateReadyAt) throw updateInProgress(this.functionArn(fn.name));
    if (revisionId !== undefined && revisionId !== fn.revisionId) throw preconditionFailed();
    if (this.context.faults.take('update-conflict')) throw updateInProgress(this.functionArn(fn.name));
  }

  private applyUpdate(name: string, revisionId: string | undefined, change: (fn: StoredFunction) => void): FunctionConfiguration {
    const now = Date.now();
    const fn = this.context.db.transaction(() => {
      const current = this.require(name);
      // Re-checked inside the transaction: another update may have started while the code was being read.
      if (current.updateReadyAt !== undefined && now < current.updateReadyAt) throw updateInProgress(this.functionArn(name));
      if (revisionId !== undefined && revisionId !== current.revisionId) throw preconditionFailed();
      change(current);
      current.revisionId = randomUUID();
      current.generation = randomUUID();
      current.lastModified = now;
      current.updateReadyAt = now + this.context.settings.stateDelayMs;
      this.save(current);
      return current;
    })();
    this.onFunctionChanged(name);
    return this.configuration(fn, now);
  }

  /** The role must exist and trust lambda.amazonaws.com (InvalidParameterValueException otherwise). */
  private checkRole(roleArn: string): void {
    const iam = this.context.stores.iam;
    if (!iam) {
      this.context.log(`lambda: IAM is not available; accepting role ${roleArn} unchecked`);
      return;
    }
    const trustPolicy = iam.roleTrustPolicy(roleArn);
    if (trustPolicy === undefined || !trustsService(trustPolicy, 'lambda.amazonaws.com')) throw roleCannotBeAssumed();
  }

  /** Reads the package (inline base64 or from S3), validates and unpacks it, and stores it by digest. */
  private async storeCode(code: { ZipFile?: string; S3Bucket?: string; S3Key?: string; S3ObjectVersion?: string }): Promise<{ sha256Hex: string; size: number }> {
    let zip: Buffer;
    let maxZipped = MAX_ZIPPED_BYTES;
    if (code.ZipFile !== undefined) {
      if (code.S3Bucket !== undefined || code.S3Key !== undefined) {
        throw invalidParameter('Please provide either ZipFile or S3Bucket and S3Key for the function code, not both.');
      }
      zip = Buffer.from(code.ZipFile, 'base64');
    } else if (code.S3Bucket !== undefined && code.S3Key !== undefined) {
      zip = await this.readS3Object(code.S3Bucket, code.S3Key);
      // From S3 only the unzipped limit applies.
      maxZipped = MAX_UNZIPPED_BYTES;
    } else {
      throw invalidParameter('Please provide a source for function code.');
    }
    if (zip.length > maxZipped) throw requestTooLarge(MAX_CODE_REQUEST_BYTES, 'CreateFunction');
    const refuse = (error: unknown): never => {
      if (!(error instanceof CodePackageError)) throw error;
      if (error.kind === 'too-large-unzipped') throw invalidParameter(`Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
      if (error.kind === 'too-large-zipped') throw requestTooLarge(MAX_CODE_REQUEST_BYTES, 'CreateFunction');
      this.context.log(`lambda: refused a code package: ${error.message}`);
      throw invalidParameter('Could not unzip uploaded file. Please check your file, then try to upload again.');
    };
    // Checked before anything is stored, so a refused package leaves no blob behind.
    await inspectCodePackage(zip, { maxZippedBytes: maxZipped }).catch(refuse);
    const sha256Hex = await this.context.blobs.put(zip);
    await unpackCodePackage(this.context.settings.stateDir, sha256Hex, zip, { maxZippedBytes: maxZipped }).catch(refuse);
    return { sha256Hex, size: zip.length };
  }

  private async readS3Object(bucket: string, key: string): Promise<Buffer> {
    const s3 = this.context.stores.s3;
    if (!s3) {
      throw invalidParameter(`Error occurred while GetObject. S3 Error Code: ServiceUnavailable. S3 Error Message: the local cloud's S3 is not available to Lambda`);
    }
    const bytes = await s3.getObjectBytes(bucket, key);
    if (!bytes) throw invalidParameter('Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.');
    return bytes;
  }
}

interface QueueRow {
  id: number;
  function_name: string;
  request_id: string;
  payload: string;
  source: string;
  trace_header: string | null;
  enqueued_at: number;
  attempts: number;
}

function fromQueueRow(row: QueueRow): QueuedEvent {
  return {
    id: row.id,
    functionName: row.function_name,
    requestId: row.request_id,
    payload: row.payload,
    source: row.source === 's3' ? 's3' : 'invoke',
    traceHeader: row.trace_header ?? undefined,
    enqueuedAt: row.enqueued_at,
    attempts: row.attempts,
  };
}

function mergeLogging(
  current: StoredFunction['logging'] | undefined,
  name: string,
  update: LoggingConfig | undefined,
): StoredFunction['logging'] {
  const merged: StoredFunction['logging'] = { ...(current ?? { LogFormat: 'Text', LogGroup: defaultLogGroup(name) }) };
  if (update?.LogFormat !== undefined) merged.LogFormat = update.LogFormat === 'JSON' ? 'JSON' : 'Text';
  if (update?.LogGroup !== undefined) merged.LogGroup = update.LogGroup;
  if (update?.ApplicationLogLevel !== undefined) merged.ApplicationLogLevel = update.ApplicationLogLevel;
  if (update?.SystemLogLevel !== undefined) merged.SystemLogLevel = update.SystemLogLevel;
  if (merged.LogFormat === 'JSON') {
    merged.ApplicationLogLevel ??= 'INFO';
    merged.SystemLogLevel ??= 'INFO';
  }
  return merged;
}
