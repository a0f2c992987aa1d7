#!/usr/bin/env node
// `npm run bench`: the fixed benchmark scenario (its targets in cli/core/bench/targets.ts), written into BENCHMARKS.md. In a fresh temporary
// state directory, with `thumbctl local serve` running in the background (so warm environments persist across
// commands): a cold run, a no-op `setup` timed, `thumbctl --version` against `node -e 0`, a latency run (one upload
// at a time) and a throughput run (40 uploads at concurrency = cores), then ImageMagick on the same image, all on a
// baseline (non-progressive) 3000x2000 JPEG that sharp makes here from the bundled sample (no binary is committed);
// then a shorter latency run each on the bundled progressive JPEG, a PNG with alpha and a WebP, shown, not judged.
// It drives the built CLI as a user would and renders with dist/cli/core/bench/markdown.js; the numbers come from
// `bench --json`.
//
// Options (environment): BENCH_COUNT (throughput run, default 40), BENCH_LATENCY_COUNT (default 20),
// BENCH_FORMAT_COUNT (each other format, default 10), BENCH_OUT (default BENCHMARKS.md), BENCH_KEEP_STATE=1.
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

/** Runs a command to completion; resolves with its output and wall time. */
function run(command, args, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: stateDir, env, stdio: ['ignore', 'pipe', options.inheritStderr ? 'inherit' : 'pipe'] });
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
    cli: { versionMs: median(versionRuns), nodeMs: median(nodeRuns), runs: versionRuns.length, setupNoopMs: median(setupRuns), setupRuns: setupRuns.length },
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
