// Lambda's errors, one class per AWS error code, named as the code, with AWS's exact messages and statuses. They go
// out in REST-JSON's error form (core/json-protocol.ts): the status, `x-amzn-ErrorType: <Code>`,
// `{"Type":"User","message","Message"}`, plus the few extra body fields and headers some carry (Reason, Retry-After).
import { constraintErrorCode } from '../../core/constraints.js';
import { awsErrorCode } from '../../core/errors.js';

export class ResourceNotFoundException extends awsErrorCode('ResourceNotFoundException', 404) {
  /** AWS: 404 `Function not found: <arn>`. */
  static function(functionArn: string): ResourceNotFoundException {
    return new ResourceNotFoundException(`Function not found: ${functionArn}`);
  }

  /** What AWS says of a missing policy, statement-less function or unknown code location. */
  static resource(): ResourceNotFoundException {
    return new ResourceNotFoundException('The resource you requested does not exist.');
  }
}

export class ResourceConflictException extends awsErrorCode('ResourceConflictException', 409) {
  /** AWS answers 409 while an update is in progress; so do we. */
  static updateInProgress(functionArn: string): ResourceConflictException {
    return new ResourceConflictException(`The operation cannot be performed at this time. An update is in progress for resource: ${functionArn}`);
  }

  /** AWS answers 409 for a call the function's state does not allow yet (Pending); so do we. */
  static state(state: string): ResourceConflictException {
    return new ResourceConflictException(`The operation cannot be performed at this time. The function is currently in the following state: ${state}`);
  }
}

export class InvalidParameterValueException extends awsErrorCode('InvalidParameterValueException', 400) {
  /** The message AWS gives for a role that is missing or does not trust lambda.amazonaws.com (or not yet). */
  static roleCannotBeAssumed(): InvalidParameterValueException {
    return new InvalidParameterValueException('The role defined for the function cannot be assumed by Lambda.');
  }
}

/** Model constraint failures, all of a request's at once (core/constraints.ts). */
export class ValidationException extends constraintErrorCode('ValidationException', 400) {}

/** An unreadable body, or a member of the wrong JSON type. */
export class InvalidRequestContentException extends awsErrorCode('InvalidRequestContentException', 400) {}

/** AWS: 413 `Request must be smaller than 6291456 bytes for the InvokeFunction operation`. */
export class RequestEntityTooLargeException extends awsErrorCode('RequestEntityTooLargeException', 413) {
  constructor(limit: number, operation: string) {
    super(`Request must be smaller than ${limit} bytes for the ${operation} operation`);
  }
}

export class TooManyRequestsException extends awsErrorCode('TooManyRequestsException', 429) {
  constructor() {
    super('Rate exceeded', { Reason: 'CallerRateLimitExceeded' }, { 'Retry-After': '1' });
  }
}

export class PreconditionFailedException extends awsErrorCode('PreconditionFailedException', 412) {
  constructor() {
    super('The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id');
  }
}

/** AWS: 502 InvalidRuntimeException. Only Node.js and OS-only runtimes run in the local cloud. */
export class InvalidRuntimeException extends awsErrorCode('InvalidRuntimeException', 502) {
  constructor(runtime: string) {
    super(`The runtime ${runtime} cannot run in the local cloud: only Node.js runtimes (nodejs18.x and later) and OS-only runtimes (provided.al2, provided.al2023) are executed locally.`);
  }
}

export class ServiceException extends awsErrorCode('ServiceException', 500) {}
