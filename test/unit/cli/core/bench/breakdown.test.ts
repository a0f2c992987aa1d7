import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { breakdown, firstPollAtMs, type BenchUpload } from '../../../../../cli/core/bench/run.js';
import type { TraceRow } from '../../../../../cli/core/traces/analyse.js';

/** A warm trace starting (S3 receiving the upload) at `startMs` and ending `e2eMs` later. */
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
    phases: { initMs: null, dwellMs: 2, invocationMs: 70, s3GetMs: 5, resizeMs: 50, s3PutMs: 5, overheadMs: 1 },
    variants: null,
    attempts: 1,
    partial: false,
    missing: [],
  };
}

const upload = (overrides: Partial<BenchUpload>): BenchUpload => ({
  index: 0,
  key: 'k',
  latencyMs: 100,
  putMs: 8,
  coldStart: false,
  error: null,
  traceId: '1-1010',
  startedAtMs: 1000,
  observedAtMs: 1100,
  trace: null,
  baselineAfterMs: null,
  ...overrides,
});

describe("where an upload's time went", () => {
  it('lines up the client clock with the trace: before the function, and the wait loop after it', () => {
    // Prepare: upload starts at t=1000 and reaches S3 at 1005; the function ends 80 ms later (1085); seen at 1100.
    const uploads = [upload({ trace: trace(1005, 80) })];
    // Act
    const parts = breakdown(uploads);
    // Assess: before the function = 80 - 70 (invocation) - 1 (overhead) = 9 ms; the handler's own 70 - 5 - 50 - 5 = 10 ms.
    assert.deepEqual(parts, { uploadMs: 8, beforeFunctionMs: 9, dwellMs: 2, s3GetMs: 5, resizeMs: 50, s3PutMs: 5, invocationMs: 70, handlerOwnMs: 10, seenAfterFunctionMs: 15, traceE2eMs: 80 });
  });

  it("takes the handler's own work per upload, then the median: not a difference of medians", () => {
    // Prepare: (invocation, resize) of (70, 50), (90, 50) and (80, 72), with GetObject and PutObject 5 ms each.
    const shaped = (start: number, invocationMs: number, resizeMs: number): TraceRow => ({ ...trace(start, 100), phases: { ...trace(start, 100).phases, invocationMs, resizeMs } });
    // Act
    const parts = breakdown([upload({ trace: shaped(1005, 70, 50) }), upload({ trace: shaped(2005, 90, 50) }), upload({ trace: shaped(3005, 80, 72) })]);
    // Assess: own work 10, 30 and -2 → median 10; median invocation 80 - 5 - median resize 50 - 5 would say 20.
    assert.equal(parts.handlerOwnMs, 10);
  });

  it('leaves the parts that need a trace empty without one', () => {
    const parts = breakdown([upload({ trace: null })]);
    assert.equal(parts.uploadMs, 8);
    assert.equal(parts.resizeMs, null);
    assert.equal(parts.seenAfterFunctionMs, null);
  });
});

describe('when bench starts polling for a thumbnail', () => {
  it('polls at once until three thumbnails have arrived', () => {
    assert.equal(firstPollAtMs([]), 0);
    assert.equal(firstPollAtMs([100, 120]), 0);
  });

  it('then waits until a little before the fastest tenth arrived', () => {
    // Nearest-rank p10 of ten values is the smallest: 80 ms; 85 % of it is 68 ms.
    assert.equal(firstPollAtMs([80, 90, 100, 110, 120, 130, 140, 150, 160, 900]), 68);
  });
});
