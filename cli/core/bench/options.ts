// The `bench` command line, checked before anything is started or sent: the image, the thumbnail size, how
// many uploads and how many at a time. Bad values are usage errors (exit 2). Pure: no AWS, no terminal.
import { availableParallelism } from 'node:os';
import { ExitCode, UserError } from '../../output.js';
import { BENCH_DEFAULTS } from '../defaults.js';
import { parseCount } from '../traces/options.js';
import { parseThumbnailSize, type ThumbnailSize } from '../operate/size.js';

export { BENCH_DEFAULTS };

export interface BenchOptions {
  /** The image as given (resolved and read by the upload core's checks); undefined for the bundled sample. */
  image?: string;
  /** The size as typed and as parsed. */
  sizeText: string;
  size: ThumbnailSize;
  count: number;
  concurrency: number;
  timeoutMs: number;
  /** `--variants`: one invocation making every variant against one invocation per variant. */
  variants: boolean;
}

/** `bench`'s own flags, as commander parses them. */
export interface BenchFlags {
  image?: string;
  size?: string;
  count?: string;
  concurrency?: string;
  imagemagick?: boolean;
  variants?: boolean;
}

/**
 * Validates commander's options for `bench`.
 *
 * @param options - As commander parsed them (strings).
 * @param settings - The largest thumbnail side allowed.
 * @param cores - Default concurrency (the machine's available parallelism).
 */
export function resolveBenchOptions(options: BenchFlags, settings: { maxSize: number }, cores = availableParallelism()): BenchOptions {
  if (options.variants) {
    // The variants bench runs one upload at a time and takes its sizes from the variants.
    const conflicting = (['size', 'concurrency', 'imagemagick'] as const).filter((flag) => options[flag] !== undefined);
    if (conflicting.length > 0) {
      throw new UserError(`--variants compares one invocation with one per variant, one upload at a time, at the variants' sizes: drop --${conflicting.join(', --')}`, ExitCode.usage);
    }
  }
  const sizeText = options.size === undefined ? BENCH_DEFAULTS.size : String(options.size);
  const size = parseThumbnailSize(sizeText, settings.maxSize);
  const count = options.count === undefined ? BENCH_DEFAULTS.count : parseCount(options.count, '--count', BENCH_DEFAULTS.maxCount);
  const concurrency =
    options.concurrency === undefined ? Math.max(1, cores) : parseCount(options.concurrency, '--concurrency', BENCH_DEFAULTS.maxConcurrency);
  let image: string | undefined;
  if (options.image !== undefined) {
    image = String(options.image);
    if (!image.trim() || image === 'true') throw new UserError('--image needs a file name', ExitCode.usage);
  }
  return {
    image,
    sizeText: `${size.width}x${size.height}`,
    size,
    count: options.variants && options.count === undefined ? BENCH_DEFAULTS.variantRounds : count,
    concurrency: options.variants ? 1 : concurrency,
    timeoutMs: BENCH_DEFAULTS.timeoutMs,
    variants: Boolean(options.variants),
  };
}

/** `bench-<runid>-<i>-<W>x<H>.jpg`: unique per run and upload, and a key the function reads its size from. */
export function benchKey(runId: string, index: number, size: ThumbnailSize, extension: string): string {
  return `bench-${runId}-${index}-${size.width}x${size.height}${extension}`;
}
