// The backfill's two bounded loops against a real local cloud: the thumbnails-bucket lookup (a skip-scan that
// settles far-apart keys with few listings, whatever lies between them) and the invocation pace under throttling
// (TooManyRequestsException retried a bounded number of times, each retry said, the pace halved).
import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { existingKeys } from '../../../cli/core/backfill/scan.js';
import { seedSourceBucket, seedThumbnails, startBackfillCloud, type OperateCloud } from './support.js';

let cloud: OperateCloud;

before(async () => {
  cloud = await startBackfillCloud('pace');
});

after(async () => {
  await cloud?.close();
});

describe('backfill pacing and lookups', () => {
  it('finds which thumbnails exist with a skip-scan: few listings for far-apart keys, whatever lies between', async () => {
    // Prepare: 10,000 unrelated keys between the ones looked for, some looked-for keys present, some not
    const filler = Array.from({ length: 10_000 }, (_, i) => `m/filler-${String(i).padStart(5, '0')}.jpg`);
    const present = ['a/one-10x10.jpg', 'm/filler-01500.jpg', 'z/last-10x10.jpg', 'ü/ünïcödé-10x10.jpg', '😀/astral-10x10.jpg'];
    const absent = ['a/zero-10x10.jpg', 'm/filler-01500.jpgx', 'n/none-10x10.jpg', '😀/astral-10x11.jpg'];
    await seedThumbnails(cloud, [...filler, ...present.filter((key) => !filler.includes(key))]);
    let listings = 0;
    const s3 = new S3Client({ ...cloud.test.clientConfig });
    s3.middlewareStack.add((next) => async (args) => ((listings += 1), next(args)), { step: 'initialize' });

    // Act
    const found = await existingKeys({ s3, thumbnailBucket: cloud.settings.thumbnailBucket }, new Set([...present, ...absent]));
    s3.destroy();

    // Assess
    assert.deepEqual([...found].sort(), [...present].sort());
    // Three clusters of looked-for keys (a/, m/filler-01500, n/ to the end): a listing each, a little slack. Key by
    // key it would be nine lookups; listing the whole bucket, eleven pages.
    assert.ok(listings <= 4, `${listings} listings for ${present.length + absent.length} keys`);
  });

  it('retries throttled invocations a bounded number of times, says each retry, halves the pace, and still invokes every object', async () => {
    // Prepare: 40 objects, and from now on every third call throttled among the next 60 (TooManyRequestsException
    // from Lambda). Counted, not random: a random three in ten sometimes throttled one object past its six attempts.
    const keys = Array.from({ length: 40 }, (_, i) => `throttled/t${i}-20x20.jpg`);
    await seedSourceBucket(cloud, keys);
    // The services hold the cloud's one fault injector (built into their routers), so it is changed in place.
    let calls = 0;
    const throttling = mock.method(cloud.test.cloud.context.faults, 'shouldThrottle', () => ++calls <= 60 && calls % 3 === 0);
    try {
      // Act
      const result = await cloud.thumbctl(['backfill', '--prefix', 'throttled/', '--json']);

      // Assess
      assert.equal(result.code, 0, result.stderr);
      const summary = result.json();
      assert.deepEqual([summary.listed, summary.missing, summary.invoked, summary.failed], [40, 40, 40, 0]);
      assert.ok(summary.throttled > 0, 'some invocations were throttled');
      assert.match(result.stderr, /warning: Invoke for throttled\/t\d+-20x20\.jpg: TooManyRequestsException: Rate exceeded; retry 1 of 5 in \d+ ms \(pace now \d+\/s\)/);
      const retryLines = result.stderr.split('\n').filter((line) => line.includes('TooManyRequestsException: Rate exceeded; retry'));
      assert.equal(retryLines.length, summary.retries, 'every retry is said');
    } finally {
      throttling.mock.restore();
    }
  });
});
