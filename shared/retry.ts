// The one retry helper, for the CLI and the local cloud alike: bounded attempts with exponential backoff, and a
// callback that says what is being retried and why, so nothing loops silently or forever. It knows neither side
// (shared/ holds what both import; nothing here imports cli/ or emulator/). Throttling and 5xx from AWS are the
// SDK's job, not this one's. The AWS error tests the retry decisions use (code, HTTP status) live here too.

export interface RetryOptions {
  /** What is being retried, for the person reading the output ("creating the function"). */
  what: string;
  /** Total attempts, including the first. */
  attempts: number;
  /** Delay before the second attempt; doubles each time up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs?: number;
  /** Decides whether an error is worth another attempt; anything else is thrown at once. */
  retryable(error: unknown): boolean;
  onRetry?(event: RetryEvent): void;
  sleep?(ms: number): Promise<void>;
}

export interface RetryEvent {
  what: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const wait = options.sleep ?? sleep;
  let delay = options.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !options.retryable(error)) throw error;
      options.onRetry?.({ what: options.what, attempt, delayMs: delay, reason: describeError(error) });
      await wait(delay);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 30_000);
    }
  }
}

/** `Code: message` for AWS errors, the message otherwise. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const name = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
    return `${name}${error.message}`;
  }
  return String(error);
}

/** An AWS error's code: its `Code`, else its `name`, else its `code` ('' when it has none). */
export function errorCode(error: unknown): string {
  const candidate = error as { name?: string; Code?: string; code?: string };
  return candidate?.Code ?? candidate?.name ?? candidate?.code ?? '';
}

/** The HTTP status of an SDK error, when it got a response. */
export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

export function isError(error: unknown, ...codes: string[]): boolean {
  return codes.includes(errorCode(error));
}
