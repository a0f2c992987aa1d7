// SigV4 verification for `local serve --require-auth`: recomputes a request's signature from what arrived on
// the wire (header form and presigned-query form) and names the failure in each protocol's own AWS error. The
// credential itself (key, scope, signed headers, signature) is parsed once, by credential.ts, not here.
// The secret behind an access key comes from a lookup (the configured key, keys the local cloud issued); this
// module holds no keys. It does not verify aws-chunked per-chunk signatures, only the seed signature that
// signs the request head; and it authenticates only: what a caller may do (IAM policies) is decided elsewhere.
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { AwsError } from './errors.js';
import type { SigV4Credential } from './credential.js';
import { decodeOrKeep } from './http.js';
import type { RoleSession } from './authorize.js';
import type { ServiceName } from './routing.js';

/** What the verifier needs to know about a key: its secret, and for temporary keys the session token. */
export interface KnownCredential {
  secretAccessKey: string;
  /** Temporary credentials (STS, function environments) must come with this token. */
  sessionToken?: string;
  /** Epoch milliseconds after which the credential is refused with ExpiredToken. */
  expiresAt?: number;
}

export type CredentialLookup = (accessKeyId: string) => KnownCredential | undefined;

/** The parts of a request SigV4 covers, exactly as they arrived. */
export interface SignedRequest {
  method: string;
  /** The request target as sent: path and query, still percent-encoded. */
  rawTarget: string;
  /** Lower-case header names to every value received for them (node's rawHeaders, not its merged view). */
  headers: Map<string, string[]>;
  body: Buffer;
}

export type AuthFailureKind =
  | 'missing'
  | 'malformed'
  | 'malformed-query'
  | 'bad-payload-hash'
  | 'unsupported'
  | 'unknown-key'
  | 'signature'
  | 'skewed'
  | 'expired-url'
  | 'bad-token'
  | 'expired-token';

/** Why a request was refused; `authError` turns it into the right protocol's AWS error. */
export class AuthFailure extends Error {
  constructor(
    readonly kind: AuthFailureKind,
    detail: string,
    readonly accessKeyId?: string,
    readonly stringToSign?: string,
  ) {
    super(detail);
    this.name = 'AuthFailure';
  }
}

/** AWS refuses a header-signed request whose X-Amz-Date is more than 15 minutes from its own clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/**
 * Verifies a request's SigV4 signature.
 * @param request - the request as received
 * @param credential - its credential, as parseSigV4Credential read it (undefined: the request carries none); the
 *   same value routing and authorisation use, never parsed again here
 * @param lookup - the secret (and session token) behind an access key, or undefined for a key we do not know
 * @param now - the current time in epoch milliseconds
 * @returns the access key that signed the request
 * @throws AuthFailure naming what is wrong
 */
export function verifySigV4(request: SignedRequest, credential: SigV4Credential | undefined, lookup: CredentialLookup, now = Date.now()): { accessKeyId: string } {
  if (credential === undefined) throw new AuthFailure('missing', 'Request is missing Authentication Token');
  const [path = '/', rawQuery = ''] = splitTarget(request.rawTarget);
  const query = parseRawQuery(rawQuery);
  const presigned = credential.presigned;
  const { accessKeyId, scope, signedHeaders, signature } = credential;

  const known = lookup(accessKeyId);
  if (!known) throw new AuthFailure('unknown-key', 'The AWS Access Key Id you provided does not exist in our records.', accessKeyId);

  let amzDate: string;
  if (presigned === undefined) {
    const fromHeaders = single(request.headers, 'x-amz-date') ?? dateHeaderAsAmzDate(single(request.headers, 'date'));
    if (fromHeaders === undefined) throw new AuthFailure('malformed', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", accessKeyId);
    amzDate = fromHeaders;
    const signedAt = parseAmzDate(amzDate);
    if (signedAt === undefined) throw new AuthFailure('malformed', `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`, accessKeyId);
    if (Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) {
      throw new AuthFailure('skewed', `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - MAX_CLOCK_SKEW_MS)}`, accessKeyId);
    }
  } else {
    amzDate = presigned.amzDate;
    const signedAt = parseAmzDate(amzDate)!;
    if (now >= signedAt + presigned.expiresSeconds * 1000) throw new AuthFailure('expired-url', 'Request has expired', accessKeyId);
    if (signedAt - now > MAX_CLOCK_SKEW_MS) throw new AuthFailure('skewed', 'Request is not valid yet', accessKeyId);
  }
  if (amzDate.slice(0, 8) !== scope.date) {
    throw new AuthFailure('malformed', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${amzDate.slice(0, 8)}'`, accessKeyId);
  }

  // Temporary credentials are only valid with their session token, and only until they expire.
  const token = presigned === undefined ? single(request.headers, 'x-amz-security-token') : presigned.securityToken;
  if (known.sessionToken !== undefined && token !== known.sessionToken) {
    throw new AuthFailure('bad-token', 'The security token included in the request is invalid.', accessKeyId);
  }
  if (known.expiresAt !== undefined && now >= known.expiresAt) {
    throw new AuthFailure('expired-token', 'The security token included in the request is expired', accessKeyId);
  }
  if (!signedHeaders.includes('host')) {
    throw new AuthFailure('signature', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", accessKeyId);
  }

  const canonicalQuery = canonicalQueryString(presigned === undefined ? query : query.filter(([name]) => name !== 'X-Amz-Signature'));
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${canonicalHeaderValue(request.headers.get(name) ?? [])}\n`).join('');
  const signingKey = deriveSigningKey(known.secretAccessKey, scope.date, scope.region, scope.service);
  const scopeText = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  let firstStringToSign: string | undefined;
  // S3 signs the path as sent; every other service normalises it and encodes it once more (as the SDKs and
  // botocore do). Only the service's own form is tried: accepting both would let a signature for S3 key
  // `a%20b` or `x` be replayed on key `a b` or `y/../x`. Presigned URLs may leave the payload unsigned.
  const canonicalUri = scope.service === 's3' ? path : doubleEncodedPath(path);
  for (const payloadHash of uniq(payloadHashes(request, credential))) {
    const canonicalRequest = [request.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders.join(';'), payloadHash].join('\n');
    const stringToSign = [ALGORITHM, amzDate, scopeText, sha256Hex(canonicalRequest)].join('\n');
    firstStringToSign ??= stringToSign;
    const expected = createHmac('sha256', signingKey).update(stringToSign).digest();
    if (timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return { accessKeyId };
  }
  throw new AuthFailure(
    'signature',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    accessKeyId,
    firstStringToSign,
  );
}

/** The payload hash the client may have signed. */
function payloadHashes(request: SignedRequest, credential: SigV4Credential): string[] {
  const presigned = credential.form === 'query';
  const declared = presigned ? credential.presigned?.contentSha256 : single(request.headers, 'x-amz-content-sha256');
  const actual = request.body.length === 0 ? EMPTY_SHA256 : sha256Hex(request.body);
  if (credential.scope.service === 's3') {
    // S3 signs whatever x-amz-content-sha256 says (a hex digest the S3 router then checks against the body,
    // UNSIGNED-PAYLOAD, or a STREAMING-* marker whose chunks carry their own signatures; checkDeclaredPayloadHash
    // has refused anything else before verification); presigned URLs sign UNSIGNED-PAYLOAD.
    if (declared !== undefined) return [declared];
    return presigned ? ['UNSIGNED-PAYLOAD', actual] : [actual];
  }
  // Every other service signs the body's real hash: a changed body is a bad signature.
  return presigned ? [actual, 'UNSIGNED-PAYLOAD'] : [actual];
}

// ------------------------------------------------------------------------------------------ canonical forms

/** A request target's query parameters as SigV4 reads them (decoded once, in order): what credential.ts parses. */
export function rawQueryPairs(rawTarget: string): [string, string][] {
  return parseRawQuery(splitTarget(rawTarget)[1]);
}

function splitTarget(rawTarget: string): [string, string] {
  let target = rawTarget;
  // Absolute-form targets (`GET http://host/path`) sign the path only.
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/';
  const question = target.indexOf('?');
  return question === -1 ? [target, ''] : [target.slice(0, question), target.slice(question + 1)];
}

/** Query parameters decoded once, in order; a malformed escape is kept as it was sent. */
export function parseRawQuery(rawQuery: string): [string, string][] {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((piece) => piece !== '')
    .map((piece) => {
      const equals = piece.indexOf('=');
      const name = equals === -1 ? piece : piece.slice(0, equals);
      const value = equals === -1 ? '' : piece.slice(equals + 1);
      return [decodeOrKeep(name), decodeOrKeep(value)];
    });
}

function canonicalQueryString(params: [string, string][]): string {
  return params
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** SigV4's canonical header value: values trimmed, inner runs of spaces collapsed, repeats joined by commas. */
function canonicalHeaderValue(values: string[]): string {
  return values.map((value) => value.trim().replace(/\s+/g, ' ')).join(',');
}

/**
 * The canonical URI non-S3 services sign: dot segments and empty segments removed, then every segment
 * percent-encoded again (the path on the wire is already encoded once), as the SDKs and botocore do.
 */
export function doubleEncodedPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalised = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return uriEncode(normalised).replace(/%2F/g, '/');
}

/** RFC 3986 encoding, everything but unreserved characters: as SigV4 wants it, and as IAM returns policy documents. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function single(headers: Map<string, string[]>, name: string): string | undefined {
  const values = headers.get(name);
  return values === undefined ? undefined : values.join(',');
}

function uniq(values: string[]): string[] {
  return [...new Set(values)];
}

// ------------------------------------------------------------------------------------------ crypto and time

export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const dateKey = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  const regionKey = createHmac('sha256', dateKey).update(region).digest();
  const serviceKey = createHmac('sha256', regionKey).update(service).digest();
  return createHmac('sha256', serviceKey).update('aws4_request').digest();
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `20260101T120000Z` (SigV4's X-Amz-Date) as epoch milliseconds; undefined when it is not in that form. */
export function parseAmzDate(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6]));
  return Number.isFinite(ms) ? ms : undefined;
}

function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function dateHeaderAsAmzDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? formatAmzDate(ms) : undefined;
}

// ------------------------------------------------------------------------------------------ issued credentials

/** Credentials the local cloud hands out itself, which `--require-auth` accepts alongside the configured key. */
export interface IssuedCredential {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/**
 * Keys the local cloud issued at run time (function environments' credentials), kept in memory: they die with
 * the process, as the environments do. Each stands for a role session (the function's role, the session named
 * after the function), which IAM enforcement reads back. STS's own temporary keys live in its store.
 */
export class CredentialRegistry {
  private readonly issued = new Map<string, KnownCredential & { session: RoleSession }>();

  /**
   * Issues a fresh temporary key for a role session and remembers it.
   * @param session - the role session the key stands for; a bare role ARN means a session of that role named
   *   after it, evaluated against whichever role has that name
   */
  issue(session: RoleSession | string): IssuedCredential {
    if (typeof session === 'string') {
      const roleName = session.slice(session.lastIndexOf('/') + 1);
      const accountId = /^arn:aws[\w-]*:iam::(\d{12}):/.exec(session)?.[1] ?? '000000000000';
      session = { accountId, roleArn: session, roleName, roleId: undefined, sessionName: roleName };
    }
    const credential: IssuedCredential = {
      accessKeyId: `ASIA${randomKeyChars(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
    };
    this.issued.set(credential.accessKeyId, { secretAccessKey: credential.secretAccessKey, sessionToken: credential.sessionToken, session });
    return credential;
  }

  /** Forgets a key (an environment was retired). */
  revoke(accessKeyId: string): void {
    this.issued.delete(accessKeyId);
  }

  /** True when the local cloud issued this access key and has not revoked it. */
  isIssuedCredential(accessKeyId: string): boolean {
    return this.issued.has(accessKeyId);
  }

  /** The ARN of the role an issued key stands for. */
  principalOf(accessKeyId: string): string | undefined {
    return this.issued.get(accessKeyId)?.session.roleArn;
  }

  /** The role session an issued key stands for. */
  sessionOf(accessKeyId: string): RoleSession | undefined {
    return this.issued.get(accessKeyId)?.session;
  }

  lookup(accessKeyId: string): KnownCredential | undefined {
    const found = this.issued.get(accessKeyId);
    if (!found) return undefined;
    const { session: _session, ...credential } = found;
    return credential;
  }
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomKeyChars(count: number): string {
  let text = '';
  for (let i = 0; i < count; i++) text += KEY_ALPHABET[randomInt(KEY_ALPHABET.length)];
  return text;
}

// ------------------------------------------------------------------------------------------ protocol errors

const SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid.';
const BAD_PAYLOAD_HASH_MESSAGE =
  'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.';

/**
 * The AWS error each service answers a failed authentication with. S3 speaks its own codes; the Query
 * services (IAM, STS) and the JSON services (Logs, X-Ray, Lambda) each have theirs, and the JSON 1.1 service
 * (Logs) answers 400 where the REST services answer 403.
 */
export function authError(service: ServiceName, failure: AuthFailure): AwsError {
  // S3 Control signs and authenticates as S3 does, and answers in S3's words.
  if (service === 's3' || service === 's3control') return s3AuthError(failure);
  const query = service === 'iam' || service === 'sts';
  const clientStatus = service === 'logs' ? 400 : 403;
  switch (failure.kind) {
    case 'missing':
      return query
        ? new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403)
        : new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', clientStatus);
    case 'malformed':
    case 'malformed-query':
    case 'bad-payload-hash':
    case 'unsupported':
      return new AwsError(query ? 'IncompleteSignature' : 'IncompleteSignatureException', failure.message, 400);
    case 'unknown-key':
    case 'bad-token':
      return query ? new AwsError('InvalidClientTokenId', INVALID_TOKEN_MESSAGE, 403) : new AwsError('UnrecognizedClientException', INVALID_TOKEN_MESSAGE, clientStatus);
    case 'expired-token':
      return query
        ? new AwsError('ExpiredToken', 'The security token included in the request is expired', 403)
        : new AwsError('ExpiredTokenException', 'The security token included in the request is expired', clientStatus);
    case 'skewed':
    case 'expired-url':
      return query ? new AwsError('SignatureDoesNotMatch', failure.message, 403) : new AwsError('InvalidSignatureException', failure.message, clientStatus);
    case 'signature':
      return query ? new AwsError('SignatureDoesNotMatch', SIGNATURE_MESSAGE, 403) : new AwsError('InvalidSignatureException', SIGNATURE_MESSAGE, clientStatus);
  }
}

function s3AuthError(failure: AuthFailure): AwsError {
  const key: Record<string, string> = failure.accessKeyId !== undefined ? { AWSAccessKeyId: failure.accessKeyId } : {};
  switch (failure.kind) {
    case 'missing':
      return new AwsError('AccessDenied', 'Access Denied', 403);
    case 'malformed':
      return new AwsError('AuthorizationHeaderMalformed', `The authorization header is malformed; ${failure.message}`, 400);
    case 'malformed-query':
      return new AwsError('AuthorizationQueryParametersError', failure.message, 400);
    case 'bad-payload-hash':
      // AWS answers a garbage x-amz-content-sha256 so, naming the header and echoing the value; so do we.
      return new AwsError('InvalidArgument', BAD_PAYLOAD_HASH_MESSAGE, 400, { ArgumentName: 'x-amz-content-sha256', ArgumentValue: failure.message });
    case 'unsupported':
      return new AwsError('InvalidRequest', failure.message, 400);
    case 'unknown-key':
      return new AwsError('InvalidAccessKeyId', failure.message, 403, key);
    case 'bad-token':
      return new AwsError('InvalidToken', 'The provided token is malformed or otherwise invalid.', 400);
    case 'expired-token':
      return new AwsError('ExpiredToken', 'The provided token has expired.', 400);
    case 'skewed':
      return new AwsError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403);
    case 'expired-url':
      return new AwsError('AccessDenied', 'Request has expired', 403);
    case 'signature':
      // S3 also returns the string it signed, which helps whoever debugs a client; it holds no secret.
      return new AwsError(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        403,
        { ...key, ...(failure.stringToSign !== undefined ? { StringToSign: failure.stringToSign } : {}) },
      );
  }
}
