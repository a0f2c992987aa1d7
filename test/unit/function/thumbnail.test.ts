import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import sharp from 'sharp';

import { PermanentImageError } from '../../../function/errors.js';
import { inspectImage, renderThumbnail, type ThumbnailRequest } from '../../../function/thumbnail.js';
import { animated, bands, COLOURS, near, pixelAt, pngBomb, solid } from './support/images.js';

const LIMITS = { maxPixels: 100_000_000 } as const;
const cover = (width: number, height: number): ThumbnailRequest => ({ width, height, fit: 'cover' });
const inside = (width: number, height: number): ThumbnailRequest => ({ width, height, fit: 'inside' });

describe('renderThumbnail', () => {
  let landscape: Buffer;
  before(async () => {
    // 3000x2000, three vertical bands: red | green | blue.
    landscape = await bands(3000, 2000, [COLOURS.red, COLOURS.green, COLOURS.blue], 'vertical').jpeg().toBuffer();
  });

  it('makes an exact W x H JPEG from a large landscape, cropping the centre', async () => {
    // Act
    const thumbnail = await renderThumbnail(landscape, cover(100, 100), LIMITS);

    // Assess
    const metadata = await sharp(thumbnail.data).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['jpeg', 100, 100]);
    assert.deepEqual([thumbnail.format, thumbnail.contentType, thumbnail.width, thumbnail.height], ['jpeg', 'image/jpeg', 100, 100]);
    // Scaled to 150x100 then cropped to the middle 100 columns: all three bands remain, in order.
    assert.ok(near(await pixelAt(thumbnail.data, 2, 50), COLOURS.red));
    assert.ok(near(await pixelAt(thumbnail.data, 50, 50), COLOURS.green));
    assert.ok(near(await pixelAt(thumbnail.data, 97, 50), COLOURS.blue));
  });

  it('keeps the whole picture in inside mode', async () => {
    // Act
    const thumbnail = await renderThumbnail(landscape, inside(300, 300), LIMITS);

    // Assess
    assert.deepEqual([thumbnail.width, thumbnail.height], [300, 200]);
  });

  it('applies EXIF orientation so a sideways phone photo comes out upright, without an orientation tag', async () => {
    // Prepare: stored 300x200 with red on the left and blue on the right; orientation 6 means "rotate 90° clockwise
    // to view", so upright the picture is 200x300 with red at the top and blue at the bottom.
    const sideways = await bands(300, 200, [COLOURS.red, COLOURS.blue], 'vertical')
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    assert.equal((await sharp(sideways).metadata()).orientation, 6);

    // Act
    const thumbnail = await renderThumbnail(sideways, cover(100, 150), LIMITS);
    const bounded = await renderThumbnail(sideways, inside(150, 150), LIMITS);

    // Assess
    const metadata = await sharp(thumbnail.data).metadata();
    assert.equal(metadata.orientation, undefined);
    assert.deepEqual([metadata.width, metadata.height], [100, 150]);
    assert.ok(near(await pixelAt(thumbnail.data, 50, 10), COLOURS.red), 'top is red');
    assert.ok(near(await pixelAt(thumbnail.data, 50, 140), COLOURS.blue), 'bottom is blue');
    assert.deepEqual([bounded.width, bounded.height], [100, 150], 'inside mode sees the upright (portrait) shape');
  });

  it('strips EXIF and ICC metadata from the output', async () => {
    // Prepare
    const tagged = await solid(200, 200, 'red').jpeg().withMetadata({ orientation: 1 }).withIccProfile('p3').toBuffer();
    const input = await sharp(tagged).metadata();
    assert.ok(input.exif && input.icc);

    // Act
    const thumbnail = await renderThumbnail(tagged, cover(50, 50), LIMITS);

    // Assess
    const metadata = await sharp(thumbnail.data).metadata();
    assert.equal(metadata.exif, undefined);
    assert.equal(metadata.icc, undefined);
    assert.equal(metadata.orientation, undefined);
  });

  it('keeps PNG transparency', async () => {
    // Prepare
    const translucent = await solid(400, 300, { r: 0, g: 128, b: 255, alpha: 0.5 }, 4).png().toBuffer();

    // Act
    const thumbnail = await renderThumbnail(translucent, cover(40, 40), LIMITS);

    // Assess
    const metadata = await sharp(thumbnail.data).metadata();
    assert.deepEqual([metadata.format, metadata.hasAlpha, metadata.channels], ['png', true, 4]);
    assert.equal(thumbnail.contentType, 'image/png');
    const [r, g, b, a] = await pixelAt(thumbnail.data, 20, 20);
    assert.ok(Math.abs((a ?? 0) - 128) <= 2, `alpha ${a}`);
    assert.ok(near([r ?? 0, g ?? 0, b ?? 0], [0, 128, 255], 3));
  });

  it('keeps WebP as WebP, with alpha', async () => {
    // Prepare
    const webp = await solid(300, 300, { r: 255, g: 0, b: 0, alpha: 0.5 }, 4).webp().toBuffer();

    // Act
    const thumbnail = await renderThumbnail(webp, cover(64, 32), LIMITS);

    // Assess
    const metadata = await sharp(thumbnail.data).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height, metadata.hasAlpha], ['webp', 64, 32, true]);
    assert.equal(thumbnail.contentType, 'image/webp');
  });

  it('converts a CMYK JPEG to sRGB', async () => {
    // Prepare
    const cmyk = await solid(300, 200, 'red').toColourspace('cmyk').jpeg().toBuffer();
    assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');

    // Act
    const thumbnail = await renderThumbnail(cmyk, cover(60, 40), LIMITS);

    // Assess
    const metadata = await sharp(thumbnail.data).metadata();
    assert.deepEqual([metadata.format, metadata.space, metadata.channels], ['jpeg', 'srgb', 3]);
    const [r, g, b] = await pixelAt(thumbnail.data, 30, 20);
    assert.ok((r ?? 0) > 200 && (g ?? 255) < 80 && (b ?? 255) < 80, `still red: ${r},${g},${b}`);
  });

  it('enlarges a tiny image to the exact size in cover mode', async () => {
    // Prepare
    const tiny = await solid(10, 10, 'green').png().toBuffer();

    // Act
    const thumbnail = await renderThumbnail(tiny, cover(100, 100), LIMITS);

    // Assess
    assert.deepEqual([thumbnail.width, thumbnail.height], [100, 100]);
  });

  it('never enlarges in inside mode', async () => {
    // Prepare
    const tiny = await solid(10, 10, 'green').png().toBuffer();

    // Act
    const thumbnail = await renderThumbnail(tiny, inside(100, 100), LIMITS);

    // Assess
    assert.deepEqual([thumbnail.width, thumbnail.height], [10, 10]);
  });

  it('crops the middle of a 4000x500 panorama to a square', async () => {
    // Prepare
    const panorama = await bands(4000, 500, [COLOURS.red, COLOURS.green, COLOURS.blue], 'vertical').jpeg().toBuffer();

    // Act
    const square = await renderThumbnail(panorama, cover(200, 200), LIMITS);
    const strip = await renderThumbnail(panorama, inside(200, 200), LIMITS);

    // Assess
    assert.deepEqual([square.width, square.height], [200, 200]);
    // The square shows 200/1600 of the scaled width, all from the middle band.
    assert.ok(near(await pixelAt(square.data, 1, 100), COLOURS.green));
    assert.ok(near(await pixelAt(square.data, 198, 100), COLOURS.green));
    assert.deepEqual([strip.width, strip.height], [200, 25]);
  });

  it('uses only the first frame of an animated WebP', async () => {
    // Prepare
    const webp = await animated([COLOURS.red, COLOURS.green, COLOURS.blue], 'webp');
    assert.equal((await sharp(webp).metadata()).pages, 3);

    // Act
    const thumbnail = await renderThumbnail(webp, cover(20, 20), LIMITS);

    // Assess
    const metadata = await sharp(thumbnail.data).metadata();
    assert.deepEqual([metadata.format, metadata.pages ?? 1, metadata.height], ['webp', 1, 20]);
    assert.equal(thumbnail.source.pages, 3);
    assert.ok(near(await pixelAt(thumbnail.data, 10, 10), COLOURS.red));
  });

  it('writes the first frame of an animated GIF as PNG', async () => {
    // Prepare
    const gif = await animated([COLOURS.blue, COLOURS.red], 'gif');

    // Act
    const thumbnail = await renderThumbnail(gif, cover(20, 20), LIMITS);

    // Assess
    assert.deepEqual([thumbnail.source.format, thumbnail.format, thumbnail.contentType], ['gif', 'png', 'image/png']);
    assert.equal((await sharp(thumbnail.data).metadata()).height, 20);
    assert.ok(near(await pixelAt(thumbnail.data, 10, 10), COLOURS.blue));
  });

  it('rejects a truncated JPEG', async () => {
    // Prepare
    const truncated = landscape.subarray(0, Math.floor(landscape.length / 2));

    // Act / Assess
    await assert.rejects(renderThumbnail(truncated, cover(100, 100), LIMITS), (error: unknown) => {
      assert.ok(error instanceof PermanentImageError);
      assert.match(error.message, /^corrupt image: .*premature end/i);
      return true;
    });
  });

  it('rejects an empty file', async () => {
    // Act / Assess
    await assert.rejects(renderThumbnail(Buffer.alloc(0), cover(100, 100), LIMITS), {
      name: 'PermanentImageError',
      message: 'empty file',
    });
  });

  it('rejects bytes that are not an image', async () => {
    // Act / Assess
    await assert.rejects(renderThumbnail(Buffer.from('hello, I am a text file'), cover(10, 10), LIMITS), {
      name: 'PermanentImageError',
      message: 'not an image: Input buffer contains unsupported image format',
    });
  });

  it('rejects formats it does not write, such as TIFF', async () => {
    // Prepare
    const tiff = await solid(20, 20, 'red').tiff().toBuffer();

    // Act / Assess
    await assert.rejects(renderThumbnail(tiff, cover(10, 10), LIMITS), {
      name: 'PermanentImageError',
      message: 'unsupported image format: tiff',
    });
  });

  it('refuses a 30000x30000 PNG bomb from its header, without decoding it', async () => {
    // Prepare
    const bomb = pngBomb(30_000);
    assert.ok(bomb.length < 200_000, `bomb is small: ${bomb.length} bytes`);

    // Act / Assess
    await assert.rejects(renderThumbnail(bomb, cover(100, 100), LIMITS), {
      name: 'PermanentImageError',
      message: 'image too large: 30000x30000 is 900000000 pixels, above the limit of 100000000',
    });
  });

  it('applies a configured pixel limit', async () => {
    // Prepare
    const image = await solid(200, 100, 'red').png().toBuffer();

    // Act / Assess
    await assert.rejects(renderThumbnail(image, cover(10, 10), { maxPixels: 19_999 }), /image too large: 200x100/);
    assert.equal((await renderThumbnail(image, cover(10, 10), { maxPixels: 20_000 })).width, 10);
  });
});

describe('inspectImage', () => {
  it('reports stored dimensions and format from the header', async () => {
    // Prepare
    const png = await solid(30, 20, 'red').png().toBuffer();

    // Act
    const info = await inspectImage(png, LIMITS);

    // Assess
    assert.deepEqual(info, { format: 'png', width: 30, height: 20, pages: 1 });
  });
});
