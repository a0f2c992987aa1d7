// The plain shapes S3's store takes and hands back (objects, versions, listings, uploads, parts, the request an
// event reports), shared by the store's parts and the router. Types only: no state, no rules.
import type { BlobDraft } from '../../state/blobs.js';
import { type ChecksumAlgorithm, type ChecksumType } from './checksums.js';

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
