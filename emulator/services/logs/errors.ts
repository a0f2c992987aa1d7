// CloudWatch Logs' errors, one class per AWS error code, named as the code, with AWS's exact message and status
// (all 400: Logs answers even a missing resource with 400). Serialised by the router in JSON 1.1 shape.
import { Constraint, constraintErrorCode } from '../../core/constraints.js';
import { awsErrorCode } from '../../core/errors.js';

export class ResourceNotFoundException extends awsErrorCode('ResourceNotFoundException', 400) {
  static logGroup(): ResourceNotFoundException {
    return new ResourceNotFoundException('The specified log group does not exist.');
  }

  static logStream(): ResourceNotFoundException {
    return new ResourceNotFoundException('The specified log stream does not exist.');
  }
}

export class ResourceAlreadyExistsException extends awsErrorCode('ResourceAlreadyExistsException', 400) {
  static logGroup(): ResourceAlreadyExistsException {
    return new ResourceAlreadyExistsException('The specified log group already exists');
  }

  static logStream(): ResourceAlreadyExistsException {
    return new ResourceAlreadyExistsException('The specified log stream already exists');
  }
}

/** Logs words a broken member constraint (core/constraints.ts) under this code, as well as its own rules. */
export class InvalidParameterException extends constraintErrorCode('InvalidParameterException', 400) {
  static missing(member: string): InvalidParameterException {
    return InvalidParameterException.violated(member, null, Constraint.notNull);
  }
}

/** Logs' answer to a few request-shape rules (a log group named both by name and by ARN). */
export class ValidationException extends awsErrorCode('ValidationException', 400) {}

/** What Logs answers for an X-Amz-Target it does not know (no message, like AWS). */
export class UnknownOperationException extends awsErrorCode('UnknownOperationException', 400) {
  constructor() {
    super('');
  }
}

/** Logs' throttling error, used by the fault injector. */
export class ThrottlingException extends awsErrorCode('ThrottlingException', 400) {
  constructor() {
    super('Rate exceeded');
  }
}

/** A log group would carry more than 50 tags. */
export class TooManyTagsException extends awsErrorCode('TooManyTagsException', 400) {
  static of(resourceName: string): TooManyTagsException {
    return new TooManyTagsException('A resource can have no more than 50 tags.', { resourceName });
  }
}
