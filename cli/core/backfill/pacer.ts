// Sends the backfill's invocations at a bounded pace: at most `concurrency` Invoke calls in flight and at most
// `ratePerSecond` started per second. Throttling (TooManyRequestsException) halves the rate and retries the call
// after a growing wait (the one bounded retry, shared/retry.ts, each retry reported with what it retries); every
// success earns the rate back a step at a time. An error no retry can fix (no such function, access denied) is
// the same for every object, so it stops the run. Knows nothing of S3 or of what it sends.
import { errorCode, httpStatus, withRetry, type RetryEvent } from '../../../shared/retry.js';

export interface PacerOptions {
  concurrency: number;
  ratePerSecond: number;
  /** Attempts per call, the first included. */
  attempts: number;
  /** Wait before the first retry; doubles each time up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Each retry, as it is decided. */
  onRetry(event: PacedRetry): void;
  signal?: AbortSignal;
  now?(): number;
  sleep?(ms: number): Promise<void>;
}

export interface PacedRetry extends RetryEvent {
  /** The object the call is for. */
  label: string;
  attempts: number;
  throttled: boolean;
  /** The rate after this retry's adjustment. */
  ratePerSecond: number;
}

/** The error codes that mean "slow down". */
const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'SlowDown', 'EC2ThrottledException']);

export function isThrottling(error: unknown): boolean {
  return THROTTLING.has(errorCode(error)) || httpStatus(error) === 429;
}

/** 5xx answers and connections that broke: a retry may succeed. */
export function isTransient(error: unknown): boolean {
  const status = httpStatus(error);
  if (status !== undefined) return status >= 500;
  const code = (error as { code?: string })?.code ?? '';
  return ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'TimeoutError', 'RequestTimeout'].includes(code) || errorCode(error) === 'TimeoutError';
}

export interface PacerCounts {
  succeeded: number;
  failed: number;
  retries: number;
  throttled: number;
}

export class InvokePacer {
  private readonly maxRate: number;
  private rate: number;
  private nextStartAt = 0;
  private readonly inFlight = new Set<Promise<void>>();
  readonly counts: PacerCounts = { succeeded: 0, failed: 0, retries: 0, throttled: 0 };
  /** Set once an error stops the run; submit() refuses from then on. */
  fatal: unknown;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: PacerOptions) {
    this.maxRate = options.ratePerSecond;
    this.rate = options.ratePerSecond;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => abortableSleep(ms, options.signal));
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /**
   * Waits for a free slot and the rate's next start time, then starts `call` (retried as above) and returns; the
   * call goes on in the background. Resolves false without starting it when the run is stopped or aborted.
   * @param label - what the call is for (the object's key), named in retry messages
   * @param call - one attempt; throws the SDK's error
   * @param settled - told how the call ended: true when it succeeded
   */
  async submit(label: string, call: () => Promise<unknown>, settled: (ok: boolean, error?: unknown) => void): Promise<boolean> {
    while (this.inFlight.size >= this.options.concurrency) await Promise.race(this.inFlight);
    if (this.stopped()) return false;
    const wait = this.nextStartAt - this.now();
    if (wait > 0) await this.sleep(wait);
    if (this.stopped()) return false;
    this.nextStartAt = Math.max(this.now(), this.nextStartAt) + 1000 / this.rate;
    const running: Promise<void> = this.attempt(label, call)
      .then(
        () => {
          this.counts.succeeded += 1;
          // Additive increase: one call per second more for every success, up to the rate asked for.
          this.rate = Math.min(this.maxRate, this.rate + 1);
          settled(true);
        },
        (error: unknown) => {
          this.counts.failed += 1;
          if (!(error instanceof AbortedError) && !isThrottling(error) && !isTransient(error)) this.fatal ??= error;
          settled(false, error);
        },
      )
      .finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
    return true;
  }

  /** Resolves once every started call has ended. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  private stopped(): boolean {
    return this.fatal !== undefined || Boolean(this.options.signal?.aborted);
  }

  private attempt(label: string, call: () => Promise<unknown>): Promise<unknown> {
    // retryable() sees each error just before onRetry() reports it: it notes whether it was throttling.
    let throttled = false;
    return withRetry(
      async () => {
        if (this.options.signal?.aborted) throw new AbortedError();
        return call();
      },
      {
        what: `Invoke for ${label}`,
        attempts: this.options.attempts,
        initialDelayMs: this.options.initialDelayMs,
        maxDelayMs: this.options.maxDelayMs,
        retryable: (error) => {
          throttled = isThrottling(error);
          return !this.options.signal?.aborted && (throttled || isTransient(error));
        },
        onRetry: (event) => {
          this.counts.retries += 1;
          if (throttled) {
            this.counts.throttled += 1;
            // Multiplicative decrease: every throttled call halves the pace.
            this.rate = Math.max(1, this.rate / 2);
          }
          this.options.onRetry({ ...event, label, attempts: this.options.attempts, throttled, ratePerSecond: this.rate });
        },
        sleep: this.sleep,
      },
    );
  }
}

/** The run was interrupted before this call could be made. */
export class AbortedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'AbortedError';
  }
}

/** Sleeps, but wakes at once when the run is interrupted. */
function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
