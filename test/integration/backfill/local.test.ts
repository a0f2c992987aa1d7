// `thumbctl backfill` from this machine against a local cloud holding 2,000 objects that were there before the
// trigger (some with their thumbnails already made, some keys the function would not touch): --dry-run invokes
// nothing and says what it would; a run interrupted half-way with SIGINT (exit 130) and run again makes every
// missing thumbnail, never touches one that existed, and never invokes the function again for an object whose
// thumbnails were there when it was listed; --json prints the summary the contract names.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { lambdaInternals } from '../../../emulator/services/lambda/index.js';
import { runThumbctl, type ThumbctlResult } from '../../helpers/thumbctl.js';
import {
  eventually,
  functionQueueDrained,
  invocationsByKey,
  PLACEHOLDER,
  seedSourceBucket,
  seedThumbnails,
  startBackfillCloud,
  thumbnailKeysOf,
  type OperateCloud,
} from './support.js';

let cloud: OperateCloud;

// 2,000 objects: 1,590 keys with a size (`summer trip/` keys hold a space and a `+`), 400 without one (two variants
// each), 5 that trigger nothing (.txt) and 5 the function would refuse by name (a zero side).
const SIZED = Array.from({ length: 1590 }, (_, i) => (i % 10 === 0 ? `photos/summer trip/p+${i}-40x30.jpg` : `photos/d${i % 7}/p${i}-40x30.jpg`));
const UNSIZED = Array.from({ length: 400 }, (_, i) => `albums/a${i}.jpg`);
const IGNORED = [...Array.from({ length: 5 }, (_, i) => `docs/readme-${i}.txt`), ...Array.from({ length: 5 }, (_, i) => `photos/bad-${i}-0x10.jpg`)];
const ALL = [...SIZED, ...UNSIZED, ...IGNORED];
// Made before the backfill: 1,300 sized keys, 300 albums with both variants; 20 albums with only their first one.
// So 390 objects need the function: as many as a shared two-core machine makes in a quarter of a minute.
const MADE = [...SIZED.slice(0, 1300), ...UNSIZED.slice(0, 300)];
const PARTIAL = UNSIZED.slice(300, 320);
const MISSING = [...SIZED.slice(1300), ...UNSIZED.slice(300)];
const PLACEHOLDER_ETAG = `"${createHash('md5').update(PLACEHOLDER).digest('hex')}"`;

before(async () => {
  cloud = await startBackfillCloud('backfill');
  await seedSourceBucket(cloud, ALL);
  await seedThumbnails(cloud, [...MADE.flatMap(thumbnailKeysOf), ...PARTIAL.map((key) => thumbnailKeysOf(key)[0]!)]);
});

after(async () => {
  await cloud?.close();
});

/** Thumbnail key → ETag, for the whole thumbnails bucket. */
async function thumbnails(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await cloud.clients.s3.send(new ListObjectsV2Command({ Bucket: cloud.settings.thumbnailBucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) found.set(object.Key!, object.ETag!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/** Source keys all of whose thumbnails are in `present`. */
function complete(present: ReadonlyMap<string, string>, keys: readonly string[]): Set<string> {
  return new Set(keys.filter((key) => thumbnailKeysOf(key).every((thumbnail) => present.has(thumbnail))));
}

/** Runs thumbctl backfill as a child process; `interruptWhen` resolves when SIGINT should be sent. */
function runBackfill(args: string[], interruptWhen?: () => Promise<void>): Promise<ThumbctlResult> {
  return runThumbctl(['backfill', ...cloud.flags, ...args], { cwd: cloud.dir, timeoutMs: 180_000, interruptWhen });
}

describe('thumbctl backfill (from this machine)', () => {
  it('--dry-run invokes nothing and says what it would invoke', async () => {
    // Act
    const result = await runBackfill(['--dry-run', '--json']);
    const text = await runBackfill(['--dry-run', '--prefix', 'albums/']);

    // Assess
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.deepEqual([summary.listed, summary.missing, summary.invoked, summary.skipped, summary.failed, summary.dryRun], [2000, MISSING.length, 0, 2000 - MISSING.length, 0, true]);
    assert.deepEqual(summary.skippedBy, { notTriggering: 5, beforeSince: 0, nothingToMake: 0, rejectedByName: 5, upToDate: MADE.length });
    assert.equal(summary.wouldInvoke.length, 100);
    for (const key of summary.wouldInvoke) assert.ok(MISSING.includes(key), key);
    assert.equal(lambdaInternals(cloud.test.cloud.context)!.queue.queuedCount(), 0, 'nothing was queued for the function');
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split('\n').filter((line) => line.startsWith('would invoke '));
    assert.equal(lines.length, 100);
    assert.ok(lines.includes('would invoke albums/a300.jpg (missing albums/a300-24x24.webp)'), 'an album with one variant lacks only the other');
    assert.ok(lines.includes('would invoke albums/a399.jpg (missing albums/a399-32x24.jpg, albums/a399-24x24.webp)'));
    assert.match(text.stdout, /dry run: backfill of s3:\/\/\S+ into s3:\/\/\S+/);
  });

  it('interrupted half-way (SIGINT) and run again, makes every missing thumbnail and never redoes one that was there', async () => {
    // Act 1: a slow run, interrupted once sixty events have reached the function: made into thumbnails or still
    // in its queue (on a loaded machine the function lags behind the sending, and the run would end before sixty
    // thumbnails were made)
    const before = await thumbnails();
    const queue = lambdaInternals(cloud.test.cloud.context)!.queue;
    const first = await runBackfill(['--rate', '30', '--json'], () =>
      eventually(
        async () => ((await thumbnails()).size >= before.size + 60 || queue.queuedCount() >= 60 ? true : undefined),
        90_000,
        'sixty events sent',
      ).then(() => undefined),
    );

    // Assess 1: stopped cleanly, exit 130, a summary that says so
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /interrupted: finishing the invocations already sent; run backfill again to go on/);
    const stopped = JSON.parse(first.stdout);
    assert.equal(stopped.interrupted, true);
    assert.equal(stopped.failed, 0);
    assert.ok(stopped.invoked >= 60 && stopped.invoked < MISSING.length, `invoked ${stopped.invoked} of ${MISSING.length}`);

    // Act 2: at once, with events of the first run maybe still queued
    const atRestart = await thumbnails();
    const doneAtRestart = complete(atRestart, MISSING);
    const second = await runBackfill(['--rate', '500', '--json']);
    await functionQueueDrained(cloud);

    // Assess 2: the second run went to the end
    assert.equal(second.code, 0, second.stderr);
    const resumed = JSON.parse(second.stdout);
    assert.equal(resumed.interrupted, false);
    assert.equal(resumed.listed, 2000);
    assert.ok(resumed.missing <= MISSING.length - doneAtRestart.size, 'what was made by then was not missing any more');
    assert.deepEqual([resumed.invoked, resumed.failed], [resumed.missing, 0]);

    // Every thumbnail is there; the ones made before are untouched (still the placeholder), the rest are new.
    const after = await thumbnails();
    for (const key of ALL.filter((name) => !IGNORED.includes(name))) {
      for (const thumbnail of thumbnailKeysOf(key)) assert.ok(after.has(thumbnail), `${thumbnail} was made`);
    }
    for (const thumbnail of MADE.flatMap(thumbnailKeysOf)) assert.equal(after.get(thumbnail), PLACEHOLDER_ETAG, `${thumbnail} was left alone`);
    for (const key of SIZED.slice(1300)) assert.notEqual(after.get(key), PLACEHOLDER_ETAG);

    // The function's own log: never invoked for an object made before; exactly once for one done when run 2 began.
    const invocations = await eventually(async () => {
      const counted = await invocationsByKey(cloud);
      return MISSING.every((key) => (counted.get(key) ?? 0) >= 1) ? counted : undefined;
    }, 30_000, 'a log line for every invocation');
    for (const key of MADE) assert.equal(invocations.get(key), undefined, `${key} had its thumbnails: never invoked`);
    for (const key of doneAtRestart) assert.equal(invocations.get(key), 1, `${key} was done when run 2 listed it: invoked once`);
    const total = [...invocations.values()].reduce((sum, count) => sum + count, 0);
    assert.ok(total <= stopped.invoked + resumed.invoked, 'no invocation the two runs did not send');
  });

  it('--json prints the summary: listed, missing, invoked, skipped, failed, durationMs', async () => {
    const result = await runBackfill(['--json']);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    for (const field of ['listed', 'missing', 'invoked', 'skipped', 'failed', 'durationMs']) assert.equal(typeof summary[field], 'number', field);
    assert.deepEqual([summary.listed, summary.missing, summary.invoked, summary.skipped, summary.failed], [2000, 0, 0, 2000, 0]);
    assert.equal(result.stderr.includes('{'), false, 'only the summary is JSON, on stdout');
  });
});
