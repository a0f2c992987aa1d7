// The `variants` config: several thumbnails from one upload whose key names no size. Parses and validates the list
// (every problem named by its entry, so `setup` can refuse a bad config in one line) and owns the rule that turns a
// source key into the keys the variants are written under, shared by the function and the CLI that waits for them.
// Pure: no I/O, no sharp, no environment; it does not encode anything (thumbnail.ts does).

import { FIT_MODES, OUTPUT_FORMATS, type FitMode, type OutputFormat } from './formats.js';
import { parseSourceKey, parseThumbnailKey, SIZE_LIMITS, type SourceKey } from './key.js';

/** Output formats a variant can ask for; `same` follows the decoded source, as a key with a size does. */
export const VARIANT_FORMATS = {
  same: 'same',
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
} as const satisfies Record<string, OutputFormat | 'same'>;

export type VariantFormat = keyof typeof VARIANT_FORMATS;

/** One validated variant. */
export interface Variant {
  /** Unique (case-insensitively) and safe as a key prefix: letters, digits, `-`, `_`. */
  readonly name: string;
  /** Width in pixels, 1 to the configured maximum side. */
  readonly width: number;
  /** Height in pixels, 1 to the configured maximum side. */
  readonly height: number;
  readonly fit: FitMode;
  readonly format: VariantFormat;
  /**
   * Encoder quality, 1-100, for JPEG, WebP and AVIF output. Absent: the encoder's default for the format
   * written (thumbnail.ts ENCODER_OPTIONS: 80 for JPEG and WebP, 50 for AVIF). PNG is lossless and ignores it.
   */
  readonly quality?: number;
}

/** What a config entry may hold, as written. */
export interface VariantEntry {
  readonly name: string;
  /** `WxH`, e.g. `400x300`. */
  readonly size: string;
  readonly fit?: FitMode;
  readonly format?: VariantFormat;
  readonly quality?: number;
}

/** The settings a variant is checked against. */
export interface VariantRules {
  /** Largest width or height (THUMBNAIL_MAX_SIZE, the CLI's maxSize). */
  readonly maxSide: number;
  /** Fit for entries that name none (THUMBNAIL_FIT, the CLI's fit). */
  readonly defaultFit: FitMode;
}

/** Bounds on the list. */
export const VARIANT_LIMITS = {
  // Every variant is one more resize, encode and upload in each invocation, inside one timeout.
  maxVariants: 10,
  maxNameLength: 64,
  minQuality: 1,
  maxQuality: 100,
  // Lambda allows 4 KB for all of a function's environment variables together; a longer list cannot be deployed.
  maxJsonLength: 4096,
} as const;

/** The fields an entry may have; anything else is a typo worth reporting. */
export const VARIANT_FIELDS = ['name', 'size', 'fit', 'format', 'quality'] as const;

/** Outcome of parsing: the variants, or every problem found, each naming its entry. */
export type VariantsParse =
  | { readonly ok: true; readonly variants: readonly Variant[] }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Where a variant is written. */
export interface VariantTarget {
  readonly variant: Variant;
  /** Key in the thumbnails bucket. */
  readonly key: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const SIZE_PATTERN = /^(\d+)[xX](\d+)$/;

/**
 * Parses and validates a `variants` list, as read from a config file or the environment.
 *
 * @param value - The parsed JSON value (an array of entries).
 * @param rules - The maximum side and the default fit.
 * @returns The variants in order, or every problem, each starting with its entry, e.g.
 *   `variants[2] ("hero"): size "0x10" has a zero side`.
 */
export function parseVariants(value: unknown, rules: VariantRules): VariantsParse {
  if (!Array.isArray(value)) {
    return fail([`variants must be a list of {"name", "size", "fit", "format", "quality"} entries, got ${describe(value)}`]);
  }
  if (value.length > VARIANT_LIMITS.maxVariants) {
    return fail([
      `variants has ${value.length} entries; at most ${VARIANT_LIMITS.maxVariants} are allowed (each is one more encode and upload in every invocation)`,
    ]);
  }
  const problems: string[] = [];
  const variants: Variant[] = [];
  const namesSeen = new Map<string, number>();
  value.forEach((entry: unknown, index) => {
    const variant = parseEntry(entry, index, rules, namesSeen, problems);
    if (variant) variants.push(variant);
  });
  return problems.length > 0 ? fail(problems) : { ok: true, variants };
}

/**
 * Parses the JSON text of a `variants` list (the THUMBNAIL_VARIANTS environment variable). Empty means none.
 *
 * @param text - JSON, e.g. `[{"name":"thumb","size":"400x400"}]`.
 * @param rules - The maximum side and the default fit.
 */
export function parseVariantsJson(text: string, rules: VariantRules): VariantsParse {
  if (text.trim() === '') return { ok: true, variants: [] };
  if (text.length > VARIANT_LIMITS.maxJsonLength) {
    return fail([`variants JSON is ${text.length} characters, above Lambda's ${VARIANT_LIMITS.maxJsonLength}-byte limit for a function's environment`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail([`variants is not valid JSON: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return parseVariants(value, rules);
}

/**
 * The canonical JSON of validated variants, for the environment variable: compact, fields in a fixed order, the
 * default fit and format written out, quality only when set. Equal lists give equal text, so a deployed value can be
 * compared with the config's to detect drift.
 *
 * @param variants - Validated variants.
 */
export function variantsToJson(variants: readonly Variant[]): string {
  return JSON.stringify(
    variants.map(({ name, width, height, fit, format, quality }) => ({
      name,
      size: `${width}x${height}`,
      fit,
      format,
      ...(quality === undefined ? {} : { quality }),
    })),
  );
}

/**
 * The key each variant of a source is written under (the one rule for it; the CLI uses it to know what to wait for).
 *
 * A variant goes to `<prefix><stem>-<W>x<H>.<ext>`, next to where a key with that size would put its thumbnail. The
 * extension is the source key's own, as written, for format `same` (the bytes may still be PNG under `.jpg`, as for
 * a key with a size), and `jpg`, `png`, `webp` or `avif` for a named format. When two or more variants would share a
 * key (same size, same extension), each of them goes to `<prefix><name>/<stem>-<W>x<H>.<ext>` instead; variants with
 * a key of their own keep it. The rule depends on the whole list but not on its order.
 *
 * @param source - The parsed source key (see {@link parseSourceKey}).
 * @param variants - Validated variants.
 * @returns One target per variant, in the variants' order.
 */
export function variantKeys(source: SourceKey, variants: readonly Variant[]): VariantTarget[] {
  const fileName = (variant: Variant): string => {
    const extension = variant.format === 'same' ? source.extension : OUTPUT_FORMATS[variant.format].extension;
    return `${source.stem}-${variant.width}x${variant.height}.${extension}`;
  };
  const uses = new Map<string, number>();
  for (const variant of variants) uses.set(fileName(variant), (uses.get(fileName(variant)) ?? 0) + 1);
  return variants.map((variant) => {
    const name = fileName(variant);
    const key = (uses.get(name) ?? 0) > 1 ? `${source.prefix}${variant.name}/${name}` : `${source.prefix}${name}`;
    return { variant, key };
  });
}

/**
 * The variant keys for an uploaded object key, or `null` when the key is not a variant source: it names a size
 * (`canyon-400x300.jpg` gets one thumbnail under its own key) or no extension we read.
 *
 * @param key - A decoded object key.
 * @param variants - Validated variants.
 */
export function variantKeysFor(key: string, variants: readonly Variant[]): VariantTarget[] | null {
  if (parseThumbnailKey(key) !== null) return null;
  const source = parseSourceKey(key);
  return source === null ? null : variantKeys(source, variants);
}

function parseEntry(
  entry: unknown,
  index: number,
  rules: VariantRules,
  namesSeen: Map<string, number>,
  problems: string[],
): Variant | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    problems.push(`variants[${index}]: must be an object like {"name": "thumb", "size": "400x400"}, got ${describe(entry)}`);
    return undefined;
  }
  const fields = entry as Record<string, unknown>;
  const rawName = fields.name;
  const label = typeof rawName === 'string' && rawName !== '' ? `variants[${index}] (${quoted(rawName)})` : `variants[${index}]`;
  const before = problems.length;
  const problem = (text: string): void => void problems.push(`${label}: ${text}`);

  for (const field of Object.keys(fields)) {
    if (!(VARIANT_FIELDS as readonly string[]).includes(field)) {
      problem(`unknown field ${quoted(field)} (fields: ${VARIANT_FIELDS.join(', ')})`);
    }
  }

  let name = '';
  if (rawName === undefined) problem('name is missing');
  else if (typeof rawName !== 'string') problem(`name must be a string, got ${describe(rawName)}`);
  else if (rawName.length > VARIANT_LIMITS.maxNameLength || !NAME_PATTERN.test(rawName)) {
    problem(
      `name ${quoted(rawName)} must be 1-${VARIANT_LIMITS.maxNameLength} letters, digits, "-" or "_", starting with a letter or digit (it can become a key prefix)`,
    );
  } else {
    name = rawName;
    const earlier = namesSeen.get(name.toLowerCase());
    if (earlier !== undefined) problem(`name ${quoted(name)} is already used by variants[${earlier}] (names are compared ignoring case)`);
    else namesSeen.set(name.toLowerCase(), index);
  }

  let width = 0;
  let height = 0;
  const size = fields.size;
  if (size === undefined) problem('size is missing');
  else if (typeof size !== 'string') problem(`size must be a string "WxH", e.g. "400x300", got ${describe(size)}`);
  else {
    const match = SIZE_PATTERN.exec(size.trim());
    if (!match) problem(`size ${quoted(size)} must be "WxH" in pixels, e.g. "400x300"`);
    else {
      width = Number(match[1]);
      height = Number(match[2]);
      if (width < SIZE_LIMITS.minSide || height < SIZE_LIMITS.minSide) problem(`size ${quoted(size)} has a zero side`);
      else if (width > rules.maxSide || height > rules.maxSide) {
        problem(`size ${quoted(size)} exceeds the maximum of ${rules.maxSide} pixels per side`);
      }
    }
  }

  const fit = oneOf(fields.fit, FIT_MODES, 'fit', problem) ?? rules.defaultFit;
  const format = oneOf(fields.format, VARIANT_FORMATS, 'format', problem) ?? VARIANT_FORMATS.same;

  const quality = fields.quality;
  if (
    quality !== undefined &&
    (typeof quality !== 'number' || !Number.isInteger(quality) || quality < VARIANT_LIMITS.minQuality || quality > VARIANT_LIMITS.maxQuality)
  ) {
    problem(`quality must be a whole number from ${VARIANT_LIMITS.minQuality} to ${VARIANT_LIMITS.maxQuality}, got ${describe(quality)}`);
  }

  if (problems.length > before) return undefined;
  return { name, width, height, fit, format, ...(quality === undefined ? {} : { quality: quality as number }) };
}

/** A string field that must be one of a table's keys (case-insensitive); `undefined` when absent or wrong. */
function oneOf<T extends Record<string, string>>(
  value: unknown,
  table: T,
  field: string,
  problem: (text: string) => void,
): keyof T | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (text !== undefined && Object.hasOwn(table, text)) return text as keyof T;
  problem(`${field} must be one of ${Object.keys(table).join('|')}, got ${describe(value)}`);
  return undefined;
}

function fail(problems: string[]): VariantsParse {
  return { ok: false, problems };
}

/** A value as it should appear in a one-line message: JSON, shortened. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function quoted(text: string): string {
  return describe(text);
}
