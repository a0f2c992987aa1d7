// What the deployed function would write for one source object, decided by the function's own pure rules
// (function/key.ts for keys with a size, function/variants.ts for keys without one): the thumbnail keys to look for
// in the thumbnails bucket, or why the object is no backfill's business. Pure: no S3, no Lambda.
import { parseThumbnailKey, resolveThumbnailSize } from '../../../function/key.js';
import { variantKeysFor, type Variant } from '../../../function/variants.js';

/** S3 refuses longer keys; the function rejects a variant whose key would pass it. */
const S3_MAX_KEY_BYTES = 1024;

/** The rules the deployed function applies, read from its configuration (function/config.ts readConfig). */
export interface FunctionRules {
  /** Largest width or height a key may ask for (THUMBNAIL_MAX_SIZE). */
  maxSide: number;
  /** The configured variants (THUMBNAIL_VARIANTS); none: keys without a size get nothing. */
  variants: readonly Variant[];
  /** The suffixes that trigger the function, upper-case forms included (S3 filters are case-sensitive). */
  suffixes: readonly string[];
}

/** Why an object needs no invocation, besides its thumbnails being there already. */
export const SKIP_REASONS = {
  /** Its key ends in no suffix that triggers the function. */
  notTriggering: 'notTriggering',
  /** Last modified before --since. */
  beforeSince: 'beforeSince',
  /** A key without a size while no variants are configured, or with an extension the function does not read. */
  nothingToMake: 'nothingToMake',
  /** The function would reject it from its key alone: a size out of bounds, a variant key S3 would refuse. */
  rejectedByName: 'rejectedByName',
  /** Every thumbnail it would make is in the thumbnails bucket. */
  upToDate: 'upToDate',
} as const;

export type SkipReason = (typeof SKIP_REASONS)[keyof typeof SKIP_REASONS];

export type Expectation = { readonly thumbnailKeys: readonly string[] } | { readonly skip: SkipReason; readonly detail: string };

/**
 * The thumbnail keys the function would write for `key`, or why it would write none.
 *
 * @param key - A source object key, as S3 lists it.
 * @param rules - The deployed function's rules.
 */
export function expectedThumbnails(key: string, rules: FunctionRules): Expectation {
  if (!rules.suffixes.some((suffix) => key.endsWith(suffix))) return { skip: SKIP_REASONS.notTriggering, detail: 'no trigger suffix' };
  const sized = parseThumbnailKey(key);
  if (sized !== null) {
    const size = resolveThumbnailSize(sized, { maxSide: rules.maxSide });
    // A key with a size gets one thumbnail, under its own key in the thumbnails bucket.
    return size.ok ? { thumbnailKeys: [key] } : { skip: SKIP_REASONS.rejectedByName, detail: size.reason };
  }
  if (rules.variants.length === 0) return { skip: SKIP_REASONS.nothingToMake, detail: 'names no size and no variants are configured' };
  const targets = variantKeysFor(key, rules.variants);
  if (targets === null) return { skip: SKIP_REASONS.nothingToMake, detail: 'has no extension the function reads' };
  const tooLong = targets.find((target) => Buffer.byteLength(target.key) > S3_MAX_KEY_BYTES);
  if (tooLong) return { skip: SKIP_REASONS.rejectedByName, detail: `variant "${tooLong.variant.name}" would need a key over ${S3_MAX_KEY_BYTES} bytes` };
  return { thumbnailKeys: targets.map((target) => target.key) };
}

/** S3's listing order: keys compared as UTF-8 bytes (JavaScript compares UTF-16 units, which differs past U+FFFF). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * A key that lists just before `key` (as ListObjectsV2's StartAfter, which is exclusive): `key` less its last
 * character. Any key between the two is merely read and ignored. Undefined when the listing should start at the top.
 */
export function startAfterFor(key: string): string | undefined {
  const characters = [...key];
  characters.pop();
  return characters.length === 0 ? undefined : characters.join('');
}

/**
 * Encodes a key for an S3 Batch Operations CSV manifest, which wants keys URL-encoded: every reserved character
 * escaped (`+` as %2B, space as %20), slashes kept readable.
 */
export function manifestKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/gi, '/');
}
