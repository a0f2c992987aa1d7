// S3's errors, one class per AWS error code with AWS's exact code, message and status, and their wire
// form: `<Error><Code/><Message/>...<Resource/><RequestId/></Error>` (HEAD answers carry no body).
// Messages are AWS's own text, including its punctuation; where we differ on purpose, a comment says so. Each class
// is named as its code (`awsErrorCode`, core/errors.ts); a code with several messages has a static factory per message.
import { awsErrorCode, type AwsError } from '../../core/errors.js';
import type { ServiceResponse } from '../../core/http.js';
import { escapeXml } from './xml.js';

export class NoSuchBucket extends awsErrorCode('NoSuchBucket', 404) {
  constructor(bucket: string) {
    super('The specified bucket does not exist', { BucketName: bucket });
  }
}

export class NoSuchKey extends awsErrorCode('NoSuchKey', 404) {
  /** @param headers - with a delete marker as the key's latest version: `x-amz-delete-marker` and its version id */
  constructor(key: string, headers: Record<string, string> = {}) {
    super('The specified key does not exist.', { Key: key }, headers);
  }
}

export class NoSuchVersion extends awsErrorCode('NoSuchVersion', 404) {
  constructor(key: string, versionId: string) {
    super('The specified version does not exist.', { Key: key, VersionId: versionId });
  }
}

export class BucketAlreadyOwnedByYou extends awsErrorCode('BucketAlreadyOwnedByYou', 409) {
  constructor(bucket: string) {
    super('Your previous request to create the named bucket succeeded and you already own it.', {
      BucketName: bucket,
    });
  }
}

export class BucketNotEmpty extends awsErrorCode('BucketNotEmpty', 409) {
  constructor(bucket: string) {
    super('The bucket you tried to delete is not empty', { BucketName: bucket });
  }
}

export class InvalidBucketName extends awsErrorCode('InvalidBucketName', 400) {
  constructor(bucket: string) {
    super('The specified bucket is not valid.', { BucketName: bucket });
  }
}

export class InvalidLocationConstraint extends awsErrorCode('InvalidLocationConstraint', 400) {
  constructor(constraint: string) {
    super('The specified location-constraint is not valid', { LocationConstraint: constraint });
  }
}

export class IllegalLocationConstraintException extends awsErrorCode('IllegalLocationConstraintException', 400) {
  constructor(constraint: string | undefined) {
    super(
      `The ${constraint ?? 'unspecified'} location constraint is incompatible for the region specific endpoint this request was sent to.`,
    );
  }
}

export class InvalidArgument extends awsErrorCode('InvalidArgument', 400) {
  constructor(message: string, argumentName?: string, argumentValue?: string) {
    const extra: Record<string, string> = {};
    if (argumentName !== undefined) extra.ArgumentName = argumentName;
    if (argumentValue !== undefined) extra.ArgumentValue = argumentValue;
    super(message, extra);
  }

  /** Notification destinations S3 could not validate; AWS numbers the failing ones ArgumentName1, ArgumentValue1, ... */
  static unvalidatedDestinations(failures: { arn: string; reason: string }[]): InvalidArgument {
    const error = new InvalidArgument('Unable to validate the following destination configurations');
    failures.forEach((failure, index) => {
      error.extra[`ArgumentName${index + 1}`] = failure.arn;
      error.extra[`ArgumentValue${index + 1}`] = failure.reason;
    });
    return error;
  }
}

export class InvalidRequest extends awsErrorCode('InvalidRequest', 400) {
  constructor(message: string) {
    super(message);
  }

  /** A multipart checksum type the algorithm does not allow (FULL_OBJECT with SHA, COMPOSITE with CRC64NVME). */
  static checksumTypeNotAllowed(type: string, algorithm: string): InvalidRequest {
    return new InvalidRequest(`The ${type} checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`);
  }

  /** A checksum of another algorithm than the one the multipart upload was created with. */
  static checksumAlgorithmMismatch(expected: string, actual: string): InvalidRequest {
    return new InvalidRequest(`Checksum Type mismatch occurred, expected checksum Type: ${expected.toLowerCase()}, actual checksum Type: ${actual.toLowerCase()}`);
  }
}

export class BadDigest extends awsErrorCode('BadDigest', 400) {
  /** @param algorithm - undefined for Content-MD5, else the `x-amz-checksum-*` algorithm that did not match */
  constructor(algorithm?: string) {
    super(
      algorithm === undefined
        ? 'The Content-MD5 you specified did not match what we received.'
        : `The ${algorithm} you specified did not match the calculated checksum.`,
    );
  }
}

export class InvalidDigest extends awsErrorCode('InvalidDigest', 400) {
  constructor(algorithm?: string) {
    super(
      algorithm === undefined ? 'The Content-MD5 you specified is not valid.' : `The ${algorithm} you specified is not valid.`,
    );
  }
}

export class XAmzContentSHA256Mismatch extends awsErrorCode('XAmzContentSHA256Mismatch', 400) {
  constructor(clientSha256: string, computedSha256: string) {
    super("The provided 'x-amz-content-sha256' header does not match what was computed.", {
      ClientComputedContentSHA256: clientSha256,
      S3ComputedContentSHA256: computedSha256,
    });
  }
}

export class IncompleteBody extends awsErrorCode('IncompleteBody', 400) {
  constructor() {
    super('You did not provide the number of bytes specified by the Content-Length HTTP header');
  }
}

export class MissingContentLength extends awsErrorCode('MissingContentLength', 411) {
  constructor() {
    super('You must provide the Content-Length HTTP header.');
  }
}

export class InvalidRange extends awsErrorCode('InvalidRange', 416) {
  constructor(range: string, size: number) {
    super('The requested range is not satisfiable', { RangeRequested: range, ActualObjectSize: String(size) });
  }
}

/** S3's NotImplemented for a header value it does not take (core's NotImplemented names a missing operation). */
export class NotImplemented extends awsErrorCode('NotImplemented', 501) {
  private constructor(header: string, additionalMessage: string) {
    super('A header you provided implies functionality that is not implemented', { Header: header, additionalMessage });
  }

  /** A write's If-None-Match other than `*` (LocalStack's recordings of AWS). */
  static ifNoneMatchValue(): NotImplemented {
    return new NotImplemented('If-None-Match', "We don't accept the provided value of If-None-Match header for this API");
  }

  /** A write with both If-Match and If-None-Match (LocalStack's recordings of AWS). */
  static bothConditions(): NotImplemented {
    return new NotImplemented('If-Match,If-None-Match', 'Multiple conditional request headers present in the request');
  }
}

export class PreconditionFailed extends awsErrorCode('PreconditionFailed', 412) {
  constructor(condition: string) {
    super('At least one of the pre-conditions you specified did not hold', { Condition: condition });
  }
}

export class NoSuchUpload extends awsErrorCode('NoSuchUpload', 404) {
  constructor(uploadId: string) {
    super(
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      { UploadId: uploadId },
    );
  }
}

export class InvalidPart extends awsErrorCode('InvalidPart', 400) {
  /** @param uploadId - undefined for a GET/HEAD of a part the object does not have */
  constructor(uploadId: string | undefined, partNumber: number, etag: string) {
    super(
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      { ...(uploadId === undefined ? {} : { UploadId: uploadId }), PartNumber: String(partNumber), ETag: etag },
    );
  }
}

export class InvalidPartOrder extends awsErrorCode('InvalidPartOrder', 400) {
  constructor(uploadId: string) {
    super('The list of parts was not in ascending order. Parts must be ordered by part number.', {
      UploadId: uploadId,
    });
  }
}

export class EntityTooSmall extends awsErrorCode('EntityTooSmall', 400) {
  constructor(size: number, minimum: number) {
    super('Your proposed upload is smaller than the minimum allowed object size.', {
      ProposedSize: String(size),
      MinSizeAllowed: String(minimum),
    });
  }
}

export class EntityTooLarge extends awsErrorCode('EntityTooLarge', 400) {
  constructor(size: number, maximum: number) {
    super('Your proposed upload exceeds the maximum allowed size', {
      ProposedSize: String(size),
      MaxSizeAllowed: String(maximum),
    });
  }
}

export class KeyTooLongError extends awsErrorCode('KeyTooLongError', 400) {
  constructor(size: number, maximum: number) {
    super('Your key is too long', { Size: String(size), MaxSizeAllowed: String(maximum) });
  }
}

export class MalformedXML extends awsErrorCode('MalformedXML', 400) {
  constructor() {
    super('The XML you provided was not well-formed or did not validate against our published schema');
  }
}

export class InvalidURI extends awsErrorCode('InvalidURI', 400) {
  constructor(uri: string) {
    super("Couldn't parse the specified URI.", { URI: uri });
  }
}

export class AccessDenied extends awsErrorCode('AccessDenied', 403) {
  constructor(message = 'Access Denied', fields: Record<string, string> = {}) {
    super(message, fields);
  }

  /** An expired presigned URL: AWS names when it expired, its own time and the URL's X-Amz-Expires (LocalStack's recordings); so do we. */
  static expired(expiresAt: number, now: number, expiresSeconds: number): AccessDenied {
    const second = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return new AccessDenied('Request has expired', { 'X-Amz-Expires': String(expiresSeconds), Expires: second(expiresAt), ServerTime: second(now) });
  }
}

export class InvalidBucketOwnerAWSAccountID extends awsErrorCode('InvalidBucketOwnerAWSAccountID', 400) {
  constructor() {
    super('The value of the expected bucket owner parameter must be an AWS Account ID...');
  }
}

export class BadRequest extends awsErrorCode('BadRequest', 400) {
  /** A CORS preflight (OPTIONS) without Origin, in AWS's words (LocalStack's recordings). */
  static originNeeded(): BadRequest {
    return new BadRequest('Insufficient information. Origin request header needed.');
  }
}

export class AccessForbidden extends awsErrorCode('AccessForbidden', 403) {
  /** A CORS preflight AWS refuses: no CORS configuration (none is emulated) or no such bucket (LocalStack's recordings). */
  constructor(reason: 'CORS is not enabled for this bucket.' | 'Bucket not found', method: string) {
    super(`CORSResponse: ${reason}`, { Method: method, ResourceType: 'BUCKET' });
  }
}

export class MethodNotAllowed extends awsErrorCode('MethodNotAllowed', 405) {
  constructor(method: string, resourceType: 'SERVICE' | 'BUCKET' | 'OBJECT' | 'DeleteMarker', headers: Record<string, string> = {}) {
    super('The specified method is not allowed against this resource.', { Method: method, ResourceType: resourceType }, headers);
  }

  /** A GET or HEAD of a delete marker by its version id: AWS answers 405, naming the marker in headers; so do we. */
  static deleteMarker(versionId: string): MethodNotAllowed {
    return new MethodNotAllowed('GET', 'DeleteMarker', { 'x-amz-delete-marker': 'true', 'x-amz-version-id': versionId, allow: 'DELETE' });
  }
}

export class NoSuchPublicAccessBlockConfiguration extends awsErrorCode('NoSuchPublicAccessBlockConfiguration', 404) {
  constructor(bucket: string) {
    super('The public access block configuration was not found', { BucketName: bucket });
  }
}

export class NoSuchTagSet extends awsErrorCode('NoSuchTagSet', 404) {
  constructor(bucket: string) {
    super('The TagSet does not exist', { BucketName: bucket });
  }
}

export class InvalidTag extends awsErrorCode('InvalidTag', 400) {
  constructor(message: string, tagKey?: string) {
    super(message, tagKey === undefined ? {} : { TagKey: tagKey });
  }
}

export class SlowDown extends awsErrorCode('SlowDown', 503) {
  constructor() {
    super('Please reduce your request rate.');
  }
}

/**
 * The S3 wire form of any AwsError (ours or core's). HEAD answers have no body, as in S3, so clients
 * see only the status there.
 * @param resource - the request path, reported as `<Resource>`
 */
export function s3ErrorResponse(error: AwsError, options: { method: string; resource: string; requestId: string; hostId: string }): ServiceResponse {
  const headers: Record<string, string> = { ...error.headers, 'x-amz-id-2': options.hostId };
  if (options.method === 'HEAD') return { status: error.status, headers };
  const extra = Object.entries(error.extra)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>${extra}` +
    `<Resource>${escapeXml(options.resource)}</Resource><RequestId>${escapeXml(options.requestId)}</RequestId>` +
    `<HostId>${escapeXml(options.hostId)}</HostId></Error>`;
  return { status: error.status, headers: { ...headers, 'content-type': 'application/xml' }, body };
}

/** S3's catch-all 500, e.g. for a state directory that lost a blob behind our back. */
export class InternalError extends awsErrorCode('InternalError', 500) {
  constructor(detail: string) {
    super('We encountered an internal error. Please try again.');
    this.stack = `${this.stack ?? ''}\n${detail}`;
  }
}

export class MalformedTrailerError extends awsErrorCode('MalformedTrailerError', 400) {
  constructor() {
    super('The request contained trailing data that was not well-formed or did not conform to our published schema.');
  }
}

export class MetadataTooLarge extends awsErrorCode('MetadataTooLarge', 400) {
  constructor(size: number, maximum: number) {
    super('Your metadata headers exceed the maximum allowed metadata size', {
      Size: String(size),
      MaxSizeAllowed: String(maximum),
    });
  }
}
