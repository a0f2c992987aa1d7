// The one parse of a request's SigV4 credential: the Authorization header or the presigned query, read once,
// strictly, by AWS's grammar. Routing (which service), verification (is the signature right) and authorisation
// (who is calling) all take the value parseSigV4Credential returns; none of them reads the header again, so they
// cannot disagree on who signed. It knows no secret and decides nothing about whether the key is valid.
import { AuthFailure } from './auth.js';

/** SigV4's only algorithm the local cloud speaks (SigV4A and SigV2 are refused as unsupported). */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

/** A request's SigV4 credential, as it was sent: well-formed, not yet verified. */
export interface SigV4Credential {
  /** `header`: the Authorization header; `query`: a presigned URL's X-Amz-* parameters. */
  readonly form: 'header' | 'query';
  readonly accessKeyId: string;
  /** The credential scope: `<date>/<region>/<service>/aws4_request`. */
  readonly scope: { readonly date: string; readonly region: string; readonly service: string };
  /** Lower-case header names, in the order sent. */
  readonly signedHeaders: readonly string[];
  /** 64 lower-case hex digits. */
  readonly signature: string;
  /** The presigned query's own fields (query form only). */
  readonly presigned?: {
    readonly amzDate: string;
    readonly expiresSeconds: number;
    readonly securityToken?: string;
    readonly contentSha256?: string;
  };
}

/** A presigned URL may be valid for at most seven days. */
export const MAX_PRESIGN_SECONDS = 604_800;

/** The query parameters that make a request presigned: any one of them means the query carries SigV4. */
const PRESIGN_MARKERS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Signature'] as const;
/** Every query parameter presigning defines; each may appear at most once. */
const PRESIGN_PARAMETERS = [...PRESIGN_MARKERS, 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-Security-Token', 'X-Amz-Content-Sha256'] as const;
const HEADER_FIELDS = ['Credential', 'SignedHeaders', 'Signature'] as const;

// Access key ids are `[A-Z0-9]{16,128}` at AWS; local users sign with `test` or `thumbctl-local`, so any printable
// ASCII but the separators of the header and the scope (`/`, `,`, `;`, `=`) is accepted, within AWS's length.
const ACCESS_KEY_ID = /^[!-+\--.0-:<>-~]{1,128}$/;
const SCOPE_DATE = /^(\d{4})(\d{2})(\d{2})$/;
const REGION = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const SERVICE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** An HTTP header name (RFC 9110 token), lower-case as SigV4 signs it. */
const SIGNED_HEADER = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const SIGNATURE = /^[0-9a-f]{64}$/i;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** A header field: `Name=value`, the value without whitespace, `,` or `=`. */
const HEADER_FIELD = /^([A-Za-z][A-Za-z0-9-]*)=([^\s,=]+)$/;
/** What separates the algorithm from the fields (at least one space) and the fields from each other. */
const AFTER_ALGORITHM = /^[ \t]+/;
const FIELD_SEPARATOR = /[ \t]*,[ \t]*/;

/**
 * Parses the SigV4 credential of a request, strictly.
 * @param headers - lower-case header names to every value received (node's rawHeaders, not its merged view)
 * @param query - the query parameters decoded once, in order (parseRawQuery)
 * @returns the credential, or undefined when the request carries no SigV4 at all (no Authorization header and
 *   no presigning parameter)
 * @throws AuthFailure `malformed`, `malformed-query` or `unsupported` for anything else: a second Authorization
 *   header, both forms at once, a missing, repeated or unknown field, a scope or signature out of grammar
 */
export function parseSigV4Credential(headers: ReadonlyMap<string, readonly string[]>, query: readonly (readonly [string, string])[]): SigV4Credential | undefined {
  const authorization = headers.get('authorization');
  const presigned = query.some(([name]) => (PRESIGN_MARKERS as readonly string[]).includes(name));
  if (authorization !== undefined && presigned) {
    // AWS answers this (S3: InvalidArgument naming both); as malformed here.
    throw new AuthFailure('malformed', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified');
  }
  if (authorization !== undefined) {
    if (authorization.length !== 1) throw new AuthFailure('malformed', 'Only one Authorization header is allowed');
    return parseAuthorizationHeader(authorization[0]!);
  }
  return presigned ? parsePresignedQuery(query) : undefined;
}

/** `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, SignedHeaders=a;b, Signature=<hex>`. */
function parseAuthorizationHeader(value: string): SigV4Credential {
  const trimmed = value.trim();
  const algorithmEnd = trimmed.search(/[ \t]/);
  const algorithm = algorithmEnd === -1 ? trimmed : trimmed.slice(0, algorithmEnd);
  // The algorithm is case-sensitive at AWS: `aws4-hmac-sha256` is not it.
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new AuthFailure('unsupported', `The authorization mechanism you have provided is not supported. Please use ${SIGV4_ALGORITHM}.`);
  }
  const rest = trimmed.slice(algorithm.length);
  if (!AFTER_ALGORITHM.test(rest)) throw malformedHeader(`Authorization header requires 'Credential', 'SignedHeaders', 'Signature' parameter(s). Authorization=${SIGV4_ALGORITHM}`);
  const fields = new Map<string, string>();
  for (const part of rest.replace(AFTER_ALGORITHM, '').split(FIELD_SEPARATOR)) {
    const match = HEADER_FIELD.exec(part);
    if (!match) throw malformedHeader(`'${clip(part)}' is not a valid Name=value field of the Authorization header`);
    const [, name, fieldValue] = match as unknown as [string, string, string];
    if (!(HEADER_FIELDS as readonly string[]).includes(name)) throw malformedHeader(`'${clip(name)}' is not a field of the Authorization header (only Credential, SignedHeaders and Signature are)`);
    if (fields.has(name)) throw malformedHeader(`'${name}' appears more than once in the Authorization header`);
    fields.set(name, fieldValue);
  }
  const missing = HEADER_FIELDS.filter((name) => !fields.has(name));
  if (missing.length > 0) {
    throw malformedHeader(`Authorization header requires ${missing.map((name) => `'${name}'`).join(', ')} parameter(s). Authorization=${SIGV4_ALGORITHM}`);
  }
  const { accessKeyId, scope } = parseCredentialScope(fields.get('Credential')!, 'malformed');
  return {
    form: 'header',
    accessKeyId,
    scope,
    signedHeaders: parseSignedHeaders(fields.get('SignedHeaders')!, 'malformed'),
    signature: parseSignature(fields.get('Signature')!, 'malformed'),
  };
}

/** A presigned URL: X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders and -Signature, each exactly once. */
function parsePresignedQuery(query: readonly (readonly [string, string])[]): SigV4Credential {
  const values = new Map<string, string>();
  for (const [name, value] of query) {
    if (!(PRESIGN_PARAMETERS as readonly string[]).includes(name)) continue;
    if (values.has(name)) throw new AuthFailure('malformed-query', `${name} must appear once in a presigned request`);
    values.set(name, value);
  }
  const algorithm = values.get('X-Amz-Algorithm');
  if (algorithm !== undefined && algorithm !== SIGV4_ALGORITHM) throw new AuthFailure('unsupported', `X-Amz-Algorithm only supports "${SIGV4_ALGORITHM}"`);
  const required = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'];
  if (required.some((name) => !values.has(name))) {
    throw new AuthFailure(
      'malformed-query',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const { accessKeyId, scope } = parseCredentialScope(values.get('X-Amz-Credential')!, 'malformed-query');
  const amzDate = values.get('X-Amz-Date')!;
  if (!isAmzDate(amzDate)) throw new AuthFailure('malformed-query', `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`, accessKeyId);
  const expires = values.get('X-Amz-Expires')!;
  // AWS's words for each way an expiry is out of bounds (quoted from its answers in aws/aws-cli#5464,
  // minio/minio-js#1312, catalyst/moodle-tool_objectfs#270); so ours. 0 passes all three (a number, not
  // negative, under a week): such a URL is valid until the second it was signed, so it is answered as expired.
  if (!/^-?\d+$/.test(expires)) throw new AuthFailure('malformed-query', 'X-Amz-Expires should be a number', accessKeyId);
  if (expires.startsWith('-')) throw new AuthFailure('malformed-query', 'X-Amz-Expires must be non-negative', accessKeyId);
  if (!/^\d{1,7}$/.test(expires) || Number(expires) > MAX_PRESIGN_SECONDS) {
    throw new AuthFailure(
      'malformed-query',
      `X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than ${MAX_PRESIGN_SECONDS} seconds`,
      accessKeyId,
    );
  }
  const securityToken = values.get('X-Amz-Security-Token');
  const contentSha256 = values.get('X-Amz-Content-Sha256');
  return {
    form: 'query',
    accessKeyId,
    scope,
    signedHeaders: parseSignedHeaders(values.get('X-Amz-SignedHeaders')!, 'malformed-query'),
    signature: parseSignature(values.get('X-Amz-Signature')!, 'malformed-query'),
    presigned: {
      amzDate,
      expiresSeconds: Number(expires),
      ...(securityToken !== undefined ? { securityToken } : {}),
      ...(contentSha256 !== undefined ? { contentSha256 } : {}),
    },
  };
}

type MalformedKind = 'malformed' | 'malformed-query';

/** `<access key>/<yyyymmdd>/<region>/<service>/aws4_request`, exactly five parts. */
function parseCredentialScope(credential: string, kind: MalformedKind): Pick<SigV4Credential, 'accessKeyId' | 'scope'> {
  const parts = credential.split('/');
  const [accessKeyId = '', date = '', region = '', service = '', terminator] = parts;
  const knownKey = ACCESS_KEY_ID.test(accessKeyId) ? accessKeyId : undefined;
  if (parts.length !== 5 || !knownKey || !isCalendarDate(date) || !REGION.test(region) || !SERVICE.test(service) || terminator !== 'aws4_request') {
    throw new AuthFailure(kind, `Credential should be scoped to a valid region and service, and end in aws4_request: '${clip(credential)}'`, knownKey);
  }
  return { accessKeyId, scope: { date, region, service } };
}

/** `host;x-amz-date`: lower-case header names, none empty, none twice. */
function parseSignedHeaders(value: string, kind: MalformedKind): string[] {
  const names = value.split(';');
  if (names.some((name) => !SIGNED_HEADER.test(name)) || new Set(names).size !== names.length) {
    throw new AuthFailure(kind, `SignedHeaders is malformed: '${clip(value)}'`);
  }
  return names;
}

function parseSignature(value: string, kind: MalformedKind): string {
  if (!SIGNATURE.test(value)) throw new AuthFailure(kind, 'Signature must be 64 hexadecimal digits');
  return value.toLowerCase();
}

function malformedHeader(detail: string): AuthFailure {
  return new AuthFailure('malformed', detail);
}

function isCalendarDate(value: string): boolean {
  const match = SCOPE_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isAmzDate(value: string): boolean {
  const match = AMZ_DATE.exec(value);
  return match !== null && isCalendarDate(value.slice(0, 8)) && Number(match[4]) < 24 && Number(match[5]) < 60 && Number(match[6]) < 61;
}

/** Echo at most this much of what a client sent back in an error message. */
function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

// ------------------------------------------------------------------------------------------ S3's payload hash

/** What S3 accepts in `x-amz-content-sha256` besides a hex SHA-256 of the body. */
export const PAYLOAD_HASH_MARKERS = [
  'UNSIGNED-PAYLOAD',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD',
  'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER',
] as const;

/**
 * Checks S3's declared payload hash (`x-amz-content-sha256`, or a presigned URL's X-Amz-Content-Sha256): a hex
 * SHA-256 or one of PAYLOAD_HASH_MARKERS. Anything else would sign the request with a value that checks nothing,
 * so it is refused, never taken for "unsigned".
 * @throws AuthFailure `bad-payload-hash` (S3 answers 400 InvalidArgument)
 */
export function checkDeclaredPayloadHash(headers: ReadonlyMap<string, readonly string[]>, credential: SigV4Credential | undefined): void {
  const values = headers.get('x-amz-content-sha256');
  if (values !== undefined) {
    // A repeated header is judged as SigV4 joins it: one value with a comma, which is none of the valid ones.
    const value = values.join(',').trim();
    if (!isDeclaredPayloadHash(value)) throw new AuthFailure('bad-payload-hash', clip(value));
  }
  const fromQuery = credential?.presigned?.contentSha256;
  if (fromQuery !== undefined && !isDeclaredPayloadHash(fromQuery)) throw new AuthFailure('bad-payload-hash', clip(fromQuery));
}

export function isDeclaredPayloadHash(value: string): boolean {
  return /^[0-9a-f]{64}$/i.test(value) || (PAYLOAD_HASH_MARKERS as readonly string[]).includes(value);
}
