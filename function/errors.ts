// Error classes that decide whether Lambda should retry a record: a PermanentImageError is never retried.
// Anything else the handler catches counts as transient (throttling, 5xx, network) and is rethrown for a retry.
// No logging or SDK-error inspection here; the handler and storage.ts own those.

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
