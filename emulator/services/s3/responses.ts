// S3's XML answers, every document the handlers send (errors are errors.ts's, notification configurations
// notification-xml.ts's): the envelope, dates as S3 writes them, the object headers GET and HEAD share, listings.
// Only serialisation: what goes in an answer is decided by the handlers in router.ts, which pass plain values.
import type { PublicAccessBlockConfiguration, ServerSideEncryptionRule, Tag } from '@aws-sdk/client-s3';
import { type ServiceResponse } from '../../core/http.js';
import { checksumHeaderName } from './checksums.js';
import { writeMetadataValue } from './metadata-text.js';
import { notificationConfigurationXml } from './notification-xml.js';
import type { NotificationConfiguration } from './notifications.js';
import {
  type BucketRecord,
  type DeleteOutcome,
  type ListResult,
  type ObjectPart,
  type ObjectRecord,
  type ObjectSummary,
  type PartRecord,
  type StoredChecksum,
  type UploadRecord,
  type VersionListResult,
} from './store.js';
import { document, escapeXml, tag } from './xml.js';

export function xml(status: number, body: string, headers: Record<string, string> = {}): ServiceResponse {
  return { status, headers: { 'content-type': 'application/xml', ...headers }, body };
}

/** ISO 8601 with milliseconds, as S3 writes dates in XML. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function checksumHeaders(checksum: StoredChecksum | undefined): Record<string, string> {
  if (!checksum) return {};
  return { [checksumHeaderName(checksum.algorithm)]: checksum.value, 'x-amz-checksum-type': checksum.type };
}

/** The headers GetObject and HeadObject share. */
export function objectHeaders(record: ObjectRecord): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': record.contentType,
    etag: `"${record.etag}"`,
    // RFC 1123, second precision, as S3 sends it.
    'last-modified': new Date(record.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    'x-amz-server-side-encryption': 'AES256',
    ...record.systemMetadata,
  };
  for (const [name, value] of Object.entries(record.userMetadata)) headers[`x-amz-meta-${name}`] = writeMetadataValue(value);
  return headers;
}

export function summaryXml(object: ObjectSummary, encode: (value: string) => string): string {
  return (
    `${tag('Key', encode(object.key))}${tag('LastModified', iso(object.lastModified))}${tag('ETag', `"${object.etag}"`)}` +
    `${tag('ChecksumAlgorithm', object.checksumAlgorithm)}${tag('ChecksumType', object.checksumType)}${tag('Size', object.size)}`
  );
}

export function commonPrefixesXml(result: { commonPrefixes: string[] }, encode: (value: string) => string): string {
  return result.commonPrefixes.map((prefix) => `<CommonPrefixes>${tag('Prefix', encode(prefix))}</CommonPrefixes>`).join('');
}

function ownerXml(ownerId: string): string {
  return `<Owner>${tag('ID', ownerId)}</Owner>`;
}

/** The initiator and owner of an upload: the one account's canonical user. */
function uploadIdentityXml(ownerId: string): string {
  return `<Initiator>${tag('ID', ownerId)}</Initiator>${ownerXml(ownerId)}`;
}

/** A `Checksum<ALGORITHM>` element, or nothing. */
function checksumXml(checksum: { algorithm: string; value: string } | undefined): string {
  return checksum ? tag(`Checksum${checksum.algorithm}`, checksum.value) : '';
}

// ---------------------------------------------------------------- buckets

export function listBucketsDocument(ownerId: string, buckets: BucketRecord[], continuationToken: string | undefined, prefix: string | undefined): string {
  const entries = buckets
    .map((bucket) => `<Bucket>${tag('Name', bucket.name)}${tag('CreationDate', iso(bucket.createdAt))}${tag('BucketRegion', bucket.region)}</Bucket>`)
    .join('');
  return document('ListAllMyBucketsResult', `${ownerXml(ownerId)}<Buckets>${entries}</Buckets>${tag('ContinuationToken', continuationToken)}${tag('Prefix', prefix)}`);
}

export function locationDocument(region: string): string {
  // S3 reports us-east-1 as an empty constraint, a legacy of the "US Standard" region.
  return document('LocationConstraint', region === 'us-east-1' ? '' : escapeXml(region));
}

export function versioningDocument(status: string | undefined): string {
  // S3 answers a never-versioned bucket with an empty configuration.
  return document('VersioningConfiguration', tag('Status', status));
}

export function publicAccessBlockDocument(configuration: PublicAccessBlockConfiguration): string {
  const inner = (['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const).map((name) => tag(name, configuration[name] ?? false)).join('');
  return document('PublicAccessBlockConfiguration', inner);
}

export function encryptionDocument(rules: ServerSideEncryptionRule[]): string {
  const inner = rules
    .map((rule) => {
      const defaults = rule.ApplyServerSideEncryptionByDefault;
      const applied = defaults
        ? `<ApplyServerSideEncryptionByDefault>${tag('SSEAlgorithm', defaults.SSEAlgorithm)}${tag('KMSMasterKeyID', defaults.KMSMasterKeyID)}</ApplyServerSideEncryptionByDefault>`
        : '';
      return `<Rule>${applied}${tag('BucketKeyEnabled', rule.BucketKeyEnabled ?? false)}</Rule>`;
    })
    .join('');
  return document('ServerSideEncryptionConfiguration', inner);
}

export function taggingDocument(tags: Tag[]): string {
  return document('Tagging', `<TagSet>${tags.map((entry) => `<Tag>${tag('Key', entry.Key)}${tag('Value', entry.Value)}</Tag>`).join('')}</TagSet>`);
}

export function notificationConfigurationDocument(configuration: NotificationConfiguration): string {
  return document('NotificationConfiguration', notificationConfigurationXml(configuration));
}

// ---------------------------------------------------------------- listings

/** What a ListObjects (v1) or ListObjectsV2 answer says besides the page itself; values as sent or computed by the handler. */
export interface ObjectListingHead {
  version: 1 | 2;
  bucket: string;
  prefix: string;
  delimiter: string | undefined;
  maxKeys: number;
  /** `encoding-type` as sent; `encode` applies it. */
  encodingType: string | undefined;
  encode: (value: string) => string;
  /** v2: `continuation-token` as sent, and the next page's. */
  continuationToken: string | undefined;
  nextContinuationToken: string | undefined;
  /** v2 `start-after` or v1 `marker`, as sent ('' when absent). */
  startAfter: string;
  /** The owner's id when entries name it (v1 always, v2 with fetch-owner). */
  ownerId: string | undefined;
}

export function listObjectsDocument(head: ObjectListingHead, result: ListResult): string {
  const { encode, delimiter } = head;
  const owner = head.ownerId !== undefined ? ownerXml(head.ownerId) : '';
  const contents = result.objects.map((object) => `<Contents>${summaryXml(object, encode)}${owner}<StorageClass>STANDARD</StorageClass></Contents>`).join('');
  const prefixes = commonPrefixesXml(result, encode);
  // AWS encodes Prefix in a v2 listing but returns a v1 listing's Prefix as sent (botocore decodes accordingly).
  let inner = `${tag('Name', head.bucket)}${tag('Prefix', head.version === 2 ? encode(head.prefix) : head.prefix)}`;
  if (head.version === 2) {
    inner +=
      `${tag('KeyCount', result.objects.length + result.commonPrefixes.length)}${tag('MaxKeys', head.maxKeys)}${tag('Delimiter', delimiter && encode(delimiter))}` +
      `${tag('IsTruncated', result.isTruncated)}${tag('ContinuationToken', head.continuationToken)}` +
      `${tag('NextContinuationToken', head.nextContinuationToken)}${tag('StartAfter', head.startAfter ? encode(head.startAfter) : undefined)}`;
  } else {
    // S3 sends NextMarker only with a delimiter; without one, clients resume after the last key.
    const nextMarker = result.isTruncated && delimiter ? result.lastReturned : undefined;
    inner +=
      `${tag('Marker', encode(head.startAfter))}${tag('NextMarker', nextMarker && encode(nextMarker))}${tag('MaxKeys', head.maxKeys)}` +
      `${tag('Delimiter', delimiter && encode(delimiter))}${tag('IsTruncated', result.isTruncated)}`;
  }
  inner += tag('EncodingType', head.encodingType);
  return document('ListBucketResult', inner + contents + prefixes);
}

export interface VersionListingHead {
  bucket: string;
  prefix: string;
  delimiter: string | undefined;
  maxKeys: number;
  encodingType: string | undefined;
  encode: (value: string) => string;
  keyMarker: string;
  versionIdMarker: string;
  ownerId: string;
}

export function listVersionsDocument(head: VersionListingHead, result: VersionListResult): string {
  const { encode, delimiter } = head;
  const owner = ownerXml(head.ownerId);
  const entries = result.versions
    .map((version) =>
      version.deleteMarker
        ? `<DeleteMarker>${tag('Key', encode(version.key))}${tag('VersionId', version.versionId)}${tag('IsLatest', version.isLatest)}` +
          `${tag('LastModified', iso(version.lastModified))}${owner}</DeleteMarker>`
        : `<Version>${tag('Key', encode(version.key))}${tag('VersionId', version.versionId)}${tag('IsLatest', version.isLatest)}` +
          `${tag('LastModified', iso(version.lastModified))}${tag('ETag', `"${version.etag}"`)}${tag('Size', version.size)}<StorageClass>STANDARD</StorageClass>${owner}</Version>`,
    )
    .join('');
  const next = result.next;
  const inner =
    `${tag('Name', head.bucket)}${tag('Prefix', encode(head.prefix))}${tag('KeyMarker', encode(head.keyMarker))}${tag('VersionIdMarker', head.versionIdMarker)}` +
    `${tag('NextKeyMarker', next && encode(next.keyMarker))}${tag('NextVersionIdMarker', next?.versionIdMarker)}` +
    `${tag('MaxKeys', head.maxKeys)}${tag('Delimiter', delimiter && encode(delimiter))}${tag('IsTruncated', result.isTruncated)}${tag('EncodingType', head.encodingType)}`;
  return document('ListVersionsResult', inner + entries + commonPrefixesXml(result, encode));
}

// ---------------------------------------------------------------- objects

/** GetObjectAttributes: the attributes asked for, the parts as one page (those after the marker, up to maxParts). */
export function objectAttributesDocument(
  record: ObjectRecord,
  wanted: ReadonlySet<string>,
  parts: { all: ObjectPart[]; page: ObjectPart[]; marker: number; maxParts: number; truncated: boolean } | undefined,
): string {
  let inner = '';
  if (wanted.has('ETag')) inner += tag('ETag', record.etag);
  if (wanted.has('Checksum') && record.checksum) {
    inner += `<Checksum>${checksumXml(record.checksum)}${tag('ChecksumType', record.checksum.type)}</Checksum>`;
  }
  if (parts) {
    const { page, marker } = parts;
    const partsXml = page.map((part) => `<Part>${tag('PartNumber', part.partNumber)}${tag('Size', part.size)}${checksumXml(part.checksum)}</Part>`).join('');
    inner +=
      `<ObjectParts>${tag('PartsCount', parts.all.length)}${tag('PartNumberMarker', marker)}${tag('NextPartNumberMarker', page.length > 0 ? page[page.length - 1]!.partNumber : marker)}` +
      `${tag('MaxParts', parts.maxParts)}${tag('IsTruncated', parts.truncated)}${partsXml}</ObjectParts>`;
  }
  if (wanted.has('StorageClass')) inner += tag('StorageClass', 'STANDARD');
  if (wanted.has('ObjectSize')) inner += tag('ObjectSize', record.size);
  return document('GetObjectAttributesResponse', inner);
}

export function copyObjectResultDocument(copied: ObjectRecord): string {
  return document('CopyObjectResult', `${tag('ETag', `"${copied.etag}"`)}${tag('LastModified', iso(copied.lastModified))}${checksumXml(copied.checksum)}`);
}

/** One entry of a DeleteObjects answer: a key refused, or a delete done (nothing in quiet mode). */
export type DeleteResultEntry =
  | { refused: { key: string | undefined; versionId: string | undefined } }
  | { deleted: DeleteOutcome; requestedVersionId: string | undefined }
  | { quiet: true };

export function deleteResultDocument(entries: DeleteResultEntry[]): string {
  const inner = entries.map((entry) => {
    if ('refused' in entry) {
      return `<Error>${tag('Key', entry.refused.key)}${tag('VersionId', entry.refused.versionId)}<Code>AccessDenied</Code><Message>Access Denied</Message></Error>`;
    }
    if ('quiet' in entry) return '';
    const outcome = entry.deleted;
    // A version deleted by id is named as asked; a delete that made a marker names the marker's version.
    const marker = outcome.deleteMarker ? `<DeleteMarker>true</DeleteMarker>${tag('DeleteMarkerVersionId', outcome.versionId)}` : '';
    return `<Deleted>${tag('Key', outcome.key)}${tag('VersionId', entry.requestedVersionId)}${marker}</Deleted>`;
  });
  return document('DeleteResult', inner.join(''));
}

// ---------------------------------------------------------------- multipart uploads

export function initiateMultipartUploadDocument(bucket: string, key: string, uploadId: string): string {
  return document('InitiateMultipartUploadResult', `${tag('Bucket', bucket)}${tag('Key', key)}${tag('UploadId', uploadId)}`);
}

export function copyPartResultDocument(part: { etag: string; lastModified: number }): string {
  return document('CopyPartResult', `${tag('ETag', `"${part.etag}"`)}${tag('LastModified', iso(part.lastModified))}`);
}

export function completeMultipartUploadDocument(location: string, bucket: string, key: string, record: ObjectRecord): string {
  const checksum = record.checksum ? `${checksumXml(record.checksum)}${tag('ChecksumType', record.checksum.type)}` : '';
  return document('CompleteMultipartUploadResult', `${tag('Location', location)}${tag('Bucket', bucket)}${tag('Key', key)}${tag('ETag', `"${record.etag}"`)}${checksum}`);
}

export function listPartsDocument(
  head: { bucket: string; key: string; uploadId: string; ownerId: string; partNumberMarker: number; maxParts: number },
  listed: { upload: UploadRecord; parts: PartRecord[]; isTruncated: boolean },
): string {
  const { parts } = listed;
  const partsXml = parts
    .map(
      (part) =>
        `<Part>${tag('PartNumber', part.partNumber)}${tag('LastModified', iso(part.lastModified))}${tag('ETag', `"${part.etag}"`)}${tag('Size', part.size)}` +
        `${checksumXml(part.checksum)}</Part>`,
    )
    .join('');
  const next = parts.length > 0 ? parts[parts.length - 1]!.partNumber : head.partNumberMarker;
  return document(
    'ListPartsResult',
    `${tag('Bucket', head.bucket)}${tag('Key', head.key)}${tag('UploadId', head.uploadId)}${uploadIdentityXml(head.ownerId)}<StorageClass>STANDARD</StorageClass>` +
      `${tag('PartNumberMarker', head.partNumberMarker)}${tag('NextPartNumberMarker', next)}${tag('MaxParts', head.maxParts)}${tag('IsTruncated', listed.isTruncated)}` +
      `${tag('ChecksumAlgorithm', listed.upload.checksumAlgorithm)}${partsXml}`,
  );
}

export function listMultipartUploadsDocument(
  head: { bucket: string; keyMarker: string; uploadIdMarker: string; prefix: string; maxUploads: number; ownerId: string },
  listed: { uploads: UploadRecord[]; isTruncated: boolean },
): string {
  const { uploads, isTruncated } = listed;
  const identity = uploadIdentityXml(head.ownerId);
  const items = uploads
    .map(
      (upload) =>
        `<Upload>${tag('Key', upload.key)}${tag('UploadId', upload.uploadId)}${identity}<StorageClass>STANDARD</StorageClass>` +
        `${tag('Initiated', iso(upload.initiated))}${tag('ChecksumAlgorithm', upload.checksumAlgorithm)}</Upload>`,
    )
    .join('');
  const last = uploads[uploads.length - 1];
  return document(
    'ListMultipartUploadsResult',
    `${tag('Bucket', head.bucket)}${tag('KeyMarker', head.keyMarker)}${tag('UploadIdMarker', head.uploadIdMarker)}` +
      `${tag('NextKeyMarker', isTruncated ? last?.key : undefined)}${tag('NextUploadIdMarker', isTruncated ? last?.uploadId : undefined)}` +
      `${tag('Prefix', head.prefix)}${tag('MaxUploads', head.maxUploads)}${tag('IsTruncated', isTruncated)}${items}`,
  );
}
