// S3 Control's errors, one class per AWS error code (named as the code) with AWS's status, and their wire form:
// `<ErrorResponse><Error><Code/><Message/></Error><RequestId/><HostId/></ErrorResponse>`, the wrapped REST-XML form S3
// Control answers in (S3 itself answers a bare `<Error>`). Where AWS documents no wording, the message says what
// is wrong in AWS's style, and a comment says the wording is ours.
import { awsErrorCode, type AwsError } from '../../core/errors.js';
import type { ServiceResponse } from '../../core/http.js';
import { escapeXml } from '../s3/xml.js';

/** A request S3 Control refuses as malformed: a member missing, out of range or of the wrong form. */
export class InvalidRequest extends awsErrorCode('InvalidRequest', 400) {}

export class NoSuchJobException extends awsErrorCode('NoSuchJobException', 404) {
  /** AWS names this error in its troubleshooting guide ("The specified job does not exist"), 404. */
  static job(): NoSuchJobException {
    return new NoSuchJobException('The specified job does not exist');
  }
}

export class JobStatusException extends awsErrorCode('JobStatusException', 400) {
  /** A status change the job's current status does not allow (UpdateJobStatus). The wording is ours. */
  static transition(from: string, to: string): JobStatusException {
    return new JobStatusException(`A job in status ${from} cannot be moved to ${to}`);
  }
}

export class IdempotencyException extends awsErrorCode('IdempotencyException', 409) {
  /** The same ClientRequestToken with a different request: CreateJob is idempotent per token. The wording is ours. */
  static tokenReused(): IdempotencyException {
    return new IdempotencyException('The ClientRequestToken was already used with a different request');
  }
}

export class AccessDenied extends awsErrorCode('AccessDenied', 403) {
  /** Another account's id in x-amz-account-id: S3 Control answers AccessDenied, 403; so do we. */
  static otherAccount(): AccessDenied {
    return new AccessDenied('Access Denied');
  }
}

export class InvalidNextTokenException extends awsErrorCode('InvalidNextTokenException', 400) {
  /** A ListJobs NextToken this cloud did not issue. */
  static token(): InvalidNextTokenException {
    return new InvalidNextTokenException('The continuation token provided is invalid');
  }
}

/** S3 Control's throttling error, raised by the fault injector. */
export class TooManyRequestsException extends awsErrorCode('TooManyRequestsException', 429) {
  constructor() {
    super('Please reduce your request rate.');
  }
}

/** A body that is not the XML the operation takes. AWS answers MalformedXML, 400; so do we. */
export class MalformedXML extends awsErrorCode('MalformedXML', 400) {
  constructor() {
    super('The XML you provided was not well-formed or did not validate against our published schema');
  }
}

export class MethodNotAllowed extends awsErrorCode('MethodNotAllowed', 405) {
  /** A method and path that name no S3 Control operation at all (one we do not model is NotImplemented). */
  static request(method: string, path: string): MethodNotAllowed {
    return new MethodNotAllowed(`The specified method is not allowed against this resource: ${method} ${path}`);
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
