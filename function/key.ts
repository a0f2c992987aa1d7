// Pure helpers that turn an S3 event key into a thumbnail request: decode, parse `<stem>-<W>x<H>.<ext>` (or, for
// variants, `<stem>.<ext>`), bound the size. No I/O, no sharp, no environment: deterministic, so it can be
// unit-tested exhaustively. It does not decide the output format of the pixels; the decoded image does that.

import { PermanentImageError } from './errors.js';
import { EXTENSION_FORMATS, type KeyFormat } from './formats.js';

export { EXTENSION_FORMATS, type KeyFormat };

/** Default size bounds; the real maximum comes from config (THUMBNAIL_MAX_SIZE). */
export const SIZE_LIMITS = {
  /** Smallest accepted side: a 0-pixel image cannot be encoded. */
  minSide: 1,
  /** Default largest accepted side, per side. */
  defaultMaxSide: 4096,
} as const;

/** A key that names a thumbnail size, split into its parts. */
export interface ThumbnailKey {
  /** The full decoded key, e.g. `albums/2026/canyon-400x300.JPG`. */
  readonly key: string;
  /** Everything up to and including the last `/`, or `''`. */
  readonly prefix: string;
  /** The file name before `-<W>x<H>`, e.g. `canyon`. */
  readonly stem: string;
  /** Requested width in pixels as written in the key (not yet bounded). */
  readonly width: number;
  /** Requested height in pixels as written in the key (not yet bounded). */
  readonly height: number;
  /** The extension exactly as written, without the dot, e.g. `JPG`. */
  readonly extension: string;
  /** The format the extension names. */
  readonly format: KeyFormat;
}

/** A key that names an image but no size (`albums/canyon.jpg`): the source of the configured variants. */
export interface SourceKey {
  /** The full decoded key. */
  readonly key: string;
  /** Everything up to and including the last `/`, or `''`. */
  readonly prefix: string;
  /** The file name before its last `.`, e.g. `canyon` (never empty). */
  readonly stem: string;
  /** The extension exactly as written, without the dot, e.g. `JPG`. */
  readonly extension: string;
  /** The format the extension names. */
  readonly format: KeyFormat;
}

/** Outcome of bounding a requested size: usable dimensions, or why not. */
export type SizeResolution =
  | { readonly ok: true; readonly width: number; readonly height: number }
  | { readonly ok: false; readonly reason: string };

// Anchored at the end so stems may contain dashes and digits (`my-2026-trip-400x300.jpg` -> stem `my-2026-trip`).
// The separator is a lower-case `x` only: `400X300` is not a size we document, so it is not one.
const SIZED_NAME = /^(?<stem>.+)-(?<width>\d+)x(?<height>\d+)\.(?<extension>[A-Za-z0-9]+)$/;

/**
 * Decodes an object key as S3 writes it into event notifications.
 *
 * S3 encodes keys form-style: a space becomes `+` and a literal `+` becomes `%2B`. So `+` must be turned
 * into a space BEFORE percent-decoding, otherwise `%2B` would decode to `+` and then wrongly become a space.
 *
 * @param raw - `Records[].s3.object.key` exactly as it appears in the event.
 * @returns The real object key, e.g. `my photo.jpg` for `my+photo.jpg`.
 * @throws PermanentImageError when the percent-encoding is malformed (e.g. a lone `%`): retrying cannot fix it.
 */
export function decodeEventKey(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch (error) {
    throw new PermanentImageError('malformed URL encoding in event key', { cause: error });
  }
}

/**
 * Parses `<prefix/><stem>-<W>x<H>.<ext>`.
 *
 * @param key - A decoded object key (see {@link decodeEventKey}).
 * @returns The parts, or `null` when the key names no size or has an extension we do not handle.
 *   Sizes are returned as written (0 and huge values included) so the caller can reject them with a reason.
 */
export function parseThumbnailKey(key: string): ThumbnailKey | null {
  const slash = key.lastIndexOf('/');
  const prefix = key.slice(0, slash + 1);
  const match = SIZED_NAME.exec(key.slice(slash + 1));
  if (!match?.groups) return null;
  const { stem, width, height, extension } = match.groups as Record<'stem' | 'width' | 'height' | 'extension', string>;
  const lower = extension.toLowerCase();
  if (!Object.hasOwn(EXTENSION_FORMATS, lower)) return null;
  return {
    key,
    prefix,
    stem,
    width: Number(width),
    height: Number(height),
    extension,
    format: EXTENSION_FORMATS[lower as keyof typeof EXTENSION_FORMATS],
  };
}

/**
 * Parses `<prefix/><stem>.<ext>`, the key of an upload that names no size.
 *
 * @param key - A decoded object key.
 * @returns The parts, or `null` when the extension is not one we read or the file name has no stem (`.jpg`).
 *   A key that does carry a size also parses; call {@link parseThumbnailKey} first, as the handler does.
 */
export function parseSourceKey(key: string): SourceKey | null {
  const slash = key.lastIndexOf('/');
  const name = key.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  if (dot < 1) return null;
  const extension = name.slice(dot + 1);
  const lower = extension.toLowerCase();
  if (!Object.hasOwn(EXTENSION_FORMATS, lower)) return null;
  return {
    key,
    prefix: key.slice(0, slash + 1),
    stem: name.slice(0, dot),
    extension,
    format: EXTENSION_FORMATS[lower as keyof typeof EXTENSION_FORMATS],
  };
}

/**
 * Checks a requested size against the allowed bounds.
 *
 * @param requested - The width and height parsed from the key.
 * @param limits - `maxSide`: the largest allowed width or height (THUMBNAIL_MAX_SIZE).
 * @returns `{ ok: true, width, height }`, or `{ ok: false, reason }` for 0 or oversized sides.
 */
export function resolveThumbnailSize(
  requested: Pick<ThumbnailKey, 'width' | 'height'>,
  limits: { readonly maxSide: number } = { maxSide: SIZE_LIMITS.defaultMaxSide },
): SizeResolution {
  const { width, height } = requested;
  if (width < SIZE_LIMITS.minSide || height < SIZE_LIMITS.minSide) {
    return { ok: false, reason: `size ${width}x${height} has a zero side` };
  }
  // Absurdly long digit strings parse to huge numbers or Infinity and land here, which is the honest reason.
  if (width > limits.maxSide || height > limits.maxSide) {
    return { ok: false, reason: `size ${width}x${height} exceeds the maximum of ${limits.maxSide} per side` };
  }
  // Only reachable from callers that bypass parseThumbnailKey (NaN, fractions).
  if (!Number.isInteger(width) || !Number.isInteger(height)) {
    return { ok: false, reason: `size ${width}x${height} is not a whole number of pixels` };
  }
  return { ok: true, width, height };
}
