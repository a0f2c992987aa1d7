// S3 buckets and their configurations (public access block, encryption, tagging, notifications, versioning):
// creating, finding, listing and deleting buckets under S3's naming and region rules. Objects are objects.ts's.
import type { PublicAccessBlockConfiguration, ServerSideEncryptionRule, Tag } from '@aws-sdk/client-s3';
import {
  BucketAlreadyOwnedByYou,
  BucketNotEmpty,
  IllegalLocationConstraintException,
  InvalidArgument,
  InvalidLocationConstraint,
  InvalidTag,
  NoSuchBucket,
  NoSuchPublicAccessBlockConfiguration,
  NoSuchTagSet,
} from './errors.js';
import { assertValidBucketName } from './names.js';
import {
  EMPTY_NOTIFICATION_CONFIGURATION,
  generateConfigurationId,
  validateNotificationConfiguration,
  type NotificationConfiguration,
} from './notifications.js';
import type { BucketRecord, VersioningStatus } from './records.js';
import { S3Tables, StorePart, type BucketConfigKind } from './tables.js';
import { ObjectBodies } from './bodies.js';

/** The default every bucket has had since 2023: SSE-S3, which DeleteBucketEncryption returns to. */
const DEFAULT_ENCRYPTION: ServerSideEncryptionRule[] = [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }];
/** New buckets have had all four public-access blocks on since April 2023. */
const DEFAULT_PUBLIC_ACCESS_BLOCK: PublicAccessBlockConfiguration = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

export class Buckets extends StorePart {
  constructor(
    tables: S3Tables,
    private readonly bodies: ObjectBodies,
  ) {
    super(tables);
  }

  // ---------------------------------------------------------------- buckets

  /**
   * Creates a bucket owned by the cloud's account.
   * @param requestRegion - the region the request was signed for (its "endpoint")
   * @param locationConstraint - CreateBucketConfiguration's LocationConstraint, if any
   * @returns the bucket's region
   */
  createBucket(name: string, requestRegion: string, locationConstraint?: string): string {
    assertValidBucketName(name);
    // S3 checks the constraint against the endpoint's region: us-east-1 must be implicit, others explicit.
    if (locationConstraint === 'us-east-1') throw new InvalidLocationConstraint(locationConstraint);
    if (locationConstraint !== undefined && locationConstraint !== requestRegion) throw new IllegalLocationConstraintException(locationConstraint);
    if (locationConstraint === undefined && requestRegion !== 'us-east-1') throw new IllegalLocationConstraintException(undefined);
    const region = locationConstraint ?? 'us-east-1';
    const existing = this.sql.bucket.get(name);
    if (existing) {
      // AWS answers 409 BucketAlreadyOwnedByYou everywhere except us-east-1, where it answers 200 for
      // legacy compatibility; so do we.
      if (existing.region === 'us-east-1' && region === 'us-east-1') return existing.region;
      throw new BucketAlreadyOwnedByYou(name);
    }
    this.db.transaction(() => {
      this.sql.insertBucket.run(name, region, Date.now());
      this.sql.putConfig.run(name, 'publicAccessBlock', JSON.stringify(DEFAULT_PUBLIC_ACCESS_BLOCK));
    })();
    return region;
  }

  hasBucket(name: string): boolean {
    return this.sql.bucket.get(name) !== undefined;
  }

  /** @throws NoSuchBucket */
  getBucket(name: string): BucketRecord {
    const row = this.sql.bucket.get(name);
    if (!row) throw new NoSuchBucket(name);
    return { name: row.name, region: row.region, createdAt: row.created_at };
  }

  listBuckets(filter: { prefix?: string; region?: string } = {}): BucketRecord[] {
    return this.sql
      .buckets.all()
      .filter((row) => (filter.prefix === undefined || row.name.startsWith(filter.prefix)) && (filter.region === undefined || row.region === filter.region))
      .map((row) => ({ name: row.name, region: row.region, createdAt: row.created_at }));
  }

  /** @throws BucketNotEmpty - while any object remains (in-progress multipart uploads are discarded) */
  deleteBucket(name: string): void {
    this.getBucket(name);
    const released: string[] = [];
    this.db.transaction(() => {
      if (this.sql.anyObject.get(name) || this.sql.anyVersion.get(name)) throw new BucketNotEmpty(name);
      for (const upload of this.sql.uploadsOfBucket.all(name)) {
        for (const part of this.sql.partDigests.all(upload.upload_id)) released.push(part.digest);
      }
      this.sql.deleteBucket.run(name);
    })();
    this.bodies.releaseBlobs(released);
  }

  // ---------------------------------------------------------------- bucket configurations

  private readConfig<T>(bucket: string, kind: BucketConfigKind): T | undefined {
    this.getBucket(bucket);
    const row = this.sql.config.get(bucket, kind);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  private writeConfig(bucket: string, kind: BucketConfigKind, value: unknown): void {
    this.getBucket(bucket);
    this.sql.putConfig.run(bucket, kind, JSON.stringify(value));
  }

  private removeConfig(bucket: string, kind: BucketConfigKind): void {
    this.getBucket(bucket);
    this.sql.deleteConfig.run(bucket, kind);
  }

  /** @throws NoSuchPublicAccessBlockConfiguration - after DeletePublicAccessBlock */
  getPublicAccessBlock(bucket: string): PublicAccessBlockConfiguration {
    const value = this.readConfig<PublicAccessBlockConfiguration>(bucket, 'publicAccessBlock');
    if (!value) throw new NoSuchPublicAccessBlockConfiguration(bucket);
    return value;
  }

  putPublicAccessBlock(bucket: string, configuration: PublicAccessBlockConfiguration): void {
    this.writeConfig(bucket, 'publicAccessBlock', configuration);
  }

  deletePublicAccessBlock(bucket: string): void {
    this.removeConfig(bucket, 'publicAccessBlock');
  }

  /** Never absent: without a configuration, S3 reports its SSE-S3 default. */
  getBucketEncryption(bucket: string): ServerSideEncryptionRule[] {
    return this.readConfig<ServerSideEncryptionRule[]>(bucket, 'encryption') ?? DEFAULT_ENCRYPTION;
  }

  putBucketEncryption(bucket: string, rules: ServerSideEncryptionRule[]): void {
    if (rules.length === 0) throw new InvalidArgument('A rule is required', 'ServerSideEncryptionConfiguration');
    for (const rule of rules) {
      const algorithm = rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
      if (algorithm !== undefined && !['AES256', 'aws:kms', 'aws:kms:dsse'].includes(algorithm)) {
        throw new InvalidArgument('The encryption method specified is not supported', 'SSEAlgorithm', String(algorithm));
      }
    }
    this.writeConfig(bucket, 'encryption', rules);
  }

  deleteBucketEncryption(bucket: string): void {
    this.removeConfig(bucket, 'encryption');
  }

  /** @throws NoSuchTagSet - when the bucket has no tags */
  getBucketTagging(bucket: string): Tag[] {
    const tags = this.readConfig<Tag[]>(bucket, 'tagging');
    if (!tags) throw new NoSuchTagSet(bucket);
    return tags;
  }

  putBucketTagging(bucket: string, tags: Tag[]): void {
    this.writeConfig(bucket, 'tagging', this.validBucketTags(tags));
  }

  /** A bucket tag set as S3 checks it (PutBucketTagging, and CreateBucket's Tags before the bucket is made). */
  validBucketTags(tags: Tag[]): Tag[] {
    const seen = new Set<string>();
    for (const tag of tags) {
      const key = tag.Key ?? '';
      if (seen.has(key)) throw new InvalidTag('Cannot provide multiple Tags with the same key', key);
      seen.add(key);
      if (key.length === 0 || key.length > 128) throw new InvalidTag('The TagKey you have provided is invalid', key);
      // The `aws:` prefix is AWS's own (aws:cloudformation:stack-name ...): S3 refuses it from a requester.
      if (key.toLowerCase().startsWith('aws:')) throw new InvalidTag('System tags cannot be added/updated by requester', key);
      if ((tag.Value ?? '').length > 256) throw new InvalidTag('The TagValue you have provided is invalid', key);
    }
    if (tags.length > 50) throw new InvalidTag('Object tags cannot be greater than 50');
    return tags;
  }

  deleteBucketTagging(bucket: string): void {
    this.removeConfig(bucket, 'tagging');
  }

  getNotificationConfiguration(bucket: string): NotificationConfiguration {
    return this.readConfig<NotificationConfiguration>(bucket, 'notification') ?? EMPTY_NOTIFICATION_CONFIGURATION;
  }

  /**
   * Validates and stores a configuration. Like S3, it asks each Lambda destination whether it admits
   * this bucket before accepting anything; missing Ids are generated.
   * @throws InvalidArgument - a Lambda destination that is absent or does not allow S3
   */
  putNotificationConfiguration(bucket: string, configuration: NotificationConfiguration, options: { skipDestinationValidation?: boolean } = {}): NotificationConfiguration {
    this.getBucket(bucket);
    const stored: NotificationConfiguration = {
      eventBridge: configuration.eventBridge,
      destinations: configuration.destinations.map((destination) => ({ ...destination, id: destination.id || generateConfigurationId() })),
    };
    validateNotificationConfiguration(stored);
    const lambda = this.context.stores.lambda;
    // `x-amz-skip-destination-validation: true` tells S3 not to check destinations; S3 then stores as given.
    const failures = stored.destinations
      .filter((destination) => destination.kind === 'lambda' && !options.skipDestinationValidation)
      .filter((destination) => {
        try {
          return !lambda?.allowsS3Invoke(destination.arn, bucket, this.context.settings.accountId);
        } catch (error) {
          this.context.log(`s3: validating ${destination.arn} failed: ${(error as Error).message}`);
          return true;
        }
      })
      .map((destination) => ({ arn: destination.arn, reason: `Not authorized to invoke function [${destination.arn}]` }));
    if (failures.length > 0) throw InvalidArgument.unvalidatedDestinations(failures);
    if (stored.destinations.length === 0 && !stored.eventBridge) this.removeConfig(bucket, 'notification');
    else this.writeConfig(bucket, 'notification', stored);
    return stored;
  }


  /** The bucket's versioning state; undefined while it has never been versioned. */
  versioningStatus(bucket: string): VersioningStatus | undefined {
    return this.readConfig<VersioningStatus>(bucket, 'versioning');
  }

  /** PutBucketVersioning. A bucket once versioned can be suspended, never returned to unversioned (as in S3). */
  putBucketVersioning(bucket: string, status: VersioningStatus): void {
    this.writeConfig(bucket, 'versioning', status);
  }

}
