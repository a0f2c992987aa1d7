// STS's errors, one class per AWS error code, with the code, HTTP status and message AWS sends.
// They travel in the same Query-protocol ErrorResponse as IAM's, under STS's namespace.
import { AwsError, NotImplementedError } from '../../core/errors.js';
import { ValidationError } from '../../core/query-protocol.js';

export { NotImplementedError };

/** 400: a parameter breaks the service model's constraints; shared by every Query service. */
export { ValidationError };

/** 403: STS says a role that does not exist, or cannot be assumed, is not authorised, never "not found". */
export class AccessDeniedError extends AwsError {
  constructor(message: string) {
    super('AccessDenied', message, 403);
  }

  static assumeRole(callerArn: string, roleArn: string): AccessDeniedError {
    return new AccessDeniedError(`User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
  }
}

/** 400: the caller signed with temporary credentials past their expiration. */
export class ExpiredTokenError extends AwsError {
  constructor() {
    super('ExpiredTokenException', 'The security token included in the request is expired', 400);
  }
}
