import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { breakdown, type BenchUpload } from '../../../../cli/core/bench/run.js';
import type { TraceRow } from '../../../../cli/core/traces/analyse.js';

function trace(startMs: number, e2eMs: number): TraceRow {
  return {
    id: `1-${startMs}`,
    startTime: new Date(startMs).toISOString(),
    key: 'k',
    coldStart: false,
    error: null,
    errorKind: null,
    durationMs: e2eMs,
    e2eMs,
    phases: { initMs: null, dwellMs: 2, invocationMs: e2eMs - 2, s3GetMs: 5, resizeMs: 50, s3PutMs: 5, overheadMs: 1 },
    attempts: 1,
    partial: false,
    missing: [],
  };
}

describe('where an upload\'s time went', () => {
  it('lines up the client clock with the trace: event at Lambda, and the wait loop after the function', () => {
    // Prepare: upload starts at t=1000; Lambda gets the event at 1010; the function ends 80 ms later; seen at 1100.
    const upload: BenchUpload = { index: 0, key: 'k', latencyMs: 100, putMs: 8, coldStart: false, error: null, startedAtMs: 1000, observedAtMs: 1100, trace: trace(1010, 80) };
    // Act
    const parts = breakdown([upload]);
    // Assess
    assert.deepEqual(parts, { uploadMs: 8, eventAtLambdaMs: 10, dwellMs: 2, s3GetMs: 5, resizeMs: 50, s3PutMs: 5, invocationMs: 78, seenAfterFunctionMs: 10 });
  });

  it('leaves the parts that need a trace empty without one', () => {
    const upload: BenchUpload = { index: 0, key: 'k', latencyMs: 100, putMs: 8, coldStart: null, error: null, startedAtMs: 0, observedAtMs: 100, trace: null };
    const parts = breakdown([upload]);
    assert.equal(parts.uploadMs, 8);
    assert.equal(parts.resizeMs, null);
    assert.equal(parts.seenAfterFunctionMs, null);
  });
});
