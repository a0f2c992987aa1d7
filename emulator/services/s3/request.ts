// S3 request decoding: XML bodies of the configuration and multipart operations, object attributes from headers,
// copy sources, part numbers, page sizes and continuation tokens, Range and conditional headers, presigned expiry.
// Each decoder answers S3's own error for bad input; none touches the store. (Body framing and checksums are payload.ts.)
import type { Tag } from '@aws-sdk/client-s3';
import { parseAmzDate } from '../../core/auth.js';
import { header, type ServiceRequest } from '../../core/http.js';
import { parseChecksumType, type ChecksumAlgorithm, type ChecksumType } from './checksums.js';
import {
  AccessDenied,
  InvalidArgument,
  InvalidRange,
  InvalidRequest,
  MalformedXML,
  MetadataTooLarge,
  NotImplemented as S3NotImplemented,
  PreconditionFailed,
} from './errors.js';
import { urlEncodeListValue } from './names.js';
import { etagListMatches, successor } from './objects.js';
import { type ListPosition, type ObjectAttributes, type ObjectRecord, type Preconditions } from './store.js';
import { children, parseXml, text, type XmlNode } from './xml.js';
import { readMetadataValue } from './metadata-text.js';
import { type S3Target } from './operations.js';
import { type S3CallNames } from './actions.js';

/** Standard headers S3 stores with an object and returns on GET/HEAD. */
const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires', 'x-amz-website-redirect-location', 'x-amz-storage-class'];
/** S3 caps user metadata (names and values of `x-amz-meta-*`) at 2 KB. */
const MAX_USER_METADATA_BYTES = 2 * 1024;

/** The `<Tag><Key/><Value/></Tag>` entries of a TagSet (PutBucketTagging) or Tags (CreateBucket) element. */
export function tagEntries(tagSet: XmlNode): Tag[] {
  return children(tagSet, 'Tag').map((entry) => {
    const key = text(entry, 'Key');
    const value = text(entry, 'Value');
    if (key === undefined || value === undefined) throw new MalformedXML();
    return { Key: key, Value: value };
  });
}

/** `x-amz-checksum-type` (CreateMultipartUpload, CompleteMultipartUpload), or undefined when absent. */
export function readChecksumType(request: ServiceRequest): ChecksumType | undefined {
  const value = header(request, 'x-amz-checksum-type');
  if (value === undefined) return undefined;
  const type = parseChecksumType(value);
  if (!type) throw new InvalidRequest('Value for x-amz-checksum-type header is invalid.');
  return type;
}

export function parseBody(payload: Buffer): XmlNode {
  const parsed = parseXml(payload);
  if (!parsed) throw new MalformedXML();
  return parsed;
}

/** Content-Type, the stored standard headers and `x-amz-meta-*`, minus aws-chunked (which is framing, not content). */
export function objectAttributes(request: ServiceRequest, checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined): ObjectAttributes {
  const systemMetadata: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let value = header(request, name);
    if (value === undefined) continue;
    if (name === 'content-encoding') {
      value = value
        .split(',')
        .map((encoding) => encoding.trim())
        .filter((encoding) => encoding !== '' && encoding.toLowerCase() !== 'aws-chunked')
        .join(', ');
      if (value === '') continue;
    }
    if (name === 'x-amz-storage-class' && value === 'STANDARD') continue;
    systemMetadata[name] = value;
  }
  const userMetadata: Record<string, string> = {};
  let metadataBytes = 0;
  for (const [name, raw] of Object.entries(request.headers)) {
    if (!name.startsWith('x-amz-meta-') || raw === undefined) continue;
    // Stored as text (RFC 2047 words decoded, UTF-8 bytes read as UTF-8): responses.ts encodes it again on the way out.
    const value = readMetadataValue(Array.isArray(raw) ? raw.join(',') : raw);
    const shortName = name.slice('x-amz-meta-'.length);
    userMetadata[shortName] = value;
    // AWS measures user metadata as the UTF-8 bytes of each name and value.
    metadataBytes += Buffer.byteLength(shortName, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  if (metadataBytes > MAX_USER_METADATA_BYTES) throw new MetadataTooLarge(metadataBytes, MAX_USER_METADATA_BYTES);
  const contentType = header(request, 'content-type');
  return {
    ...(contentType !== undefined ? { contentType } : {}),
    systemMetadata,
    userMetadata,
    ...(checksum ? { checksum: { ...checksum, type: 'FULL_OBJECT' as const } } : {}),
  };
}

/**
 * The conditions of a write (PutObject, CompleteMultipartUpload): If-None-Match takes only `*` and a write takes one
 * condition; AWS answers either mistake with 501 NotImplemented naming the header. So do we.
 */
export function writePreconditions(request: ServiceRequest): Preconditions {
  const ifNoneMatch = header(request, 'if-none-match');
  const ifMatch = header(request, 'if-match');
  if (ifNoneMatch !== undefined && ifMatch !== undefined) throw S3NotImplemented.bothConditions();
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') throw S3NotImplemented.ifNoneMatchValue();
  return { ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}), ...(ifMatch !== undefined ? { ifMatch } : {}) };
}

/** What an S3 call names, for its authorisation: the bucket and key, a version, a listing's prefix, a copy's source. */
export function callOf(operation: string, target: S3Target, request: ServiceRequest): S3CallNames {
  const versionId = request.query.get('versionId') ?? undefined;
  const prefix = operation === 'ListObjects' || operation === 'ListObjectsV2' ? (request.query.get('prefix') ?? '') : undefined;
  const copySource = operation === 'CopyObject' || operation === 'UploadPartCopy' ? parseCopySource(header(request, 'x-amz-copy-source') ?? '') : undefined;
  return {
    bucket: target.bucket ?? '',
    key: target.key ?? '',
    ...(versionId !== undefined ? { versionId } : {}),
    ...(prefix !== undefined ? { prefix } : {}),
    ...(copySource ? { copySource } : {}),
  };
}

export function parseCopySource(raw: string): { bucket: string; key: string; versionId?: string } {
  const [pathPart = '', queryPart] = raw.split('?', 2);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathPart);
  } catch {
    throw new InvalidArgument('Invalid copy source encoding', 'x-amz-copy-source', raw);
  }
  const path = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) throw new InvalidArgument('Invalid copy source object key', 'x-amz-copy-source', raw);
  const versionId = new URLSearchParams(queryPart ?? '').get('versionId');
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1), ...(versionId !== null ? { versionId } : {}) };
}

export function parsePartNumber(value: string | null): number {
  const number = Number(value);
  if (value === null || !/^\d+$/.test(value) || number < 1 || number > 10_000) {
    throw new InvalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', String(value));
  }
  return number;
}

export function parseMaxKeys(value: string | null, cap: number, name: string): number {
  if (value === null || value === '') return cap;
  if (!/^\d+$/.test(value) || Number(value) > 2_147_483_647) throw new InvalidArgument(`Provided ${name} not an integer or within integer range`, name, value);
  // S3 never returns more than its cap, whatever was asked.
  return Math.min(Number(value), cap);
}

/**
 * The listing position just after a marker (start-after, marker, key-marker). When the marker is a
 * common prefix itself (what ListObjects v1 returns as NextMarker), continue past everything under
 * it, or the same common prefix would come back forever.
 */
export function positionAfter(marker: string, prefix: string, delimiter: string | undefined): ListPosition {
  if (delimiter && marker.startsWith(prefix) && marker.endsWith(delimiter) && marker.indexOf(delimiter, prefix.length) === marker.length - delimiter.length) {
    const next = successor(marker);
    if (next !== undefined) return { value: next, inclusive: true };
  }
  return { value: marker, inclusive: false };
}

/** Continuation tokens are opaque to clients; ours carry the resume position. */
export function encodeToken(position: ListPosition): string {
  return Buffer.from(`${position.inclusive ? 'i' : 'x'}${position.value}`, 'utf8').toString('base64');
}

export function decodeToken(token: string | null): ListPosition | undefined {
  if (token === null || token === '') return undefined;
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  if (Buffer.from(decoded, 'utf8').toString('base64') !== token) return undefined;
  const kind = decoded[0];
  if (kind !== 'i' && kind !== 'x') return undefined;
  return { value: decoded.slice(1), inclusive: kind === 'i' };
}

export function encodingFor(encodingType: string | null): (value: string) => string {
  if (encodingType === null) return (value) => value;
  if (encodingType !== 'url') throw new InvalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
  return urlEncodeListValue;
}

/**
 * A Range header against an object of `size` bytes. Unparseable or multi-range values are ignored (the
 * whole object is sent), as S3 does; a range starting past the end is InvalidRange (416).
 */
export function parseRange(value: string, size: number): { start: number; end: number } | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) throw new InvalidRange(value, size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  if (start >= size) throw new InvalidRange(value, size);
  return { start, end };
}

/**
 * If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since (304), in RFC 7232's order.
 * @returns true when the answer is 304 Not Modified
 */
export function evaluateReadPreconditions(request: ServiceRequest, record: ObjectRecord, prefix: string): boolean {
  const ifMatch = header(request, `${prefix}if-match`);
  const ifNoneMatch = header(request, `${prefix}if-none-match`);
  const ifModifiedSince = header(request, `${prefix}if-modified-since`);
  const ifUnmodifiedSince = header(request, `${prefix}if-unmodified-since`);
  const modifiedSeconds = Math.floor(record.lastModified / 1000);
  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, record.etag)) throw new PreconditionFailed(`${prefix}If-Match`);
  } else if (ifUnmodifiedSince !== undefined) {
    const since = Date.parse(ifUnmodifiedSince);
    if (!Number.isNaN(since) && modifiedSeconds > Math.floor(since / 1000)) throw new PreconditionFailed(`${prefix}If-Unmodified-Since`);
  }
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, record.etag)) return true;
  } else if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    if (!Number.isNaN(since) && modifiedSeconds <= Math.floor(since / 1000)) return true;
  }
  return false;
}

/** CopyObject's x-amz-copy-source-if-* conditions: S3 answers 412 for any that fails, including the "not modified" ones. */
export function evaluateCopySourcePreconditions(request: ServiceRequest, source: ObjectRecord): void {
  if (evaluateReadPreconditions(request, source, 'x-amz-copy-source-')) {
    throw new PreconditionFailed('x-amz-copy-source-If-None-Match');
  }
}

/** Rejects presigned URLs past X-Amz-Date + X-Amz-Expires with S3's 403. Signatures themselves are not checked. */
/** A presigned URL past its expiry is refused even when signatures are not verified, as a link that stopped working. */
export function checkPresignedExpiry(request: ServiceRequest): void {
  const presigned = request.credential?.presigned;
  if (presigned === undefined) return;
  // The server parsed the credential strictly (credential.ts): the date is well-formed and the expiry bounded.
  const signedAt = parseAmzDate(presigned.amzDate)!;
  const expiresAt = signedAt + presigned.expiresSeconds * 1000;
  const now = Date.now();
  if (expiresAt < now) throw AccessDenied.expired(expiresAt, now, presigned.expiresSeconds);
}

export function firstForwardedFor(request: ServiceRequest): string | undefined {
  return header(request, 'x-forwarded-for')?.split(',')[0]?.trim() || undefined;
}
