// The image pipeline: a sniff of the magic bytes, one header-only inspection, then either one sharp pipeline from
// source bytes to one encoded thumbnail (a key with a size) or one decode shared by several encodes (variants).
// Pure with respect to the outside world: bytes in, bytes out, no S3, no logging, no environment.
// It does not choose sizes, fits or formats; the caller passes them (from the key, the config and the variants).

import { sharp, type FormatEnum, type Metadata, type Sharp, type SharpOptions } from './sharp.js';

import { PermanentImageError } from './errors.js';
import { OUTPUT_FORMATS, type FitMode, type OutputFormat, type SourceFormat } from './formats.js';
import { REFUSAL_REASONS, sniffImage } from './sniff.js';

export type { OutputFormat, SourceFormat };

/** Formats we write, with their Content-Type. */
export const CONTENT_TYPES = {
  jpeg: OUTPUT_FORMATS.jpeg.contentType,
  png: OUTPUT_FORMATS.png.contentType,
  webp: OUTPUT_FORMATS.webp.contentType,
  avif: OUTPUT_FORMATS.avif.contentType,
} as const satisfies Record<OutputFormat, string>;

/**
 * Decoded source format -> the format we write when none is asked for (`same`, and every key with a size).
 *
 * The output follows the bytes, not the key's extension: a `.jpg` key holding a PNG gets a PNG thumbnail with
 * `Content-Type: image/png` (browsers go by the header). Mislabelled uploads are common and harmless, so rejecting
 * them would only lose thumbnails. GIF has no writer here: its first frame becomes a PNG, which keeps transparency
 * losslessly, where a GIF encode would be slow and palette-quantised. Everything else (TIFF, HEIC, SVG, PDF…)
 * is refused before it is parsed (sniff.ts); vector formats in particular are an attack surface we do not expose.
 */
export const OUTPUT_FOR_SOURCE = {
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'png',
  avif: 'avif',
} as const satisfies Record<SourceFormat, OutputFormat> & Partial<Record<keyof FormatEnum, OutputFormat>>;

/**
 * Encoder settings. JPEG, PNG and WebP equal sharp's defaults, spelled out so a sharp upgrade cannot change output
 * silently; a variant's `quality` replaces `quality` for the lossy three.
 *
 * AVIF: sharp's default effort 4 is far too slow for a Lambda. Encoding canyon.jpg (3000x2000) on one libvips thread
 * of this 2-core machine, under node --max-old-space-size=512 (/tmp script; best of 2): 800x600 cover 156 ms at
 * effort 2 against 1,047 ms at effort 4; 1600x1600 inside 489 ms against 4,119 ms; the whole 3000x2000 1.4 s
 * against 14.9 s, peak RSS 285 MB. A 512 MB Lambda has about 0.29 of a vCPU (one full vCPU at 1,769 MB), so
 * effort 2 puts an 800x600 AVIF near 0.6 s and even a full-size one near 5 s, inside the 10 s timeout; files
 * are 10-20% larger than at effort 4.
 */
export const ENCODER_OPTIONS = {
  jpeg: { quality: 80 },
  png: { compressionLevel: 6 },
  webp: { quality: 80, effort: 4 },
  avif: { quality: 50, effort: 2 },
} as const satisfies Record<OutputFormat, object>;

/** Makes a sharp pipeline; tests pass one that counts what is decoded. */
export type ImageFactory = (input: Buffer, options: SharpOptions) => Sharp;

const realSharp: ImageFactory = (input, options) => sharp(input, options);

/** Bounds on the one shared decode of the variants path. */
export const DECODE_LIMITS = {
  /**
   * Largest decoded image kept in memory for the variants, in pixels: 128 MB at 4 bytes a pixel, a quarter of a
   * 512 MB Lambda. The decode is first shrunk to the largest size any variant needs, so only a variant that
   * enlarges a very large source (a panorama asked to cover a square) reaches it; it is then made from this.
   */
  maxDecodedPixels: 32_000_000,
} as const;

/** What to produce. */
export interface ThumbnailRequest {
  /** Target width in pixels (already bounded by the caller). */
  readonly width: number;
  /** Target height in pixels (already bounded by the caller). */
  readonly height: number;
  /** `cover`: exactly width x height, centre-cropped. `inside`: at most width x height, whole picture. */
  readonly fit: FitMode;
}

/** Safety limits for untrusted input. */
export interface ImageLimits {
  /** Largest source image, in pixels (width x height of one frame), accepted for decoding. */
  readonly maxPixels: number;
}

/** Header facts about a source image, read without decoding pixels. */
export interface SourceInfo {
  readonly format: SourceFormat;
  /** Stored width (before EXIF orientation). */
  readonly width: number;
  /** Stored height of one frame (before EXIF orientation). */
  readonly height: number;
  /** Frames in an animated image; only the first is used. */
  readonly pages: number;
}

/** An encoded thumbnail. */
export interface Thumbnail {
  readonly data: Buffer;
  readonly format: OutputFormat;
  readonly contentType: (typeof CONTENT_TYPES)[OutputFormat];
  readonly width: number;
  readonly height: number;
  readonly source: SourceInfo;
}

/** A request for one encoded image from a shared decode (a variant). */
export interface RenderRequest extends ThumbnailRequest {
  /** `same`: {@link OUTPUT_FOR_SOURCE}. */
  readonly format: OutputFormat | 'same';
  /** Replaces the encoder's default quality for JPEG, WebP and AVIF; PNG ignores it. */
  readonly quality?: number;
}

/** A source decoded once, from which any number of thumbnails are encoded. */
export interface DecodedImage {
  readonly source: SourceInfo;
  /**
   * Encodes one thumbnail from the decoded pixels (no second decode).
   *
   * @param request - Size, fit, format and quality.
   * @throws PermanentImageError when this thumbnail cannot be encoded (e.g. a size the encoder refuses).
   */
  render(request: RenderRequest): Promise<Thumbnail>;
}

/** Header facts plus the upright size, which only the decode planning needs. */
interface Header {
  readonly info: SourceInfo;
  readonly uprightWidth: number;
  readonly uprightHeight: number;
}

/**
 * Reads an image's header and checks it is something we are willing to decode.
 *
 * The magic bytes are checked first (sniff.ts), so sharp never parses an SVG, PDF, HEIC or TIFF at all. sharp's
 * metadata() on a buffer then parses headers only, so a 30000x30000 "PNG bomb" of ~100 KB is refused here in well
 * under a millisecond of work, before a single pixel is inflated. The pixel limit counts every frame of an animated
 * image (pages x height x width), so the bound holds whatever a decoder does with the frames it walks.
 *
 * @param input - The source object's bytes.
 * @param limits - `maxPixels`: the pixel-count ceiling.
 * @returns The header facts.
 * @throws PermanentImageError for empty, non-image, unsupported or oversized input.
 */
export async function inspectImage(input: Buffer, limits: ImageLimits): Promise<SourceInfo> {
  return (await readHeader(input, limits, realSharp)).info;
}

async function readHeader(input: Buffer, limits: ImageLimits, imaging: ImageFactory): Promise<Header> {
  if (input.length === 0) throw new PermanentImageError('empty file');
  const sniffed = sniffImage(input);
  if (!sniffed.accepted) throw new PermanentImageError(sniffed.reason);
  let metadata: Metadata;
  try {
    // No pixel limit on this header-only read: sharp's own limit would fire first with a vaguer message
    // ("exceeds pixel limit"), and we want the dimensions in the reason. The limit is enforced just below.
    metadata = await imaging(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new PermanentImageError(`not an image: ${messageOf(error)}`, { cause: error });
  }
  const format = sourceFormatOf(metadata);
  if (format === undefined) {
    // An ISO-BMFF file branded AVIF that holds HEVC is a HEIC by content.
    if (metadata.format === 'heif') throw new PermanentImageError(REFUSAL_REASONS.heic);
    throw new PermanentImageError(`unsupported image format: ${metadata.format as string}`);
  }
  // Without a `pages` option, `height` is the height of one frame and `pages` counts the frames.
  const { width, height } = metadata;
  const pages = metadata.pages ?? 1;
  const pixels = width * height * pages;
  if (pixels > limits.maxPixels) {
    const frames = pages > 1 ? ` x ${pages} frames` : '';
    throw new PermanentImageError(
      `image too large: ${width}x${height}${frames} is ${pixels} pixels, above the limit of ${limits.maxPixels}`,
    );
  }
  const upright = metadata.autoOrient ?? { width, height };
  return { info: { format, width, height, pages }, uprightWidth: upright.width, uprightHeight: upright.height };
}

/**
 * Makes a thumbnail in a single sharp pipeline (a key with a size).
 *
 * Order matters and is the one sharp applies internally: decode (with JPEG/WebP shrink-on-load, because the
 * buffer goes straight in and the resize is in the same pipeline), EXIF auto-orientation, resize, conversion
 * to sRGB, encode. Metadata (EXIF incl. orientation, ICC, XMP) is stripped because we never call withMetadata();
 * the orientation is baked into the pixels instead. Animated GIF/WebP: only the first frame is decoded.
 *
 * @param input - The source object's bytes.
 * @param request - Target size and fit mode.
 * @param limits - Decoding limits for untrusted input.
 * @param imaging - Makes the sharp pipelines (tests count them).
 * @returns The encoded thumbnail and its facts.
 * @throws PermanentImageError for any input sharp cannot process (corrupt, truncated, too large…).
 */
export async function renderThumbnail(
  input: Buffer,
  request: ThumbnailRequest,
  limits: ImageLimits,
  imaging: ImageFactory = realSharp,
): Promise<Thumbnail> {
  const { info: source } = await readHeader(input, limits, imaging);
  const format = OUTPUT_FOR_SOURCE[source.format];
  try {
    const { data, info } = await imaging(input, {
      // Belt and braces with inspectImage: libvips enforces the same ceiling itself before decoding.
      limitInputPixels: limits.maxPixels,
      // Abort on truncated or undecodable data, but tolerate mere warnings that many phone JPEGs trigger.
      failOn: 'error',
      autoOrient: true,
    })
      .resize(request.width, request.height, {
        fit: request.fit,
        position: 'centre',
        // `cover` promises exactly W x H, so small sources are enlarged; `inside` only promises a bound.
        withoutEnlargement: request.fit === 'inside',
      })
      .toColourspace('srgb')
      .toFormat(format, ENCODER_OPTIONS[format])
      .toBuffer({ resolveWithObject: true });
    return { data, format, contentType: CONTENT_TYPES[format], width: info.width, height: info.height, source };
  } catch (error) {
    throw new PermanentImageError(`corrupt image: ${messageOf(error)}`, { cause: error });
  }
}

/**
 * Decodes a source once for several thumbnails (the variants of one upload).
 *
 * One pipeline reads the bytes, applies the EXIF orientation, converts CMYK, 16-bit and greyscale to 8-bit sRGB
 * (alpha kept) and shrinks, on load where the codec can, to the largest size any of `requests` needs, into raw
 * pixels held in memory. Each {@link DecodedImage.render} then starts a pipeline from those pixels: resize, encode,
 * nothing decoded again. Every render reads the same buffer; sharp's clone() would structuredClone it per
 * pipeline, a copy of the whole decode for each variant. Animated GIF/WebP: the first frame, as for a key with a
 * size, so every variant of an upload is a still.
 *
 * @param input - The source object's bytes.
 * @param requests - Every size and fit that will be rendered, to plan the shared decode.
 * @param limits - Decoding limits for untrusted input.
 * @param imaging - Makes the sharp pipelines (tests count them).
 * @throws PermanentImageError for input that cannot be decoded (as {@link renderThumbnail}).
 */
export async function decodeImage(
  input: Buffer,
  requests: readonly ThumbnailRequest[],
  limits: ImageLimits,
  imaging: ImageFactory = realSharp,
): Promise<DecodedImage> {
  const { info: source, uprightWidth, uprightHeight } = await readHeader(input, limits, imaging);
  const decodeSize = plannedDecodeSize(uprightWidth, uprightHeight, requests);
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    let pipeline = imaging(input, { limitInputPixels: limits.maxPixels, failOn: 'error', autoOrient: true });
    if (decodeSize.width !== uprightWidth || decodeSize.height !== uprightHeight) {
      pipeline = pipeline.resize(decodeSize.width, decodeSize.height, { fit: 'fill' });
    }
    decoded = await pipeline.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new PermanentImageError(`corrupt image: ${messageOf(error)}`, { cause: error });
  }
  const { data, info: pixels } = decoded;
  const hasAlpha = pixels.channels === 2 || pixels.channels === 4;

  return {
    source,
    async render(request) {
      const format = outputFormatFor(source, request.format);
      // Sizes follow the source's upright size, not the decode's, so a variant is as large as a key's thumbnail.
      const size = request.fit === 'inside' ? insideSize(uprightWidth, uprightHeight, request) : request;
      try {
        let pipeline = imaging(data, {
          raw: { width: pixels.width, height: pixels.height, channels: pixels.channels as 1 | 2 | 3 | 4 },
          // Our own pixels, already bounded by the header check and DECODE_LIMITS.
          limitInputPixels: false,
        }).resize(size.width, size.height, request.fit === 'inside' ? { fit: 'fill' } : { fit: 'cover', position: 'centre' });
        // JPEG has no alpha: flatten on white, as a page shows a transparent image, not libvips' black.
        if (format === 'jpeg' && hasAlpha) pipeline = pipeline.flatten({ background: '#ffffff' });
        const { data: encoded, info } = await pipeline.toFormat(format, encoderOptions(format, request.quality)).toBuffer({ resolveWithObject: true });
        return { data: encoded, format, contentType: CONTENT_TYPES[format], width: info.width, height: info.height, source };
      } catch (error) {
        throw new PermanentImageError(`cannot encode ${format} at ${request.width}x${request.height}: ${messageOf(error)}`, { cause: error });
      }
    },
  };
}

/**
 * The format a thumbnail of `source` is written in.
 *
 * @param source - Header facts of the source.
 * @param requested - A format, or `same` for {@link OUTPUT_FOR_SOURCE}.
 */
export function outputFormatFor(source: SourceInfo, requested: OutputFormat | 'same'): OutputFormat {
  return requested === 'same' ? OUTPUT_FOR_SOURCE[source.format] : requested;
}

/**
 * The size an `inside` thumbnail of a `width` x `height` picture gets: the largest that fits, aspect kept, never
 * enlarged. The same arithmetic as sharp's resize (ResolveShrink, then rounding), so a variant has the size a key
 * with that size would give; only sharp's JPEG shrink-on-load can round a side differently, and only at extreme
 * aspect ratios (17x1000 inside 333x333: 5x333 there, the exact 6x333 here).
 *
 * @param width - Upright source width.
 * @param height - Upright source height.
 * @param box - The bounding box.
 */
export function insideSize(width: number, height: number, box: { readonly width: number; readonly height: number }): { width: number; height: number } {
  const shrink = Math.max(1, width / box.width, height / box.height);
  return {
    width: Math.max(1, Math.round(width / Math.min(shrink, width))),
    height: Math.max(1, Math.round(height / Math.min(shrink, height))),
  };
}

/**
 * The size to decode to: the source scaled to the largest scale any request needs (never up), and at most
 * {@link DECODE_LIMITS}.maxDecodedPixels. Rounded up, so the largest thumbnail is cropped or shrunk, never enlarged.
 */
function plannedDecodeSize(width: number, height: number, requests: readonly ThumbnailRequest[]): { width: number; height: number } {
  const needed = requests.map((request) => {
    const across = request.width / width;
    const down = request.height / height;
    return request.fit === 'cover' ? Math.max(across, down) : Math.min(across, down, 1);
  });
  const scale = Math.min(1, Math.max(0, ...needed));
  if (width * height * scale * scale > DECODE_LIMITS.maxDecodedPixels) {
    // Rounded down, so the budget holds exactly.
    const capped = Math.sqrt(DECODE_LIMITS.maxDecodedPixels / (width * height));
    return { width: Math.max(1, Math.floor(width * capped)), height: Math.max(1, Math.floor(height * capped)) };
  }
  // The epsilon keeps 400.00000000000006 (a float's way of writing 400) from becoming 401.
  const roundUp = (value: number): number => Math.max(1, Math.ceil(value - 1e-9));
  return { width: Math.min(width, roundUp(width * scale)), height: Math.min(height, roundUp(height * scale)) };
}

function encoderOptions(format: OutputFormat, quality: number | undefined): object {
  if (quality === undefined || format === 'png') return ENCODER_OPTIONS[format];
  return { ...ENCODER_OPTIONS[format], quality };
}

function sourceFormatOf(metadata: Metadata): SourceFormat | undefined {
  switch (metadata.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
      return metadata.format;
    case 'heif':
      // libheif reads HEIF containers; only AV1-coded ones (AVIF) can be decoded by the prebuilt build.
      return metadata.compression === 'av1' ? 'avif' : undefined;
    default:
      return undefined;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
