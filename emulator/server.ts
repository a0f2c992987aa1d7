// The local cloud's single HTTP endpoint. It admits each request (the browser boundary and the one parse of its
// SigV4 credential, from the head alone), reads it (within size limits), picks the service, verifies the
// signature when asked to (--require-auth), and hands a parsed request to that service's router; routers own
// their protocol's errors, including the ones raised here. This file knows framing, limits, admission,
// authentication and lifecycle, and nothing of any service's semantics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Transform } from 'node:stream';
import { BlobStore } from './state/blobs.js';
import { openDatabase } from './state/database.js';
import { StateDirectoryLock } from './state/lock.js';
import { describeSweep, sweepStateDirectory } from './state/sweep.js';
import { DiskSpace } from './state/disk-space.js';
import { AuthFailure, authError, CredentialRegistry, rawQueryPairs, verifySigV4, type CredentialLookup, type KnownCredential } from './core/auth.js';
import { boundaryError, browserBoundary, corsResponseHeaders, judgeRequest, RefusalLog, refusalLine, type BrowserBoundary } from './core/boundary.js';
import type { CloudContext, CloudSettings } from './core/context.js';
import { closeIfReaderStalls, ConnectionScheduler } from './core/connections.js';
import { checkDeclaredPayloadHash, parseSigV4Credential, type SigV4Credential } from './core/credential.js';
import { AwsError } from './core/errors.js';
import { FaultInjector } from './core/faults.js';
import { decodeOrKeep, RequestBodyError, type CallerCredentials, type ServiceRequest, type ServiceResponse, type ServiceRouter } from './core/http.js';
import { newRequestId } from './core/ids.js';
import { jsonErrorResponse } from './core/json-protocol.js';
import { callerOf, pickService, type ServiceName } from './core/routing.js';
import { createServices, type CloudServices } from './services/index.js';

/**
 * Largest request body accepted (a single PutObject or an UploadPart, which are streamed to disk, never held);
 * larger ones get the protocol's "too large" error.
 */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;
/**
 * Largest body read whole into memory, by service: what its largest request needs with room to spare. Lambda's
 * code uploads (70,167,211 bytes at AWS; its router answers those in AWS's words), S3's XML bodies
 * (CompleteMultipartUpload of 10,000 parts, DeleteObjects of 1,000 keys: a few MB), JSON and Query bodies (Logs'
 * 1 MB batches, escaped), S3 Control's CreateJob (its largest members, 50 tags and 10 user arguments, come to
 * well under 1 MB). A body past it gets the same "too large" error as one past MAX_BODY_BYTES.
 */
export const MAX_BUFFERED_BODY_BYTES: Readonly<Record<ServiceName, number>> = {
  lambda: 72 * 1024 * 1024,
  s3: 16 * 1024 * 1024,
  iam: 16 * 1024 * 1024,
  sts: 16 * 1024 * 1024,
  logs: 16 * 1024 * 1024,
  xray: 16 * 1024 * 1024,
  s3control: 1024 * 1024,
};
/** Node's own header limit applies to heads (16 KiB by default); we set it explicitly. Larger heads get 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

export interface ServerTimeouts {
  /** A client must send its whole head within this (slowloris); node answers 408 and closes. */
  headersMs: number;
  /** ... and its whole request, body included, within this. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this (longer than the SDKs' own idle timeouts). */
  keepAliveMs: number;
  /** How often node checks the two timeouts above. */
  checkIntervalMs: number;
  /** An answer the client takes nothing of for this long closes its connection (a peer that sends and never reads). */
  sendStallMs: number;
}

export const SERVER_TIMEOUTS: Readonly<ServerTimeouts> = { headersMs: 30_000, requestMs: 120_000, keepAliveMs: 65_000, checkIntervalMs: 5_000, sendStallMs: 60_000 };

/** How much of an oversized body is still read (and dropped) after the error is sent, so the client sees the answer. */
const OVERSIZED_DRAIN_BYTES = 64 * 1024 * 1024;
const OVERSIZED_DRAIN_MS = 2_000;

export interface LocalCloudOptions {
  stateDir: string;
  host?: string;
  port?: number;
  accountId?: string;
  region?: string;
  /** THUMBCTL_LOCAL_FAULTS syntax. */
  faults?: string;
  stateDelayMs?: number;
  /** Where the cloud's own diagnostic lines go (default: nowhere). */
  log?: (message: string) => void;
  /**
   * Verify the SigV4 signature of every request: only this key, temporary keys STS issued, and keys the cloud
   * issued to function environments (`context.credentials`) get in. Unset: any signature (or none) is accepted.
   */
  requireAuth?: { accessKeyId: string; secretAccessKey: string };
  /** Overrides of SERVER_TIMEOUTS (tests use short ones). */
  timeouts?: Partial<ServerTimeouts>;
  /** Overrides MAX_BODY_BYTES (tests use a small one). */
  maxBodyBytes?: number;
  /**
   * Origins whose web pages may call the cloud through a browser (`local serve --allow-origin`), with a CORS
   * answer: exact origins such as `http://localhost:5173`, or `*` for any. Every other Origin is refused.
   */
  allowOrigins?: string[];
  /**
   * The state directory's lock, when the caller took it already (cli/core/local-cloud.ts, to record the holder
   * first); otherwise the cloud takes it itself. Either way the cloud holds it until close().
   * @throws StateDirectoryLockedError - from startLocalCloud, when another cloud holds the directory
   */
  stateLock?: StateDirectoryLock;
}

export interface LocalCloud {
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly context: CloudContext;
  /** True when every request's signature is verified. */
  readonly requiresAuth: boolean;
  close(): Promise<void>;
}

interface DispatchSettings {
  maxBodyBytes: number;
  sendStallMs: number;
  /** The secret behind an access key, when signatures are verified. */
  lookup?: CredentialLookup;
  /** Which Host names and Origins are admitted. */
  boundary: BrowserBoundary;
  refusals: RefusalLog;
}

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  // Two clouds on one state directory would interleave their writes (SQLite's "database is locked" 500s) and
  // sweep each other's files: the lock comes before anything touches the directory.
  const stateLock = options.stateLock ?? StateDirectoryLock.acquire(options.stateDir);
  try {
    return await startLockedCloud(options, stateLock);
  } catch (error) {
    stateLock.release();
    throw error;
  }
}

async function startLockedCloud(options: LocalCloudOptions, stateLock: StateDirectoryLock): Promise<LocalCloud> {
  const host = options.host ?? '127.0.0.1';
  const settings: CloudSettings = {
    accountId: options.accountId ?? '000000000000',
    region: options.region ?? 'us-east-1',
    stateDir: options.stateDir,
    endpoint: '',
    stateDelayMs: options.stateDelayMs ?? 100,
  };
  const log = options.log ?? (() => undefined);
  // The reserve is given back while the cloud starts (a start on a full disk needs room for the WAL) and taken
  // again once it has.
  const disk = new DiskSpace(options.stateDir, log);
  disk.releaseReserve();
  const context: CloudContext = {
    db: openDatabase(options.stateDir),
    blobs: new BlobStore(options.stateDir),
    settings,
    faults: new FaultInjector(options.faults),
    stores: {},
    log,
    credentials: new CredentialRegistry(),
    disk,
  };
  const services = createServices(context);
  // Under the lock, before the first request: nothing else can be writing a temp file or committing a blob.
  const sweep = sweepStateDirectory(options.stateDir, (digest) => context.stores.s3?.usesBlob?.(digest) === true || context.stores.lambda?.usesBlob?.(digest) === true);
  context.log(describeSweep(sweep));
  disk.afterStart();
  const timeouts = { ...SERVER_TIMEOUTS, ...options.timeouts };
  const dispatchSettings: DispatchSettings = {
    maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
    sendStallMs: timeouts.sendStallMs,
    ...(options.requireAuth ? { lookup: credentialLookup(context, options.requireAuth) } : {}),
    boundary: browserBoundary(host, options.allowOrigins),
    refusals: new RefusalLog(context.log),
  };
  const connections = new ConnectionScheduler();

  const server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.headersMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    (req, res) => {
      connections.admit(req, res, () => void dispatch(services, context, dispatchSettings, req, res));
    },
  );
  server.keepAliveTimeout = timeouts.keepAliveMs;
  await listen(server, host, options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  settings.endpoint = `http://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${port}`;
  await services.start();

  let closed = false;
  return {
    endpoint: settings.endpoint,
    host,
    port,
    context,
    requiresAuth: options.requireAuth !== undefined,
    async close() {
      if (closed) return;
      closed = true;
      await services.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      context.db.close();
      stateLock.release();
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The configured key, then keys issued to function environments, then STS's temporary keys. Temporary keys
 * must come with their session token; the configured key is a long-term key and needs none. Environments'
 * keys (in memory) before STS's (a SQL read): functions sign most requests, and no key is in both sets
 * (each is `ASIA` and 16 random characters).
 */
function credentialLookup(context: CloudContext, configured: { accessKeyId: string; secretAccessKey: string }): CredentialLookup {
  return (accessKeyId: string): KnownCredential | undefined => {
    if (accessKeyId === configured.accessKeyId) return { secretAccessKey: configured.secretAccessKey };
    return context.credentials?.lookup(accessKeyId) ?? context.stores.sts?.credentialFor(accessKeyId);
  };
}

/** What the request prologue decided from the head alone, before the body is read or any router runs. */
interface Admission {
  /** The one parse of the request's SigV4 credential; routing, verification and authorisation all read it. */
  credential?: SigV4Credential;
  caller?: CallerCredentials;
  serviceName: ServiceName;
  /**
   * Refused: the error to answer, in the protocol of the service finally picked (a Query form's body may still
   * name IAM or STS), and the line for the cloud log (if any).
   */
  refusal?: { error: (service: ServiceName) => AwsError; logLine?: string };
  /** A CORS preflight from an allowed origin, answered here. */
  preflight?: ServiceResponse;
  /** An allowed cross-origin caller: its answers carry CORS headers. */
  corsOrigin?: string;
}

/**
 * The request prologue: parses the SigV4 credential once (strictly: a malformed one is refused in every mode),
 * picks the service from the head, and applies the browser boundary (Host, Origin, Sec-Fetch-Site, unsigned
 * requests) and S3's x-amz-content-sha256 rule. Reads nothing but the head.
 */
function admitRequest(req: IncomingMessage, method: string, rawTarget: string, target: { pathname: string; query: URLSearchParams }, rawHeaders: Map<string, string[]>, settings: DispatchSettings): Admission {
  let credential: SigV4Credential | undefined;
  let malformed: AuthFailure | undefined;
  try {
    credential = parseSigV4Credential(rawHeaders, rawQueryPairs(rawTarget));
  } catch (error) {
    if (!(error instanceof AuthFailure)) throw error;
    malformed = error;
  }
  const caller = callerOf(credential);
  // The body is not read yet: a Query form without a credential scope is taken for S3 until it is.
  const serviceName = pickService(method, target.pathname, req.headers, caller, undefined, target.query);
  const admission: Admission = { serviceName, ...(credential ? { credential } : {}), ...(caller ? { caller } : {}) };

  const origins = rawHeaders.get('origin') ?? [];
  const decision = judgeRequest(
    {
      method,
      hosts: rawHeaders.get('host') ?? [],
      ...absoluteAuthority(rawTarget),
      origins,
      ...optionalHeader('secFetchSite', rawHeaders, 'sec-fetch-site'),
      ...optionalHeader('requestMethod', rawHeaders, 'access-control-request-method'),
      ...optionalHeader('requestHeaders', rawHeaders, 'access-control-request-headers'),
      ...optionalHeader('requestPrivateNetwork', rawHeaders, 'access-control-request-private-network'),
      service: serviceName,
      path: target.pathname,
      signed: credential !== undefined || malformed !== undefined,
    },
    settings.boundary,
  );
  if (decision.verdict === 'preflight') return { ...admission, preflight: { status: 200, headers: decision.headers } };
  if (decision.verdict === 'refuse') {
    const logLine = refusalLine(
      { method, path: target.pathname, ...firstHeader('host', rawHeaders), ...firstHeader('origin', rawHeaders), ...(req.socket.remoteAddress ? { sourceIp: req.socket.remoteAddress } : {}) },
      decision.error.message,
    );
    const { reason, error } = decision;
    return { ...admission, refusal: { error: (service) => boundaryError(service, reason, error.message), logLine }, ...(decision.origin ? { corsOrigin: decision.origin } : {}) };
  }
  if (decision.origin !== undefined) admission.corsOrigin = decision.origin;
  try {
    if (malformed) throw malformed;
    if (serviceName === 's3' || serviceName === 's3control') checkDeclaredPayloadHash(rawHeaders, credential);
  } catch (error) {
    if (!(error instanceof AuthFailure)) throw error;
    return { ...admission, refusal: { error: (service) => authError(service, error) } };
  }
  return admission;
}

function optionalHeader<K extends string>(key: K, rawHeaders: Map<string, string[]>, name: string): Partial<Record<K, string>> {
  const values = rawHeaders.get(name);
  return values === undefined ? {} : ({ [key]: values.join(',') } as Record<K, string>);
}

function firstHeader(name: 'host' | 'origin', rawHeaders: Map<string, string[]>): { host?: string; origin?: string } {
  const value = rawHeaders.get(name)?.[0];
  return value === undefined ? {} : { [name]: value };
}

/** The authority of an absolute-form target (`GET http://name:port/path`), which names a host as Host does. */
function absoluteAuthority(rawTarget: string): { targetAuthority?: string } {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(rawTarget)?.[1];
  return authority === undefined ? {} : { targetAuthority: authority };
}

/** True when the request announces a body (a length above zero, or chunked framing). */
function announcesBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

async function dispatch(services: CloudServices, context: CloudContext, settings: DispatchSettings, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId();
  const method = (req.method ?? 'GET').toUpperCase();
  const rawTarget = req.url ?? '/';
  const target = parseRequestTarget(rawTarget);
  const rawHeaders = rawHeaderMap(req.rawHeaders);
  let admission: Admission;
  try {
    admission = admitRequest(req, method, rawTarget, target, rawHeaders, settings);
  } catch (error) {
    context.log(`internal error: ${(error as Error).stack ?? String(error)}`);
    admission = { serviceName: 's3', refusal: { error: () => new AwsError('InternalError', 'We encountered an internal error. Please try again.', 500) } };
  }
  const { caller, credential } = admission;
  let serviceName: ServiceName = admission.serviceName;
  const request: ServiceRequest = {
    method,
    rawPath: target.pathname,
    path: decodeOrKeep(target.pathname),
    query: target.query,
    headers: req.headers,
    body: Buffer.alloc(0),
    region: caller?.region ?? context.settings.region,
    ...(credential ? { credential } : {}),
    ...(caller ? { caller } : {}),
    requestId,
    receivedAt: Date.now(),
    host: String(req.headers.host ?? ''),
    rawTarget,
    ...(req.socket.remoteAddress ? { sourceIp: req.socket.remoteAddress } : {}),
  };
  // An allowed origin's page may read every answer, errors included; with origins configured, caches must key on Origin.
  const withCors = (response: ServiceResponse): ServiceResponse => {
    if (admission.corsOrigin !== undefined) return { ...response, headers: { ...response.headers, ...corsResponseHeaders(admission.corsOrigin, response.headers) } };
    if (settings.boundary.origins === '*' || settings.boundary.origins.size > 0) return { ...response, headers: { vary: 'Origin', ...response.headers } };
    return response;
  };
  const fail = (error: AwsError, headers: Record<string, string> = {}): void => {
    const router = services.routers[serviceName];
    const response = router.errorResponse?.(error, request) ?? jsonErrorResponse('rest-json', error);
    send(res, withCors({ ...response, headers: { ...response.headers, ...headers } }), requestId, settings.sendStallMs);
  };
  const streamed = services.routers[serviceName].streamsBody?.(request) === true;
  const bodyLimit = streamed ? settings.maxBodyBytes : Math.min(settings.maxBodyBytes, MAX_BUFFERED_BODY_BYTES[serviceName]);
  try {
    if (admission.preflight) return send(res, admission.preflight, requestId, settings.sendStallMs);
    if (admission.refusal) {
      if (admission.refusal.logLine !== undefined) settings.refusals.write(admission.refusal.logLine);
      const isForm = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      if (isForm && !caller && announcesBody(req)) {
        // Only a Query form's body says whether it is for IAM or STS: read it (within the buffered limit) to answer
        // in that service's protocol; it goes no further.
        const formLimit = Math.min(settings.maxBodyBytes, MAX_BUFFERED_BODY_BYTES[serviceName]);
        const body = await readBody(req, formLimit);
        if (body === 'aborted') return;
        if (body === 'too-large') drainThenClose(req, res);
        else serviceName = pickService(method, target.pathname, req.headers, caller, body.toString('utf8'), target.query);
      } else if (announcesBody(req)) {
        // The body is not wanted: answer now and drop what the client still sends, as for an oversized body.
        drainThenClose(req, res);
      }
      return fail(admission.refusal.error(serviceName));
    }
    const body = await receiveBody(streamed, request, req, bodyLimit);
    if (body === 'aborted') return;
    if (body === 'too-large') {
      // The rest of the body is not wanted: answer now, then read and drop what the client is still sending
      // (for a little while) so it gets to read the answer instead of a connection reset.
      drainThenClose(req, res);
      fail(tooLargeError(serviceName, bodyLimit, req));
      return;
    }
    request.body = body;
    const isForm = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    if (isForm && !caller) serviceName = pickService(method, target.pathname, req.headers, caller, body.toString('utf8'), target.query);
    if (settings.lookup) {
      try {
        verifySigV4({ method, rawTarget, headers: rawHeaders, body }, credential, settings.lookup);
      } catch (error) {
        if (!(error instanceof AuthFailure)) throw error;
        return fail(authError(serviceName, error));
      }
    }
    const router: ServiceRouter = services.routers[serviceName];
    const response = await router.handle(request);
    // Answered before its streamed body was read to the end (refused early): the rest is read and dropped, so
    // the connection can carry the client's next request, as it could when bodies were read first.
    if (request.bodyStream && !req.complete) discardRestOfBody(req, settings.maxBodyBytes);
    send(res, withCors(response), requestId, settings.sendStallMs);
  } catch (error) {
    if (error instanceof RequestBodyError) {
      if (error.reason === 'aborted') return;
      drainThenClose(req, res);
      return fail(tooLargeError(serviceName, bodyLimit, req));
    }
    // Any other failure mid-body (a full disk, our bug): the rest of the body is read and dropped, as above.
    if (request.bodyStream && !req.complete) discardRestOfBody(req, settings.maxBodyBytes);
    if (context.disk?.noteFailure(error)) {
      if (res.headersSent) res.destroy();
      else if (!res.destroyed) fail(diskFullError(serviceName, context.disk.describe()));
      return;
    }
    // Routers turn AWS errors into their protocol's shape; anything reaching here is our bug. The client gets
    // the protocol's internal error, never the stack (that goes to the cloud's log).
    context.log(`internal error: ${(error as Error).stack ?? String(error)}`);
    if (res.headersSent) res.destroy();
    else if (!res.destroyed) fail(new AwsError('InternalError', 'We encountered an internal error. Please try again.', 500));
  }
}

/** Path and query of a request target; absolute-form targets (`GET http://host/path`) keep only the path. */
export function parseRequestTarget(rawTarget: string): { pathname: string; query: URLSearchParams } {
  let target = rawTarget;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  if (absolute) target = target.slice(absolute[0].length);
  if (!target.startsWith('/')) target = `/${target === '*' ? '' : target}`;
  try {
    // Prefixing the origin keeps `//host/x` a path, not an authority.
    const url = new URL(`http://local${target}`);
    return { pathname: url.pathname, query: url.searchParams };
  } catch {
    const question = target.indexOf('?');
    return { pathname: question === -1 ? target : target.slice(0, question), query: new URLSearchParams(question === -1 ? '' : target.slice(question + 1)) };
  }
}

/** Lower-case header names to every value as received (SigV4 joins repeated headers with commas, node with ", "). */
function rawHeaderMap(rawHeaders: string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const values = headers.get(name) ?? [];
    values.push(rawHeaders[i + 1]!);
    headers.set(name, values);
  }
  return headers;
}

/**
 * Each protocol's answer to a write the disk has no room for: 503, as S3 answers a write it cannot take now
 * (`ServiceUnavailable`; JSON services' `ServiceUnavailableException`), so a client may retry after freeing space.
 */
function diskFullError(service: ServiceName, message: string): AwsError {
  const code = service === 's3' || service === 'iam' || service === 'sts' ? 'ServiceUnavailable' : 'ServiceUnavailableException';
  return new AwsError(code, message, 503);
}

/** Each protocol's "body too large": S3's EntityTooLarge (a 400 at AWS), elsewhere 413. */
function tooLargeError(service: ServiceName, maxBodyBytes: number, req: IncomingMessage): AwsError {
  const declared = Number(req.headers['content-length']);
  const proposed = Number.isFinite(declared) && declared > maxBodyBytes ? String(declared) : `more than ${maxBodyBytes}`;
  if (service === 's3' || service === 's3control') {
    return new AwsError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, { ProposedSize: proposed, MaxSizeAllowed: String(maxBodyBytes) });
  }
  const code = service === 'lambda' ? 'RequestEntityTooLargeException' : service === 'iam' || service === 'sts' ? 'RequestEntityTooLarge' : 'RequestEntityTooLargeException';
  return new AwsError(code, `Request must be smaller than ${maxBodyBytes} bytes`, 413);
}

/**
 * After an early answer: the connection must not carry another request (its unread body is still coming), yet
 * closing it while the client writes would reset it, and a reset can swallow the answer on the client's side.
 * So: half-close once the answer is out (the client sees it end and will not reuse the connection), read and
 * drop what still arrives, and close for good when the client does, or after OVERSIZED_DRAIN_MS or
 * OVERSIZED_DRAIN_BYTES. (A `Connection: close` header would make node close at once, without the drain.)
 */
function drainThenClose(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  const startBytes = socket.bytesRead;
  const close = (): void => {
    clearTimeout(timer);
    socket.off('data', count);
    socket.destroy();
  };
  const count = (): void => {
    if (socket.bytesRead - startBytes > OVERSIZED_DRAIN_BYTES) close();
  };
  const timer = setTimeout(close, OVERSIZED_DRAIN_MS);
  timer.unref();
  socket.on('data', count);
  socket.once('close', () => clearTimeout(timer));
  res.once('finish', () => {
    if (!socket.destroyed) socket.end();
  });
  req.on('error', close);
  req.removeAllListeners('data');
  req.resume();
}

/**
 * The request's body: read whole (within `maxBodyBytes`), or, for a request its router streams
 * (`streamsBody`: object writes up to MAX_BODY_BYTES), handed over as `request.bodyStream` unread, so that at
 * most a stream's buffers of it are ever in memory.
 */
function receiveBody(streamed: boolean, request: ServiceRequest, req: IncomingMessage, maxBodyBytes: number): Promise<Buffer | 'too-large' | 'aborted'> {
  if (!streamed) return readBody(req, maxBodyBytes);
  if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) return Promise.resolve('too-large');
  request.bodyStream = limitedBody(req, maxBodyBytes);
  return Promise.resolve(Buffer.alloc(0));
}

/**
 * Reads and drops what is left of a streamed body nobody wants (the answer came first). A body that goes on
 * past `maxBodyBytes` in all closes its connection: dropping is cheap, but not for ever.
 */
function discardRestOfBody(req: IncomingMessage, maxBodyBytes: number): void {
  let dropped = 0;
  for (const destination of req.listeners('data')) req.off('data', destination as (...args: unknown[]) => void);
  req.unpipe();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > maxBodyBytes) req.socket.destroy();
  });
  req.resume();
}

/**
 * The body as a stream of at most `maxBodyBytes`, failing with RequestBodyError past it or when the client
 * goes away. A stream of its own, piped from the request: a reader that stops early (an error mid-body)
 * destroys this one, never the request, whose connection still has to carry the answer.
 */
function limitedBody(req: IncomingMessage, maxBodyBytes: number): Readable {
  let received = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > maxBodyBytes) callback(new RequestBodyError('too-large'));
      else callback(null, chunk);
    },
  });
  const abort = (): void => {
    if (!req.complete) limited.destroy(new RequestBodyError('aborted'));
  };
  req.once('aborted', abort);
  req.once('error', abort);
  req.once('close', abort);
  req.pipe(limited);
  return limited;
}

/**
 * Reads the body, refusing more than `maxBodyBytes` whatever Content-Length claims (and as soon as a chunked
 * body passes it). A client that goes away mid-body is `aborted`: nothing to answer, nothing to log.
 */
function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<Buffer | 'too-large' | 'aborted'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: Buffer | 'too-large' | 'aborted'): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        req.pause();
        settle('too-large');
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => settle(Buffer.concat(chunks)));
    req.on('error', () => settle('aborted'));
    req.on('close', () => settle(req.complete ? Buffer.concat(chunks) : 'aborted'));
  });
}

function send(res: ServerResponse, response: ServiceResponse, requestId: string, sendStallMs = SERVER_TIMEOUTS.sendStallMs): void {
  closeIfReaderStalls(res, sendStallMs);
  const headers: Record<string, string | number> = {
    'x-amz-request-id': requestId,
    'x-amzn-requestid': requestId,
    ...response.headers,
  };
  const body = response.body;
  if (body instanceof Readable) {
    res.writeHead(response.status, headers);
    body.on('error', () => res.destroy());
    body.pipe(res);
    return;
  }
  const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
  // Always a length, even of nothing (a HEAD's 404): without one, node's HTTP client (the SDK's) does not reuse
  // the connection, and every HeadObject poll for a thumbnail not there yet cost a new TCP connection.
  // 204 and 304 are bodiless by definition and must not carry one.
  if (headers['content-length'] === undefined && headers['Content-Length'] === undefined && response.status !== 204 && response.status !== 304) {
    headers['content-length'] = bytes?.length ?? 0;
  }
  res.writeHead(response.status, headers);
  res.end(bytes);
}
