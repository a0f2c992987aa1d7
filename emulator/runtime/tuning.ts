// The knobs of the local Lambda runtime (concurrency, idle reaping, async retry backoff), read lazily so a
// running cloud picks up changes. Sources, weakest first: defaults, THUMBCTL_LOCAL_LAMBDA_* variables, and
// an optional `lambda` object on the cloud's settings (tests set it). Not a place for AWS quotas.
import { availableParallelism } from 'node:os';
import type { CloudSettings } from '../core/context.js';

export interface LambdaTuning {
  /** Invocations running at once across all functions; more wait in a FIFO. */
  maxConcurrency: number;
  /** An environment idle this long is stopped. */
  idleTimeoutMs: number;
  /** Backoff before each retry of a failed asynchronous invoke; its length is the number of retries. */
  retryDelaysMs: number[];
  /** How long an environment may take from spawn to its first `/next` call (AWS: 10 s). */
  initTimeoutMs: number;
}

/** Settings as the lambda service reads them: the shared ones, plus an optional `lambda` override. */
export type SettingsWithLambdaTuning = CloudSettings & { lambda?: Partial<LambdaTuning> };

export function defaultTuning(): LambdaTuning {
  return {
    maxConcurrency: Math.max(2, availableParallelism() * 2),
    idleTimeoutMs: 5 * 60_000,
    // AWS retries a failed asynchronous invoke twice; its delays are longer (about 1 and 2 minutes), ours
    // are short so a local demo shows the retries.
    retryDelaysMs: [1000, 2000],
    initTimeoutMs: 10_000,
  };
}

/**
 * The effective tuning now.
 * @param settings - the cloud's settings, possibly carrying `lambda: Partial<LambdaTuning>`
 * @param env - the process environment (THUMBCTL_LOCAL_LAMBDA_CONCURRENCY, _IDLE_MS, _RETRY_DELAYS_MS)
 */
export function readTuning(settings: CloudSettings, env: NodeJS.ProcessEnv = process.env): LambdaTuning {
  const tuning = defaultTuning();
  const concurrency = Number(env.THUMBCTL_LOCAL_LAMBDA_CONCURRENCY);
  if (Number.isInteger(concurrency) && concurrency > 0) tuning.maxConcurrency = concurrency;
  const idle = Number(env.THUMBCTL_LOCAL_LAMBDA_IDLE_MS);
  if (Number.isFinite(idle) && idle > 0) tuning.idleTimeoutMs = idle;
  if (env.THUMBCTL_LOCAL_LAMBDA_RETRY_DELAYS_MS !== undefined) {
    const delays = env.THUMBCTL_LOCAL_LAMBDA_RETRY_DELAYS_MS.split(',').filter(Boolean).map(Number);
    if (delays.every((d) => Number.isFinite(d) && d >= 0)) tuning.retryDelaysMs = delays;
  }
  const override = (settings as SettingsWithLambdaTuning).lambda;
  return { ...tuning, ...Object.fromEntries(Object.entries(override ?? {}).filter(([, v]) => v !== undefined)) };
}
