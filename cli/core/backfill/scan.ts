// The backfill's listing: the source bucket page by page (ListObjectsV2, never the whole listing in memory), and for
// each page the thumbnails its objects should have, looked up in the thumbnails bucket with bounded memory. Each page
// is checked just before its objects are handed on, so "missing" means missing at that moment: what exists then is
// never invoked. No Lambda, no terminal.
import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client, type _Object } from '@aws-sdk/client-s3';
import { compareKeys, expectedThumbnails, startAfterFor, SKIP_REASONS, type FunctionRules, type SkipReason } from './expected.js';

/** ListObjectsV2's own page size (its maximum). */
const PAGE_SIZE = 1000;

export interface ScanOptions {
  s3: S3Client;
  sourceBucket: string;
  thumbnailBucket: string;
  rules: FunctionRules;
  /** Only keys under this prefix. */
  prefix?: string;
  /** Only objects last modified at or after this time (epoch ms). */
  since?: number;
  signal?: AbortSignal;
}

/** The scan a backfill run asks for: its target's buckets and rules, narrowed by the run's filters. */
export function scanOf(
  target: Pick<ScanOptions, 'sourceBucket' | 'thumbnailBucket' | 'rules'>,
  options: Pick<ScanOptions, 's3' | 'prefix' | 'since' | 'signal'>,
): ScanOptions {
  return {
    s3: options.s3,
    sourceBucket: target.sourceBucket,
    thumbnailBucket: target.thumbnailBucket,
    rules: target.rules,
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    ...(options.since !== undefined ? { since: options.since } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** Adds a scanned page's counts to a run's totals: listed, missing, and skipped by reason. */
export function countPage(totals: { listed: number; missing: number; skipped: number; skippedBy: Record<SkipReason, number> }, page: ScannedPage): void {
  totals.listed += page.listed;
  totals.missing += page.missing.length;
  for (const reason of Object.values(SKIP_REASONS)) {
    totals.skippedBy[reason] += page.skipped[reason];
    totals.skipped += page.skipped[reason];
  }
}

/** An object some of whose thumbnails are not there. */
export interface MissingObject {
  key: string;
  size: number;
  eTag?: string;
  lastModified?: Date;
  /** The thumbnail keys not found. */
  missingThumbnails: string[];
}

/** One page of the source bucket, judged. */
export interface ScannedPage {
  /** Objects on the page. */
  listed: number;
  missing: MissingObject[];
  skipped: Record<SkipReason, number>;
}

/**
 * The source bucket's pages, judged one by one. The next source page is requested while the current one is being
 * checked; at most two pages and their expected thumbnail keys are held at once.
 */
export async function* scanPages(options: ScanOptions): AsyncGenerator<ScannedPage> {
  const { s3, sourceBucket, signal } = options;
  const listPage = (token: string | undefined): Promise<ListObjectsV2CommandOutput> =>
    s3.send(
      new ListObjectsV2Command({ Bucket: sourceBucket, MaxKeys: PAGE_SIZE, ...(options.prefix ? { Prefix: options.prefix } : {}), ...(token ? { ContinuationToken: token } : {}) }),
      signal ? { abortSignal: signal } : {},
    );
  let next: Promise<ListObjectsV2CommandOutput> | undefined = listPage(undefined);
  while (next) {
    const page: ListObjectsV2CommandOutput = await next;
    next = page.IsTruncated && page.NextContinuationToken && !signal?.aborted ? listPage(page.NextContinuationToken) : undefined;
    // Keep the prefetch from surfacing as an unhandled rejection if this page's check fails first.
    next?.catch(() => undefined);
    if (signal?.aborted) return;
    yield await judgePage(page.Contents ?? [], options);
  }
}

async function judgePage(objects: readonly _Object[], options: ScanOptions): Promise<ScannedPage> {
  const skipped = emptySkips();
  const candidates: { object: _Object; key: string; thumbnails: readonly string[] }[] = [];
  for (const object of objects) {
    const key = object.Key;
    if (key === undefined) continue;
    if (options.since !== undefined && (object.LastModified?.getTime() ?? 0) < options.since) {
      skipped[SKIP_REASONS.beforeSince] += 1;
      continue;
    }
    const expected = expectedThumbnails(key, options.rules);
    if ('skip' in expected) skipped[expected.skip] += 1;
    else candidates.push({ object, key, thumbnails: expected.thumbnailKeys });
  }
  const wanted = new Set(candidates.flatMap((candidate) => candidate.thumbnails));
  const present = await existingKeys(options, wanted);
  const missing: MissingObject[] = [];
  for (const { object, key, thumbnails } of candidates) {
    const absent = thumbnails.filter((thumbnail) => !present.has(thumbnail));
    if (absent.length === 0) {
      skipped[SKIP_REASONS.upToDate] += 1;
      continue;
    }
    missing.push({
      key,
      size: object.Size ?? 0,
      ...(object.ETag !== undefined ? { eTag: object.ETag } : {}),
      ...(object.LastModified !== undefined ? { lastModified: object.LastModified } : {}),
      missingThumbnails: absent,
    });
  }
  return { listed: objects.length, missing, skipped };
}

/**
 * Which of `wanted` exist in the thumbnails bucket. A skip-scan: list from just before the smallest key not yet
 * settled; every key up to the last one listed is settled by that page (present if listed, absent if not), so one
 * listing settles a run of neighbouring thumbnails and a far-off key costs one more listing. At most one listing
 * per key plus one per thousand unrelated keys lying just before one; typically one or two per source page.
 */
export async function existingKeys(options: Pick<ScanOptions, 's3' | 'thumbnailBucket' | 'signal'>, wanted: ReadonlySet<string>): Promise<Set<string>> {
  const present = new Set<string>();
  const sorted = [...wanted].sort(compareKeys);
  let index = 0;
  let cursor = sorted.length > 0 ? startAfterFor(sorted[0]!) : undefined;
  while (index < sorted.length) {
    const page = await options.s3.send(
      new ListObjectsV2Command({ Bucket: options.thumbnailBucket, MaxKeys: PAGE_SIZE, ...(cursor !== undefined ? { StartAfter: cursor } : {}) }),
      options.signal ? { abortSignal: options.signal } : {},
    );
    const keys = (page.Contents ?? []).map((object) => object.Key).filter((key): key is string => key !== undefined);
    for (const key of keys) if (wanted.has(key)) present.add(key);
    const last = keys[keys.length - 1];
    if (!page.IsTruncated || last === undefined) break;
    while (index < sorted.length && compareKeys(sorted[index]!, last) <= 0) index += 1;
    if (index >= sorted.length) break;
    // Jump to just before the next unsettled key, or carry on after the last key listed, whichever is further:
    // either way the listing moves forward.
    const jump = startAfterFor(sorted[index]!);
    cursor = jump !== undefined && compareKeys(jump, last) > 0 ? jump : last;
  }
  return present;
}

export function emptySkips(): Record<SkipReason, number> {
  return { notTriggering: 0, beforeSince: 0, nothingToMake: 0, rejectedByName: 0, upToDate: 0 };
}
