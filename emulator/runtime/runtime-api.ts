// The Lambda Runtime API (2018-06-01) for one execution environment, on 127.0.0.1 and an ephemeral port:
// `invocation/next` (long poll), `invocation/<id>/response`, `invocation/<id>/error` and `init/error`, with
// AWS's status codes and headers, so any runtime interface client works. One invocation at a time, as in Lambda.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** AWS: a synchronous response may be at most 6 MB (the Runtime API's own limit is 6291556 bytes). */
export const MAX_RESPONSE_BYTES = 6_291_556;

export interface RuntimeInvocation {
  requestId: string;
  payload: Buffer;
  /** Epoch ms at which the invocation times out. */
  deadlineMs: number;
  functionArn: string;
  traceHeader?: string;
  clientContext?: string;
}

export type RuntimeReply =
  | { kind: 'response'; body: Buffer }
  | { kind: 'error'; body: Buffer; errorType: string; errorMessage?: string }
  | { kind: 'too-large'; bytes: number };

export interface RuntimeApiHooks {
  /** Every `/next` call; the first one ends init. */
  onNext(): void;
  onInitError(errorType: string, body: Buffer, errorMessage: string | undefined): void;
}

interface Pending {
  invocation: RuntimeInvocation;
  delivered: boolean;
  resolve(reply: RuntimeReply): void;
}

const PREFIX = '/2018-06-01/runtime';

export class RuntimeApiServer {
  private readonly server: Server;
  private parked: ServerResponse | undefined;
  private pending: Pending | undefined;
  port = 0;

  constructor(private readonly hooks: RuntimeApiHooks) {
    this.server = createServer((req, res) => this.handle(req, res));
    // The runtime is our only client: its long-poll may sit for minutes and its socket is reused.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 0;
    this.server.keepAliveTimeout = 0;
    this.server.on('connection', (socket) => socket.setNoDelay(true));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  /** `127.0.0.1:<port>`, the value of AWS_LAMBDA_RUNTIME_API. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Hands an invocation to the runtime (now, if it is waiting on `/next`) and resolves with its reply. */
  deliver(invocation: RuntimeInvocation): Promise<RuntimeReply> {
    if (this.pending) throw new Error('an invocation is already in progress in this environment');
    return new Promise((resolve) => {
      this.pending = { invocation, delivered: false, resolve };
      if (this.parked) {
        const parked = this.parked;
        this.parked = undefined;
        this.sendInvocation(parked);
      }
    });
  }

  /** Forgets the current invocation (timed out, or the runtime died): late posts for it get 400. */
  abandon(): void {
    this.pending = undefined;
  }

  close(): void {
    this.parked?.destroy();
    this.parked = undefined;
    this.server.close();
    this.server.closeAllConnections();
  }

  private sendInvocation(res: ServerResponse): void {
    const pending = this.pending;
    if (!pending) return;
    pending.delivered = true;
    const { invocation } = pending;
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': invocation.payload.length,
      'lambda-runtime-aws-request-id': invocation.requestId,
      'lambda-runtime-deadline-ms': String(invocation.deadlineMs),
      'lambda-runtime-invoked-function-arn': invocation.functionArn,
    };
    if (invocation.traceHeader) headers['lambda-runtime-trace-id'] = invocation.traceHeader;
    if (invocation.clientContext) headers['lambda-runtime-client-context'] = invocation.clientContext;
    res.writeHead(200, headers);
    res.end(invocation.payload);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === `${PREFIX}/invocation/next`) {
      this.hooks.onNext();
      if (this.pending && !this.pending.delivered) {
        this.sendInvocation(res);
        return;
      }
      // Long poll: answered when the next invocation arrives.
      this.parked?.destroy();
      this.parked = res;
      res.on('close', () => {
        if (this.parked === res) this.parked = undefined;
      });
      return;
    }
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
    if (req.method === 'POST' && match) {
      const requestId = decodeURIComponent(match[1] ?? '');
      const kind = match[2] as 'response' | 'error';
      void readLimited(req, MAX_RESPONSE_BYTES).then(({ body, bytes }) => {
        const pending = this.pending;
        if (!pending || !pending.delivered || pending.invocation.requestId !== requestId) {
          return reply(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
        }
        this.pending = undefined;
        if (body === undefined) {
          pending.resolve({ kind: 'too-large', bytes });
          return reply(res, 413, {
            errorMessage: `Exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
            errorType: 'RequestEntityTooLarge',
          });
        }
        if (kind === 'response') {
          pending.resolve({ kind: 'response', body });
        } else {
          const document = readErrorDocument(body);
          const errorType = String(req.headers['lambda-runtime-function-error-type'] ?? '') || document.errorType || 'Unhandled';
          pending.resolve({ kind: 'error', body, errorType, errorMessage: document.errorMessage });
        }
        reply(res, 202, { status: 'OK' });
      });
      return;
    }
    if (req.method === 'POST' && path === `${PREFIX}/init/error`) {
      void readLimited(req, MAX_RESPONSE_BYTES).then(({ body }) => {
        const bytes = body ?? Buffer.from('{}');
        const document = readErrorDocument(bytes);
        const errorType = String(req.headers['lambda-runtime-function-error-type'] ?? '') || document.errorType || 'Runtime.Unknown';
        this.hooks.onInitError(errorType, bytes, document.errorMessage);
        reply(res, 202, { status: 'OK' });
      });
      return;
    }
    req.resume();
    reply(res, 404, { errorMessage: `No such Runtime API route: ${req.method} ${path}`, errorType: 'NotFound' });
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The string `errorType` and `errorMessage` of a runtime's error document; either is absent when the body lacks it. */
function readErrorDocument(body: Buffer): { errorType?: string; errorMessage?: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errorType?: unknown; errorMessage?: unknown } | null;
    return {
      errorType: typeof parsed?.errorType === 'string' ? parsed.errorType : undefined,
      errorMessage: typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : undefined,
    };
  } catch {
    return {};
  }
}

/** Reads a body; `body` is undefined when it exceeded `limit` (the rest is drained and counted). */
function readLimited(req: IncomingMessage, limit: number): Promise<{ body: Buffer | undefined; bytes: number }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: bytes <= limit ? Buffer.concat(chunks) : undefined, bytes }));
    req.on('error', () => resolve({ body: undefined, bytes }));
  });
}
