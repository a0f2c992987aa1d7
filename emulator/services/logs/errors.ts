// CloudWatch Logs' errors, one class per AWS error code with AWS's exact message and status (all 400: Logs
// answers even a missing resource with 400). Serialised by the router in JSON 1.1 shape.
import { AwsError } from '../../core/errors.js';

export class ResourceNotFoundException extends AwsError {
  private constructor(message: string) {
    super('ResourceNotFoundException', message, 400);
  }

  static logGroup(): ResourceNotFoundException {
    return new ResourceNotFoundException('The specified log group does not exist.');
  }

  static logStream(): ResourceNotFoundException {
    return new ResourceNotFoundException('The specified log stream does not exist.');
  }
}

export class ResourceAlreadyExistsException extends AwsError {
  private constructor(message: string) {
    super('ResourceAlreadyExistsException', message, 400);
  }

  static logGroup(): ResourceAlreadyExistsException {
    return new ResourceAlreadyExistsException('The specified log group already exists');
  }

  static logStream(): ResourceAlreadyExistsException {
    return new ResourceAlreadyExistsException('The specified log stream already exists');
  }
}

export class InvalidParameterException extends AwsError {
  constructor(message: string) {
    super('InvalidParameterException', message, 400);
  }

  /** AWS's wording for a member that breaks its model constraint (the Coral validation message). */
  static constraint(value: unknown, member: string, constraint: string): InvalidParameterException {
    const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
    return new InvalidParameterException(`1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
  }

  static missing(member: string): InvalidParameterException {
    return InvalidParameterException.constraint(undefined, member, 'Member must not be null');
  }
}

/** What Logs answers for an X-Amz-Target it does not know (no message, like AWS). */
export class UnknownOperationException extends AwsError {
  constructor() {
    super('UnknownOperationException', '', 400);
  }
}

/** Logs' throttling error, used by the fault injector. */
export class ThrottlingException extends AwsError {
  constructor() {
    super('ThrottlingException', 'Rate exceeded', 400);
  }
}

/** A log group would carry more than 50 tags. */
export class TooManyTagsException extends AwsError {
  constructor(resourceName: string) {
    super('TooManyTagsException', 'A resource can have no more than 50 tags.', 400, { resourceName });
  }
}
