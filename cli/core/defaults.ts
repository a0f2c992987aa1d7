// Every default thumbctl applies, in one place: the connection's and the thumbnailer's (settings.ts applies
// them), and each command's own (the command or its options resolver applies them). Help texts quote them from
// here, so no default is written twice. Constants only, cheap to import: `thumbctl --help` reads this module.
import { CONFIG_DEFAULTS, type FitMode } from '../../function/config.js';
import { DEFAULT_TRIGGER_SUFFIXES } from '../../function/formats.js';
import type { VariantEntry } from '../../function/variants.js';
import type { Architecture } from './settings.js';

/** The settings file read when --config is not given (and only if it exists). */
export const DEFAULT_CONFIG_FILE = 'thumbctl.config.json';
/** The local cloud's data directory when neither --state-dir, THUMBCTL_STATE_DIR nor the config file names one. */
export const DEFAULT_STATE_DIR = '.thumbctl';

/** The thumbnailer's settings when neither a flag nor the config file sets them: the course demo's. */
export const DEFAULTS = {
  region: 'us-east-1',
  /** The deployment's name; the function, role and buckets are named after it (settings.ts, stackNames), so stack
   * `thumbctl` gives thumbctl-thumbnailer, thumbctl-thumbnailer-role and thumbctl-{source,thumbnails}-<account>-<region>. */
  stack: 'thumbctl',
  memory: 512,
  timeout: 10,
  runtime: 'nodejs22.x',
  architecture: 'x86_64' as Architecture,
  /** Every extension the function reads (function/formats.ts); settings.ts adds the upper-case forms. */
  suffixes: DEFAULT_TRIGGER_SUFFIXES,
  fit: CONFIG_DEFAULTS.fit as FitMode,
  maxSize: CONFIG_DEFAULTS.maxSide,
  /** No variants: an upload whose key names no size is skipped, as in the course demo. */
  variants: [] as readonly VariantEntry[],
} as const;

/** `upload`: how long it waits for the thumbnail unless --timeout says otherwise. */
export const UPLOAD_DEFAULTS = { waitSeconds: 60 } as const;

/** `logs`: how far back unless --since says otherwise. */
export const LOGS_DEFAULTS = { since: '10m' } as const;

/** `traces`. */
export const TRACES_DEFAULTS = {
  since: '15m',
  limit: 50,
  /** --wait gives up after this long. */
  waitTimeoutMs: 60_000,
  waitIntervalMs: 2_000,
} as const;

/** `bench` (its concurrency defaults to the machine's cores). */
export const BENCH_DEFAULTS = {
  size: '400x400',
  count: 20,
  /** `bench --variants`: rounds, each one upload making every variant and one upload per variant. */
  variantRounds: 10,
  /** How long one upload may wait for its thumbnail before it counts as lost. */
  timeoutMs: 60_000,
  /** Upper bounds, so a typo cannot start a million uploads. */
  maxCount: 10_000,
  maxConcurrency: 256,
  /**
   * `bench --variants` when the config has none: five common sizes in the source's own format and the configured
   * fit, so the one invocation making all five does the same resizes and encodes as the five it is compared with.
   */
  variants: [
    { name: 'thumb', size: '150x150' },
    { name: 'small', size: '320x240' },
    { name: 'card', size: '400x400' },
    { name: 'medium', size: '800x600' },
    { name: 'large', size: '1280x960' },
  ] as readonly VariantEntry[],
} as const;

/** `local serve`: where it listens. Loopback, so nothing beyond this machine reaches it unless asked. */
export const SERVE_DEFAULTS = { host: '127.0.0.1', port: 4566 } as const;

/** `backfill`. */
export const BACKFILL_DEFAULTS = {
  /** Invoke calls in flight at once. */
  concurrency: 8,
  /** Invocations started per second at most; throttling halves it for a while. */
  ratePerSecond: 100,
  /** Upper bounds, so a typo cannot flood the function. */
  maxConcurrency: 256,
  maxRatePerSecond: 10_000,
  /** How often `--status` asks S3 Batch Operations about the job: AWS, and a local endpoint. */
  statusPollMs: 5_000,
  localStatusPollMs: 250,
} as const;

/** `eject`: where the function's sources go unless a directory is given. */
export const EJECT_DEFAULTS = { directory: 'thumbnailer' } as const;

/** `dev`. */
export const DEV_DEFAULTS = {
  /** The thumbnail size when an image (or the bundled sample) is uploaded to replay. */
  size: '400x400',
  /** How long the upload of that image waits for its first thumbnail. */
  uploadWaitMs: 60_000,
  /**
   * Saves closer together than this make one build (an editor's save is often several writes, well under a
   * millisecond apart: a truncate and a write, or a write and a rename). Every millisecond here is added to each
   * save → thumbnail; a write that comes later still supersedes the build it finds running.
   */
  debounceMs: 10,
} as const;
