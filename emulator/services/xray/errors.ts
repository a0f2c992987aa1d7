// X-Ray's errors, one class per AWS error code, named as the code, with AWS's status. X-Ray reports nearly every
// client mistake as InvalidRequestException (400, REST-JSON's malformed-request error, shared from
// core/json-protocol.ts); the router serialises them in REST-JSON shape.
import { awsErrorCode } from '../../core/errors.js';
import { InvalidRequestException } from '../../core/json-protocol.js';

export { InvalidRequestException };

/** X-Ray's throttling error (429), used by the fault injector. */
export class ThrottledException extends awsErrorCode('ThrottledException', 429) {
  constructor() {
    super('Rate exceeded');
  }
}

/** What a path that is no X-Ray operation at all gets (an X-Ray operation we lack is NotImplemented). */
export class UnknownOperationException extends awsErrorCode('UnknownOperationException', 404) {
  constructor(path: string) {
    super(`Unknown operation: POST ${path}`);
  }
}
