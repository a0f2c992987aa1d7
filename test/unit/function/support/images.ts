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
