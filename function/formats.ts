// The thumbnailer's vocabulary of images: the formats it reads and writes, the key extensions that name them,
// the trigger suffixes that follow, and how a picture is fitted into W x H. Pure constants, shared with the CLI
// (which registers the suffixes and validates the config), so both sides speak of the same formats.
// It does not look at bytes (sniff.ts) or encode anything (thumbnail.ts).

/** How the picture is fitted into W x H. */
export const FIT_MODES = {
  /** Exactly W x H: scale to cover, crop the centre (PIL ImageOps.fit). */
  cover: 'cover',
  /** At most W x H: the whole picture, aspect ratio kept, never enlarged. */
  inside: 'inside',
} as const;

export type FitMode = keyof typeof FIT_MODES;

/** Formats we write, with their Content-Type and the extension a key gets when the format is asked for by name. */
export const OUTPUT_FORMATS = {
  jpeg: { contentType: 'image/jpeg', extension: 'jpg' },
  png: { contentType: 'image/png', extension: 'png' },
  webp: { contentType: 'image/webp', extension: 'webp' },
  avif: { contentType: 'image/avif', extension: 'avif' },
} as const;

export type OutputFormat = keyof typeof OUTPUT_FORMATS;

/**
 * Formats we read. HEIC, SVG, PDF and TIFF are not among them: see sniff.ts for why each is refused.
 * AVIF is read through libheif's AV1 decoder; GIF and animated WebP give their first frame.
 */
export const SOURCE_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'avif'] as const;

export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** Key extensions we accept (matched case-insensitively) and the image format each one names. */
export const EXTENSION_FORMATS = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
  gif: 'gif',
} as const satisfies Record<string, SourceFormat>;

/** A format a key can name. */
export type KeyFormat = (typeof EXTENSION_FORMATS)[keyof typeof EXTENSION_FORMATS];

/**
 * The object-key suffixes that should trigger the function by default: one per accepted extension, lower case.
 * S3 notification filters compare suffixes case-sensitively, so whoever registers the trigger must add each
 * one's upper-case form too (`.JPG` from a camera); the CLI's settings do that.
 */
export const DEFAULT_TRIGGER_SUFFIXES: readonly string[] = Object.keys(EXTENSION_FORMATS).map((extension) => `.${extension}`);

/** `.jpg/.jpeg/.png/...`: the accepted extensions as people read them in a reason. */
export const ACCEPTED_EXTENSIONS_TEXT = DEFAULT_TRIGGER_SUFFIXES.join('/');
