// The browser boundary: what a web page open in this machine's browser could make the browser send to the local
// cloud is refused before any router runs — a Host that does not name this machine (DNS rebinding), an Origin not
// opted into with --allow-origin, a cross-site Sec-Fetch-Site on anything but an S3 read, and any request with no
// SigV4 at all other than S3 GET and HEAD — and the origins opted into get a real CORS answer. It authenticates
// nothing: a signed request passes here whoever signed it (verifying that is --require-auth's job).
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { AwsError } from './errors.js';
import type { ServiceName } from './routing.js';

/** Who the boundary lets in, decided once when the cloud starts. */
export interface BrowserBoundary {
  /** Host names and IP literals served besides loopback, `localhost` and their subdomains (canonical, lower-case). */
  readonly hosts: ReadonlySet<string>;
  /** Origins opted into (`--allow-origin`), exactly as a browser writes them; `*` for any. */
  readonly origins: ReadonlySet<string> | '*';
}

/** A bad `--allow-origin` value; its message is one line for the person who typed it. */
export class AllowOriginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AllowOriginError';
  }
}

/**
 * The boundary of a cloud bound to `bindHost`. Bound to a wildcard address (`0.0.0.0`, `::`), it also answers
 * to this machine's interface addresses and host name, as read now.
 * @param allowOrigins - `--allow-origin` values: exact origins, or `*`
 * @throws AllowOriginError for a value that is not an origin
 */
export function browserBoundary(bindHost: string, allowOrigins: readonly string[] = []): BrowserBoundary {
  const hosts = new Set<string>();
  const bound = canonicalHost(bindHost);
  if (bound !== undefined) hosts.add(bound);
  if (bound === '0.0.0.0' || bound === '::') {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) {
        const canonical = canonicalHost(address.address.replace(/%.*$/, ''));
        if (canonical !== undefined) hosts.add(canonical);
      }
    }
    const machine = canonicalHost(hostname());
    if (machine !== undefined) hosts.add(machine);
  }
  const origins = allowOrigins.map(normaliseAllowedOrigin);
  return { hosts, origins: origins.includes('*') ? '*' : new Set(origins) };
}

/**
 * An `--allow-origin` value as browsers write the Origin header: `scheme://host[:port]`, http or https, no path.
 * `*` stays `*`. A trailing `/` is forgiven; anything else that is not an origin is refused.
 */
export function normaliseAllowedOrigin(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new AllowOriginError(`--allow-origin must be an origin like http://localhost:5173 (or *), not "${value}"`);
  }
  // No patterns: browsers send one exact origin, so `http://*.example.com` would silently match nothing.
  const hostPart = /^[a-z0-9-]+(\.[a-z0-9-]+)*$|^\[[0-9a-f:.]+\]$/.test(url.hostname);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !hostPart || url.origin !== trimmed.replace(/\/$/, '').toLowerCase() || url.username || url.password) {
    throw new AllowOriginError(`--allow-origin must be an origin like http://localhost:5173: scheme, host and port only, not "${value}"`);
  }
  return url.origin;
}

/** The parts of a request the boundary judges: its head only, never its body. */
export interface BoundaryRequest {
  method: string;
  /** Every Host header value sent (normally one). */
  hosts: readonly string[];
  /** The authority of an absolute-form request target (`GET http://name/ HTTP/1.1`), if any. */
  targetAuthority?: string;
  /** Every Origin header value sent. */
  origins: readonly string[];
  secFetchSite?: string;
  /** `Access-Control-Request-Method` / `-Headers` / `-Private-Network` of a preflight. */
  requestMethod?: string;
  requestHeaders?: string;
  requestPrivateNetwork?: string;
  /** The service the request is for, from its head. */
  service: ServiceName;
  /** The request path as sent (still percent-encoded). */
  path: string;
  /** True when it carries SigV4 (an Authorization header or presigning parameters), well-formed or not. */
  signed: boolean;
}

export type BoundaryRefusal = 'host' | 'origin' | 'fetch-site' | 'unsigned';

export type BoundaryDecision =
  | { verdict: 'admit'; /** An allowed cross-origin caller, whose responses carry CORS headers. */ origin?: string }
  | { verdict: 'preflight'; headers: Record<string, string> }
  | { verdict: 'refuse'; reason: BoundaryRefusal; error: AwsError; /** Set when an allowed origin should read the refusal. */ origin?: string };

const READS = new Set(['GET', 'HEAD']);
/** Lambda's code download, GetFunction's Code.Location: a presigned S3 URL at AWS, so a read anyone holding it may make. */
const LAMBDA_CODE_DOWNLOAD = /^\/2015-03-31\/code-download\/[^/]+$/;

/** An S3 read, or a read of what S3 serves at AWS: what a link, an <img> or curl may fetch without a signature. */
function isObjectRead(request: BoundaryRequest): boolean {
  return READS.has(request.method) && (request.service === 's3' || (request.service === 'lambda' && LAMBDA_CODE_DOWNLOAD.test(request.path)));
}

/**
 * Judges one request, in this order: Host (DNS rebinding), Origin (and a CORS preflight), Sec-Fetch-Site, and
 * whether it is signed at all.
 */
export function judgeRequest(request: BoundaryRequest, boundary: BrowserBoundary): BoundaryDecision {
  const refuse = (reason: BoundaryRefusal, message: string): BoundaryDecision => ({ verdict: 'refuse', reason, error: boundaryError(request.service, reason, message) });

  // A page on another name that its DNS now points at 127.0.0.1 still sends its own name as Host.
  const names = [...request.hosts, ...(request.targetAuthority !== undefined ? [request.targetAuthority] : [])];
  for (const name of names) {
    if (!isServedHost(name, boundary)) {
      return refuse('host', `Host '${clip(name)}' is not served by this local cloud: it answers only to this machine's names (localhost, *.localhost, loopback addresses and the --host it was started with)`);
    }
  }
  if (request.hosts.length > 1) return refuse('host', 'A request must carry one Host header');

  // Browsers send Origin on every cross-origin request but simple GETs (and on same-origin POSTs): an origin no
  // one opted into is a web page acting on its own. `Origin: null` (sandboxes, file: pages) is no exception.
  const origin = request.origins.length === 1 ? request.origins[0] : undefined;
  if (request.origins.length > 1) return refuse('origin', 'A request must carry at most one Origin header');
  const allowedOrigin = origin !== undefined && isAllowedOrigin(origin, boundary) ? origin : undefined;
  if (origin !== undefined && allowedOrigin === undefined) {
    return refuse('origin', `cross-origin requests are refused by the local cloud; start it with --allow-origin <origin> to allow one (this one came from '${clip(origin)}')`);
  }
  if (allowedOrigin !== undefined && request.method === 'OPTIONS' && request.requestMethod !== undefined) {
    return { verdict: 'preflight', headers: preflightHeaders(allowedOrigin, request) };
  }

  // Fetch Metadata: what a page on another site made the browser send. Without an allowed Origin such a request
  // may only read S3 (an <img> of a presigned URL, a link to an object); anything else is refused even if it
  // carries a signature, since a page can forge one with any key when signatures are not verified.
  const site = request.secFetchSite?.trim().toLowerCase();
  if (allowedOrigin === undefined && (site === 'cross-site' || site === 'same-site') && !isObjectRead(request)) {
    return refuse('fetch-site', `${site} requests from a web page are refused by the local cloud (Sec-Fetch-Site: ${site}); start it with --allow-origin <origin> to allow a web app`);
  }

  // A web page can make the browser send a POST with a text/plain or form body (no preflight) but never a SigV4
  // signature without a preflight: every unsigned request but an anonymous S3 read is refused.
  if (!request.signed && !isObjectRead(request)) {
    const message = 'requests without a SigV4 signature are refused by the local cloud (only S3 GET and HEAD may be anonymous); sign them as the AWS SDKs and CLI do';
    return { verdict: 'refuse', reason: 'unsigned', error: boundaryError(request.service, 'unsigned', message), ...(allowedOrigin !== undefined ? { origin: allowedOrigin } : {}) };
  }
  return allowedOrigin !== undefined ? { verdict: 'admit', origin: allowedOrigin } : { verdict: 'admit' };
}

/**
 * The refusal in the service's own words: S3's and the Query services' AccessDenied, the JSON services'
 * AccessDeniedException, 403; for an unsigned request what AWS answers one with (as --require-auth does).
 */
export function boundaryError(service: ServiceName, reason: BoundaryRefusal, message: string): AwsError {
  const query = service === 'iam' || service === 'sts';
  const s3Family = service === 's3' || service === 's3control';
  if (reason === 'unsigned' && !s3Family) {
    // AWS answers an unsigned Query or JSON request with MissingAuthenticationToken (Logs, a JSON 1.1 service,
    // with 400 where the others answer 403); so do we, saying why.
    return new AwsError(query ? 'MissingAuthenticationToken' : 'MissingAuthenticationTokenException', message, service === 'logs' ? 400 : 403);
  }
  return new AwsError(s3Family || query ? 'AccessDenied' : 'AccessDeniedException', message, 403);
}

// ------------------------------------------------------------------------------------------ hosts

/** True when a Host header value (name or IP literal, with or without a port) names this machine. */
export function isServedHost(hostHeader: string, boundary: BrowserBoundary): boolean {
  const name = canonicalHost(stripPort(hostHeader.trim()) ?? '');
  if (name === undefined || name === '') return false;
  if (boundary.hosts.has(name)) return true;
  const family = isIP(name);
  if (family === 4) return name.startsWith('127.');
  if (family === 6) return name === '::1' || /^::ffff:127\./.test(name) || /^::ffff:7f[0-9a-f]{2}:/.test(name);
  // `localhost.localstack.cloud` is a public name that resolves to 127.0.0.1: LocalStack's clients (and its
  // `<bucket>.s3.localhost.localstack.cloud` virtual hosts) use it, and no one else can answer for it.
  return name === 'localhost' || name.endsWith('.localhost') || name === 'localhost.localstack.cloud' || name.endsWith('.localhost.localstack.cloud');
}

/** `name:port`, `[v6]:port`, `name` or a bare IPv6 literal, without the port; undefined when malformed. */
function stripPort(value: string): string | undefined {
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close === -1) return undefined;
    const rest = value.slice(close + 1);
    return rest === '' || /^:\d{1,5}$/.test(rest) ? value.slice(1, close) : undefined;
  }
  if (isIP(value) === 6) return value;
  const colon = value.indexOf(':');
  if (colon === -1) return value;
  return /^:\d{1,5}$/.test(value.slice(colon)) ? value.slice(0, colon) : undefined;
}

/** Lower-case, without a trailing dot; IPv6 literals compressed as URL writes them. Undefined for what is no host. */
function canonicalHost(value: string): string | undefined {
  const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  const name = bare.toLowerCase().replace(/\.$/, '');
  if (isIP(name) === 6) {
    try {
      return new URL(`http://[${name}]/`).hostname.slice(1, -1);
    } catch {
      return undefined;
    }
  }
  if (isIP(name) === 4) return name;
  return /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name) ? name : undefined;
}

// ------------------------------------------------------------------------------------------ CORS

function isAllowedOrigin(origin: string, boundary: BrowserBoundary): boolean {
  return boundary.origins === '*' || boundary.origins.has(origin);
}

const ALLOWED_METHODS = 'GET, HEAD, PUT, POST, DELETE, PATCH';
/** How long a browser may cache a preflight answer (Chrome caps it at two hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;
/** What every answer lets a page read, beyond the CORS-safelisted headers; plus each answer's own x-amz-* headers. */
const EXPOSED_HEADERS = [
  'ETag',
  'Content-Length',
  'Content-Range',
  'Content-Disposition',
  'Content-Encoding',
  'Accept-Ranges',
  'Location',
  'x-amz-request-id',
  'x-amz-id-2',
  'x-amz-version-id',
  'x-amz-delete-marker',
  'x-amz-bucket-region',
  'x-amz-server-side-encryption',
  'x-amz-checksum-crc32',
  'x-amz-checksum-crc32c',
  'x-amz-checksum-crc64nvme',
  'x-amz-checksum-sha1',
  'x-amz-checksum-sha256',
  'x-amz-checksum-type',
  'x-amz-function-error',
  'x-amz-log-result',
  'x-amz-executed-version',
  'x-amzn-requestid',
  'x-amzn-errortype',
  'x-amzn-trace-id',
];
/** A list of header names as Access-Control-Request-Headers carries it. */
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+([ \t]*,[ \t]*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

function preflightHeaders(origin: string, request: BoundaryRequest): Record<string, string> {
  const requested = request.requestHeaders?.trim();
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': ALLOWED_METHODS,
    // The page asks for the headers SigV4 needs (authorization, x-amz-date, x-amz-content-sha256, x-amz-*...):
    // whatever well-formed list it asks for is allowed, since the signature, not the header name, is the check.
    ...(requested && HEADER_LIST.test(requested) ? { 'access-control-allow-headers': requested } : {}),
    'access-control-expose-headers': EXPOSED_HEADERS.join(', '),
    'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
    // Chrome's Private Network Access asks before a public origin reaches a loopback server; the origin was opted into.
    ...(request.requestPrivateNetwork?.trim().toLowerCase() === 'true' ? { 'access-control-allow-private-network': 'true' } : {}),
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    'content-length': '0',
  };
}

/**
 * The CORS headers of an actual answer to an allowed origin: the origin echoed, the fixed exposed list plus every
 * `x-amz-*` header this answer carries (user metadata included), and `Vary: Origin`.
 */
export function corsResponseHeaders(origin: string, responseHeaders: Record<string, string | number> = {}): Record<string, string> {
  const own = Object.keys(responseHeaders).filter((name) => /^x-amzn?-/i.test(name));
  const exposed = [...new Set([...EXPOSED_HEADERS, ...own].map((name) => name.toLowerCase()))];
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': exposed.join(', '), vary: 'Origin' };
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

// ------------------------------------------------------------------------------------------ the cloud log

/** At most this many refusal lines per window reach the cloud log; a page can send refusals as fast as it likes. */
const REFUSAL_LINES_PER_WINDOW = 20;
const REFUSAL_WINDOW_MS = 10_000;

/**
 * Writes refusals to the cloud log, without flooding it: past REFUSAL_LINES_PER_WINDOW in a window, lines are
 * counted, and the count is written with the next line that is let through.
 */
export class RefusalLog {
  private windowStart = 0;
  private written = 0;
  private suppressed = 0;

  constructor(
    private readonly log: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  write(line: string): void {
    const now = this.now();
    if (now - this.windowStart >= REFUSAL_WINDOW_MS) {
      this.windowStart = now;
      this.written = 0;
    }
    if (this.written >= REFUSAL_LINES_PER_WINDOW) {
      this.suppressed += 1;
      return;
    }
    this.written += 1;
    const dropped = this.suppressed > 0 ? ` (${this.suppressed} earlier refusals not logged)` : '';
    this.suppressed = 0;
    this.log(`${line}${dropped}`);
  }
}

/** One log line for a refusal: what was asked, by which Host and Origin, and why; never a query or a header's secret. */
export function refusalLine(request: { method: string; path: string; host?: string; origin?: string; sourceIp?: string }, why: string): string {
  const from = [request.host !== undefined ? `Host ${clip(request.host)}` : undefined, request.origin !== undefined ? `Origin ${clip(request.origin)}` : undefined, request.sourceIp]
    .filter(Boolean)
    .join(', ');
  return `refused ${request.method} ${clip(request.path)}${from ? ` (${from})` : ''}: ${why}`;
}
