// S3 multipart uploads: creating an upload, receiving and copying parts, completing it into an object (with
// its composite or full-object checksum) or aborting it, and listing uploads and parts.
import { createHash, randomBytes } from 'node:crypto';
import type { BlobDraft } from '../../state/blobs.js';
import {
  allowsChecksumType,
  compositeChecksum,
  defaultChecksumType,
  md5,
  multipartEtag,
  runningChecksum,
  type ChecksumAlgorithm,
  type ChecksumType,
} from './checksums.js';
import {
  BadDigest,
  EntityTooSmall,
  InvalidArgument,
  InvalidPart,
  InvalidPartOrder,
  InvalidRange,
  InternalError,
  MalformedXML,
  NoSuchUpload,
  InvalidRequest,
} from './errors.js';
import { assertValidKey } from './names.js';
import type {
  CompletedPart,
  CompletionChecksum,
  ObjectAttributes,
  ObjectRecord,
  PartRecord,
  Preconditions,
  RequestInfo,
  StagedBody,
  StoredChecksum,
  UploadRecord,
} from './records.js';
import { S3Tables, StorePart, toObjectPart, toObjectRecord, toUploadRecord, toPartRecord, type PartRow } from './tables.js';
import { ObjectBodies } from './bodies.js';
import { Buckets } from './buckets.js';
import { S3Events } from './events.js';
import { Objects, unquote } from './objects.js';

/** S3 refuses multipart parts below 5 MiB, except the last; so do we. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PART_NUMBER = 10_000;

export class MultipartUploads extends StorePart {
  constructor(
    tables: S3Tables,
    private readonly buckets: Buckets,
    private readonly objects: Objects,
    private readonly bodies: ObjectBodies,
    private readonly events: S3Events,
  ) {
    super(tables);
  }

  // ---------------------------------------------------------------- multipart uploads

  createMultipartUpload(bucket: string, key: string, attributes: Omit<ObjectAttributes, 'checksum'> & { checksumAlgorithm?: ChecksumAlgorithm }): UploadRecord {
    assertValidKey(key);
    this.buckets.getBucket(bucket);
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

  /** @throws NoSuchUpload - unknown id, or one that belongs to another bucket or key */
  getUpload(bucket: string, key: string, uploadId: string): UploadRecord {
    this.buckets.getBucket(bucket);
    const row = this.sql.upload.get(uploadId);
    if (!row || row.bucket !== bucket || row.key !== key) throw new NoSuchUpload(uploadId);
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
    return this.bodies.commitBody(body, (digest) => this.writePart(uploadId, { partNumber, digest, size, etag, lastModified: Date.now(), ...(checksum ? { checksum } : {}) }));
  }

  /** UploadPartCopy: a part made of (a range of) an existing object. */
  async uploadPartCopy(
    target: { bucket: string; key: string; uploadId: string; partNumber: number },
    source: { bucket: string; key: string; versionId?: string },
    range?: { start: number; end: number },
  ): Promise<PartRecord> {
    assertPartNumber(target.partNumber);
    this.getUpload(target.bucket, target.key, target.uploadId);
    const sourceRecord = this.objects.getObject(source.bucket, source.key, source.versionId);
    if (range && (range.start > range.end || range.end >= sourceRecord.size)) {
      // AWS answers a copy range outside the source with InvalidRange (416); so do we.
      throw new InvalidRange(`bytes=${range.start}-${range.end}`, sourceRecord.size);
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
   * @throws NoSuchKey - the blob is gone (its object was deleted meanwhile)
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
      if (!this.sql.upload.get(uploadId)) throw new NoSuchUpload(uploadId);
      const previous = this.sql.part.get(uploadId, part.partNumber);
      this.sql.upsertPart.run(uploadId, part.partNumber, part.digest, part.size, part.etag, part.lastModified, part.checksum?.algorithm ?? null, part.checksum?.value ?? null);
      return previous?.digest;
    })();
    if (replaced !== undefined && replaced !== part.digest) this.bodies.releaseBlob(replaced);
    return part;
  }

  /**
   * Assembles the listed parts into the object. Parts must be ascending, exist with the given ETags,
   * and all but the last be at least 5 MiB, as S3 requires. The object's checksum is COMPOSITE (the
   * checksum of the part checksums, `-N`) or FULL_OBJECT (the whole body's, for the CRCs): see
   * completionChecksumPlan. The upload's type is not stored, so it comes from the Complete request.
   * @throws BadDigest - the checksum the request sent does not match the object
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
    this.buckets.getBucket(bucket);
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
    this.objects.checkWritePreconditions(bucket, key, preconditions);
    const plan = completionChecksumPlan(upload.checksumAlgorithm, requested);
    if (listed.length === 0) throw new MalformedXML();
    const stored = new Map(this.sql.parts.all(uploadId).map((row) => [row.part_number, row]));
    const chosen: PartRow[] = [];
    let previousNumber = 0;
    // A part number may be listed more than once when a part was re-sent while its first send was in flight
    // (the client kept both answers): the entry naming the send that landed last is the part, the others
    // name sends it replaced. Numbers must still not go down.
    for (const [index, part] of listed.entries()) {
      if (part.partNumber < previousNumber) throw new InvalidPartOrder(uploadId);
      previousNumber = part.partNumber;
      const row = stored.get(part.partNumber);
      const matches = row !== undefined && unquote(part.etag) === row.etag;
      const sameNumber = listed.filter((other, otherIndex) => otherIndex !== index && other.partNumber === part.partNumber);
      if (!matches && row && sameNumber.some((other) => unquote(other.etag) === row.etag)) continue;
      if (!row || !matches) throw new InvalidPart(uploadId, part.partNumber, part.etag);
      if (chosen[chosen.length - 1]?.part_number === row.part_number) continue;
      for (const [algorithm, value] of Object.entries(part.checksums ?? {})) {
        if (row.checksum_algorithm === algorithm && row.checksum_value !== value) throw new InvalidPart(uploadId, part.partNumber, part.etag);
      }
      chosen.push(row);
    }
    chosen.forEach((row, index) => {
      if (index < chosen.length - 1 && row.size < MIN_PART_BYTES) throw new EntityTooSmall(row.size, MIN_PART_BYTES);
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
          if (!this.sql.upload.get(uploadId)) throw new NoSuchUpload(uploadId);
          throw error;
        }
      }
      let checksum: StoredChecksum | undefined;
      if (plan?.type === 'FULL_OBJECT') {
        checksum = { algorithm: plan.algorithm, value: running!.digest(), type: 'FULL_OBJECT' };
        // AWS names the algorithm in lower case here ("The crc32c you specified...", LocalStack's recordings); so do we.
        if (plan.expected !== undefined && plan.expected !== checksum.value) throw new BadDigest(plan.algorithm.toLowerCase());
      } else if (plan) {
        const { algorithm } = plan;
        checksum = chosen.every((row) => row.checksum_algorithm === algorithm && row.checksum_value)
          ? { algorithm, value: compositeChecksum(algorithm, chosen.map((row) => row.checksum_value!)), type: 'COMPOSITE' }
          : undefined;
        if (plan.expected !== undefined && !matchesComposite(plan.expected, checksum?.value)) throw new BadDigest(algorithm.toLowerCase());
      }
      const uploadRow = this.sql.upload.get(uploadId);
      if (!uploadRow) throw new NoSuchUpload(uploadId);
      const etag = multipartEtag(chosen.map((row) => row.etag));
      const staged: StagedBody = { draft, size: draft.size, md5: Buffer.alloc(0) };
      record = await this.bodies.commitBody(staged, (digest) => {
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
          if (!this.sql.upload.get(uploadId)) throw new NoSuchUpload(uploadId);
          this.objects.checkWritePreconditions(bucket, key, preconditions);
          const digests = this.sql.partDigests.all(uploadId).map((row) => row.digest);
          const replaced = this.objects.upsertObjectRow(created);
          this.sql.putMultipartObject.run(bucket, key, uploadId, etag, JSON.stringify(chosen.map(toObjectPart)));
          this.sql.deleteUpload.run(uploadId);
          return [...digests, ...replaced];
        })();
        this.bodies.releaseBlobs(partDigests.filter((digest) => digest !== created.digest));
        return created;
      });
    } finally {
      draft.discard();
    }
    this.events.emitEvent('ObjectCreated:CompleteMultipartUpload', record, request);
    return record;
  }

  abortMultipartUpload(bucket: string, key: string, uploadId: string): void {
    this.getUpload(bucket, key, uploadId);
    const digests = this.db.transaction(() => {
      const found = this.sql.partDigests.all(uploadId).map((row) => row.digest);
      this.sql.deleteUpload.run(uploadId);
      return found;
    })();
    this.bodies.releaseBlobs(digests);
  }

  listParts(bucket: string, key: string, uploadId: string, options: { maxParts: number; partNumberMarker: number }): { upload: UploadRecord; parts: PartRecord[]; isTruncated: boolean } {
    const upload = this.getUpload(bucket, key, uploadId);
    const rows = this.sql.partsPage.all(uploadId, options.partNumberMarker, options.maxParts + 1);
    return { upload, parts: rows.slice(0, options.maxParts).map(toPartRecord), isTruncated: rows.length > options.maxParts };
  }

  listMultipartUploads(bucket: string, options: { prefix: string; keyMarker: string; maxUploads: number }): { uploads: UploadRecord[]; isTruncated: boolean } {
    this.buckets.getBucket(bucket);
    const rows = this.sql.listUploads.all(bucket, options.keyMarker, options.prefix, options.prefix, options.maxUploads + 1);
    return { uploads: rows.slice(0, options.maxUploads).map(toUploadRecord), isTruncated: rows.length > options.maxUploads };
  }

}

function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new InvalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', String(partNumber));
  }
}

/**
 * Which checksum a completed multipart object gets. The algorithm is the upload's, or else the one the
 * Complete request sent a value for. The type is the request's `x-amz-checksum-type`; without one, a
 * sent value is taken as FULL_OBJECT (a CRC) unless it ends in `-N` or its algorithm only allows
 * COMPOSITE; with neither, the algorithm's default (COMPOSITE, FULL_OBJECT for CRC64NVME).
 * @returns undefined when neither the upload nor the request names an algorithm
 * @throws InvalidRequest - the request's value is of another algorithm than the upload's
 * @throws InvalidRequest - FULL_OBJECT with SHA-1/SHA-256, COMPOSITE with CRC64NVME
 */
function completionChecksumPlan(
  uploadAlgorithm: ChecksumAlgorithm | undefined,
  requested: CompletionChecksum,
): { algorithm: ChecksumAlgorithm; type: ChecksumType; expected?: string } | undefined {
  const sent = requested.expected;
  if (sent && uploadAlgorithm && sent.algorithm !== uploadAlgorithm) throw InvalidRequest.checksumAlgorithmMismatch(uploadAlgorithm, sent.algorithm);
  const algorithm = sent?.algorithm ?? uploadAlgorithm;
  if (!algorithm) return undefined;
  let type = requested.type;
  if (type === undefined && sent) type = /-\d+$/.test(sent.value) || !allowsChecksumType(algorithm, 'FULL_OBJECT') ? 'COMPOSITE' : 'FULL_OBJECT';
  type ??= defaultChecksumType(algorithm);
  if (!allowsChecksumType(algorithm, type)) throw InvalidRequest.checksumTypeNotAllowed(type, algorithm);
  return { algorithm, type, ...(sent ? { expected: sent.value } : {}) };
}

/** A composite checksum sent on Complete matches with or without its `-N`. */
function matchesComposite(sent: string, computed: string | undefined): boolean {
  if (computed === undefined) return false;
  return sent === computed || sent === computed.replace(/-\d+$/, '');
}
