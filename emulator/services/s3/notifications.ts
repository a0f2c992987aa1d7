// Bucket notification rules: the stored configuration's shape, S3's validation of it, which destinations
// an event matches (event patterns and case-sensitive prefix/suffix filters), and the event record
// exactly as S3 shapes it. Pure: delivery (and asking Lambda's permission) is the store's job.
import { randomUUID } from 'node:crypto';
import { InvalidArgument } from './errors.js';
import { formEncodeKey } from './names.js';

export type DestinationKind = 'lambda' | 'queue' | 'topic';

export interface FilterRule {
  /** AWS stores and returns `Prefix` / `Suffix` whatever case the request used. */
  name: 'Prefix' | 'Suffix';
  value: string;
}

export interface NotificationDestination {
  kind: DestinationKind;
  id: string;
  /** LambdaFunctionArn (CloudFunction on the wire), QueueArn (Queue) or TopicArn (Topic). */
  arn: string;
  /** Patterns such as `s3:ObjectCreated:*` or `s3:ObjectCreated:Put`. */
  events: string[];
  filterRules: FilterRule[];
}

export interface NotificationConfiguration {
  destinations: NotificationDestination[];
  /** `<EventBridgeConfiguration/>` was present: stored and returned, nothing is sent. */
  eventBridge: boolean;
}

export const EMPTY_NOTIFICATION_CONFIGURATION: NotificationConfiguration = { destinations: [], eventBridge: false };

/** The event types S3 accepts in a notification configuration. */
const SUPPORTED_EVENTS = new Set([
  's3:ReducedRedundancyLostObject',
  's3:ObjectCreated:*',
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:*',
  's3:ObjectRemoved:Delete',
  's3:ObjectRemoved:DeleteMarkerCreated',
  's3:ObjectRestore:*',
  's3:ObjectRestore:Post',
  's3:ObjectRestore:Completed',
  's3:ObjectRestore:Delete',
  's3:Replication:*',
  's3:Replication:OperationFailedReplication',
  's3:Replication:OperationNotTracked',
  's3:Replication:OperationMissedThreshold',
  's3:Replication:OperationReplicatedAfterThreshold',
  's3:LifecycleExpiration:*',
  's3:LifecycleExpiration:Delete',
  's3:LifecycleExpiration:DeleteMarkerCreated',
  's3:LifecycleTransition',
  's3:IntelligentTiering',
  's3:ObjectTagging:*',
  's3:ObjectTagging:Put',
  's3:ObjectTagging:Delete',
  's3:ObjectAcl:Put',
]);

/** An Id like the ones S3 generates when a configuration has none: base64 of a UUID. */
export function generateConfigurationId(): string {
  return Buffer.from(randomUUID()).toString('base64').replace(/=+$/, '');
}

/**
 * Reads a filter rule name as S3 does: `prefix`/`Prefix` (any case) and `suffix`.
 * @throws InvalidArgument - for any other name
 */
export function normaliseFilterRuleName(name: string): 'Prefix' | 'Suffix' {
  const lower = name.toLowerCase();
  if (lower === 'prefix') return 'Prefix';
  if (lower === 'suffix') return 'Suffix';
  throw new InvalidArgument('filter rule name must be either prefix or suffix', 'FilterRule.Name', name);
}

/**
 * S3's checks on a configuration, apart from reaching the destinations.
 * @throws InvalidArgument - unsupported event, repeated filter rule, or overlapping configurations
 */
export function validateNotificationConfiguration(configuration: NotificationConfiguration): void {
  for (const destination of configuration.destinations) {
    for (const event of destination.events) {
      if (!SUPPORTED_EVENTS.has(event)) throw new InvalidArgument('The event is not supported for notifications', 'Event', event);
    }
    for (const name of ['Prefix', 'Suffix'] as const) {
      if (destination.filterRules.filter((rule) => rule.name === name).length > 1) {
        throw new InvalidArgument(`Cannot specify more than one ${name.toLowerCase()} rule in a filter.`, 'FilterRule.Name', name.toLowerCase());
      }
    }
  }
  const all = configuration.destinations;
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (destinationsOverlap(all[i]!, all[j]!)) {
        throw new InvalidArgument(
          'Configurations overlap. Configurations on the same bucket cannot share a common event type.',
          'Event',
          all[j]!.events.join(','),
        );
      }
    }
  }
}

function ruleValue(destination: NotificationDestination, name: 'Prefix' | 'Suffix'): string {
  return destination.filterRules.find((rule) => rule.name === name)?.value ?? '';
}

/** AWS refuses two configurations that one event and one key could both trigger; so do we. */
function destinationsOverlap(a: NotificationDestination, b: NotificationDestination): boolean {
  const shareEvent = a.events.some((x) => b.events.some((y) => patternsOverlap(x, y)));
  if (!shareEvent) return false;
  const prefixA = ruleValue(a, 'Prefix');
  const prefixB = ruleValue(b, 'Prefix');
  const suffixA = ruleValue(a, 'Suffix');
  const suffixB = ruleValue(b, 'Suffix');
  const prefixesOverlap = prefixA.startsWith(prefixB) || prefixB.startsWith(prefixA);
  const suffixesOverlap = suffixA.endsWith(suffixB) || suffixB.endsWith(suffixA);
  return prefixesOverlap && suffixesOverlap;
}

function patternsOverlap(x: string, y: string): boolean {
  const base = (pattern: string) => (pattern.endsWith(':*') ? pattern.slice(0, -1) : undefined);
  if (x === y) return true;
  const bx = base(x);
  const by = base(y);
  return (bx !== undefined && y.startsWith(bx)) || (by !== undefined && x.startsWith(by));
}

/**
 * True when a configured pattern covers an event.
 * @param pattern - `s3:ObjectCreated:*` or an exact `s3:ObjectCreated:Put`
 * @param eventName - the record's name, without `s3:` (`ObjectCreated:Put`)
 */
export function eventMatches(pattern: string, eventName: string): boolean {
  const full = `s3:${eventName}`;
  if (pattern.endsWith(':*')) return full.startsWith(pattern.slice(0, -1));
  return pattern === full;
}

/** Prefix and suffix filters compare the key byte for byte: case-sensitive, like S3. */
export function keyMatchesFilter(key: string, rules: FilterRule[]): boolean {
  return rules.every((rule) => (rule.name === 'Prefix' ? key.startsWith(rule.value) : key.endsWith(rule.value)));
}

export function matchingDestinations(configuration: NotificationConfiguration, eventName: string, key: string): NotificationDestination[] {
  return configuration.destinations.filter(
    (destination) => destination.events.some((pattern) => eventMatches(pattern, eventName)) && keyMatchesFilter(key, destination.filterRules),
  );
}

/** One element of an S3 event's `Records`, as AWS sends it (schema 1.0, event version 2.1). */
export interface S3EventRecord {
  eventVersion: '2.1';
  eventSource: 'aws:s3';
  awsRegion: string;
  eventTime: string;
  eventName: string;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: { 'x-amz-request-id': string; 'x-amz-id-2': string };
  s3: {
    s3SchemaVersion: '1.0';
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    object: { key: string; size?: number; eTag?: string; sequencer: string };
  };
}

export interface S3EventInput {
  /** Without the `s3:` prefix: `ObjectCreated:Put`, `ObjectRemoved:Delete`. */
  eventName: string;
  eventTime: number;
  region: string;
  bucket: string;
  bucketOwnerPrincipalId: string;
  principalId: string;
  sourceIp: string;
  requestId: string;
  hostId: string;
  configurationId: string;
  key: string;
  /** Absent for removals, as in S3's records. */
  size?: number;
  /** Hex MD5 (or multipart ETag), no quotes. */
  etag?: string;
  sequencer: string;
}

export function buildEventRecord(input: S3EventInput): S3EventRecord {
  // Key order as in S3's records: key, size, eTag, sequencer.
  const object: S3EventRecord['s3']['object'] = {
    key: formEncodeKey(input.key),
    ...(input.size === undefined ? {} : { size: input.size }),
    ...(input.etag === undefined ? {} : { eTag: input.etag }),
    sequencer: input.sequencer,
  };
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: input.region,
    eventTime: new Date(input.eventTime).toISOString(),
    eventName: input.eventName,
    userIdentity: { principalId: input.principalId },
    requestParameters: { sourceIPAddress: input.sourceIp },
    responseElements: { 'x-amz-request-id': input.requestId, 'x-amz-id-2': input.hostId },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: input.configurationId,
      bucket: { name: input.bucket, ownerIdentity: { principalId: input.bucketOwnerPrincipalId }, arn: `arn:aws:s3:::${input.bucket}` },
      object,
    },
  };
}

/**
 * S3's `sequencer`: hex that grows with each event, so consumers can order events for one key by
 * comparing strings of equal length. Time-based, so it keeps growing across restarts.
 */
export class Sequencer {
  private last = 0n;

  next(now = Date.now()): string {
    const candidate = BigInt(now) << 16n;
    this.last = candidate > this.last ? candidate : this.last + 1n;
    return this.last.toString(16).toUpperCase().padStart(18, '0');
  }
}
