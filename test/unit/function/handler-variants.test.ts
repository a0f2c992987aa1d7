// The handler with THUMBNAIL_VARIANTS configured: an upload without a size gets every variant from one read and
// one decode; a key with a size keeps its one thumbnail; failures name the variant and follow the retry rules.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import sharp from 'sharp';

import type { ThumbnailConfig } from '../../../function/config.js';
import { createHandler, type HandlerDependencies, type VariantResult } from '../../../function/handler.js';
import { REFUSAL_REASONS } from '../../../function/sniff.js';
import type { Annotations, Tracing } from '../../../function/tracing.js';
import { parseVariants, type Variant } from '../../../function/variants.js';
import { countingSharp } from './support/counting-sharp.js';
import { putRecord, s3Event } from './support/events.js';
import { bands, COLOURS, heicHeader, near, pixelAt, solid } from './support/images.js';
import { MemoryStorage, s3SlowDown } from './support/memory-storage.js';
import { RecordingLogger } from './support/recording-logger.js';

const SOURCE = 'photos';
const THUMBS = 'photos-thumbs';

function variantsOf(entries: unknown[], maxSide = 4096): readonly Variant[] {
  const parsed = parseVariants(entries, { maxSide, defaultFit: 'cover' });
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('; '));
  return parsed.variants;
}

const FIVE = variantsOf([
  { name: 'thumb', size: '400x400' },
  { name: 'card', size: '800x600', format: 'webp' },
  { name: 'icon', size: '64x64', format: 'png' },
  { name: 'hero', size: '1200x800', fit: 'inside', format: 'avif' },
  { name: 'print', size: '300x300', fit: 'inside', format: 'jpeg', quality: 90 },
]);
const CONFIG: ThumbnailConfig = { thumbnailBucket: THUMBS, fit: 'cover', maxSide: 4096, maxPixels: 100_000_000, variants: FIVE };

/** Tracing that records each subsegment (and its annotations) into a shared timeline. */
class RecordingTracing implements Tracing {
  constructor(private readonly timeline: string[], readonly annotations: Annotations[] = []) {}

  async inSubsegment<T>(name: string, work: () => Promise<T>, annotations?: Annotations): Promise<T> {
    this.timeline.push(name);
    if (name === 'resize') this.annotations.push(annotations ?? {});
    return work();
  }

  captureAWSv3Client<T>(client: T): T {
    return client;
  }
}

function setup(overrides: Partial<HandlerDependencies> = {}) {
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const timeline: string[] = [];
  const tracing = new RecordingTracing(timeline);
  const counter = countingSharp();
  const handler = createHandler({ storage, config: CONFIG, logger, tracing, imaging: counter.imaging, ...overrides });
  return { storage, logger, handler, timeline, tracing, counter };
}

let photo: Buffer;
let translucent: Buffer;
before(async () => {
  photo = await bands(3000, 2000, [COLOURS.red, COLOURS.green, COLOURS.blue], 'vertical').jpeg().toBuffer();
  translucent = await solid(300, 200, { r: 0, g: 0, b: 255, alpha: 0.5 }, 4).png().toBuffer();
});

describe('handler with variants', () => {
  it('writes every variant of an upload without a size, with its size, format and Content-Type', async () => {
    // Prepare
    const { storage, handler } = setup();
    storage.seed(SOURCE, 'albums/canyon.jpg', photo);

    // Act
    const summary = await handler(s3Event(putRecord(SOURCE, 'albums/canyon.jpg')));

    // Assess
    const expected = [
      ['thumb', 'albums/canyon-400x400.jpg', 'jpeg', 'image/jpeg', 400, 400],
      ['card', 'albums/canyon-800x600.webp', 'webp', 'image/webp', 800, 600],
      ['icon', 'albums/canyon-64x64.png', 'png', 'image/png', 64, 64],
      ['hero', 'albums/canyon-1200x800.avif', 'heif', 'image/avif', 1200, 800],
      ['print', 'albums/canyon-300x300.jpg', 'jpeg', 'image/jpeg', 300, 200],
    ] as const;
    const written = [];
    for (const [name, key] of expected) {
      const object = storage.read(THUMBS, key);
      assert.ok(object, `${name} written to ${key}`);
      const metadata = await sharp(object.body).metadata();
      written.push([name, key, metadata.format, object.contentType, metadata.width, metadata.height]);
    }
    assert.deepEqual(written, expected);
    const variants = summary.results[0]?.variants ?? [];
    assert.deepEqual(summary.results.map((result) => [result.key, result.status]), [['albums/canyon.jpg', 'created']]);
    assert.deepEqual(
      variants.map((variant) => [variant.name, variant.key, variant.status, variant.contentType, variant.width, variant.height]),
      expected.map(([name, key, , contentType, width, height]) => [name, key, 'created', contentType, width, height]),
    );
    for (const variant of variants) assert.equal(variant.bytes, storage.read(THUMBS, variant.key)?.body.length);
    assert.equal(storage.read(SOURCE, 'albums/canyon.jpg')?.body, photo, 'the source is left alone');
  });

  it('reads the source once and decodes it once for all five variants', async () => {
    // Prepare
    const { storage, handler, counter } = setup();
    storage.seed(SOURCE, 'canyon.jpg', photo);

    // Act
    await handler(s3Event(putRecord(SOURCE, 'canyon.jpg')));

    // Assess
    assert.equal(storage.calls.filter((call) => call.operation === 'getObject').length, 1);
    assert.equal(counter.decodesOf(photo), 1);
    assert.equal(counter.headerReadsOf(photo), 1);
    assert.equal(storage.calls.filter((call) => call.operation === 'putObject').length, 5);
  });

  it('records one decode, then one annotated resize subsegment and one PUT per variant', async () => {
    // Prepare
    const { storage, handler, timeline, tracing } = setup();
    storage.seed(SOURCE, 'canyon.jpg', photo);
    const original = storage.putObject.bind(storage);
    storage.putObject = async (bucket, key, body, contentType) => {
      timeline.push(`put ${key}`);
      return original(bucket, key, body, contentType);
    };

    // Act
    await handler(s3Event(putRecord(SOURCE, 'canyon.jpg')));

    // Assess
    assert.deepEqual(timeline, [
      'decode',
      'resize',
      'put canyon-400x400.jpg',
      'resize',
      'put canyon-800x600.webp',
      'resize',
      'put canyon-64x64.png',
      'resize',
      'put canyon-1200x800.avif',
      'resize',
      'put canyon-300x300.jpg',
    ]);
    assert.deepEqual(tracing.annotations, [
      { variant: 'thumb', size: '400x400', fit: 'cover', format: 'jpeg' },
      { variant: 'card', size: '800x600', fit: 'cover', format: 'webp' },
      { variant: 'icon', size: '64x64', fit: 'cover', format: 'png' },
      { variant: 'hero', size: '1200x800', fit: 'inside', format: 'avif' },
      { variant: 'print', size: '300x300', fit: 'inside', format: 'jpeg' },
    ]);
  });

  it('logs one created line per variant, naming the source key, the variant and its key', async () => {
    // Prepare
    const { storage, logger, handler } = setup();
    storage.seed(SOURCE, 'canyon.jpg', photo);

    // Act
    await handler(s3Event(putRecord(SOURCE, 'canyon.jpg')), { awsRequestId: 'req-7' });

    // Assess
    assert.deepEqual(
      logger.lines.map((line) => [line.level, line.message, line.fields.key, line.fields.variant, line.fields.thumbnailKey, line.fields.requestId]),
      FIVE.map((variant, i) => ['INFO', 'thumbnail created', 'canyon.jpg', variant.name, [
        'canyon-400x400.jpg',
        'canyon-800x600.webp',
        'canyon-64x64.png',
        'canyon-1200x800.avif',
        'canyon-300x300.jpg',
      ][i], 'req-7']),
    );
    for (const timing of ['getMs', 'decodeMs', 'resizeMs', 'putMs']) assert.equal(typeof logger.lines[0]?.fields[timing], 'number', timing);
  });

  it('keeps alpha where the format has it and flattens it on white for JPEG', async () => {
    // Prepare
    const { storage, handler } = setup();
    storage.seed(SOURCE, 'logo.png', translucent);

    // Act
    await handler(s3Event(putRecord(SOURCE, 'logo.png')));

    // Assess
    const alpha = async (key: string) => (await sharp(storage.read(THUMBS, key)!.body).metadata()).hasAlpha;
    assert.equal(await alpha('logo-400x400.png'), true, 'same on a PNG is PNG');
    assert.equal(await alpha('logo-800x600.webp'), true);
    assert.equal(await alpha('logo-64x64.png'), true);
    assert.equal(await alpha('logo-1200x800.avif'), true);
    assert.equal(await alpha('logo-300x300.jpg'), false);
    assert.ok(near(await pixelAt(storage.read(THUMBS, 'logo-300x300.jpg')!.body, 100, 50), [127, 127, 255], 12), 'blue over white');
  });

  it('keeps today\'s single thumbnail for a key with a size', async () => {
    // Prepare
    const { storage, handler, timeline } = setup();
    storage.seed(SOURCE, 'canyon-120x90.jpg', photo);

    // Act
    const summary = await handler(s3Event(putRecord(SOURCE, 'canyon-120x90.jpg')));

    // Assess
    assert.deepEqual(summary.results, [
      { key: 'canyon-120x90.jpg', status: 'created', thumbnailKey: 'canyon-120x90.jpg', width: 120, height: 90, bytes: storage.read(THUMBS, 'canyon-120x90.jpg')?.body.length },
    ]);
    assert.deepEqual(storage.calls.map((call) => `${call.operation} ${call.key}`), ['getObject canyon-120x90.jpg', 'putObject canyon-120x90.jpg']);
    assert.deepEqual(timeline, ['resize']);
  });

  it('writes colliding variants under <name>/', async () => {
    // Prepare
    const variants = variantsOf([
      { name: 'square', size: '100x100' },
      { name: 'whole', size: '100x100', fit: 'inside' },
    ]);
    const { storage, handler } = setup({ config: { ...CONFIG, variants } });
    storage.seed(SOURCE, 'a/b.jpg', photo);

    // Act
    await handler(s3Event(putRecord(SOURCE, 'a/b.jpg')));

    // Assess
    const square = await sharp(storage.read(THUMBS, 'a/square/b-100x100.jpg')!.body).metadata();
    const whole = await sharp(storage.read(THUMBS, 'a/whole/b-100x100.jpg')!.body).metadata();
    assert.deepEqual([square.width, square.height, whole.width, whole.height], [100, 100, 100, 67]);
    assert.equal(storage.read(THUMBS, 'a/b-100x100.jpg'), undefined);
  });

  it('skips a key whose extension it does not read, without reading it', async () => {
    // Prepare
    const { storage, logger, handler } = setup();

    // Act
    const summary = await handler(s3Event(putRecord(SOURCE, 'scan.tiff')));

    // Assess
    assert.deepEqual(summary.results, [{ key: 'scan.tiff', status: 'skipped', reason: 'key has no .jpg/.jpeg/.png/.webp/.avif/.gif extension' }]);
    assert.deepEqual(storage.calls, []);
    assert.equal(logger.at('INFO').length, 1);
  });

  describe('refusals of the source', () => {
    const cases: [string, () => Buffer, string | RegExp][] = [
      ['an SVG named .png', () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'), REFUSAL_REASONS.svg],
      ['a HEIC named .jpg', () => heicHeader(), REFUSAL_REASONS.heic],
      ['a truncated JPEG', () => photo.subarray(0, photo.length >> 1), /^corrupt image: /],
    ];
    for (const [label, body, reason] of cases) {
      it(`rejects ${label} once, writes nothing and does not throw`, async () => {
        // Prepare
        const { storage, logger, handler, counter } = setup();
        storage.seed(SOURCE, 'upload.png', body());

        // Act
        const summary = await handler(s3Event(putRecord(SOURCE, 'upload.png')));

        // Assess
        assert.equal(summary.results[0]?.status, 'rejected');
        if (typeof reason === 'string') assert.equal(summary.results[0]?.reason, reason);
        else assert.match(summary.results[0]?.reason ?? '', reason);
        assert.deepEqual(logger.lines.map((line) => [line.level, line.message]), [['ERROR', 'thumbnail rejected: upload.png']]);
        assert.equal(storage.calls.filter((call) => call.operation === 'putObject').length, 0);
        if (typeof reason === 'string') assert.deepEqual(counter.pipelines, [], 'refused before sharp');
      });
    }
  });

  describe('when a variant fails', () => {
    it('throws naming the variant when its write fails transiently, after writing the others', async () => {
      // Prepare
      const { storage, logger, handler } = setup();
      storage.seed(SOURCE, 'canyon.jpg', photo);
      storage.failWith = (call) => (call.operation === 'putObject' && call.key === 'canyon-800x600.webp' ? s3SlowDown() : undefined);

      // Act / Assess
      await assert.rejects(handler(s3Event(putRecord(SOURCE, 'canyon.jpg'))), (error: unknown) => {
        assert.equal((error as Error).name, 'VariantsFailedError');
        assert.equal((error as Error).message, 'variant "card" (canyon-800x600.webp): SlowDown: Please reduce your request rate.');
        assert.equal(((error as Error).cause as Error).name, 'SlowDown');
        return true;
      });
      assert.equal(logger.at('ERROR').length, 0, 'not a rejection');
      assert.match(logger.at('WARN')[0]?.fields.reason as string, /variant "card"/);
      for (const key of ['canyon-400x400.jpg', 'canyon-64x64.png', 'canyon-1200x800.avif', 'canyon-300x300.jpg']) {
        assert.ok(storage.read(THUMBS, key), `${key} written anyway`);
      }
    });

    it('writes every variant again on the retry, with the same bytes', async () => {
      // Prepare
      const { storage, handler } = setup();
      storage.seed(SOURCE, 'canyon.jpg', photo);
      storage.failWith = (call) => (call.operation === 'putObject' && call.key === 'canyon-64x64.png' ? new Error('socket hang up') : undefined);
      await assert.rejects(handler(s3Event(putRecord(SOURCE, 'canyon.jpg'))), /variant "icon" \(canyon-64x64.png\): Error: socket hang up/);
      const first = new Map([...storage.objects].map(([address, object]) => [address, object.body]));

      // Act
      storage.failWith = () => undefined;
      const putsBefore = storage.calls.filter((call) => call.operation === 'putObject').length;
      const summary = await handler(s3Event(putRecord(SOURCE, 'canyon.jpg')));

      // Assess
      assert.equal(summary.results[0]?.status, 'created');
      assert.equal(storage.calls.filter((call) => call.operation === 'putObject').length - putsBefore, 5, 'all five written again');
      for (const variant of summary.results[0]?.variants ?? []) {
        const earlier = first.get(`${THUMBS}\u0000${variant.key}`);
        if (earlier) assert.ok(earlier.equals(storage.read(THUMBS, variant.key)!.body), `${variant.key} identical`);
      }
      assert.ok(storage.read(THUMBS, 'canyon-64x64.png'));
    });

    it('logs a variant the encoder refuses once, names it, writes the others and resolves', async () => {
      // Prepare: WebP stops at 16383 pixels a side; PNG does not.
      const variants = variantsOf(
        [
          { name: 'banner', size: '16400x10', format: 'webp' },
          { name: 'strip', size: '16400x10', format: 'png' },
        ],
        20_000,
      );
      const { storage, logger, handler } = setup({ config: { ...CONFIG, maxSide: 20_000, variants } });
      storage.seed(SOURCE, 'wide.jpg', photo);

      // Act
      const summary = await handler(s3Event(putRecord(SOURCE, 'wide.jpg')));

      // Assess
      const [result] = summary.results;
      assert.equal(result?.status, 'rejected');
      assert.match(result?.reason ?? '', /^variant "banner" \(wide-16400x10\.webp\): cannot encode webp at 16400x10: /);
      assert.deepEqual(
        result?.variants?.map((variant: VariantResult) => [variant.name, variant.status]),
        [
          ['banner', 'rejected'],
          ['strip', 'created'],
        ],
      );
      const errors = logger.at('ERROR');
      assert.equal(errors.length, 1);
      assert.deepEqual([errors[0]?.message, errors[0]?.fields.key, errors[0]?.fields.variant, errors[0]?.fields.reason], [
        'thumbnail rejected: wide.jpg',
        'wide.jpg',
        'banner',
        result?.reason,
      ]);
      assert.equal(storage.read(THUMBS, 'wide-16400x10.webp'), undefined);
      assert.ok(storage.read(THUMBS, 'wide-16400x10.png'));
    });

    it('rejects a variant whose key would be longer than S3 allows', async () => {
      // Prepare: a 1,020-byte source key fits S3; with `-400x400` it does not.
      const key = `${'k'.repeat(1016)}.jpg`;
      const variants = variantsOf([{ name: 'thumb', size: '400x400' }]);
      const { storage, handler } = setup({ config: { ...CONFIG, variants } });
      storage.seed(SOURCE, key, photo);

      // Act
      const summary = await handler(s3Event(putRecord(SOURCE, key)));

      // Assess
      assert.equal(summary.results[0]?.status, 'rejected');
      assert.match(summary.results[0]?.reason ?? '', /: thumbnail key is 1028 bytes, above S3's limit of 1024$/);
      assert.equal(storage.calls.filter((call) => call.operation === 'putObject').length, 0);
    });
  });
});
