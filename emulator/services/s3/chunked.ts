// The `aws-chunked` content encoding that SDKs use to stream uploads with a trailing checksum:
//   hex-size[;chunk-signature=sig]\r\n data \r\n ... 0[;chunk-signature=sig]\r\n trailer-lines \r\n
// A pure decoder (and the matching encoder, for tests and tools). It checks framing only: signatures are
// collected, not verified, and the caller compares lengths and checksums. Bad framing throws S3 errors only.
import { IncompleteBody, InvalidRequest } from './errors.js';

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

function framingError(detail: string): InvalidRequest {
  return new InvalidRequest(`Invalid aws-chunked framing: ${detail}`);
}

/**
 * Decodes an `aws-chunked` body.
 * @throws IncompleteBody - the body ends before the framing says it should
 * @throws InvalidRequest - the framing is malformed
 */
export function decodeAwsChunked(body: Buffer): AwsChunkedBody {
  const decoder = new AwsChunkedDecoder();
  const pieces = decoder.push(body);
  const { trailers, chunkSignatures } = decoder.end();
  return { payload: pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces), trailers, chunkSignatures };
}

/**
 * The same decoding, a piece at a time, for bodies that are never whole in memory: it holds at most one chunk
 * header (MAX_CHUNK_HEADER) or the trailer section (MAX_TRAILER_BYTES), never the data, which it hands back as
 * views of what it was given.
 */
export class AwsChunkedDecoder {
  private state: 'header' | 'data' | 'data-end' | 'trailers' = 'header';
  /** Bytes of a header line, a data CRLF or the trailer section, not yet complete. */
  private pending: Buffer = Buffer.alloc(0);
  /** Data bytes still due in the current chunk. */
  private remaining = 0;
  private readonly chunkSignatures: string[] = [];

  /**
   * Feeds the next piece of the body.
   * @returns the payload bytes it completes (views, not copies)
   * @throws InvalidRequest - the framing is malformed
   */
  push(piece: Buffer): Buffer[] {
    const payload: Buffer[] = [];
    let input = piece;
    while (input.length > 0) {
      switch (this.state) {
        case 'header': {
          const joined = this.pending.length > 0 ? Buffer.concat([this.pending, input]) : input;
          const lineEnd = joined.indexOf(CRLF);
          if (lineEnd === -1) {
            // A CRLF can still come, unless the line is already too long to be a header.
            if (joined.length >= MAX_CHUNK_HEADER + 2) throw framingError('chunk header too long');
            this.pending = Buffer.from(joined);
            return payload;
          }
          if (lineEnd > MAX_CHUNK_HEADER) throw framingError('chunk header too long');
          this.readHeader(joined.toString('latin1', 0, lineEnd));
          this.pending = Buffer.alloc(0);
          input = joined.subarray(lineEnd + 2);
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, input.length);
          payload.push(input.subarray(0, take));
          this.remaining -= take;
          input = input.subarray(take);
          if (this.remaining === 0) this.state = 'data-end';
          break;
        }
        case 'data-end': {
          const joined = this.pending.length > 0 ? Buffer.concat([this.pending, input]) : input;
          if (joined.length < 2) {
            this.pending = Buffer.from(joined);
            return payload;
          }
          if (joined[0] !== 0x0d || joined[1] !== 0x0a) throw framingError('chunk data is not followed by CRLF');
          this.pending = Buffer.alloc(0);
          this.state = 'header';
          input = joined.subarray(2);
          break;
        }
        case 'trailers': {
          if (this.pending.length + input.length > MAX_TRAILER_BYTES) throw framingError('trailer section too long');
          this.pending = Buffer.concat([this.pending, input]);
          return payload;
        }
      }
    }
    return payload;
  }

  /**
   * Ends the body.
   * @returns the trailers and chunk signatures
   * @throws IncompleteBody - the body stopped before its zero-size chunk (or inside a chunk)
   * @throws InvalidRequest - a malformed header or trailer section
   */
  end(): { trailers: Record<string, string>; chunkSignatures: string[] } {
    if (this.state === 'header') {
      if (this.pending.length > MAX_CHUNK_HEADER) throw framingError('chunk header too long');
      throw new IncompleteBody();
    }
    if (this.state !== 'trailers') throw new IncompleteBody();
    return { trailers: decodeTrailers(this.pending, 0), chunkSignatures: this.chunkSignatures };
  }

  private readHeader(line: string): void {
    const [sizeField = '', ...extensions] = line.split(';');
    // Thirteen hex digits already exceed any body we accept; more would lose precision.
    if (!/^[0-9a-fA-F]{1,13}$/.test(sizeField.trim())) throw framingError('chunk size is not hexadecimal');
    const size = parseInt(sizeField.trim(), 16);
    for (const extension of extensions) {
      const [name, value] = extension.split('=', 2);
      if (name?.trim() === 'chunk-signature' && value !== undefined) this.chunkSignatures.push(value.trim());
    }
    if (size === 0) this.state = 'trailers';
    else {
      this.state = 'data';
      this.remaining = size;
    }
  }
}

function decodeTrailers(body: Buffer, start: number): Record<string, string> {
  // No prototype: a trailer named `__proto__` or `constructor` is just a name.
  const trailers = Object.create(null) as Record<string, string>;
  if (body.length - start > MAX_TRAILER_BYTES) throw framingError('trailer section too long');
  let position = start;
  // Some clients stop right after the last chunk header; an absent final CRLF hides no bytes, so accept it.
  while (position < body.length) {
    const lineEnd = body.indexOf(CRLF, position);
    if (lineEnd === -1) throw new IncompleteBody();
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
