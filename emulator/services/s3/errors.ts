// S3's errors, one class per AWS error code with AWS's exact code, message and status, and their wire
// form: `<Error><Code/><Message/>...<Resource/><RequestId/></Error>` (HEAD answers carry no body).
// Messages are AWS's own text, including its punctuation; where we differ on purpose, a comment says so.
import { AwsError } from '../../core/errors.js';
import type { ServiceResponse } from '../../core/http.js';
import { escapeXml } from './xml.js';

export class S3Error extends AwsError {}

export class NoSuchBucketError extends S3Error {
  constructor(bucket: string) {
    super('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
  }
}

export class NoSuchKeyError extends S3Error {
  /** @param headers - with a delete marker as the key's latest version: `x-amz-delete-marker` and its version id */
  constructor(key: string, headers: Record<string, string> = {}) {
    super('NoSuchKey', 'The specified key does not exist.', 404, { Key: key }, headers);
  }
}

export class NoSuchVersionError extends S3Error {
  constructor(key: string, versionId: string) {
    super('NoSuchVersion', 'The specified version does not exist.', 404, { Key: key, VersionId: versionId });
  }
}

/** A GET or HEAD of a delete marker by its version id: AWS answers 405, naming the marker in headers; so do we. */
export class DeleteMarkerMethodNotAllowedError extends S3Error {
  constructor(versionId: string) {
    super('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, { Method: 'GET', ResourceType: 'DeleteMarker' }, {
      'x-amz-delete-marker': 'true',
      'x-amz-version-id': versionId,
      allow: 'DELETE',
    });
  }
}

export class BucketAlreadyOwnedByYouError extends S3Error {
  constructor(bucket: string) {
    super('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, {
      BucketName: bucket,
    });
  }
}

export class BucketNotEmptyError extends S3Error {
  constructor(bucket: string) {
    super('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: bucket });
  }
}

export class InvalidBucketNameError extends S3Error {
  constructor(bucket: string) {
    super('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: bucket });
  }
}

export class InvalidLocationConstraintError extends S3Error {
  constructor(constraint: string) {
    super('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400, { LocationConstraint: constraint });
  }
}

export class IllegalLocationConstraintError extends S3Error {
  constructor(constraint: string | undefined) {
    super(
      'IllegalLocationConstraintException',
      `The ${constraint ?? 'unspecified'} location constraint is incompatible for the region specific endpoint this request was sent to.`,
      400,
    );
  }
}

export class InvalidArgumentError extends S3Error {
  constructor(message: string, argumentName?: string, argumentValue?: string) {
    const extra: Record<string, string> = {};
    if (argumentName !== undefined) extra.ArgumentName = argumentName;
    if (argumentValue !== undefined) extra.ArgumentValue = argumentValue;
    super('InvalidArgument', message, 400, extra);
  }
}

/** A notification destination S3 could not validate; AWS numbers the failing ones ArgumentName1, ArgumentValue1, ... */
export class UnvalidatedDestinationsError extends S3Error {
  constructor(failures: { arn: string; reason: string }[]) {
    const extra: Record<string, string> = {};
    failures.forEach((failure, index) => {
      extra[`ArgumentName${index + 1}`] = failure.arn;
      extra[`ArgumentValue${index + 1}`] = failure.reason;
    });
    super('InvalidArgument', 'Unable to validate the following destination configurations', 400, extra);
  }
}

export class InvalidRequestError extends S3Error {
  constructor(message: string) {
    super('InvalidRequest', message, 400);
  }
}

/** A multipart checksum type the algorithm does not allow (FULL_OBJECT with SHA, COMPOSITE with CRC64NVME). */
export class ChecksumTypeNotAllowedError extends InvalidRequestError {
  constructor(type: string, algorithm: string) {
    super(`The ${type} checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`);
  }
}

/** A checksum of another algorithm than the one the multipart upload was created with. */
export class ChecksumAlgorithmMismatchError extends InvalidRequestError {
  constructor(expected: string, actual: string) {
    super(`Checksum Type mismatch occurred, expected checksum Type: ${expected.toLowerCase()}, actual checksum Type: ${actual.toLowerCase()}`);
  }
}

export class BadDigestError extends S3Error {
  /** @param algorithm - undefined for Content-MD5, else the `x-amz-checksum-*` algorithm that did not match */
  constructor(algorithm?: string) {
    super(
      'BadDigest',
      algorithm === undefined
        ? 'The Content-MD5 you specified did not match what we received.'
        : `The ${algorithm} you specified did not match the calculated checksum.`,
      400,
    );
  }
}

export class InvalidDigestError extends S3Error {
  constructor(algorithm?: string) {
    super(
      'InvalidDigest',
      algorithm === undefined ? 'The Content-MD5 you specified is not valid.' : `The ${algorithm} you specified is not valid.`,
      400,
    );
  }
}

export class ContentSha256MismatchError extends S3Error {
  constructor(clientSha256: string, computedSha256: string) {
    super('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, {
      ClientComputedContentSHA256: clientSha256,
      S3ComputedContentSHA256: computedSha256,
    });
  }
}

export class IncompleteBodyError extends S3Error {
  constructor() {
    super('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', 400);
  }
}

export class MissingContentLengthError extends S3Error {
  constructor() {
    super('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411);
  }
}

export class InvalidRangeError extends S3Error {
  constructor(range: string, size: number) {
    super('InvalidRange', 'The requested range is not satisfiable', 416, { RangeRequested: range, ActualObjectSize: String(size) });
  }
}

export class PreconditionFailedError extends S3Error {
  constructor(condition: string) {
    super('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: condition });
  }
}

export class NoSuchUploadError extends S3Error {
  constructor(uploadId: string) {
    super(
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      404,
      { UploadId: uploadId },
    );
  }
}

export class InvalidPartError extends S3Error {
  /** @param uploadId - undefined for a GET/HEAD of a part the object does not have */
  constructor(uploadId: string | undefined, partNumber: number, etag: string) {
    super(
      'InvalidPart',
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      400,
      { ...(uploadId === undefined ? {} : { UploadId: uploadId }), PartNumber: String(partNumber), ETag: etag },
    );
  }
}

export class InvalidPartOrderError extends S3Error {
  constructor(uploadId: string) {
    super('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', 400, {
      UploadId: uploadId,
    });
  }
}

export class EntityTooSmallError extends S3Error {
  constructor(size: number, minimum: number) {
    super('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', 400, {
      ProposedSize: String(size),
      MinSizeAllowed: String(minimum),
    });
  }
}

export class EntityTooLargeError extends S3Error {
  constructor(size: number, maximum: number) {
    super('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, {
      ProposedSize: String(size),
      MaxSizeAllowed: String(maximum),
    });
  }
}

export class KeyTooLongError extends S3Error {
  constructor(size: number, maximum: number) {
    super('KeyTooLongError', 'Your key is too long', 400, { Size: String(size), MaxSizeAllowed: String(maximum) });
  }
}

export class MalformedXmlError extends S3Error {
  constructor() {
    super('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
  }
}

export class InvalidUriError extends S3Error {
  constructor(uri: string) {
    super('InvalidURI', "Couldn't parse the specified URI.", 400, { URI: uri });
  }
}

export class AccessDeniedError extends S3Error {
  constructor(message = 'Access Denied') {
    super('AccessDenied', message, 403);
  }
}

export class MethodNotAllowedError extends S3Error {
  constructor(method: string, resourceType: 'SERVICE' | 'BUCKET' | 'OBJECT') {
    super('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, { Method: method, ResourceType: resourceType });
  }
}

export class NoSuchPublicAccessBlockConfigurationError extends S3Error {
  constructor(bucket: string) {
    super('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', 404, { BucketName: bucket });
  }
}

export class NoSuchTagSetError extends S3Error {
  constructor(bucket: string) {
    super('NoSuchTagSet', 'The TagSet does not exist', 404, { BucketName: bucket });
  }
}

export class InvalidTagError extends S3Error {
  constructor(message: string, tagKey?: string) {
    super('InvalidTag', message, 400, tagKey === undefined ? {} : { TagKey: tagKey });
  }
}

export class SlowDownError extends S3Error {
  constructor() {
    super('SlowDown', 'Please reduce your request rate.', 503);
  }
}

/** S3's own NotImplemented code, naming the operation the local cloud lacks. */
export class S3NotImplementedError extends S3Error {
  constructor(operation: string) {
    super('NotImplemented', `The local cloud does not implement ${operation}`, 501);
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
export class InternalError extends S3Error {
  constructor(detail: string) {
    super('InternalError', 'We encountered an internal error. Please try again.', 500);
    this.stack = `${this.stack ?? ''}\n${detail}`;
  }
}

export class MalformedTrailerError extends S3Error {
  constructor() {
    super('MalformedTrailerError', 'The request contained trailing data that was not well-formed or did not conform to our published schema.', 400);
  }
}

export class MetadataTooLargeError extends S3Error {
  constructor(size: number, maximum: number) {
    super('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size', 400, {
      Size: String(size),
      MaxSizeAllowed: String(maximum),
    });
  }
}
