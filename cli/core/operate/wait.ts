// Waits for a thumbnail to appear: a bounded HeadObject poll whose interval is a tenth of the time waited so far
// (10 ms to 250 ms), because the poll interval is part of the latency we report: the lag stays within a tenth of it.
// A caller that knows roughly when to expect the thumbnail (bench) starts polling only then. It knows the previous thumbnail under the same key (ETag, LastModified) so an old one is
// never mistaken for the new one. No terminal, no log reading.
import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { sleepUnlessAborted } from './logs.js';

/** What identifies one version of an object without versioning: its ETag and LastModified. */
export interface ObjectVersion {
  etag?: string;
  lastModified?: Date;
}

export const POLL_INTERVALS = { firstMs: 10, fractionOfElapsed: 0.1, maxMs: 250 } as const;

function isNotFound(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return name === 'NotFound' || name === 'NoSuchKey' || status === 404;
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

/** How long to wait before the next poll, `elapsedMs` after the wait began: a tenth of it, within bounds. */
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
  head: HeadObjectCommandOutput;
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
  while (!signal.aborted) {
    let head: HeadObjectCommandOutput | undefined;
    try {
      head = await headObject(s3, options.bucket, options.key, signal);
    } catch (error) {
      if (signal.aborted) return undefined;
      throw error;
    }
    const observedAt = performance.now();
    if (head && (isNewerVersion({ etag: head.ETag, lastModified: head.LastModified }, options.previous) || options.confirmedByLogs?.())) {
      return { head, observedAt };
    }
    await sleepUnlessAborted(pollInterval(observedAt - startedAt), signal);
  }
  return undefined;
}
