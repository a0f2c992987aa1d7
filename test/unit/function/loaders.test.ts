// restrictLoaders is process-wide (the deployed handler calls it at start-up), so it is tested in a file of its own:
// node's runner gives every test file its own process.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import sharp from 'sharp';

import { restrictLoaders } from '../../../function/sharp.js';
import { solid } from './support/images.js';

describe('restrictLoaders', () => {
  const made: Record<string, Buffer> = {};
  before(async () => {
    for (const format of ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'] as const) made[format] = await solid(8, 8, 'red').toFormat(format).toBuffer();
    made.svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>');
    assert.equal((await sharp(made.svg).metadata()).format, 'svg', 'sharp reads SVG until restricted');
    restrictLoaders();
  });

  it('leaves the five formats we read decodable', async () => {
    // Act / Assess
    for (const format of ['jpeg', 'png', 'webp', 'gif', 'avif']) {
      const { info } = await sharp(made[format]).raw().toBuffer({ resolveWithObject: true });
      assert.equal(info.width, 8, format);
    }
  });

  it('stops libvips from parsing SVG or TIFF at all', async () => {
    // Act / Assess
    for (const format of ['svg', 'tiff']) {
      await assert.rejects(sharp(made[format]).metadata(), /unsupported image format/, format);
    }
  });

  it('does not affect raw pixels, which need no loader', async () => {
    // Act
    const png = await sharp(Buffer.alloc(4 * 4 * 3, 200), { raw: { width: 4, height: 4, channels: 3 } }).png().toBuffer();

    // Assess
    assert.equal((await sharp(png).metadata()).width, 4);
  });
});
