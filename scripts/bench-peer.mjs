#!/usr/bin/env node
// `npm run bench:peer`: thumbctl's local cloud against the lightest peer (scripts/bench-peer-server.mjs: s3rver and
// an in-process sharp resize per put event), side by side in one run, on a baseline 3000x2000 JPEG sharp makes
// here: warm end-to-end p50 and the first event after start (each measured the same way: PutObject, then HeadObject
// every 2 ms until the thumbnail is there), peak memory, and a PUT/GET matrix (4 KB and 1 MiB, concurrency 1 and 8),
// the two servers' cells interleaved. Prints JSON and a Markdown table; BENCHMARKS.md quotes them by hand.
//
// Options (environment): PEER_UPLOADS (warm uploads per side, default 20), PEER_OPS (requests per matrix cell, default 200).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const bin = join(root, 'bin', 'thumbctl.js');
const uploads = Number(process.env.PEER_UPLOADS ?? 20);
const ops = Number(process.env.PEER_OPS ?? 200);
const work = mkdtempSync(join(tmpdir(), 'thumbctl-peer-bench-'));
const env = { ...process.env, CI: 'true', NO_COLOR: '1', THUMBCTL_TARGET: 'local', THUMBCTL_STATE_DIR: join(work, 'state') };
const log = (text) => process.stderr.write(`bench:peer: ${text}\n`);
const p50 = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.ceil(sorted.length * 0.5) - 1] : null;
};
const hwmBytes = (pid) => {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
  } catch {
    return null;
  }
};

function startChild(args, ready) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  return new Promise((resolvePromise, reject) => {
    const timer = setInterval(() => {
      const line = out.split('\n').find((l) => l.trim().startsWith('{'));
      if (line) {
        clearInterval(timer);
        resolvePromise({ child, ...ready(JSON.parse(line)) });
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`${args.join(' ')} exited ${child.exitCode}`));
      }
    }, 20);
  });
}
const stopChild = (child) => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM'))));

function run(args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`thumbctl ${args.join(' ')} exited ${code}`))));
  });
}

/** One upload and the wait for its thumbnail, the same way on both sides. */
async function uploadAndWait(s3, buckets, key, body) {
  const started = performance.now();
  await s3.send(new PutObjectCommand({ Bucket: buckets.source, Key: key, Body: body, ContentType: 'image/jpeg' }));
  for (;;) {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: buckets.thumbnails, Key: key }));
      return performance.now() - started;
    } catch {
      if (performance.now() - started > 120_000) throw new Error(`no thumbnail for ${key}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

/** Requests per second over `ops` requests, `concurrency` at a time. */
async function cell(s3, bucket, method, bytes, concurrency) {
  const body = Buffer.alloc(bytes, 7);
  const key = (i) => `matrix-${bytes}-${i % 16}`;
  if (method === 'GET') for (let i = 0; i < 16; i++) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key(i), Body: body }));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ops) {
        const i = next++;
        if (method === 'PUT') await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key(i), Body: body }));
        else await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key(i) }))).Body.transformToByteArray();
      }
    }),
  );
  return Math.round((ops / ((performance.now() - started) / 1000)) * 10) / 10;
}

const loadBefore = loadavg();
const image = await sharp(join(root, 'assets', 'canyon.jpg')).jpeg({ quality: 90, progressive: false, mozjpeg: false }).toBuffer();
log(`baseline JPEG ${image.length} bytes; load ${loadBefore.map((v) => v.toFixed(2)).join(' ')}`);

const serve = await startChild([bin, 'local', 'serve', '--port', '0', '--json'], (line) => ({ endpoint: line.endpoint, pid: line.pid }));
const peer = await startChild([join(root, 'scripts', 'bench-peer-server.mjs')], (line) => ({ endpoint: `http://127.0.0.1:${line.port}` }));
const result = { uploads, ops, cores: availableParallelism(), loadBefore };
try {
  log('thumbctl setup');
  const setup = JSON.parse(await run(['setup', '--json']));
  const thumbctlBuckets = { source: setup.sourceBucket ?? setup.names?.sourceBucket, thumbnails: setup.thumbnailBucket ?? setup.names?.thumbnailBucket };
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const ours = new S3Client({ endpoint: serve.endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  const theirs = new S3Client({ endpoint: peer.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const peerBuckets = { source: 'source', thumbnails: 'thumbnails' };

  log('first event after start, each side');
  result.firstEventMs = { thumbctl: await uploadAndWait(ours, thumbctlBuckets, 'first-400x400.jpg', image), peer: await uploadAndWait(theirs, peerBuckets, 'first-400x400.jpg', image) };
  log(`warm uploads, ${uploads} per side, interleaved`);
  const warm = { thumbctl: [], peer: [] };
  for (let i = 0; i < uploads; i++) {
    warm.thumbctl.push(await uploadAndWait(ours, thumbctlBuckets, `warm-${i}-400x400.jpg`, image));
    warm.peer.push(await uploadAndWait(theirs, peerBuckets, `warm-${i}-400x400.jpg`, image));
  }
  result.warmP50Ms = { thumbctl: p50(warm.thumbctl), peer: p50(warm.peer) };
  log('PUT/GET matrix, cells interleaved');
  result.matrix = [];
  for (const method of ['PUT', 'GET']) {
    for (const bytes of [4096, 1048576]) {
      for (const concurrency of [1, 8]) {
        const thumbctl = await cell(ours, thumbctlBuckets.source.replace('source', 'thumbnails'), method, bytes, concurrency);
        const s3rver = await cell(theirs, 'thumbnails', method, bytes, concurrency);
        result.matrix.push({ method, bytes, concurrency, thumbctlPerSec: thumbctl, s3rverPerSec: s3rver, ratio: Math.round((thumbctl / s3rver) * 100) / 100 });
      }
    }
  }
  // Memory: the serve process, and each function environment's largest process (its Node.js runtime, below the
  // init and unshare), against the peer's single process.
  const childrenOf = (pid) => {
    try {
      return readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      return [];
    }
  };
  const descendants = (pid) => childrenOf(pid).flatMap((child) => [child, ...descendants(child)]);
  const envPeaks = childrenOf(serve.pid).map((leader) => Math.max(0, ...[leader, ...descendants(leader)].map((pid) => hwmBytes(pid) ?? 0)));
  result.memory = { servePeakBytes: hwmBytes(serve.pid), environmentPeakBytes: envPeaks, peerPeakBytes: hwmBytes(peer.child.pid) };
  result.loadAfter = loadavg();
} finally {
  await stopChild(serve.child);
  await stopChild(peer.child);
  rmSync(work, { recursive: true, force: true });
}
const r2 = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);
result.ratios = {
  warmE2e: r2(result.warmP50Ms.thumbctl, result.warmP50Ms.peer),
  firstEvent: r2(result.firstEventMs.thumbctl, result.firstEventMs.peer),
  // serve + one warm environment, against the peer's one process.
  memoryOneWarm: r2((result.memory.servePeakBytes ?? 0) + Math.max(0, ...result.memory.environmentPeakBytes), result.memory.peerPeakBytes),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
