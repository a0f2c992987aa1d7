import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { Logger } from '@aws-lambda-powertools/logger';
import sharp from 'sharp';

import { ConfigError, type ThumbnailConfig } from '../../../function/config.js';
import { createHandler, type HandlerDependencies } from '../../../function/handler.js';
import { encodeEventKey, putRecord, s3Event, templateEvent } from './support/events.js';
import { bands, COLOURS, solid } from './support/images.js';
import { MemoryStorage, s3SlowDown } from './support/memory-storage.js';
import { RecordingLogger } from './support/recording-logger.js';

const SOURCE = 'photos';
const THUMBS = 'photos-thumbs';
const CONFIG: ThumbnailConfig = { thumbnailBucket: THUMBS, fit: 'cover', maxSide: 4096, maxPixels: 100_000_000 };

let jpeg: Buffer;
let png: Buffer;
before(async () => {
  jpeg = await bands(600, 400, [COLOURS.red, COLOURS.blue], 'vertical').jpeg().toBuffer();
  png = await solid(300, 300, { r: 0, g: 0, b: 255, alpha: 0.25 }, 4).png().toBuffer();
});

/** A handler over a fresh in-memory store and a recording logger. */
function setup(overrides: Partial<HandlerDependencies> = {}) {
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const handler = createHandler({ storage, config: CONFIG, logger, ...overrides });
  return { storage, logger, handler };
}

describe('handler', () => {
  it("marks each thumbnail with the function's name, so teardown can tell what it wrote", async () => {
    // Prepare
    const { storage, handler } = setup({ config: { ...CONFIG, functionName: 'alice-thumbnailer' } });
    storage.seed(SOURCE, 'canyon-40x30.jpg', jpeg, 'image/jpeg');

    // Act
    await handler(s3Event(putRecord(SOURCE, 'canyon-40x30.jpg')));

    // Assess
    const put = storage.calls.find((call) => call.operation === 'putObject');
    assert.deepEqual(put?.metadata, { 'thumbctl-function': 'alice-thumbnailer' });
  });

  it('creates a thumbnail of the size named in the key, in the thumbnail bucket, under the same key', async () => {
    // Prepare
    const { storage, logger, handler } = setup();
    storage.seed(SOURCE, 'canyon-400x300.jpg', jpeg, 'image/jpeg');

    // Act
    const summary = await handler(s3Event(putRecord(SOURCE, 'canyon-400x300.jpg')));

    // Assess
    const written = storage.read(THUMBS, 'canyon-400x300.jpg');
    assert.ok(written);
    assert.equal(written.contentType, 'image/jpeg');
    const metadata = await sharp(written.body).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['jpeg', 400, 300]);
    assert.deepEqual(summary, {
      results: [
        {
          key: 'canyon-400x300.jpg',
          status: 'created',
          thumbnailKey: 'canyon-400x300.jpg',
          width: 400,
          height: 300,
          bytes: written.body.length,
        },
      ],
    });
    assert.equal(storage.read(SOURCE, 'canyon-400x300.jpg')?.body, jpeg, 'the source is left alone');
    assert.equal(logger.lines.length, 1);
  });

  it('logs one structured line per thumbnail with sizes and timings', async () => {
    // Prepare
    const { storage, logger, handler } = setup();
    storage.seed(SOURCE, 'canyon-40x30.jpg', jpeg);

    // Act
    await handler(s3Event(putRecord(SOURCE, 'canyon-40x30.jpg')), { awsRequestId: 'req-1' });

    // Assess
    const [line] = logger.lines;
    assert.equal(line?.level, 'INFO');
    assert.equal(line?.message, 'thumbnail created');
    assert.equal(line?.fields.key, 'canyon-40x30.jpg');
    assert.equal(line?.fields.size, '40x30');
    assert.equal(line?.fields.bytesIn, jpeg.length);
    assert.equal(line?.fields.requestId, 'req-1');
    assert.equal(typeof line?.fields.bytesOut, 'number');
    for (const timing of ['getMs', 'resizeMs', 'putMs']) {
      assert.equal(typeof line?.fields[timing], 'number', timing);
      assert.ok((line?.fields[timing] as number) >= 0, timing);
    }
  });

  it('decodes URL-encoded keys under prefixes', async () => {
    // Prepare
    const key = 'albums/2026/my summer+winter café-100x100.jpg';
    const { storage, handler } = setup();
    storage.seed(SOURCE, key, jpeg);
    const rawKey = encodeEventKey(key);
    assert.equal(rawKey, 'albums/2026/my+summer%2Bwinter+caf%C3%A9-100x100.jpg');

    // Act
    const summary = await handler(s3Event(putRecord(SOURCE, rawKey)));

    // Assess
    assert.equal(summary.results[0]?.status, 'created');
    assert.equal(summary.results[0]?.key, key);
    assert.ok(storage.read(THUMBS, key));
  });

  it('accepts upper-case extensions', async () => {
    // Prepare
    const { storage, handler } = setup();
    storage.seed(SOURCE, 'IMG_0001-64x64.JPG', jpeg);

    // Act
    const summary = await handler(s3Event(putRecord(SOURCE, 'IMG_0001-64x64.JPG')));

    // Assess
    assert.equal(summary.results[0]?.status, 'created');
  });

  it('keeps PNG as PNG with its Content-Type', async () => {
    // Prepare
    const { storage, handler } = setup();
    storage.seed(SOURCE, 'logo-32x32.png', png);

    // Act
    await handler(s3Event(putRecord(SOURCE, 'logo-32x32.png')));

    // Assess
    const written = storage.read(THUMBS, 'logo-32x32.png');
    assert.equal(written?.contentType, 'image/png');
    assert.equal((await sharp(written?.body).metadata()).hasAlpha, true);
  });

  it('follows the decoded format, not the extension, when they disagree', async () => {
    // Prepare
    const { storage, logger, handler } = setup();
    storage.seed(SOURCE, 'mislabelled-32x32.jpg', png);

    // Act
    const summary = await handler(s3Event(putRecord(SOURCE, 'mislabelled-32x32.jpg')));

    // Assess
    const written = storage.read(THUMBS, 'mislabelled-32x32.jpg');
    assert.equal(summary.results[0]?.status, 'created');
    assert.equal(written?.contentType, 'image/png');
    assert.equal((await sharp(written?.body).metadata()).format, 'png');
    assert.equal(logger.lines[0]?.fields.sourceFormat, 'png');
  });

  it('fits inside the box when configured with fit inside', async () => {
    // Prepare
    const { storage, handler } = setup({ config: { ...CONFIG, fit: 'inside' } });
    storage.seed(SOURCE, 'canyon-300x300.jpg', jpeg);

    // Act
    const summary = await handler(s3Event(putRecord(SOURCE, 'canyon-300x300.jpg')));

    // Assess
    assert.deepEqual([summary.results[0]?.width, summary.results[0]?.height], [300, 200]);
  });

  it('skips keys without a size, with an info line and without reading the object', async () => {
    // Prepare
    const { storage, logger, handler } = setup();
    storage.seed(SOURCE, 'holiday.jpg', jpeg);

    // Act
    const summary = await handler(s3Event(putRecord(SOURCE, 'holiday.jpg')));

    // Assess
    assert.equal(summary.results[0]?.status, 'skipped');
    assert.match(summary.results[0]?.reason ?? '', /no <W>x<H> size/);
    assert.deepEqual(storage.calls, []);
    assert.deepEqual(logger.lines.map((line) => [line.level, line.message, line.fields.key]), [['INFO', 'thumbnail skipped', 'holiday.jpg']]);
  });

  it('skips events other than ObjectCreated', async () => {
    // Prepare
    const { storage, handler } = setup();

    // Act
    const summary = await handler(s3Event(putRecord(SOURCE, 'x-10x10.jpg', 'ObjectRemoved:Delete')));

    // Assess
    assert.equal(summary.results[0]?.status, 'skipped');
    assert.deepEqual(storage.calls, []);
  });

  it('skips an object deleted before it could be read', async () => {
    // Prepare
    const { storage, handler } = setup();

    // Act
    const summary = await handler(s3Event(putRecord(SOURCE, 'gone-10x10.jpg')));

    // Assess
    assert.deepEqual(summary.results, [{ key: 'gone-10x10.jpg', status: 'skipped', reason: 'source object no longer exists' }]);
  });

  it('rejects, once and for good, records that are not S3 object-created records, whatever their shape', async () => {
    // Prepare: a good record beside each bad shape, so the rest of the event is still done.
    const good = putRecord(SOURCE, 'ok-10x10.jpg');
    const shapes: unknown[] = [
      null,
      5,
      'x',
      [],
      {},
      { s3: null },
      { s3: 'x' },
      { s3: { bucket: { name: SOURCE } } },
      { s3: { bucket: { name: 5 }, object: { key: 'a-10x10.jpg' } } },
      { s3: { bucket: { name: SOURCE }, object: { key: 12 } } },
      { s3: { bucket: { name: SOURCE }, object: { key: ['a-10x10.jpg'] } } },
      { ...good, eventName: 7 },
      { ...good, eventSource: 'aws:sqs' },
    ];
    for (const shape of shapes) {
      const { storage, logger, handler } = setup();
      storage.seed(SOURCE, 'ok-10x10.jpg', jpeg);

      // Act
      const summary = await handler({ Records: [shape, good] } as never);

      // Assess
      assert.deepEqual(summary.results.map((result) => result.status), ['rejected', 'created'], JSON.stringify(shape));
      assert.match(summary.results[0]?.reason ?? '', /not an S3 object-created record/);
      assert.equal(logger.at('ERROR').length, 1, `logged once: ${JSON.stringify(shape)}`);
      assert.equal(logger.at('WARN').length, 0, 'nothing to retry');
    }
  });

  it('rejects an event whose Records is not a list, without throwing', async () => {
    for (const records of [5, 'abc', {}, null]) {
      const { logger, handler } = setup();
      const summary = await handler({ Records: records } as never);
      assert.deepEqual(
        summary.results.map((result) => result.status),
        records === null ? [] : ['rejected'],
        JSON.stringify(records),
      );
      assert.equal(logger.at('ERROR').length, records === null ? 0 : 1);
    }
    for (const event of [null, 5, 'x', []]) {
      const { handler } = setup();
      assert.deepEqual((await handler(event as never)).results.map((result) => result.status), event === null ? [] : ['rejected'], JSON.stringify(event));
    }
  });

  it('returns no results for the S3 test event, which has no records', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const summary = await handler({ Service: 'Amazon S3', Event: 's3:TestEvent' } as never);

    // Assess
    assert.deepEqual(summary, { results: [] });
  });

  describe('rejections', () => {
    const cases = [
      { name: 'a zero size', key: 'x-0x100.jpg', body: () => jpeg, reason: /zero side/, reads: false },
      { name: 'a size above the maximum', key: 'x-5000x10.jpg', body: () => jpeg, reason: /exceeds the maximum of 4096/, reads: false },
      { name: 'an empty file', key: 'x-10x10.jpg', body: () => Buffer.alloc(0), reason: /^empty file$/, reads: true },
      { name: 'a file that is not an image', key: 'x-100x100.jpg', body: () => Buffer.from('<html>'), reason: /^not an image: Input buffer contains unsupported image format$/, reads: true },
      { name: 'a truncated JPEG', key: 'x-10x10.jpg', body: () => jpeg.subarray(0, jpeg.length >> 1), reason: /^corrupt image:/, reads: true },
    ];
    for (const { name, key, body, reason, reads } of cases) {
      it(`rejects ${name} with one ERROR line naming the key and reason, and resolves`, async () => {
        // Prepare
        const { storage, logger, handler } = setup();
        storage.seed(SOURCE, key, body());

        // Act
        const summary = await handler(s3Event(putRecord(SOURCE, key)));

        // Assess
        assert.equal(summary.results.length, 1);
        const [result] = summary.results;
        assert.equal(result?.status, 'rejected');
        assert.equal(result?.key, key);
        assert.match(result?.reason ?? '', reason);
        assert.equal(logger.lines.length, 1);
        const [line] = logger.lines;
        assert.equal(line?.level, 'ERROR');
        assert.equal(line?.message, `thumbnail rejected: ${key}`);
        assert.equal(line?.fields.key, key);
        assert.equal(line?.fields.reason, result?.reason);
        assert.equal(storage.read(THUMBS, key), undefined, 'nothing written');
        assert.equal(storage.calls.length, reads ? 1 : 0);
      });
    }

    it('rejects a pixel bomb before decoding it', async () => {
      // Prepare
      const { storage, logger, handler } = setup({ config: { ...CONFIG, maxPixels: 1_000_000 } });
      storage.seed(SOURCE, 'bomb-100x100.png', await solid(2000, 1000, 'red').png().toBuffer());

      // Act
      const summary = await handler(s3Event(putRecord(SOURCE, 'bomb-100x100.png')));

      // Assess
      assert.equal(summary.results[0]?.status, 'rejected');
      assert.match(logger.at('ERROR')[0]?.fields.reason as string, /image too large: 2000x1000/);
    });

    it('refuses to write when the thumbnail bucket is the source bucket', async () => {
      // Prepare
      const { storage, logger, handler } = setup({ config: { ...CONFIG, thumbnailBucket: SOURCE } });
      storage.seed(SOURCE, 'loop-10x10.jpg', jpeg);

      // Act
      const summary = await handler(s3Event(putRecord(SOURCE, 'loop-10x10.jpg')));

      // Assess
      assert.equal(summary.results[0]?.status, 'rejected');
      assert.match(summary.results[0]?.reason ?? '', /THUMBNAIL_BUCKET equals the source bucket "photos"/);
      assert.deepEqual(storage.calls, [], 'neither read nor written');
      assert.equal(logger.at('ERROR').length, 1);
    });

    it('rejects a key with malformed URL encoding', async () => {
      // Prepare
      const { logger, handler } = setup();

      // Act
      const summary = await handler(s3Event(putRecord(SOURCE, 'bad%-10x10.jpg')));

      // Assess
      assert.deepEqual(summary.results, [{ key: 'bad%-10x10.jpg', status: 'rejected', reason: 'malformed URL encoding in event key' }]);
      assert.equal(logger.at('ERROR').length, 1);
    });

    it('rejects a record without a bucket or key', async () => {
      // Prepare
      const { handler } = setup();

      // Act
      const summary = await handler(s3Event({ eventName: 'ObjectCreated:Put', s3: {} }));

      // Assess
      assert.equal(summary.results[0]?.status, 'rejected');
      assert.match(summary.results[0]?.reason ?? '', /malformed S3 event record/);
    });
  });

  it('carries on with the other records when one is rejected', async () => {
    // Prepare
    const { storage, handler } = setup();
    storage.seed(SOURCE, 'good-10x10.jpg', jpeg);
    storage.seed(SOURCE, 'bad-10x10.jpg', Buffer.from('nope'));

    // Act
    const summary = await handler(s3Event(putRecord(SOURCE, 'bad-10x10.jpg'), putRecord(SOURCE, 'good-10x10.jpg')));

    // Assess
    assert.deepEqual(
      summary.results.map((result) => [result.key, result.status]),
      [
        ['bad-10x10.jpg', 'rejected'],
        ['good-10x10.jpg', 'created'],
      ],
    );
  });

  describe('transient failures', () => {
    it('throws a throttled read so Lambda retries', async () => {
      // Prepare
      const { storage, logger, handler } = setup();
      storage.seed(SOURCE, 'busy-10x10.jpg', jpeg);
      storage.failWith = (call) => (call.operation === 'getObject' ? s3SlowDown() : undefined);

      // Act / Assess
      await assert.rejects(handler(s3Event(putRecord(SOURCE, 'busy-10x10.jpg'))), { name: 'SlowDown' });
      assert.equal(logger.at('ERROR').length, 0, 'not reported as a rejection');
      assert.equal(logger.at('WARN')[0]?.fields.key, 'busy-10x10.jpg');
    });

    it('throws a failed write so Lambda retries', async () => {
      // Prepare
      const { storage, handler } = setup();
      storage.seed(SOURCE, 'busy-10x10.jpg', jpeg);
      storage.failWith = (call) => (call.operation === 'putObject' ? new Error('socket hang up') : undefined);

      // Act / Assess
      await assert.rejects(handler(s3Event(putRecord(SOURCE, 'busy-10x10.jpg'))), /socket hang up/);
    });

    it('still processes the other records before throwing', async () => {
      // Prepare
      const { storage, handler } = setup();
      storage.seed(SOURCE, 'busy-10x10.jpg', jpeg);
      storage.seed(SOURCE, 'fine-10x10.jpg', jpeg);
      storage.failWith = (call) => (call.key.startsWith('busy') ? s3SlowDown() : undefined);

      // Act
      const outcome = handler(s3Event(putRecord(SOURCE, 'busy-10x10.jpg'), putRecord(SOURCE, 'fine-10x10.jpg')));

      // Assess
      await assert.rejects(outcome, { name: 'SlowDown' });
      assert.ok(storage.read(THUMBS, 'fine-10x10.jpg'));
    });

    it('throws an AggregateError when several records fail', async () => {
      // Prepare
      const { storage, handler } = setup();
      storage.failWith = () => s3SlowDown();

      // Act / Assess
      await assert.rejects(handler(s3Event(putRecord(SOURCE, 'a-1x1.jpg'), putRecord(SOURCE, 'b-1x1.jpg'))), AggregateError);
    });
  });

  it('fails every invocation loudly when the configuration is invalid', async () => {
    // Prepare
    const { storage, logger, handler } = setup({ config: new ConfigError('invalid configuration: THUMBNAIL_BUCKET is not set') });
    storage.seed(SOURCE, 'x-10x10.jpg', jpeg);

    // Act / Assess
    await assert.rejects(handler(s3Event(putRecord(SOURCE, 'x-10x10.jpg'))), ConfigError);
    assert.deepEqual(storage.calls, []);
    assert.equal(logger.at('ERROR')[0]?.message, 'thumbnailer misconfigured');
  });

  it('processes the checked-in invoke template', async () => {
    // Prepare
    const event = templateEvent();
    const record = event.Records[0];
    const { storage, handler } = setup();
    storage.seed(record?.s3?.bucket?.name ?? '', record?.s3?.object?.key ?? '', jpeg);

    // Act
    const summary = await handler(event);

    // Assess
    assert.equal(record?.eventName, 'ObjectCreated:Put');
    assert.deepEqual(summary.results.map((result) => [result.key, result.status, result.width]), [['example-400x400.jpg', 'created', 400]]);
  });

  it('writes a rejection as one JSON line through the Powertools logger', async () => {
    // Prepare
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    const original = { out: process.stdout.write, err: process.stderr.write };
    const { storage, handler } = setup({ logger: new Logger({ serviceName: 'thumbnailer' }) });
    storage.seed(SOURCE, 'x-100x100.jpg', Buffer.from('not an image'));

    // Act
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    try {
      await handler(s3Event(putRecord(SOURCE, 'x-100x100.jpg')));
    } finally {
      process.stdout.write = original.out;
      process.stderr.write = original.err;
    }

    // Assess
    // Under `node --test` stdout also carries the runner's own (binary) event stream; keep only our chunks.
    const lines = written.filter((chunk) => chunk.startsWith('{"level"'));
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0] ?? '');
    assert.equal(line.level, 'ERROR');
    assert.equal(line.message, 'thumbnail rejected: x-100x100.jpg');
    assert.equal(line.service, 'thumbnailer');
    assert.equal(line.key, 'x-100x100.jpg');
    assert.equal(line.reason, 'not an image: Input buffer contains unsupported image format');
  });
});
