// The local X-Ray daemon: a UDP socket on loopback that takes segment datagrams, as the real daemon does on
// port 2000, and hands their documents to the store. It does not proxy the daemon's TCP sampling API; the
// Lambda-hosted SDK never asks for sampling rules (Lambda decides sampling).
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

/** Datagrams start with this header line; the rest is one segment document. */
export const DAEMON_HEADER = { format: 'json', version: 1 } as const;

export type DatagramResult = { ok: true; document: string } | { ok: false; reason: string };

/** Splits `{"format":"json","version":1}\n<segment JSON>` into its document, checking the header. */
export function parseDaemonDatagram(datagram: Buffer | string): DatagramResult {
  const text = typeof datagram === 'string' ? datagram : datagram.toString('utf8');
  const newline = text.indexOf('\n');
  if (newline < 0) return { ok: false, reason: 'no header line' };
  let header: unknown;
  try {
    header = JSON.parse(text.slice(0, newline));
  } catch {
    return { ok: false, reason: 'header is not JSON' };
  }
  const { format, version } = (header ?? {}) as { format?: unknown; version?: unknown };
  if (format !== DAEMON_HEADER.format || version !== DAEMON_HEADER.version) {
    return { ok: false, reason: `unsupported header ${text.slice(0, Math.min(newline, 80))}` };
  }
  const document = text.slice(newline + 1).trim();
  if (document === '') return { ok: false, reason: 'empty document' };
  return { ok: true, document };
}

export class XRayDaemon {
  private socket?: Socket;

  /**
   * @param deliver - receives each document (it checks and stores it, logging what it rejects)
   * @param log - diagnostic lines for datagrams that are dropped
   */
  constructor(
    private readonly deliver: (document: string) => void,
    private readonly log: (message: string) => void,
  ) {}

  /** Binds an ephemeral loopback port. @returns the address as `127.0.0.1:<port>` */
  async start(host = '127.0.0.1'): Promise<string> {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.on('message', (datagram) => this.receive(datagram));
    // A socket error must never take the cloud down; the daemon is best effort, like tracing itself.
    socket.on('error', (error) => this.log(`xray daemon: socket error: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.unref();
    this.socket = socket;
    const { port } = socket.address() as AddressInfo;
    return `${host}:${port}`;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private receive(datagram: Buffer): void {
    const parsed = parseDaemonDatagram(datagram);
    if (!parsed.ok) {
      this.log(`xray daemon: dropped a datagram (${parsed.reason})`);
      return;
    }
    try {
      this.deliver(parsed.document);
    } catch (error) {
      this.log(`xray daemon: could not store a segment: ${(error as Error).message}`);
    }
  }
}
