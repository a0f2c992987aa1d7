// The integrity checks S3 accepts on uploads: CRC32, CRC32C, CRC64NVME, SHA-1, SHA-256 (the
// `x-amz-checksum-*` headers and trailers) and MD5 (Content-MD5 and the ETag). Pure functions, no
// dependencies; CRC32 uses zlib's native one when this Node has it. Deciding what a request sent is the router's job.
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/**
 * How a multipart object's checksum is made: COMPOSITE is the checksum of the part checksums (`-N`),
 * FULL_OBJECT the checksum of the whole body, as a single PUT has.
 */
export const CHECKSUM_TYPES = ['COMPOSITE', 'FULL_OBJECT'] as const;
export type ChecksumType = (typeof CHECKSUM_TYPES)[number];

/** Reads an `x-amz-checksum-type` value, or undefined when it is neither type. */
export function parseChecksumType(value: string): ChecksumType | undefined {
  const name = value.trim().toUpperCase();
  return (CHECKSUM_TYPES as readonly string[]).includes(name) ? (name as ChecksumType) : undefined;
}

/**
 * Whether S3 lets a multipart upload combine this algorithm and type: FULL_OBJECT only for the CRCs
 * (they can be combined across parts), COMPOSITE for all but CRC64NVME.
 */
export function allowsChecksumType(algorithm: ChecksumAlgorithm, type: ChecksumType): boolean {
  return type === 'FULL_OBJECT' ? algorithm.startsWith('CRC') : algorithm !== 'CRC64NVME';
}

/** The type a multipart upload gets when it names an algorithm but no type: COMPOSITE, or FULL_OBJECT where that is all S3 allows. */
export function defaultChecksumType(algorithm: ChecksumAlgorithm): ChecksumType {
  return allowsChecksumType(algorithm, 'COMPOSITE') ? 'COMPOSITE' : 'FULL_OBJECT';
}

/** Bytes in each algorithm's digest: what a well-formed base64 header value must decode to. */
const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };

/** `x-amz-checksum-crc32` and so on: the header (or trailer) carrying the algorithm's value. */
export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** Reads `crc32` / `CRC32` / `x-amz-checksum-crc32` into the algorithm, or undefined when it is none of ours. */
export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm | undefined {
  const name = value.trim().toUpperCase().replace(/^X-AMZ-CHECKSUM-/, '');
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name) ? (name as ChecksumAlgorithm) : undefined;
}

function reflectedCrc32Table(polynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? polynomial ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const CRC32_TABLE = reflectedCrc32Table(0xedb88320);
const CRC32C_TABLE = reflectedCrc32Table(0x82f63b78);

function tableCrc32(table: Uint32Array, data: Uint8Array, previous: number): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

// zlib.crc32 arrived in Node 20.15; package.json allows 20.9, so keep the table as the fallback.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 (ISO-HDLC, zlib's). `previous` continues a running value. */
export function crc32(data: Uint8Array, previous = 0): number {
  return nativeCrc32 ? nativeCrc32(data, previous) >>> 0 : tableCrc32(CRC32_TABLE, data, previous);
}

/** CRC-32C (Castagnoli), the one iSCSI and S3 use. `previous` continues a running value. */
export function crc32c(data: Uint8Array, previous = 0): number {
  return tableCrc32(CRC32C_TABLE, data, previous);
}

// CRC-64/NVME, reflected polynomial 0x9A6C9329AC4BC9B5, kept as two 32-bit halves so no BigInt
// arithmetic runs per byte.
const CRC64_HI = new Uint32Array(256);
const CRC64_LO = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let hi = 0;
  let lo = n;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      hi = (hi ^ 0x9a6c9329) >>> 0;
      lo = (lo ^ 0xac4bc9b5) >>> 0;
    }
  }
  CRC64_HI[n] = hi;
  CRC64_LO[n] = lo;
}

/** A running CRC-64/NVME, as its two 32-bit halves (before the final inversion). */
interface Crc64State {
  hi: number;
  lo: number;
}

function crc64nvmeUpdate(state: Crc64State, data: Uint8Array): void {
  let { hi, lo } = state;
  for (let i = 0; i < data.length; i++) {
    const index = (lo ^ data[i]!) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ CRC64_LO[index]!) >>> 0;
    hi = ((hi >>> 8) ^ CRC64_HI[index]!) >>> 0;
  }
  state.hi = hi;
  state.lo = lo;
}

function crc64nvmeDigest(state: Crc64State): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt32BE(~state.hi >>> 0, 0);
  out.writeUInt32BE(~state.lo >>> 0, 4);
  return out;
}

/** CRC-64/NVME as 8 big-endian bytes. */
export function crc64nvme(data: Uint8Array): Buffer {
  const state = { hi: 0xffffffff, lo: 0xffffffff };
  crc64nvmeUpdate(state, data);
  return crc64nvmeDigest(state);
}

/** A checksum computed piece by piece, for bodies that are never whole in memory. */
export interface RunningChecksum {
  readonly algorithm: ChecksumAlgorithm;
  update(data: Uint8Array): void;
  /** The value S3 puts in `x-amz-checksum-*` (base64). Call once, after the last update. */
  digest(): string;
}

/** Starts a running checksum; fed the same bytes, it gives what computeChecksum gives for them whole. */
export function runningChecksum(algorithm: ChecksumAlgorithm): RunningChecksum {
  switch (algorithm) {
    case 'CRC32':
    case 'CRC32C': {
      const step = algorithm === 'CRC32' ? crc32 : crc32c;
      let value = 0;
      return { algorithm, update: (data) => void (value = step(data, value)), digest: () => uint32Bytes(value).toString('base64') };
    }
    case 'CRC64NVME': {
      const state = { hi: 0xffffffff, lo: 0xffffffff };
      return { algorithm, update: (data) => crc64nvmeUpdate(state, data), digest: () => crc64nvmeDigest(state).toString('base64') };
    }
    case 'SHA1':
    case 'SHA256': {
      const hash = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
      return { algorithm, update: (data) => void hash.update(data), digest: () => hash.digest('base64') };
    }
  }
}

function uint32Bytes(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
}

/** The raw digest bytes of `data` under `algorithm`. */
export function checksumBytes(algorithm: ChecksumAlgorithm, data: Uint8Array): Buffer {
  switch (algorithm) {
    case 'CRC32':
      return uint32Bytes(crc32(data));
    case 'CRC32C':
      return uint32Bytes(crc32c(data));
    case 'CRC64NVME':
      return crc64nvme(data);
    case 'SHA1':
      return createHash('sha1').update(data).digest();
    case 'SHA256':
      return createHash('sha256').update(data).digest();
  }
}

/** The value S3 puts in `x-amz-checksum-*`: the digest bytes in base64. */
export function computeChecksum(algorithm: ChecksumAlgorithm, data: Uint8Array): string {
  return checksumBytes(algorithm, data).toString('base64');
}

/** True when `value` is canonical base64 of exactly the algorithm's digest length. */
export function isWellFormedChecksum(algorithm: ChecksumAlgorithm, value: string): boolean {
  return isCanonicalBase64(value, DIGEST_BYTES[algorithm]);
}

/**
 * Base64 that decodes to another length than the algorithm's digest: AWS refuses such a value as invalid
 * (InvalidRequest, "Value for x-amz-checksum-... header is invalid." in LocalStack's recordings of AWS) but
 * answers a value that is no base64 at all as a digest mismatch (BadDigest, as ceph's s3-tests expect of AWS).
 */
export function isChecksumOfWrongLength(algorithm: ChecksumAlgorithm, value: string): boolean {
  return value.length > 0 && value.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(value) && !isWellFormedChecksum(algorithm, value);
}

/** Content-MD5: base64 of the 16-byte MD5. */
export function isWellFormedContentMd5(value: string): boolean {
  return isCanonicalBase64(value, 16);
}

function isCanonicalBase64(value: string, bytes: number): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return false;
  const decoded = Buffer.from(value, 'base64');
  return decoded.length === bytes && decoded.toString('base64') === value;
}

export function md5(data: Uint8Array): Buffer {
  return createHash('md5').update(data).digest();
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A multipart object's checksum as S3 reports it: the checksum of the concatenated part checksums,
 * then `-N` (a "composite" checksum, which clients know not to compare with the whole body).
 * @param partChecksums - each part's base64 value, in part order
 */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partChecksums: string[]): string {
  const joined = Buffer.concat(partChecksums.map((value) => Buffer.from(value, 'base64')));
  return `${computeChecksum(algorithm, joined)}-${partChecksums.length}`;
}

/**
 * A multipart ETag: MD5 of the concatenated binary part MD5s, then `-N`.
 * @param partEtags - each part's ETag as hex, quotes optional
 */
export function multipartEtag(partEtags: string[]): string {
  const joined = Buffer.concat(partEtags.map((etag) => Buffer.from(etag.replace(/"/g, ''), 'hex')));
  return `${md5(joined).toString('hex')}-${partEtags.length}`;
}
