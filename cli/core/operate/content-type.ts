// Recognises an image file's real format from its first bytes (its "magic number"), so an upload carries the
// Content-Type of what it is rather than of what it is called. Pure; it does not decode or validate images.

export interface SniffedType {
  /** sharp's name for the format: jpeg, png, webp, gif, tiff, avif, heif. */
  format: string;
  contentType: string;
}

export const UNKNOWN_CONTENT_TYPE = 'application/octet-stream';

const ascii = (bytes: Uint8Array, start: number, text: string): boolean =>
  bytes.length >= start + text.length && [...text].every((char, index) => bytes[start + index] === char.charCodeAt(0));

const startsWith = (bytes: Uint8Array, signature: readonly number[]): boolean =>
  bytes.length >= signature.length && signature.every((byte, index) => bytes[index] === byte);

/**
 * @param bytes - At least the first 16 bytes of the file (more is fine).
 * @returns The format and its Content-Type, or undefined when the bytes match no image format we know.
 */
export function sniffImageType(bytes: Uint8Array): SniffedType | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { format: 'jpeg', contentType: 'image/jpeg' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { format: 'png', contentType: 'image/png' };
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return { format: 'webp', contentType: 'image/webp' };
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return { format: 'gif', contentType: 'image/gif' };
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return { format: 'tiff', contentType: 'image/tiff' };
  if (ascii(bytes, 4, 'ftyp')) {
    // ISO-BMFF: the brand after `ftyp` says which image format the box holds.
    if (ascii(bytes, 8, 'avif') || ascii(bytes, 8, 'avis')) return { format: 'avif', contentType: 'image/avif' };
    if (['heic', 'heix', 'mif1', 'msf1'].some((brand) => ascii(bytes, 8, brand))) return { format: 'heif', contentType: 'image/heif' };
  }
  return undefined;
}
