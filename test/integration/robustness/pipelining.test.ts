// Backpressure against a peer that sends and never reads: pipelined requests on connections whose answers are
// never read must not make the server buffer them all (the server once grew from 90 MB to 2.1 GB on one such
// connection, and twenty of them starved every other client for 25 s). The server runs as `local serve` in its
// own process so its RSS is its own; another client keeps calling it during each attack.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { assertBuilt, s3Client, startServe, type ServeProcess } from '../reliability/support.js';

/** The documented bound (RELIABILITY.md): the server's RSS stays within this much above idle under these attacks. */
const RSS_BOUND_MB = 300;
/** Generous: a call that waited behind an attacker's backlog took seconds (25 s before the fix). */
const OTHER_CLIENT_MAX_MS = 2_000;
/** Above this the attack is stopped at once, failing the test, so a regression cannot exhaust the machine. */
const SAFETY_STOP_MB = 800;

let stateDir: string;
let serve: ServeProcess;
let s3: S3Client;
const attackers: Socket[] = [];

before(async () => {
  assertBuilt();
  stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-pipelining-'));
  serve = await startServe(stateDir);
  s3 = s3Client(serve.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: 'pipes' }));
  await s3.send(new PutObjectCommand({ Bucket: 'pipes', Key: 'mebibyte', Body: Buffer.alloc(1024 * 1024, 1) }));
  for (let i = 0; i < 20; i++) await s3.send(new PutObjectCommand({ Bucket: 'pipes', Key: `small/${i}`, Body: `object ${i}` }));
});

after(async () => {
  for (const socket of attackers) socket.destroy();
  s3?.destroy();
  await serve?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Opens a connection that writes `count` copies of `request` at once and never reads a byte of the answers. */
function pipelineAndNeverRead(endpoint: string, request: string, count: number): Promise<Socket> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => {
      socket.pause();
      socket.write(request.repeat(count));
      resolve(socket);
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
    attackers.push(socket);
  });
}

/**
 * While `attack` runs: samples the server's RSS and times another client's calls, for `durationMs`.
 * @returns the peak RSS above `idleMb`, and every call's latency
 */
async function underAttack(attack: () => Promise<Socket[]>, durationMs: number, idleMb: number): Promise<{ peakAboveIdleMb: number; latencies: number[]; failures: string[] }> {
  const sockets = await attack();
  let peak = 0;
  const latencies: number[] = [];
  const failures: string[] = [];
  const deadline = Date.now() + durationMs;
  const sampler = (async () => {
    while (Date.now() < deadline) {
      const above = rssMb(serve.pid) - idleMb;
      peak = Math.max(peak, above);
      if (above > SAFETY_STOP_MB) {
        for (const socket of sockets) socket.destroy();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const probes = (async () => {
    const calls = [
      () => s3.send(new HeadBucketCommand({ Bucket: 'pipes' })),
      () => s3.send(new ListObjectsV2Command({ Bucket: 'pipes', Prefix: 'small/' })),
      async () => (await s3.send(new GetObjectCommand({ Bucket: 'pipes', Key: 'small/3' }))).Body!.transformToString(),
    ];
    for (let i = 0; Date.now() < deadline; i++) {
      const started = Date.now();
      try {
        await calls[i % calls.length]!();
      } catch (error) {
        failures.push(String(error));
      }
      latencies.push(Date.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  await Promise.all([sampler, probes]);
  for (const socket of sockets) socket.destroy();
  return { peakAboveIdleMb: Math.round(peak), latencies, failures };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function settledIdleMb(): Promise<number> {
  // Let the previous attack's connections close and their memory go back.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  for (let i = 0; i < 5; i++) await s3.send(new HeadBucketCommand({ Bucket: 'pipes' }));
  return rssMb(serve.pid);
}

describe('pipelined requests that are never read', () => {
  it(`4,000 GETs of a 1 MiB object on one connection: RSS within ${RSS_BOUND_MB} MB of idle, others answered`, { timeout: 120_000 }, async (t) => {
    const idle = await settledIdleMb();
    const get = 'GET /pipes/mebibyte HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    const result = await underAttack(async () => [await pipelineAndNeverRead(serve.endpoint, get, 4000)], 6_000, idle);
    t.diagnostic(`idle ${Math.round(idle)} MB, peak ${result.peakAboveIdleMb} MB above idle; other client: ${result.latencies.length} calls, median ${median(result.latencies)} ms, slowest ${Math.max(...result.latencies)} ms`);
    assert.deepEqual(result.failures, []);
    assert.ok(result.peakAboveIdleMb < RSS_BOUND_MB, `peak RSS ${result.peakAboveIdleMb} MB above idle (${Math.round(idle)} MB)`);
    assert.ok(result.latencies.length >= 10, `the other client kept calling (${result.latencies.length} calls)`);
    assert.ok(Math.max(...result.latencies) < OTHER_CLIENT_MAX_MS, `the other client's slowest call took ${Math.max(...result.latencies)} ms`);
  });

  it(`twenty connections of 2,000 pipelined listings each: RSS within ${RSS_BOUND_MB} MB of idle, others answered`, { timeout: 120_000 }, async (t) => {
    const idle = await settledIdleMb();
    const list = 'GET /pipes?list-type=2&prefix=small%2F HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    const result = await underAttack(() => Promise.all(Array.from({ length: 20 }, () => pipelineAndNeverRead(serve.endpoint, list, 2000))), 6_000, idle);
    t.diagnostic(`idle ${Math.round(idle)} MB, peak ${result.peakAboveIdleMb} MB above idle; other client: ${result.latencies.length} calls, median ${median(result.latencies)} ms, slowest ${Math.max(...result.latencies)} ms`);
    assert.deepEqual(result.failures, []);
    assert.ok(result.peakAboveIdleMb < RSS_BOUND_MB, `peak RSS ${result.peakAboveIdleMb} MB above idle (${Math.round(idle)} MB)`);
    assert.ok(result.latencies.length >= 10, `the other client kept calling (${result.latencies.length} calls)`);
    assert.ok(Math.max(...result.latencies) < OTHER_CLIENT_MAX_MS, `the other client's slowest call took ${Math.max(...result.latencies)} ms`);
  });

  it('still answers a pipelining client that reads, every answer in order', { timeout: 60_000 }, async () => {
    const url = new URL(serve.endpoint);
    const count = 200;
    const requests = Array.from({ length: count }, (_, i) => `GET /pipes/small/${i % 20} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`).join('');
    const received = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect({ host: url.hostname, port: Number(url.port) }, () => socket.write(requests));
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        text += chunk;
        if ((text.match(/HTTP\/1\.1 200 OK/g) ?? []).length === count && text.endsWith(`object ${(count - 1) % 20}`)) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      setTimeout(() => reject(new Error(`only ${(text.match(/HTTP\/1\.1 200/g) ?? []).length} answers`)), 30_000).unref();
    });
    const bodies = [...received.matchAll(/\r\n\r\n(object \d+)/g)].map((match) => match[1]);
    assert.deepEqual(bodies, Array.from({ length: count }, (_, i) => `object ${i % 20}`));
  });
});
