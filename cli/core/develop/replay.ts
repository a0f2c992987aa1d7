// What `dev` runs after each deployment: the last upload again, as the S3 event that upload caused (a synchronous
// Invoke that starts its own X-Ray trace), then the thumbnail it wrote (or, for an upload without a size, every
// configured variant), read back from the thumbnails bucket, and the invocation's phases from its trace. Choosing the
// upload is here too (the newest one in the source bucket, else an image given with --image, else the bundled
// sample). No terminal.
import { GetObjectCommand, ListObjectsV2Command, type S3Client, type _Object } from '@aws-sdk/client-s3';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { XRayClient } from '@aws-sdk/client-xray';
import { parseThumbnailKey } from '../../../function/key.js';
import { variantKeysFor, type Variant } from '../../../function/variants.js';
import type { Reporter } from '../../output.js';
import { samplePhotoPath } from '../paths.js';
import { sleep } from '../../../shared/retry.js';
import { describeFunctionError, invokeFunction, syntheticPutEvent } from '../operate/invoke.js';
import { newTraceId } from '../operate/traced-put.js';
import { prepareUpload, uploadImage } from '../operate/upload.js';
import { analyseTrace, type TracePhases } from '../traces/analyse.js';
import { getTraces } from '../traces/fetch.js';
import { buildSegmentTree } from '../traces/segments.js';
import { DEV_DEFAULTS } from '../defaults.js';

/** The upload each build replays. */
export interface ReplayTarget {
  sourceBucket: string;
  key: string;
  thumbnailBucket: string;
  functionName: string;
  /** How it was chosen. */
  origin: 'last upload' | 'image' | 'sample';
  /** The S3 event that upload caused (object size and ETag as stored). */
  event: unknown;
}

/** The thumbnail a run wrote, as read back from S3. */
export interface ReplayThumbnail {
  key: string;
  width: number | null;
  height: number | null;
  bytes: number;
  contentType: string | null;
}

/** One variant's thumbnail, as read back from S3. */
export interface ReplayVariant extends ReplayThumbnail {
  /** The variant's name in the config. */
  name: string;
}

/** One replay: the function's answer, the thumbnail and the phases of the invocation's trace. */
export interface ReplayRun {
  /** Invoke sent → answer received (the function has written the thumbnail, or every variant, by then). */
  e2eMs: number;
  /** Answer received → thumbnail (or variants) and trace read back. */
  readBackMs: number;
  /** The thumbnail; for an upload without a size, the first variant's. */
  thumbnail: ReplayThumbnail | null;
  /** For an upload without a size: every variant, each read back; null for an upload with a size. */
  variants: ReplayVariant[] | null;
  /** null when the trace did not arrive in time. */
  phases: TracePhases | null;
  coldStart: boolean | null;
  traceId: string;
  /** The function failed, rejected or skipped the image: the first line of why; null when it made the thumbnail. */
  error: string | null;
  /** The lines that say more about the error (the function's ERROR log lines, its stack), at most a few. */
  errorLines: string[];
  /** The invocation's log (Lambda's 4 KB tail), one event per line. */
  log: string[];
}

export interface ReplayClients {
  s3: S3Client;
  lambda: LambdaClient;
  logs: CloudWatchLogsClient;
  xray: XRayClient;
}

export interface ReplayChoice {
  /** --image: upload this file and replay it. */
  image?: string;
  /** --size: the thumbnail size for the image (or for the sample). */
  size?: string;
}

/** Keys scanned for the newest upload at most (the source bucket of a course demo holds a few dozen). */
export const MAX_SCANNED_KEYS = 10_000;
/**
 * How long a run waits for its trace before printing without phases, and how it looks: at once, then after
 * `firstIntervalMs`, each wait `growth` times the one before up to `maxIntervalMs`. The trace is complete a few
 * milliseconds after the answer (when the runtime asks for its next event), so a fixed 30 ms look cost most
 * builds ~30 ms of waiting; growing waits keep the number of looks bounded when it never comes.
 */
export const TRACE_WAIT = { timeoutMs: 3000, firstIntervalMs: 4, growth: 1.5, maxIntervalMs: 100 } as const;

/** The wait before look number `look` (1 for the second look) at a trace not yet complete. */
export function traceLookIntervalMs(look: number): number {
  return Math.min(TRACE_WAIT.maxIntervalMs, TRACE_WAIT.firstIntervalMs * TRACE_WAIT.growth ** Math.max(0, look - 1));
}
/** Error lines shown under a failed run. */
export const MAX_ERROR_LINES = 4;

/**
 * The upload to replay: with --image, that file uploaded now (and its thumbnail awaited); otherwise the newest
 * object in the source bucket the function makes thumbnails of (a key naming a size, or, with variants configured,
 * an image key without one), else the bundled sample uploaded now.
 */
export async function chooseReplay(
  clients: ReplayClients,
  target: Omit<ReplayTarget, 'key' | 'origin' | 'event'> & { region: string; settings: { maxSize: number; suffixes: readonly string[]; variants?: readonly Variant[] } },
  choice: ReplayChoice,
  reporter: Reporter,
): Promise<ReplayTarget> {
  let key: string | undefined;
  let origin: ReplayTarget['origin'];
  if (choice.image === undefined && choice.size === undefined) {
    key = await newestUpload(clients.s3, target.sourceBucket, target.settings.variants ?? []);
    origin = 'last upload';
  } else {
    origin = 'image';
  }
  if (key === undefined) {
    if (choice.image === undefined) origin = 'sample';
    const prepared = await prepareUpload(
      { file: choice.image ?? samplePhotoPath(), size: choice.size ?? DEV_DEFAULTS.size, wait: true, timeoutMs: DEV_DEFAULTS.uploadWaitMs },
      target.settings,
      reporter,
    );
    await uploadImage(clients, target, prepared, reporter);
    key = prepared.key;
  }
  const { event } = await syntheticPutEvent(clients.s3, { bucket: target.sourceBucket, key, region: target.region });
  return { sourceBucket: target.sourceBucket, thumbnailBucket: target.thumbnailBucket, functionName: target.functionName, key, origin, event };
}

/**
 * The most recently written object the function would make thumbnails of: a key naming a size (`photo-400x300.jpg`)
 * or, when variants are configured, an image key without one (`photo.jpg`, made into every variant); or undefined.
 */
export async function newestUpload(s3: S3Client, bucket: string, variants: readonly Variant[] = []): Promise<string | undefined> {
  const replayable = (key: string): boolean => parseThumbnailKey(key) !== null || (variants.length > 0 && variantKeysFor(key, variants) !== null);
  let newest: _Object | undefined;
  let token: string | undefined;
  let scanned = 0;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (!object.Key || !replayable(object.Key)) continue;
      if (!newest || (object.LastModified?.getTime() ?? 0) > (newest.LastModified?.getTime() ?? 0)) newest = object;
    }
    scanned += page.KeyCount ?? page.Contents?.length ?? 0;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token && scanned < MAX_SCANNED_KEYS);
  return newest?.Key;
}

/** Invokes the function with the upload's event, reads the thumbnail back, and fetches the trace's phases. */
export async function replayUpload(clients: ReplayClients, target: ReplayTarget): Promise<ReplayRun> {
  const traceId = newTraceId();
  const started = performance.now();
  const result = await invokeFunction(clients.lambda, target.functionName, target.event, traceId);
  const answeredAt = performance.now();
  const e2eMs = round(answeredAt - started);
  const log = (result.logTail ?? '').split('\n').filter((line) => line.trim() !== '');
  const failure = describeFunctionError(result);
  const record = firstRecord(result.payload);
  let error: string | null = null;
  let thumbnail: ReplayThumbnail | null = null;
  let variants: ReplayVariant[] | null = null;
  // The trace is fetched while the thumbnails are read back.
  const trace = tracePhases(clients.xray, traceId, target.functionName);
  if (failure) error = failure;
  else if (!record) error = 'the function answered without a result for the record';
  else if (record.status !== 'created') error = `${record.status}: ${record.reason ?? 'no reason given'}`;
  else if (record.variants) {
    // An upload without a size: every variant must have been made, and each is read back.
    const missing = record.variants.find((variant) => variant.status !== 'created');
    if (record.variants.length === 0) error = 'the function made no variant of the upload';
    else if (missing) error = `variant "${missing.name}" ${missing.status}: ${missing.reason ?? 'no reason given'}`;
    else {
      variants = await Promise.all(
        record.variants.map(async (variant) => ({ name: variant.name, ...(await readThumbnail(clients.s3, target.thumbnailBucket, variant.key)) })),
      );
      thumbnail = variants[0] ? { key: variants[0].key, width: variants[0].width, height: variants[0].height, bytes: variants[0].bytes, contentType: variants[0].contentType } : null;
    }
  } else thumbnail = await readThumbnail(clients.s3, target.thumbnailBucket, record.thumbnailKey ?? target.key);
  const phases = await trace;
  return {
    e2eMs,
    readBackMs: round(performance.now() - answeredAt),
    thumbnail,
    variants,
    phases: phases?.phases ?? null,
    coldStart: phases?.coldStart ?? null,
    traceId,
    error,
    errorLines: error ? errorLines(result.payload, log) : [],
    log,
  };
}

interface VariantAnswer {
  name: string;
  key: string;
  status: string;
  reason?: string;
}

interface RecordAnswer {
  status: string;
  thumbnailKey?: string;
  reason?: string;
  /** For an upload without a size: what happened to each variant. */
  variants?: VariantAnswer[];
}

/** At most this many variants are read back (the config's list is short; the answer is the function's). */
const MAX_REPLAYED_VARIANTS = 50;

function firstRecord(payload: unknown): RecordAnswer | undefined {
  const results = (payload as { results?: unknown } | null)?.results;
  const first = Array.isArray(results) ? (results[0] as (Partial<Omit<RecordAnswer, 'variants'>> & { variants?: unknown }) | undefined) : undefined;
  if (!first || typeof first !== 'object' || typeof first.status !== 'string') return undefined;
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const variants = Array.isArray(first.variants)
    ? first.variants
        .slice(0, MAX_REPLAYED_VARIANTS)
        .filter((variant): variant is Record<string, unknown> => typeof variant === 'object' && variant !== null && typeof variant.key === 'string' && typeof variant.status === 'string')
        .map((variant) => ({ name: text(variant.name) ?? String(variant.key), key: String(variant.key), status: String(variant.status), reason: text(variant.reason) }))
    : undefined;
  return { status: first.status, thumbnailKey: text(first.thumbnailKey), reason: text(first.reason), ...(variants ? { variants } : {}) };
}

/** The thumbnail's bytes and dimensions as stored (sharp reads its header). */
async function readThumbnail(s3: S3Client, bucket: string, key: string): Promise<ReplayThumbnail> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const data = Buffer.from(await object.Body!.transformToByteArray());
  const sharp = (await import('sharp')).default;
  const metadata = await sharp(data)
    .metadata()
    .catch(() => ({ width: undefined, height: undefined }));
  return { key, width: metadata.width ?? null, height: metadata.height ?? null, bytes: data.length, contentType: object.ContentType ?? null };
}

/** The function's stack (from Lambda's error document) and its ERROR log lines: what says where it failed. */
function errorLines(payload: unknown, log: readonly string[]): string[] {
  const lines: string[] = [];
  const stack = (payload as { trace?: unknown } | null)?.trace;
  if (Array.isArray(stack)) lines.push(...stack.slice(1).map(String).filter((line) => /^\s*at /.test(line)).map((line) => line.trim()));
  lines.push(...log.filter((line) => /\bERROR\b|"level":"ERROR"/.test(line) && !/^(START|END|REPORT) /.test(line)));
  return lines.slice(0, MAX_ERROR_LINES);
}

/** The invocation's phases, once its trace holds the function's segment (bounded wait). */
export async function tracePhases(xray: XRayClient, traceId: string, functionName: string): Promise<{ phases: TracePhases; coldStart: boolean } | undefined> {
  const deadline = performance.now() + TRACE_WAIT.timeoutMs;
  let latest: { phases: TracePhases; coldStart: boolean } | undefined;
  for (let look = 1; ; look++) {
    const { traces } = await getTraces(xray, [traceId]);
    if (traces[0]) {
      const row = analyseTrace(buildSegmentTree(traces[0]), functionName);
      latest = { phases: row.phases, coldStart: row.coldStart };
      // Complete: the invocation is recorded and nothing is still in progress.
      if (row.phases.invocationMs !== null && !row.missing.includes('segments still in progress') && (row.error !== null || row.phases.s3PutMs !== null)) return latest;
    }
    if (performance.now() > deadline) return latest;
    await sleep(traceLookIntervalMs(look));
  }
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

