// Lambda's errors with AWS's exact codes, messages and statuses, and their REST-JSON form (via the shared
// json-protocol helpers): the status, `x-amzn-ErrorType: <Code>`, `{"Type":"User","message","Message"}`,
// plus the few extra body fields and headers some Lambda errors carry (Reason, Retry-After).
import { AwsError } from '../../core/errors.js';
import type { ServiceResponse } from '../../core/http.js';
import { jsonErrorResponse } from '../../core/json-protocol.js';

export class LambdaError extends AwsError {
  /**
   * @param code - AWS's error code, e.g. `ResourceNotFoundException`
   * @param message - AWS's message text
   * @param status - the HTTP status AWS answers with
   * @param fields - extra body fields (`Reason` of TooManyRequestsException), AwsError's `extra`
   * @param headers - extra response headers (`Retry-After`)
   */
  constructor(
    code: string,
    message: string,
    status: number,
    fields: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message, status, fields);
  }
}

/** AWS: 404 `Function not found: <arn>`. */
export function functionNotFound(functionArn: string): LambdaError {
  return new LambdaError('ResourceNotFoundException', `Function not found: ${functionArn}`, 404);
}

export function resourceNotFound(message = 'The resource you requested does not exist.'): LambdaError {
  return new LambdaError('ResourceNotFoundException', message, 404);
}

export function resourceConflict(message: string): LambdaError {
  return new LambdaError('ResourceConflictException', message, 409);
}

/** AWS answers 409 while an update is in progress; so do we. */
export function updateInProgress(functionArn: string): LambdaError {
  return resourceConflict(`The operation cannot be performed at this time. An update is in progress for resource: ${functionArn}`);
}

export function stateConflict(state: string): LambdaError {
  return resourceConflict(`The operation cannot be performed at this time. The function is currently in the following state: ${state}`);
}

export function invalidParameter(message: string): LambdaError {
  return new LambdaError('InvalidParameterValueException', message, 400);
}

/** The message AWS gives for a role that is missing or does not trust lambda.amazonaws.com (or not yet). */
export function roleCannotBeAssumed(): LambdaError {
  return invalidParameter('The role defined for the function cannot be assumed by Lambda.');
}

/** Smithy-style constraint failures: `1 validation error detected: Value '64' at 'memorySize' failed to ...`. */
export function validationErrors(problems: string[]): LambdaError {
  const count = problems.length;
  return new LambdaError('ValidationException', `${count} validation error${count === 1 ? '' : 's'} detected: ${problems.join('; ')}`, 400);
}

export function invalidRequestContent(message: string): LambdaError {
  return new LambdaError('InvalidRequestContentException', message, 400);
}

/** AWS: 413 `Request must be smaller than 6291456 bytes for the InvokeFunction operation`. */
export function requestTooLarge(limit: number, operation: string): LambdaError {
  return new LambdaError('RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes for the ${operation} operation`, 413);
}

export function tooManyRequests(): LambdaError {
  return new LambdaError('TooManyRequestsException', 'Rate exceeded', 429, { Reason: 'CallerRateLimitExceeded' }, { 'Retry-After': '1' });
}

export function preconditionFailed(): LambdaError {
  return new LambdaError(
    'PreconditionFailedException',
    'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
    412,
  );
}

/** AWS: 502 InvalidRuntimeException. Only Node.js and OS-only runtimes run in the local cloud. */
export function runtimeNotRunnable(runtime: string): LambdaError {
  return new LambdaError(
    'InvalidRuntimeException',
    `The runtime ${runtime} cannot run in the local cloud: only Node.js runtimes (nodejs18.x and later) and OS-only runtimes (provided.al2, provided.al2023) are executed locally.`,
    502,
  );
}

export function serviceError(message: string): LambdaError {
  return new LambdaError('ServiceException', message, 500);
}

/** Any AwsError (ours or the core's NotImplemented) in Lambda's REST-JSON error form. */
export function toRestJsonError(error: AwsError): ServiceResponse {
  const response = jsonErrorResponse('rest-json', error);
  if (error instanceof LambdaError) response.headers = { ...response.headers, ...error.headers };
  return response;
}
