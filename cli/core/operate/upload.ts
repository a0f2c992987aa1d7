// The core of `thumbctl upload`: check the file and size locally, upload, wait for the thumbnail while watching
// the function's logs, then describe the thumbnail (dimensions from its header, a presigned URL) and optionally
// save it. Reports progress through a Reporter and never prints; the command decides what people and scripts see.
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { GetObjectCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ExitCode, formatBytes, UserError, type Reporter } from '../../output.js';
import { checkWritableFile, writeFileAtomic } from '../fs.js';
import { httpStatus, sleep } from '../../../shared/retry.js';
import { sniffImageType, UNKNOWN_CONTENT_TYPE } from './content-type.js';
import { KeyLogJudge, watchForFailure, type FunctionVerdict } from './log-watch.js';
import { logGroupName } from './logs.js';
import { resolveUploadKey, type ThumbnailSize } from './size.js';
import { headObject, pollForThumbnail, type ObjectVersion } from './wait.js';
import { putTracedObject } from './traced-put.js';

/** How long a presigned thumbnail URL stays valid. */
export const PRESIGNED_URL_SECONDS = 3600;

export interface UploadRequest {
  file: string;
  /** WIDTHxHEIGHT as typed. */
  size: string;
  key?: string;
  /** Where to save the thumbnail: a file path, or an existing directory. */
  out?: string;
  /** False for --no-wait. */
  wait: boolean;
  timeoutMs: number;
}

/** An upload that passed every local check: nothing has been sent yet. */
export interface PreparedUpload {
  file: string;
  body: Buffer;
  key: string;
  size: ThumbnailSize;
  contentType: string;
  /** The sniffed format, or undefined when the bytes are no image format we know. */
  format?: string;
  /** The resolved file the thumbnail will be saved to. */
  out?: string;
  wait: boolean;
  timeoutMs: number;
}

/** The resources an upload touches. */
export interface UploadTarget {
  sourceBucket: string;
  thumbnailBucket: string;
  functionName: string;
}

/** `upload --json`, exactly: with --no-wait the thumbnail's measurements are null. */
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
}

export interface UploadOutcome {
  result: UploadResult;
  sourceBytes: number;
  sourceContentType: string;
  /** Where the thumbnail was saved (--out). */
  savedTo?: string;
}

const usage = (message: string): UserError => new UserError(message, ExitCode.usage);

/**
 * Every check that needs no AWS: the file exists, is a readable file, and its size and key are acceptable.
 *
 * @param settings - The largest side allowed and the suffixes the trigger fires for.
 * @throws UserError (exit 2) with one line when anything is wrong.
 */
export async function prepareUpload(request: UploadRequest, settings: { maxSize: number; suffixes: readonly string[] }, reporter: Reporter): Promise<PreparedUpload> {
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
  const { key, size } = resolveUploadKey({ file, size: request.size, key: request.key, format: sniffed?.format, maxSize: settings.maxSize, suffixes: settings.suffixes });

  let out: string | undefined;
  if (request.out !== undefined) {
    if (!request.wait) throw usage('--out saves the thumbnail, so it cannot be combined with --no-wait');
    out = await resolveOutPath(request.out, key);
  }
  if (!sniffed) {
    reporter.warn(`${request.file} does not look like a JPEG, PNG, WebP, GIF, TIFF or AVIF image; uploading it as ${UNKNOWN_CONTENT_TYPE} (the function will probably reject it)`);
  }
  return { file, body, key, size, contentType: sniffed?.contentType ?? UNKNOWN_CONTENT_TYPE, format: sniffed?.format, out, wait: request.wait, timeoutMs: request.timeoutMs };
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

/**
 * Uploads a prepared image and, unless told not to wait, waits for its thumbnail.
 *
 * The latency runs from just before PutObject is sent to the moment HeadObject first shows the new thumbnail.
 * A thumbnail already under the same key is recorded first (ETag, LastModified) and not mistaken for the new one;
 * the function's own "thumbnail created" log line settles a rewrite of identical bytes within the same second.
 *
 * @throws UserError exit 1 when the function rejects, skips or fails on the image; exit 3 when the wait runs out.
 */
export async function uploadImage(
  clients: { s3: S3Client; logs: CloudWatchLogsClient },
  target: UploadTarget,
  upload: PreparedUpload,
  reporter: Reporter,
): Promise<UploadOutcome> {
  const { s3 } = clients;
  const sourceUri = `s3://${target.sourceBucket}/${upload.key}`;
  const thumbnailUri = `s3://${target.thumbnailBucket}/${upload.key}`;

  const [, , previousHead] = await Promise.all([
    checkBucket(s3, target.sourceBucket, 'source'),
    upload.wait ? checkBucket(s3, target.thumbnailBucket, 'thumbnails') : undefined,
    upload.wait ? headObject(s3, target.thumbnailBucket, upload.key) : undefined,
  ]);
  const previous: ObjectVersion | undefined = previousHead ? { etag: previousHead.ETag, lastModified: previousHead.LastModified } : undefined;
  // S3 keeps LastModified to the second. If the old thumbnail was written this very second, a rewrite with the
  // same bytes (same ETag) would look just like it; waiting for the next second (before the clock starts) makes
  // the new one's LastModified differ. The function's log line remains the fallback for clocks that disagree.
  if (previous?.lastModified && previous.lastModified.getTime() >= Math.floor(Date.now() / 1000) * 1000) {
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

  const base: UploadResult = {
    sourceBucket: target.sourceBucket,
    sourceKey: upload.key,
    thumbnailBucket: target.thumbnailBucket,
    thumbnailKey: upload.key,
    width: null,
    height: null,
    bytes: null,
    contentType: null,
    url: null,
    latencyMs: null,
    traceId,
  };
  const outcome = { sourceBytes: upload.body.length, sourceContentType: upload.contentType };
  if (!upload.wait) return { result: base, ...outcome };

  const waiting = reporter.step(`waiting for ${thumbnailUri}`);
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(), upload.timeoutMs);
  const watcher = watchForFailure(clients.logs, { logGroupName: logGroupName(target.functionName), judge, signal: stop.signal }).then((verdict) => {
    if (verdict) stop.abort();
    return verdict;
  });
  let sighting;
  try {
    sighting = await pollForThumbnail(s3, { bucket: target.thumbnailBucket, key: upload.key, previous, confirmedByLogs: () => judge.createdAt !== undefined, signal: stop.signal });
  } catch (error) {
    waiting.fail();
    throw error;
  } finally {
    clearTimeout(deadline);
    stop.abort();
  }
  const verdict = await watcher;

  if (!sighting) {
    const message = verdict ? verdictMessage(upload.key, verdict) : timeoutMessage(upload, target, judge);
    waiting.fail(`no thumbnail for ${upload.key}`);
    throw new UserError(message, verdict ? ExitCode.failure : ExitCode.timeout);
  }
  const latencyMs = round(sighting.observedAt - startedAt);
  waiting.succeed(`thumbnail ready ${latencyMs} ms after the upload began`);

  const object = await s3.send(new GetObjectCommand({ Bucket: target.thumbnailBucket, Key: upload.key }));
  const data = Buffer.from(await object.Body!.transformToByteArray());
  const { width, height } = await imageDimensions(data);
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: target.thumbnailBucket, Key: upload.key }), { expiresIn: PRESIGNED_URL_SECONDS });
  let savedTo: string | undefined;
  if (upload.out) savedTo = await writeFileAtomically(upload.out, data);

  return {
    result: { ...base, width, height, bytes: data.length, contentType: object.ContentType ?? sighting.head.ContentType ?? null, url, latencyMs },
    ...outcome,
    savedTo,
  };
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

export function verdictMessage(key: string, verdict: FunctionVerdict): string {
  switch (verdict.outcome) {
    case 'rejected':
      return `the function rejected ${key}: ${verdict.reason}`;
    case 'skipped':
      return `the function skipped ${key}: ${verdict.reason}`;
    default:
      return `the function failed on ${key}: ${verdict.reason} (more: \`thumbctl logs --since 5m\`)`;
  }
}

function timeoutMessage(upload: PreparedUpload, target: UploadTarget, judge: KeyLogJudge): string {
  const waited = `no thumbnail for ${upload.key} in ${target.thumbnailBucket} after ${upload.timeoutMs / 1000} s`;
  if (judge.transientReason) return `${waited}: the function keeps failing (${judge.transientReason}); Lambda retries it later. More: \`thumbctl logs --since 5m\``;
  if (judge.createdAt !== undefined) return `${waited}, although the function logged that it created it: is ${target.thumbnailBucket} the bucket it writes to? Check \`thumbctl status\``;
  const unreadable = judge.readError ? ` (the logs could not be read: ${judge.readError})` : '';
  if (!judge.mentioned) {
    return `${waited}, and the function never logged this key${unreadable}: the S3 trigger may be missing or the function failing before it starts. Check \`thumbctl status\` and \`thumbctl logs --since 5m\``;
  }
  return `${waited}: the function may be failing or slow${unreadable}. More: \`thumbctl logs --since 5m\``;
}
