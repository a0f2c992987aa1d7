// The thumbnail function under hostile images, through its injected storage (no emulator): headers that claim
// 65000x65000 or 30000x30000 (decompression bombs), SVG with entity bombs and external references, TIFF, HEIF,
// PDF, animated GIF/WebP (first frame only), zero bytes, and fuzzed truncations, bit flips and garbage of every
// format. Each gets one clear outcome (a thumbnail, or one rejection naming why), never a crash or another kind
// of error, and the process's memory stays bounded throughout.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import sharp from 'sharp';
import { createHandler } from '../../../function/handler.js';
import { isPermanentImageError } from '../../../function/errors.js';
import { inspectImage, renderThumbnail, type ThumbnailRequest } from '../../../function/thumbnail.js';
import type { ThumbnailConfig } from '../../../function/config.js';
import { countCase, fuzzRuns, fuzzSeed, reportCounts } from '../../helpers/hostile.js';
import { putRecord, s3Event } from '../function/support/events.js';
import { animated, COLOURS, pngBomb, solid } from '../function/support/images.js';
import { MemoryStorage } from '../function/support/memory-storage.js';
import { RecordingLogger } from '../function/support/recording-logger.js';

const LIMITS = { maxPixels: 100_000_000 } as const;
const REQUEST: ThumbnailRequest = { width: 64, height: 64, fit: 'cover' };
const CONFIG: ThumbnailConfig = { thumbnailBucket: 'thumbs', fit: 'cover', maxSide: 4096, maxPixels: 100_000_000 };
/** Generous: node, sharp and libvips' caches sit well under this; a decoded bomb would not. */
const RSS_BOUND = 1024 * 1024 * 1024;

const samples: Record<'jpeg' | 'png' | 'webp' | 'gif' | 'animatedWebp', Buffer> = {} as never;
let peakRss = 0;
const watch = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

before(async () => {
  samples.jpeg = await solid(96, 64, 'red').jpeg().toBuffer();
  samples.png = await solid(96, 64, { r: 0, g: 0, b: 255, alpha: 0.5 }, 4).png().toBuffer();
  samples.webp = await solid(96, 64, { r: 0, g: 255, b: 0, alpha: 0.5 }, 4).webp().toBuffer();
  samples.gif = await solid(96, 64, 'blue').gif().toBuffer();
  samples.animatedWebp = await animated([COLOURS.red, COLOURS.green], 'webp');
});

after(() => {
  clearInterval(watch);
  reportCounts('images');
});

/** Writes big-endian 16-bit values at an offset (JPEG and GIF headers). */
function patch16(buffer: Buffer, offset: number, value: number, littleEndian = false): void {
  if (littleEndian) buffer.writeUInt16LE(value, offset);
  else buffer.writeUInt16BE(value, offset);
}

/** A real JPEG whose frame header (SOF) claims `width` x `height`. */
function jpegClaiming(width: number, height: number): Buffer {
  const jpeg = Buffer.from(samples.jpeg);
  for (let i = 2; i < jpeg.length - 9; i++) {
    if (jpeg[i] === 0xff && jpeg[i + 1]! >= 0xc0 && jpeg[i + 1]! <= 0xc2) {
      patch16(jpeg, i + 5, height);
      patch16(jpeg, i + 7, width);
      return jpeg;
    }
  }
  throw new Error('no SOF marker');
}

/** A real GIF whose logical screen and first image descriptor claim `width` x `height`. */
function gifClaiming(width: number, height: number): Buffer {
  const gif = Buffer.from(samples.gif);
  patch16(gif, 6, width, true);
  patch16(gif, 8, height, true);
  const descriptor = gif.indexOf(0x2c, 13);
  patch16(gif, descriptor + 5, width, true);
  patch16(gif, descriptor + 7, height, true);
  return gif;
}

/** A real WebP with an extended header (VP8X) whose canvas claims `width` x `height` (at most 16384 each). */
function webpClaiming(width: number, height: number): Buffer {
  const webp = Buffer.from(samples.webp);
  const vp8x = webp.indexOf('VP8X');
  assert.ok(vp8x > 0, 'an alpha WebP has a VP8X header');
  webp.writeUIntLE(width - 1, vp8x + 12, 3);
  webp.writeUIntLE(height - 1, vp8x + 15, 3);
  return webp;
}

type Outcome = { kind: 'thumbnail'; width: number; height: number } | { kind: 'rejected'; reason: string };

/** renderThumbnail, with anything other than a thumbnail or a PermanentImageError failing the test. */
async function outcome(input: Buffer): Promise<Outcome> {
  try {
    const thumbnail = await renderThumbnail(input, REQUEST, LIMITS);
    return { kind: 'thumbnail', width: thumbnail.width, height: thumbnail.height };
  } catch (error) {
    assert.ok(isPermanentImageError(error), `not a clear rejection: ${String(error)}`);
    return { kind: 'rejected', reason: (error as Error).message };
  }
}

function assertMemoryBounded(): void {
  const rss = Math.max(peakRss, process.memoryUsage().rss);
  assert.ok(rss < RSS_BOUND, `rss reached ${Math.round(rss / 1024 / 1024)} MB`);
}

describe('decompression bombs and huge dimensions', () => {
  const bombs: [string, () => Buffer | Promise<Buffer>, RegExp][] = [
    ['a JPEG claiming 65000x65000', () => jpegClaiming(65_000, 65_000), /^image too large: 65000x65000 is 4225000000 pixels, above the limit of 100000000$/],
    ['a PNG of 30000x30000 (all zeros, ~100 KB)', () => pngBomb(30_000), /^image too large: 30000x30000 is 900000000 pixels/],
    ['a GIF claiming 65535x65535', () => gifClaiming(65_535, 65_535), /^image too large: 65535x65535/],
    ['a WebP canvas of 16384x16384', () => webpClaiming(16_384, 16_384), /^(image too large: 16384x16384|not an image|corrupt image)/],
  ];
  for (const [label, make, reason] of bombs) {
    // Decoding any of these would take gigabytes, so the memory bound is what proves the header refused it.
    it(`rejects ${label} from its header, without decoding it`, async () => {
      const result = await outcome(await make());
      countCase(`bomb ${label} ${result.kind}`);
      assert.equal(result.kind, 'rejected');
      assert.match((result as { reason: string }).reason, reason);
      assertMemoryBounded();
    });
  }
});

describe('formats the function does not write', () => {
  const svgs: [string, string][] = [
    ['a plain SVG', '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'],
    [
      'an SVG entity bomb',
      `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&e;&e;&e;&e;&e;</text></svg>`,
    ],
    ['an SVG with an external entity', '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&x;</text></svg>'],
    ['an SVG referencing a remote image', '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image xlink:href="http://127.0.0.1:1/x.png" width="10" height="10"/></svg>'],
    ['an SVG claiming 100000x100000', '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="10" height="10"/></svg>'],
  ];
  for (const [label, svg] of svgs) {
    it(`rejects ${label}`, async () => {
      const result = await outcome(Buffer.from(svg));
      countCase(`svg ${label}`);
      assert.equal(result.kind, 'rejected');
      assert.match((result as { reason: string }).reason, /^(unsupported image format: svg|not an image: )/);
      assertMemoryBounded();
    });
  }

  it('rejects TIFF, HEIC and PDF by name, and reads AVIF', async () => {
    const tiff = await solid(16, 16, 'red').tiff().toBuffer();
    assert.deepEqual(await outcome(tiff), { kind: 'rejected', reason: 'unsupported image format: tiff' });
    // AVIF is an input now; an ISO-BMFF file branded HEIC (no HEVC decoder here) is refused by name.
    const avif = await solid(16, 16, 'red').avif().toBuffer();
    assert.deepEqual(await outcome(avif), { kind: 'thumbnail', width: 64, height: 64 });
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
    const heicOutcome = await outcome(heic);
    assert.equal(heicOutcome.kind, 'rejected');
    assert.match((heicOutcome as { reason: string }).reason, /^unsupported image format: heic \(.*HEVC decoder/);
    const pdf = await outcome(Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF'));
    assert.equal(pdf.kind, 'rejected');
    assert.match((pdf as { reason: string }).reason, /^(not an image|unsupported image format: pdf)/);
    countCase('tiff/heic/avif/pdf');
  });
});

describe('animated, empty, truncated and garbage input', () => {
  it('uses the first frame of animated GIF and WebP, even with many frames', async () => {
    // 200 frames that differ (the GIF encoder merges identical ones).
    const pixels = Buffer.alloc(4 * 4 * 3 * 200);
    for (let frame = 0; frame < 200; frame++) pixels.fill(frame % 2 ? 0x20 : 0xe0, frame * 48, frame * 48 + 48);
    const manyFrames = await sharp(pixels, { raw: { width: 4, height: 4 * 200, channels: 3, pageHeight: 4 } as never }).gif({ loop: 0 }).toBuffer();
    for (const input of [samples.animatedWebp, await animated([COLOURS.blue, COLOURS.red], 'gif'), manyFrames]) {
      const info = await inspectImage(input, LIMITS);
      assert.ok(info.pages > 1);
      assert.deepEqual(await outcome(input), { kind: 'thumbnail', width: 64, height: 64 });
    }
    countCase('animated');
  });

  it('rejects a zero-byte file', async () => {
    assert.deepEqual(await outcome(Buffer.alloc(0)), { kind: 'rejected', reason: 'empty file' });
  });

  const format = fc.constantFrom('jpeg', 'png', 'webp', 'gif', 'animatedWebp') as fc.Arbitrary<keyof typeof samples>;

  it('truncated at any point: a thumbnail or one clear rejection (fuzzed)', async () => {
    await fc.assert(
      fc.asyncProperty(format, fc.double({ min: 0, max: 1, noNaN: true }), async (name, fraction) => {
        const input = samples[name].subarray(0, Math.floor(samples[name].length * fraction));
        const result = await outcome(input);
        countCase(`truncated ${name} ${result.kind}`);
      }),
      { numRuns: fuzzRuns(60), ...fuzzSeed() },
    );
    assertMemoryBounded();
  });

  it('bit flips anywhere: a thumbnail or one clear rejection (fuzzed)', async () => {
    await fc.assert(
      fc.asyncProperty(format, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }), async (name, flips) => {
        const input = Buffer.from(samples[name]);
        for (const [at, mask] of flips) input[at % input.length]! ^= mask;
        const result = await outcome(input);
        countCase(`flipped ${name} ${result.kind}`);
      }),
      { numRuns: fuzzRuns(80), ...fuzzSeed() },
    );
    assertMemoryBounded();
  });

  it('garbage behind each format\'s magic bytes: one clear rejection (fuzzed)', async () => {
    const magics = [Buffer.from([0xff, 0xd8, 0xff]), Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1'), Buffer.from('GIF89a'), Buffer.from('II*\x00'), Buffer.from('<svg'), Buffer.alloc(0)];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 2000 }), async (magic, rest) => {
        const result = await outcome(Buffer.concat([magic, Buffer.from(rest)]));
        countCase(`garbage ${result.kind}`);
        assert.equal(result.kind, 'rejected');
      }),
      { numRuns: fuzzRuns(80), ...fuzzSeed() },
    );
    assertMemoryBounded();
  });
});

describe('the handler under hostile images', () => {
  it('rejects each with one ERROR line, writes nothing, and still makes the next thumbnail', async () => {
    const storage = new MemoryStorage();
    const logger = new RecordingLogger();
    const handler = createHandler({ storage, config: CONFIG, logger });
    const hostile: [string, Buffer][] = [
      ['jpeg-bomb-100x100.jpg', jpegClaiming(65_000, 65_000)],
      ['png-bomb-100x100.png', pngBomb(30_000)],
      ['gif-bomb-100x100.png', gifClaiming(65_535, 65_535)],
      ['vector-100x100.jpg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')],
      ['tiff-100x100.png', await solid(8, 8, 'red').tiff().toBuffer()],
      ['empty-100x100.webp', Buffer.alloc(0)],
      ['half-100x100.png', samples.png.subarray(0, samples.png.length >> 1)],
      ['noise-100x100.jpg', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251))],
    ];
    for (const [key, body] of hostile) storage.seed('photos', key, body);
    storage.seed('photos', 'good-32x32.png', samples.gif);

    const summary = await handler(s3Event(...hostile.map(([key]) => putRecord('photos', key)), putRecord('photos', 'good-32x32.png')));

    assert.deepEqual(summary.results.slice(0, hostile.length).map((result) => `${result.key} ${result.status}`), hostile.map(([key]) => `${key} rejected`), JSON.stringify(summary.results));
    for (const result of summary.results.slice(0, hostile.length)) assert.match(result.reason ?? '', /^(image too large|unsupported image format|empty file|corrupt image|not an image)/);
    assert.equal(summary.results.at(-1)?.status, 'created');
    assert.equal(logger.at('ERROR').length, hostile.length, 'one ERROR line per rejected image');
    for (const [key] of hostile) assert.equal(storage.read('thumbs', key), undefined, `nothing written for ${key}`);
    assert.equal((await sharp(storage.read('thumbs', 'good-32x32.png')!.body).metadata()).width, 32);
    countCase('handler batch');
    assertMemoryBounded();
  });
});
