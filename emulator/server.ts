// The local cloud's single HTTP endpoint. It reads each request (within size limits), picks the service,
// and hands a parsed request to that service's router; routers own their protocol's errors. This file
// knows framing, limits and lifecycle, and nothing of any service's semantics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { BlobStore } from './state/blobs.js';
import { openDatabase } from './state/database.js';
import type { CloudContext, CloudSettings } from './core/context.js';
import { FaultInjector } from './core/faults.js';
import type { ServiceRequest, ServiceResponse, ServiceRouter } from './core/http.js';
import { newRequestId } from './core/ids.js';
import { parseCredentialScope, pickService, type ServiceName } from './core/routing.js';
import { createServices, type CloudServices } from './services/index.js';

/** Largest request body accepted (a single PutObject or an UploadPart); larger ones get 413/EntityTooLarge. */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;
/** Node's own header limit applies to heads (16 KiB by default); we set it explicitly. */
export const MAX_HEADER_BYTES = 16 * 1024;

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
}

export interface LocalCloud {
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly context: CloudContext;
  close(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const host = options.host ?? '127.0.0.1';
  const settings: CloudSettings = {
    accountId: options.accountId ?? '000000000000',
    region: options.region ?? 'us-east-1',
    stateDir: options.stateDir,
    endpoint: '',
    stateDelayMs: options.stateDelayMs ?? 100,
  };
  const context: CloudContext = {
    db: openDatabase(options.stateDir),
    blobs: new BlobStore(options.stateDir),
    settings,
    faults: new FaultInjector(options.faults),
    stores: {},
    log: options.log ?? (() => undefined),
  };
  const services = createServices(context);

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 120_000, headersTimeout: 30_000 }, (req, res) => {
    void dispatch(services, context, req, res);
  });
  server.keepAliveTimeout = 65_000;
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
    async close() {
      if (closed) return;
      closed = true;
      await services.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      context.db.close();
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

async function dispatch(services: CloudServices, context: CloudContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId();
  try {
    const url = new URL(req.url ?? '/', 'http://local');
    const body = await readBody(req);
    if (body === 'too-large') {
      return send(res, { status: 413, body: 'Request body too large' }, requestId);
    }
    const caller = parseCredentialScope(req.headers, url.searchParams);
    const isForm = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const serviceName: ServiceName = pickService(req.method ?? 'GET', url.pathname, req.headers, caller, isForm ? body.toString('utf8') : undefined, url.searchParams);
    const router: ServiceRouter = services.routers[serviceName];
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    const request: ServiceRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      rawPath: url.pathname,
      path,
      query: url.searchParams,
      headers: req.headers,
      body,
      region: caller?.region ?? context.settings.region,
      caller,
      requestId,
      host: String(req.headers.host ?? ''),
      rawTarget: req.url ?? '/',
      ...(req.socket.remoteAddress ? { sourceIp: req.socket.remoteAddress } : {}),
    };
    const response = await router.handle(request);
    send(res, response, requestId);
  } catch (error) {
    // Routers turn AWS errors into their protocol's shape; anything reaching here is our bug.
    context.log(`internal error: ${(error as Error).stack ?? String(error)}`);
    if (!res.headersSent) send(res, { status: 500, body: 'Internal error in the local cloud' }, requestId);
    else res.destroy();
  }
}

/** Reads the body, refusing more than MAX_BODY_BYTES whatever Content-Length claims. */
function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: ServiceResponse, requestId: string): void {
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
  if (bytes && headers['content-length'] === undefined && headers['Content-Length'] === undefined) {
    headers['content-length'] = bytes.length;
  }
  res.writeHead(response.status, headers);
  res.end(bytes);
}
