import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyseTrace, buildTimeline, newestFirst, summarise, type TraceRow } from '../../../../../cli/core/traces/analyse.js';
import { latencyStats } from '../../../../../cli/core/traces/percentiles.js';
import { buildSegmentTree } from '../../../../../cli/core/traces/segments.js';
import { FUNCTION_NAME, lambdaTrace, T0 } from './fixtures.js';

const analyse = (options: Parameters<typeof lambdaTrace>[0]): TraceRow => analyseTrace(buildSegmentTree(lambdaTrace(options).trace), FUNCTION_NAME);

describe('analysing a Lambda trace', () => {
  it('reads the variants of an upload without a size: one decode, a resize each, resize the sum', () => {
    const row = analyse({ t: T0, n: 7, key: 'canyon.jpg', variants: ['thumb', 'card', 'hero'] });
    assert.equal(row.partial, false, row.missing.join(', '));
    assert.deepEqual(row.variants, {
      decodeMs: 200,
      resizes: ['thumb', 'card', 'hero'].map((name) => ({ name, size: '400x400', fit: 'cover', format: 'webp', resizeMs: 100 })),
    });
    assert.equal(row.phases.resizeMs, 300);
    assert.equal(row.phases.s3PutMs, 150);
    assert.equal(row.phases.s3GetMs, 100);
  });

  it('expects no resize after a decode that failed, and has no variants for a key with a size', () => {
    const failed = analyse({ t: T0, n: 8, key: 'canyon.jpg', variants: ['thumb'], decodeError: true });
    assert.equal(failed.partial, false, failed.missing.join(', '));
    assert.deepEqual(failed.variants, { decodeMs: 200, resizes: [] });
    assert.equal(analyse({ t: T0, n: 9 }).variants, null);
  });

  it('labels each variant’s resize bar with its name in the waterfall', () => {
    const names = buildTimeline(buildSegmentTree(lambdaTrace({ t: T0, n: 10, key: 'canyon.jpg', variants: ['thumb', 'card'] }).trace)).spans.map((span) => span.name);
    assert.deepEqual(names.filter((name) => /^(decode|resize)/.test(name)), ['decode', 'resize thumb', 'resize card']);
  });

  it('reads the phases of a cold start', () => {
    // Act
    const row = analyse({ t: T0, n: 1, cold: true });
    // Assess: see the fixture's timings.
    assert.equal(row.coldStart, true);
    assert.equal(row.key, 'canyon-400x400.jpg');
    assert.equal(row.error, null);
    assert.equal(row.partial, false, row.missing.join(', '));
    assert.deepEqual(row.phases, { initMs: 400, dwellMs: 40, invocationMs: 1000, s3GetMs: 100, resizeMs: 640, s3PutMs: 190, overheadMs: 50 });
    assert.equal(row.durationMs, 1500);
    assert.equal(row.e2eMs, 1490);
    assert.equal(row.startTime, new Date(T0 * 1000).toISOString());
    assert.equal(row.attempts, 1);
  });

  it('reads a warm start: no initialization', () => {
    const row = analyse({ t: T0 + 60, n: 2 });
    assert.equal(row.coldStart, false);
    assert.equal(row.phases.initMs, null);
    assert.equal(row.phases.invocationMs, 1000);
    assert.equal(row.e2eMs, 1090);
    assert.equal(row.durationMs, 1100);
  });

  it('starts end to end at the upload when S3 passed the trace on to Lambda', () => {
    // Prepare: S3's segment for the upload, 25 ms before Lambda got the event, is the service segment's parent.
    const { trace, documents } = lambdaTrace({ t: T0 + 60, n: 9 });
    const upload = { id: 'a0a0a0a0a0a0a0a0', trace_id: trace.Id, name: 'source', origin: 'AWS::S3::Bucket', start_time: T0 + 60 - 0.025, end_time: T0 + 60 };
    const service = { ...documents[0]!, parent_id: upload.id };
    const segments = [upload, service, ...documents.slice(1)].map((d) => ({ Id: d.id, Document: JSON.stringify(d) }));

    // Act
    const row = analyseTrace(buildSegmentTree({ Id: trace.Id, Segments: segments }), FUNCTION_NAME);

    // Assess: the warm fixture's 1090 ms from Lambda's receipt, plus the 25 ms the upload took to reach it.
    assert.equal(row.e2eMs, 1115);
    assert.equal(row.phases.dwellMs, 40);
    assert.equal(row.partial, false, row.missing.join(', '));
  });

  it('finds subsegments the function sent on their own (as the X-Ray daemon does)', () => {
    const row = analyse({ t: T0, n: 3, standalone: true });
    assert.equal(row.partial, false, row.missing.join(', '));
    assert.equal(row.phases.s3GetMs, 100);
    assert.equal(row.phases.resizeMs, 640);
    assert.equal(row.phases.s3PutMs, 190);
    assert.equal(row.key, 'canyon-400x400.jpg');
  });

  it('keeps the function phases inside the invocation', () => {
    for (const options of [{ t: T0, n: 4, cold: true }, { t: T0, n: 5 }, { t: T0, n: 6, standalone: true }]) {
      const { phases } = analyse(options);
      const inside = (phases.s3GetMs ?? 0) + (phases.resizeMs ?? 0) + (phases.s3PutMs ?? 0);
      assert.ok(inside <= (phases.invocationMs ?? 0), `${inside} > ${phases.invocationMs}`);
    }
    // And in time, not only in sum: each subsegment starts and ends within the Invocation bar.
    const timeline = buildTimeline(buildSegmentTree(lambdaTrace({ t: T0, n: 7, cold: true, standalone: true }).trace));
    const invocation = timeline.spans.find((s) => s.name === 'Invocation');
    assert.ok(invocation && invocation.endMs !== null);
    for (const name of ['S3 GetObject', 'resize', 'S3 PutObject']) {
      const span = timeline.spans.find((s) => s.name === name);
      assert.ok(span && span.endMs !== null, name);
      assert.ok(span.startMs >= invocation.startMs && span.endMs <= (invocation.endMs as number), name);
      assert.equal(span.depth, invocation.depth + 1, `${name} nests under Invocation`);
    }
  });

  it('marks a trace with missing subsegments as partial, keeping what it has', () => {
    const row = analyse({ t: T0, n: 8, partial: true });
    assert.equal(row.partial, true);
    assert.deepEqual(row.missing, ['Overhead', 'S3 GetObject']);
    assert.equal(row.phases.invocationMs, 1000);
    assert.equal(row.phases.s3GetMs, null);
    assert.equal(row.phases.overheadMs, null);
    assert.equal(row.key, null);
  });

  it('marks a trace without its Lambda segments as partial', () => {
    const { trace } = lambdaTrace({ t: T0, n: 9 });
    const onlyService = { ...trace, Segments: trace.Segments?.slice(0, 1) };
    const row = analyseTrace(buildSegmentTree(onlyService), FUNCTION_NAME);
    assert.equal(row.partial, true);
    assert.deepEqual(row.missing, ['AWS::Lambda::Function segment']);
    assert.equal(row.e2eMs, null);
    assert.equal(row.durationMs, 1100);
  });

  it('reports a failed invocation with its cause', () => {
    const row = analyse({ t: T0, n: 10, error: true });
    assert.equal(row.errorKind, 'fault');
    assert.equal(row.error, 'TimeoutError: Socket timed out reading s3://source/canyon-400x400.jpg');
    assert.equal(row.partial, false, 'a failed invocation is not expected to reach resize or PutObject');
    assert.equal(row.phases.s3GetMs, 890);
  });

  it('counts unreadable documents instead of failing', () => {
    const { trace } = lambdaTrace({ t: T0, n: 11 });
    const row = analyseTrace(buildSegmentTree({ ...trace, Segments: [...(trace.Segments ?? []), { Id: 'x', Document: '{not json' }] }), FUNCTION_NAME);
    assert.equal(row.partial, true);
    assert.match(row.missing.join(), /1 unreadable/);
  });

  it('does not nest an inline subsegment twice when the daemon also sent it', () => {
    const { trace, documents } = lambdaTrace({ t: T0, n: 12 });
    const invocation = documents[1]?.subsegments?.find((s) => s.name === 'Invocation');
    const get = invocation?.subsegments?.[0];
    assert.ok(invocation && get);
    const extra = { Id: get.id, Document: JSON.stringify({ ...get, type: 'subsegment', parent_id: invocation.id }) };
    const row = analyseTrace(buildSegmentTree({ ...trace, Segments: [...(trace.Segments ?? []), extra] }), FUNCTION_NAME);
    assert.equal(row.phases.s3GetMs, 100);
  });
});

describe('summarising traces', () => {
  const rows = newestFirst([
    analyse({ t: T0, n: 20, cold: true }),
    analyse({ t: T0 + 10, n: 21 }),
    analyse({ t: T0 + 20, n: 22 }),
    analyse({ t: T0 + 30, n: 23, error: true }),
    analyse({ t: T0 + 40, n: 24, partial: true }),
  ]);

  it('lists newest first', () => {
    assert.deepEqual(
      rows.map((r) => r.startTime),
      [...rows.map((r) => r.startTime)].sort().reverse(),
    );
  });

  it('counts invocations, errors, cold starts and partial traces', () => {
    const summary = summarise(rows);
    assert.equal(summary.count, 5);
    assert.equal(summary.errors, 1);
    assert.equal(summary.coldStarts, 1);
    assert.equal(summary.partial, 1);
    assert.equal(summary.percentileMethod, 'nearest-rank');
    assert.equal(summary.cold.count + summary.warm.count, summary.count);
  });

  it('computes percentiles from the rows, invocation at the top level', () => {
    const summary = summarise(rows);
    const invocations = rows.map((r) => r.phases.invocationMs as number);
    assert.deepEqual(summary.invocation, latencyStats(invocations));
    assert.equal(summary.p50Ms, summary.invocation.p50Ms);
    assert.equal(summary.maxMs, summary.invocation.maxMs);
    // e2e: cold 1490; the warm, error and partial ones all end at 1090: sorted [1090, 1090, 1090, 1090, 1490]
    // → p50 = 3rd = 1090, p90 = ceil(4.5) = 5th = 1490.
    assert.equal(summary.e2e.p50Ms, 1090);
    assert.equal(summary.e2e.p90Ms, 1490);
    assert.equal(summary.e2e.maxMs, 1490);
    assert.equal(summary.cold.e2e.p50Ms, 1490);
    assert.equal(summary.warm.e2e.maxMs, 1090);
    assert.equal(summary.warm.e2e.count, 4);
  });

  it('gives nulls, not zeros, for no traces', () => {
    const summary = summarise([]);
    assert.equal(summary.count, 0);
    assert.equal(summary.p50Ms, null);
    assert.equal(summary.cold.e2e.maxMs, null);
  });
});
