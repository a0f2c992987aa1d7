// S3 objects and their versions: putting, reading (whole, by range or part), copying, deleting (with delete
// markers under versioning) and listing them in UTF-8 key order. Multipart uploads are multipart.ts's.
import { closeSync, openSync, readSync, createReadStream } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import type { BlobDraft } from '../../state/blobs.js';
import { md5 } from './checksums.js';
import {
  InvalidArgument,
  InvalidPart,
  InvalidRequest,
  InternalError,
  NoSuchBucket,
  NoSuchKey,
  NoSuchVersion,
  PreconditionFailed,
  MethodNotAllowed,
} from './errors.js';
import { NotImplemented } from '../../core/errors.js';
import { assertValidKey } from './names.js';
import type {
  DeleteOutcome,
  ListParams,
  ListPosition,
  ListResult,
  ObjectAttributes,
  ObjectPart,
  ObjectRecord,
  Preconditions,
  RequestInfo,
  StagedBody,
  VersionListParams,
  VersionListResult,
  VersioningStatus,
} from './records.js';
import { CURRENT_RANK, S3Tables, StorePart, toObjectRecord, toSummary, type ObjectRow, type SummaryRow } from './tables.js';
import { ObjectBodies } from './bodies.js';
import { Buckets } from './buckets.js';
import { S3Events } from './events.js';

/** Bodies up to this size are read in one go for GetObject; larger ones are streamed from the blob file. */
const READ_WHOLE_BYTES = 256 * 1024;

export class Objects extends StorePart {
  constructor(
    tables: S3Tables,
    private readonly buckets: Buckets,
    private readonly bodies: ObjectBodies,
    private readonly events: S3Events,
  ) {
    super(tables);
  }

  // ---------------------------------------------------------------- objects

  /**
   * Stores an object. Acknowledge it only after this resolves: the blob is written and the row committed,
   * and any matching event is already in Lambda's queue.
   * @throws NoSuchBucket, KeyTooLongError, PreconditionFailed
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
    const record = await this.bodies.commitBody(body, (digest) => {
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
    this.events.emitEvent('ObjectCreated:Put', record, request);
    return record;
  }

  /**
   * What a PutObject can be refused for before its body is read: the key, the bucket, the preconditions.
   * @throws NoSuchBucket, KeyTooLongError, PreconditionFailed
   */
  checkObjectWrite(bucket: string, key: string, preconditions: Preconditions = {}): void {
    assertValidKey(key);
    this.buckets.getBucket(bucket);
    this.checkWritePreconditions(bucket, key, preconditions);
  }

  /** A blob draft for a body being received; the caller places it through putObject/uploadPart or discards it. */
  draftBody(): BlobDraft {
    return this.context.blobs.draft();
  }

  /** Conditional writes (If-None-Match: *, If-Match: etag), checked against the current object. */
  checkWritePreconditions(bucket: string, key: string, preconditions: Preconditions): void {
    if (preconditions.ifNoneMatch === undefined && preconditions.ifMatch === undefined) return;
    const current = this.sql.objectDigest.get(bucket, key);
    if (preconditions.ifNoneMatch !== undefined && current) throw new PreconditionFailed('If-None-Match');
    if (preconditions.ifMatch !== undefined) {
      if (!current) throw new NoSuchKey(key);
      if (!etagListMatches(preconditions.ifMatch, current.etag)) throw new PreconditionFailed('If-Match');
    }
  }


  private writeObjectRow(record: ObjectRecord): void {
    const replaced = this.db.transaction(() => this.upsertObjectRow(record))();
    this.bodies.releaseBlobs(replaced.filter((digest) => digest !== record.digest));
  }

  /**
   * Inside a transaction: makes the record the key's current object, under the bucket's versioning: never
   * versioned, it replaces the object; Enabled, it gets a new version id and the object it follows becomes a
   * noncurrent version; Suspended, it is the `null` version, replacing any earlier `null` version or marker.
   * Sets `record.versionId`. @returns the digests of what it replaced, for release after commit
   */
  upsertObjectRow(record: ObjectRecord): string[] {
    if (!this.sql.bucket.get(record.bucket)) throw new NoSuchBucket(record.bucket);
    const status = this.buckets.versioningStatus(record.bucket);
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


  /**
   * The parts a multipart object was completed from (number, size, checksum), or undefined for an object
   * written whole.
   */
  objectParts(record: ObjectRecord): ObjectPart[] | undefined {
    if (record.partsCount === undefined) return undefined;
    const completed = this.sql.multipartObject.get(record.bucket, record.key);
    if (!completed || completed.etag !== record.etag) {
      // Completed by an earlier version of the local cloud, which did not record its parts.
      throw new NotImplemented('reading the parts of an object completed before parts were recorded');
    }
    return JSON.parse(completed.parts) as ObjectPart[];
  }

  /**
   * The byte range of part `partNumber` of an object (GET/HEAD ?partNumber): the whole object is its own
   * part 1 when it was not uploaded in parts.
   * @throws InvalidPart - no such part (AWS answers 400 InvalidPart; so do we)
   */
  objectPartRange(record: ObjectRecord, partNumber: number): { start: number; end: number } | undefined {
    if (partNumber > (record.partsCount ?? 1)) throw new InvalidPart(undefined, partNumber, record.etag);
    const parts = this.objectParts(record);
    if (!parts) return record.size === 0 ? undefined : { start: 0, end: record.size - 1 };
    const index = parts.findIndex((part) => part.partNumber === partNumber);
    if (index < 0) throw new InvalidPart(undefined, partNumber, record.etag);
    const start = parts.slice(0, index).reduce((total, part) => total + part.size, 0);
    const size = parts[index]!.size;
    return size === 0 ? undefined : { start, end: start + size - 1 };
  }

  /** @throws NoSuchBucket, NoSuchKey */
  getObject(bucket: string, key: string, versionId?: string): ObjectRecord {
    const row = this.sql.object.get(bucket, key);
    if (versionId === undefined) {
      if (row) return toObjectRecord(row);
      this.buckets.getBucket(bucket);
      // AWS answers a key whose latest version is a delete marker with 404 NoSuchKey, saying so in headers.
      const newest = this.sql.newestVersion.get(bucket, key);
      throw new NoSuchKey(key, newest?.delete_marker ? { 'x-amz-delete-marker': 'true', 'x-amz-version-id': newest.version_id } : {});
    }
    if (row && (row.version_id ?? 'null') === versionId) return toObjectRecord(row);
    this.buckets.getBucket(bucket);
    assertVersionId(versionId);
    const version = this.sql.version.get(bucket, key, versionId);
    if (!version) throw new NoSuchVersion(key, versionId);
    // A delete marker has no body: AWS answers 405 for a GET or HEAD of one by id.
    if (version.delete_marker || version.digest === null) throw MethodNotAllowed.deleteMarker(versionId);
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
   * @throws InvalidRequest - copying an object onto itself without replacing anything
   */
  async copyObject(
    source: { bucket: string; key: string; versionId?: string },
    target: { bucket: string; key: string },
    options: { directive: 'COPY' | 'REPLACE'; attributes: ObjectAttributes; preconditions?: Preconditions },
    request: RequestInfo,
  ): Promise<ObjectRecord> {
    assertValidKey(target.key);
    const sourceRecord = this.getObject(source.bucket, source.key, source.versionId);
    this.buckets.getBucket(target.bucket);
    if (source.bucket === target.bucket && source.key === target.key && source.versionId === undefined && options.directive === 'COPY') {
      // AWS refuses a self-copy that changes nothing; so do we.
      throw new InvalidRequest(
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
    if (!this.context.blobs.has(copied.digest)) throw new NoSuchKey(source.key);
    this.writeObjectRow(copied);
    this.events.emitEvent('ObjectCreated:Copy', copied, request);
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
    this.buckets.getBucket(bucket);
    for (const entry of entries) if (entry.versionId !== undefined) assertVersionId(entry.versionId);
    const released: string[] = [];
    const events: { key: string; marker: boolean }[] = [];
    const results = this.db.transaction(() => {
      const status = this.buckets.versioningStatus(bucket);
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
    this.bodies.releaseBlobs(released);
    for (const event of events) {
      this.events.emitEvent(event.marker ? 'ObjectRemoved:DeleteMarkerCreated' : 'ObjectRemoved:Delete', { bucket, key: event.key }, request);
    }
    return results;
  }

  /**
   * ListObjectVersions: every version and delete marker, by key, newest first within a key, resuming after
   * (key-marker, version-id-marker); a key-marker alone resumes after all of that key's versions.
   */
  listObjectVersions(bucket: string, params: VersionListParams): VersionListResult {
    this.buckets.getBucket(bucket);
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
    this.buckets.getBucket(bucket);
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
    return this.tables.listSql(
      `SELECT key, size, etag, last_modified, checksum_algorithm, checksum_type FROM s3_objects
       WHERE bucket = ? AND key ${inclusive ? '>=' : '>'} ? ${bounded ? 'AND key < ?' : ''} ORDER BY key LIMIT ?`,
    ) as Database.Statement<unknown[], SummaryRow>;
  }
}

/** An upper bound past every key (keys are at most 1,024 bytes of UTF-8). */
const MAX_KEY_BOUND = '\u{10FFFF}'.repeat(1025);

/** A new version id: 32 URL-safe characters, as AWS's are. */
function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

/** AWS refuses a version id that none of its ids could be with 400 InvalidArgument; so do we. */
function assertVersionId(versionId: string): void {
  if (versionId !== 'null' && !/^[A-Za-z0-9._-]{1,1024}$/.test(versionId)) throw new InvalidArgument('Invalid version id specified', 'versionId', versionId);
}

export function unquote(etag: string): string {
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
