// STS's errors, one class per AWS error code, named as the code, with the HTTP status and message AWS sends.
// They travel in the same Query-protocol ErrorResponse as IAM's, under STS's namespace.
import { awsErrorCode, NotImplemented } from '../../core/errors.js';
import { ValidationError } from '../../core/query-protocol.js';

export { NotImplemented };

/** 400: a parameter breaks the service model's constraints; shared by every Query service. */
export { ValidationError };

/** 403: STS says a role that does not exist, or cannot be assumed, is not authorised, never "not found". */
export class AccessDenied extends awsErrorCode('AccessDenied', 403) {
  static assumeRole(callerArn: string, roleArn: string): AccessDenied {
    return new AccessDenied(`User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
  }
}

/** 400: the caller signed with temporary credentials past their expiration. */
export class ExpiredTokenException extends awsErrorCode('ExpiredTokenException', 400) {
  constructor() {
    super('The security token included in the request is expired');
  }
}
