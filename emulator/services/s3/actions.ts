// Which IAM action and resource each S3 operation needs, as the S3 "actions, resources and condition keys"
// table lists them: what IAM enforcement asks about a call. One entry per operation the router implements; an
// operation without one is refused to role callers. Pure data and two functions.
import { NO_PERMISSION_NEEDED, type Permission, type Requirement } from '../../core/authorize.js';

/** What a resource an S3 operation acts on is: the service (ListBuckets), a bucket, or one object. */
type Scope = 'service' | 'bucket' | 'object' | 'each-key';

interface S3OperationPermission {
  action: string;
  scope: Scope;
  /** The action when the request names an object version (`versionId`). */
  versionAction?: string;
}

/**
 * Every S3 operation the local cloud implements. DeleteObjects is authorised key by key (`each-key`): S3 checks
 * s3:DeleteObject for every object and answers a refused key with an AccessDenied entry in the DeleteResult.
 */
export const S3_OPERATION_PERMISSIONS: Readonly<Record<string, S3OperationPermission>> = {
  ListBuckets: { action: 's3:ListAllMyBuckets', scope: 'service' },
  CreateBucket: { action: 's3:CreateBucket', scope: 'bucket' },
  HeadBucket: { action: 's3:ListBucket', scope: 'bucket' },
  DeleteBucket: { action: 's3:DeleteBucket', scope: 'bucket' },
  GetBucketLocation: { action: 's3:GetBucketLocation', scope: 'bucket' },
  GetBucketVersioning: { action: 's3:GetBucketVersioning', scope: 'bucket' },
  PutBucketVersioning: { action: 's3:PutBucketVersioning', scope: 'bucket' },
  ListObjects: { action: 's3:ListBucket', scope: 'bucket' },
  ListObjectsV2: { action: 's3:ListBucket', scope: 'bucket' },
  ListObjectVersions: { action: 's3:ListBucketVersions', scope: 'bucket' },
  PutObject: { action: 's3:PutObject', scope: 'object' },
  GetObject: { action: 's3:GetObject', scope: 'object', versionAction: 's3:GetObjectVersion' },
  HeadObject: { action: 's3:GetObject', scope: 'object', versionAction: 's3:GetObjectVersion' },
  GetObjectAttributes: { action: 's3:GetObjectAttributes', scope: 'object', versionAction: 's3:GetObjectVersionAttributes' },
  CopyObject: { action: 's3:PutObject', scope: 'object' },
  DeleteObject: { action: 's3:DeleteObject', scope: 'object', versionAction: 's3:DeleteObjectVersion' },
  DeleteObjects: { action: 's3:DeleteObject', scope: 'each-key', versionAction: 's3:DeleteObjectVersion' },
  CreateMultipartUpload: { action: 's3:PutObject', scope: 'object' },
  UploadPart: { action: 's3:PutObject', scope: 'object' },
  UploadPartCopy: { action: 's3:PutObject', scope: 'object' },
  CompleteMultipartUpload: { action: 's3:PutObject', scope: 'object' },
  AbortMultipartUpload: { action: 's3:AbortMultipartUpload', scope: 'object' },
  ListParts: { action: 's3:ListMultipartUploadParts', scope: 'object' },
  ListMultipartUploads: { action: 's3:ListBucketMultipartUploads', scope: 'bucket' },
  PutPublicAccessBlock: { action: 's3:PutBucketPublicAccessBlock', scope: 'bucket' },
  GetPublicAccessBlock: { action: 's3:GetBucketPublicAccessBlock', scope: 'bucket' },
  DeletePublicAccessBlock: { action: 's3:PutBucketPublicAccessBlock', scope: 'bucket' },
  PutBucketEncryption: { action: 's3:PutEncryptionConfiguration', scope: 'bucket' },
  GetBucketEncryption: { action: 's3:GetEncryptionConfiguration', scope: 'bucket' },
  DeleteBucketEncryption: { action: 's3:PutEncryptionConfiguration', scope: 'bucket' },
  PutBucketTagging: { action: 's3:PutBucketTagging', scope: 'bucket' },
  GetBucketTagging: { action: 's3:GetBucketTagging', scope: 'bucket' },
  DeleteBucketTagging: { action: 's3:PutBucketTagging', scope: 'bucket' },
  PutBucketNotificationConfiguration: { action: 's3:PutBucketNotification', scope: 'bucket' },
  GetBucketNotificationConfiguration: { action: 's3:GetBucketNotification', scope: 'bucket' },
};

/** Operations that read another object: CopyObject and UploadPartCopy also need to read their source. */
const COPY_OPERATIONS = new Set(['CopyObject', 'UploadPartCopy']);

/** One object, as a permission on `arn:aws:s3:::bucket/key`; S3 quotes the resource in its denial message. */
export function objectPermission(action: string, bucket: string, key: string, versionId?: string): Permission {
  const resource = `arn:aws:s3:::${bucket}/${key}`;
  return { action, resource, label: `"${resource}"`, ...(versionId !== undefined ? { context: { 's3:versionid': versionId } } : {}) };
}

export interface S3CallNames {
  bucket: string;
  key: string;
  /** The `versionId` the request names, if any. */
  versionId?: string;
  /** `s3:prefix` of a listing. */
  prefix?: string;
  /** CopyObject's and UploadPartCopy's source (x-amz-copy-source). */
  copySource?: { bucket: string; key: string; versionId?: string };
}

/**
 * What one S3 call needs: its action on its bucket or object, and for a copy also s3:GetObject (or
 * s3:GetObjectVersion when the source names a version) on the source object.
 * @param operation - the S3 operation, e.g. `PutObject`
 * @param call - what the request names
 * @returns undefined for an operation without an entry (refused to role callers)
 */
export function s3Requirement(operation: string, call: S3CallNames): Requirement | undefined {
  const entry = Object.hasOwn(S3_OPERATION_PERMISSIONS, operation) ? S3_OPERATION_PERMISSIONS[operation] : undefined;
  if (!entry) return undefined;
  const action = call.versionId !== undefined && entry.versionAction ? entry.versionAction : entry.action;
  switch (entry.scope) {
    case 'each-key':
      // Checked key by key by the operation itself (Authorizer.decide).
      return NO_PERMISSION_NEEDED;
    case 'service':
      return [{ action, resource: '*', label: '"*"' }];
    case 'bucket': {
      const resource = `arn:aws:s3:::${call.bucket}`;
      return [{ action, resource, label: `"${resource}"`, ...(call.prefix !== undefined ? { context: { 's3:prefix': call.prefix } } : {}) }];
    }
    case 'object': {
      const permissions = [objectPermission(action, call.bucket, call.key, call.versionId)];
      if (COPY_OPERATIONS.has(operation)) {
        const source = call.copySource;
        if (!source) return undefined;
        permissions.push(objectPermission(source.versionId !== undefined ? 's3:GetObjectVersion' : 's3:GetObject', source.bucket, source.key, source.versionId));
      }
      return permissions;
    }
  }
}
