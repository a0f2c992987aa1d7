// S3's XML answers: the envelope every XML response shares, dates as S3 writes them, the object headers GET and HEAD
// share, listing entries. Only serialisation: what goes in an answer is decided by the handlers in router.ts.
import { type ServiceResponse } from '../../core/http.js';
import { checksumHeaderName } from './checksums.js';
import { writeMetadataValue } from './metadata-text.js';
import { type ListResult, type ObjectRecord, type ObjectSummary, type StoredChecksum } from './store.js';
import { tag } from './xml.js';

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

export function commonPrefixesXml(result: ListResult, encode: (value: string) => string): string {
  return result.commonPrefixes.map((prefix) => `<CommonPrefixes>${tag('Prefix', encode(prefix))}</CommonPrefixes>`).join('');
}
