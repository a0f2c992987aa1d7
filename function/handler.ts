// Lambda entry point: for each S3 ObjectCreated record, read the image, make the thumbnail its key asks for and
// write it to THUMBNAIL_BUCKET under the same key, or, for a key without a size, every configured variant under the
// keys variants.ts names. Bad input is logged once and skipped; only transient failures (throttling, 5xx, network)
// are thrown so that Lambda retries. It does no image work itself (thumbnail.ts).

import { Logger } from '@aws-lambda-powertools/logger';

import { ConfigError, loadConfig, readS3Settings, THUMBNAIL_METADATA, type ThumbnailConfig } from './config.js';
import { isPermanentImageError, PermanentImageError } from './errors.js';
import { ACCEPTED_EXTENSIONS_TEXT } from './formats.js';
import { decodeEventKey, parseThumbnailKey, resolveThumbnailSize } from './key.js';
import { restrictLoaders, sharp } from './sharp.js';
import { createS3Client, ObjectNotFoundError, s3Storage, type ThumbnailStorage } from './storage.js';
import { decodeImage, outputFormatFor, renderThumbnail, type ImageFactory, type Thumbnail } from './thumbnail.js';
import { createTracing, NO_TRACING, type Tracing } from './tracing.js';
import { LOG_MESSAGES, SUBSEGMENTS } from './log-messages.js';
import { variantKeysFor, type VariantTarget } from './variants.js';
import { withBatchOperations, type ThumbnailerEntryPoint } from './batch-event.js';

/** Service name on every log line and trace. */
export const SERVICE_NAME = 'thumbnailer';

export { LOG_MESSAGES, SUBSEGMENTS };

/** The part of an S3 notification record we use (field names as AWS sends them). */
export interface S3EventRecord {
  readonly eventName?: string;
  readonly s3?: {
    readonly bucket?: { readonly name?: string };
    readonly object?: { readonly key?: string; readonly size?: number };
  };
}

/** An S3 notification event. `Records` is absent for the `s3:TestEvent` S3 sends when notifications are set up. */
export interface S3Event {
  readonly Records?: readonly S3EventRecord[];
}

/** The part of the Lambda context we use. */
export interface InvocationContext {
  readonly awsRequestId?: string;
}

export type RecordStatus = 'created' | 'skipped' | 'rejected';

/** What happened to one variant of an upload without a size. */
export interface VariantResult {
  /** The variant's name in the config. */
  readonly name: string;
  /** Key of its thumbnail in THUMBNAIL_BUCKET (see variants.ts variantKeys). */
  readonly key: string;
  /** `failed`: a transient failure; the invocation throws and Lambda's retry makes every variant again. */
  readonly status: 'created' | 'rejected' | 'failed';
  readonly width?: number;
  readonly height?: number;
  /** Size of the written thumbnail in bytes. */
  readonly bytes?: number;
  readonly contentType?: string;
  /** Why it was rejected or failed. */
  readonly reason?: string;
}

/** What happened to one record. */
export interface RecordResult {
  /** The decoded source key (the raw key if it could not be decoded). */
  readonly key: string;
  readonly status: RecordStatus;
  /** Key of the written thumbnail (in THUMBNAIL_BUCKET); only when created. */
  readonly thumbnailKey?: string;
  readonly width?: number;
  readonly height?: number;
  /** Size of the written thumbnail in bytes. */
  readonly bytes?: number;
  /** Why it was skipped or rejected. */
  readonly reason?: string;
  /** One entry per configured variant, for a key without a size; the record is `rejected` if any variant was. */
  readonly variants?: readonly VariantResult[];
}

export interface HandlerResult {
  readonly results: RecordResult[];
}

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** The logging the handler needs; a Powertools Logger satisfies it, tests pass a recorder. */
export interface HandlerLogger {
  info(message: string, fields: LogFields): void;
  warn(message: string, fields: LogFields): void;
  error(message: string, fields: LogFields): void;
}

/** Everything the handler depends on, injectable for tests. */
export interface HandlerDependencies {
  readonly storage: ThumbnailStorage;
  /** The configuration, or the ConfigError explaining why there is none (every invocation then fails loudly). */
  readonly config: ThumbnailConfig | ConfigError;
  readonly logger?: HandlerLogger;
  readonly tracing?: Tracing;
  /** Makes sharp pipelines; tests pass one that counts decodes. */
  readonly imaging?: ImageFactory;
}

export type ThumbnailHandler = (event: S3Event, context?: InvocationContext) => Promise<HandlerResult>;

/**
 * Builds a handler around the given dependencies.
 *
 * @param dependencies - Storage, configuration and optionally a logger and tracing.
 * @returns The Lambda handler. It resolves with one result per record. It throws only for transient failures,
 *   after trying every record (a retry then redoes the failed records and idempotently rewrites the others),
 *   or when the configuration is invalid.
 */
export function createHandler(dependencies: HandlerDependencies): ThumbnailHandler {
  const { storage, config } = dependencies;
  const logger = dependencies.logger ?? defaultLogger();
  const tracing = dependencies.tracing ?? NO_TRACING;
  const imaging = dependencies.imaging;

  return async function handler(event, context) {
    const requestId = context?.awsRequestId;
    if (config instanceof ConfigError) {
      logger.error(LOG_MESSAGES.misconfigured, { reason: config.message, requestId });
      throw config;
    }
    const invocation: Invocation = { storage, config, logger, tracing, requestId, imaging };

    const results: RecordResult[] = [];
    const transient: unknown[] = [];
    const records = eventRecords(event);
    if (typeof records === 'string') {
      // Not an S3 event at all: no retry can make it one.
      logger.error(`${LOG_MESSAGES.rejected}: (event)`, { key: '', reason: records, requestId });
      return { results: [{ key: '', status: 'rejected', reason: records }] };
    }
    for (const raw of records) {
      const record = readS3Record(raw);
      let key = typeof record === 'string' ? '' : record.key;
      try {
        if (typeof record === 'string') throw new PermanentImageError(record);
        key = decodeEventKey(key);
        results.push(await processRecord(record, key, invocation));
      } catch (error) {
        if (isPermanentImageError(error)) {
          logger.error(`${LOG_MESSAGES.rejected}: ${key}`, { key, reason: error.message, requestId });
          results.push({ key, status: 'rejected', reason: error.message });
        } else if (error instanceof ObjectNotFoundError) {
          // Deleted between the upload and now: nothing to do, and no retry will change that.
          results.push(skip(invocation, key, 'source object no longer exists'));
        } else {
          logger.warn(LOG_MESSAGES.retrying, { key, reason: messageOf(error), requestId });
          transient.push(error);
        }
      }
    }

    if (transient.length === 1) throw transient[0];
    if (transient.length > 1) throw new AggregateError(transient, `${transient.length} records failed transiently`);
    return { results };
  };
}

/** A record known to be an S3 notification for one object: what processRecord reads of it. */
interface ObjectRecord {
  readonly eventName?: string;
  readonly bucket: string;
  /** As S3 writes it into events (form-encoded), not yet decoded. */
  readonly key: string;
}

/**
 * The records of an event, or why it is not an S3 event: `Records` must be a list when present (S3's test
 * event has none, and neither has an empty invocation), and the event itself an object.
 */
function eventRecords(event: unknown): readonly unknown[] | string {
  if (event === null || event === undefined) return [];
  if (typeof event !== 'object' || Array.isArray(event)) return 'not an S3 event: the event is not a JSON object';
  const records = (event as { Records?: unknown }).Records;
  if (records === undefined || records === null) return [];
  if (!Array.isArray(records)) return 'not an S3 event: Records is not a list';
  return records;
}

/**
 * Reads one record as S3 writes it, checking the shape of every field used: an object, from `aws:s3` when
 * it says where it is from, with a string eventName when there is one, and `s3.bucket.name` and `s3.object.key`
 * non-empty strings. @returns the record, or why it is not an S3 object record (a permanent rejection)
 */
function readS3Record(record: unknown): ObjectRecord | string {
  const refuse = (what: string): string => `not an S3 object-created record (malformed S3 event record: ${what})`;
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return refuse('the record is not a JSON object');
  const { eventSource, eventName, s3 } = record as { eventSource?: unknown; eventName?: unknown; s3?: unknown };
  if (eventSource !== undefined && eventSource !== 'aws:s3') return refuse(`it comes from ${JSON.stringify(eventSource)}, not aws:s3`);
  if (eventName !== undefined && typeof eventName !== 'string') return refuse('eventName is not a string');
  if (s3 === null || typeof s3 !== 'object') return refuse('it has no s3 object');
  const { bucket, object } = s3 as { bucket?: { name?: unknown } | null; object?: { key?: unknown } | null };
  const name = bucket?.name;
  const key = object?.key;
  if (typeof name !== 'string' || name === '') return refuse('s3.bucket.name is missing or not a string');
  if (typeof key !== 'string' || key === '') return refuse('s3.object.key is missing or not a string');
  return { ...(eventName !== undefined ? { eventName } : {}), bucket: name, key };
}

/** Per-invocation view of the dependencies, with the configuration known to be valid. */
interface Invocation {
  readonly storage: ThumbnailStorage;
  readonly config: ThumbnailConfig;
  readonly logger: HandlerLogger;
  readonly tracing: Tracing;
  readonly requestId: string | undefined;
  readonly imaging: ImageFactory | undefined;
}

/** S3 refuses longer keys (KeyTooLongError); a variant's key is its source key plus a size and maybe a name. */
const S3_MAX_KEY_BYTES = 1024;

/** A transient failure of one or more variants; thrown so that Lambda retries, and the retry writes them all. */
export class VariantsFailedError extends Error {
  override readonly name = 'VariantsFailedError';
}

/**
 * Handles one record. Returns for created/skipped, throws PermanentImageError for rejected,
 * anything else for transient failures.
 */
async function processRecord(record: ObjectRecord, key: string, invocation: Invocation): Promise<RecordResult> {
  const { storage, config, logger, tracing, requestId } = invocation;
  const bucket = record.bucket;
  if (!key) throw new PermanentImageError('not an S3 object-created record (malformed S3 event record: s3.object.key is empty once decoded)');

  // S3 also sends other event types if the notification is configured broadly; only new objects matter.
  if (record.eventName !== undefined && !/^(s3:)?ObjectCreated:/.test(record.eventName)) {
    return skip(invocation, key, `not an ObjectCreated event (${record.eventName})`);
  }
  // Writing into the bucket we were triggered by would trigger us again, forever.
  if (bucket === config.thumbnailBucket) {
    throw new PermanentImageError(
      `THUMBNAIL_BUCKET equals the source bucket "${bucket}"; refusing to write, as that would re-trigger this function forever`,
    );
  }

  const parsed = parseThumbnailKey(key);
  if (parsed === null) {
    const variants = config.variants ?? [];
    if (variants.length === 0) {
      return skip(invocation, key, `key names no <W>x<H> size with a ${ACCEPTED_EXTENSIONS_TEXT} extension, and no variants are configured`);
    }
    const targets = variantKeysFor(key, variants);
    if (targets === null) return skip(invocation, key, `key has no ${ACCEPTED_EXTENSIONS_TEXT} extension`);
    return processVariants(bucket, key, targets, invocation);
  }
  const size = resolveThumbnailSize(parsed, { maxSide: config.maxSide });
  if (!size.ok) throw new PermanentImageError(size.reason);

  const started = performance.now();
  const source = await storage.getObject(bucket, key);
  const fetched = performance.now();
  const thumbnail = await tracing.inSubsegment(SUBSEGMENTS.resize, () =>
    renderThumbnail(source.body, { width: size.width, height: size.height, fit: config.fit }, config, invocation.imaging),
  );
  const resized = performance.now();
  // Marked with this function's name: teardown removes from a bucket it does not own only what this function wrote.
  const marker = config.functionName ? { [THUMBNAIL_METADATA.writtenBy]: config.functionName } : undefined;
  await storage.putObject(config.thumbnailBucket, key, thumbnail.data, thumbnail.contentType, marker);
  const stored = performance.now();

  logger.info(LOG_MESSAGES.created, {
    key,
    size: `${size.width}x${size.height}`,
    fit: config.fit,
    ...madeFields(thumbnail, source.body.length),
    getMs: milliseconds(fetched - started),
    resizeMs: milliseconds(resized - fetched),
    putMs: milliseconds(stored - resized),
    requestId,
  });
  return {
    key,
    status: 'created',
    thumbnailKey: key,
    width: thumbnail.width,
    height: thumbnail.height,
    bytes: thumbnail.data.length,
  };
}

/**
 * Makes every variant of an upload without a size from one read and one decode. Each variant is resized, encoded
 * and written in turn (one `resize` subsegment each; sequential, because a subsegment is the tracer's current
 * segment while it is open). A variant that fails does not stop the others. Then: any transient failure throws a
 * {@link VariantsFailedError} naming those variants, so Lambda retries and the retry writes every variant again
 * (same keys, same bytes); otherwise any permanent rejection is logged once and the record resolves as rejected.
 * A source that cannot be decoded at all is rejected as a key with a size is (thrown PermanentImageError).
 */
async function processVariants(bucket: string, key: string, targets: readonly VariantTarget[], invocation: Invocation): Promise<RecordResult> {
  const { storage, config, logger, tracing, requestId } = invocation;
  const started = performance.now();
  const source = await storage.getObject(bucket, key);
  const fetched = performance.now();
  const decoded = await tracing.inSubsegment(SUBSEGMENTS.decode, () =>
    decodeImage(source.body, targets.map((target) => target.variant), config, invocation.imaging),
  );
  const decodedAt = performance.now();

  const results: VariantResult[] = [];
  const failures: { target: VariantTarget; error: unknown }[] = [];
  for (const target of targets) {
    const { variant } = target;
    const size = `${variant.width}x${variant.height}`;
    const format = outputFormatFor(decoded.source, variant.format);
    try {
      const keyBytes = Buffer.byteLength(target.key);
      if (keyBytes > S3_MAX_KEY_BYTES) {
        throw new PermanentImageError(`thumbnail key is ${keyBytes} bytes, above S3's limit of ${S3_MAX_KEY_BYTES}`);
      }
      const renderStarted = performance.now();
      const thumbnail = await tracing.inSubsegment(SUBSEGMENTS.resize, () => decoded.render(variant), {
        variant: variant.name,
        size,
        fit: variant.fit,
        format,
      });
      const rendered = performance.now();
      await storage.putObject(config.thumbnailBucket, target.key, thumbnail.data, thumbnail.contentType);
      const stored = performance.now();
      logger.info(LOG_MESSAGES.created, {
        key,
        variant: variant.name,
        thumbnailKey: target.key,
        size,
        fit: variant.fit,
        ...madeFields(thumbnail, source.body.length),
        getMs: milliseconds(fetched - started),
        decodeMs: milliseconds(decodedAt - fetched),
        resizeMs: milliseconds(rendered - renderStarted),
        putMs: milliseconds(stored - rendered),
        requestId,
      });
      results.push({
        name: variant.name,
        key: target.key,
        status: 'created',
        width: thumbnail.width,
        height: thumbnail.height,
        bytes: thumbnail.data.length,
        contentType: thumbnail.contentType,
      });
    } catch (error) {
      const permanent = isPermanentImageError(error);
      const reason = permanent ? error.message : messageOf(error);
      results.push({ name: variant.name, key: target.key, status: permanent ? 'rejected' : 'failed', reason });
      if (!permanent) failures.push({ target, error });
    }
  }

  const describe = (result: VariantResult): string => `variant "${result.name}" (${result.key}): ${result.reason}`;
  if (failures.length > 0) {
    // Permanent rejections among them are not logged as such now: the retry meets them again and logs them once.
    const failed = results.filter((result) => result.status !== 'created');
    const causes = failures.map((failure) => failure.error);
    throw new VariantsFailedError(failed.map(describe).join('; '), {
      cause: causes.length === 1 ? causes[0] : new AggregateError(causes, `${causes.length} variants failed`),
    });
  }
  const rejected = results.filter((result) => result.status === 'rejected');
  if (rejected.length > 0) {
    const reason = rejected.map(describe).join('; ');
    logger.error(`${LOG_MESSAGES.rejected}: ${key}`, { key, reason, variant: rejected.map((result) => result.name).join(','), requestId });
    return { key, status: 'rejected', reason, variants: results };
  }
  return { key, status: 'created', variants: results };
}

function skip(invocation: Invocation, key: string, reason: string): RecordResult {
  invocation.logger.info(LOG_MESSAGES.skipped, { key, reason, requestId: invocation.requestId });
  return { key, status: 'skipped', reason };
}

let sharedLogger: Logger | undefined;

/** The Powertools Logger, created once per execution environment and only when first needed. */
function defaultLogger(): Logger {
  sharedLogger ??= new Logger({ serviceName: SERVICE_NAME });
  return sharedLogger;
}

/** What a log line says about a thumbnail made: formats, its size, and the bytes in and out. */
function madeFields(thumbnail: Thumbnail, bytesIn: number): Record<string, unknown> {
  return {
    sourceFormat: thumbnail.source.format,
    format: thumbnail.format,
    width: thumbnail.width,
    height: thumbnail.height,
    bytesIn,
    bytesOut: thumbnail.data.length,
  };
}

function milliseconds(value: number): number {
  return Math.round(value * 10) / 10;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

// ---- Execution-environment setup: runs once per cold start, does no I/O. ----

// Every invocation sees a new image, so libvips' operation cache would only pin old buffers in memory.
sharp.cache(false);

// The deployed function reads only the formats it accepts; see restrictLoaders for why this is process-wide.
restrictLoaders();
const moduleLogger = defaultLogger();
const moduleTracing = createTracing(SERVICE_NAME, (message, fields) => moduleLogger.warn(message, fields));

/** The Lambda entry point (`handler` export): S3 event (or S3 Batch Operations event, batch-event.ts) in, thumbnails out. */
export const handler: ThumbnailerEntryPoint = withBatchOperations(createHandler({
  storage: s3Storage(moduleTracing.captureAWSv3Client(createS3Client(readS3Settings(process.env)))),
  config: loadConfig(process.env),
  logger: moduleLogger,
  tracing: moduleTracing,
}));
