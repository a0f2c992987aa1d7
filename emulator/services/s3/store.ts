// S3's state and rules, put together: buckets.ts (buckets and their configurations), objects.ts (objects and
// versions), multipart.ts (uploads and parts), bodies.ts (blobs), events.ts (notifications to Lambda) over the
// tables of tables.ts. It never sees HTTP: the router decodes the wire and calls the parts with plain values.
import { ObjectBodies } from './bodies.js';
import { Buckets } from './buckets.js';
import { S3Events } from './events.js';
import { MultipartUploads } from './multipart.js';
import { Objects } from './objects.js';
import type { BucketOwner, ListParams, ListResult, ObjectAttributes, ObjectRecord, Preconditions, RequestInfo, StagedBody } from './records.js';
import { S3Tables, type S3StoreDependencies } from './tables.js';

export type * from './records.js';

export class S3Store {
  readonly buckets: Buckets;
  readonly objects: Objects;
  readonly multipart: MultipartUploads;
  /** The account's canonical owner, as listings and events name it. */
  readonly owner: BucketOwner;
  private readonly bodies: ObjectBodies;

  constructor(context: S3StoreDependencies) {
    const tables = new S3Tables(context);
    this.owner = tables.owner;
    this.bodies = new ObjectBodies(tables);
    const events = new S3Events(tables);
    this.buckets = new Buckets(tables, this.bodies);
    this.objects = new Objects(tables, this.buckets, this.bodies, events);
    this.multipart = new MultipartUploads(tables, this.buckets, this.objects, this.bodies, events);
  }

  // What callers outside the router use (index.ts's cross-service surface, whole-store tests): one line each.

  createBucket(name: string, requestRegion: string, locationConstraint?: string): string {
    return this.buckets.createBucket(name, requestRegion, locationConstraint);
  }

  getObject(bucket: string, key: string, versionId?: string): ObjectRecord {
    return this.objects.getObject(bucket, key, versionId);
  }

  putObject(bucket: string, key: string, body: Buffer | StagedBody, attributes: ObjectAttributes, request: RequestInfo, preconditions?: Preconditions): Promise<ObjectRecord> {
    return this.objects.putObject(bucket, key, body, attributes, request, preconditions);
  }

  listObjects(bucket: string, params: ListParams): ListResult {
    return this.objects.listObjects(bucket, params);
  }

  objectSize(bucket: string, key: string): number | undefined {
    return this.objects.objectSize(bucket, key);
  }

  getObjectBytes(bucket: string, key: string): Promise<Buffer | undefined> {
    return this.objects.getObjectBytes(bucket, key);
  }

  /** True while an object, a version or an upload part uses this blob digest. */
  usesBlob(digest: string): boolean {
    return this.bodies.usesBlob(digest);
  }
}
