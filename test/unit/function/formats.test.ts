// Input formats through the single-thumbnail path (a key with a size): what is read, what is written, what is
// refused before any parser runs, and the pixel bombs of every format refused from their headers.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import sharp from 'sharp';

import { REFUSAL_REASONS } from '../../../function/sniff.js';
import { inspectImage, renderThumbnail, type ThumbnailRequest } from '../../../function/thumbnail.js';
import { countingSharp } from './support/counting-sharp.js';
import {
  animated,
  avifClaiming,
  COLOURS,
  gifClaiming,
  heicHeader,
  jpegClaiming,
  near,
  pdfDocument,
  pixelAt,
  pngBomb,
  solid,
  webpClaiming,
} from './support/images.js';

const LIMITS = { maxPixels: 100_000_000 } as const;
const cover = (width: number, height: number): ThumbnailRequest => ({ width, height, fit: 'cover' });

describe('input formats', () => {
  it('reads AVIF and keeps it AVIF, with alpha and its Content-Type', async () => {
    // Prepare
    const avif = await solid(120, 80, { r: 255, g: 0, b: 0, alpha: 0.5 }, 4).avif().toBuffer();

    // Act
    const thumbnail = await renderThumbnail(avif, cover(30, 20), LIMITS);

    // Assess
    const metadata = await sharp(thumbnail.data).metadata();
    assert.deepEqual([metadata.format, metadata.compression, metadata.width, metadata.height, metadata.hasAlpha], ['heif', 'av1', 30, 20, true]);
    assert.deepEqual([thumbnail.source.format, thumbnail.format, thumbnail.contentType], ['avif', 'avif', 'image/avif']);
  });

  it('reads a static GIF and writes PNG', async () => {
    // Prepare
    const gif = await solid(50, 50, 'blue').gif().toBuffer();

    // Act
    const thumbnail = await renderThumbnail(gif, cover(10, 10), LIMITS);

    // Assess
    assert.deepEqual([thumbnail.source.format, thumbnail.format, thumbnail.contentType], ['gif', 'png', 'image/png']);
    assert.ok(near(await pixelAt(thumbnail.data, 5, 5), COLOURS.blue));
  });

  it('reads a progressive JPEG', async () => {
    // Prepare
    const progressive = await solid(200, 100, 'red').jpeg({ progressive: true }).toBuffer();
    assert.equal((await sharp(progressive).metadata()).isProgressive, true);

    // Act
    const thumbnail = await renderThumbnail(progressive, cover(20, 10), LIMITS);

    // Assess
    assert.deepEqual([thumbnail.format, thumbnail.width, thumbnail.height], ['jpeg', 20, 10]);
  });

  it('converts a 16-bit PNG to an 8-bit sRGB thumbnail', async () => {
    // Prepare
    const deep = await solid(64, 64, 'green').toColourspace('rgb16').png().toBuffer();
    assert.equal((await sharp(deep).metadata()).depth, 'ushort');

    // Act
    const thumbnail = await renderThumbnail(deep, cover(16, 16), LIMITS);

    // Assess
    const metadata = await sharp(thumbnail.data).metadata();
    assert.deepEqual([metadata.format, metadata.depth, metadata.space], ['png', 'uchar', 'srgb']);
  });

  describe('refused before any parser sees the bytes', () => {
    const cases: [string, () => Buffer, string][] = [
      ['an SVG', () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'), REFUSAL_REASONS.svg],
      ['an SVG with an XML prologue', () => Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'), REFUSAL_REASONS.svg],
      ['a PDF', pdfDocument, REFUSAL_REASONS.pdf],
      ['a HEIC (ftyp heic)', () => heicHeader('heic'), REFUSAL_REASONS.heic],
      ['a HEIF container branded mif1/heic', () => heicHeader('mif1'), REFUSAL_REASONS.heic],
    ];
    for (const [label, make, reason] of cases) {
      it(`refuses ${label} with a clear reason, without a sharp pipeline`, async () => {
        // Prepare
        const counter = countingSharp();

        // Act / Assess
        await assert.rejects(renderThumbnail(make(), cover(10, 10), LIMITS, counter.imaging), { name: 'PermanentImageError', message: reason });
        assert.deepEqual(counter.pipelines, [], 'sharp never saw the bytes');
      });
    }
  });
});

describe('pixel bombs, refused from the header', () => {
  const samples: Record<string, Buffer> = {};
  before(async () => {
    samples.jpeg = await solid(32, 32, 'red').jpeg().toBuffer();
    samples.progressive = await solid(32, 32, 'red').jpeg({ progressive: true }).toBuffer();
    samples.gif = await solid(32, 32, 'red').gif().toBuffer();
    samples.webp = await solid(32, 32, { r: 0, g: 0, b: 0, alpha: 0.5 }, 4).webp().toBuffer();
    samples.avif = await solid(32, 32, 'red').avif().toBuffer();
  });

  const bombs: [string, () => Buffer, RegExp][] = [
    ['a baseline JPEG claiming 65000x65000', () => jpegClaiming(samples.jpeg!, 65_000, 65_000), /^image too large: 65000x65000 is 4225000000 pixels, above the limit of 100000000$/],
    ['a progressive JPEG claiming 60000x60000', () => jpegClaiming(samples.progressive!, 60_000, 60_000), /^image too large: 60000x60000 is 3600000000 pixels/],
    ['a PNG of 30000x30000', () => pngBomb(30_000), /^image too large: 30000x30000 is 900000000 pixels/],
    ['a GIF claiming 65535x65535', () => gifClaiming(samples.gif!, 65_535, 65_535), /^image too large: 65535x65535 is 4294836225 pixels/],
    ['an AVIF claiming 20000x20000', () => avifClaiming(samples.avif!, 20_000, 20_000), /^image too large: 20000x20000 is 400000000 pixels/],
  ];
  for (const [label, make, reason] of bombs) {
    it(`refuses ${label} after reading only its header`, async () => {
      // Prepare
      const counter = countingSharp();
      const bomb = make();

      // Act / Assess
      await assert.rejects(renderThumbnail(bomb, cover(100, 100), LIMITS, counter.imaging), (error: unknown) => {
        assert.equal((error as Error).name, 'PermanentImageError');
        assert.match((error as Error).message, reason);
        return true;
      });
      assert.equal(counter.headerReadsOf(bomb), 1);
      assert.equal(counter.decodesOf(bomb), 0, 'no pixels decoded');
    });
  }

  it('refuses a real WebP above a configured limit after reading only its header', async () => {
    // Prepare: libwebp checks a canvas against its bitstream, so a patched header is "corrupt", not a bomb; a real
    // lossless 3000x2000 of one colour is a few hundred bytes.
    const webp = await solid(3000, 2000, 'red').webp({ lossless: true }).toBuffer();
    const counter = countingSharp();

    // Act / Assess
    await assert.rejects(renderThumbnail(webp, cover(10, 10), { maxPixels: 1_000_000 }, counter.imaging), {
      name: 'PermanentImageError',
      message: 'image too large: 3000x2000 is 6000000 pixels, above the limit of 1000000',
    });
    assert.equal(counter.decodesOf(webp), 0);
  });

  it('never decodes a WebP whose canvas lies about its size', async () => {
    // Prepare
    const lying = webpClaiming(samples.webp!, 16_384, 16_384);
    const counter = countingSharp();

    // Act / Assess
    await assert.rejects(renderThumbnail(lying, cover(10, 10), LIMITS, counter.imaging), { name: 'PermanentImageError' });
    assert.equal(counter.decodesOf(lying), 0);
  });

  for (const format of ['gif', 'webp'] as const) {
    it(`counts every frame of an animated ${format.toUpperCase()}: pages x height x width`, async () => {
      // Prepare: three 40x30 frames; one frame (1,200 pixels) is under the limit, all three (3,600) are not.
      const image = await animated([COLOURS.red, COLOURS.green, COLOURS.blue], format);
      const counter = countingSharp();

      // Act / Assess
      await assert.rejects(renderThumbnail(image, cover(10, 10), { maxPixels: 2_000 }, counter.imaging), {
        name: 'PermanentImageError',
        message: 'image too large: 40x30 x 3 frames is 3600 pixels, above the limit of 2000',
      });
      assert.equal(counter.decodesOf(image), 0);
      assert.equal((await renderThumbnail(image, cover(10, 10), { maxPixels: 3_600 })).width, 10, 'at the limit it is made');
    });
  }

  it('reports the frames of an animated image from its header', async () => {
    // Prepare
    const gif = await animated([COLOURS.red, COLOURS.green], 'gif');

    // Act
    const info = await inspectImage(gif, LIMITS);

    // Assess
    assert.deepEqual(info, { format: 'gif', width: 40, height: 30, pages: 2 });
  });
});
