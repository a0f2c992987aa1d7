// S3's state and rules: buckets, objects, multipart uploads and bucket configurations in SQLite, bodies
// in the content-addressed blob store, and event notifications handed to Lambda. It never sees HTTP:
// the router decodes the wire (framing, checksums, XML) and calls these methods with plain values.
import { closeSync, openSync, readSync, unlinkSync, createReadStream } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import type { PublicAccessBlockConfiguration, ServerSideEncryptionRule, Tag } from '@aws-sdk/client-s3';
import type { CloudContext } from '../../core/context.js';
import type { BlobDraft } from '../../state/blobs.js';
import { migrate, statementCache, type Db } from '../../state/database.js';
import { allowsChecksumType, compositeChecksum, defaultChecksumType, md5, multipartEtag, runningChecksum, type ChecksumAlgorithm, type ChecksumType } from './checksums.js';
import {
  BadDigestError,
  BucketAlreadyOwnedByYouError,
  BucketNotEmptyError,
  ChecksumAlgorithmMismatchError,
  ChecksumTypeNotAllowedError,
  EntityTooSmallError,
  IllegalLocationConstraintError,
  InvalidArgumentError,
  InvalidLocationConstraintError,
  InvalidPartError,
  InvalidPartOrderError,
  InvalidRangeError,
  InvalidRequestError,
  InvalidTagError,
  InternalError,
  MalformedXmlError,
  NoSuchBucketError,
  NoSuchKeyError,
  NoSuchPublicAccessBlockConfigurationError,
  NoSuchTagSetError,
  NoSuchUploadError,
  NoSuchVersionError,
  DeleteMarkerMethodNotAllowedError,
  PreconditionFailedError,
  S3NotImplementedError,
  UnvalidatedDestinationsError,
} from './errors.js';
import { assertValidBucketName, assertValidKey } from './names.js';
import {
  buildEventRecord,
  EMPTY_NOTIFICATION_CONFIGURATION,
  generateConfigurationId,
  matchingDestinations,
  Sequencer,
  validateNotificationConfiguration,
  type NotificationConfiguration,
} from './notifications.js';
import { formatTraceHeader, newSegmentId, parseTraceHeader } from '../../core/trace-header.js';

const DDL = `
CREATE TABLE IF NOT EXISTS s3_buckets (
  name TEXT PRIMARY KEY,
  region TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS s3_bucket_configs (
  bucket TEXT NOT NULL REFERENCES s3_buckets(name) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (bucket, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS s3_objects (
  bucket TEXT NOT NULL REFERENCES s3_buckets(name),
  key TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  content_type TEXT NOT NULL,
  system_metadata TEXT NOT NULL,
  user_metadata TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  checksum_algorithm TEXT,
  checksum_value TEXT,
  checksum_type TEXT,
  parts_count INTEGER,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS s3_objects_digest ON s3_objects(digest);
CREATE TABLE IF NOT EXISTS s3_uploads (
  upload_id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL REFERENCES s3_buckets(name) ON DELETE CASCADE,
  key TEXT NOT NULL,
  initiated INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  system_metadata TEXT NOT NULL,
  user_metadata TEXT NOT NULL,
  checksum_algorithm TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS s3_uploads_bucket_key ON s3_uploads(bucket, key, initiated);
CREATE TABLE IF NOT EXISTS s3_parts (
  upload_id TEXT NOT NULL REFERENCES s3_uploads(upload_id) ON DELETE CASCADE,
  part_number INTEGER NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  checksum_algorithm TEXT,
  checksum_value TEXT,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS s3_parts_digest ON s3_parts(digest);
CREATE TABLE IF NOT EXISTS s3_versions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket TEXT NOT NULL REFERENCES s3_buckets(name),
  key TEXT NOT NULL,
  version_id TEXT NOT NULL,
  delete_marker INTEGER NOT NULL,
  digest TEXT,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  content_type TEXT NOT NULL,
  system_metadata TEXT NOT NULL,
  user_metadata TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  checksum_algorithm TEXT,
  checksum_value TEXT,
  checksum_type TEXT,
  parts_count INTEGER,
  UNIQUE (bucket, key, version_id)
);
CREATE INDEX IF NOT EXISTS s3_versions_key ON s3_versions(bucket, key, id);
CREATE INDEX IF NOT EXISTS s3_versions_digest ON s3_versions(digest);
CREATE TABLE IF NOT EXISTS s3_multipart_objects (
  bucket TEXT NOT NULL REFERENCES s3_buckets(name) ON DELETE CASCADE,
  key TEXT NOT NULL,
  upload_id TEXT NOT NULL,
  etag TEXT NOT NULL,
  parts TEXT NOT NULL,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
`;

/** S3 refuses multipart parts below 5 MiB, except the last; so do we. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PART_NUMBER = 10_000;
/** Bodies up to this size are read in one go for GetObject; larger ones are streamed from the blob file. */
const READ_WHOLE_BYTES = 256 * 1024;

export interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64; composite (multipart) values end in `-N`. */
  value: string;
  type: ChecksumType;
}

/** A body already written to a blob draft and verified (a streamed PutObject or UploadPart). */
export interface StagedBody {
  draft: BlobDraft;
  size: number;
  /** MD5 of the body: the ETag. */
  md5: Buffer;
}

/** What a write stores besides the body. */
export interface ObjectAttributes {
  /** Absent means S3's default, `binary/octet-stream`. */
  contentType?: string;
  /** Standard headers S3 stores and returns: cache-control, content-disposition, content-encoding, ... (lower-case names). */
  systemMetadata: Record<string, string>;
  /** `x-amz-meta-*` values, names lower-case without the prefix. */
  userMetadata: Record<string, string>;
  checksum?: StoredChecksum;
}

/** One part of a completed multipart object, as GetObjectAttributes and GET ?partNumber read it. */
export interface ObjectPart {
  partNumber: number;
  size: number;
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

export interface BucketRecord {
  name: string;
  region: string;
  createdAt: number;
}

export interface ObjectRecord {
  bucket: string;
  key: string;
  digest: string;
  size: number;
  /** Hex MD5 (or `<hex>-N` for multipart), without quotes. */
  etag: string;
  contentType: string;
  systemMetadata: Record<string, string>;
  userMetadata: Record<string, string>;
  lastModified: number;
  checksum?: StoredChecksum;
  partsCount?: number;
  /** The version id in a bucket that has had versioning; undefined is the `null` version. */
  versionId?: string;
}

/** A ListObjectVersions entry: a version of an object, or a delete marker. */
export interface VersionSummary extends ObjectSummary {
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
}

export interface VersionListParams {
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  keyMarker: string;
  versionIdMarker: string;
}

export interface VersionListResult {
  versions: VersionSummary[];
  commonPrefixes: string[];
  isTruncated: boolean;
  next?: { keyMarker: string; versionIdMarker?: string };
}

/** What a delete did: which version went, and whether it was (or made) a delete marker. */
export interface DeleteOutcome {
  key: string;
  versionId?: string;
  deleteMarker: boolean;
}

export type VersioningStatus = 'Enabled' | 'Suspended';

/** A listing entry: what ListObjects needs, without the metadata. */
export interface ObjectSummary {
  key: string;
  size: number;
  etag: string;
  lastModified: number;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: StoredChecksum['type'];
}

/** Where a listing resumes: after a key, or at the first key past a common prefix. */
export interface ListPosition {
  value: string;
  inclusive: boolean;
}

export interface ListParams {
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  start?: ListPosition;
}

export interface ListResult {
  objects: ObjectSummary[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Set when truncated: pass back as `start` for the next page. */
  next?: ListPosition;
  /** The last key or common prefix returned (ListObjects v1's NextMarker). */
  lastReturned?: string;
}

/** Who asked, for event records; the router reads it from the request. */
export interface RequestInfo {
  requestId: string;
  hostId: string;
  /** `AWS:<access key id>` for signed requests. */
  principalId: string;
  sourceIp: string;
  /** The uploader's `X-Amzn-Trace-Id`, continued into the events this request causes. */
  traceHeader?: string;
  /** When the request arrived (epoch ms). */
  receivedAt?: number;
  operation?: string;
}

export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  checksumAlgorithm?: ChecksumAlgorithm;
}

export interface PartRecord {
  partNumber: number;
  digest: string;
  size: number;
  etag: string;
  lastModified: number;
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
  /** Checksums the client listed for the part, by algorithm. */
  checksums?: Partial<Record<ChecksumAlgorithm, string>>;
}

/** What a CompleteMultipartUpload request says about the object's checksum. */
export interface CompletionChecksum {
  /** Its `x-amz-checksum-type`, when it sent one. */
  type?: ChecksumType;
  /**
   * Its `x-amz-checksum-<algorithm>` header, well-formed but not yet verified: the whole object's
   * checksum (FULL_OBJECT), or the composite one, `-N` optional (COMPOSITE).
   */
  expected?: { algorithm: ChecksumAlgorithm; value: string };
}

export interface BucketOwner {
  /** The 64-hex canonical user id ListBuckets reports. */
  id: string;
  /** The short id event records carry as ownerIdentity.principalId. */
  principalId: string;
}

type BucketConfigKind = 'publicAccessBlock' | 'encryption' | 'tagging' | 'notification' | 'versioning';

interface ObjectRow {
  bucket: string;
  key: string;
  digest: string;
  size: number;
  etag: string;
  content_type: string;
  system_metadata: string;
  user_metadata: string;
  last_modified: number;
  checksum_algorithm: string | null;
  checksum_value: string | null;
  checksum_type: string | null;
  parts_count: number | null;
  version_id: string | null;
}

interface VersionRow extends Omit<ObjectRow, 'digest' | 'version_id'> {
  id: number;
  version_id: string;
  delete_marker: number;
  digest: string | null;
}

interface VersionListRow extends SummaryRow {
  version_id: string | null;
  delete_marker: number;
  rank: number;
}

interface SummaryRow {
  key: string;
  size: number;
  etag: string;
  last_modified: number;
  checksum_algorithm: string | null;
  checksum_type: string | null;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  content_type: string;
  system_metadata: string;
  user_metadata: string;
  checksum_algorithm: string | null;
}

interface PartRow {
  part_number: number;
  digest: string;
  size: number;
  etag: string;
  last_modified: number;
  checksum_algorithm: string | null;
  checksum_value: string | null;
}

/** The default every bucket has had since 2023: SSE-S3, which DeleteBucketEncryption returns to. */
const DEFAULT_ENCRYPTION: ServerSideEncryptionRule[] = [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }];
/** New buckets have had all four public-access blocks on since April 2023. */
const DEFAULT_PUBLIC_ACCESS_BLOCK: PublicAccessBlockConfiguration = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

export class S3Store {
  private readonly db: Db;
  private readonly sequencer = new Sequencer();
  readonly owner: BucketOwner;
  private readonly sql: Statements;
  /** The listing query's four shapes (inclusive or not, bounded or not), each compiled once. */
  private readonly listSql: (text: string) => Database.Statement;

  constructor(private readonly context: CloudContext) {
    this.db = context.db;
    migrate(this.db, DDL);
    // State directories from before versioning: the current object's version id is a column added in place.
    const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(s3_objects)').all();
    if (!columns.some((column) => column.name === 'version_id')) this.db.exec('ALTER TABLE s3_objects ADD COLUMN version_id TEXT');
    const ownerHash = createHash('sha256').update(`s3-owner:${context.settings.accountId}`).digest('hex');
    this.owner = { id: ownerHash, principalId: `A${ownerHash.slice(0, 13).toUpperCase()}` };
    this.sql = prepareStatements(this.db);
    this.listSql = statementCache(this.db);
  }

  // ---------------------------------------------------------------- buckets

  /**
   * Creates a bucket owned by the cloud's account.
   * @param requestRegion - the region the request was signed for (its "endpoint")
   * @param locationConstraint - CreateBucketConfiguration's LocationConstraint, if any
   * @returns the bucket's region
   */
  createBucket(name: string, requestRegion: string, locationConstraint?: string): string {
    assertValidBucketName(name);
    // S3 checks the constraint against the endpoint's region: us-east-1 must be implicit, others explicit.
    if (locationConstraint === 'us-east-1') throw new InvalidLocationConstraintError(locationConstraint);
    if (locationConstraint !== undefined && locationConstraint !== requestRegion) throw new IllegalLocationConstraintError(locationConstraint);
    if (locationConstraint === undefined && requestRegion !== 'us-east-1') throw new IllegalLocationConstraintError(undefined);
    const region = locationConstraint ?? 'us-east-1';
    const existing = this.sql.bucket.get(name);
    if (existing) {
      // AWS answers 409 BucketAlreadyOwnedByYou everywhere except us-east-1, where it answers 200 for
      // legacy compatibility; so do we.
      if (existing.region === 'us-east-1' && region === 'us-east-1') return existing.region;
      throw new BucketAlreadyOwnedByYouError(name);
    }
    this.db.transaction(() => {
      this.sql.insertBucket.run(name, region, Date.now());
      this.sql.putConfig.run(name, 'publicAccessBlock', JSON.stringify(DEFAULT_PUBLIC_ACCESS_BLOCK));
    })();
    return region;
  }

  /** @throws NoSuchBucketError */
  getBucket(name: string): BucketRecord {
    const row = this.sql.bucket.get(name);
    if (!row) throw new NoSuchBucketError(name);
    return { name: row.name, region: row.region, createdAt: row.created_at };
  }

  listBuckets(filter: { prefix?: string; region?: string } = {}): BucketRecord[] {
    return this.sql
      .buckets.all()
      .filter((row) => (filter.prefix === undefined || row.name.startsWith(filter.prefix)) && (filter.region === undefined || row.region === filter.region))
      .map((row) => ({ name: row.name, region: row.region, createdAt: row.created_at }));
  }

  /** @throws BucketNotEmptyError - while any object remains (in-progress multipart uploads are discarded) */
  deleteBucket(name: string): void {
    this.getBucket(name);
    const released: string[] = [];
    this.db.transaction(() => {
      if (this.sql.anyObject.get(name) || this.sql.anyVersion.get(name)) throw new BucketNotEmptyError(name);
      for (const upload of this.sql.uploadsOfBucket.all(name)) {
        for (const part of this.sql.partDigests.all(upload.upload_id)) released.push(part.digest);
      }
      this.sql.deleteBucket.run(name);
    })();
    this.releaseBlobs(released);
  }

  // ---------------------------------------------------------------- bucket configurations

  private readConfig<T>(bucket: string, kind: BucketConfigKind): T | undefined {
    this.getBucket(bucket);
    const row = this.sql.config.get(bucket, kind);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  private writeConfig(bucket: string, kind: BucketConfigKind, value: unknown): void {
    this.getBucket(bucket);
    this.sql.putConfig.run(bucket, kind, JSON.stringify(value));
  }

  private removeConfig(bucket: string, kind: BucketConfigKind): void {
    this.getBucket(bucket);
    this.sql.deleteConfig.run(bucket, kind);
  }

  /** @throws NoSuchPublicAccessBlockConfigurationError - after DeletePublicAccessBlock */
  getPublicAccessBlock(bucket: string): PublicAccessBlockConfiguration {
    const value = this.readConfig<PublicAccessBlockConfiguration>(bucket, 'publicAccessBlock');
    if (!value) throw new NoSuchPublicAccessBlockConfigurationError(bucket);
    return value;
  }

  putPublicAccessBlock(bucket: string, configuration: PublicAccessBlockConfiguration): void {
    this.writeConfig(bucket, 'publicAccessBlock', configuration);
  }

  deletePublicAccessBlock(bucket: string): void {
    this.removeConfig(bucket, 'publicAccessBlock');
  }

  /** Never absent: without a configuration, S3 reports its SSE-S3 default. */
  getBucketEncryption(bucket: string): ServerSideEncryptionRule[] {
    return this.readConfig<ServerSideEncryptionRule[]>(bucket, 'encryption') ?? DEFAULT_ENCRYPTION;
  }

  putBucketEncryption(bucket: string, rules: ServerSideEncryptionRule[]): void {
    if (rules.length === 0) throw new InvalidArgumentError('A rule is required', 'ServerSideEncryptionConfiguration');
    for (const rule of rules) {
      const algorithm = rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
      if (algorithm !== undefined && !['AES256', 'aws:kms', 'aws:kms:dsse'].includes(algorithm)) {
        throw new InvalidArgumentError('The encryption method specified is not supported', 'SSEAlgorithm', String(algorithm));
      }
    }
    this.writeConfig(bucket, 'encryption', rules);
  }

  deleteBucketEncryption(bucket: string): void {
    this.removeConfig(bucket, 'encryption');
  }

  /** @throws NoSuchTagSetError - when the bucket has no tags */
  getBucketTagging(bucket: string): Tag[] {
    const tags = this.readConfig<Tag[]>(bucket, 'tagging');
    if (!tags) throw new NoSuchTagSetError(bucket);
    return tags;
  }

  putBucketTagging(bucket: string, tags: Tag[]): void {
    this.writeConfig(bucket, 'tagging', this.validBucketTags(tags));
  }

  /** A bucket tag set as S3 checks it (PutBucketTagging, and CreateBucket's Tags before the bucket is made). */
  validBucketTags(tags: Tag[]): Tag[] {
    const seen = new Set<string>();
    for (const tag of tags) {
      const key = tag.Key ?? '';
      if (seen.has(key)) throw new InvalidTagError('Cannot provide multiple Tags with the same key', key);
      seen.add(key);
      if (key.length === 0 || key.length > 128) throw new InvalidTagError('The TagKey you have provided is invalid', key);
      // The `aws:` prefix is AWS's own (aws:cloudformation:stack-name ...): S3 refuses it from a requester.
      if (key.toLowerCase().startsWith('aws:')) throw new InvalidTagError('System tags cannot be added/updated by requester', key);
      if ((tag.Value ?? '').length > 256) throw new InvalidTagError('The TagValue you have provided is invalid', key);
    }
    if (tags.length > 50) throw new InvalidTagError('Object tags cannot be greater than 50');
    return tags;
  }

  deleteBucketTagging(bucket: string): void {
    this.removeConfig(bucket, 'tagging');
  }

  getNotificationConfiguration(bucket: string): NotificationConfiguration {
    return this.readConfig<NotificationConfiguration>(bucket, 'notification') ?? EMPTY_NOTIFICATION_CONFIGURATION;
  }

  /**
   * Validates and stores a configuration. Like S3, it asks each Lambda destination whether it admits
   * this bucket before accepting anything; missing Ids are generated.
   * @throws UnvalidatedDestinationsError - a Lambda destination that is absent or does not allow S3
   */
  putNotificationConfiguration(bucket: string, configuration: NotificationConfiguration, options: { skipDestinationValidation?: boolean } = {}): NotificationConfiguration {
    this.getBucket(bucket);
    const stored: NotificationConfiguration = {
      eventBridge: configuration.eventBridge,
      destinations: configuration.destinations.map((destination) => ({ ...destination, id: destination.id || generateConfigurationId() })),
    };
    validateNotificationConfiguration(stored);
    const lambda = this.context.stores.lambda;
    // `x-amz-skip-destination-validation: true` tells S3 not to check destinations; S3 then stores as given.
    const failures = stored.destinations
      .filter((destination) => destination.kind === 'lambda' && !options.skipDestinationValidation)
      .filter((destination) => {
        try {
          return !lambda?.allowsS3Invoke(destination.arn, bucket, this.context.settings.accountId);
        } catch (error) {
          this.context.log(`s3: validating ${destination.arn} failed: ${(error as Error).message}`);
          return true;
        }
      })
      .map((destination) => ({ arn: destination.arn, reason: `Not authorized to invoke function [${destination.arn}]` }));
    if (failures.length > 0) throw new UnvalidatedDestinationsError(failures);
    if (stored.destinations.length === 0 && !stored.eventBridge) this.removeConfig(bucket, 'notification');
    else this.writeConfig(bucket, 'notification', stored);
    return stored;
  }

  // ---------------------------------------------------------------- objects

  /**
   * Stores an object. Acknowledge it only after this resolves: the blob is written and the row committed,
   * and any matching event is already in Lambda's queue.
   * @throws NoSuchBucketError, KeyTooLongError, PreconditionFailedError
   */
  async putObject(
    bucket: string,
    key: string,
    body: Buffer | StagedBody,
    attributes: ObjectAttributes,
    request: RequestInfo,
    preconditions: Preconditions = {},
  ): Promise<ObjectRecord> {
    this.checkObjectWrite(bucket, key, preconditions);
    const etag = (Buffer.isBuffer(body) ? md5(body) : body.md5).toString('hex');
    const size = Buffer.isBuffer(body) ? body.length : body.size;
    const record = await this.commitBody(body, (digest) => {
      this.checkWritePreconditions(bucket, key, preconditions);
      const now = Date.now();
      const created: ObjectRecord = {
        bucket,
        key,
        digest,
        size,
        etag,
        contentType: attributes.contentType ?? 'binary/octet-stream',
        systemMetadata: attributes.systemMetadata,
        userMetadata: attributes.userMetadata,
        lastModified: now,
        ...(attributes.checksum ? { checksum: attributes.checksum } : {}),
      };
      this.writeObjectRow(created);
      return created;
    });
    this.emitEvent('ObjectCreated:Put', record, request);
    return record;
  }

  /**
   * What a PutObject can be refused for before its body is read: the key, the bucket, the preconditions.
   * @throws NoSuchBucketError, KeyTooLongError, PreconditionFailedError
   */
  checkObjectWrite(bucket: string, key: string, preconditions: Preconditions = {}): void {
    assertValidKey(key);
    this.getBucket(bucket);
    this.checkWritePreconditions(bucket, key, preconditions);
  }

  /** A blob draft for a body being received; the caller places it through putObject/uploadPart or discards it. */
  draftBody(): BlobDraft {
    return this.context.blobs.draft();
  }

  /** Conditional writes (If-None-Match: *, If-Match: etag), checked against the current object. */
  private checkWritePreconditions(bucket: string, key: string, preconditions: Preconditions): void {
    if (preconditions.ifNoneMatch === undefined && preconditions.ifMatch === undefined) return;
    const current = this.sql.objectDigest.get(bucket, key);
    if (preconditions.ifNoneMatch !== undefined && current) throw new PreconditionFailedError('If-None-Match');
    if (preconditions.ifMatch !== undefined) {
      if (!current) throw new NoSuchKeyError(key);
      if (!etagListMatches(preconditions.ifMatch, current.etag)) throw new PreconditionFailedError('If-Match');
    }
  }

  /**
   * Writes a body to the blob store, then runs `commit` synchronously with its digest. The blob is
   * re-checked inside the same tick as the commit: a concurrent delete of an identical body could
   * have removed the file while we awaited (releaseBlob runs synchronously, so it cannot interleave).
   */
  private async commitBody<T>(body: Buffer | StagedBody, commit: (digest: string) => T): Promise<T> {
    let digest: string;
    if (Buffer.isBuffer(body)) {
      digest = await this.context.blobs.put(body);
      for (let attempt = 0; !this.context.blobs.has(digest); attempt++) {
        if (attempt >= 3) throw new Error('blob vanished repeatedly while being committed');
        digest = await this.context.blobs.put(body);
      }
    } else {
      await body.draft.seal();
      // From here to the commit, one tick: placed and named together.
      digest = body.draft.place();
    }
    try {
      return commit(digest);
    } catch (error) {
      this.releaseBlob(digest);
      throw error;
    }
  }

  /** Writes the row in its own transaction, then releases the blobs of what it replaced. */
  private writeObjectRow(record: ObjectRecord): void {
    const replaced = this.db.transaction(() => this.upsertObjectRow(record))();
    this.releaseBlobs(replaced.filter((digest) => digest !== record.digest));
  }

  /**
   * Inside a transaction: makes the record the key's current object, under the bucket's versioning: never
   * versioned, it replaces the object; Enabled, it gets a new version id and the object it follows becomes a
   * noncurrent version; Suspended, it is the `null` version, replacing any earlier `null` version or marker.
   * Sets `record.versionId`. @returns the digests of what it replaced, for release after commit
   */
  private upsertObjectRow(record: ObjectRecord): string[] {
    if (!this.sql.bucket.get(record.bucket)) throw new NoSuchBucketError(record.bucket);
    const status = this.versioningStatus(record.bucket);
    const replaced: string[] = [];
    if (status === undefined) {
      delete record.versionId;
      const previous = this.sql.objectDigest.get(record.bucket, record.key);
      if (previous) replaced.push(previous.digest);
    } else {
      replaced.push(...this.retireCurrent(record.bucket, record.key, status));
      if (status === 'Enabled') record.versionId = newVersionId();
      else delete record.versionId;
    }
    this.sql.upsertObject.run({
      bucket: record.bucket,
      key: record.key,
      digest: record.digest,
      size: record.size,
      etag: record.etag,
      content_type: record.contentType,
      system_metadata: JSON.stringify(record.systemMetadata),
      user_metadata: JSON.stringify(record.userMetadata),
      last_modified: record.lastModified,
      checksum_algorithm: record.checksum?.algorithm ?? null,
      checksum_value: record.checksum?.value ?? null,
      checksum_type: record.checksum?.type ?? null,
      parts_count: record.partsCount ?? null,
      version_id: record.versionId ?? null,
    });
    return replaced;
  }

  /**
   * Inside a transaction, in a bucket that has had versioning: moves the current object (if any) among the
   * noncurrent versions, and under Suspended removes the key's `null` version wherever it is (a new `null`
   * version or marker is about to replace it). @returns the digests removed, for release after commit
   */
  private retireCurrent(bucket: string, key: string, status: VersioningStatus): string[] {
    const removed: string[] = [];
    const current = this.sql.object.get(bucket, key);
    if (current) {
      this.sql.deleteObject.run(bucket, key);
      if (status === 'Suspended' && current.version_id === null) removed.push(current.digest);
      else this.sql.insertVersion.run({ ...current, version_id: current.version_id ?? 'null', delete_marker: 0 });
    }
    if (status === 'Suspended') {
      const nullVersion = this.sql.version.get(bucket, key, 'null');
      if (nullVersion) {
        this.sql.deleteVersion.run(nullVersion.id);
        if (nullVersion.digest !== null) removed.push(nullVersion.digest);
      }
    }
    return removed;
  }

  /** Inside a transaction: when a key has no current object, its newest noncurrent version, if not a marker, becomes current. */
  private promoteNewestVersion(bucket: string, key: string): void {
    if (this.sql.objectDigest.get(bucket, key)) return;
    const newest = this.sql.newestVersion.get(bucket, key);
    if (!newest || newest.delete_marker || newest.digest === null) return;
    this.sql.deleteVersion.run(newest.id);
    this.sql.upsertObject.run({ ...newest, digest: newest.digest, version_id: newest.version_id === 'null' ? null : newest.version_id });
  }

  /** The bucket's versioning state; undefined while it has never been versioned. */
  versioningStatus(bucket: string): VersioningStatus | undefined {
    return this.readConfig<VersioningStatus>(bucket, 'versioning');
  }

  /** PutBucketVersioning. A bucket once versioned can be suspended, never returned to unversioned (as in S3). */
  putBucketVersioning(bucket: string, status: VersioningStatus): void {
    this.writeConfig(bucket, 'versioning', status);
  }


  /**
   * The parts a multipart object was completed from (number, size, checksum), or undefined for an object
   * written whole.
   */
  objectParts(record: ObjectRecord): ObjectPart[] | undefined {
    if (record.partsCount === undefined) return undefined;
    const completed = this.sql.multipartObject.get(record.bucket, record.key);
    if (!completed || completed.etag !== record.etag) {
      // Completed by an earlier version of the local cloud, which did not record its parts.
      throw new S3NotImplementedError('reading the parts of an object completed before parts were recorded');
    }
    return JSON.parse(completed.parts) as ObjectPart[];
  }

  /**
   * The byte range of part `partNumber` of an object (GET/HEAD ?partNumber): the whole object is its own
   * part 1 when it was not uploaded in parts.
   * @throws InvalidPartError - no such part (AWS answers 400 InvalidPart; so do we)
   */
  objectPartRange(record: ObjectRecord, partNumber: number): { start: number; end: number } | undefined {
    if (partNumber > (record.partsCount ?? 1)) throw new InvalidPartError(undefined, partNumber, record.etag);
    const parts = this.objectParts(record);
    if (!parts) return record.size === 0 ? undefined : { start: 0, end: record.size - 1 };
    const index = parts.findIndex((part) => part.partNumber === partNumber);
    if (index < 0) throw new InvalidPartError(undefined, partNumber, record.etag);
    const start = parts.slice(0, index).reduce((total, part) => total + part.size, 0);
    const size = parts[index]!.size;
    return size === 0 ? undefined : { start, end: start + size - 1 };
  }

  /** @throws NoSuchBucketError, NoSuchKeyError */
  getObject(bucket: string, key: string, versionId?: string): ObjectRecord {
    const row = this.sql.object.get(bucket, key);
    if (versionId === undefined) {
      if (row) return toObjectRecord(row);
      this.getBucket(bucket);
      // AWS answers a key whose latest version is a delete marker with 404 NoSuchKey, saying so in headers.
      const newest = this.sql.newestVersion.get(bucket, key);
      throw new NoSuchKeyError(key, newest?.delete_marker ? { 'x-amz-delete-marker': 'true', 'x-amz-version-id': newest.version_id } : {});
    }
    if (row && (row.version_id ?? 'null') === versionId) return toObjectRecord(row);
    this.getBucket(bucket);
    assertVersionId(versionId);
    const version = this.sql.version.get(bucket, key, versionId);
    if (!version) throw new NoSuchVersionError(key, versionId);
    // A delete marker has no body: AWS answers 405 for a GET or HEAD of one by id.
    if (version.delete_marker || version.digest === null) throw new DeleteMarkerMethodNotAllowedError(versionId);
    return toObjectRecord({ ...version, digest: version.digest });
  }

  /**
   * The object's bytes, or a range of them (inclusive, as HTTP counts). Call in the same tick as
   * getObject: the file is opened here synchronously, so a delete that follows cannot pull it away.
   */
  openObjectBody(record: ObjectRecord, range?: { start: number; end: number }): Buffer | Readable {
    const start = range?.start ?? 0;
    const end = range?.end ?? record.size - 1;
    const length = Math.max(0, end - start + 1);
    if (length === 0) return Buffer.alloc(0);
    let fd: number;
    try {
      fd = openSync(this.context.blobs.pathOf(record.digest), 'r');
    } catch (error) {
      throw new InternalError(`blob ${record.digest} of s3://${record.bucket} is missing: ${(error as Error).message}`);
    }
    if (length <= READ_WHOLE_BYTES) {
      try {
        const buffer = Buffer.allocUnsafe(length);
        let read = 0;
        while (read < length) {
          const n = readSync(fd, buffer, read, length - read, start + read);
          if (n === 0) throw new InternalError(`blob ${record.digest} is shorter than its object`);
          read += n;
        }
        return buffer;
      } finally {
        closeSync(fd);
      }
    }
    return createReadStream('', { fd, start, end, autoClose: true, highWaterMark: 256 * 1024 });
  }

  /** An object's size, or undefined when the bucket or key does not exist. */
  objectSize(bucket: string, key: string): number | undefined {
    return (this.sql.object.get(bucket, key) as ObjectRow | undefined)?.size;
  }

  /** A whole object's bytes, or undefined when the bucket or key does not exist (Lambda code from S3). */
  async getObjectBytes(bucket: string, key: string): Promise<Buffer | undefined> {
    const row = this.sql.objectDigest.get(bucket, key);
    return row ? this.context.blobs.read(row.digest) : undefined;
  }

  /**
   * CopyObject: the new object shares the source's blob. Metadata is the source's (`COPY`) or the
   * given attributes (`REPLACE`). A copy is a new single-part object: a multipart source's `-N`
   * ETag and composite checksum become the whole body's MD5 and no checksum, as in S3.
   * @throws InvalidRequestError - copying an object onto itself without replacing anything
   */
  async copyObject(
    source: { bucket: string; key: string; versionId?: string },
    target: { bucket: string; key: string },
    options: { directive: 'COPY' | 'REPLACE'; attributes: ObjectAttributes; preconditions?: Preconditions },
    request: RequestInfo,
  ): Promise<ObjectRecord> {
    assertValidKey(target.key);
    const sourceRecord = this.getObject(source.bucket, source.key, source.versionId);
    this.getBucket(target.bucket);
    if (source.bucket === target.bucket && source.key === target.key && source.versionId === undefined && options.directive === 'COPY') {
      // AWS refuses a self-copy that changes nothing; so do we.
      throw new InvalidRequestError(
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    this.checkWritePreconditions(target.bucket, target.key, options.preconditions ?? {});
    let single: Pick<ObjectRecord, 'etag'> & Partial<ObjectRecord> = { etag: sourceRecord.etag };
    if (sourceRecord.partsCount !== undefined) {
      const hash = createHash('md5');
      for await (const chunk of this.context.blobs.stream(sourceRecord.digest)) hash.update(chunk as Buffer);
      single = { etag: hash.digest('hex') };
    }
    const base: ObjectRecord = { ...sourceRecord, ...single };
    delete base.partsCount;
    if (base.checksum?.type === 'COMPOSITE') delete base.checksum;
    const copied: ObjectRecord = {
      ...(options.directive === 'COPY'
        ? base
        : {
            ...base,
            contentType: options.attributes.contentType ?? 'binary/octet-stream',
            systemMetadata: options.attributes.systemMetadata,
            userMetadata: options.attributes.userMetadata,
          }),
      bucket: target.bucket,
      key: target.key,
      lastModified: Date.now(),
    };
    // The shared blob may have been released while the multipart source was read; the row commit re-checks.
    if (!this.context.blobs.has(copied.digest)) throw new NoSuchKeyError(source.key);
    this.writeObjectRow(copied);
    this.emitEvent('ObjectCreated:Copy', copied, request);
    return copied;
  }

  /** Deleting a key that does not exist succeeds, as in S3. */
  deleteObject(bucket: string, key: string, request: RequestInfo, versionId?: string): DeleteOutcome {
    return this.deleteObjects(bucket, [{ key, ...(versionId !== undefined ? { versionId } : {}) }], request)[0]!;
  }

  /**
   * Deletes keys or exact versions. Without a version id: in a never-versioned bucket the object goes; under
   * Enabled a delete marker is added (the object becomes noncurrent); under Suspended a `null` marker replaces
   * the `null` version. With one, that version (or marker) goes for good, and the newest remaining version, if an
   * object, becomes current. @returns for each entry what happened
   */
  deleteObjects(bucket: string, entries: { key: string; versionId?: string }[], request: RequestInfo): DeleteOutcome[] {
    this.getBucket(bucket);
    for (const entry of entries) if (entry.versionId !== undefined) assertVersionId(entry.versionId);
    const released: string[] = [];
    const events: { key: string; marker: boolean }[] = [];
    const results = this.db.transaction(() => {
      const status = this.versioningStatus(bucket);
      return entries.map(({ key, versionId }): DeleteOutcome => {
        if (versionId === undefined) {
          if (status === undefined) {
            const row = this.sql.objectDigest.get(bucket, key);
            if (!row) return { key, deleteMarker: false };
            this.sql.deleteObject.run(bucket, key);
            released.push(row.digest);
            events.push({ key, marker: false });
            return { key, deleteMarker: false };
          }
          released.push(...this.retireCurrent(bucket, key, status));
          const markerId = status === 'Enabled' ? newVersionId() : 'null';
          this.sql.insertVersion.run({
            bucket, key, version_id: markerId, delete_marker: 1, digest: null, size: 0, etag: '', content_type: '', system_metadata: '{}', user_metadata: '{}',
            last_modified: Date.now(), checksum_algorithm: null, checksum_value: null, checksum_type: null, parts_count: null,
          });
          events.push({ key, marker: true });
          return { key, versionId: markerId, deleteMarker: true };
        }
        const current = this.sql.object.get(bucket, key);
        if (current && (current.version_id ?? 'null') === versionId) {
          this.sql.deleteObject.run(bucket, key);
          released.push(current.digest);
          this.promoteNewestVersion(bucket, key);
          events.push({ key, marker: false });
          return { key, versionId, deleteMarker: false };
        }
        const version = this.sql.version.get(bucket, key, versionId);
        // AWS answers a delete of a version that is not there with success; so do we.
        if (!version) return { key, versionId, deleteMarker: false };
        this.sql.deleteVersion.run(version.id);
        if (version.digest !== null) released.push(version.digest);
        this.promoteNewestVersion(bucket, key);
        events.push({ key, marker: false });
        return { key, versionId, deleteMarker: version.delete_marker === 1 };
      });
    })();
    this.releaseBlobs(released);
    for (const event of events) {
      this.emitEvent(event.marker ? 'ObjectRemoved:DeleteMarkerCreated' : 'ObjectRemoved:Delete', { bucket, key: event.key }, request);
    }
    return results;
  }

  /**
   * ListObjectVersions: every version and delete marker, by key, newest first within a key, resuming after
   * (key-marker, version-id-marker); a key-marker alone resumes after all of that key's versions.
   */
  listObjectVersions(bucket: string, params: VersionListParams): VersionListResult {
    this.getBucket(bucket);
    const { prefix, delimiter, maxKeys } = params;
    const result: VersionListResult = { versions: [], commonPrefixes: [], isTruncated: false };
    if (maxKeys <= 0) return result;
    const upper = successor(prefix) ?? MAX_KEY_BOUND;
    // The seek position: rows after (afterKey, afterRank) in (key, rank descending) order, at or past `lower`.
    // Rank orders a key's entries newest first: the current object above every noncurrent version.
    let lower = prefix;
    let afterKey = '';
    let afterRank = -1;
    let previousKey: string | undefined;
    if (params.keyMarker !== '' && compareUtf8(params.keyMarker, prefix) >= 0) {
      afterKey = params.keyMarker;
      if (params.versionIdMarker !== '') {
        afterRank = this.versionRank(bucket, params.keyMarker, params.versionIdMarker) ?? -1;
        // Resuming inside a key: what follows there is not its latest version.
        if (afterRank >= 0) previousKey = params.keyMarker;
      }
    }
    const batch = Math.min(maxKeys + 1, 1001);
    let count = 0;
    outer: for (;;) {
      const rows = this.sql.versionsPage.all({ bucket, lower, upper, afterKey, afterRank, limit: batch });
      for (const row of rows) {
        afterKey = row.key;
        afterRank = row.rank;
        if (count === maxKeys) {
          result.isTruncated = true;
          break outer;
        }
        if (delimiter) {
          const at = row.key.indexOf(delimiter, prefix.length);
          if (at >= 0) {
            const commonPrefix = row.key.slice(0, at + delimiter.length);
            result.commonPrefixes.push(commonPrefix);
            result.next = { keyMarker: commonPrefix };
            count++;
            const next = successor(commonPrefix);
            if (next === undefined) break outer;
            lower = next;
            afterKey = '';
            afterRank = -1;
            previousKey = undefined;
            continue outer;
          }
        }
        result.versions.push({ ...toSummary(row), versionId: row.version_id ?? 'null', isLatest: row.key !== previousKey, deleteMarker: row.delete_marker === 1 });
        previousKey = row.key;
        result.next = { keyMarker: row.key, versionIdMarker: row.version_id ?? 'null' };
        count++;
      }
      if (rows.length < batch) break;
    }
    if (!result.isTruncated) delete result.next;
    return result;
  }

  /** Where a version sits in its key's newest-first order (see versionsPage), or undefined when it is not there. */
  private versionRank(bucket: string, key: string, versionId: string): number | undefined {
    const current = this.sql.object.get(bucket, key);
    if (current && (current.version_id ?? 'null') === versionId) return CURRENT_RANK;
    return this.sql.version.get(bucket, key, versionId)?.id;
  }

  /**
   * One page of keys in UTF-8 byte order (SQLite's BINARY collation), rolling keys that share
   * `prefix + ... + delimiter` into one common prefix, which counts against maxKeys like a key.
   */
  listObjects(bucket: string, params: ListParams): ListResult {
    this.getBucket(bucket);
    const { prefix, delimiter, maxKeys } = params;
    const result: ListResult = { objects: [], commonPrefixes: [], isTruncated: false };
    if (maxKeys <= 0) return result;
    const upper = prefix === '' ? undefined : successor(prefix);
    let lower: ListPosition = { value: prefix, inclusive: true };
    if (params.start && compareUtf8(params.start.value, prefix) >= 0) lower = params.start;
    let count = 0;
    let last: ListPosition | undefined;
    outer: for (;;) {
      const limit = maxKeys - count + 1;
      const bindings = upper !== undefined ? [bucket, lower.value, upper, limit] : [bucket, lower.value, limit];
      const rows = this.listStatement(lower.inclusive, upper !== undefined).all(...bindings);
      for (const row of rows) {
        if (count === maxKeys) {
          result.isTruncated = true;
          break outer;
        }
        if (delimiter) {
          const at = row.key.indexOf(delimiter, prefix.length);
          if (at >= 0) {
            const commonPrefix = row.key.slice(0, at + delimiter.length);
            result.commonPrefixes.push(commonPrefix);
            result.lastReturned = commonPrefix;
            count++;
            const next = successor(commonPrefix);
            if (next === undefined) break outer;
            last = lower = { value: next, inclusive: true };
            continue outer;
          }
        }
        result.objects.push(toSummary(row));
        result.lastReturned = row.key;
        count++;
        last = lower = { value: row.key, inclusive: false };
      }
      if (rows.length < limit) break;
    }
    if (result.isTruncated && last) result.next = last;
    return result;
  }

  private listStatement(inclusive: boolean, bounded: boolean): Database.Statement<unknown[], SummaryRow> {
    return this.listSql(
      `SELECT key, size, etag, last_modified, checksum_algorithm, checksum_type FROM s3_objects
       WHERE bucket = ? AND key ${inclusive ? '>=' : '>'} ? ${bounded ? 'AND key < ?' : ''} ORDER BY key LIMIT ?`,
    ) as Database.Statement<unknown[], SummaryRow>;
  }

  // ---------------------------------------------------------------- multipart uploads

  createMultipartUpload(bucket: string, key: string, attributes: Omit<ObjectAttributes, 'checksum'> & { checksumAlgorithm?: ChecksumAlgorithm }): UploadRecord {
    assertValidKey(key);
    this.getBucket(bucket);
    const uploadId = randomBytes(32).toString('base64url');
    const initiated = Date.now();
    this.sql.insertUpload.run(
      uploadId,
      bucket,
      key,
      initiated,
      attributes.contentType ?? 'binary/octet-stream',
      JSON.stringify(attributes.systemMetadata),
      JSON.stringify(attributes.userMetadata),
      attributes.checksumAlgorithm ?? null,
    );
    return { uploadId, bucket, key, initiated, ...(attributes.checksumAlgorithm ? { checksumAlgorithm: attributes.checksumAlgorithm } : {}) };
  }

  /** @throws NoSuchUploadError - unknown id, or one that belongs to another bucket or key */
  getUpload(bucket: string, key: string, uploadId: string): UploadRecord {
    this.getBucket(bucket);
    const row = this.sql.upload.get(uploadId);
    if (!row || row.bucket !== bucket || row.key !== key) throw new NoSuchUploadError(uploadId);
    return toUploadRecord(row);
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Buffer | StagedBody,
    checksum?: { algorithm: ChecksumAlgorithm; value: string },
  ): Promise<PartRecord> {
    assertPartNumber(partNumber);
    this.getUpload(bucket, key, uploadId);
    const etag = (Buffer.isBuffer(body) ? md5(body) : body.md5).toString('hex');
    const size = Buffer.isBuffer(body) ? body.length : body.size;
    return this.commitBody(body, (digest) => this.writePart(uploadId, { partNumber, digest, size, etag, lastModified: Date.now(), ...(checksum ? { checksum } : {}) }));
  }

  /** UploadPartCopy: a part made of (a range of) an existing object. */
  async uploadPartCopy(
    target: { bucket: string; key: string; uploadId: string; partNumber: number },
    source: { bucket: string; key: string; versionId?: string },
    range?: { start: number; end: number },
  ): Promise<PartRecord> {
    assertPartNumber(target.partNumber);
    this.getUpload(target.bucket, target.key, target.uploadId);
    const sourceRecord = this.getObject(source.bucket, source.key, source.versionId);
    if (range && (range.start > range.end || range.end >= sourceRecord.size)) {
      // AWS answers a copy range outside the source with InvalidRange (416); so do we.
      throw new InvalidRangeError(`bytes=${range.start}-${range.end}`, sourceRecord.size);
    }
    // Copied through a draft, a piece at a time: a part may be 256 MiB, the source as large as any object.
    const draft = this.context.blobs.draft();
    try {
      const hash = createHash('md5');
      await this.copyBlobInto(sourceRecord.digest, draft, range, (piece) => hash.update(piece));
      const staged: StagedBody = { draft, size: draft.size, md5: hash.digest() };
      return await this.uploadPart(target.bucket, target.key, target.uploadId, target.partNumber, staged);
    } finally {
      draft.discard();
    }
  }

  /**
   * Streams a blob (or an inclusive byte range of it) into a draft, showing each piece to `visit`.
   * @throws NoSuchKeyError - the blob is gone (its object was deleted meanwhile)
   */
  private async copyBlobInto(digest: string, draft: BlobDraft, range: { start: number; end: number } | undefined, visit: (piece: Buffer) => void): Promise<void> {
    try {
      for await (const chunk of this.context.blobs.stream(digest, range)) {
        visit(chunk as Buffer);
        await draft.write(chunk as Buffer);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new InternalError(`blob ${digest} vanished while it was copied`);
      throw error;
    }
  }

  private writePart(uploadId: string, part: PartRecord): PartRecord {
    const replaced = this.db.transaction(() => {
      if (!this.sql.upload.get(uploadId)) throw new NoSuchUploadError(uploadId);
      const previous = this.sql.part.get(uploadId, part.partNumber);
      this.sql.upsertPart.run(uploadId, part.partNumber, part.digest, part.size, part.etag, part.lastModified, part.checksum?.algorithm ?? null, part.checksum?.value ?? null);
      return previous?.digest;
    })();
    if (replaced !== undefined && replaced !== part.digest) this.releaseBlob(replaced);
    return part;
  }

  /**
   * Assembles the listed parts into the object. Parts must be ascending, exist with the given ETags,
   * and all but the last be at least 5 MiB, as S3 requires. The object's checksum is COMPOSITE (the
   * checksum of the part checksums, `-N`) or FULL_OBJECT (the whole body's, for the CRCs): see
   * completionChecksumPlan. The upload's type is not stored, so it comes from the Complete request.
   * @throws BadDigestError - the checksum the request sent does not match the object
   */
  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    listed: CompletedPart[],
    request: RequestInfo,
    requested: CompletionChecksum = {},
    preconditions: Preconditions = {},
  ): Promise<ObjectRecord> {
    this.getBucket(bucket);
    if (!this.sql.upload.get(uploadId)) {
      // A retried Complete (its first answer lost) finds the upload gone; AWS answers with the object it made
      // while that object is still the key's current one. So do we.
      const completed = this.sql.multipartObject.get(bucket, key);
      const current = completed?.upload_id === uploadId ? this.sql.object.get(bucket, key) : undefined;
      if (current && current.etag === completed!.etag) return toObjectRecord(current);
    }
    const upload = this.getUpload(bucket, key, uploadId);
    // Conditional writes (If-None-Match: *, If-Match) hold against the key's current object, checked before the
    // parts are read and again when the object is committed.
    this.checkWritePreconditions(bucket, key, preconditions);
    const plan = completionChecksumPlan(upload.checksumAlgorithm, requested);
    if (listed.length === 0) throw new MalformedXmlError();
    const stored = new Map(this.sql.parts.all(uploadId).map((row) => [row.part_number, row]));
    const chosen: PartRow[] = [];
    let previousNumber = 0;
    // A part number may be listed more than once when a part was re-sent while its first send was in flight
    // (the client kept both answers): the entry naming the send that landed last is the part, the others
    // name sends it replaced. Numbers must still not go down.
    for (const [index, part] of listed.entries()) {
      if (part.partNumber < previousNumber) throw new InvalidPartOrderError(uploadId);
      previousNumber = part.partNumber;
      const row = stored.get(part.partNumber);
      const matches = row !== undefined && unquote(part.etag) === row.etag;
      const sameNumber = listed.filter((other, otherIndex) => otherIndex !== index && other.partNumber === part.partNumber);
      if (!matches && row && sameNumber.some((other) => unquote(other.etag) === row.etag)) continue;
      if (!row || !matches) throw new InvalidPartError(uploadId, part.partNumber, part.etag);
      if (chosen[chosen.length - 1]?.part_number === row.part_number) continue;
      for (const [algorithm, value] of Object.entries(part.checksums ?? {})) {
        if (row.checksum_algorithm === algorithm && row.checksum_value !== value) throw new InvalidPartError(uploadId, part.partNumber, part.etag);
      }
      chosen.push(row);
    }
    chosen.forEach((row, index) => {
      if (index < chosen.length - 1 && row.size < MIN_PART_BYTES) throw new EntityTooSmallError(row.size, MIN_PART_BYTES);
    });
    let record: ObjectRecord;
    // Assembled on disk, part after part: the object may be as large as its parts together.
    const draft = this.context.blobs.draft();
    try {
      const running = plan?.type === 'FULL_OBJECT' ? runningChecksum(plan.algorithm) : undefined;
      for (const row of chosen) {
        try {
          await this.copyBlobInto(row.digest, draft, undefined, (piece) => running?.update(piece));
        } catch (error) {
          // An Abort (or another Complete) released the parts while they were read.
          if (!this.sql.upload.get(uploadId)) throw new NoSuchUploadError(uploadId);
          throw error;
        }
      }
      let checksum: StoredChecksum | undefined;
      if (plan?.type === 'FULL_OBJECT') {
        checksum = { algorithm: plan.algorithm, value: running!.digest(), type: 'FULL_OBJECT' };
        if (plan.expected !== undefined && plan.expected !== checksum.value) throw new BadDigestError(plan.algorithm);
      } else if (plan) {
        const { algorithm } = plan;
        checksum = chosen.every((row) => row.checksum_algorithm === algorithm && row.checksum_value)
          ? { algorithm, value: compositeChecksum(algorithm, chosen.map((row) => row.checksum_value!)), type: 'COMPOSITE' }
          : undefined;
        if (plan.expected !== undefined && !matchesComposite(plan.expected, checksum?.value)) throw new BadDigestError(algorithm);
      }
      const uploadRow = this.sql.upload.get(uploadId);
      if (!uploadRow) throw new NoSuchUploadError(uploadId);
      const etag = multipartEtag(chosen.map((row) => row.etag));
      const staged: StagedBody = { draft, size: draft.size, md5: Buffer.alloc(0) };
      record = await this.commitBody(staged, (digest) => {
        const created: ObjectRecord = {
          bucket,
          key,
          digest,
          size: staged.size,
          etag,
          contentType: uploadRow.content_type,
          systemMetadata: JSON.parse(uploadRow.system_metadata) as Record<string, string>,
          userMetadata: JSON.parse(uploadRow.user_metadata) as Record<string, string>,
          lastModified: Date.now(),
          partsCount: chosen.length,
          ...(checksum ? { checksum } : {}),
        };
        const partDigests = this.db.transaction(() => {
          // Another Complete or an Abort may have finished while the parts were read.
          if (!this.sql.upload.get(uploadId)) throw new NoSuchUploadError(uploadId);
          this.checkWritePreconditions(bucket, key, preconditions);
          const digests = this.sql.partDigests.all(uploadId).map((row) => row.digest);
          const replaced = this.upsertObjectRow(created);
          this.sql.putMultipartObject.run(bucket, key, uploadId, etag, JSON.stringify(chosen.map(toObjectPart)));
          this.sql.deleteUpload.run(uploadId);
          return [...digests, ...replaced];
        })();
        this.releaseBlobs(partDigests.filter((digest) => digest !== created.digest));
        return created;
      });
    } finally {
      draft.discard();
    }
    this.emitEvent('ObjectCreated:CompleteMultipartUpload', record, request);
    return record;
  }

  abortMultipartUpload(bucket: string, key: string, uploadId: string): void {
    this.getUpload(bucket, key, uploadId);
    const digests = this.db.transaction(() => {
      const found = this.sql.partDigests.all(uploadId).map((row) => row.digest);
      this.sql.deleteUpload.run(uploadId);
      return found;
    })();
    this.releaseBlobs(digests);
  }

  listParts(bucket: string, key: string, uploadId: string, options: { maxParts: number; partNumberMarker: number }): { upload: UploadRecord; parts: PartRecord[]; isTruncated: boolean } {
    const upload = this.getUpload(bucket, key, uploadId);
    const rows = this.sql.partsPage.all(uploadId, options.partNumberMarker, options.maxParts + 1);
    return { upload, parts: rows.slice(0, options.maxParts).map(toPartRecord), isTruncated: rows.length > options.maxParts };
  }

  listMultipartUploads(bucket: string, options: { prefix: string; keyMarker: string; maxUploads: number }): { uploads: UploadRecord[]; isTruncated: boolean } {
    this.getBucket(bucket);
    const rows = this.sql.listUploads.all(bucket, options.keyMarker, options.prefix, options.prefix, options.maxUploads + 1);
    return { uploads: rows.slice(0, options.maxUploads).map(toUploadRecord), isTruncated: rows.length > options.maxUploads };
  }

  // ---------------------------------------------------------------- blobs and events

  /** True while an object or an upload part uses this blob digest. */
  usesBlob(digest: string): boolean {
    return this.sql.objectRefs.get(digest) !== undefined || this.sql.partRefs.get(digest) !== undefined || this.sql.versionRefs.get(digest) !== undefined;
  }

  private releaseBlobs(digests: Iterable<string>): void {
    for (const digest of new Set(digests)) this.releaseBlob(digest);
  }

  /**
   * Removes a blob no object or part references any more. Synchronous on purpose: the reference check
   * and the unlink happen in one tick, so no write in this process can claim the blob in between.
   */
  private releaseBlob(digest: string): void {
    if (this.usesBlob(digest)) return;
    // Blobs are shared by content across services: Lambda code taken from S3 has the object's digest.
    try {
      if (this.context.stores.lambda?.usesBlob?.(digest)) return;
    } catch (error) {
      this.context.log(`s3: asking Lambda about blob ${digest} failed, keeping it: ${(error as Error).message}`);
      return;
    }
    try {
      unlinkSync(this.context.blobs.pathOf(digest));
    } catch {
      // Already gone: nothing to release.
    }
  }

  /**
   * For a traced upload (the request carried `X-Amzn-Trace-Id`), records S3's own `AWS::S3::Bucket` segment
   * and returns the header to pass on with the event, so the trace runs client -> S3 -> Lambda as on AWS,
   * where S3 propagates trace context to Lambda notifications. Untraced uploads start no trace here.
   */
  private traceUpload(object: { bucket: string; key: string }, request: RequestInfo, eventTime: number): string | undefined {
    const upstream = parseTraceHeader(request.traceHeader);
    if (!upstream.root || upstream.sampled === false) return undefined;
    const segmentId = newSegmentId();
    const segment = {
      trace_id: upstream.root,
      id: segmentId,
      ...(upstream.parent ? { parent_id: upstream.parent } : {}),
      name: object.bucket,
      origin: 'AWS::S3::Bucket',
      start_time: (request.receivedAt ?? eventTime) / 1000,
      end_time: eventTime / 1000,
      http: { request: { method: 'PUT' }, response: { status: 200 } },
      aws: { operation: request.operation ?? 'PutObject', bucket_name: object.bucket, key: object.key, request_id: request.requestId },
    };
    try {
      this.context.stores.xray?.putSegments([JSON.stringify(segment)]);
    } catch (error) {
      this.context.log(`s3: recording the trace segment for s3://${object.bucket}/${object.key} failed: ${(error as Error).message}`);
    }
    return formatTraceHeader({ root: upstream.root, parent: segmentId, sampled: true });
  }

  /**
   * Hands matching notifications to Lambda's durable queue. Runs after the commit and before the
   * response, so an acknowledged write's event is already queued. Delivery problems are logged and
   * never fail the write, as in S3.
   */
  private emitEvent(eventName: string, object: { bucket: string; key: string; size?: number; etag?: string }, request: RequestInfo): void {
    let configuration: NotificationConfiguration;
    try {
      const row = this.sql.config.get(object.bucket, 'notification');
      if (!row) return;
      configuration = JSON.parse(row.value) as NotificationConfiguration;
    } catch (error) {
      this.context.log(`s3: reading the notification configuration of ${object.bucket} failed: ${(error as Error).message}`);
      return;
    }
    const destinations = matchingDestinations(configuration, eventName, object.key);
    if (destinations.length === 0) return;
    const region = this.sql.bucket.get(object.bucket)?.region ?? this.context.settings.region;
    const eventTime = Date.now();
    const traceHeader = this.traceUpload(object, request, eventTime);
    for (const destination of destinations) {
      if (destination.kind !== 'lambda') {
        this.context.log(`s3: ${eventName} for s3://${object.bucket}/${object.key} not sent to ${destination.arn}: the local cloud has no ${destination.kind === 'queue' ? 'SQS' : 'SNS'}`);
        continue;
      }
      try {
        const record = buildEventRecord({
          eventName,
          eventTime,
          region,
          bucket: object.bucket,
          bucketOwnerPrincipalId: this.owner.principalId,
          principalId: request.principalId,
          sourceIp: request.sourceIp,
          requestId: request.requestId,
          hostId: request.hostId,
          configurationId: destination.id,
          key: object.key,
          ...(object.size !== undefined ? { size: object.size } : {}),
          ...(object.etag !== undefined ? { etag: object.etag } : {}),
          sequencer: this.sequencer.next(eventTime),
        });
        const lambda = this.context.stores.lambda;
        if (!lambda) throw new Error('the Lambda service is not available');
        lambda.enqueueEvent(destination.arn, JSON.stringify({ Records: [record] }), 's3', traceHeader);
      } catch (error) {
        this.context.log(`s3: delivering ${eventName} for s3://${object.bucket}/${object.key} to ${destination.arn} failed: ${(error as Error).message}`);
      }
    }
  }
}

function prepareStatements(db: Db) {
  return {
    bucket: db.prepare<[string], { name: string; region: string; created_at: number }>('SELECT name, region, created_at FROM s3_buckets WHERE name = ?'),
    buckets: db.prepare<[], { name: string; region: string; created_at: number }>('SELECT name, region, created_at FROM s3_buckets ORDER BY name'),
    insertBucket: db.prepare('INSERT INTO s3_buckets (name, region, created_at) VALUES (?, ?, ?)'),
    deleteBucket: db.prepare('DELETE FROM s3_buckets WHERE name = ?'),
    anyObject: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_objects WHERE bucket = ? LIMIT 1'),
    config: db.prepare<[string, string], { value: string }>('SELECT value FROM s3_bucket_configs WHERE bucket = ? AND kind = ?'),
    putConfig: db.prepare('INSERT OR REPLACE INTO s3_bucket_configs (bucket, kind, value) VALUES (?, ?, ?)'),
    deleteConfig: db.prepare('DELETE FROM s3_bucket_configs WHERE bucket = ? AND kind = ?'),
    object: db.prepare<[string, string], ObjectRow>('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?'),
    objectDigest: db.prepare<[string, string], { digest: string; etag: string }>('SELECT digest, etag FROM s3_objects WHERE bucket = ? AND key = ?'),
    upsertObject: db.prepare<[Omit<ObjectRow, 'version_id'> & { version_id: string | null }]>(
      `INSERT OR REPLACE INTO s3_objects (bucket, key, digest, size, etag, content_type, system_metadata, user_metadata, last_modified,
         checksum_algorithm, checksum_value, checksum_type, parts_count, version_id)
       VALUES (@bucket, @key, @digest, @size, @etag, @content_type, @system_metadata, @user_metadata, @last_modified,
         @checksum_algorithm, @checksum_value, @checksum_type, @parts_count, @version_id)`,
    ),
    anyVersion: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_versions WHERE bucket = ? LIMIT 1'),
    version: db.prepare<[string, string, string], VersionRow>('SELECT * FROM s3_versions WHERE bucket = ? AND key = ? AND version_id = ?'),
    newestVersion: db.prepare<[string, string], VersionRow>('SELECT * FROM s3_versions WHERE bucket = ? AND key = ? ORDER BY id DESC LIMIT 1'),
    insertVersion: db.prepare<[Omit<VersionRow, 'id'>]>(
      `INSERT INTO s3_versions (bucket, key, version_id, delete_marker, digest, size, etag, content_type, system_metadata, user_metadata,
         last_modified, checksum_algorithm, checksum_value, checksum_type, parts_count)
       VALUES (@bucket, @key, @version_id, @delete_marker, @digest, @size, @etag, @content_type, @system_metadata, @user_metadata,
         @last_modified, @checksum_algorithm, @checksum_value, @checksum_type, @parts_count)`,
    ),
    deleteVersion: db.prepare<[number]>('DELETE FROM s3_versions WHERE id = ?'),
    versionRefs: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_versions WHERE digest = ? LIMIT 1'),
    // Current objects first within a key (they are the newest), then noncurrent versions and markers, newest first.
    versionsPage: db.prepare<[{ bucket: string; lower: string; upper: string; afterKey: string; afterRank: number; limit: number }], VersionListRow>(
      `SELECT key, version_id, delete_marker, size, etag, last_modified, checksum_algorithm, checksum_type, rank FROM (
         SELECT key, version_id, 0 AS delete_marker, size, etag, last_modified, checksum_algorithm, checksum_type, ${CURRENT_RANK} AS rank
           FROM s3_objects WHERE bucket = @bucket AND key >= @lower AND key < @upper AND key >= @afterKey
         UNION ALL
         SELECT key, version_id, delete_marker, size, etag, last_modified, checksum_algorithm, checksum_type, id AS rank
           FROM s3_versions WHERE bucket = @bucket AND key >= @lower AND key < @upper AND key >= @afterKey)
       WHERE key > @afterKey OR rank < @afterRank
       ORDER BY key, rank DESC LIMIT @limit`,
    ),
    deleteObject: db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ?'),
    multipartObject: db.prepare<[string, string], { upload_id: string; etag: string; parts: string }>(
      'SELECT upload_id, etag, parts FROM s3_multipart_objects WHERE bucket = ? AND key = ?',
    ),
    putMultipartObject: db.prepare('INSERT OR REPLACE INTO s3_multipart_objects (bucket, key, upload_id, etag, parts) VALUES (?, ?, ?, ?, ?)'),
    objectRefs: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_objects WHERE digest = ? LIMIT 1'),
    partRefs: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_parts WHERE digest = ? LIMIT 1'),
    insertUpload: db.prepare(
      `INSERT INTO s3_uploads (upload_id, bucket, key, initiated, content_type, system_metadata, user_metadata, checksum_algorithm)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    upload: db.prepare<[string], UploadRow>('SELECT * FROM s3_uploads WHERE upload_id = ?'),
    deleteUpload: db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?'),
    uploadsOfBucket: db.prepare<[string], { upload_id: string }>('SELECT upload_id FROM s3_uploads WHERE bucket = ?'),
    listUploads: db.prepare<[string, string, string, string, number], UploadRow>(
      'SELECT * FROM s3_uploads WHERE bucket = ? AND key > ? AND substr(key, 1, length(?)) = ? ORDER BY key, initiated LIMIT ?',
    ),
    part: db.prepare<[string, number], PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number = ?'),
    parts: db.prepare<[string], PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? ORDER BY part_number'),
    partsPage: db.prepare<[string, number, number], PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?'),
    upsertPart: db.prepare(
      `INSERT OR REPLACE INTO s3_parts (upload_id, part_number, digest, size, etag, last_modified, checksum_algorithm, checksum_value)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    partDigests: db.prepare<[string], { digest: string }>('SELECT digest FROM s3_parts WHERE upload_id = ?'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/** The rank of a key's current object in versionsPage's order: above every noncurrent version's id. */
const CURRENT_RANK = Number.MAX_SAFE_INTEGER;
/** An upper bound past every key (keys are at most 1,024 bytes of UTF-8). */
const MAX_KEY_BOUND = '\u{10FFFF}'.repeat(1025);

/** A new version id: 32 URL-safe characters, as AWS's are. */
function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

/** AWS refuses a version id that none of its ids could be with 400 InvalidArgument; so do we. */
function assertVersionId(versionId: string): void {
  if (versionId !== 'null' && !/^[A-Za-z0-9._-]{1,1024}$/.test(versionId)) throw new InvalidArgumentError('Invalid version id specified', 'versionId', versionId);
}

function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new InvalidArgumentError('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', String(partNumber));
  }
}

/**
 * Which checksum a completed multipart object gets. The algorithm is the upload's, or else the one the
 * Complete request sent a value for. The type is the request's `x-amz-checksum-type`; without one, a
 * sent value is taken as FULL_OBJECT (a CRC) unless it ends in `-N` or its algorithm only allows
 * COMPOSITE; with neither, the algorithm's default (COMPOSITE, FULL_OBJECT for CRC64NVME).
 * @returns undefined when neither the upload nor the request names an algorithm
 * @throws ChecksumAlgorithmMismatchError - the request's value is of another algorithm than the upload's
 * @throws ChecksumTypeNotAllowedError - FULL_OBJECT with SHA-1/SHA-256, COMPOSITE with CRC64NVME
 */
function completionChecksumPlan(
  uploadAlgorithm: ChecksumAlgorithm | undefined,
  requested: CompletionChecksum,
): { algorithm: ChecksumAlgorithm; type: ChecksumType; expected?: string } | undefined {
  const sent = requested.expected;
  if (sent && uploadAlgorithm && sent.algorithm !== uploadAlgorithm) throw new ChecksumAlgorithmMismatchError(uploadAlgorithm, sent.algorithm);
  const algorithm = sent?.algorithm ?? uploadAlgorithm;
  if (!algorithm) return undefined;
  let type = requested.type;
  if (type === undefined && sent) type = /-\d+$/.test(sent.value) || !allowsChecksumType(algorithm, 'FULL_OBJECT') ? 'COMPOSITE' : 'FULL_OBJECT';
  type ??= defaultChecksumType(algorithm);
  if (!allowsChecksumType(algorithm, type)) throw new ChecksumTypeNotAllowedError(type, algorithm);
  return { algorithm, type, ...(sent ? { expected: sent.value } : {}) };
}

/** A composite checksum sent on Complete matches with or without its `-N`. */
function matchesComposite(sent: string, computed: string | undefined): boolean {
  if (computed === undefined) return false;
  return sent === computed || sent === computed.replace(/-\d+$/, '');
}

function unquote(etag: string): string {
  return etag.trim().replace(/^"(.*)"$/, '$1');
}

/** If-Match style lists: `"a", "b"` or `*`. */
export function etagListMatches(list: string, etag: string): boolean {
  return list.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || unquote(value.replace(/^W\//, '')) === etag;
  });
}

/** Byte order of UTF-8, which is also code point order (and SQLite's BINARY order for our TEXT). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The least string greater than every string that starts with `prefix`: the last code point plus one
 * (skipping the surrogate range). Undefined when no such string exists.
 */
export function successor(prefix: string): string | undefined {
  const codePoints = Array.from(prefix);
  while (codePoints.length > 0) {
    const last = codePoints.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return codePoints.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

function toObjectPart(row: PartRow): ObjectPart {
  return {
    partNumber: row.part_number,
    size: row.size,
    ...(row.checksum_algorithm && row.checksum_value ? { checksum: { algorithm: row.checksum_algorithm as ChecksumAlgorithm, value: row.checksum_value } } : {}),
  };
}

function toObjectRecord(row: ObjectRow): ObjectRecord {
  return {
    bucket: row.bucket,
    key: row.key,
    digest: row.digest,
    size: row.size,
    etag: row.etag,
    contentType: row.content_type,
    systemMetadata: JSON.parse(row.system_metadata) as Record<string, string>,
    userMetadata: JSON.parse(row.user_metadata) as Record<string, string>,
    lastModified: row.last_modified,
    ...(row.checksum_algorithm && row.checksum_value
      ? { checksum: { algorithm: row.checksum_algorithm as ChecksumAlgorithm, value: row.checksum_value, type: (row.checksum_type ?? 'FULL_OBJECT') as StoredChecksum['type'] } }
      : {}),
    ...(row.parts_count !== null ? { partsCount: row.parts_count } : {}),
    ...(row.version_id !== null && row.version_id !== 'null' ? { versionId: row.version_id } : {}),
  };
}

function toSummary(row: SummaryRow): ObjectSummary {
  return {
    key: row.key,
    size: row.size,
    etag: row.etag,
    lastModified: row.last_modified,
    ...(row.checksum_algorithm ? { checksumAlgorithm: row.checksum_algorithm as ChecksumAlgorithm } : {}),
    ...(row.checksum_type ? { checksumType: row.checksum_type as StoredChecksum['type'] } : {}),
  };
}

function toUploadRecord(row: UploadRow): UploadRecord {
  return {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key,
    initiated: row.initiated,
    ...(row.checksum_algorithm ? { checksumAlgorithm: row.checksum_algorithm as ChecksumAlgorithm } : {}),
  };
}

function toPartRecord(row: PartRow): PartRecord {
  return {
    partNumber: row.part_number,
    digest: row.digest,
    size: row.size,
    etag: row.etag,
    lastModified: row.last_modified,
    ...(row.checksum_algorithm && row.checksum_value ? { checksum: { algorithm: row.checksum_algorithm as ChecksumAlgorithm, value: row.checksum_value } } : {}),
  };
}

