// Backpressure per connection: at most one request of a connection is being answered at a time, and the
// connection is not read while it is. Node's HTTP server parses every request in what it has read and hands
// them all over at once (pipelining), queueing their answers in memory; a client that pipelines thousands of
// requests and never reads the answers made the server buffer all of them. Here a connection's later requests
// wait, unstarted, until the answer before them has been handed to the kernel, and the socket is paused
// meanwhile, so what a client did not read stays in its own send buffer. It knows nothing of any service.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /**
   * Requests one connection may have waiting behind the one being answered. Only requests already read when
   * the socket was paused can be waiting: at most what one read of the socket holds (64 KiB, about 2,400 of the
   * smallest requests). Past this the connection is closed.
   */
  maxQueuedPerConnection: number;
  /** The same, summed over every connection: past it, the connection asking to queue more is closed. */
  maxQueuedTotal: number;
}

/** 64 KiB of the smallest pipelined requests fits; each waiting request holds about 2 KB (RELIABILITY.md). */
export const CONNECTION_LIMITS: Readonly<ConnectionLimits> = { maxQueuedPerConnection: 4096, maxQueuedTotal: 32_768 };

interface ConnectionState {
  busy: boolean;
  paused: boolean;
  waiting: (() => void)[];
}

export class ConnectionScheduler {
  private readonly connections = new WeakMap<Socket, ConnectionState>();
  private queuedTotal = 0;

  constructor(private readonly limits: ConnectionLimits = CONNECTION_LIMITS) {}

  /** Requests waiting, over every connection (for tests and diagnostics). */
  get queued(): number {
    return this.queuedTotal;
  }

  /**
   * Runs `answer` for this request now if its connection is idle, or once every earlier request of the
   * connection has been answered. `answer` must end with the response finished or destroyed.
   */
  admit(req: IncomingMessage, res: ServerResponse, answer: () => void): void {
    const socket = req.socket;
    let state = this.connections.get(socket);
    if (!state) {
      const created: ConnectionState = { busy: false, paused: false, waiting: [] };
      state = created;
      this.connections.set(socket, created);
      socket.once('close', () => {
        this.queuedTotal -= created.waiting.length;
        created.waiting = [];
      });
    }
    const connection = state;
    const start = (): void => {
      connection.busy = true;
      // 'close' follows 'finish' (the answer is in the kernel's hands) or a destroyed socket. The next request
      // starts from the event loop, not from this callback: an answer the kernel takes at once finishes within
      // the same tick, and chaining the next one from there would answer a whole pipeline without ever
      // letting another connection's I/O in.
      res.once('close', () => setImmediate(() => this.next(socket, connection)));
      answer();
    };
    if (!connection.busy) {
      start();
      return;
    }
    if (connection.waiting.length >= this.limits.maxQueuedPerConnection || this.queuedTotal >= this.limits.maxQueuedTotal) {
      // A client this far ahead of its answers is not reading them; nothing it sent after is worth holding.
      socket.destroy();
      return;
    }
    connection.waiting.push(start);
    this.queuedTotal++;
    // Every time: reading a started request's body resumes the socket (node does, to read it), so a pause
    // taken earlier may have been lifted since.
    connection.paused = true;
    socket.pause();
  }

  private next(socket: Socket, connection: ConnectionState): void {
    connection.busy = false;
    if (socket.destroyed) return;
    const start = connection.waiting.shift();
    if (start) {
      this.queuedTotal--;
      start();
      return;
    }
    if (connection.paused) {
      connection.paused = false;
      socket.resume();
    }
  }
}

/**
 * Closes the connection when an answer stops moving: bytes of it wait to be taken and the client has taken nothing
 * (no 'drain') for about `stallMs`. Without this, a client that never reads would hold its connection, its one
 * answer and its waiting requests for ever. A slow producer is not a stall: a handler that takes long to produce
 * an answer (a synchronous Invoke of a slow function), or a streamed answer with nothing to send for a while
 * (InvokeWithResponseStream of a function that thinks between chunks), has nothing waiting for the client.
 */
export function closeIfReaderStalls(res: ServerResponse, stallMs: number): void {
  const socket = res.socket;
  if (!socket || !Number.isFinite(stallMs)) return;
  let lastMovedAt = Date.now();
  const moved = (): void => {
    lastMovedAt = Date.now();
  };
  const timer = setInterval(() => {
    if (res.writableLength === 0) return moved();
    if (Date.now() - lastMovedAt >= stallMs) socket.destroy();
  }, Math.max(10, stallMs / 4));
  timer.unref();
  const disarm = (): void => {
    clearInterval(timer);
    socket.off('drain', moved);
  };
  socket.on('drain', moved);
  res.once('finish', disarm);
  res.once('close', disarm);
}
