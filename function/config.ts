// Reads the thumbnailer's settings from the environment, once, into a typed, validated object.
// It never throws at import time and never touches AWS: handler.ts calls it at module scope and
// turns a ConfigError into a loud per-invocation failure instead of a broken cold start.

import { FIT_MODES, type FitMode } from './formats.js';
import { SIZE_LIMITS } from './key.js';
import { parseVariantsJson, type Variant } from './variants.js';

export { FIT_MODES, type FitMode };

/** Environment variable names this module reads. */
export const ENV_VARS = {
  thumbnailBucket: 'THUMBNAIL_BUCKET',
  fit: 'THUMBNAIL_FIT',
  maxSide: 'THUMBNAIL_MAX_SIZE',
  maxPixels: 'THUMBNAIL_MAX_PIXELS',
  variants: 'THUMBNAIL_VARIANTS',
  endpointUrlS3: 'AWS_ENDPOINT_URL_S3',
  endpointUrl: 'AWS_ENDPOINT_URL',
} as const;

/**
 * The user metadata every thumbnail carries (`x-amz-meta-thumbctl-function`): the name of the function that wrote it,
 * so `thumbctl teardown --delete-thumbnails` can remove exactly the objects this function wrote from a bucket it
 * does not own, and nothing else.
 */
export const THUMBNAIL_METADATA = { writtenBy: 'thumbctl-function' } as const;

/** Values used when a variable is unset or empty. */
export const CONFIG_DEFAULTS = {
  fit: FIT_MODES.cover,
  maxSide: SIZE_LIMITS.defaultMaxSide,
  // 100 megapixels: well above any camera, far below what would exhaust a Lambda's memory once decoded.
  maxPixels: 100_000_000,
} as const;

/** Validated settings for one execution environment. */
export interface ThumbnailConfig {
  /** Bucket the thumbnails are written to (THUMBNAIL_BUCKET). */
  readonly thumbnailBucket: string;
  /** Fit mode (THUMBNAIL_FIT). */
  readonly fit: FitMode;
  /** Largest accepted width or height requested by a key (THUMBNAIL_MAX_SIZE). */
  readonly maxSide: number;
  /** Largest accepted source image, in pixels, checked before decoding (THUMBNAIL_MAX_PIXELS). */
  readonly maxPixels: number;
  /** This function's name (AWS_LAMBDA_FUNCTION_NAME, which Lambda sets), written on every thumbnail; absent outside Lambda. */
  readonly functionName?: string;
  /**
   * The thumbnails made for an upload whose key names no size (THUMBNAIL_VARIANTS, a JSON list; see variants.ts).
   * Absent when the variable is unset or empty: such uploads are then skipped, as they always were.
   */
  readonly variants?: readonly Variant[];
}

/** Options for the S3 client, derived from the environment. */
export interface S3ClientSettings {
  /** Custom endpoint (a local cloud), if any. */
  readonly endpoint?: string;
  /** Path-style addressing: local clouds serve `http://host/bucket/key`, not `bucket.host`. */
  readonly forcePathStyle: boolean;
}

/** The environment is unusable; the message lists every problem at once so one redeploy fixes them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the thumbnailer settings.
 *
 * @param env - Usually `process.env`; tests pass a plain object.
 * @returns The validated configuration.
 * @throws ConfigError listing every invalid or missing variable.
 */
export function readConfig(env: Env): ThumbnailConfig {
  const problems: string[] = [];

  const thumbnailBucket = value(env, ENV_VARS.thumbnailBucket) ?? '';
  if (thumbnailBucket === '') problems.push(`${ENV_VARS.thumbnailBucket} is not set`);

  const fitText = (value(env, ENV_VARS.fit) ?? CONFIG_DEFAULTS.fit).toLowerCase();
  const fit = Object.hasOwn(FIT_MODES, fitText) ? (fitText as FitMode) : undefined;
  if (fit === undefined) {
    problems.push(`${ENV_VARS.fit} must be one of ${Object.keys(FIT_MODES).join('|')}, got "${fitText}"`);
  }

  const maxSide = positiveInteger(env, ENV_VARS.maxSide, CONFIG_DEFAULTS.maxSide, problems);
  const maxPixels = positiveInteger(env, ENV_VARS.maxPixels, CONFIG_DEFAULTS.maxPixels, problems);

  // Checked against the maximum side and fit read above, so a variant can never ask for more than a key may.
  const variantsText = value(env, ENV_VARS.variants) ?? '';
  const variants = parseVariantsJson(variantsText, { maxSide, defaultFit: fit ?? CONFIG_DEFAULTS.fit });
  if (!variants.ok) problems.push(...variants.problems.map((problem) => `${ENV_VARS.variants}: ${problem}`));

  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  const functionName = value(env, 'AWS_LAMBDA_FUNCTION_NAME');
  const config: ThumbnailConfig = { thumbnailBucket, fit: fit ?? CONFIG_DEFAULTS.fit, maxSide, maxPixels, ...(functionName ? { functionName } : {}) };
  return variants.ok && variants.variants.length > 0 ? { ...config, variants: variants.variants } : config;
}

/**
 * Like {@link readConfig}, but returns the ConfigError instead of throwing, for use at module scope where a throw
 * would turn a configuration mistake into an opaque cold-start crash.
 *
 * @param env - Usually `process.env`.
 */
export function loadConfig(env: Env): ThumbnailConfig | ConfigError {
  try {
    return readConfig(env);
  } catch (error) {
    return error instanceof ConfigError ? error : new ConfigError(String(error));
  }
}

/**
 * Reads the S3 client settings. Never throws: an unset endpoint simply means real AWS.
 *
 * @param env - Usually `process.env`.
 */
export function readS3Settings(env: Env): S3ClientSettings {
  // The service-specific variable wins, matching the AWS SDK's own precedence.
  const endpoint = value(env, ENV_VARS.endpointUrlS3) ?? value(env, ENV_VARS.endpointUrl);
  return endpoint === undefined ? { forcePathStyle: false } : { endpoint, forcePathStyle: true };
}

/** Trimmed value, with empty treated as unset (CloudFormation often writes `""` for "no value"). */
function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function positiveInteger(env: Env, name: string, fallback: number, problems: string[]): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  // Underscores allowed so `100_000_000` can be copied from the docs.
  const parsed = /^\d[\d_]*$/.test(raw) ? Number(raw.replace(/_/g, '')) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    problems.push(`${name} must be a positive integer, got "${raw}"`);
    return fallback;
  }
  return parsed;
}
