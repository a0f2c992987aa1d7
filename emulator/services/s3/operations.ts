// How an S3 request names its operation: the bucket and key from the target (path style or `<bucket>.localhost`
// virtual hosts), and the operation from the method, the target and the query's subresources, as AWS names it
// (unimplemented ones as `NotImplemented:<Operation>`). It reads no body and knows no handler.
import { type ServiceRequest } from '../../core/http.js';
import { InvalidURI } from './errors.js';

/** Where a request points: a bucket, maybe a key; `resource` is what errors report. */
export interface S3Target {
  bucket?: string;
  key?: string;
  resource: string;
}

/** Query names that parameterise an operation rather than select one. */
const PARAMETERS = new Set([
  'x-id',
  'list-type',
  'prefix',
  'delimiter',
  'max-keys',
  'marker',
  'continuation-token',
  'start-after',
  'encoding-type',
  'fetch-owner',
  'key-marker',
  'version-id-marker',
  'upload-id-marker',
  'max-uploads',
  'max-parts',
  'part-number-marker',
  'uploadId',
  'partNumber',
  'versionId',
  'max-buckets',
  'bucket-region',
  'response-content-type',
  'response-content-language',
  'response-expires',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'AWSAccessKeyId',
  'Signature',
  'Expires',
]);

/** Query names that select an S3 subresource (and so an operation), whatever their value. */
const SUBRESOURCES = new Set([
  'acl', 'accelerate', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'location', 'logging', 'metadataConfiguration', 'metadataTable', 'metrics', 'notification',
  'object-lock', 'ownershipControls', 'policy', 'policyStatus', 'publicAccessBlock', 'renameObject', 'replication',
  'requestPayment', 'restore', 'retention', 'select', 'session', 'tagging', 'torrent', 'uploads', 'versioning',
  'versions', 'website',
]);

/** How AWS names the operation behind a subresource we do not implement. */
const OPERATION_NAMES: Record<string, string> = {
  acl: 'Acl',
  accelerate: 'AccelerateConfiguration',
  analytics: 'AnalyticsConfiguration',
  attributes: 'Attributes',
  cors: 'Cors',
  'intelligent-tiering': 'IntelligentTieringConfiguration',
  inventory: 'InventoryConfiguration',
  'legal-hold': 'LegalHold',
  lifecycle: 'LifecycleConfiguration',
  logging: 'Logging',
  metrics: 'MetricsConfiguration',
  ownershipControls: 'OwnershipControls',
  policy: 'Policy',
  policyStatus: 'PolicyStatus',
  replication: 'Replication',
  requestPayment: 'RequestPayment',
  retention: 'Retention',
  tagging: 'Tagging',
  torrent: 'Torrent',
  versioning: 'Versioning',
  website: 'Website',
};

const EXACT_OPERATION_NAMES: Record<string, string> = {
  'POST restore': 'RestoreObject',
  'POST select': 'SelectObjectContent',
  'GET session': 'CreateSession',
  'PUT object-lock': 'PutObjectLockConfiguration',
  'GET object-lock': 'GetObjectLockConfiguration',
  'PUT renameObject': 'RenameObject',
};

const VERBS: Record<string, string> = { GET: 'Get', PUT: 'Put', DELETE: 'Delete', POST: 'Post', HEAD: 'Head' };

/** The operation AWS would call this, for NotImplemented. */
export function operationNameFor(method: string, scope: 'Bucket' | 'Object', subresource: string): string {
  const exact = EXACT_OPERATION_NAMES[`${method} ${subresource}`];
  if (exact) return exact;
  const name = OPERATION_NAMES[subresource] ?? subresource.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
  return `${VERBS[method] ?? method}${scope}${name}`;
}

/** The subresources named by a query, in order; unknown valueless names count as subresources too. */
export function subresourcesOf(query: URLSearchParams): string[] {
  const found: string[] = [];
  for (const [name, value] of query) {
    if (SUBRESOURCES.has(name) || (!PARAMETERS.has(name) && !/^x-amz-/i.test(name) && value === '')) found.push(name);
  }
  return found;
}

const BUCKET_OPERATIONS: Record<string, string> = {
  'GET location': 'GetBucketLocation',
  'GET versioning': 'GetBucketVersioning',
  'PUT versioning': 'PutBucketVersioning',
  'GET versions': 'ListObjectVersions',
  'GET uploads': 'ListMultipartUploads',
  'POST delete': 'DeleteObjects',
  'PUT publicAccessBlock': 'PutPublicAccessBlock',
  'GET publicAccessBlock': 'GetPublicAccessBlock',
  'DELETE publicAccessBlock': 'DeletePublicAccessBlock',
  'PUT encryption': 'PutBucketEncryption',
  'GET encryption': 'GetBucketEncryption',
  'DELETE encryption': 'DeleteBucketEncryption',
  'PUT notification': 'PutBucketNotificationConfiguration',
  'GET notification': 'GetBucketNotificationConfiguration',
  'PUT tagging': 'PutBucketTagging',
  'GET tagging': 'GetBucketTagging',
  'DELETE tagging': 'DeleteBucketTagging',
};

/**
 * Names the operation a request asks for, found (as S3 does) by method, target and subresources.
 * Returns `NotImplemented:<Operation>` for anything the local cloud lacks.
 */
export function resolveOperation(method: string, target: S3Target, query: URLSearchParams, headers: ServiceRequest['headers']): string {
  const subresources = subresourcesOf(query);
  const first = subresources[0];
  if (target.bucket === undefined) {
    if (method === 'GET' && first === undefined) return 'ListBuckets';
    return `NotImplemented:${first ? operationNameFor(method, 'Bucket', first) : `${VERBS[method] ?? method}Service`}`;
  }
  if (target.key === undefined) {
    if (first === undefined) {
      const plain: Record<string, string> = {
        GET: query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects',
        PUT: 'CreateBucket',
        HEAD: 'HeadBucket',
        DELETE: 'DeleteBucket',
      };
      return plain[method] ?? (method === 'POST' ? 'NotImplemented:PostObject' : `NotImplemented:${method}Bucket`);
    }
    return BUCKET_OPERATIONS[`${method} ${first}`] ?? `NotImplemented:${operationNameFor(method, 'Bucket', first)}`;
  }
  if (first === 'uploads') return method === 'POST' ? 'CreateMultipartUpload' : `NotImplemented:${operationNameFor(method, 'Object', first)}`;
  if (first === 'attributes' && method === 'GET' && subresources.length === 1) return 'GetObjectAttributes';
  if (first !== undefined) return `NotImplemented:${operationNameFor(method, 'Object', first)}`;
  const upload = query.has('uploadId');
  const copy = headers['x-amz-copy-source'] !== undefined;
  switch (method) {
    case 'PUT':
      if (upload && query.has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
      return copy ? 'CopyObject' : 'PutObject';
    case 'GET':
      return upload ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return upload ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      return upload ? 'CompleteMultipartUpload' : 'NotImplemented:PostObject';
    default:
      return `NotImplemented:${method}Object`;
  }
}

function decodePathPart(raw: string, whole: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidURI(whole);
  }
}

/** LocalStack's S3 host: `<bucket>.s3.localhost.localstack.cloud` names a bucket, as tools written for LocalStack send it. */
const LOCALSTACK_S3_HOST = 's3.localhost.localstack.cloud';

/**
 * The bucket a virtual-host-style Host names, or '' for path style: `<bucket>.localhost`, `<bucket>.s3.localhost`
 * and LocalStack's `<bucket>.s3.localhost.localstack.cloud`; `s3.localhost` and `s3.localhost.localstack.cloud`
 * themselves (and every other host the boundary admits) are path-style.
 */
export function virtualHostBucket(hostname: string): string {
  if (hostname.endsWith(`.${LOCALSTACK_S3_HOST}`)) return hostname.slice(0, -`.${LOCALSTACK_S3_HOST}`.length);
  if (hostname.endsWith('.localhost') && hostname !== 's3.localhost') return hostname.slice(0, -'.localhost'.length).replace(/\.s3$/, '');
  return '';
}

/**
 * Bucket and key from the request target as sent (not normalised, so `../` stays part of a key) and,
 * for virtual-host style, from the Host (see virtualHostBucket).
 */
export function parseTarget(rawTarget: string, host: string): S3Target {
  let path = rawTarget.split('?', 1)[0] ?? '/';
  if (/^https?:\/\//i.test(path)) path = path.replace(/^https?:\/\/[^/]*/i, '') || '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const virtualBucket = virtualHostBucket(hostname);
  if (virtualBucket !== '') {
    const key = path.length > 1 ? decodePathPart(path.slice(1), rawTarget) : undefined;
    return { bucket: virtualBucket, ...(key !== undefined ? { key } : {}), resource: `/${virtualBucket}${key !== undefined ? `/${key}` : ''}` };
  }
  if (path === '/') return { resource: '/' };
  const slash = path.indexOf('/', 1);
  const bucket = decodePathPart(slash === -1 ? path.slice(1) : path.slice(1, slash), rawTarget);
  const rawKey = slash === -1 ? '' : path.slice(slash + 1);
  if (rawKey === '') return { bucket, resource: `/${bucket}` };
  const key = decodePathPart(rawKey, rawTarget);
  return { bucket, key, resource: `/${bucket}/${key}` };
}
