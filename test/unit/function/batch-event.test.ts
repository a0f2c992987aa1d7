// The thumbnailer answering S3 Batch Operations (LambdaInvoke, schema 2.0 and 1.0): every task becomes the S3 record
// an upload would have produced, and every outcome a task result Batch Operations understands.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { ConfigError, type ThumbnailConfig } from '../../../function/config.js';
import { isBatchOperationsEvent, withBatchOperations, type BatchOperationsEvent, type BatchOperationsResult } from '../../../function/batch-event.js';
import { createHandler, type HandlerResult } from '../../../function/handler.js';
import { parseVariants, type Variant } from '../../../function/variants.js';
import { putRecord, s3Event } from './support/events.js';
import { bands, COLOURS } from './support/images.js';
import { MemoryStorage, s3SlowDown } from './support/memory-storage.js';
import { RecordingLogger } from './support/recording-logger.js';

const SOURCE = 'photos';
const THUMBS = 'photos-thumbs';
const parsed = parseVariants([{ name: 'small', size: '80x60' }, { name: 'wide', size: '160x90', format: 'webp' }], { maxSide: 4096, defaultFit: 'cover' });
const VARIANTS: readonly Variant[] = parsed.ok ? parsed.variants : [];
const CONFIG: ThumbnailConfig = { thumbnailBucket: THUMBS, fit: 'cover', maxSide: 4096, maxPixels: 100_000_000, variants: VARIANTS };

let jpeg: Buffer;
before(async () => {
  jpeg = await bands(320, 240, [COLOURS.red, COLOURS.blue], 'vertical').jpeg().toBuffer();
});

function setup(config: ThumbnailConfig | ConfigError = CONFIG) {
  const storage = new MemoryStorage();
  const entry = withBatchOperations(createHandler({ storage, config, logger: new RecordingLogger() }));
  return { storage, entry };
}

/** A schema 2.0 event of one task per key, keys URL-encoded as the manifest holds them. */
function batchEvent(keys: string[], version = '2.0'): BatchOperationsEvent {
  return {
    invocationSchemaVersion: version,
    invocationId: 'aW52b2NhdGlvbg',
    job: { id: 'c0ffee00-0000-4000-8000-000000000001', userArguments: {} },
    tasks: keys.map((key, index) =>
      version === '1.0'
        ? { taskId: `task-${index}`, s3Key: encodeURIComponent(key), s3VersionId: null, s3BucketArn: `arn:aws:s3:::${SOURCE}` }
        : { taskId: `task-${index}`, s3Key: encodeURIComponent(key), s3VersionId: null, s3BucketName: SOURCE },
    ),
  };
}

describe('S3 Batch Operations events', () => {
  it('makes the thumbnail a key with a size names and answers Succeeded in the schema 2.0 result shape', async () => {
    // Prepare
    const { storage, entry } = setup();
    storage.seed(SOURCE, 'my trip/canyon+1-120x90.jpg', jpeg, 'image/jpeg');

    // Act
    const answer = (await entry(batchEvent(['my trip/canyon+1-120x90.jpg']))) as BatchOperationsResult;

    // Assess
    assert.ok(storage.read(THUMBS, 'my trip/canyon+1-120x90.jpg'), 'the thumbnail is written under the decoded key');
    assert.deepEqual(answer, {
      invocationSchemaVersion: '2.0',
      treatMissingKeysAs: 'PermanentFailure',
      invocationId: 'aW52b2NhdGlvbg',
      results: [{ taskId: 'task-0', resultCode: 'Succeeded', resultString: 'created my trip/canyon+1-120x90.jpg' }],
    });
  });

  it('makes every variant of a key without a size and names them in the result string', async () => {
    const { storage, entry } = setup();
    storage.seed(SOURCE, 'albums/canyon.jpg', jpeg, 'image/jpeg');

    const answer = (await entry(batchEvent(['albums/canyon.jpg']))) as BatchOperationsResult;

    assert.ok(storage.read(THUMBS, 'albums/canyon-80x60.jpg'));
    assert.ok(storage.read(THUMBS, 'albums/canyon-160x90.webp'));
    assert.equal(answer.results[0]?.resultCode, 'Succeeded');
    assert.equal(answer.results[0]?.resultString, 'created albums/canyon-80x60.jpg, albums/canyon-160x90.webp');
  });

  it('answers PermanentFailure for what can never become a thumbnail, and Succeeded for what there is nothing to do about', async () => {
    const { storage, entry } = setup();
    storage.seed(SOURCE, 'broken-40x40.jpg', Buffer.from('not an image'), 'image/jpeg');

    const answer = (await entry(batchEvent(['broken-40x40.jpg', 'gone-40x40.jpg', 'huge-99999x10.jpg']))) as BatchOperationsResult;

    assert.deepEqual(
      answer.results.map((result) => [result.taskId, result.resultCode]),
      [
        ['task-0', 'PermanentFailure'],
        ['task-1', 'Succeeded'],
        ['task-2', 'PermanentFailure'],
      ],
    );
    assert.match(answer.results[0]!.resultString, /^rejected: /);
    assert.match(answer.results[1]!.resultString, /^skipped: source object no longer exists/);
    assert.match(answer.results[2]!.resultString, /exceeds the maximum/);
  });

  it('answers TemporaryFailure when S3 throttles, so Batch Operations retries the task', async () => {
    const { storage, entry } = setup();
    storage.seed(SOURCE, 'busy-40x40.jpg', jpeg, 'image/jpeg');
    storage.failWith = (call) => (call.operation === 'getObject' ? s3SlowDown() : undefined);

    const answer = (await entry(batchEvent(['busy-40x40.jpg']))) as BatchOperationsResult;

    assert.equal(answer.results[0]?.resultCode, 'TemporaryFailure');
    assert.match(answer.results[0]!.resultString, /SlowDown/);
  });

  it('reads schema 1.0 tasks, whose bucket is an ARN', async () => {
    const { storage, entry } = setup();
    storage.seed(SOURCE, 'old-40x30.jpg', jpeg, 'image/jpeg');

    const answer = (await entry(batchEvent(['old-40x30.jpg'], '1.0'))) as BatchOperationsResult;

    assert.equal(answer.invocationSchemaVersion, '1.0');
    assert.equal(answer.results[0]?.resultCode, 'Succeeded');
    assert.ok(storage.read(THUMBS, 'old-40x30.jpg'));
  });

  it('answers PermanentFailure for an unknown schema, a task without a key and a malformed key encoding', async () => {
    const { entry } = setup();

    const unknown = (await entry(batchEvent(['a-10x10.jpg'], '3.0'))) as BatchOperationsResult;
    const malformed = (await entry({
      invocationSchemaVersion: '2.0',
      invocationId: 'x',
      tasks: [{ taskId: 't1', s3BucketName: SOURCE }, { taskId: 't2', s3Key: '%E0%A4%A', s3BucketName: SOURCE }],
    })) as BatchOperationsResult;

    assert.equal(unknown.results[0]?.resultCode, 'PermanentFailure');
    assert.match(unknown.results[0]!.resultString, /unsupported invocationSchemaVersion "3.0"/);
    assert.deepEqual(
      malformed.results.map((result) => [result.taskId, result.resultCode, result.resultString]),
      [
        ['t1', 'PermanentFailure', 'task has no s3BucketName or s3Key'],
        ['t2', 'PermanentFailure', 'malformed URL encoding in s3Key'],
      ],
    );
  });

  it('fails the invocation loudly when the function is misconfigured, as for S3 events', async () => {
    const { entry } = setup(new ConfigError('invalid configuration: THUMBNAIL_BUCKET is not set'));
    await assert.rejects(entry(batchEvent(['a-10x10.jpg'])), ConfigError);
  });

  it('passes S3 notifications through unchanged', async () => {
    const { storage, entry } = setup();
    storage.seed(SOURCE, 'plain-40x30.jpg', jpeg, 'image/jpeg');

    const summary = (await entry(s3Event(putRecord(SOURCE, 'plain-40x30.jpg')))) as HandlerResult;

    assert.equal(summary.results[0]?.status, 'created');
    assert.equal(isBatchOperationsEvent(s3Event(putRecord(SOURCE, 'plain-40x30.jpg'))), false);
  });
});
