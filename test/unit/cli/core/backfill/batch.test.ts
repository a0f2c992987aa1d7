// The pure parts of `backfill --via batch-operations`: the manifest a dry run previews (rows counted, the first few
// kept, keys encoded as the run writes them), CreateJob's idempotency token (stable for one run, another per run,
// even over the same manifest bytes), the job's description the running-job check looks for, and the preview text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJobToken, jobDescription, manifestObjectKey, manifestPreview, manifestRow, MANIFEST_SAMPLE_ROWS, roleArnFor } from '../../../../../cli/core/backfill/batch.js';
import { batchDryRunText } from '../../../../../cli/core/backfill/render.js';
import type { BackfillSummary } from '../../../../../cli/core/backfill/run.js';

const target = { sourceBucket: 'photos', thumbnailBucket: 'photos-thumbs' };

describe('manifestPreview', () => {
  it('counts every row, keeps the first few as the run writes them, and places the manifest under thumbctl-backfill/manifests/', () => {
    const preview = manifestPreview(target);
    for (let i = 0; i < 12; i++) preview.add(`albums/summer trip,+${i}.jpg`);
    const manifest = preview.result();
    assert.equal(manifest.bucket, 'photos-thumbs');
    assert.match(manifest.key, /^thumbctl-backfill\/manifests\/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[0-9a-f]{8}\.csv$/);
    assert.equal(manifest.rows, 12);
    assert.equal(manifest.sample.length, MANIFEST_SAMPLE_ROWS);
    assert.equal(manifest.sample[0], 'photos,albums/summer%20trip%2C%2B0.jpg');
    assert.equal(manifest.sample[0], manifestRow('photos', 'albums/summer trip,+0.jpg'));
  });

  it('an empty listing previews no rows', () => {
    assert.deepEqual({ ...manifestPreview(target).result(), key: '' }, { bucket: 'photos-thumbs', key: '', rows: 0, sample: [] });
  });
});

describe('createJobToken', () => {
  it('is the same for one manifest, another for another run over the same bytes, and within 64 characters', () => {
    const key = manifestObjectKey(new Date('2026-12-03T16:00:00Z'));
    const etag = '"9b2cf535f27731c974343645a3985328"';
    assert.equal(createJobToken(key, etag), createJobToken(key, etag));
    assert.notEqual(createJobToken(key, etag), createJobToken(manifestObjectKey(new Date('2026-12-03T16:00:00Z')), etag));
    assert.ok(createJobToken(key, etag).length <= 64);
    assert.match(createJobToken(key, etag), /^thumbctl-[0-9a-f]+$/);
  });
});

describe('jobDescription and roleArnFor', () => {
  it('names the source bucket and the count, within 256 characters', () => {
    assert.equal(jobDescription('photos', 400), 'thumbctl backfill of s3://photos (400 objects)');
    assert.ok(jobDescription('b'.repeat(300), 1).length <= 256);
  });

  it('gives the role the ARN IAM would, in the region\'s partition', () => {
    assert.equal(roleArnFor('123456789012', 'us-east-1', 'thumbctl-backfill'), 'arn:aws:iam::123456789012:role/thumbctl-backfill');
    assert.equal(roleArnFor('123456789012', 'cn-north-1', 'r'), 'arn:aws-cn:iam::123456789012:role/r');
  });
});

describe('batchDryRunText', () => {
  const summary: BackfillSummary = {
    listed: 2000,
    missing: 400,
    invoked: 0,
    skipped: 1600,
    failed: 0,
    durationMs: 1200,
    skippedBy: { upToDate: 1600, notTriggering: 0, beforeSince: 0, nothingToMake: 0, rejectedByName: 0 },
    dryRun: true,
    interrupted: false,
    sourceBucket: 'photos',
    thumbnailBucket: 'photos-thumbs',
    functionName: 'thumbctl',
    retries: 0,
    throttled: 0,
  };
  const preview = {
    via: 'batch-operations' as const,
    manifest: { bucket: 'photos-thumbs', key: 'thumbctl-backfill/manifests/m.csv', rows: 400, sample: ['photos,a.jpg', 'photos,b.jpg'] },
    role: { arn: 'arn:aws:iam::123456789012:role/thumbctl-backfill', exists: false, action: 'would create' as const },
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:thumbctl',
    jobId: null,
    reportPrefix: 's3://photos-thumbs/thumbctl-backfill/reports/',
    unfinishedJobs: [],
  };

  it('shows where the manifest would go, its rows and first lines, the role, the function, and that nothing was created', () => {
    assert.equal(
      batchDryRunText(summary, preview),
      [
        'dry run: an S3 Batch Operations job over s3://photos would invoke thumbctl for 400 of 2,000 objects',
        '  manifest: s3://photos-thumbs/thumbctl-backfill/manifests/m.csv (400 rows)',
        '    photos,a.jpg',
        '    photos,b.jpg',
        '    … 398 more',
        '  role: arn:aws:iam::123456789012:role/thumbctl-backfill (would be created)',
        '  function: arn:aws:lambda:us-east-1:123456789012:function:thumbctl',
        '  report: s3://photos-thumbs/thumbctl-backfill/reports/job-<id>/',
        '  skipped: 1,600 (1,600 up to date)',
        'nothing was created: no manifest, no job, no role',
      ].join('\n'),
    );
  });

  it('says no job would be created when nothing is missing, and names a job of this backfill still running', () => {
    const none = batchDryRunText({ ...summary, missing: 0, skipped: 2000, skippedBy: { ...summary.skippedBy, upToDate: 2000 } }, { ...preview, manifest: null });
    assert.match(none, /^dry run: nothing to backfill: 2,000 objects listed, every thumbnail there \(2,000 up to date\); no job would be created$/m);
    const running = batchDryRunText(summary, { ...preview, unfinishedJobs: [{ jobId: 'j-1', status: 'Active' }] });
    assert.match(running, /^ {2}job j-1 of this backfill is still Active: the run would stop until it ends$/m);
  });
});
