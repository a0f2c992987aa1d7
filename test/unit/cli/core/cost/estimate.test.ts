import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyseTrace, type TraceRow } from '../../../../../cli/core/traces/analyse.js';
import { buildSegmentTree } from '../../../../../cli/core/traces/segments.js';
import { billedMs, estimateCost, formatUsd, gbSeconds, logBytesPerInvocation, renderCost } from '../../../../../cli/core/cost/estimate.js';
import { PRICES } from '../../../../../cli/core/cost/prices.js';
import { reportLine } from '../../../../../emulator/runtime/log-format.js';
import { FUNCTION_NAME, lambdaTrace, T0 } from '../traces/fixtures.js';

const analyse = (options: Parameters<typeof lambdaTrace>[0]): TraceRow => analyseTrace(buildSegmentTree(lambdaTrace(options).trace), FUNCTION_NAME);
const close = (actual: number | null, expected: number, what: string): void => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= Math.abs(expected) * 1e-9, `${what}: ${actual} ≠ ${expected}`);
};
const withPhases = (invocationMs: number | null, initMs: number | null = null): Pick<TraceRow, 'phases'> => ({
  phases: { invocationMs, initMs, dwellMs: null, s3GetMs: null, resizeMs: null, s3PutMs: null, overheadMs: null },
});

describe('the price table', () => {
  it('is us-east-1, dated, cited, and holds the list prices the estimates use', () => {
    assert.equal(PRICES.region, 'us-east-1');
    assert.match(PRICES.takenOn, /^\d{4}-\d{2}-\d{2}$/);
    for (const source of [PRICES.lambda.source, PRICES.s3.source, PRICES.xray.source, PRICES.logs.source]) assert.match(source, /^https:\/\/aws\.amazon\.com\/[a-z0-9]+\/pricing\/$/);
    assert.equal(PRICES.lambda.gbSecond.x86_64, 0.0000166667);
    assert.equal(PRICES.lambda.gbSecond.arm64, 0.0000133334);
    close(PRICES.lambda.request, 0.0000002, 'request');
    close(PRICES.s3.put, 0.000005, 'PUT');
    close(PRICES.s3.get, 0.0000004, 'GET');
    close(PRICES.xray.traceRecorded, 0.000005, 'trace');
    assert.equal(PRICES.logs.ingestedGb, 0.5);
  });
});

describe('billed duration', () => {
  it('rounds each invocation up to the next millisecond, never below 1 ms', () => {
    assert.equal(billedMs(withPhases(12.3)), 13);
    assert.equal(billedMs(withPhases(12)), 12);
    assert.equal(billedMs(withPhases(0.2)), 1);
    assert.equal(billedMs(withPhases(null)), null);
  });

  it('includes the INIT phase of a cold start, as Lambda bills it since August 2025 (and as the local REPORT line says)', () => {
    assert.equal(billedMs(withPhases(40.2, 210.5)), 251);
    const report = reportLine({ requestId: 'r', durationMs: 40.2, initDurationMs: 210.5, memorySizeMb: 512, maxMemoryUsedMb: 90 } as Parameters<typeof reportLine>[0]);
    assert.match(report, /Billed Duration: 251 ms/);
  });

  it('counts GB-seconds with 1 GB = 1,024 MB', () => {
    assert.equal(gbSeconds(1000, 512), 0.5);
    assert.equal(gbSeconds(250, 1769), 0.25 * (1769 / 1024));
  });
});

describe('cost per 1,000 thumbnails of given traces', () => {
  it('adds duration × memory × price, requests, the S3 GET and PUT, the trace and the log bytes', () => {
    // Two warm traces of 1,000 ms invocation each, 512 MB x86_64, 1 KiB of logs each.
    const rows = [analyse({ t: T0, n: 1 }), analyse({ t: T0 + 5, n: 2 })];
    assert.equal(rows[0]?.phases.invocationMs, 1000);
    const cost = estimateCost({ rows, memoryMb: 512, architecture: 'x86_64', logBytesPerInvocation: 1024 });
    assert.equal(cost.invocations, 2);
    assert.equal(cost.billedMsMean, 1000);
    // 1 s × 0.5 GB × $0.0000166667 = $0.00000833335 per thumbnail.
    close(cost.per1000.lambdaDuration, 0.00833335, 'duration');
    close(cost.per1000.lambdaRequests, 0.0002, 'requests');
    close(cost.per1000.s3Get, 0.0004, 'GET');
    close(cost.per1000.s3Put, 0.005, 'PUT');
    close(cost.per1000.xrayTraces, 0.005, 'X-Ray');
    // 1,024 B / 1,073,741,824 B × $0.50 × 1,000.
    close(cost.per1000.logsIngestion, 0.000476837158203125, 'logs');
    close(cost.per1000.total, 0.00833335 + 0.0002 + 0.0004 + 0.005 + 0.005 + 0.000476837158203125, 'total');
    assert.equal(cost.prices.takenOn, PRICES.takenOn);
  });

  it('bills a cold start its init, arm64 at its own price, a retried event per attempt, variants per PUT', () => {
    const cold = analyse({ t: T0, n: 3, cold: true });
    assert.equal(cold.phases.initMs, 400);
    const arm = estimateCost({ rows: [cold], memoryMb: 1024, architecture: 'arm64', logBytesPerInvocation: null });
    // 1,400 ms × 1 GB × $0.0000133334 per thumbnail.
    close(arm.per1000.lambdaDuration, 1.4 * 0.0000133334 * 1000, 'arm duration');
    assert.equal(arm.per1000.logsIngestion, null, 'logs not read stay unknown, not zero');
    close(arm.per1000.total, 1.4 * 0.0000133334 * 1000 + 0.0002 + 0.0004 + 0.005 + 0.005, 'total without logs');

    const retried: TraceRow = { ...analyse({ t: T0, n: 4 }), attempts: 2 };
    close(estimateCost({ rows: [retried], memoryMb: 128, architecture: 'x86_64', logBytesPerInvocation: 0 }).per1000.lambdaRequests, 0.0004, 'two attempts');

    const variants = analyse({ t: T0, n: 5, key: 'canyon.jpg', variants: ['thumb', 'card', 'hero'] });
    close(estimateCost({ rows: [variants], memoryMb: 128, architecture: 'x86_64', logBytesPerInvocation: 0 }).per1000.s3Put, 0.015, 'three PUTs');
  });

  it('leaves out a trace without a recorded invocation and says how many', () => {
    const cost = estimateCost({ rows: [analyse({ t: T0, n: 6 }), { ...analyse({ t: T0, n: 7 }), ...withPhases(null) }], memoryMb: 512, architecture: 'x86_64', logBytesPerInvocation: null });
    assert.equal(cost.invocations, 1);
    assert.equal(cost.excluded, 1);
    assert.equal(estimateCost({ rows: [], memoryMb: 512, architecture: 'x86_64', logBytesPerInvocation: null }).per1000.total, 0);
  });

  it('counts log bytes as CloudWatch does: message bytes plus 26 per event, per invocation', () => {
    assert.equal(logBytesPerInvocation(['abc', 'é'], 1), 3 + 26 + 2 + 26);
    assert.equal(logBytesPerInvocation(['abc'], 0), null);
  });

  it('renders the total, its parts and the dated source of the prices', () => {
    const text = renderCost(estimateCost({ rows: [analyse({ t: T0, n: 8 })], memoryMb: 512, architecture: 'x86_64', logBytesPerInvocation: 1024 }));
    assert.match(text, /cost per 1,000 thumbnails: \$0\.01\d+ = Lambda duration \$0\.00833\d* \(1000\.0 ms billed × 512 MB, x86_64\)/);
    assert.match(text, new RegExp(`read ${PRICES.takenOn}`));
    assert.match(text, /https:\/\/aws\.amazon\.com\/lambda\/pricing\//);
    assert.equal(formatUsd(0.0123456), '$0.0123');
    assert.equal(formatUsd(null), '–');
  });
});
