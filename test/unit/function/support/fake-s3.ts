// A minimal path-style S3 endpoint (GetObject / PutObject only) on 127.0.0.1, so the real S3 client in the
// bundled handler can be exercised end to end without AWS or the emulator.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeS3 {
  readonly endpoint: string;
  readonly objects: Map<string, { body: Buffer; contentType?: string }>;
  close(): Promise<void>;
}

/** Starts the endpoint on a free port. Objects are keyed `bucket/key` (decoded). */
export async function startFakeS3(): Promise<FakeS3> {
  const objects = new Map<string, { body: Buffer; contentType?: string }>();
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const address = decodeURIComponent(url.pathname.slice(1));
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'PUT') {
        const contentType = request.headers['content-type'];
        objects.set(address, contentType === undefined ? { body: Buffer.concat(chunks) } : { body: Buffer.concat(chunks), contentType });
        response.writeHead(200, { ETag: '"fake"' }).end();
        return;
      }
      const object = objects.get(address);
      if (request.method === 'GET' && object) {
        response.writeHead(200, { 'Content-Type': object.contentType ?? 'application/octet-stream', 'Content-Length': object.body.length });
        response.end(object.body);
        return;
      }
      response
        .writeHead(404, { 'Content-Type': 'application/xml' })
        .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    objects,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
