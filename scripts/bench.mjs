#!/usr/bin/env node
// `npm run bench`: the fixed benchmark scenario (its targets in cli/core/bench/targets.ts), written into BENCHMARKS.md. In a fresh temporary
// state directory, with `thumbctl local serve` running in the background (so warm environments persist across
// commands): `local serve` ready and a first `setup` timed on fresh state directories of their own, a cold run, a
// no-op `setup` timed, `thumbctl --version` against `node -e 0`, a latency run (one upload
// at a time) and a throughput run (40 uploads at concurrency = cores), then ImageMagick on the same image, all on a
// baseline (non-progressive) 3000x2000 JPEG that sharp makes here from the bundled sample (no binary is committed);
// then a shorter latency run each on the bundled progressive JPEG, a PNG with alpha and a WebP, shown, not judged.
// It drives the built CLI as a user would and renders with dist/cli/core/bench/markdown.js; the numbers come from
// `bench --json`.
//
// Options (environment): BENCH_COUNT (throughput run, default 40), BENCH_LATENCY_COUNT (default 20),
// BENCH_FORMAT_COUNT (each other format, default 10), BENCH_READY_RUNS (serve ready timings, default 5), BENCH_OUT
// (default BENCHMARKS.md), BENCH_KEEP_STATE=1.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const bin = join(root, 'bin', 'thumbctl.js');
const markdownModule = join(root, 'dist', 'cli', 'core', 'bench', 'markdown.js');
if (!existsSync(markdownModule)) {
  process.stderr.write('bench: dist/ is missing; run `npm run build` first\n');
  process.exit(1);
}
const { renderBenchmarksSection, spliceGenerated } = await import(markdownModule);
const { measureImageMagick } = await import(join(root, 'dist', 'cli', 'core', 'bench', 'imagemagick.js'));
const { median } = await import(join(root, 'dist', 'cli', 'core', 'bench', 'stats.js'));

const cores = availableParallelism();
const count = Number(process.env.BENCH_COUNT ?? 40);
const latencyCount = Number(process.env.BENCH_LATENCY_COUNT ?? 20);
const formatCount = Number(process.env.BENCH_FORMAT_COUNT ?? 10);
const outFile = resolve(root, process.env.BENCH_OUT ?? 'BENCHMARKS.md');
const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-bench-'));
const env = { ...process.env, CI: 'true', NO_COLOR: '1', THUMBCTL_TARGET: 'local', THUMBCTL_STATE_DIR: stateDir };
const log = (text) => process.stderr.write(`bench: ${text}\n`);

/** Runs a command to completion (in the scenario's state directory unless told another); resolves with its output and wall time. */
function run(command, args, options = {}) {
  const directory = options.stateDir ?? stateDir;
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: directory, env: { ...env, THUMBCTL_STATE_DIR: directory }, stdio: ['ignore', 'pipe', options.inheritStderr ? 'inherit' : 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

async function thumbctlJson(args) {
  const result = await run(process.execPath, [bin, ...args, '--json'], { inheritStderr: true });
  if (result.code !== 0) throw new Error(`thumbctl ${args.join(' ')} exited ${result.code}`);
  return JSON.parse(result.stdout);
}

/** `thumbctl local serve` in the background; resolves once it has recorded its endpoint. */
async function startServe() {
  const child = spawn(process.execPath, [bin, 'local', 'serve', '--port', '0', '--json'], { cwd: stateDir, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const line = stdout.split('\n').find((l) => l.trim().startsWith('{'));
    if (line) return { child, ...JSON.parse(line) };
    if (child.exitCode !== null) throw new Error(`local serve exited ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGTERM');
  throw new Error('local serve did not start within 30 s');
}

/** Spawn → `local serve`'s ready line (its --json document) on a fresh state directory, then stopped; in ms. */
async function timeServeReady() {
  const directory = mkdtempSync(join(tmpdir(), 'thumbctl-bench-ready-'));
  try {
    const started = performance.now();
    const child = spawn(process.execPath, [bin, 'local', 'serve', '--port', '0', '--json'], { cwd: directory, env: { ...env, THUMBCTL_STATE_DIR: directory }, stdio: ['ignore', 'pipe', 'ignore'] });
    const readyMs = await new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error('local serve was not ready within 30 s')), 30_000);
      child.stdout.on('data', (chunk) => {
        if (!chunk.includes('{')) return;
        clearTimeout(timer);
        resolvePromise(performance.now() - started);
      });
      child.once('exit', (code) => reject(new Error(`local serve exited ${code} before it was ready`)));
    });
    await stopServe({ child });
    return readyMs;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** A first `thumbctl setup` on a fresh state directory (its own embedded cloud, as a newcomer's first command). */
async function timeFirstSetup() {
  const directory = mkdtempSync(join(tmpdir(), 'thumbctl-bench-setup-'));
  try {
    const result = await run(process.execPath, [bin, 'setup', '--json'], { stateDir: directory });
    if (result.code !== 0) throw new Error(`first setup exited ${result.code}: ${result.stderr}`);
    const packageAction = JSON.parse(result.stdout).resources?.find((resource) => resource.type === 'package')?.action;
    return { ms: result.ms, packageCached: packageAction === 'unchanged' };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function stopServe(serve) {
  return new Promise((resolvePromise) => {
    if (serve.child.exitCode !== null) return resolvePromise();
    serve.child.once('exit', () => resolvePromise());
    serve.child.kill('SIGTERM');
    setTimeout(() => serve.child.kill('SIGKILL'), 10_000).unref();
  });
}

/**
 * The scenario's images, made from the bundled sample (a progressive 3000x2000 JPEG, whose slow decode would hide
 * the pipeline's own cost): the judged baseline JPEG at the same size, a PNG with an alpha channel (1500x1000: a
 * 3000x2000 RGBA PNG is ~15 MB) and a WebP at full size.
 */
async function makeImages() {
  const { default: sharp } = await import('sharp');
  const sample = join(root, 'assets', 'canyon.jpg');
  const directory = join(stateDir, 'images');
  mkdirSync(directory, { recursive: true });
  const images = {
    baseline: join(directory, 'baseline.jpg'),
    progressive: sample,
    png: join(directory, 'alpha.png'),
    webp: join(directory, 'photo.webp'),
  };
  await sharp(sample).jpeg({ quality: 90, progressive: false, mozjpeg: false }).toFile(images.baseline);
  await sharp(sample).resize(1500, 1000).ensureAlpha(0.6).png().toFile(images.png);
  await sharp(sample).webp({ quality: 80 }).toFile(images.webp);
  return images;
}

const loadBefore = loadavg();
log(`state in ${stateDir}; ${cores} cores; load ${loadBefore.map((v) => v.toFixed(2)).join(' ')}`);
const serveReadyRuns = Number(process.env.BENCH_READY_RUNS ?? 5);
log(`local serve ready on a fresh state dir, ${serveReadyRuns} times; then a first setup on a fresh state dir, 3 times`);
const readyRuns = [];
for (let i = 0; i < serveReadyRuns; i++) readyRuns.push(await timeServeReady());
const firstSetups = [];
for (let i = 0; i < 3; i++) firstSetups.push(await timeFirstSetup());
const serve = await startServe();
log(`local cloud at ${serve.endpoint} (pid ${serve.pid})`);
let results;
try {
  const images = await makeImages();
  log(`images: ${Object.values(images).join(', ')}`);
  const judged = ['--image', images.baseline];
  log(`cold run: ${cores} uploads, ${cores} at a time, on a fresh cloud (setup creates everything first)`);
  const cold = await thumbctlJson(['bench', ...judged, '--count', String(cores), '--concurrency', String(cores)]);

  log('no-op setup, 3 times');
  const setupRuns = [];
  for (let i = 0; i < 3; i++) {
    const result = await run(process.execPath, [bin, 'setup', '--json']);
    if (result.code !== 0) throw new Error(`setup exited ${result.code}: ${result.stderr}`);
    setupRuns.push(result.ms);
  }

  log('thumbctl --version against node -e 0, 10 runs each');
  const versionRuns = [];
  const nodeRuns = [];
  for (let i = 0; i < 10; i++) {
    nodeRuns.push((await run(process.execPath, ['-e', '0'])).ms);
    versionRuns.push((await run(process.execPath, [bin, '--version'])).ms);
  }

  log(`latency run: ${latencyCount} uploads, one at a time`);
  const latency = await thumbctlJson(['bench', ...judged, '--count', String(latencyCount), '--concurrency', '1']);

  log(`throughput run: ${count} uploads, ${cores} at a time`);
  const throughput = await thumbctlJson(['bench', ...judged, '--count', String(count), '--concurrency', String(cores)]);

  log('ImageMagick on the same image');
  const imagemagick = await measureImageMagick(images.baseline, { width: 400, height: 400 }, 7);

  const formats = [];
  for (const [label, image] of [
    ['the bundled progressive JPEG, 3000x2000', images.progressive],
    ['PNG with alpha, 1500x1000', images.png],
    ['WebP, 3000x2000', images.webp],
  ]) {
    log(`${label}: ${formatCount} uploads, one at a time (shown, not judged)`);
    formats.push({ label, run: await thumbctlJson(['bench', '--image', image, '--count', String(formatCount), '--concurrency', '1']) });
  }

  const machine = {
    cpuModel: cpus()[0]?.model?.trim() ?? 'unknown CPU',
    cores,
    memoryBytes: totalmem(),
    loadBefore,
    loadAfter: loadavg(),
    node: process.versions.node,
    platform: `${process.platform} ${release()}`,
  };
  results = {
    generatedAt: new Date().toISOString(),
    machine,
    cold,
    latency,
    throughput,
    imageNote: 'A baseline (non-progressive) JPEG that sharp made from the bundled canyon.jpg at the same size,',
    formats,
    cli: {
      versionMs: median(versionRuns),
      nodeMs: median(nodeRuns),
      runs: versionRuns.length,
      setupNoopMs: median(setupRuns),
      setupRuns: setupRuns.length,
      serveReadyMs: median(readyRuns),
      serveReadyRuns: readyRuns.length,
      firstSetupMs: median(firstSetups.map((run) => run.ms)),
      firstSetupPackageCached: firstSetups.every((run) => run.packageCached),
    },
    imagemagick,
  };
} finally {
  await stopServe(serve);
  if (process.env.BENCH_KEEP_STATE !== '1') rmSync(stateDir, { recursive: true, force: true });
}

const existing = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '# Benchmarks\n';
writeFileSync(outFile, spliceGenerated(existing, renderBenchmarksSection(results)));
writeFileSync(join(tmpdir(), 'thumbctl-bench-last.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${renderBenchmarksSection(results)}\n`);
log(`wrote ${outFile} (raw numbers: ${join(tmpdir(), 'thumbctl-bench-last.json')})`);
