// Recognises an image file's real format from its first bytes (its "magic number"), so an upload carries the
// Content-Type of what it is rather than of what it is called, and `upload` can say before sending it that the
// function will refuse it. The sniffing is the function's own (function/sniff.ts), so both sides agree on what an
// image is. Pure; it does not decode or validate images.
import { OUTPUT_FORMATS, type SourceFormat } from '../../../function/formats.js';
import { REFUSAL_REASONS, sniffImage } from '../../../function/sniff.js';

export interface SniffedType {
  /** sharp's name for the format: jpeg, png, webp, gif, avif; or one the function refuses: tiff, heif, svg, pdf. */
  format: string;
  contentType: string;
  /** Set for a format the function recognises and refuses: its reason, word for word. */
  refusal?: string;
}

export const UNKNOWN_CONTENT_TYPE = 'application/octet-stream';

/** The formats the function reads, with the Content-Type an upload of each carries. */
const SOURCE_TYPES: Readonly<Record<SourceFormat, string>> = {
  jpeg: OUTPUT_FORMATS.jpeg.contentType,
  png: OUTPUT_FORMATS.png.contentType,
  webp: OUTPUT_FORMATS.webp.contentType,
  avif: OUTPUT_FORMATS.avif.contentType,
  gif: 'image/gif',
};

/** The formats the function names when it refuses them (everything else is just "not an image"). */
const REFUSED_TYPES: Readonly<Partial<Record<keyof typeof REFUSAL_REASONS, Omit<SniffedType, 'refusal'>>>> = {
  tiff: { format: 'tiff', contentType: 'image/tiff' },
  heic: { format: 'heif', contentType: 'image/heif' },
  svg: { format: 'svg', contentType: 'image/svg+xml' },
  pdf: { format: 'pdf', contentType: 'application/pdf' },
};

/**
 * @param bytes - The file's bytes (the first few kilobytes are read).
 * @returns The format and its Content-Type (with the function's reason when it refuses that format), or undefined
 *   when the bytes match no format we know.
 */
export function sniffImageType(bytes: Uint8Array): SniffedType | undefined {
  const sniffed = sniffImage(bytes);
  if (sniffed.accepted) return { format: sniffed.format, contentType: SOURCE_TYPES[sniffed.format] };
  const kind = (Object.keys(REFUSAL_REASONS) as (keyof typeof REFUSAL_REASONS)[]).find((name) => REFUSAL_REASONS[name] === sniffed.reason);
  const refused = kind === undefined ? undefined : REFUSED_TYPES[kind];
  return refused ? { ...refused, refusal: sniffed.reason } : undefined;
}
