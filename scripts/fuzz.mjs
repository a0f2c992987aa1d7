#!/usr/bin/env node
// The full-size hostile-input run: the same tests CI runs (test/unit/hostile, test/integration/hostile) with
// every fuzz property's case count multiplied (FUZZ_RUNS_FACTOR, default 20) and the secrets test's full flag
// matrix, then a table of how many cases each file ran, as RELIABILITY.md reports them.
//   node scripts/fuzz.mjs                 # 20x the CI sizes
//   FUZZ_RUNS_FACTOR=100 node scripts/fuzz.mjs
//   FUZZ_SEED=123 FUZZ_RUNS=1 node scripts/fuzz.mjs test/integration/hostile/s3-xml.test.ts   # replay one case
// Needs a build (`npm run build`) for the CLI tests, like `npm test`.
import { spawn } from 'node:child_process';

const files = process.argv.slice(2).length ? process.argv.slice(2) : ['test/unit/hostile', 'test/integration/hostile'];
const env = { ...process.env, FUZZ_REPORT: '1', FUZZ_RUNS_FACTOR: process.env.FUZZ_RUNS_FACTOR ?? '20' };
const started = Date.now();
const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...files], { env, stdio: ['ignore', 'pipe', 'pipe'] });

const counts = new Map();
let buffered = '';
const scan = (chunk, stream) => {
  stream.write(chunk);
  buffered += chunk.toString();
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) {
    const match = /FUZZ-COUNTS (\S+) (\{.*\})/.exec(line);
    if (!match) continue;
    const byLabel = counts.get(match[1]) ?? new Map();
    for (const [label, count] of Object.entries(JSON.parse(match[2]))) byLabel.set(label, (byLabel.get(label) ?? 0) + count);
    counts.set(match[1], byLabel);
  }
};
child.stdout.on('data', (chunk) => scan(chunk, process.stdout));
child.stderr.on('data', (chunk) => scan(chunk, process.stderr));
child.on('close', (code) => {
  process.stdout.write(`\nHostile-input cases (factor ${env.FUZZ_RUNS_FACTOR}, ${Math.round((Date.now() - started) / 1000)} s):\n`);
  let total = 0;
  for (const [file, byLabel] of [...counts.entries()].sort()) {
    const sum = [...byLabel.values()].reduce((a, b) => a + b, 0);
    total += sum;
    process.stdout.write(`  ${file.padEnd(12)} ${String(sum).padStart(7)}\n`);
    if (process.env.FUZZ_DETAIL) for (const [label, count] of [...byLabel.entries()].sort()) process.stdout.write(`      ${String(count).padStart(6)}  ${label}\n`);
  }
  process.stdout.write(`  ${'total'.padEnd(12)} ${String(total).padStart(7)}\n`);
  process.exit(code ?? 1);
});
