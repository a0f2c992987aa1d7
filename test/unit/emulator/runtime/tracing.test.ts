// Trace ids, the trace header, and the segments Lambda records for an invocation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  buildInvocationSegments,
  formatTraceHeader,
  newSegmentId,
  newTraceId,
  parseTraceHeader,
  planTrace,
} from '../../../../emulator/runtime/tracing.js';

describe('trace ids', () => {
  it('are 1-<8 hex epoch seconds>-<24 hex>', () => {
    const now = Date.UTC(2026, 10, 26, 21, 52, 42);
    const id = newTraceId(now);
    assert.match(id, /^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    assert.equal(parseInt(id.slice(2, 10), 16), Math.floor(now / 1000));
    assert.notEqual(newTraceId(now), id, 'random part differs');
  });

  it('segment ids are 16 hex', () => {
    assert.match(newSegmentId(), /^[0-9a-f]{16}$/);
  });

  it('round-trips the header', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), (withParent, sampled) => {
        const header = { root: newTraceId(), parent: withParent ? newSegmentId() : undefined, sampled, lineage: '1:abcdef01:0' };
        assert.deepEqual(parseTraceHeader(formatTraceHeader(header)), Object.fromEntries(Object.entries(header).filter(([, v]) => v !== undefined)));
      }),
    );
  });

  it('ignores malformed parts of a header', () => {
    assert.deepEqual(parseTraceHeader('Root=nonsense;Parent=xyz;Sampled=maybe'), {});
    assert.deepEqual(parseTraceHeader(undefined), {});
  });
});

describe('planTrace', () => {
  it('Active: starts a sampled trace whose Parent is the function segment', () => {
    const plan = planTrace('Active', undefined, '1:00000000:0');
    assert.equal(plan.sampled, true);
    assert.equal(plan.functionHeader, `Root=${plan.traceId};Parent=${plan.functionSegmentId};Sampled=1;Lineage=1:00000000:0`);
    assert.notEqual(plan.serviceSegmentId, plan.functionSegmentId);
  });

  it('Active: continues the caller trace, and honours its Sampled=0', () => {
    const root = newTraceId();
    assert.equal(planTrace('Active', `Root=${root};Sampled=1`, 'l').traceId, root);
    const unsampled = planTrace('Active', `Root=${root};Parent=${newSegmentId()};Sampled=0`, 'l');
    assert.equal(unsampled.sampled, false);
    assert.match(unsampled.functionHeader, /Sampled=0/);
  });

  it('PassThrough: records nothing and tells the function Sampled=0', () => {
    const plan = planTrace('PassThrough', undefined, 'l');
    assert.equal(plan.sampled, false);
    assert.match(plan.functionHeader, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Sampled=0;Lineage=l$/);
  });
});

describe('buildInvocationSegments', () => {
  const plan = planTrace('Active', undefined, 'l');
  const base = {
    plan,
    functionName: 'thumbnailer',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:thumbnailer',
    accountId: '000000000000',
    requestId: 'req-1',
    attempt: 1,
  };

  it('links the function segment under the service segment, with Initialization, Invocation and Overhead', () => {
    const [service, fn] = buildInvocationSegments({
      ...base,
      timeline: { receivedAt: 1000, initStartedAt: 1001, initEndedAt: 1100, invokeStartedAt: 1100, invokeEndedAt: 1150, overheadEndedAt: 1152 },
    }).map((document) => JSON.parse(document));
    assert.equal(service.origin, 'AWS::Lambda');
    assert.equal(service.name, 'thumbnailer');
    assert.equal(service.id, plan.serviceSegmentId);
    assert.equal(service.trace_id, plan.traceId);
    assert.deepEqual(service.aws, { request_id: 'req-1' });
    assert.deepEqual(service.subsegments.map((s: { name: string }) => s.name), ['Attempt #1']);
    assert.equal(fn.origin, 'AWS::Lambda::Function');
    assert.equal(fn.id, plan.functionSegmentId);
    assert.equal(fn.parent_id, plan.serviceSegmentId);
    assert.deepEqual(fn.subsegments.map((s: { name: string }) => s.name), ['Initialization', 'Invocation', 'Overhead']);
    assert.equal(fn.start_time, 1.001);
    assert.equal(fn.end_time, 1.152);
    assert.equal(fn.fault, undefined);
  });

  it('adds Dwell Time for queued events, no Initialization when warm, and a fault with its cause', () => {
    const [service, fn] = buildInvocationSegments({
      ...base,
      attempt: 2,
      error: { type: 'Runtime.ExitError', message: 'exit status 1' },
      annotations: { s3_key: 'a.jpg' },
      timeline: { queuedAt: 900, receivedAt: 1000, invokeStartedAt: 1000, invokeEndedAt: 1020, overheadEndedAt: 1021 },
    }).map((document) => JSON.parse(document));
    assert.deepEqual(service.subsegments.map((s: { name: string }) => s.name), ['Dwell Time', 'Attempt #2']);
    assert.equal(service.start_time, 0.9);
    assert.deepEqual(service.annotations, { s3_key: 'a.jpg' });
    assert.deepEqual(fn.subsegments.map((s: { name: string }) => s.name), ['Invocation', 'Overhead']);
    assert.equal(fn.fault, true);
    assert.equal(fn.cause.exceptions[0].type, 'Runtime.ExitError');
  });
});
