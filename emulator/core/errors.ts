// The base of every AWS error the local cloud answers with. Each service subclasses it with AWS's exact
// code, message and status, and serialises it in its own protocol (XML for S3/Query, JSON for REST-JSON).

export class AwsError extends Error {
  /**
   * @param code - AWS's error code, e.g. `NoSuchBucket`
   * @param message - AWS's message text
   * @param status - the HTTP status AWS answers with
   * @param extra - protocol-specific fields (S3 adds `BucketName`, `Key`, ...)
   */
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** An operation the local cloud does not implement: named, instead of failing strangely. */
export class NotImplementedError extends AwsError {
  constructor(operation: string) {
    super('NotImplemented', `The local cloud does not implement ${operation}`, 501);
  }
}
