// S3 Control's errors, one class per AWS error code (named as the code) with AWS's status, and their wire form:
// `<ErrorResponse><Error><Code/><Message/></Error><RequestId/><HostId/></ErrorResponse>`, the wrapped REST-XML form S3
// Control answers in (S3 itself answers a bare `<Error>`). Where AWS documents no wording, the message says what
// is wrong in AWS's style, and a comment says the wording is ours.
import { AwsError } from '../../core/errors.js';
import type { ServiceResponse } from '../../core/http.js';
import { escapeXml } from '../s3/xml.js';

/** A request S3 Control refuses as malformed: a member missing, out of range or of the wrong form. */
export class InvalidRequest extends AwsError {
  constructor(message: string) {
    super('InvalidRequest', message, 400);
  }
}

/** AWS names this error in its troubleshooting guide ("The specified job does not exist"), 404. */
export class NoSuchJobException extends AwsError {
  constructor() {
    super('NoSuchJobException', 'The specified job does not exist', 404);
  }
}

/** A status change the job's current status does not allow (UpdateJobStatus). The wording is ours. */
export class JobStatusException extends AwsError {
  constructor(from: string, to: string) {
    super('JobStatusException', `A job in status ${from} cannot be moved to ${to}`, 400);
  }
}

/** The same ClientRequestToken with a different request: CreateJob is idempotent per token. The wording is ours. */
export class IdempotencyException extends AwsError {
  constructor() {
    super('IdempotencyException', 'The ClientRequestToken was already used with a different request', 409);
  }
}

/** Another account's id in x-amz-account-id: S3 Control answers AccessDenied, 403; so do we. */
export class AccessDenied extends AwsError {
  constructor() {
    super('AccessDenied', 'Access Denied', 403);
  }
}

/** A ListJobs NextToken this cloud did not issue. */
export class InvalidNextTokenException extends AwsError {
  constructor() {
    super('InvalidNextTokenException', 'The continuation token provided is invalid', 400);
  }
}

/** S3 Control's throttling error, raised by the fault injector. */
export class TooManyRequestsException extends AwsError {
  constructor() {
    super('TooManyRequestsException', 'Please reduce your request rate.', 429);
  }
}

/** A body that is not the XML the operation takes. AWS answers MalformedXML, 400; so do we. */
export class MalformedXML extends AwsError {
  constructor() {
    super('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
  }
}

/** A method and path that name no S3 Control operation at all (one we do not model is NotImplemented). */
export class MethodNotAllowed extends AwsError {
  constructor(method: string, path: string) {
    super('MethodNotAllowed', `The specified method is not allowed against this resource: ${method} ${path}`, 405);
  }
}

/** S3 Control's wire form of any error, wrapped as AWS wraps it; HEAD answers carry no body. */
export function s3ControlErrorResponse(error: AwsError, options: { method: string; requestId: string; hostId: string }): ServiceResponse {
  const headers: Record<string, string> = { 'x-amz-id-2': options.hostId };
  if (options.method === 'HEAD') return { status: error.status, headers };
  const extra = Object.entries(error.extra)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<ErrorResponse><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>${extra}</Error>` +
    `<RequestId>${escapeXml(options.requestId)}</RequestId><HostId>${escapeXml(options.hostId)}</HostId></ErrorResponse>`;
  return { status: error.status, headers: { ...headers, 'content-type': 'application/xml' }, body };
}
