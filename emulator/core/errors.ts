// The base of every AWS error the local cloud answers with, and the one way a service declares one: a class
// per AWS error code, named exactly as the code (`class NoSuchEntity extends awsErrorCode('NoSuchEntity', 404)`),
// serialised by the service's own protocol (XML for S3/Query, JSON for the JSON protocols).

export class AwsError extends Error {
  /**
   * @param code - AWS's error code, e.g. `NoSuchBucket`
   * @param message - AWS's message text
   * @param status - the HTTP status AWS answers with
   * @param extra - protocol-specific fields (S3 adds `BucketName`, `Key`, ...; Lambda's throttling adds `Reason`)
   * @param headers - response headers AWS adds to this error (Lambda's `Retry-After`)
   */
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly extra: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** The constructor {@link awsErrorCode} returns: a message (and the error's extra fields and headers) in. */
export interface AwsErrorClass {
  /** AWS's error code; the class carries the same name. */
  readonly code: string;
  readonly status: number;
  new (message: string, extra?: Record<string, string>, headers?: Record<string, string>): AwsError;
}

/**
 * The base class of one AWS error code. Extend it under the code's own name, adding static factories for
 * AWS's recurring messages:
 * @example
 * export class NoSuchEntity extends awsErrorCode('NoSuchEntity', 404) {
 *   static role(roleName: string): NoSuchEntity {
 *     return new NoSuchEntity(`The role with name ${roleName} cannot be found.`);
 *   }
 * }
 * @param code - AWS's error code, which is also the subclass's name
 * @param status - the HTTP status AWS answers it with
 */
export function awsErrorCode(code: string, status: number): AwsErrorClass {
  return class extends AwsError {
    static readonly code = code;
    static readonly status = status;

    constructor(message: string, extra?: Record<string, string>, headers?: Record<string, string>) {
      super(code, message, status, extra, headers);
    }
  };
}

/** An operation the local cloud does not implement: named, instead of failing strangely. */
export class NotImplemented extends awsErrorCode('NotImplemented', 501) {
  /** @param operation - the service and operation, e.g. `Lambda CreateAlias` */
  constructor(operation: string) {
    super(`The local cloud does not implement ${operation}`);
  }
}
