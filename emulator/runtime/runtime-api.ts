// The Lambda Runtime API (2018-06-01) for one execution environment, on 127.0.0.1 and an ephemeral port:
// `invocation/next` (long poll), `invocation/<id>/response`, `invocation/<id>/error` and `init/error`, with
// AWS's status codes and headers, so any runtime interface client works. One invocation at a time, as in Lambda.
// Only the environment's own processes are served: each connection's peer is checked before a byte of HTTP is
// read (a runtime interface client cannot carry a token, so the socket itself must say who it is).
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';

/** AWS: a synchronous response may be at most 6 MB (the Runtime API's own limit is 6291556 bytes). */
export const MAX_RESPONSE_BYTES = 6_291_556;

/**
 * AWS: a streamed response (InvokeWithResponseStream) may be at most 200 MB; past it the invocation fails with
 * Function.ResponseSizeTooLarge. (Lambda streams the first 6 MB uncapped and the rest at up to 2 MBps; we do not
 * throttle: a local reader is never charged for bandwidth.)
 */
export const MAX_STREAMED_RESPONSE_BYTES = 209_715_200;

/**
 * Where a streamed response goes while the runtime writes it (InvokeWithResponseStream's caller). Bounded by
 * back-pressure: when `write` answers false the runtime's upload is paused until the sink calls `onReady`'s callback.
 */
export interface ResponseStreamSink {
  /** Takes one chunk; false when the reader is full (send no more until `onReady`). */
  write(chunk: Buffer): boolean;
  /** Calls `resume` once, when the sink can take more (at once when it no longer needs any). */
  onReady(resume: () => void): void;
}

/** The most header bytes a request may carry (Go's http.DefaultMaxHeaderBytes, what AWS's Runtime API allows). */
export const MAX_HEADER_BYTES = 1_048_576;

export interface RuntimeInvocation {
  requestId: string;
  payload: Buffer;
  /** Epoch ms at which the invocation times out. */
  deadlineMs: number;
  functionArn: string;
  traceHeader?: string;
  /** The caller's client context, JSON text (Invoke sends it base64-encoded; the runtime gets the JSON). */
  clientContext?: string;
  /**
   * The caller reads the response as it is written (InvokeWithResponseStream): a streaming runtime's chunks go
   * here as they arrive instead of being gathered. A runtime that posts its response whole is gathered as ever.
   */
  responseStream?: ResponseStreamSink;
}

export type RuntimeReply =
  /** `streamed`: the body went to the invocation's `responseStream` as it arrived; `body` is empty. */
  | { kind: 'response'; body: Buffer; streamed?: boolean }
  | { kind: 'error'; body: Buffer; errorType: string; errorMessage?: string }
  | { kind: 'too-large'; bytes: number; limit: number };

export interface RuntimeApiHooks {
  /** Every `/next` call taken (parked or answered); the first one ends init. */
  onNext(): void;
  onInitError(errorType: string, body: Buffer, errorMessage: string | undefined): void;
  /**
   * Whether the client at this loopback port is one of the environment's processes. Absent: everyone is (where
   * the platform cannot tell, and in unit tests of the protocol alone).
   */
  isOwnPeer?(clientPort: number, serverPort: number): boolean | Promise<boolean>;
}

interface Pending {
  invocation: RuntimeInvocation;
  delivered: boolean;
  resolve(reply: RuntimeReply): void;
}

const PREFIX = '/2018-06-01/runtime';

/** The answer to a connection from a process outside the environment, before it is closed. */
const FOREIGN_PEER_ANSWER = (() => {
  const body = JSON.stringify({ errorMessage: 'This Runtime API serves only its own execution environment.', errorType: 'Forbidden' });
  return `HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
})();

/** How long an environment's exit waits for an answer its runtime was still posting (see connectionsDrained). */
const DRAIN_MS = 1_000;

export class RuntimeApiServer {
  /** Accepts connections and checks their peer; only then hands them to the HTTP server. */
  private readonly listener: NetServer;
  private readonly server: HttpServer;
  /** Admitted connections (the HTTP server does not listen itself, so it does not track them). */
  private readonly sockets = new Set<Socket>();
  /** Connections accepted but still being checked (isOwnPeer). */
  private admitting = 0;
  private parked: ServerResponse | undefined;
  private pending: Pending | undefined;
  /** Connections refused because their peer is not the environment's, for diagnostics and tests. */
  refusedConnections = 0;
  port = 0;

  constructor(private readonly hooks: RuntimeApiHooks) {
    // Headers up to 1 MiB, as AWS's Runtime API (Go's net/http default) reads them: a runtime client puts a whole
    // X-Ray error cause (message and stack) in one header of its `/error` post, and Node's 16 KiB would refuse it.
    this.server = createHttpServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => this.handle(req, res));
    // The runtime is our only client: its long-poll may sit for minutes and its socket is reused.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 0;
    this.server.keepAliveTimeout = 0;
    // Paused until admitted: nothing a foreign client sends is read, and nothing is buffered before the HTTP
    // parser takes the socket over.
    this.listener = createNetServer({ noDelay: true, pauseOnConnect: true }, (socket) => void this.admit(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(0, '127.0.0.1', () => {
        this.listener.off('error', reject);
        resolve();
      });
    });
    this.port = (this.listener.address() as AddressInfo).port;
    return this.port;
  }

  /** `127.0.0.1:<port>`, the value of AWS_LAMBDA_RUNTIME_API. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Whether the runtime is waiting on `/next` now (it has asked for the next event). */
  get waitingForEvent(): boolean {
    return this.parked !== undefined && !this.parked.destroyed;
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

  /** True while a connection of the environment's processes is open, or one is being admitted. */
  get connectionsOpen(): boolean {
    return this.sockets.size > 0 || this.admitting > 0;
  }

  /**
   * Resolves once every connection of the environment's processes has closed and none is being admitted, or
   * after `maxMs`. Called when the process has exited: a runtime may post its answer and exit at once, and the
   * exit can be seen before the last bytes of that post are read; what it sent must stand, as on Lambda. Its
   * connections close as soon as what it wrote has been read.
   */
  async connectionsDrained(maxMs = DRAIN_MS): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.connectionsOpen && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    // What each post's end settled runs in callbacks queued behind its socket's 'close'.
    await new Promise((resolve) => setImmediate(resolve));
  }

  close(): void {
    this.parked?.destroy();
    this.parked = undefined;
    this.listener.close();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /**
   * A new connection: served if its peer is one of the environment's processes, else answered 403 and closed
   * without reading anything from it (it cannot take an event, nor answer one).
   */
  private async admit(socket: Socket): Promise<void> {
    socket.on('error', () => undefined);
    const clientPort = socket.remotePort;
    let own = this.hooks.isOwnPeer === undefined;
    if (!own && clientPort !== undefined) {
      this.admitting += 1;
      try {
        own = await this.hooks.isOwnPeer!(clientPort, this.port);
      } catch {
        own = false;
      } finally {
        this.admitting -= 1;
      }
    }
    if (socket.destroyed) return;
    if (own) {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.server.emit('connection', socket);
      socket.resume();
      return;
    }
    this.refusedConnections += 1;
    socket.end(FOREIGN_PEER_ANSWER);
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  /**
   * A streamed response for a caller that reads it as it comes: each chunk goes to the sink as it arrives (the
   * upload paused while the sink is full), so nothing is gathered here. The invocation ends with the upload:
   * a success, or the error its trailers tell. Past MAX_STREAMED_RESPONSE_BYTES it fails (too large) and the
   * upload is cut. Chunks arriving after the invocation was abandoned (timed out) go nowhere.
   */
  private receiveStream(req: IncomingMessage, res: ServerResponse, pending: Pending, sink: ResponseStreamSink): void {
    let bytes = 0;
    let finished = false;
    const current = (): boolean => !finished && this.pending === pending;
    req.on('data', (chunk: Buffer) => {
      if (!current()) return;
      bytes += chunk.length;
      if (bytes > MAX_STREAMED_RESPONSE_BYTES) {
        finished = true;
        this.pending = undefined;
        pending.resolve({ kind: 'too-large', bytes, limit: MAX_STREAMED_RESPONSE_BYTES });
        const text = JSON.stringify({ errorMessage: `Exceeded maximum allowed payload size (${MAX_STREAMED_RESPONSE_BYTES} bytes).`, errorType: 'RequestEntityTooLarge' });
        res.writeHead(413, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
        // The rest of the upload is not wanted: the answer goes out and the connection closes under it.
        res.end(text, () => req.socket.destroy());
        return;
      }
      if (!sink.write(chunk)) {
        req.pause();
        sink.onReady(() => req.resume());
      }
    });
    req.on('end', () => {
      if (!current()) {
        if (!res.headersSent) reply(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
        return;
      }
      finished = true;
      this.pending = undefined;
      const streamedError = readStreamedError(req);
      pending.resolve(streamedError ? { kind: 'error', ...streamedError } : { kind: 'response', body: Buffer.alloc(0), streamed: true });
      reply(res, 202, { status: 'OK' });
    });
    // An upload that breaks off (the runtime died or gave up) settles nothing here: the process's exit or the
    // invocation's timeout does.
    req.on('error', () => undefined);
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
    const clientContext = invocation.clientContext === undefined ? undefined : asciiJson(invocation.clientContext);
    if (clientContext) headers['lambda-runtime-client-context'] = clientContext;
    res.writeHead(200, headers);
    res.end(invocation.payload);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === `${PREFIX}/invocation/next`) {
      // One `/next` at a time, as Lambda's runtime state machine allows: a second one while the first is
      // parked, or while the runtime still owes the answer to an event it took, is refused, and the first
      // keeps its place (so a stray call can neither steal the next event nor cost the environment its runtime).
      if ((this.parked && !this.parked.destroyed) || (this.pending?.delivered ?? false)) {
        req.resume();
        return reply(res, 403, {
          errorMessage: 'State transition from Ready to Ready failed for runtime. Error: State transition is not allowed',
          errorType: 'InvalidStateTransition',
        });
      }
      this.hooks.onNext();
      if (this.pending && !this.pending.delivered) {
        this.sendInvocation(res);
        return;
      }
      // Long poll: answered when the next invocation arrives.
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
      const pending = this.pending;
      const sink = pending?.invocation.responseStream;
      if (kind === 'response' && sink && pending.delivered && pending.invocation.requestId === requestId && isStreamingResponse(req)) {
        this.receiveStream(req, res, pending, sink);
        return;
      }
      void readLimited(req, MAX_RESPONSE_BYTES).then(({ body, bytes }) => {
        const pending = this.pending;
        if (!pending || !pending.delivered || pending.invocation.requestId !== requestId) {
          return reply(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
        }
        this.pending = undefined;
        if (body === undefined) {
          pending.resolve({ kind: 'too-large', bytes, limit: MAX_RESPONSE_BYTES });
          return reply(res, 413, {
            errorMessage: `Exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
            errorType: 'RequestEntityTooLarge',
          });
        }
        const streamedError = kind === 'response' ? readStreamedError(req) : undefined;
        if (streamedError) {
          pending.resolve({ kind: 'error', ...streamedError });
        } else if (kind === 'response') {
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

/** A runtime's `/response` post that streams (`Lambda-Runtime-Function-Response-Mode: streaming`). */
function isStreamingResponse(req: IncomingMessage): boolean {
  return String(req.headers['lambda-runtime-function-response-mode'] ?? '').toLowerCase() === 'streaming';
}

/**
 * A JSON document as one header value: compact (no line breaks, which a header cannot hold), every non-ASCII
 * character written as a `\\u` escape (only string contents can hold one, so the document is unchanged), so that
 * every HTTP client reads it alike (Node.js takes header bytes as latin1, curl passes them raw). Undefined when the
 * text is not JSON.
 */
export function asciiJson(text: string): string | undefined {
  let compact: string;
  try {
    compact = JSON.stringify(JSON.parse(text));
  } catch {
    return undefined;
  }
  return compact.replace(/[^\x20-\x7e]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The error a streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`, chunked) ended with: a
 * runtime that fails part-way through a stream can no longer post to `/error`, so it sends the error's type and
 * its document (base64) as trailers. Undefined when the response has no such trailer (it succeeded).
 */
function readStreamedError(req: IncomingMessage): { body: Buffer; errorType: string; errorMessage?: string } | undefined {
  const errorType = req.trailers['lambda-runtime-function-error-type'];
  if (!errorType) return undefined;
  const encoded = req.trailers['lambda-runtime-function-error-body'];
  const body = encoded ? Buffer.from(encoded, 'base64') : Buffer.from(JSON.stringify({ errorType, errorMessage: '' }));
  return { body, errorType, errorMessage: readErrorDocument(body).errorMessage };
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
