// S3's SQLite tables (buckets, configurations, objects, versions, uploads, parts), their prepared statements and
// row shapes, and the base every part of the store is built on: the database, the statements, the cloud's blobs.
// No rules live here: those are buckets.ts, objects.ts and multipart.ts's.
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { CloudContext } from '../../core/context.js';
import { migrate, statementCache, type Db } from '../../state/database.js';
import { type ChecksumAlgorithm } from './checksums.js';
import type { BucketOwner, ObjectPart, ObjectRecord, ObjectSummary, PartRecord, StoredChecksum, UploadRecord } from './records.js';

const DDL = `
CREATE TABLE IF NOT EXISTS s3_buckets (
  name TEXT PRIMARY KEY,
  region TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS s3_bucket_configs (
  bucket TEXT NOT NULL REFERENCES s3_buckets(name) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (bucket, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS s3_objects (
  bucket TEXT NOT NULL REFERENCES s3_buckets(name),
  key TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  content_type TEXT NOT NULL,
  system_metadata TEXT NOT NULL,
  user_metadata TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  checksum_algorithm TEXT,
  checksum_value TEXT,
  checksum_type TEXT,
  parts_count INTEGER,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS s3_objects_digest ON s3_objects(digest);
CREATE TABLE IF NOT EXISTS s3_uploads (
  upload_id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL REFERENCES s3_buckets(name) ON DELETE CASCADE,
  key TEXT NOT NULL,
  initiated INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  system_metadata TEXT NOT NULL,
  user_metadata TEXT NOT NULL,
  checksum_algorithm TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS s3_uploads_bucket_key ON s3_uploads(bucket, key, initiated);
CREATE TABLE IF NOT EXISTS s3_parts (
  upload_id TEXT NOT NULL REFERENCES s3_uploads(upload_id) ON DELETE CASCADE,
  part_number INTEGER NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  checksum_algorithm TEXT,
  checksum_value TEXT,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS s3_parts_digest ON s3_parts(digest);
CREATE TABLE IF NOT EXISTS s3_versions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket TEXT NOT NULL REFERENCES s3_buckets(name),
  key TEXT NOT NULL,
  version_id TEXT NOT NULL,
  delete_marker INTEGER NOT NULL,
  digest TEXT,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  content_type TEXT NOT NULL,
  system_metadata TEXT NOT NULL,
  user_metadata TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  checksum_algorithm TEXT,
  checksum_value TEXT,
  checksum_type TEXT,
  parts_count INTEGER,
  UNIQUE (bucket, key, version_id)
);
CREATE INDEX IF NOT EXISTS s3_versions_key ON s3_versions(bucket, key, id);
CREATE INDEX IF NOT EXISTS s3_versions_digest ON s3_versions(digest);
CREATE TABLE IF NOT EXISTS s3_multipart_objects (
  bucket TEXT NOT NULL REFERENCES s3_buckets(name) ON DELETE CASCADE,
  key TEXT NOT NULL,
  upload_id TEXT NOT NULL,
  etag TEXT NOT NULL,
  parts TEXT NOT NULL,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
`;


export type BucketConfigKind = 'publicAccessBlock' | 'encryption' | 'tagging' | 'notification' | 'versioning';

export interface ObjectRow {
  bucket: string;
  key: string;
  digest: string;
  size: number;
  etag: string;
  content_type: string;
  system_metadata: string;
  user_metadata: string;
  last_modified: number;
  checksum_algorithm: string | null;
  checksum_value: string | null;
  checksum_type: string | null;
  parts_count: number | null;
  version_id: string | null;
}

export interface VersionRow extends Omit<ObjectRow, 'digest' | 'version_id'> {
  id: number;
  version_id: string;
  delete_marker: number;
  digest: string | null;
}

export interface VersionListRow extends SummaryRow {
  version_id: string | null;
  delete_marker: number;
  rank: number;
}

export interface SummaryRow {
  key: string;
  size: number;
  etag: string;
  last_modified: number;
  checksum_algorithm: string | null;
  checksum_type: string | null;
}

export interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  content_type: string;
  system_metadata: string;
  user_metadata: string;
  checksum_algorithm: string | null;
}

export interface PartRow {
  part_number: number;
  digest: string;
  size: number;
  etag: string;
  last_modified: number;
  checksum_algorithm: string | null;
  checksum_value: string | null;
}

/**
 * What the store needs of the cloud, and no more: the database, the blob files, the account and region, the
 * other services it asks (Lambda for notification targets and shared blobs, X-Ray for traced uploads), a log.
 */
export type S3StoreDependencies = Pick<CloudContext, 'db' | 'blobs' | 'settings' | 'stores' | 'log'>;

/** What every part of the store shares: one database with S3's tables, their statements, the cloud around it. */
export class S3Tables {
  readonly db: Db;
  readonly sql: Statements;
  /** The listing query's four shapes (inclusive or not, bounded or not), each compiled once. */
  readonly listSql: (text: string) => Database.Statement;
  readonly owner: BucketOwner;

  constructor(readonly context: S3StoreDependencies) {
    this.db = context.db;
    migrate(this.db, DDL);
    // State directories from before versioning: the current object's version id is a column added in place.
    const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(s3_objects)').all();
    if (!columns.some((column) => column.name === 'version_id')) this.db.exec('ALTER TABLE s3_objects ADD COLUMN version_id TEXT');
    const ownerHash = createHash('sha256').update(`s3-owner:${context.settings.accountId}`).digest('hex');
    this.owner = { id: ownerHash, principalId: `A${ownerHash.slice(0, 13).toUpperCase()}` };
    this.sql = prepareStatements(this.db);
    this.listSql = statementCache(this.db);
  }
}

/** The base of each part of the store: the shared tables under the names the parts' code uses. */
export abstract class StorePart {
  protected readonly db: Db;
  protected readonly sql: Statements;
  protected readonly context: S3StoreDependencies;

  constructor(protected readonly tables: S3Tables) {
    this.db = tables.db;
    this.sql = tables.sql;
    this.context = tables.context;
  }
}

/** The rank of a key's current object in versionsPage's order: above every noncurrent version's id. */
export const CURRENT_RANK = Number.MAX_SAFE_INTEGER;

function prepareStatements(db: Db) {
  return {
    bucket: db.prepare<[string], { name: string; region: string; created_at: number }>('SELECT name, region, created_at FROM s3_buckets WHERE name = ?'),
    buckets: db.prepare<[], { name: string; region: string; created_at: number }>('SELECT name, region, created_at FROM s3_buckets ORDER BY name'),
    insertBucket: db.prepare('INSERT INTO s3_buckets (name, region, created_at) VALUES (?, ?, ?)'),
    deleteBucket: db.prepare('DELETE FROM s3_buckets WHERE name = ?'),
    anyObject: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_objects WHERE bucket = ? LIMIT 1'),
    config: db.prepare<[string, string], { value: string }>('SELECT value FROM s3_bucket_configs WHERE bucket = ? AND kind = ?'),
    putConfig: db.prepare('INSERT OR REPLACE INTO s3_bucket_configs (bucket, kind, value) VALUES (?, ?, ?)'),
    deleteConfig: db.prepare('DELETE FROM s3_bucket_configs WHERE bucket = ? AND kind = ?'),
    object: db.prepare<[string, string], ObjectRow>('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?'),
    objectDigest: db.prepare<[string, string], { digest: string; etag: string }>('SELECT digest, etag FROM s3_objects WHERE bucket = ? AND key = ?'),
    upsertObject: db.prepare<[Omit<ObjectRow, 'version_id'> & { version_id: string | null }]>(
      `INSERT OR REPLACE INTO s3_objects (bucket, key, digest, size, etag, content_type, system_metadata, user_metadata, last_modified,
         checksum_algorithm, checksum_value, checksum_type, parts_count, version_id)
       VALUES (@bucket, @key, @digest, @size, @etag, @content_type, @system_metadata, @user_metadata, @last_modified,
         @checksum_algorithm, @checksum_value, @checksum_type, @parts_count, @version_id)`,
    ),
    anyVersion: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_versions WHERE bucket = ? LIMIT 1'),
    version: db.prepare<[string, string, string], VersionRow>('SELECT * FROM s3_versions WHERE bucket = ? AND key = ? AND version_id = ?'),
    newestVersion: db.prepare<[string, string], VersionRow>('SELECT * FROM s3_versions WHERE bucket = ? AND key = ? ORDER BY id DESC LIMIT 1'),
    insertVersion: db.prepare<[Omit<VersionRow, 'id'>]>(
      `INSERT INTO s3_versions (bucket, key, version_id, delete_marker, digest, size, etag, content_type, system_metadata, user_metadata,
         last_modified, checksum_algorithm, checksum_value, checksum_type, parts_count)
       VALUES (@bucket, @key, @version_id, @delete_marker, @digest, @size, @etag, @content_type, @system_metadata, @user_metadata,
         @last_modified, @checksum_algorithm, @checksum_value, @checksum_type, @parts_count)`,
    ),
    deleteVersion: db.prepare<[number]>('DELETE FROM s3_versions WHERE id = ?'),
    versionRefs: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_versions WHERE digest = ? LIMIT 1'),
    // Current objects first within a key (they are the newest), then noncurrent versions and markers, newest first.
    versionsPage: db.prepare<[{ bucket: string; lower: string; upper: string; afterKey: string; afterRank: number; limit: number }], VersionListRow>(
      `SELECT key, version_id, delete_marker, size, etag, last_modified, checksum_algorithm, checksum_type, rank FROM (
         SELECT key, version_id, 0 AS delete_marker, size, etag, last_modified, checksum_algorithm, checksum_type, ${CURRENT_RANK} AS rank
           FROM s3_objects WHERE bucket = @bucket AND key >= @lower AND key < @upper AND key >= @afterKey
         UNION ALL
         SELECT key, version_id, delete_marker, size, etag, last_modified, checksum_algorithm, checksum_type, id AS rank
           FROM s3_versions WHERE bucket = @bucket AND key >= @lower AND key < @upper AND key >= @afterKey)
       WHERE key > @afterKey OR rank < @afterRank
       ORDER BY key, rank DESC LIMIT @limit`,
    ),
    deleteObject: db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ?'),
    multipartObject: db.prepare<[string, string], { upload_id: string; etag: string; parts: string }>(
      'SELECT upload_id, etag, parts FROM s3_multipart_objects WHERE bucket = ? AND key = ?',
    ),
    putMultipartObject: db.prepare('INSERT OR REPLACE INTO s3_multipart_objects (bucket, key, upload_id, etag, parts) VALUES (?, ?, ?, ?, ?)'),
    objectRefs: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_objects WHERE digest = ? LIMIT 1'),
    partRefs: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_parts WHERE digest = ? LIMIT 1'),
    insertUpload: db.prepare(
      `INSERT INTO s3_uploads (upload_id, bucket, key, initiated, content_type, system_metadata, user_metadata, checksum_algorithm)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    upload: db.prepare<[string], UploadRow>('SELECT * FROM s3_uploads WHERE upload_id = ?'),
    deleteUpload: db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?'),
    uploadsOfBucket: db.prepare<[string], { upload_id: string }>('SELECT upload_id FROM s3_uploads WHERE bucket = ?'),
    listUploads: db.prepare<[string, string, string, string, number], UploadRow>(
      'SELECT * FROM s3_uploads WHERE bucket = ? AND key > ? AND substr(key, 1, length(?)) = ? ORDER BY key, initiated LIMIT ?',
    ),
    part: db.prepare<[string, number], PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number = ?'),
    parts: db.prepare<[string], PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? ORDER BY part_number'),
    partsPage: db.prepare<[string, number, number], PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?'),
    upsertPart: db.prepare(
      `INSERT OR REPLACE INTO s3_parts (upload_id, part_number, digest, size, etag, last_modified, checksum_algorithm, checksum_value)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    partDigests: db.prepare<[string], { digest: string }>('SELECT digest FROM s3_parts WHERE upload_id = ?'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

export function toObjectPart(row: PartRow): ObjectPart {
  return {
    partNumber: row.part_number,
    size: row.size,
    ...(row.checksum_algorithm && row.checksum_value ? { checksum: { algorithm: row.checksum_algorithm as ChecksumAlgorithm, value: row.checksum_value } } : {}),
  };
}

export function toObjectRecord(row: ObjectRow): ObjectRecord {
  return {
    bucket: row.bucket,
    key: row.key,
    digest: row.digest,
    size: row.size,
    etag: row.etag,
    contentType: row.content_type,
    systemMetadata: JSON.parse(row.system_metadata) as Record<string, string>,
    userMetadata: JSON.parse(row.user_metadata) as Record<string, string>,
    lastModified: row.last_modified,
    ...(row.checksum_algorithm && row.checksum_value
      ? { checksum: { algorithm: row.checksum_algorithm as ChecksumAlgorithm, value: row.checksum_value, type: (row.checksum_type ?? 'FULL_OBJECT') as StoredChecksum['type'] } }
      : {}),
    ...(row.parts_count !== null ? { partsCount: row.parts_count } : {}),
    ...(row.version_id !== null && row.version_id !== 'null' ? { versionId: row.version_id } : {}),
  };
}

export function toSummary(row: SummaryRow): ObjectSummary {
  return {
    key: row.key,
    size: row.size,
    etag: row.etag,
    lastModified: row.last_modified,
    ...(row.checksum_algorithm ? { checksumAlgorithm: row.checksum_algorithm as ChecksumAlgorithm } : {}),
    ...(row.checksum_type ? { checksumType: row.checksum_type as StoredChecksum['type'] } : {}),
  };
}

export function toUploadRecord(row: UploadRow): UploadRecord {
  return {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key,
    initiated: row.initiated,
    ...(row.checksum_algorithm ? { checksumAlgorithm: row.checksum_algorithm as ChecksumAlgorithm } : {}),
  };
}

export function toPartRecord(row: PartRow): PartRecord {
  return {
    partNumber: row.part_number,
    digest: row.digest,
    size: row.size,
    etag: row.etag,
    lastModified: row.last_modified,
    ...(row.checksum_algorithm && row.checksum_value ? { checksum: { algorithm: row.checksum_algorithm as ChecksumAlgorithm, value: row.checksum_value } } : {}),
  };
}
