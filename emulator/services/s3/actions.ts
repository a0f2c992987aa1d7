// Which IAM action and resource each S3 operation needs, as the S3 documentation's "actions, resources and
// condition keys" table lists them: what IAM enforcement asks about a call. Pure data and one function.

/** Operations whose IAM action is not simply `s3:<Operation>`. */
const ACTIONS: Record<string, string> = {
  ListBuckets: 's3:ListAllMyBuckets',
  HeadBucket: 's3:ListBucket',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  HeadObject: 's3:GetObject',
  CopyObject: 's3:PutObject',
  DeleteObjects: 's3:DeleteObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  UploadPartCopy: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  ListParts: 's3:ListMultipartUploadParts',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  PutPublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  GetPublicAccessBlock: 's3:GetBucketPublicAccessBlock',
  DeletePublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  PutBucketEncryption: 's3:PutEncryptionConfiguration',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  DeleteBucketEncryption: 's3:PutEncryptionConfiguration',
  DeleteBucketTagging: 's3:PutBucketTagging',
  PutBucketNotificationConfiguration: 's3:PutBucketNotification',
  GetBucketNotificationConfiguration: 's3:GetBucketNotification',
};

/** Operations that act on an object (resource `arn:aws:s3:::bucket/key`) rather than the bucket. */
const OBJECT_OPERATIONS = new Set([
  'PutObject',
  'GetObject',
  'HeadObject',
  'GetObjectAttributes',
  'CopyObject',
  'DeleteObject',
  'CreateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'ListParts',
]);

export interface S3Permission {
  action: string;
  resource: string;
}

/**
 * The permission one S3 call needs.
 * @param operation - the S3 operation, e.g. `PutObject`
 * @param bucket - the bucket, empty for ListBuckets
 * @param key - the object key, for object operations
 */
export function s3Permission(operation: string, bucket: string, key: string): S3Permission {
  const action = ACTIONS[operation] ?? `s3:${operation}`;
  if (!bucket) return { action, resource: '*' };
  const resource = OBJECT_OPERATIONS.has(operation) ? `arn:aws:s3:::${bucket}/${key}` : `arn:aws:s3:::${bucket}`;
  return { action, resource };
}
