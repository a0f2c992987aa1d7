// decodeImage: one decode of the source serving any number of encodes (the variants of an upload), with the
// hidden-corpus rules (orientation, CMYK and 16-bit to sRGB 8-bit, alpha where the format has it) applied once.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import sharp from 'sharp';

import { PermanentImageError } from '../../../function/errors.js';
import { decodeImage, DECODE_LIMITS, renderThumbnail, type RenderRequest } from '../../../function/thumbnail.js';
import { countingSharp } from './support/counting-sharp.js';
import { animated, bands, COLOURS, near, pixelAt, solid } from './support/images.js';

const LIMITS = { maxPixels: 100_000_000 } as const;

const FIVE: RenderRequest[] = [
  { width: 400, height: 400, fit: 'cover', format: 'same' },
  { width: 200, height: 100, fit: 'cover', format: 'webp' },
  { width: 300, height: 300, fit: 'inside', format: 'png' },
  { width: 96, height: 96, fit: 'cover', format: 'avif' },
  { width: 640, height: 480, fit: 'inside', format: 'jpeg', quality: 60 },
];

describe('decodeImage', () => {
  let landscape: Buffer;
  before(async () => {
    // 3000x2000, three vertical bands: red | green | blue.
    landscape = await bands(3000, 2000, [COLOURS.red, COLOURS.green, COLOURS.blue], 'vertical').jpeg().toBuffer();
  });

  it('decodes the source once for five thumbnails, where five single renders decode it five times', async () => {
    // Prepare
    const shared = countingSharp();
    const single = countingSharp();

    // Act
    const decoded = await decodeImage(landscape, FIVE, LIMITS, shared.imaging);
    for (const request of FIVE) await decoded.render(request);
    for (const request of FIVE) await renderThumbnail(landscape, request, LIMITS, single.imaging);

    // Assess
    assert.equal(shared.decodesOf(landscape), 1, 'one decode');
    assert.equal(shared.headerReadsOf(landscape), 1, 'one header read');
    assert.equal(shared.pipelines.filter((pipeline) => pipeline.raw).length, 5, 'each thumbnail starts from decoded pixels');
    assert.equal(single.decodesOf(landscape), 5);
  });

  it('decodes only as large as the largest thumbnail needs', async () => {
    // Prepare
    const counter = countingSharp();

    // Act
    const decoded = await decodeImage(landscape, [{ width: 300, height: 300, fit: 'cover' }, { width: 150, height: 150, fit: 'inside' }], LIMITS, counter.imaging);
    await decoded.render({ width: 300, height: 300, fit: 'cover', format: 'same' });

    // Assess: covering 300x300 needs the 3000x2000 source at 450x300, three bytes a pixel.
    const [raw] = counter.pipelines.filter((pipeline) => pipeline.raw);
    assert.equal(raw?.input.length, 450 * 300 * 3);
  });

  it('caps the decode at DECODE_LIMITS.maxDecodedPixels when a thumbnail would need more', async () => {
    // Prepare: a 40-megapixel panorama asked to cover a square needs it all, enlarged.
    const panorama = await solid(20_000, 2_000, 'green').jpeg().toBuffer();
    const counter = countingSharp();

    // Act
    const decoded = await decodeImage(panorama, [{ width: 2_000, height: 2_000, fit: 'cover' }], LIMITS, counter.imaging);
    const thumbnail = await decoded.render({ width: 2_000, height: 2_000, fit: 'cover', format: 'jpeg' });

    // Assess
    const [raw] = counter.pipelines.filter((pipeline) => pipeline.raw);
    assert.ok((raw?.input.length ?? Infinity) <= DECODE_LIMITS.maxDecodedPixels * 3, `${raw?.input.length} bytes decoded`);
    assert.deepEqual([thumbnail.width, thumbnail.height], [2_000, 2_000]);
  });

  it('writes every format from one decode, with its Content-Type and size', async () => {
    // Prepare
    const decoded = await decodeImage(landscape, FIVE, LIMITS);

    // Act
    const thumbnails = [];
    for (const request of FIVE) thumbnails.push(await decoded.render(request));

    // Assess
    const facts = await Promise.all(
      thumbnails.map(async (thumbnail) => {
        const metadata = await sharp(thumbnail.data).metadata();
        return [metadata.format, metadata.width, metadata.height, thumbnail.format, thumbnail.contentType];
      }),
    );
    assert.deepEqual(facts, [
      ['jpeg', 400, 400, 'jpeg', 'image/jpeg'],
      ['webp', 200, 100, 'webp', 'image/webp'],
      ['png', 300, 200, 'png', 'image/png'],
      ['heif', 96, 96, 'avif', 'image/avif'],
      ['jpeg', 640, 427, 'jpeg', 'image/jpeg'],
    ]);
    // Cover crops the centre: all three bands in order, as a key with a size would.
    assert.ok(near(await pixelAt(thumbnails[0]!.data, 5, 200), COLOURS.red));
    assert.ok(near(await pixelAt(thumbnails[0]!.data, 200, 200), COLOURS.green));
    assert.ok(near(await pixelAt(thumbnails[0]!.data, 394, 200), COLOURS.blue));
  });

  it('gives inside thumbnails the size a key with that size gives', async () => {
    // Prepare
    const sources = await Promise.all([
      solid(1999, 1333, 'red').png().toBuffer(),
      solid(641, 479, 'red').png().toBuffer(),
      solid(333, 777, 'red').png().toBuffer(),
      solid(17, 1000, 'red').png().toBuffer(),
    ]);
    const boxes = [
      [400, 400],
      [100, 37],
      [640, 480],
      [7, 7],
      [999, 1],
      [250, 120],
    ] as const;

    for (const source of sources) {
      const requests = boxes.map(([width, height]) => ({ width, height, fit: 'inside' as const }));
      const decoded = await decodeImage(source, requests, LIMITS);
      for (const request of requests) {
        // Act
        const variant = await decoded.render({ ...request, format: 'same' });
        const single = await renderThumbnail(source, request, LIMITS);

        // Assess
        assert.deepEqual([variant.width, variant.height], [single.width, single.height], `${request.width}x${request.height}`);
      }
    }
  });

  it('applies EXIF orientation once, for every thumbnail', async () => {
    // Prepare: stored 300x200 red | blue; orientation 6 makes it 200x300, red on top.
    const sideways = await bands(300, 200, [COLOURS.red, COLOURS.blue], 'vertical').jpeg().withMetadata({ orientation: 6 }).toBuffer();

    // Act
    const decoded = await decodeImage(sideways, [{ width: 100, height: 150, fit: 'cover' }, { width: 150, height: 150, fit: 'inside' }], LIMITS);
    const covered = await decoded.render({ width: 100, height: 150, fit: 'cover', format: 'webp' });
    const bounded = await decoded.render({ width: 150, height: 150, fit: 'inside', format: 'jpeg' });

    // Assess
    assert.deepEqual([covered.width, covered.height], [100, 150]);
    assert.deepEqual([bounded.width, bounded.height], [100, 150]);
    for (const thumbnail of [covered, bounded]) {
      assert.equal((await sharp(thumbnail.data).metadata()).orientation, undefined);
      assert.ok(near(await pixelAt(thumbnail.data, 50, 10), COLOURS.red), 'top is red');
      assert.ok(near(await pixelAt(thumbnail.data, 50, 140), COLOURS.blue), 'bottom is blue');
    }
  });

  it('converts CMYK and 16-bit sources to 8-bit sRGB', async () => {
    // Prepare
    const cmyk = await solid(300, 200, 'red').toColourspace('cmyk').jpeg().toBuffer();
    const deep = await solid(300, 200, { r: 0, g: 0, b: 255, alpha: 0.5 }, 4).toColourspace('rgb16').png().toBuffer();

    for (const source of [cmyk, deep]) {
      // Act
      const decoded = await decodeImage(source, [{ width: 60, height: 40, fit: 'cover' }], LIMITS);
      const thumbnail = await decoded.render({ width: 60, height: 40, fit: 'cover', format: 'png' });

      // Assess
      const metadata = await sharp(thumbnail.data).metadata();
      assert.deepEqual([metadata.space, metadata.depth], ['srgb', 'uchar']);
    }
    const red = await (await decodeImage(cmyk, [], LIMITS)).render({ width: 60, height: 40, fit: 'cover', format: 'jpeg' });
    const [r, g, b] = await pixelAt(red.data, 30, 20);
    assert.ok((r ?? 0) > 200 && (g ?? 255) < 80 && (b ?? 255) < 80, `still red: ${r},${g},${b}`);
  });

  it('keeps alpha in PNG, WebP and AVIF, and flattens it on white for JPEG', async () => {
    // Prepare: half-transparent blue.
    const translucent = await solid(200, 200, { r: 0, g: 0, b: 255, alpha: 0.5 }, 4).png().toBuffer();
    const decoded = await decodeImage(translucent, [{ width: 40, height: 40, fit: 'cover' }], LIMITS);

    // Act / Assess
    for (const format of ['png', 'webp', 'avif'] as const) {
      const thumbnail = await decoded.render({ width: 40, height: 40, fit: 'cover', format });
      const metadata = await sharp(thumbnail.data).metadata();
      assert.equal(metadata.hasAlpha, true, format);
      const alpha = (await pixelAt(thumbnail.data, 20, 20))[3] ?? 0;
      assert.ok(Math.abs(alpha - 128) <= 4, `${format} alpha ${alpha}`);
    }
    const jpeg = await decoded.render({ width: 40, height: 40, fit: 'cover', format: 'jpeg' });
    assert.equal((await sharp(jpeg.data).metadata()).hasAlpha, false);
    assert.ok(near(await pixelAt(jpeg.data, 20, 20), [127, 127, 255], 12), 'blue at half strength over white');
  });

  it('uses the first frame of an animated GIF or WebP, and writes a still even as WebP', async () => {
    for (const format of ['gif', 'webp'] as const) {
      // Prepare
      const source = await animated([COLOURS.red, COLOURS.green, COLOURS.blue], format);

      // Act
      const decoded = await decodeImage(source, [{ width: 20, height: 20, fit: 'cover' }], LIMITS);
      const thumbnail = await decoded.render({ width: 20, height: 20, fit: 'cover', format: 'webp' });

      // Assess
      const metadata = await sharp(thumbnail.data).metadata();
      assert.deepEqual([metadata.format, metadata.pages ?? 1, metadata.height], ['webp', 1, 20], format);
      assert.equal(decoded.source.pages, 3);
      assert.ok(near(await pixelAt(thumbnail.data, 10, 10), COLOURS.red), `${format}: the first frame`);
    }
  });

  it('applies a quality to lossy formats', async () => {
    // Prepare
    const noisy = await sharp(Buffer.from(Array.from({ length: 200 * 200 * 3 }, (_, i) => (i * 7919) % 256)), { raw: { width: 200, height: 200, channels: 3 } }).png().toBuffer();
    const decoded = await decodeImage(noisy, [{ width: 200, height: 200, fit: 'cover' }], LIMITS);

    // Act / Assess
    for (const format of ['jpeg', 'webp', 'avif'] as const) {
      const low = await decoded.render({ width: 200, height: 200, fit: 'cover', format, quality: 20 });
      const high = await decoded.render({ width: 200, height: 200, fit: 'cover', format, quality: 95 });
      assert.ok(low.data.length < high.data.length, `${format}: ${low.data.length} < ${high.data.length}`);
    }
  });

  it('rejects one thumbnail the encoder cannot make, naming its format and size, and still makes the others', async () => {
    // Prepare: WebP is limited to 16383 pixels a side.
    const decoded = await decodeImage(landscape, [{ width: 16_400, height: 10, fit: 'cover' }], { maxPixels: LIMITS.maxPixels });

    // Act / Assess
    await assert.rejects(decoded.render({ width: 16_400, height: 10, fit: 'cover', format: 'webp' }), (error: unknown) => {
      assert.ok(error instanceof PermanentImageError);
      assert.match(error.message, /^cannot encode webp at 16400x10: /);
      return true;
    });
    assert.equal((await decoded.render({ width: 16_400, height: 10, fit: 'cover', format: 'png' })).width, 16_400);
  });

  it('rejects a truncated source as corrupt, as a key with a size does', async () => {
    // Act / Assess
    await assert.rejects(decodeImage(landscape.subarray(0, landscape.length >> 1), FIVE, LIMITS), { name: 'PermanentImageError', message: /^corrupt image: / });
  });
});
