// Turns the `upload` command line into an object key: parse `WIDTHxHEIGHT`, name the key `<stem>-<W>x<H><ext>`
// (or check a `--key`), or, with no size and variants configured, keep the file's own name and work out the keys
// the variants will be written under; and make sure the trigger will fire for it. Pure: no I/O, no AWS. Key parsing
// itself lives in function/key.ts and function/variants.ts, shared with the function, so both sides read a key the
// same way.
import { basename, extname } from 'node:path';
import { ACCEPTED_EXTENSIONS_TEXT, EXTENSION_FORMATS } from '../../../function/formats.js';
import { parseThumbnailKey, resolveThumbnailSize } from '../../../function/key.js';
import { variantKeysFor, type Variant, type VariantTarget } from '../../../function/variants.js';
import { ExitCode, UserError } from '../../output.js';

export interface ThumbnailSize {
  width: number;
  height: number;
}

const usage = (message: string): UserError => new UserError(message, ExitCode.usage);

/**
 * Parses a size argument such as `400x400`.
 *
 * @param text - The argument as typed (`x` or `X` between the numbers).
 * @param maxSize - The largest side allowed (settings.maxSize).
 * @throws UserError (exit 2) naming what is wrong.
 */
export function parseThumbnailSize(text: string, maxSize: number): ThumbnailSize {
  const match = /^\s*(\d+)[xX](\d+)\s*$/.exec(text);
  if (!match) throw usage(`size "${text}" must be WIDTHxHEIGHT in pixels, e.g. 400x400`);
  const size = { width: Number(match[1]), height: Number(match[2]) };
  const resolution = resolveThumbnailSize(size, { maxSide: maxSize });
  if (!resolution.ok) {
    if (size.width < 1 || size.height < 1) throw usage(`size "${text}": width and height must be at least 1 pixel`);
    throw usage(`size "${text}" is too large: at most ${maxSize} pixels per side`);
  }
  return { width: resolution.width, height: resolution.height };
}

/** The extension a format is uploaded with when the file name has none: the first extension naming it (`.jpg`). */
const FORMAT_EXTENSIONS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(EXTENSION_FORMATS)
    .reverse()
    .map(([extension, format]) => [format, `.${extension}`]),
);

/**
 * The key an upload is stored under when no `--key` is given: `canyon.jpg` at 400x400 is `canyon-400x400.jpg`.
 * A file without an extension takes its sniffed format's (`photo` holding a JPEG becomes `photo-400x400.jpg`).
 *
 * @param file - The file's path (only its base name is used).
 * @param size - The requested size.
 * @param format - The sniffed image format, used when the name has no extension.
 */
export function thumbnailKeyFor(file: string, size: ThumbnailSize, format?: string): string {
  const { stem, extension } = nameOf(file, format);
  return `${stem}-${size.width}x${size.height}${extension}`;
}

/** The file's base name as stem and extension, the extension taken from the sniffed format when the name has none. */
function nameOf(file: string, format?: string): { stem: string; extension: string } {
  const name = basename(file);
  let extension = extname(name);
  const stem = extension ? name.slice(0, -extension.length) : name;
  if (!extension && format) extension = FORMAT_EXTENSIONS[format] ?? '';
  return { stem, extension };
}

export interface UploadKeyRequest {
  file: string;
  /** The size argument as typed. */
  size: string;
  /** `--key`, if given. */
  key?: string;
  /** The sniffed format of the file, if known. */
  format?: string;
  maxSize: number;
  /** The suffixes the trigger fires for (case-sensitive, as S3 matches them). */
  suffixes: readonly string[];
}

/**
 * Decides the source key and the thumbnail size, or refuses with one line (exit 2).
 *
 * With `--key`, the key is used exactly and must hold a size; when that size disagrees with the size argument
 * the upload is refused rather than guessing which one the person meant.
 */
export function resolveUploadKey(request: UploadKeyRequest): { key: string; size: ThumbnailSize } {
  const size = parseThumbnailSize(request.size, request.maxSize);
  let key: string;
  if (request.key !== undefined) {
    key = request.key;
    if (!key || key.startsWith('/') || key.endsWith('/')) throw usage(`--key "${key}" is not an object key like photos/canyon-400x400.jpg`);
    // S3 stores such keys, but URL handling (RFC 3986 dot-segment removal, in presigned URLs' users and most HTTP
    // stacks) rewrites `a/./b` to `a/b` and `a/../b` to `b`: the thumbnail would be written, and never found.
    const dotSegment = key.split('/').find((segment) => segment === '.' || segment === '..');
    if (dotSegment !== undefined) {
      throw usage(`--key "${key}" has a "${dotSegment}" path segment: S3 allows it, but presigned URLs and most HTTP stacks normalise it away; choose a key without "." or ".." segments`);
    }
    const parsed = parseThumbnailKey(key);
    if (!parsed) throw usage(`--key "${key}" must end in -<W>x<H> and an image extension (${ACCEPTED_EXTENSIONS_TEXT}), like canyon-400x400.jpg`);
    if (parsed.width !== size.width || parsed.height !== size.height) {
      throw usage(`--key "${key}" names ${parsed.width}x${parsed.height} but the size argument is ${size.width}x${size.height}: make them agree`);
    }
  } else {
    key = thumbnailKeyFor(request.file, size, request.format);
    if (!parseThumbnailKey(key)) {
      throw usage(`cannot name the upload after "${basename(request.file)}": the function only handles ${ACCEPTED_EXTENSIONS_TEXT} keys; pass --key NAME-${size.width}x${size.height}.jpg`);
    }
  }
  checkTriggers(key, request.suffixes);
  return { key, size };
}

export interface VariantsUploadKeyRequest {
  file: string;
  /** `--key`, if given. */
  key?: string;
  /** The sniffed format of the file, if known. */
  format?: string;
  /** The suffixes the trigger fires for (case-sensitive, as S3 matches them). */
  suffixes: readonly string[];
  /** The configured variants (settings.variants). */
  variants: readonly Variant[];
}

/**
 * For an upload without a size argument: the source key (the file's own name, or `--key`) and where each configured
 * variant will be written, or a refusal in one line (exit 2). Without variants there is nothing to make, so the size
 * is required; a key that names a size would get that one thumbnail instead of the variants, so it is refused too.
 */
export function resolveVariantsUploadKey(request: VariantsUploadKeyRequest): { key: string; variants: VariantTarget[] } {
  if (request.variants.length === 0) {
    throw usage('upload needs a size, e.g. `thumbctl upload photo.jpg 400x400`: no variants are configured (a "variants" list in the config file makes several thumbnails from one upload)');
  }
  let key: string;
  if (request.key !== undefined) {
    key = request.key;
    if (!key || key.startsWith('/') || key.endsWith('/')) throw usage(`--key "${key}" is not an object key like photos/canyon.jpg`);
  } else {
    const { stem, extension } = nameOf(request.file, request.format);
    key = `${stem}${extension}`;
  }
  const sized = parseThumbnailKey(key);
  if (sized) {
    throw usage(
      `"${key}" names the size ${sized.width}x${sized.height}, so the function would make that one thumbnail instead of the variants: pass ${sized.width}x${sized.height} as the size, or --key NAME.${sized.extension} for the variants`,
    );
  }
  const variants = variantKeysFor(key, request.variants);
  if (!variants) {
    const what = request.key === undefined ? `cannot name the upload after "${basename(request.file)}"` : `--key "${key}" is not an image key`;
    throw usage(`${what}: the function only handles ${ACCEPTED_EXTENSIONS_TEXT} keys; pass --key NAME.jpg`);
  }
  checkTriggers(key, request.suffixes);
  return { key, variants };
}

function checkTriggers(key: string, suffixes: readonly string[]): void {
  if (!suffixes.some((suffix) => key.endsWith(suffix))) {
    throw usage(`"${key}" would never trigger the function, which fires only for keys ending in ${suffixes.join(' ')}; rename the file or pass --key`);
  }
}
