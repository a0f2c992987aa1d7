// The core of `thumbctl upload`: check the file and size locally, upload, wait for the thumbnail (or, for an upload
// without a size, for every configured variant) while watching the function's logs, then describe each thumbnail
// (dimensions from its header, a presigned URL) and optionally save it. Reports progress through a Reporter and never
// prints; the command decides what people and scripts see.
import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { GetObjectCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ExitCode, formatBytes, UserError, type Reporter } from '../../output.js';
import type { Variant, VariantTarget } from '../../../function/variants.js';
import { checkWritableFile, writeFileAtomic } from '../fs.js';
import { httpStatus, sleep } from '../../../shared/retry.js';
import { sniffImageType, UNKNOWN_CONTENT_TYPE } from './content-type.js';
import { KeyLogJudge, watchForFailure, type FunctionVerdict } from './log-watch.js';
import { logGroupName } from './logs.js';
import { resolveUploadKey, resolveVariantsUploadKey, type ThumbnailSize } from './size.js';
import { headObject, pollForThumbnail, type ObjectVersion, type ThumbnailSighting } from './wait.js';
import { putTracedObject } from './traced-put.js';

/** How long a presigned thumbnail URL stays valid. */
export const PRESIGNED_URL_SECONDS = 3600;

export interface UploadRequest {
  file: string;
  /** WIDTHxHEIGHT as typed; absent: the configured variants. */
  size?: string;
  key?: string;
  /** Where to save the thumbnail: a file path, or an existing directory. */
  out?: string;
  /** False for --no-wait. */
  wait: boolean;
  timeoutMs: number;
}

/** An upload that passed every local check: nothing has been sent yet. */
interface PreparedUploadBase {
  file: string;
  body: Buffer;
  key: string;
  contentType: string;
  /** The sniffed format, or undefined when the bytes are no image format we know. */
  format?: string;
  /** The resolved file the thumbnail will be saved to; for variants, the directory they are saved in. */
  out?: string;
  wait: boolean;
  timeoutMs: number;
}

/** An upload whose key names a size: one thumbnail, under the same key. */
export interface SizedUpload extends PreparedUploadBase {
  size: ThumbnailSize;
  variants?: undefined;
}

/** An upload whose key names no size: every configured variant, each under the key variants.ts gives it. */
export interface VariantsUpload extends PreparedUploadBase {
  size?: undefined;
  variants: VariantTarget[];
}

export type PreparedUpload = SizedUpload | VariantsUpload;

/** What the upload's checks need of the settings. */
export interface UploadSettings {
  maxSize: number;
  suffixes: readonly string[];
  /** The configured variants; without them an upload needs a size. */
  variants?: readonly Variant[];
}

/** The resources an upload touches. */
export interface UploadTarget {
  sourceBucket: string;
  thumbnailBucket: string;
  functionName: string;
}

/** One variant in `upload --json`, exactly; with --no-wait its measurements are null. */
export interface VariantReport {
  name: string;
  key: string;
  width: number | null;
  height: number | null;
  bytes: number | null;
  contentType: string | null;
}

/**
 * `upload --json`, exactly: with --no-wait the thumbnail's measurements are null. For an upload without a size the
 * thumbnail fields describe the first variant, `latencyMs` runs until the last variant was seen, and `variants` lists
 * each (it is absent for an upload with a size).
 */
export interface UploadResult {
  sourceBucket: string;
  sourceKey: string;
  thumbnailBucket: string;
  thumbnailKey: string;
  width: number | null;
  height: number | null;
  bytes: number | null;
  contentType: string | null;
  url: string | null;
  latencyMs: number | null;
  /** The X-Ray trace the upload started (see `thumbctl traces --trace-id`). */
  traceId: string;
  variants?: VariantReport[];
}

export interface UploadOutcome {
  result: UploadResult;
  sourceBytes: number;
  sourceContentType: string;
  /** Where the thumbnail was saved (--out); for variants, the directory they were saved in. */
  savedTo?: string;
}

const usage = (message: string): UserError => new UserError(message, ExitCode.usage);

/**
 * Every check that needs no AWS: the file exists, is a readable file, and its size and key are acceptable; without
 * a size, variants are configured and the key names none.
 *
 * @param settings - The largest side allowed, the suffixes the trigger fires for, the variants.
 * @throws UserError (exit 2) with one line when anything is wrong.
 */
export async function prepareUpload(request: UploadRequest & { size: string }, settings: UploadSettings, reporter: Reporter): Promise<SizedUpload>;
export async function prepareUpload(request: UploadRequest, settings: UploadSettings, reporter: Reporter): Promise<PreparedUpload>;
export async function prepareUpload(request: UploadRequest, settings: UploadSettings, reporter: Reporter): Promise<PreparedUpload> {
  const file = resolve(request.file);
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw usage(error.code === 'ENOENT' ? `file not found: ${request.file}` : `cannot read ${request.file}: ${error.code ?? error.message}`);
  });
  if (info.isDirectory()) throw usage(`${request.file} is a directory, not an image file`);
  if (!info.isFile()) throw usage(`${request.file} is not a regular file`);
  const body = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw usage(`cannot read ${request.file}: ${error.code === 'EACCES' ? 'permission denied' : error.code ?? error.message}`);
  });
  const sniffed = sniffImageType(body);
  const keyed =
    request.size === undefined
      ? resolveVariantsUploadKey({ file, key: request.key, format: sniffed?.format, suffixes: settings.suffixes, variants: settings.variants ?? [] })
      : resolveUploadKey({ file, size: request.size, key: request.key, format: sniffed?.format, maxSize: settings.maxSize, suffixes: settings.suffixes });

  let out: string | undefined;
  if (request.out !== undefined) {
    if (!request.wait) throw usage('--out saves the thumbnail, so it cannot be combined with --no-wait');
    out = 'variants' in keyed ? await resolveOutDirectory(request.out) : await resolveOutPath(request.out, keyed.key);
  }
  if (!sniffed) {
    reporter.warn(`${request.file} does not look like a JPEG, PNG, WebP, GIF or AVIF image; uploading it as ${UNKNOWN_CONTENT_TYPE} (the function will probably reject it)`);
  } else if (sniffed.refusal) {
    reporter.warn(`${request.file} is ${sniffed.format.toUpperCase()}, which the function refuses (${sniffed.refusal}); uploading it anyway`);
  }
  const prepared = { file, body, contentType: sniffed?.contentType ?? UNKNOWN_CONTENT_TYPE, format: sniffed?.format, out, wait: request.wait, timeoutMs: request.timeoutMs };
  return 'variants' in keyed ? { ...prepared, key: keyed.key, variants: keyed.variants } : { ...prepared, key: keyed.key, size: keyed.size };
}

/** `--out` for variants: an existing, writable directory; each variant is saved in it under its key's name. */
async function resolveOutDirectory(out: string): Promise<string> {
  const path = resolve(out);
  if (!(await stat(path).catch(() => undefined))?.isDirectory()) {
    throw usage(`--out: ${path} is not a directory; an upload without a size makes several thumbnails, so --out takes the directory to save them in`);
  }
  await checkWritableFile(join(path, 'thumbnail'), '--out');
  return path;
}

/** `--out`: a file in an existing directory, or an existing directory (the thumbnail keeps its key's name). */
async function resolveOutPath(out: string, key: string): Promise<string> {
  const path = resolve(out);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) return checkWritableFile(join(path, basename(key)), '--out');
  return checkWritableFile(path, '--out');
}

/** HeadBucket, turning "no such bucket" into the one line that says what to do. */
async function checkBucket(s3: S3Client, bucket: string, role: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404 || (error as Error).name === 'NotFound' || (error as Error).name === 'NoSuchBucket') {
      throw new UserError(`the ${role} bucket ${bucket} does not exist: run \`thumbctl setup\` first`);
    }
    if (status === 403) throw new UserError(`no access to the ${role} bucket ${bucket} (403): is it someone else's?`);
    throw error;
  }
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** One thumbnail an upload waits for: the one under its own key, or one variant. */
interface AwaitedThumbnail {
  /** The variant's name; undefined for an upload with a size. */
  name?: string;
  key: string;
  /** The thumbnail that was under this key before the upload, if any. */
  previous?: ObjectVersion;
}

/**
 * Uploads a prepared image and, unless told not to wait, waits for its thumbnail, or for every variant.
 *
 * The latency runs from just before PutObject is sent to the moment HeadObject first shows the new thumbnail (the
 * last of them, for variants). A thumbnail already under the same key is recorded first (ETag, LastModified) and not
 * mistaken for the new one; the function's own "thumbnail created" log line settles a rewrite of identical bytes
 * within the same second.
 *
 * @throws UserError exit 1 when the function rejects, skips or fails on the image (or on one variant); exit 3 when
 *   the wait runs out.
 */
export async function uploadImage(
  clients: { s3: S3Client; logs: CloudWatchLogsClient },
  target: UploadTarget,
  upload: PreparedUpload,
  reporter: Reporter,
): Promise<UploadOutcome> {
  const { s3 } = clients;
  const sourceUri = `s3://${target.sourceBucket}/${upload.key}`;
  const thumbnails: AwaitedThumbnail[] = upload.variants ? upload.variants.map(({ variant, key }) => ({ name: variant.name, key })) : [{ key: upload.key }];

  const [, , previousHeads] = await Promise.all([
    checkBucket(s3, target.sourceBucket, 'source'),
    upload.wait ? checkBucket(s3, target.thumbnailBucket, 'thumbnails') : undefined,
    upload.wait ? Promise.all(thumbnails.map((thumbnail) => headObject(s3, target.thumbnailBucket, thumbnail.key))) : undefined,
  ]);
  thumbnails.forEach((thumbnail, index) => {
    const head = previousHeads?.[index];
    if (head) thumbnail.previous = { etag: head.ETag, lastModified: head.LastModified };
  });
  // S3 keeps LastModified to the second. If an old thumbnail was written this very second, a rewrite with the
  // same bytes (same ETag) would look just like it; waiting for the next second (before the clock starts) makes
  // the new one's LastModified differ. The function's log line remains the fallback for clocks that disagree.
  const thisSecond = Math.floor(Date.now() / 1000) * 1000;
  if (thumbnails.some((thumbnail) => thumbnail.previous?.lastModified && thumbnail.previous.lastModified.getTime() >= thisSecond)) {
    await sleep(1000 - (Date.now() % 1000) + 5);
  }

  const uploading = reporter.step(`uploading ${upload.key} (${formatBytes(upload.body.length)}, ${upload.contentType})`);
  const judge = new KeyLogJudge(upload.key, Date.now());
  const startedAt = performance.now();
  let traceId: string;
  try {
    traceId = await putTracedObject(s3, { Bucket: target.sourceBucket, Key: upload.key, Body: upload.body, ContentType: upload.contentType });
  } catch (error) {
    uploading.fail();
    throw error;
  }
  uploading.succeed(`uploaded ${sourceUri} in ${Math.round(performance.now() - startedAt)} ms`);

  const first = thumbnails[0]!;
  const base: UploadResult = {
    sourceBucket: target.sourceBucket,
    sourceKey: upload.key,
    thumbnailBucket: target.thumbnailBucket,
    thumbnailKey: first.key,
    width: null,
    height: null,
    bytes: null,
    contentType: null,
    url: null,
    latencyMs: null,
    traceId,
    ...(upload.variants ? { variants: thumbnails.map((thumbnail) => ({ name: thumbnail.name!, key: thumbnail.key, width: null, height: null, bytes: null, contentType: null })) } : {}),
  };
  const outcome = { sourceBytes: upload.body.length, sourceContentType: upload.contentType };
  if (!upload.wait) return { result: base, ...outcome };

  const what = upload.variants ? `${thumbnails.length} variants of ${upload.key}` : `s3://${target.thumbnailBucket}/${upload.key}`;
  const waiting = reporter.step(`waiting for ${what}`);
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(), upload.timeoutMs);
  const watcher = watchForFailure(clients.logs, { logGroupName: logGroupName(target.functionName), judge, signal: stop.signal }).then((verdict) => {
    if (verdict) stop.abort();
    return verdict;
  });
  let sightings: (ThumbnailSighting | undefined)[];
  try {
    let seen = 0;
    sightings = await Promise.all(
      thumbnails.map(async (thumbnail) => {
        const sighting = await pollForThumbnail(s3, {
          bucket: target.thumbnailBucket,
          key: thumbnail.key,
          previous: thumbnail.previous,
          confirmedByLogs: () => judge.createdKeys.has(thumbnail.key),
          signal: stop.signal,
        });
        if (sighting && upload.variants) waiting.update(`waiting for ${what}: ${++seen} ready`);
        return sighting;
      }),
    );
  } catch (error) {
    waiting.fail();
    throw error;
  } finally {
    clearTimeout(deadline);
    stop.abort();
  }
  const verdict = await watcher;

  const missing = thumbnails.filter((_, index) => !sightings[index]);
  if (missing.length > 0) {
    const message = verdict ? verdictMessage(upload.key, verdict, Boolean(upload.variants)) : timeoutMessage(upload, target, judge, thumbnails, missing);
    waiting.fail(`no thumbnail for ${missing.map((thumbnail) => thumbnail.name ?? thumbnail.key).join(', ')}`);
    throw new UserError(message, verdict ? ExitCode.failure : ExitCode.timeout);
  }
  const observedAt = Math.max(...sightings.map((sighting) => sighting!.observedAt));
  const latencyMs = round(observedAt - startedAt);
  waiting.succeed(`${upload.variants ? `${thumbnails.length} variants` : 'thumbnail'} ready ${latencyMs} ms after the upload began`);

  const described = await Promise.all(thumbnails.map((thumbnail, index) => describeThumbnail(s3, target.thumbnailBucket, thumbnail.key, sightings[index]!)));
  let savedTo: string | undefined;
  if (upload.out && upload.variants) {
    // Each under its key less the upload's prefix: `canyon-400x400.jpg`, or `card/canyon-800x600.webp` when names collide.
    const prefix = upload.key.slice(0, upload.key.lastIndexOf('/') + 1);
    for (const [index, thumbnail] of thumbnails.entries()) {
      const path = join(upload.out, thumbnail.key.slice(prefix.length));
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomically(path, described[index]!.data);
    }
    savedTo = upload.out;
  } else if (upload.out) {
    savedTo = await writeFileAtomically(upload.out, described[0]!.data);
  }

  const { data: _data, ...firstThumbnail } = described[0]!;
  return {
    result: {
      ...base,
      ...firstThumbnail,
      latencyMs,
      ...(upload.variants
        ? { variants: thumbnails.map((thumbnail, index) => ({ name: thumbnail.name!, key: thumbnail.key, ...pick(described[index]!, ['width', 'height', 'bytes', 'contentType']) })) }
        : {}),
    },
    ...outcome,
    savedTo,
  };
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, value[key]])) as Pick<T, K>;
}

/** A thumbnail that appeared: its bytes and what `upload` reports of it. */
async function describeThumbnail(
  s3: S3Client,
  bucket: string,
  key: string,
  sighting: ThumbnailSighting,
): Promise<{ data: Buffer; width: number | null; height: number | null; bytes: number; contentType: string | null; url: string }> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const data = Buffer.from(await object.Body!.transformToByteArray());
  const { width, height } = await imageDimensions(data);
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: PRESIGNED_URL_SECONDS });
  return { data, width, height, bytes: data.length, contentType: object.ContentType ?? sighting.head.ContentType ?? null, url };
}

/** The thumbnail's real dimensions, read from its header by sharp (loaded only when needed). */
async function imageDimensions(data: Buffer): Promise<{ width: number | null; height: number | null }> {
  const sharp = (await import('sharp')).default;
  try {
    const metadata = await sharp(data).metadata();
    return { width: metadata.width ?? null, height: metadata.height ?? null };
  } catch {
    return { width: null, height: null };
  }
}

/** Writes beside the destination, then renames (writeFileAtomic): a reader never sees half a file, and a failure
 * leaves none. A failure becomes one line saying where the thumbnail could not be saved. */
export async function writeFileAtomically(path: string, data: Uint8Array): Promise<string> {
  try {
    return await writeFileAtomic(path, data);
  } catch (error) {
    throw new UserError(`cannot save the thumbnail to ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * @param variants - the upload expected the configured variants: a skip then most likely means the function was
 *   deployed without them
 */
export function verdictMessage(key: string, verdict: FunctionVerdict, variants = false): string {
  switch (verdict.outcome) {
    case 'rejected':
      return `the function rejected ${key}: ${verdict.reason}`;
    case 'skipped':
      return `the function skipped ${key}: ${verdict.reason}${variants ? ' (the config has variants: `thumbctl setup` deploys them)' : ''}`;
    default:
      return `the function failed on ${key}: ${verdict.reason} (more: \`thumbctl logs --since 5m\`)`;
  }
}

function timeoutMessage(upload: PreparedUpload, target: UploadTarget, judge: KeyLogJudge, thumbnails: readonly AwaitedThumbnail[], missing: readonly AwaitedThumbnail[]): string {
  const after = `in ${target.thumbnailBucket} after ${upload.timeoutMs / 1000} s`;
  const waited = upload.variants
    ? `no ${missing.map((thumbnail) => `variant "${thumbnail.name}" (${thumbnail.key})`).join(', ')} for ${upload.key} ${after}`
    : `no thumbnail for ${upload.key} ${after}`;
  if (judge.transientReason) return `${waited}: the function keeps failing (${judge.transientReason}); Lambda retries it later. More: \`thumbctl logs --since 5m\``;
  if (missing.some((thumbnail) => judge.createdKeys.has(thumbnail.key))) {
    return `${waited}, although the function logged that it created it: is ${target.thumbnailBucket} the bucket it writes to? Check \`thumbctl status\``;
  }
  const expected = new Set(thumbnails.map((thumbnail) => thumbnail.key));
  const others = [...judge.createdKeys].filter((key) => !expected.has(key));
  if (upload.variants && others.length > 0) {
    return `${waited}; the function made ${others.join(', ')} instead: its variants are not the config's. Run \`thumbctl setup\` (\`thumbctl status\` shows the drift)`;
  }
  const unreadable = judge.readError ? ` (the logs could not be read: ${judge.readError})` : '';
  if (!judge.mentioned) {
    return `${waited}, and the function never logged this key${unreadable}: the S3 trigger may be missing or the function failing before it starts. Check \`thumbctl status\` and \`thumbctl logs --since 5m\``;
  }
  return `${waited}: the function may be failing or slow${unreadable}. More: \`thumbctl logs --since 5m\``;
}
