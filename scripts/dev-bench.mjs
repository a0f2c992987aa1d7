#!/usr/bin/env node
// `npm run bench:dev`: save → rebuilt → deployed → thumbnail, the `thumbctl dev` loop timed over N saves of the stock
// function (ejected unchanged into a temporary project, so saves never touch thumbctl's own function/). Each save
// changes the bundle (an exported constant), so every one is rebuilt, redeployed and replayed cold. It drives the
// built CLI as a user would (`dev --json`) and prints percentiles of each part; BENCHMARKS.md quotes a run.
//
// Options (environment): DEV_BENCH_SAVES (default 20), DEV_BENCH_PAUSE_MS between saves (default 300),
// DEV_BENCH_KEEP=1 keeps the temporary project.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const bin = join(root, 'bin', 'thumbctl.js');
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  process.stderr.write('dev-bench: dist/ is missing; run `npm run build` first\n');
  process.exit(1);
}
const saves = Number(process.env.DEV_BENCH_SAVES ?? 20);
const pauseMs = Number(process.env.DEV_BENCH_PAUSE_MS ?? 300);
const project = mkdtempSync(join(tmpdir(), 'thumbctl-dev-bench-'));
const env = { ...process.env, CI: 'true', NO_COLOR: '1', THUMBCTL_TARGET: 'local', THUMBCTL_STATE_DIR: join(project, '.thumbctl') };
const log = (text) => process.stderr.write(`dev-bench: ${text}\n`);

const ejected = spawnSync(process.execPath, [bin, 'eject'], { cwd: project, env, encoding: 'utf8' });
if (ejected.status !== 0) throw new Error(`eject failed: ${ejected.stderr}`);
const handler = join(project, 'thumbnailer', 'handler.ts');
const original = readFileSync(handler, 'utf8');

const load = loadavg().map((value) => value.toFixed(2)).join(' / ');
log(`${availableParallelism()} cores (${cpus()[0]?.model.trim()}), load ${load}; ${saves} saves in ${project}`);

const dev = spawn(process.execPath, [bin, 'dev', '--json'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
let buffered = '';
const builds = [];
const waiters = [];
dev.stderr.on('data', (chunk) => {
  stderr += chunk;
});
dev.stdout.on('data', (chunk) => {
  buffered += chunk;
  for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (!line.trim()) continue;
    const build = { ...JSON.parse(line), receivedAt: performance.now() };
    builds.push(build);
    waiters.shift()?.(build);
  }
});
const exited = new Promise((resolvePromise) => dev.once('exit', resolvePromise));

async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline || dev.exitCode !== null) throw new Error(`dev-bench: no ${what}\n${stderr}`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
  }
}

try {
  await until(() => /watching /.test(stderr), 180_000, 'ready line from dev');
  const rows = [];
  for (let save = 1; save <= saves; save++) {
    await new Promise((resolvePromise) => setTimeout(resolvePromise, pauseMs));
    const next = new Promise((resolvePromise) => waiters.push(resolvePromise));
    const writtenAt = performance.now();
    writeFileSync(handler, `${original}\nexport const DEV_BENCH_SAVE = ${save};\n`);
    const build = await Promise.race([next, exited.then(() => Promise.reject(new Error(`dev exited:\n${stderr}`)))]);
    if (build.error) throw new Error(`save ${save} failed at ${build.stage}: ${build.error}`);
    rows.push({ ...build, lineMs: build.receivedAt - writtenAt });
    log(`save ${save}: save → thumbnail ${build.saveToThumbnailMs} ms (wait ${build.timings.waitMs ?? '–'}, bundle ${build.timings.bundleMs}, zip ${build.timings.zipMs}, update ${build.timings.updateMs}, settle ${build.timings.settleMs}, replay ${build.e2eMs} of which init ${build.phases?.initMs ?? '–'}, read back ${build.timings.readBackMs ?? '–'})`);
  }
  const percentile = (values, p) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
  };
  const pick = {
    'save → thumbnail (dev measures from the file event)': (row) => row.saveToThumbnailMs,
    'save → its line on stdout (trace fetched, as printed)': (row) => row.lineMs,
    'save → build start (saves gathered)': (row) => row.timings.waitMs ?? NaN,
    'esbuild rebuild (incremental)': (row) => row.timings.bundleMs,
    'zip (bundle deflated, sharp spliced in)': (row) => row.timings.zipMs,
    'UpdateFunctionCode': (row) => row.timings.updateMs,
    'waiter until Successful': (row) => row.timings.settleMs,
    'replay: Invoke → answer (cold)': (row) => row.e2eMs,
    '… of which init': (row) => row.phases?.initMs ?? NaN,
    '… of which resize': (row) => row.phases?.resizeMs ?? NaN,
    'answer → thumbnail and trace read back': (row) => row.timings.readBackMs ?? NaN,
  };
  const table = ['| Part | p50 | p90 | max |', '|---|---|---|---|'];
  for (const [label, value] of Object.entries(pick)) {
    const values = rows.map(value).filter((number) => Number.isFinite(number));
    if (values.length === 0) continue;
    table.push(`| ${label} | ${percentile(values, 50).toFixed(0)} ms | ${percentile(values, 90).toFixed(0)} ms | ${Math.max(...values).toFixed(0)} ms |`);
  }
  const summary = `${rows.length} saves, ${availableParallelism()} cores, load ${load} at the start and ${loadavg().map((value) => value.toFixed(2)).join(' / ')} at the end`;
  process.stdout.write(`${summary}\n\n${table.join('\n')}\n`);
  if (process.env.DEV_BENCH_OUT) appendFileSync(process.env.DEV_BENCH_OUT, `${JSON.stringify({ summary, rows })}\n`);
} finally {
  dev.kill('SIGINT');
  await exited;
  if (process.env.DEV_BENCH_KEEP !== '1') rmSync(project, { recursive: true, force: true });
}
