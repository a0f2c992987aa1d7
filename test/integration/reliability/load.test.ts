// Load at CI size (the full size is `npm run load`): 100 uploads at concurrency 16 against `thumbctl local serve`
// in its own process. Every upload is acknowledged and thumbnailed by exactly one successful invocation, no
// error is logged, and the server's resident memory stays far below a generous bound. No timing assertions:
// the full-size run (`npm run load`) reports throughput.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MEMORY_LIMIT_MB, runLoad } from '../../../scripts/harness/scenarios.js';

const COUNT = 100;
const CONCURRENCY = 16;

describe('load', () => {
  it(`${COUNT} uploads at concurrency ${CONCURRENCY}: ${COUNT} thumbnails, one invocation each, bounded memory`, { timeout: 240_000 }, async () => {
    // Act
    const report = await runLoad({ count: COUNT, concurrency: CONCURRENCY, deadlineMs: 120_000 });
    const summary = JSON.stringify({ ...report, stateDir: undefined }, null, 2);

    // Assess
    assert.deepEqual(report.failedUploads, [], summary);
    assert.equal(report.acknowledged, COUNT);
    assert.deepEqual(report.missingThumbnails, [], summary);
    assert.equal(report.thumbnails, COUNT);
    assert.equal(report.invocations.uploadsWithOne, COUNT, `one thumbnail created per upload\n${summary}`);
    // Any invocation beyond one per upload must be a logged retry of the same event (none are expected).
    assert.equal(report.invocations.successful, COUNT, summary);
    assert.ok(report.invocations.failed.length <= report.invocations.retriedEvents, summary);
    assert.deepEqual(report.errorLines, [], summary);
    assert.deepEqual(report.cloudLogProblems, [], summary);
    assert.ok(report.memory.samples > 0, 'the server was sampled');
    assert.ok(report.memory.peakHwmMb < MEMORY_LIMIT_MB, `the local cloud peaked at ${report.memory.peakHwmMb} MB`);
    assert.deepEqual(report.problems, [], summary);
  });
});
