// Test images generated on the fly with sharp, so the suite needs no binary fixtures.

import { deflateSync } from 'node:zlib';

import sharp, { type Color, type Sharp } from 'sharp';

export type Rgb = readonly [number, number, number];

export const COLOURS = {
  red: [255, 0, 0],
  green: [0, 255, 0],
  blue: [0, 0, 255],
} as const satisfies Record<string, Rgb>;

/**
 * Raw RGB pixels split into equal solid bands.
 *
 * @param width - Image width.
 * @param height - Image height.
 * @param colours - Band colours, first band at the left (or top).
 * @param direction - `vertical` bands side by side, `horizontal` bands stacked.
 */
export function bands(width: number, height: number, colours: readonly Rgb[], direction: 'vertical' | 'horizontal'): Sharp {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const along = direction === 'vertical' ? x / width : y / height;
      const colour = colours[Math.floor(along * colours.length)] ?? colours[colours.length - 1]!;
      pixels.set(colour, (y * width + x) * 3);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

/**
 * A solid image.
 *
 * @param width - Image width.
 * @param height - Image height.
 * @param background - Colour, possibly with alpha.
 */
export function solid(width: number, height: number, background: Color, channels: 3 | 4 = 3): Sharp {
  return sharp({ create: { width, height, channels, background } });
}

/**
 * Animated image with one solid frame per colour.
 *
 * @param colours - Frame colours in order.
 * @param format - `webp` or `gif`.
 */
export async function animated(colours: readonly Rgb[], format: 'webp' | 'gif'): Promise<Buffer> {
  const width = 40;
  const height = 30;
  const pixels = Buffer.alloc(width * height * 3 * colours.length);
  colours.forEach((colour, frame) => {
    for (let i = 0; i < width * height; i++) pixels.set(colour, (frame * width * height + i) * 3);
  });
  const image = sharp(pixels, { raw: { width, height: height * colours.length, channels: 3, pageHeight: height } });
  return (format === 'webp' ? image.webp({ loop: 0 }) : image.gif({ loop: 0 })).toBuffer();
}

/**
 * A valid greyscale 1-bit PNG that claims `side` x `side` pixels. All-zero rows deflate ~1000:1, so a
 * 30000 x 30000 image is ~110 KB on disk but 900 megapixels once decoded: a classic decompression bomb.
 * Hand-built because having sharp encode 900 megapixels would take seconds.
 *
 * @param side - Width and height in pixels.
 */
export function pngBomb(side: number): Buffer {
  const rowBytes = 1 + Math.ceil(side / 8); // filter byte + 1 bit per pixel
  const idat = deflateSync(Buffer.alloc(rowBytes * side), { level: 9 });
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter method variants, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Reads one pixel of an encoded image as RGB(A).
 *
 * @param image - Encoded image bytes.
 * @param x - Column.
 * @param y - Row.
 */
export async function pixelAt(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [...data.subarray(offset, offset + info.channels)];
}

/**
 * True when every channel of `actual` is within `tolerance` of `expected` (lossy codecs blur edges a little).
 *
 * @param actual - Measured channels.
 * @param expected - Expected RGB.
 * @param tolerance - Allowed difference per channel.
 */
export function near(actual: readonly number[], expected: Rgb, tolerance = 40): boolean {
  return expected.every((value, i) => Math.abs((actual[i] ?? -999) - value) <= tolerance);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A real JPEG whose frame header (SOF) claims `width` x `height`: a decompression bomb in a few hundred bytes.
 *
 * @param jpeg - Any baseline or progressive JPEG.
 * @param width - Claimed width (at most 65535).
 * @param height - Claimed height (at most 65535).
 */
export function jpegClaiming(jpeg: Buffer, width: number, height: number): Buffer {
  const patched = Buffer.from(jpeg);
  for (let i = 2; i < patched.length - 9; i++) {
    // SOF0 (baseline), SOF1, SOF2 (progressive): FF Cn, length, precision, height, width.
    if (patched[i] === 0xff && patched[i + 1]! >= 0xc0 && patched[i + 1]! <= 0xc2) {
      patched.writeUInt16BE(height, i + 5);
      patched.writeUInt16BE(width, i + 7);
      return patched;
    }
  }
  throw new Error('no SOF marker');
}

/**
 * A real GIF whose logical screen and first image descriptor claim `width` x `height`.
 *
 * @param gif - A GIF.
 * @param width - Claimed width (at most 65535).
 * @param height - Claimed height (at most 65535).
 */
export function gifClaiming(gif: Buffer, width: number, height: number): Buffer {
  const patched = Buffer.from(gif);
  patched.writeUInt16LE(width, 6);
  patched.writeUInt16LE(height, 8);
  const descriptor = patched.indexOf(0x2c, 13);
  patched.writeUInt16LE(width, descriptor + 5);
  patched.writeUInt16LE(height, descriptor + 7);
  return patched;
}

/**
 * A real WebP with an extended header (VP8X, e.g. one with alpha) whose canvas claims `width` x `height`.
 *
 * @param webp - A WebP with a VP8X chunk.
 * @param width - Claimed width (at most 16384).
 * @param height - Claimed height (at most 16384).
 */
export function webpClaiming(webp: Buffer, width: number, height: number): Buffer {
  const patched = Buffer.from(webp);
  const vp8x = patched.indexOf('VP8X');
  if (vp8x < 0) throw new Error('no VP8X chunk');
  patched.writeUIntLE(width - 1, vp8x + 12, 3);
  patched.writeUIntLE(height - 1, vp8x + 15, 3);
  return patched;
}

/**
 * A real AVIF whose image spatial extents (`ispe`) claim `width` x `height`.
 *
 * @param avif - An AVIF.
 * @param width - Claimed width.
 * @param height - Claimed height.
 */
export function avifClaiming(avif: Buffer, width: number, height: number): Buffer {
  const patched = Buffer.from(avif);
  const ispe = patched.indexOf('ispe');
  if (ispe < 0) throw new Error('no ispe box');
  // `ispe`, then a full box's version and flags (4 bytes), then width and height.
  patched.writeUInt32BE(width, ispe + 8);
  patched.writeUInt32BE(height, ispe + 12);
  return patched;
}

/**
 * The opening of a HEIC file as an iPhone writes it: an ISO-BMFF `ftyp` box with the `heic` brand, then a `meta`
 * box. sharp cannot write HEIC (no HEVC encoder), and the function must refuse it from these bytes alone.
 *
 * @param majorBrand - `heic`, or `mif1` for a HEIF container whose compatible brands say `heic`.
 */
export function heicHeader(majorBrand: 'heic' | 'mif1' = 'heic'): Buffer {
  const ftypBody = Buffer.concat([Buffer.from(majorBrand, 'latin1'), Buffer.alloc(4), Buffer.from('mif1heicmiaf', 'latin1')]);
  const ftyp = Buffer.concat([u32(8 + ftypBody.length), Buffer.from('ftyp', 'latin1'), ftypBody]);
  const meta = Buffer.concat([u32(8 + 4 + 33), Buffer.from('meta', 'latin1'), Buffer.alloc(4), u32(33), Buffer.from('hdlr', 'latin1'), Buffer.alloc(25)]);
  return Buffer.concat([ftyp, meta]);
}

/** A minimal one-page PDF. */
export function pdfDocument(): Buffer {
  return Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
}

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}
