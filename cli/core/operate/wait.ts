// Waits for a thumbnail to appear: a bounded poll whose interval is a twentieth of the time waited so far (4 ms to
// 250 ms), because the poll interval is part of the latency we report: the lag stays within 5 % of it. A caller
// that knows roughly when to expect the thumbnail (bench) starts polling only then. It knows the previous thumbnail
// under the same key (ETag, LastModified), so an old one is never mistaken for the new one. No terminal, no logs.
//
// Each look is a HEAD on a presigned HeadObject URL over a keep-alive connection, not an SDK HeadObject: the SDK
// spends ~1.5 ms of CPU per call (middleware, signing, error parsing) where the plain request takes ~0.2 ms, and
// those milliseconds are taken from the resize the poll is waiting for; that is what made polls every 4 ms (not
// 10) affordable (BENCHMARKS.md, change 9). The SDK still answers anything that is neither "there" (200) nor
// "not yet" (404): its retries and errors are the ones the user should see.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { httpStatus } from '../../../shared/retry.js';
import { sleepUnlessAborted } from './logs.js';

/** What identifies one version of an object without versioning: its ETag and LastModified. */
export interface ObjectVersion {
  etag?: string;
  lastModified?: Date;
}

export const POLL_INTERVALS = { firstMs: 4, fractionOfElapsed: 0.05, maxMs: 250 } as const;

function isNotFound(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return name === 'NotFound' || name === 'NoSuchKey' || httpStatus(error) === 404;
}

/** What a look at the key found: not there yet, there (with what identifies that version), or ask the SDK. */
type Probe = { kind: 'missing' } | { kind: 'found'; head: ThumbnailHead } | { kind: 'unsure' };

/** The headers of the sighted thumbnail that callers use. */
export type ThumbnailHead = Pick<HeadObjectCommandOutput, 'ETag' | 'LastModified' | 'ContentType' | 'ContentLength'>;

/** Re-sign well before the URL's own expiry (a wait can outlast it: `upload --timeout` has no ceiling). */
const PRESIGNED_PROBE = { expiresInSeconds: 900, resignAfterMs: 600_000 } as const;
const keepAlive = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** A presigned HEAD for one key, re-signed when it gets old. */
function probeUrlFor(s3: S3Client, bucket: string, key: string): () => Promise<URL> {
  let signed: { url: URL; at: number } | undefined;
  return async () => {
    if (!signed || performance.now() - signed.at > PRESIGNED_PROBE.resignAfterMs) {
      const url = await getSignedUrl(s3, new HeadObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: PRESIGNED_PROBE.expiresInSeconds });
      signed = { url: new URL(url), at: performance.now() };
    }
    return signed.url;
  };
}

/** One HEAD on a presigned URL. Never throws: anything but 200 or 404 (or a network error) is `unsure`. */
function probe(url: URL, signal: AbortSignal): Promise<Probe> {
  return new Promise((resolve) => {
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const request = send(url, { method: 'HEAD', agent: secure ? keepAlive.https : keepAlive.http, signal }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      if (status === 404) return resolve({ kind: 'missing' });
      if (status !== 200) return resolve({ kind: 'unsure' });
      const headers = response.headers;
      const lastModified = headers['last-modified'] ? new Date(headers['last-modified']) : undefined;
      const length = Number(headers['content-length']);
      resolve({
        kind: 'found',
        head: {
          ETag: headers.etag,
          LastModified: lastModified && !Number.isNaN(lastModified.getTime()) ? lastModified : undefined,
          ContentType: headers['content-type'],
          ContentLength: Number.isFinite(length) ? length : undefined,
        },
      });
    });
    request.on('error', () => resolve({ kind: 'unsure' }));
    request.end();
  });
}

/** HeadObject, with "not there" as undefined rather than an error. */
export async function headObject(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Whether an object is a newer version than `previous`.
 *
 * A new ETag is a new object. The same ETag (the same picture thumbnailed again gives the same bytes) counts as
 * new only when LastModified moved on; S3 keeps LastModified to the second, so a rewrite within the same second
 * as the previous one cannot be told apart this way, and the caller falls back on the function's log line.
 */
export function isNewerVersion(current: ObjectVersion, previous: ObjectVersion | undefined): boolean {
  if (!previous) return true;
  if (current.etag !== previous.etag) return true;
  if (current.lastModified && previous.lastModified) return current.lastModified.getTime() > previous.lastModified.getTime();
  return false;
}

/** How long to wait before the next poll, `elapsedMs` after the wait began: a twentieth of it, within bounds. */
export function pollInterval(elapsedMs: number): number {
  return Math.min(Math.max(Math.round(elapsedMs * POLL_INTERVALS.fractionOfElapsed), POLL_INTERVALS.firstMs), POLL_INTERVALS.maxMs);
}

export interface ThumbnailPollOptions {
  bucket: string;
  key: string;
  /** The thumbnail that was there before the upload, if any. */
  previous?: ObjectVersion;
  /** True once the function's logs say it wrote this thumbnail (covers a same-second rewrite of the same bytes). */
  confirmedByLogs?: () => boolean;
  /**
   * Milliseconds after `startedAt` before which the thumbnail cannot be expected (e.g. most of the fastest recent
   * upload's latency): no HeadObject is spent before then. Each poll costs both sides CPU that the resize needs.
   */
  firstPollAtMs?: number;
  /** performance.now() the wait is measured from (default: now). */
  startedAt?: number;
  signal: AbortSignal;
}

export interface ThumbnailSighting {
  head: ThumbnailHead;
  /** performance.now() when HeadObject first answered with the new thumbnail. */
  observedAt: number;
}

/**
 * Polls until the new thumbnail exists, or resolves undefined when the signal aborts (a deadline, a verdict).
 * Transient HeadObject errors are the SDK's to retry; anything it gives up on is thrown.
 */
export async function pollForThumbnail(s3: S3Client, options: ThumbnailPollOptions): Promise<ThumbnailSighting | undefined> {
  const { signal } = options;
  const startedAt = options.startedAt ?? performance.now();
  if (options.firstPollAtMs) {
    const wait = startedAt + options.firstPollAtMs - performance.now();
    if (wait > 0) await sleepUnlessAborted(wait, signal);
  }
  const probeUrl = probeUrlFor(s3, options.bucket, options.key);
  while (!signal.aborted) {
    const lookedAt = performance.now();
    let head: ThumbnailHead | undefined;
    try {
      const look = await probe(await probeUrl(), signal);
      if (signal.aborted) return undefined;
      if (look.kind === 'found') head = look.head;
      else if (look.kind === 'unsure') head = await headObject(s3, options.bucket, options.key, signal);
    } catch (error) {
      if (signal.aborted) return undefined;
      throw error;
    }
    const observedAt = performance.now();
    if (head && (isNewerVersion({ etag: head.ETag, lastModified: head.LastModified }, options.previous) || options.confirmedByLogs?.())) {
      return { head, observedAt };
    }
    // The interval runs from the start of this look, so the looks keep their cadence whatever a request takes.
    await sleepUnlessAborted(Math.max(0, lookedAt + pollInterval(observedAt - startedAt) - performance.now()), signal);
  }
  return undefined;
}
