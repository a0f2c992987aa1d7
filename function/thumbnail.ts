// The image pipeline: one header-only inspection, then one sharp pipeline from source bytes to encoded thumbnail.
// Pure with respect to the outside world: bytes in, bytes out, no S3, no logging, no environment.
// It does not choose the size or the fit; the caller passes them (from the key and config).

import { sharp, type FormatEnum, type Metadata } from './sharp.js';

import type { FitMode } from './config.js';
import { PermanentImageError } from './errors.js';

/** Formats we write, with their Content-Type. */
export const CONTENT_TYPES = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
} as const;

export type OutputFormat = keyof typeof CONTENT_TYPES;

/**
 * Decoded source format -> the format we write.
 *
 * The output follows the bytes, not the key's extension: a `.jpg` key holding a PNG gets a PNG thumbnail with
 * `Content-Type: image/png` (browsers go by the header). Mislabelled uploads are common and harmless, so rejecting
 * them would only lose thumbnails. GIF has no writer here: its first frame becomes a PNG, which keeps transparency
 * losslessly, where a GIF encode would be slow and palette-quantised. Everything else (TIFF, HEIF/AVIF, SVG, PDF…)
 * is refused; vector formats in particular are an attack surface we have no reason to expose.
 */
export const OUTPUT_FOR_SOURCE = {
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'png',
} as const satisfies Partial<Record<keyof FormatEnum, OutputFormat>>;

export type SourceFormat = keyof typeof OUTPUT_FOR_SOURCE;

/** Encoder settings. These equal sharp's defaults; they are spelled out so a sharp upgrade cannot change output silently. */
export const ENCODER_OPTIONS = {
  jpeg: { quality: 80 },
  png: { compressionLevel: 6 },
  webp: { quality: 80, effort: 4 },
} as const satisfies Record<OutputFormat, object>;

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

/**
 * Reads an image's header and checks it is something we are willing to decode.
 *
 * sharp's metadata() on a buffer parses headers only, so a 30000x30000 "PNG bomb" of ~100 KB is refused here
 * in well under a millisecond of work, before a single pixel is inflated.
 *
 * @param input - The source object's bytes.
 * @param limits - `maxPixels`: the pixel-count ceiling.
 * @returns The header facts.
 * @throws PermanentImageError for empty, non-image, unsupported or oversized input.
 */
export async function inspectImage(input: Buffer, limits: ImageLimits): Promise<SourceInfo> {
  if (input.length === 0) throw new PermanentImageError('empty file');
  let metadata: Metadata;
  try {
    // No pixel limit on this header-only read: sharp's own limit would fire first with a vaguer message
    // ("exceeds pixel limit"), and we want the dimensions in the reason. The limit is enforced just below.
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new PermanentImageError(`not an image: ${messageOf(error)}`, { cause: error });
  }
  const format = metadata.format as string;
  if (!Object.hasOwn(OUTPUT_FOR_SOURCE, format)) {
    throw new PermanentImageError(`unsupported image format: ${format}`);
  }
  // For animated input `height` is already the height of one frame, which is all we decode.
  const { width, height } = metadata;
  if (width * height > limits.maxPixels) {
    throw new PermanentImageError(
      `image too large: ${width}x${height} is ${width * height} pixels, above the limit of ${limits.maxPixels}`,
    );
  }
  return { format: format as SourceFormat, width, height, pages: metadata.pages ?? 1 };
}

/**
 * Makes a thumbnail in a single sharp pipeline.
 *
 * Order matters and is the one sharp applies internally: decode (with JPEG/WebP shrink-on-load, because the
 * buffer goes straight in and the resize is in the same pipeline), EXIF auto-orientation, resize, conversion
 * to sRGB, encode. Metadata (EXIF incl. orientation, ICC, XMP) is stripped because we never call withMetadata();
 * the orientation is baked into the pixels instead. Animated GIF/WebP: only the first frame is decoded.
 *
 * @param input - The source object's bytes.
 * @param request - Target size and fit mode.
 * @param limits - Decoding limits for untrusted input.
 * @returns The encoded thumbnail and its facts.
 * @throws PermanentImageError for any input sharp cannot process (corrupt, truncated, too large…).
 */
export async function renderThumbnail(input: Buffer, request: ThumbnailRequest, limits: ImageLimits): Promise<Thumbnail> {
  const source = await inspectImage(input, limits);
  const format = OUTPUT_FOR_SOURCE[source.format];
  try {
    const { data, info } = await sharp(input, {
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
