// The `aws-chunked` content encoding that SDKs use to stream uploads with a trailing checksum:
//   hex-size[;chunk-signature=sig]\r\n data \r\n ... 0[;chunk-signature=sig]\r\n trailer-lines \r\n
// A pure decoder (and the matching encoder, for tests and tools). It checks framing only: signatures are
// collected, not verified, and the caller compares lengths and checksums. Bad framing throws S3 errors only.
import { IncompleteBodyError, InvalidRequestError } from './errors.js';

export interface AwsChunkedBody {
  /** The decoded bytes: what the object holds, with no framing. */
  payload: Buffer;
  /** Trailer headers, names lower-cased, e.g. `x-amz-checksum-crc32`. */
  trailers: Record<string, string>;
  /** `chunk-signature` values in order, when the stream was signed. */
  chunkSignatures: string[];
}

const CRLF = Buffer.from('\r\n');
/** Longest chunk header we read: a size, and a 64-hex signature with its name, with room to spare. */
const MAX_CHUNK_HEADER = 1024;
/** Trailers are a few checksum lines; anything much larger is not a trailer. */
const MAX_TRAILER_BYTES = 16 * 1024;

function framingError(detail: string): InvalidRequestError {
  return new InvalidRequestError(`Invalid aws-chunked framing: ${detail}`);
}

/**
 * Decodes an `aws-chunked` body.
 * @throws IncompleteBodyError - the body ends before the framing says it should
 * @throws InvalidRequestError - the framing is malformed
 */
export function decodeAwsChunked(body: Buffer): AwsChunkedBody {
  const pieces: Buffer[] = [];
  const chunkSignatures: string[] = [];
  let position = 0;
  for (;;) {
    const lineEnd = body.indexOf(CRLF, position);
    if (lineEnd === -1) {
      if (body.length - position > MAX_CHUNK_HEADER) throw framingError('chunk header too long');
      throw new IncompleteBodyError();
    }
    if (lineEnd - position > MAX_CHUNK_HEADER) throw framingError('chunk header too long');
    const [sizeField = '', ...extensions] = body.toString('latin1', position, lineEnd).split(';');
    // Thirteen hex digits already exceed any body we accept; more would lose precision.
    if (!/^[0-9a-fA-F]{1,13}$/.test(sizeField.trim())) throw framingError('chunk size is not hexadecimal');
    const size = parseInt(sizeField.trim(), 16);
    for (const extension of extensions) {
      const [name, value] = extension.split('=', 2);
      if (name?.trim() === 'chunk-signature' && value !== undefined) chunkSignatures.push(value.trim());
    }
    position = lineEnd + 2;
    if (size === 0) break;
    if (size > body.length - position) throw new IncompleteBodyError();
    pieces.push(body.subarray(position, position + size));
    position += size;
    if (body.length - position < 2) throw new IncompleteBodyError();
    if (body[position] !== 0x0d || body[position + 1] !== 0x0a) throw framingError('chunk data is not followed by CRLF');
    position += 2;
  }
  const trailers = decodeTrailers(body, position);
  return { payload: pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces), trailers, chunkSignatures };
}

function decodeTrailers(body: Buffer, start: number): Record<string, string> {
  // No prototype: a trailer named `__proto__` or `constructor` is just a name.
  const trailers = Object.create(null) as Record<string, string>;
  if (body.length - start > MAX_TRAILER_BYTES) throw framingError('trailer section too long');
  let position = start;
  // Some clients stop right after the last chunk header; an absent final CRLF hides no bytes, so accept it.
  while (position < body.length) {
    const lineEnd = body.indexOf(CRLF, position);
    if (lineEnd === -1) throw new IncompleteBodyError();
    if (lineEnd === position) {
      if (lineEnd + 2 !== body.length) throw framingError('bytes after the end of the trailer section');
      break;
    }
    const line = body.toString('latin1', position, lineEnd);
    const colon = line.indexOf(':');
    if (colon <= 0) throw framingError('trailer line is not "name:value"');
    trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    position = lineEnd + 2;
  }
  return trailers;
}

/**
 * Frames a payload as `aws-chunked`, as the SDKs do: fixed-size chunks, a zero chunk, then trailers.
 * @param chunkSize - bytes per chunk (the last one may be shorter)
 * @param signed - adds placeholder `chunk-signature` extensions, as SigV4 streaming does
 */
export function encodeAwsChunked(payload: Buffer, options: { chunkSize: number; trailers?: Record<string, string>; signed?: boolean }): Buffer {
  const chunkSize = Math.max(1, Math.floor(options.chunkSize));
  const signature = options.signed ? `;chunk-signature=${'0'.repeat(64)}` : '';
  const parts: Buffer[] = [];
  for (let offset = 0; offset < payload.length; offset += chunkSize) {
    const chunk = payload.subarray(offset, offset + chunkSize);
    parts.push(Buffer.from(`${chunk.length.toString(16)}${signature}\r\n`, 'latin1'), chunk, CRLF);
  }
  parts.push(Buffer.from(`0${signature}\r\n`, 'latin1'));
  for (const [name, value] of Object.entries(options.trailers ?? {})) parts.push(Buffer.from(`${name}:${value}\r\n`, 'latin1'));
  parts.push(CRLF);
  return Buffer.concat(parts);
}
