// X-Ray's errors, one class per AWS error code with AWS's status. X-Ray reports nearly every client
// mistake as InvalidRequestException (400); the router serialises them in REST-JSON shape.
import { AwsError } from '../../core/errors.js';

export class InvalidRequestException extends AwsError {
  constructor(message: string) {
    super('InvalidRequestException', message, 400);
  }
}

/** X-Ray's throttling error (429), used by the fault injector. */
export class ThrottledException extends AwsError {
  constructor() {
    super('ThrottledException', 'Rate exceeded', 429);
  }
}

/** What a path that is no X-Ray operation at all gets (an X-Ray operation we lack is NotImplemented). */
export class UnknownOperationException extends AwsError {
  constructor(path: string) {
    super('UnknownOperationException', `Unknown operation: POST ${path}`, 404);
  }
}
