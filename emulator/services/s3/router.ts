// S3's REST-XML wire protocol: the route table (operation -> handler) and the loop around it. The operation comes
// from operations.ts, request decoding from request.ts (bodies, preconditions, ranges, tokens) and payload.ts
// (framing, checksums), XML answers from responses.ts. Rules and state live in the store. Signatures are
// read for the caller's identity but not verified; presigned URLs are only checked for expiry.
import { randomBytes } from 'node:crypto';
import type { PublicAccessBlockConfiguration, ServerSideEncryptionRule, Tag } from '@aws-sdk/client-s3';
import type { CloudContext } from '../../core/context.js';
import { AwsError, NotImplemented } from '../../core/errors.js';
import { header, type ServiceRequest, type ServiceResponse, type ServiceRouter } from '../../core/http.js';
import { CHECKSUM_ALGORITHMS, allowsChecksumType, checksumHeaderName, defaultChecksumType, parseChecksumAlgorithm } from './checksums.js';
import { readPayload, receivePayload } from './payload.js';
import {
  AccessDenied,
  AccessForbidden,
  BadRequest,
  InvalidBucketOwnerAWSAccountID,
  InvalidArgument,
  InvalidRequest,
  MalformedXML,
  SlowDown,
  s3ErrorResponse,
} from './errors.js';
import { compareUtf8 } from './objects.js';
import { type CompletedPart, type ListPosition, type ObjectRecord, type RequestInfo, type S3Store } from './store.js';
import { child, children, text } from './xml.js';
import { Authorizer } from '../../core/authorize.js';
import { parseTarget, resolveOperation } from './operations.js';
import {
  callOf,
  checkPresignedExpiry,
  decodeToken,
  encodeToken,
  encodingFor,
  evaluateCopySourcePreconditions,
  evaluateReadPreconditions,
  firstForwardedFor,
  objectAttributes,
  parseBody,
  parseCopySource,
  parseMaxKeys,
  parsePartNumber,
  parseRange,
  positionAfter,
  readChecksumType,
  tagEntries,
  writePreconditions,
} from './request.js';
import {
  checksumHeaders,
  completeMultipartUploadDocument,
  copyObjectResultDocument,
  copyPartResultDocument,
  deleteResultDocument,
  encryptionDocument,
  initiateMultipartUploadDocument,
  listBucketsDocument,
  listMultipartUploadsDocument,
  listObjectsDocument,
  listPartsDocument,
  listVersionsDocument,
  locationDocument,
  notificationConfigurationDocument,
  objectAttributesDocument,
  objectHeaders,
  publicAccessBlockDocument,
  taggingDocument,
  versioningDocument,
  xml,
  type DeleteResultEntry,
  type ObjectListingHead,
  type VersionListingHead,
} from './responses.js';
import { parseNotificationConfiguration } from './notification-xml.js';
import { objectPermission, s3Requirement, S3_OPERATION_PERMISSIONS } from './actions.js';

/** One request being answered: what handlers need beyond the store. */
interface S3Call {
  request: ServiceRequest;
  bucket: string;
  key: string;
  info: RequestInfo;
}

type Handler = (call: S3Call) => Promise<ServiceResponse> | ServiceResponse;

/** The operations that store a body: refused while the disk is full. */
const BODY_WRITES = new Set(['PutObject', 'UploadPart', 'UploadPartCopy', 'CopyObject', 'CompleteMultipartUpload']);

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

export class S3Router implements ServiceRouter {
  readonly name = 's3';
  private readonly handlers: Record<string, Handler>;
  private readonly authorizer: Authorizer;

  constructor(
    private readonly store: S3Store,
    private readonly context: CloudContext,
  ) {
    this.authorizer = new Authorizer(context, 's3');
    // Each operation's IAM action and resource are in actions.ts (S3_OPERATION_PERMISSIONS), keyed the same.
    this.handlers = {
      ListBuckets: (call) => this.listBuckets(call),
      CreateBucket: (call) => this.createBucket(call),
      HeadBucket: (call) => this.headBucket(call),
      DeleteBucket: (call) => this.deleteBucket(call),
      GetBucketLocation: (call) => this.getBucketLocation(call),
      GetBucketVersioning: (call) => this.getBucketVersioning(call),
      PutBucketVersioning: (call) => this.putBucketVersioning(call),
      ListObjects: (call) => this.listObjects(call, 1),
      ListObjectsV2: (call) => this.listObjects(call, 2),
      ListObjectVersions: (call) => this.listObjectVersions(call),
      PutObject: (call) => this.putObject(call),
      GetObject: (call) => this.getObject(call, false),
      HeadObject: (call) => this.getObject(call, true),
      GetObjectAttributes: (call) => this.getObjectAttributes(call),
      CopyObject: (call) => this.copyObject(call),
      DeleteObject: (call) => this.deleteObject(call),
      DeleteObjects: (call) => this.deleteObjects(call),
      CreateMultipartUpload: (call) => this.createMultipartUpload(call),
      UploadPart: (call) => this.uploadPart(call),
      UploadPartCopy: (call) => this.uploadPartCopy(call),
      CompleteMultipartUpload: (call) => this.completeMultipartUpload(call),
      AbortMultipartUpload: (call) => this.abortMultipartUpload(call),
      ListParts: (call) => this.listParts(call),
      ListMultipartUploads: (call) => this.listMultipartUploads(call),
      PutPublicAccessBlock: (call) => this.putPublicAccessBlock(call),
      GetPublicAccessBlock: (call) => this.getPublicAccessBlock(call),
      DeletePublicAccessBlock: (call) => this.noContent(() => this.store.buckets.deletePublicAccessBlock(call.bucket)),
      PutBucketEncryption: (call) => this.putBucketEncryption(call),
      GetBucketEncryption: (call) => this.getBucketEncryption(call),
      DeleteBucketEncryption: (call) => this.noContent(() => this.store.buckets.deleteBucketEncryption(call.bucket)),
      PutBucketTagging: (call) => this.putBucketTagging(call),
      GetBucketTagging: (call) => this.getBucketTagging(call),
      DeleteBucketTagging: (call) => this.noContent(() => this.store.buckets.deleteBucketTagging(call.bucket)),
      PutBucketNotificationConfiguration: (call) => this.putNotificationConfiguration(call),
      GetBucketNotificationConfiguration: (call) => this.getNotificationConfiguration(call),
    };
  }

  /** Every operation this router implements (each has its IAM action in actions.ts). */
  get operationNames(): string[] {
    return Object.keys(this.handlers);
  }

  async handle(request: ServiceRequest): Promise<ServiceResponse> {
    const hostId = randomBytes(24).toString('base64');
    let resource = request.path;
    try {
      const target = parseTarget(request.rawTarget ?? `${request.rawPath}${request.query.size ? `?${request.query}` : ''}`, request.host);
      resource = target.resource;
      if (this.context.faults.shouldThrottle()) throw new SlowDown();
      checkPresignedExpiry(request);
      if (request.method === 'OPTIONS') this.refusePreflight(request, target.bucket);
      const operation = resolveOperation(request.method, target, request.query, request.headers);
      const handler = Object.hasOwn(this.handlers, operation) ? this.handlers[operation] : undefined;
      if (!handler) throw new NotImplemented(operation.replace(/^NotImplemented:/, ''));
      // Keys that stand for a role (a function's, an assumed role's): the call must be allowed by the role's policies.
      this.authorizer.check(request.caller, () => s3Requirement(operation, callOf(operation, target, request)), operation);
      // On a full disk, writes of bodies are refused at once (they would eat the room deletes need); deletes
      // and reads go on.
      this.checkBucketOwnerCondition(request, operation, target.bucket);
      if (BODY_WRITES.has(operation)) this.context.disk?.assertWritable();
      const info: RequestInfo = {
        requestId: request.requestId,
        hostId,
        principalId: request.caller ? `AWS:${request.caller.accessKeyId}` : 'ANONYMOUS',
        sourceIp: (request.sourceIp ?? firstForwardedFor(request) ?? '127.0.0.1').replace(/^::ffff:/, ''),
        traceHeader: header(request, 'x-amzn-trace-id'),
        receivedAt: request.receivedAt,
        operation,
      };
      const response = await handler({ request, bucket: target.bucket ?? '', key: target.key ?? '', info });
      return { ...response, headers: { 'x-amz-id-2': hostId, ...response.headers } };
    } catch (error) {
      if (error instanceof AwsError) {
        if (error.status >= 500) this.context.log(`s3: ${request.method} ${resource}: ${error.stack ?? error.message}`);
        return s3ErrorResponse(error, { method: request.method, resource, requestId: request.requestId, hostId });
      }
      throw error;
    }
  }

  /**
   * The bucket owner condition: `x-amz-expected-bucket-owner` (and `x-amz-source-expected-bucket-owner` for a copy's
   * source) name the account the caller expects to own the bucket. Every bucket here is the one account's, so
   * another account's id is refused as AWS refuses it, with a bare AccessDenied; a bucket that does not exist is
   * left to the handler's NoSuchBucket.
   */
  private checkBucketOwnerCondition(request: ServiceRequest, operation: string, bucket: string | undefined): void {
    const expected = header(request, 'x-amz-expected-bucket-owner');
    if (expected !== undefined && bucket !== undefined && operation !== 'CreateBucket') this.checkOwner(expected, bucket);
    const expectedSource = header(request, 'x-amz-source-expected-bucket-owner');
    if (expectedSource !== undefined && (operation === 'CopyObject' || operation === 'UploadPartCopy')) {
      this.checkOwner(expectedSource, parseCopySource(header(request, 'x-amz-copy-source') ?? '').bucket);
    }
  }

  private checkOwner(expected: string, bucket: string): void {
    if (!/^\d{12}$/.test(expected.trim())) throw new InvalidBucketOwnerAWSAccountID();
    if (expected.trim() !== this.context.settings.accountId && this.store.buckets.hasBucket(bucket)) throw new AccessDenied();
  }

  /**
   * A CORS preflight that reached S3 (the server answers those from allowed origins itself): AWS answers one
   * without Origin with BadRequest, and one for a bucket without a CORS configuration with AccessForbidden;
   * no bucket has one here (PutBucketCors is not emulated).
   */
  private refusePreflight(request: ServiceRequest, bucket: string | undefined): never {
    if (header(request, 'origin') === undefined) throw BadRequest.originNeeded();
    const method = header(request, 'access-control-request-method') ?? 'OPTIONS';
    const exists = bucket !== undefined && this.store.buckets.hasBucket(bucket);
    throw new AccessForbidden(exists ? 'CORS is not enabled for this bucket.' : 'Bucket not found', method);
  }

  /**
   * Object bodies (PutObject, UploadPart: up to the cloud's 256 MiB) are read as they arrive, into a temporary
   * blob, never whole. (A signature is checked against x-amz-content-sha256 as declared, which every SigV4 S3
   * request carries; the body is checked against it here.)
   */
  streamsBody(request: ServiceRequest): boolean {
    try {
      const operation = resolveOperation(request.method, parseTarget(request.rawTarget ?? request.rawPath, request.host), request.query, request.headers);
      return operation === 'PutObject' || operation === 'UploadPart';
    } catch {
      return false;
    }
  }

  /** S3's XML error for what the server refuses before routing (signatures, body size, internal failures). */
  errorResponse(error: AwsError, request: ServiceRequest): ServiceResponse {
    let resource = request.path;
    try {
      resource = parseTarget(request.rawTarget ?? request.rawPath, request.host).resource;
    } catch {
      /* an unparseable target: report the path as it was decoded */
    }
    return s3ErrorResponse(error, { method: request.method, resource, requestId: request.requestId, hostId: randomBytes(24).toString('base64') });
  }

  // ---------------------------------------------------------------- buckets

  private listBuckets({ request }: S3Call): ServiceResponse {
    const prefix = request.query.get('prefix') ?? undefined;
    const region = request.query.get('bucket-region') ?? undefined;
    const maxBuckets = parseMaxKeys(request.query.get('max-buckets'), 10_000, 'max-buckets');
    const after = decodeToken(request.query.get('continuation-token'))?.value;
    const all = this.store.buckets.listBuckets({ ...(prefix !== undefined ? { prefix } : {}), ...(region !== undefined ? { region } : {}) });
    const remaining = after === undefined ? all : all.filter((bucket) => compareUtf8(bucket.name, after) > 0);
    const page = remaining.slice(0, maxBuckets);
    const truncated = remaining.length > page.length;
    const token = truncated ? encodeToken({ value: page[page.length - 1]!.name, inclusive: false }) : undefined;
    return xml(200, listBucketsDocument(this.store.owner.id, page, token, prefix));
  }

  private createBucket({ request, bucket }: S3Call): ServiceResponse {
    let locationConstraint: string | undefined;
    let tags: Tag[] | undefined;
    const body = readPayload(request).payload;
    if (body.length > 0) {
      const root = child(parseBody(body), 'CreateBucketConfiguration');
      if (!root) throw new MalformedXML();
      locationConstraint = text(root, 'LocationConstraint') || undefined;
      // Tags at creation (general purpose buckets take them since 2025): checked before the bucket exists.
      const tagSet = child(root, 'Tags');
      if (tagSet) tags = this.store.buckets.validBucketTags(tagEntries(tagSet));
    }
    this.store.buckets.createBucket(bucket, request.region, locationConstraint);
    if (tags) this.store.buckets.putBucketTagging(bucket, tags);
    return { status: 200, headers: { location: `/${bucket}` } };
  }

  private headBucket({ bucket }: S3Call): ServiceResponse {
    const record = this.store.buckets.getBucket(bucket);
    return { status: 200, headers: { 'x-amz-bucket-region': record.region, 'x-amz-access-point-alias': 'false' } };
  }

  private deleteBucket({ bucket }: S3Call): ServiceResponse {
    this.store.buckets.deleteBucket(bucket);
    return { status: 204 };
  }

  private getBucketLocation({ bucket }: S3Call): ServiceResponse {
    return xml(200, locationDocument(this.store.buckets.getBucket(bucket).region));
  }

  private getBucketVersioning({ bucket }: S3Call): ServiceResponse {
    return xml(200, versioningDocument(this.store.buckets.versioningStatus(bucket)));
  }

  private putBucketVersioning({ request, bucket }: S3Call): ServiceResponse {
    const root = child(parseBody(readPayload(request).payload), 'VersioningConfiguration');
    if (!root) throw new MalformedXML();
    const status = text(root, 'Status');
    // AWS refuses any Status but Enabled and Suspended as malformed; so do we. (MFA delete is not emulated.)
    if (status !== 'Enabled' && status !== 'Suspended') throw new MalformedXML();
    this.store.buckets.putBucketVersioning(bucket, status);
    return { status: 200 };
  }

  // ---------------------------------------------------------------- listings

  private listObjects({ request, bucket }: S3Call, version: 1 | 2): ServiceResponse {
    const query = request.query;
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') || undefined;
    const maxKeys = parseMaxKeys(query.get('max-keys'), 1000, 'max-keys');
    const encode = encodingFor(query.get('encoding-type'));
    const token = query.get('continuation-token');
    const startAfter = query.get(version === 2 ? 'start-after' : 'marker') ?? '';
    let start: ListPosition | undefined;
    // AWS takes an empty continuation-token as none (and echoes it); so do we.
    if (version === 2 && token !== null && token !== '') {
      start = decodeToken(token);
      if (!start) throw new InvalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
    } else if (startAfter !== '') {
      start = positionAfter(startAfter, prefix, delimiter);
    }
    const result = this.store.objects.listObjects(bucket, { prefix, delimiter, maxKeys, ...(start ? { start } : {}) });
    const head: ObjectListingHead = {
      version,
      bucket,
      prefix,
      delimiter,
      maxKeys,
      encodingType: query.get('encoding-type') ?? undefined,
      encode,
      continuationToken: version === 2 ? (token ?? undefined) : undefined,
      nextContinuationToken: version === 2 && result.next ? encodeToken(result.next) : undefined,
      startAfter,
      ownerId: version === 1 || query.get('fetch-owner') === 'true' ? this.store.owner.id : undefined,
    };
    return xml(200, listObjectsDocument(head, result));
  }

  private listObjectVersions({ request, bucket }: S3Call): ServiceResponse {
    const query = request.query;
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') || undefined;
    const maxKeys = parseMaxKeys(query.get('max-keys'), 1000, 'max-keys');
    const encode = encodingFor(query.get('encoding-type'));
    const keyMarker = query.get('key-marker') ?? '';
    const versionIdMarker = query.get('version-id-marker') ?? '';
    // AWS refuses a version-id-marker without a key-marker; so do we.
    if (versionIdMarker !== '' && keyMarker === '') throw new InvalidArgument('A version-id marker cannot be specified without a key marker.', 'version-id-marker', versionIdMarker);
    const result = this.store.objects.listObjectVersions(bucket, { prefix, delimiter, maxKeys, keyMarker, versionIdMarker });
    const head: VersionListingHead = {
      bucket,
      prefix,
      delimiter,
      maxKeys,
      encodingType: query.get('encoding-type') ?? undefined,
      encode,
      keyMarker,
      versionIdMarker,
      ownerId: this.store.owner.id,
    };
    return xml(200, listVersionsDocument(head, result));
  }

  /** `x-amz-version-id` for a record in a bucket that has had versioning (`null` for the null version); none otherwise. */
  private versionHeaders(record: { bucket: string; versionId?: string }): Record<string, string> {
    if (record.versionId !== undefined) return { 'x-amz-version-id': record.versionId };
    return this.store.buckets.versioningStatus(record.bucket) === undefined ? {} : { 'x-amz-version-id': 'null' };
  }

  // ---------------------------------------------------------------- objects

  private async putObject({ request, bucket, key, info }: S3Call): Promise<ServiceResponse> {
    // Everything that needs no body is checked before a byte of it is read.
    const attributes = objectAttributes(request, undefined);
    const preconditions = writePreconditions(request);
    this.store.objects.checkObjectWrite(bucket, key, preconditions);
    const draft = this.store.objects.draftBody();
    try {
      const verified = await receivePayload(request, draft);
      const checksum = verified.checksum ? { checksum: { ...verified.checksum, type: 'FULL_OBJECT' as const } } : {};
      const record = await this.store.objects.putObject(bucket, key, { draft, size: verified.size, md5: verified.md5 }, { ...attributes, ...checksum }, info, preconditions);
      return { status: 200, headers: { etag: `"${record.etag}"`, 'x-amz-server-side-encryption': 'AES256', ...checksumHeaders(record.checksum), ...this.versionHeaders(record) } };
    } finally {
      draft.discard();
    }
  }

  private getObject({ request, bucket, key }: S3Call, headOnly: boolean): ServiceResponse {
    // Everything from the lookup to opening the blob runs in one tick, so a concurrent delete cannot
    // remove the file between them.
    const versionId = request.query.get('versionId') ?? undefined;
    const partNumberValue = request.query.get('partNumber');
    const partNumber = partNumberValue === null ? undefined : parsePartNumber(partNumberValue);
    const rangeHeader = header(request, 'range');
    if (partNumber !== undefined && rangeHeader !== undefined) throw new InvalidRequest('Cannot specify both Range header and partNumber query parameter');
    const record = this.store.objects.getObject(bucket, key, versionId);
    const partRange = partNumber === undefined ? undefined : this.store.objects.objectPartRange(record, partNumber);
    const notModified = evaluateReadPreconditions(request, record, '');
    const headers = { ...objectHeaders(record), ...this.versionHeaders(record) };
    if (notModified) {
      return { status: 304, headers: { etag: headers.etag!, 'last-modified': headers['last-modified']! } };
    }
    for (const [parameter, name] of Object.entries(RESPONSE_OVERRIDES)) {
      const value = request.query.get(parameter);
      if (value !== null) headers[name] = value;
    }
    // A part is served as the range of the object it covers, with the object's ETag and its parts count.
    if (partNumber !== undefined) headers['x-amz-mp-parts-count'] = String(record.partsCount ?? 1);
    const range = partRange ?? (rangeHeader === undefined ? undefined : parseRange(rangeHeader, record.size));
    if (header(request, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
      if (partNumber !== undefined) Object.assign(headers, this.partChecksumHeaders(record, partNumber));
      else if (!range) Object.assign(headers, checksumHeaders(record.checksum));
    }
    if (range) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${record.size}`;
      headers['content-length'] = String(range.end - range.start + 1);
    } else {
      headers['content-length'] = String(record.size);
    }
    const status = range ? 206 : 200;
    if (headOnly) return { status, headers };
    return { status, headers, body: this.store.objects.openObjectBody(record, range) };
  }

  /**
   * The checksum of one part, as AWS answers a GET/HEAD by partNumber with checksum mode (LocalStack's recordings): a
   * COMPOSITE object's part has its own checksum; a FULL_OBJECT object's part has none unless it is the whole object.
   */
  private partChecksumHeaders(record: ObjectRecord, partNumber: number): Record<string, string> {
    const checksum = record.checksum;
    if (!checksum) return {};
    if (checksum.type === 'FULL_OBJECT') return (record.partsCount ?? 1) === 1 ? checksumHeaders(checksum) : {};
    const part = this.store.objects.objectParts(record)?.find((candidate) => candidate.partNumber === partNumber);
    return part?.checksum ? { [checksumHeaderName(part.checksum.algorithm)]: part.checksum.value, 'x-amz-checksum-type': 'COMPOSITE' } : {};
  }

  /** GetObjectAttributes: the attributes named in x-amz-object-attributes, the parts paged as ListParts pages. */
  private getObjectAttributes({ request, bucket, key }: S3Call): ServiceResponse {
    const versionId = request.query.get('versionId') ?? undefined;
    const wanted = new Set((header(request, 'x-amz-object-attributes') ?? '').split(',').map((name) => name.trim()).filter((name) => name !== ''));
    const known = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'];
    // AWS refuses a request naming no attribute, or one it does not know, with InvalidArgument; so do we.
    if (wanted.size === 0) throw new InvalidArgument('Missing required header for this request: x-amz-object-attributes', 'x-amz-object-attributes', '');
    const unknown = [...wanted].find((name) => !known.includes(name));
    if (unknown !== undefined) throw new InvalidArgument(`Invalid attribute name specified.`, 'x-amz-object-attributes', unknown);
    const maxParts = parseMaxKeys(header(request, 'x-amz-max-parts') ?? null, 1000, 'max-parts');
    const markerValue = header(request, 'x-amz-part-number-marker') ?? '0';
    const marker = Number(markerValue);
    if (!/^\d+$/.test(markerValue)) throw new InvalidArgument('Provided part-number-marker not an integer or within integer range', 'part-number-marker', markerValue);
    const record = this.store.objects.getObject(bucket, key, versionId);
    const notModified = evaluateReadPreconditions(request, record, '');
    if (notModified) return { status: 304, headers: { etag: `"${record.etag}"`, 'last-modified': new Date(record.lastModified).toUTCString() } };
    const all = wanted.has('ObjectParts') ? this.store.objects.objectParts(record) : undefined;
    let parts: Parameters<typeof objectAttributesDocument>[2];
    if (all) {
      const after = all.filter((part) => part.partNumber > marker);
      const page = after.slice(0, maxParts);
      parts = { all, page, marker, maxParts, truncated: after.length > page.length };
    }
    return xml(200, objectAttributesDocument(record, wanted, parts), { 'last-modified': new Date(record.lastModified).toUTCString(), ...this.versionHeaders(record) });
  }

  private async copyObject({ request, bucket, key, info }: S3Call): Promise<ServiceResponse> {
    const source = parseCopySource(header(request, 'x-amz-copy-source') ?? '');
    const directive = (header(request, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
    if (directive !== 'COPY' && directive !== 'REPLACE') throw new InvalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
    const sourceRecord = this.store.objects.getObject(source.bucket, source.key, source.versionId);
    evaluateCopySourcePreconditions(request, sourceRecord);
    const copied = await this.store.objects.copyObject(source, { bucket, key }, { directive, attributes: objectAttributes(request, undefined) }, info);
    const sourceVersion = this.versionHeaders(sourceRecord)['x-amz-version-id'];
    return xml(200, copyObjectResultDocument(copied), {
      'x-amz-server-side-encryption': 'AES256',
      ...this.versionHeaders(copied),
      ...(sourceVersion !== undefined ? { 'x-amz-copy-source-version-id': sourceVersion } : {}),
    });
  }

  private deleteObject({ request, bucket, key, info }: S3Call): ServiceResponse {
    const versionId = request.query.get('versionId') ?? undefined;
    const outcome = this.store.objects.deleteObject(bucket, key, info, versionId);
    const headers: Record<string, string> = {};
    if (outcome.versionId !== undefined) headers['x-amz-version-id'] = outcome.versionId;
    if (outcome.deleteMarker) headers['x-amz-delete-marker'] = 'true';
    return { status: 204, headers };
  }

  private deleteObjects({ request, bucket, info }: S3Call): ServiceResponse {
    const { payload, checksum } = readPayload(request);
    // S3 insists on an integrity check for multi-object deletes.
    if (!checksum && header(request, 'content-md5') === undefined) throw new InvalidRequest('Missing required header for this request: Content-MD5');
    const root = child(parseBody(payload), 'Delete');
    if (!root) throw new MalformedXML();
    const quiet = text(root, 'Quiet') === 'true';
    const objects = children(root, 'Object').map((entry) => ({ key: text(entry, 'Key'), versionId: text(entry, 'VersionId') }));
    if (objects.length === 0 || objects.length > 1000 || objects.some((entry) => entry.key === undefined)) throw new MalformedXML();
    // S3 authorises each key on its own (s3:DeleteObject, s3:DeleteObjectVersion for a version) and reports a
    // refused key as an AccessDenied entry while deleting the others; so do we.
    const refused = objects.map((entry) => {
      const entryPermission = S3_OPERATION_PERMISSIONS.DeleteObjects!;
      const action = entry.versionId !== undefined ? entryPermission.versionAction! : entryPermission.action;
      return this.authorizer.decide(request.caller, objectPermission(action, bucket, entry.key!, entry.versionId)) !== 'allow';
    });
    const allowed = objects.filter((_, index) => !refused[index]);
    const outcomes = this.store.objects.deleteObjects(
      bucket,
      allowed.map((entry) => ({ key: entry.key!, ...(entry.versionId !== undefined ? { versionId: entry.versionId } : {}) })),
      info,
    );
    let next = 0;
    const entries = objects.map((entry, index): DeleteResultEntry => {
      if (refused[index]) return { refused: { key: entry.key, versionId: entry.versionId } };
      const outcome = outcomes[next++]!;
      return quiet ? { quiet: true } : { deleted: outcome, requestedVersionId: entry.versionId };
    });
    return xml(200, deleteResultDocument(entries));
  }

  // ---------------------------------------------------------------- multipart uploads

  private createMultipartUpload({ request, bucket, key }: S3Call): ServiceResponse {
    const algorithmHeader = header(request, 'x-amz-checksum-algorithm');
    const checksumAlgorithm = algorithmHeader === undefined ? undefined : parseChecksumAlgorithm(algorithmHeader);
    if (algorithmHeader !== undefined && !checksumAlgorithm) {
      throw new InvalidRequest('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
    }
    const requestedType = readChecksumType(request);
    if (requestedType && !checksumAlgorithm) throw new InvalidRequest('The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
    const checksumType = checksumAlgorithm ? (requestedType ?? defaultChecksumType(checksumAlgorithm)) : undefined;
    if (checksumAlgorithm && checksumType && !allowsChecksumType(checksumAlgorithm, checksumType)) throw InvalidRequest.checksumTypeNotAllowed(checksumType, checksumAlgorithm);
    // The type is not stored: CompleteMultipartUpload repeats it (the SDKs and CLIs send it there too).
    const upload = this.store.multipart.createMultipartUpload(bucket, key, { ...objectAttributes(request, undefined), ...(checksumAlgorithm ? { checksumAlgorithm } : {}) });
    const headers: Record<string, string> = { 'x-amz-server-side-encryption': 'AES256' };
    if (checksumAlgorithm && checksumType) {
      headers['x-amz-checksum-algorithm'] = checksumAlgorithm;
      headers['x-amz-checksum-type'] = checksumType;
    }
    return xml(200, initiateMultipartUploadDocument(bucket, key, upload.uploadId), headers);
  }

  private async uploadPart({ request, bucket, key }: S3Call): Promise<ServiceResponse> {
    const uploadId = request.query.get('uploadId') ?? '';
    const partNumber = parsePartNumber(request.query.get('partNumber'));
    this.store.multipart.getUpload(bucket, key, uploadId);
    const draft = this.store.objects.draftBody();
    try {
      const { size, md5, checksum } = await receivePayload(request, draft);
      const part = await this.store.multipart.uploadPart(bucket, key, uploadId, partNumber, { draft, size, md5 }, checksum);
      return {
        status: 200,
        headers: { etag: `"${part.etag}"`, 'x-amz-server-side-encryption': 'AES256', ...(checksum ? { [checksumHeaderName(checksum.algorithm)]: checksum.value } : {}) },
      };
    } finally {
      draft.discard();
    }
  }

  private async uploadPartCopy({ request, bucket, key }: S3Call): Promise<ServiceResponse> {
    const source = parseCopySource(header(request, 'x-amz-copy-source') ?? '');
    const sourceRecord = this.store.objects.getObject(source.bucket, source.key, source.versionId);
    evaluateCopySourcePreconditions(request, sourceRecord);
    const rangeHeader = header(request, 'x-amz-copy-source-range');
    let range: { start: number; end: number } | undefined;
    if (rangeHeader !== undefined) {
      const match = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader.trim());
      if (!match) throw new InvalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', 'x-amz-copy-source-range', rangeHeader);
      range = { start: Number(match[1]), end: Number(match[2]) };
    }
    const part = await this.store.multipart.uploadPartCopy(
      { bucket, key, uploadId: request.query.get('uploadId') ?? '', partNumber: parsePartNumber(request.query.get('partNumber')) },
      source,
      range,
    );
    return xml(200, copyPartResultDocument(part));
  }

  private async completeMultipartUpload({ request, bucket, key, info }: S3Call): Promise<ServiceResponse> {
    const uploadId = request.query.get('uploadId') ?? '';
    // Here `x-amz-checksum-*` is the object's checksum, for the store to verify, not the XML body's.
    const { payload, objectChecksum } = readPayload(request, { objectChecksum: true });
    const checksumType = readChecksumType(request);
    const root = child(parseBody(payload), 'CompleteMultipartUpload');
    if (!root) throw new MalformedXML();
    const parts: CompletedPart[] = children(root, 'Part').map((entry) => {
      const partNumber = Number(text(entry, 'PartNumber'));
      const etag = text(entry, 'ETag');
      if (!Number.isInteger(partNumber) || etag === undefined) throw new MalformedXML();
      const checksums: CompletedPart['checksums'] = {};
      for (const algorithm of CHECKSUM_ALGORITHMS) {
        const value = text(entry, `Checksum${algorithm}`);
        if (value !== undefined) checksums[algorithm] = value;
      }
      return { partNumber, etag, checksums };
    });
    const preconditions = writePreconditions(request);
    const record = await this.store.multipart.completeMultipartUpload(
      bucket,
      key,
      uploadId,
      parts,
      info,
      { ...(checksumType ? { type: checksumType } : {}), ...(objectChecksum ? { expected: objectChecksum } : {}) },
      preconditions,
    );
    const location = `${this.context.settings.endpoint}/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    return xml(200, completeMultipartUploadDocument(location, bucket, key, record), { 'x-amz-server-side-encryption': 'AES256', ...this.versionHeaders(record) });
  }

  private abortMultipartUpload({ request, bucket, key }: S3Call): ServiceResponse {
    this.store.multipart.abortMultipartUpload(bucket, key, request.query.get('uploadId') ?? '');
    return { status: 204 };
  }

  private listParts({ request, bucket, key }: S3Call): ServiceResponse {
    const uploadId = request.query.get('uploadId') ?? '';
    const maxParts = parseMaxKeys(request.query.get('max-parts'), 1000, 'max-parts');
    const marker = Number(request.query.get('part-number-marker') ?? '0');
    if (!Number.isInteger(marker) || marker < 0) throw new InvalidArgument('Provided part-number-marker not an integer or within integer range', 'part-number-marker', String(marker));
    const listed = this.store.multipart.listParts(bucket, key, uploadId, { maxParts, partNumberMarker: marker });
    return xml(200, listPartsDocument({ bucket, key, uploadId, ownerId: this.store.owner.id, partNumberMarker: marker, maxParts }, listed));
  }

  private listMultipartUploads({ request, bucket }: S3Call): ServiceResponse {
    const prefix = request.query.get('prefix') ?? '';
    const keyMarker = request.query.get('key-marker') ?? '';
    const maxUploads = parseMaxKeys(request.query.get('max-uploads'), 1000, 'max-uploads');
    const listed = this.store.multipart.listMultipartUploads(bucket, { prefix, keyMarker, maxUploads });
    const uploadIdMarker = request.query.get('upload-id-marker') ?? '';
    return xml(200, listMultipartUploadsDocument({ bucket, keyMarker, uploadIdMarker, prefix, maxUploads, ownerId: this.store.owner.id }, listed));
  }

  // ---------------------------------------------------------------- bucket configurations

  private noContent(action: () => void): ServiceResponse {
    action();
    return { status: 204 };
  }

  private putPublicAccessBlock({ request, bucket }: S3Call): ServiceResponse {
    const root = child(parseBody(readPayload(request).payload), 'PublicAccessBlockConfiguration');
    if (!root) throw new MalformedXML();
    const configuration: PublicAccessBlockConfiguration = {};
    for (const name of ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const) {
      const value = text(root, name);
      if (value === undefined) continue;
      if (value !== 'true' && value !== 'false') throw new MalformedXML();
      configuration[name] = value === 'true';
    }
    this.store.buckets.putPublicAccessBlock(bucket, configuration);
    return { status: 200 };
  }

  private getPublicAccessBlock({ bucket }: S3Call): ServiceResponse {
    return xml(200, publicAccessBlockDocument(this.store.buckets.getPublicAccessBlock(bucket)));
  }

  private putBucketEncryption({ request, bucket }: S3Call): ServiceResponse {
    const root = child(parseBody(readPayload(request).payload), 'ServerSideEncryptionConfiguration');
    if (!root) throw new MalformedXML();
    const rules: ServerSideEncryptionRule[] = children(root, 'Rule').map((rule) => {
      const defaults = child(rule, 'ApplyServerSideEncryptionByDefault');
      const algorithm = defaults ? text(defaults, 'SSEAlgorithm') : undefined;
      const kmsKey = defaults ? text(defaults, 'KMSMasterKeyID') : undefined;
      const bucketKey = text(rule, 'BucketKeyEnabled');
      if (defaults && algorithm === undefined) throw new MalformedXML();
      return {
        ...(algorithm !== undefined
          ? { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: algorithm as 'AES256', ...(kmsKey !== undefined ? { KMSMasterKeyID: kmsKey } : {}) } }
          : {}),
        ...(bucketKey !== undefined ? { BucketKeyEnabled: bucketKey === 'true' } : {}),
      };
    });
    this.store.buckets.putBucketEncryption(bucket, rules);
    return { status: 200 };
  }

  private getBucketEncryption({ bucket }: S3Call): ServiceResponse {
    return xml(200, encryptionDocument(this.store.buckets.getBucketEncryption(bucket)));
  }

  private putBucketTagging({ request, bucket }: S3Call): ServiceResponse {
    const root = child(parseBody(readPayload(request).payload), 'Tagging');
    const tagSet = root && child(root, 'TagSet');
    if (!tagSet) throw new MalformedXML();
    this.store.buckets.putBucketTagging(bucket, tagEntries(tagSet));
    // S3 answers PutBucketTagging with 204.
    return { status: 204 };
  }

  private getBucketTagging({ bucket }: S3Call): ServiceResponse {
    return xml(200, taggingDocument(this.store.buckets.getBucketTagging(bucket)));
  }

  private putNotificationConfiguration({ request, bucket }: S3Call): ServiceResponse {
    const root = child(parseBody(readPayload(request).payload), 'NotificationConfiguration');
    if (!root) throw new MalformedXML();
    const skipDestinationValidation = String(request.headers['x-amz-skip-destination-validation'] ?? '').toLowerCase() === 'true';
    this.store.buckets.putNotificationConfiguration(bucket, parseNotificationConfiguration(root), { skipDestinationValidation });
    return { status: 200 };
  }

  private getNotificationConfiguration({ bucket }: S3Call): ServiceResponse {
    return xml(200, notificationConfigurationDocument(this.store.buckets.getNotificationConfiguration(bucket)));
  }
}
