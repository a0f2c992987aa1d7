// Decides from an object's first bytes (its magic numbers) whether sharp may see it at all. Only the five formats we
// read pass; everything else is refused here, before any parser runs, with a reason that names the format when we
// know it (HEIC, SVG, PDF, TIFF). Pure: bytes in, verdict out. It does not validate or decode what it lets through.

import type { SourceFormat } from './formats.js';

/** What the first bytes say: a format we read, or why not. */
export type SniffResult =
  | { readonly accepted: true; readonly format: SourceFormat }
  | { readonly accepted: false; readonly reason: string };

/** Reasons for the formats we recognise and refuse; each is a rejection's stable `reason` field. */
export const REFUSAL_REASONS = {
  // sharp's own words from before the function sniffed for itself, kept so existing log filters still match.
  unknown: 'not an image: Input buffer contains unsupported image format',
  tiff: 'unsupported image format: tiff',
  // sharp.format.heif.input.fileSuffix is ['.avif']: libheif is built with an AV1 decoder only.
  heic: 'unsupported image format: heic (HEIC/HEIF needs an HEVC decoder, which the prebuilt libvips in sharp does not have; convert it to JPEG or AVIF)',
  // libvips would hand SVG to librsvg (entities, external references, unbounded canvases): never let it start.
  svg: 'unsupported image format: svg (vector images are refused before parsing; the SVG renderer is not exposed to uploads)',
  pdf: 'unsupported image format: pdf (documents are refused before parsing and never rendered)',
} as const;

/** How far into a text file we look for an `<svg` tag or a `%PDF-` header: both sit near the start. */
const TEXT_SCAN_BYTES = 4096;
/** PDF readers accept the `%PDF-` header anywhere in the first kilobyte. */
const PDF_HEADER_WINDOW = 1024;
/** The `ftyp` box is small; a longer claimed size is read only this far. */
const FTYP_SCAN_BYTES = 256;

const AVIF_BRANDS = new Set(['avif', 'avis']);
// HEIF brands without an AVIF one: HEVC-coded stills and sequences, or a bare HEIF/MIAF container.
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'mif2', 'msf1', 'miaf']);

/**
 * Sniffs an object's format from its first bytes.
 *
 * An allowlist on purpose: libvips can read more than we want to expose (SVG through librsvg, TIFF and its many
 * codecs), and its own detection is lenient (an SVG may start with whitespace, a BOM or an XML prologue), so
 * anything that is not plainly one of our five formats is refused without being parsed.
 *
 * @param bytes - The object's bytes (only the first few kilobytes are read).
 * @returns `{ accepted: true, format }` for JPEG, PNG, WebP, GIF and AVIF; otherwise `{ accepted: false, reason }`.
 */
export function sniffImage(bytes: Uint8Array): SniffResult {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return accept('jpeg');
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return accept('png');
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return accept('webp');
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return accept('gif');
  if (ascii(bytes, 4, 'ftyp')) {
    const brands = ftypBrands(bytes);
    if (brands.some((brand) => AVIF_BRANDS.has(brand))) return accept('avif');
    if (brands.some((brand) => HEIF_BRANDS.has(brand))) return refuse('heic');
    return refuse('unknown');
  }
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return refuse('tiff');
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, TEXT_SCAN_BYTES)).toString('latin1');
  if (head.slice(0, PDF_HEADER_WINDOW).includes('%PDF-')) return refuse('pdf');
  // Markup: after an optional byte-order mark and white space, a `<`. Only an `<svg` tag makes it SVG by name;
  // any other markup is simply not an image.
  const text = head.replace(/^(\u00ef\u00bb\u00bf|\u00fe\u00ff|\u00ff\u00fe)/, '').trimStart();
  if (text.startsWith('<') && /<svg[\s>/]/i.test(head)) return refuse('svg');
  return refuse('unknown');
}

/**
 * The major and compatible brands of an ISO-BMFF `ftyp` box (bytes 8-11, then from byte 16 to the box's end).
 *
 * @param bytes - Bytes starting with the `ftyp` box.
 */
function ftypBrands(bytes: Uint8Array): string[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxSize = view.length >= 4 ? view.readUInt32BE(0) : 0;
  const end = Math.min(view.length, boxSize, FTYP_SCAN_BYTES);
  const brands = [view.toString('latin1', 8, Math.min(12, view.length))];
  for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(view.toString('latin1', offset, offset + 4));
  return brands;
}

function accept(format: SourceFormat): SniffResult {
  return { accepted: true, format };
}

function refuse(kind: keyof typeof REFUSAL_REASONS): SniffResult {
  return { accepted: false, reason: REFUSAL_REASONS[kind] };
}

function ascii(bytes: Uint8Array, start: number, text: string): boolean {
  return bytes.length >= start + text.length && [...text].every((char, index) => bytes[start + index] === char.charCodeAt(0));
}

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return bytes.length >= signature.length && signature.every((byte, index) => bytes[index] === byte);
}
