import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseMemoryList, renderSweepText, summariseSweep } from '../../../../../cli/core/bench/sweep.js';
import { estimateCost } from '../../../../../cli/core/cost/estimate.js';
import type { TraceRow } from '../../../../../cli/core/traces/analyse.js';
import { benchResult } from './fixtures.js';

const row = (invocationMs: number): TraceRow => ({
  id: 't',
  startTime: '2026-12-03T00:00:00.000Z',
  key: 'k',
  coldStart: false,
  error: null,
  errorKind: null,
  durationMs: invocationMs,
  e2eMs: invocationMs,
  phases: { initMs: null, dwellMs: null, invocationMs, s3GetMs: null, resizeMs: null, s3PutMs: null, overheadMs: null },
  variants: null,
  attempts: 1,
  partial: false,
  missing: [],
});

/** A bench run at `memoryMb` whose invocations each took `invocationMs`. */
const runAt = (memoryMb: number, invocationMs: number) => {
  const cost = estimateCost({ rows: [row(invocationMs), row(invocationMs)], memoryMb, architecture: 'x86_64', logBytesPerInvocation: 500 });
  return benchResult({ memoryMb, cost, function: { durationP50Ms: invocationMs, resizeP50Ms: null, initMs: null, initMaxMs: null, traces: 2 } });
};

describe('bench --memory as a sweep', () => {
  it('takes two or more comma-separated sizes in Lambda’s range; one size is not a sweep', () => {
    assert.deepEqual(parseMemoryList('256,512,1024,1769'), [256, 512, 1024, 1769]);
    assert.deepEqual(parseMemoryList(' 256 , 512,256'), [256, 512]);
    assert.equal(parseMemoryList('512'), undefined);
    assert.equal(parseMemoryList(undefined), undefined);
    for (const bad of ['256,abc', '64,512', '256,20000', '256,', '512,512', '1.5,512']) {
      assert.throws(() => parseMemoryList(bad), (error: Error & { exitCode?: number }) => error.exitCode === 2, bad);
    }
  });

  it('marks the cheapest by cost per 1,000 and the fastest by duration p50', () => {
    // Twice the memory at less than half the time is both faster and cheaper; more memory beyond that only faster.
    const result = summariseSweep([runAt(256, 800), runAt(512, 300), runAt(1024, 200), runAt(1769, 180)], 'lambda');
    assert.equal(result.cheapestMemoryMb, 512);
    assert.equal(result.fastestMemoryMb, 1769);
    assert.deepEqual(result.sweep.map((r) => [r.memoryMb, r.cheapest, r.fastest]), [[256, false, false], [512, true, false], [1024, false, false], [1769, false, true]]);
    // 300 ms × 0.5 GB × $0.0000166667 × 1,000 + request + GET + PUT + trace + 500 B of logs.
    const expected = 0.3 * 0.5 * 0.0000166667 * 1000 + 0.0002 + 0.0004 + 0.005 + 0.005 + (500 / 1024 ** 3) * 0.5 * 1000;
    assert.ok(Math.abs((result.sweep[1]?.costPer1000 ?? 0) - expected) < 1e-12);
    assert.equal(result.sweep[3]?.vcpu, 1);
    const text = renderSweepText(result);
    assert.match(text, /512 MB .*← cheapest/);
    assert.match(text, /1769 MB .*← fastest/);
    assert.match(text, /read \d{4}-\d{2}-\d{2}/);
  });

  it('breaks ties toward less memory', () => {
    const result = summariseSweep([runAt(512, 100), runAt(512 + 0, 100)], 'aws');
    assert.equal(result.sweep.filter((r) => r.cheapest).length, 1);
    assert.equal(result.sweep[0]?.cheapest, true);
  });
});
