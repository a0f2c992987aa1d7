// `thumbctl bench` end to end on its own local cloud: a small run (4 uploads, 2 at a time) that must produce every
// thumbnail and every field of the `--json` contract. A benchmark, not a timed assertion: numbers are checked for
// being there and positive, never against a clock or a ratio.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runThumbctl } from '../../helpers/thumbctl.js';

const dir = mkdtempSync(join(tmpdir(), 'thumbctl-bench-test-'));
const stateDir = join(dir, 'state');

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const positive = (value: unknown, name: string): void => {
  assert.equal(typeof value, 'number', `${name} is a number`);
  assert.ok((value as number) > 0, `${name} is positive (${String(value)})`);
};

describe('thumbctl bench', () => {
  it('uploads 4 copies 2 at a time, loses none, and reports every field of the contract', async () => {
    // Act
    const result = await runThumbctl(['bench', '--state-dir', stateDir, '--count', '4', '--concurrency', '2', '--json'], { cwd: dir, timeoutMs: 240_000 });

    // Assess
    assert.equal(result.code, 0, result.stderr);
    const bench = result.json();
    assert.equal(bench.count, 4);
    assert.equal(bench.concurrency, 2);
    assert.match(bench.image, /canyon\.jpg$/);
    assert.equal(bench.size, '400x400');
    assert.equal(bench.lost, 0);
    for (const name of ['p50Ms', 'p90Ms', 'p99Ms', 'maxMs']) positive(bench.latency[name], `latency.${name}`);
    assert.ok(bench.latency.p50Ms <= bench.latency.maxMs);
    positive(bench.throughputPerSec, 'throughputPerSec');
    assert.ok(Number.isInteger(bench.coldStarts) && bench.coldStarts >= 1, 'a fresh cloud starts at least one environment cold');
    positive(bench.function.durationP50Ms, 'function.durationP50Ms');
    positive(bench.function.resizeP50Ms, 'function.resizeP50Ms');
    positive(bench.function.initMs, 'function.initMs');
    positive(bench.baseline.sharpP50Ms, 'baseline.sharpP50Ms');
    positive(bench.ratios.e2e, 'ratios.e2e');
    positive(bench.ratios.resize, 'ratios.resize');
    positive(bench.packageBytes, 'packageBytes');
    positive(bench.peakMemoryBytes, 'peakMemoryBytes');
    assert.equal(bench.function.traces, 4, 'every upload is matched with its trace');
    assert.equal(bench.latency.cold.count + bench.latency.warm.count, 4);
    assert.equal(bench.coldStarts, bench.latency.cold.count);
    assert.deepEqual(
      bench.targets.map((target: { id: string }) => target.id),
      ['e2e', 'resize', 'handler', 'cloudCpu', 'throughput', 'init', 'idleMemory', 'serveReady', 'firstSetup', 'zip', 'version', 'setup'],
    );
    // The environments are process trees (an init, the runtime under it): their CPU and memory are the runtime's.
    positive(bench.cpu.functionsMs, 'cpu.functionsMs');
    assert.ok(bench.memory.functionPeakBytes > 20 * 1024 * 1024, `a runtime's peak, not its init shell's (${bench.memory.functionPeakBytes})`);
    assert.ok(bench.memory.idleRuntimeBytes.length >= 1, 'the environments are alive, idle, after the run');
    for (const bytes of bench.memory.idleRuntimeBytes) assert.ok(bytes > 20 * 1024 * 1024, `an idle runtime's RSS (${bytes})`);
    assert.equal(typeof bench.breakdown.handlerOwnMs, 'number');
    // Two at a time: no baseline between uploads, so no paired ratios; the targets are judged on p50 over p50.
    assert.equal(bench.baseline.betweenUploads, 0);
    assert.equal(bench.ratios.e2ePaired, null);
    assert.equal(bench.targets[0].basis, 'p50');
    // Cost per 1,000 thumbnails of these 4 invocations, from the dated price table and the function's own log bytes.
    assert.equal(bench.cost.invocations, 4);
    assert.equal(bench.cost.memoryMb, 512);
    assert.equal(bench.memoryMb, 512);
    assert.equal(bench.cpuShare, 'host');
    assert.equal(bench.cost.prices.region, 'us-east-1');
    assert.match(bench.cost.prices.takenOn, /^\d{4}-\d{2}-\d{2}$/);
    positive(bench.cost.billedMsMean, 'cost.billedMsMean');
    positive(bench.cost.logBytesPerInvocation, 'cost.logBytesPerInvocation');
    const parts = bench.cost.per1000;
    for (const name of ['lambdaDuration', 'lambdaRequests', 's3Get', 's3Put', 'xrayTraces', 'logsIngestion']) positive(parts[name], `cost.per1000.${name}`);
    const sum = parts.lambdaDuration + parts.lambdaRequests + parts.s3Get + parts.s3Put + parts.xrayTraces + parts.logsIngestion;
    assert.ok(Math.abs(parts.total - sum) < 1e-12, 'the total is the sum of its parts');
    // Billed duration × 512 MB × the x86_64 price, per 1,000: the duration line follows from the mean billed ms.
    assert.ok(Math.abs(parts.lambdaDuration - (bench.cost.billedMsMean / 1000) * 0.5 * 0.0000166667 * 1000) < 1e-12);
  });

  it('one at a time, times the baseline after each upload and pairs them', async () => {
    const result = await runThumbctl(['bench', '--state-dir', stateDir, '--count', '3', '--concurrency', '1', '--json'], { cwd: dir, timeoutMs: 240_000 });
    assert.equal(result.code, 0, result.stderr);
    const bench = JSON.parse(result.stdout);
    assert.equal(bench.lost, 0);
    assert.equal(bench.baseline.betweenUploads, 3);
    assert.equal(bench.baseline.iterations, 23, '10 before, 3 between, 10 after');
    positive(bench.ratios.resizePaired, 'ratios.resizePaired');
    positive(bench.ratios.e2ePaired, 'ratios.e2ePaired');
    assert.equal(bench.targets[0].basis, 'paired');
    assert.equal(bench.targets[0].value, bench.ratios.e2ePaired);
  });

  it('runs again on the same state (setup unchanged) and prints the report for people', async () => {
    const result = await runThumbctl(['bench', '--state-dir', stateDir, '--count', '2', '--concurrency', '1'], { cwd: dir, timeoutMs: 240_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /unchanged/);
    assert.match(result.stdout, /2 × canyon\.jpg .* → 400x400, 1 at a time/);
    assert.match(result.stdout, /bare sharp p50 \d/);
    assert.match(result.stdout, /lost\s+0/);
    assert.match(result.stdout, /cost per 1,000 thumbnails: \$\d/);
    assert.match(result.stdout, /us-east-1 on-demand list prices read \d{4}-\d{2}-\d{2}/);
  });

  it('refuses a bad count before touching anything (exit 2)', async () => {
    const result = await runThumbctl(['bench', '--state-dir', join(dir, 'untouched'), '--count', '0'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--count must be a whole number/);
  });

  it('refuses a missing image before uploading anything (exit 2)', async () => {
    const result = await runThumbctl(['bench', '--state-dir', stateDir, '--image', join(dir, 'nope.jpg'), '--count', '1'], { cwd: dir, timeoutMs: 120_000 });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /file not found/);
  });
});
