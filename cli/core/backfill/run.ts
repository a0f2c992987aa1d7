// The core of `thumbctl backfill` on one machine: list the source bucket page by page, find the objects whose
// thumbnails are missing at that moment, and send the function one S3 ObjectCreated:Put event per object
// (templates/s3-put-event.json, as S3 would send it) as an asynchronous invocation, paced (pacer.ts). The listing is
// the state: run again after an interruption, it skips what now exists. No terminal: progress and retries go to
// the caller's callbacks and Reporter.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Reporter } from '../../output.js';
import { firstLine } from '../../output.js';
import { describeError } from '../../../shared/retry.js';
import { buildS3PutEvent, loadS3PutEventTemplate } from '../operate/invoke.js';
import type { SkipReason } from './expected.js';
import { InvokePacer } from './pacer.js';
import { countPage, emptySkips, scanOf, scanPages, type MissingObject } from './scan.js';
import type { BackfillTarget } from './target.js';

/** The `--json` summary: `listed`, `missing`, `invoked`, `skipped`, `failed`, `durationMs`, then the details. */
export interface BackfillSummary {
  /** Objects listed in the source bucket (under --prefix). */
  listed: number;
  /** Objects some of whose thumbnails were not there when their page was listed. */
  missing: number;
  /** Asynchronous invocations Lambda accepted. */
  invoked: number;
  /** Objects that needed nothing: `skippedBy` says why. */
  skipped: number;
  /** Objects whose invocation failed, after its retries. */
  failed: number;
  durationMs: number;
  skippedBy: Record<SkipReason, number>;
  dryRun: boolean;
  /** True when Ctrl-C stopped the run; run it again to go on. */
  interrupted: boolean;
  sourceBucket: string;
  thumbnailBucket: string;
  functionName: string;
  /** Invoke calls retried (throttling, 5xx), and how many of those were throttled. */
  retries: number;
  throttled: number;
  /** --dry-run: the first missing keys (all of them are printed as they are found). */
  wouldInvoke?: string[];
  /** Why the run stopped early, when an error no retry fixes ended it. */
  error?: string;
}

export interface BackfillProgress {
  listed: number;
  missing: number;
  invoked: number;
  failed: number;
  skipped: number;
  /** Invocations accepted per second, over the run so far. */
  ratePerSecond: number;
  /** The pace the pacer currently allows. */
  pacePerSecond: number;
  listingDone: boolean;
  elapsedMs: number;
}

export interface BackfillOptions {
  s3: S3Client;
  /** A Lambda client that makes one attempt per call (the pacer retries, and says so). */
  lambda: LambdaClient;
  target: BackfillTarget;
  region: string;
  prefix?: string;
  since?: number;
  concurrency: number;
  ratePerSecond: number;
  dryRun: boolean;
  signal?: AbortSignal;
  reporter: Reporter;
  onProgress?(progress: BackfillProgress): void;
  /** --dry-run: each object that would be invoked, as it is found. */
  onWouldInvoke?(object: MissingObject): void;
  /** Retry policy of each Invoke call. */
  retry?: { attempts: number; initialDelayMs: number; maxDelayMs: number };
}

/** How many missing keys a dry run's summary lists (the text output prints every one). */
const DRY_RUN_SAMPLE = 100;
const DEFAULT_RETRY = { attempts: 6, initialDelayMs: 200, maxDelayMs: 20_000 } as const;

export async function backfill(options: BackfillOptions): Promise<BackfillSummary> {
  const started = Date.now();
  const { target, reporter } = options;
  const template = options.dryRun ? undefined : await loadS3PutEventTemplate();
  const summary: BackfillSummary = {
    listed: 0,
    missing: 0,
    invoked: 0,
    skipped: 0,
    failed: 0,
    durationMs: 0,
    skippedBy: emptySkips(),
    dryRun: options.dryRun,
    interrupted: false,
    sourceBucket: target.sourceBucket,
    thumbnailBucket: target.thumbnailBucket,
    functionName: target.functionName,
    retries: 0,
    throttled: 0,
    ...(options.dryRun ? { wouldInvoke: [] } : {}),
  };
  const retry = options.retry ?? DEFAULT_RETRY;
  const pacer = new InvokePacer({
    concurrency: options.concurrency,
    ratePerSecond: options.ratePerSecond,
    ...retry,
    ...(options.signal ? { signal: options.signal } : {}),
    onRetry: (event) =>
      reporter.warn(
        `${event.what}: ${firstLine(event.reason)}; retry ${event.attempt} of ${event.attempts - 1} in ${event.delayMs} ms${event.throttled ? ` (pace now ${Math.round(event.ratePerSecond)}/s)` : ''}`,
      ),
  });
  let listingDone = false;
  const progress = (): void =>
    options.onProgress?.({
      listed: summary.listed,
      missing: summary.missing,
      invoked: summary.invoked,
      failed: summary.failed,
      skipped: summary.skipped,
      ratePerSecond: summary.invoked / Math.max(0.001, (Date.now() - started) / 1000),
      pacePerSecond: pacer.ratePerSecond,
      listingDone,
      elapsedMs: Date.now() - started,
    });

  try {
    pages: for await (const page of scanPages(scanOf(target, options))) {
      countPage(summary, page);
      progress();
      for (const object of page.missing) {
        if (options.signal?.aborted || pacer.fatal !== undefined) break pages;
        if (options.dryRun) {
          if (summary.wouldInvoke!.length < DRY_RUN_SAMPLE) summary.wouldInvoke!.push(object.key);
          options.onWouldInvoke?.(object);
          continue;
        }
        const event = buildS3PutEvent(template, {
          bucket: target.sourceBucket,
          key: object.key,
          region: options.region,
          size: object.size,
          ...(object.eTag !== undefined ? { eTag: object.eTag } : {}),
          // S3 stamps the event with the upload's time; the object's LastModified is that time.
          eventTime: object.lastModified ?? new Date(),
        });
        const payload = Buffer.from(JSON.stringify(event));
        await pacer.submit(
          object.key,
          () => options.lambda.send(new InvokeCommand({ FunctionName: target.functionArn, InvocationType: 'Event', Payload: payload })),
          (ok, error) => {
            if (ok) summary.invoked += 1;
            else if (!options.signal?.aborted) {
              summary.failed += 1;
              reporter.warn(`could not invoke ${target.functionName} for ${object.key}: ${firstLine(describeError(error))}`);
            }
            progress();
          },
        );
      }
      if (pacer.fatal !== undefined) break;
    }
  } catch (error) {
    // Ctrl-C aborts the listing's request too: that is an interruption, not a failure.
    if (!options.signal?.aborted) throw error;
  } finally {
    await pacer.drain();
  }
  listingDone = true;
  summary.retries = pacer.counts.retries;
  summary.throttled = pacer.counts.throttled;
  summary.interrupted = Boolean(options.signal?.aborted);
  if (pacer.fatal !== undefined) summary.error = firstLine(describeError(pacer.fatal));
  summary.durationMs = Date.now() - started;
  progress();
  return summary;
}
