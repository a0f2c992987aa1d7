// S3's naming rules: which bucket names CreateBucket accepts, how long a key may be, and the
// URL encodings S3 uses for keys: form-style in event notifications, percent-style in `encoding-type=url` listings.
// Pure functions. Keys are never used to build a path, so nothing here "sanitises" them.
import { InvalidBucketName, KeyTooLongError } from './errors.js';

export const MAX_KEY_BYTES = 1024;

/** Prefixes and suffixes AWS reserves for its own bucket kinds (access points, directory buckets, ...). */
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'sthree-configurator', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/**
 * Why a general-purpose bucket name is invalid, or undefined when it is valid.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be between 3 and 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may contain only lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must begin and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent periods';
  // A dot next to a hyphen makes an invalid DNS label, so AWS refuses `.-` and `-.`; so do we.
  if (name.includes('.-') || name.includes('-.')) return 'must not have a period next to a hyphen';
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return 'must not be formatted as an IP address';
  if (RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix))) return 'uses a reserved prefix';
  if (RESERVED_SUFFIXES.some((suffix) => name.endsWith(suffix))) return 'uses a reserved suffix';
  return undefined;
}

export function assertValidBucketName(name: string): void {
  if (bucketNameProblem(name) !== undefined) throw new InvalidBucketName(name);
}

/** Keys are any UTF-8 up to 1024 bytes; S3 answers KeyTooLongError beyond, and so do we. */
export function assertValidKey(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) throw new KeyTooLongError(bytes, MAX_KEY_BYTES);
}

/**
 * Encodes a key the way S3 writes it into event notifications: form
 * encoding (space becomes `+`, `+` becomes `%2B`) with `/` left as is. Letters, digits and `-_.*`
 * stay unescaped, like Java's URLEncoder; every other byte of the UTF-8 form is `%XX`.
 */
export function formEncodeKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    if (
      (byte >= 0x30 && byte <= 0x39) || // 0-9
      (byte >= 0x41 && byte <= 0x5a) || // A-Z
      (byte >= 0x61 && byte <= 0x7a) || // a-z
      byte === 0x2d || byte === 0x5f || byte === 0x2e || byte === 0x2a || byte === 0x2f // - _ . * /
    ) {
      out += String.fromCharCode(byte);
    } else if (byte === 0x20) {
      out += '+';
    } else {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/**
 * Encodes a value the way S3 writes it into `encoding-type=url` listings: percent-encoding of the UTF-8
 * bytes (a space is `%20`, as `decodeURIComponent` in the SDKs expects, never `+`), with letters, digits,
 * `-_.~` and `/` left as they are.
 */
export function urlEncodeListValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (
      (byte >= 0x30 && byte <= 0x39) || // 0-9
      (byte >= 0x41 && byte <= 0x5a) || // A-Z
      (byte >= 0x61 && byte <= 0x7a) || // a-z
      byte === 0x2d || byte === 0x5f || byte === 0x2e || byte === 0x7e || byte === 0x2f // - _ . ~ /
    ) {
      out += String.fromCharCode(byte);
    } else {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** The inverse of formEncodeKey (what a Lambda handler does with an event's key). */
export function formDecodeKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}
