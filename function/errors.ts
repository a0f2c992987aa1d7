// Error classes that decide whether Lambda should retry a record.
// A PermanentImageError means "this input will never succeed": the handler logs it and moves on.
// Anything else is treated as transient (throttling, 5xx, network) and rethrown so Lambda retries.

/**
 * Raised for input that can never become a thumbnail (bad key, empty or corrupt file, pixel bomb…).
 * Retrying would only burn money, so the handler reports it once and resolves the record normally.
 */
export class PermanentImageError extends Error {
  override readonly name = 'PermanentImageError';

  /**
   * @param reason - Short human-readable reason; it becomes the stable `reason` field of the log line.
   * @param options - Standard error options, e.g. the underlying sharp error as `cause`.
   */
  constructor(reason: string, options?: ErrorOptions) {
    super(reason, options);
  }
}

/**
 * True when `error` is a {@link PermanentImageError} (also across bundle copies, hence the name check).
 *
 * @param error - Anything caught from a `catch` clause.
 */
export function isPermanentImageError(error: unknown): error is PermanentImageError {
  return error instanceof PermanentImageError || (error instanceof Error && error.name === 'PermanentImageError');
}
