import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BatchGetTracesCommand, GetServiceGraphCommand, GetTraceSummariesCommand, type Trace, type TraceSummary } from '@aws-sdk/client-xray';
import { getServiceGraph, getTraces, listTraceSummaries, pollUntilCount, serviceFilter, traceIdTime, type XRaySender } from '../../../../../cli/core/traces/fetch.js';
import { collectTracesReport, reportDocument } from '../../../../../cli/core/traces/report.js';
import { resolveTracesOptions } from '../../../../../cli/core/traces/options.js';
import { silentReporter } from '../../../../../cli/output.js';
import { FUNCTION_NAME, lambdaTrace, serviceGraph, T0, traceId } from './fixtures.js';

/** A fake X-Ray holding traces; records every call. */
function fakeXRay(traces: Trace[], options: { pageSize?: number; visible?: () => number } = {}) {
  const calls: Array<{ name: string; input: any }> = [];
  const pageSize = options.pageSize ?? 2;
  const sender = {
    async send(command: any): Promise<any> {
      calls.push({ name: command.constructor.name, input: command.input });
      if (command instanceof GetTraceSummariesCommand) {
        const visible = traces.slice(0, options.visible?.() ?? traces.length);
        const start = Number(command.input.NextToken ?? 0);
        const page = visible.slice(start, start + pageSize);
        return {
          TraceSummaries: page.map((t): TraceSummary => ({ Id: t.Id, StartTime: new Date((traceIdTime(t.Id as string) ?? 0)) })),
          NextToken: start + pageSize < visible.length ? String(start + pageSize) : undefined,
        };
      }
      if (command instanceof BatchGetTracesCommand) {
        const ids: string[] = command.input.TraceIds ?? [];
        assert.ok(ids.length <= 5, 'BatchGetTraces takes at most 5 ids');
        return { Traces: traces.filter((t) => ids.includes(t.Id as string)), UnprocessedTraceIds: [] };
      }
      if (command instanceof GetServiceGraphCommand) {
        return { Services: serviceGraph(), StartTime: command.input.StartTime, EndTime: command.input.EndTime };
      }
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  };
  return { xray: sender as XRaySender, calls };
}

const sample = (count: number): Trace[] => Array.from({ length: count }, (_, i) => lambdaTrace({ t: T0 + i, n: i + 1, cold: i === 0 }).trace);

describe('reading traces through the X-Ray API', () => {
  it('filters summaries to our function and follows every page, newest first', async () => {
    const { xray, calls } = fakeXRay(sample(5));
    const summaries = await listTraceSummaries(xray, FUNCTION_NAME, { start: new Date((T0 - 60) * 1000), end: new Date((T0 + 60) * 1000) });
    assert.equal(summaries.length, 5);
    assert.equal(summaries[0]?.Id, traceId(T0 + 4, 5));
    assert.equal(calls.length, 3, 'pages of 2');
    assert.equal(calls[0]?.input.FilterExpression, 'service("thumbctl-thumbnailer")');
    assert.equal(serviceFilter('a"b'), 'service("a\\"b")');
  });

  it('splits long windows into 6-hour queries', async () => {
    const { xray, calls } = fakeXRay([]);
    await listTraceSummaries(xray, FUNCTION_NAME, { start: new Date(0), end: new Date(24 * 3_600_000) });
    assert.equal(calls.length, 4);
    for (const call of calls) assert.ok(call.input.EndTime - call.input.StartTime <= 6 * 3_600_000);
  });

  it('reads traces 5 at a time and names the ones X-Ray did not return', async () => {
    const { xray, calls } = fakeXRay(sample(12));
    const ids = [...sample(12).map((t) => t.Id as string), traceId(T0, 999)];
    const { traces, missing } = await getTraces(xray, ids);
    assert.equal(traces.length, 12);
    assert.deepEqual(missing, [traceId(T0, 999)]);
    assert.deepEqual(calls.map((c) => c.input.TraceIds.length), [5, 5, 3]);
  });

  it('reads the service graph for at most the last 6 hours', async () => {
    const { xray, calls } = fakeXRay([]);
    const graph = await getServiceGraph(xray, { start: new Date(0), end: new Date(24 * 3_600_000) });
    assert.equal(graph.services.length, 4);
    assert.equal(calls[0]?.input.StartTime.getTime(), 18 * 3_600_000);
  });

  it('polls until the count appears, and stops at the deadline', async () => {
    let clock = 0;
    const sleep = async (ms: number) => void (clock += ms);
    let seen = 0;
    const reached = await pollUntilCount(async () => new Array(++seen), { count: 3, timeoutMs: 60_000, intervalMs: 2_000, now: () => clock, sleep });
    assert.deepEqual([reached.reached, reached.polls, clock], [true, 3, 4_000]);

    clock = 0;
    const gaveUp = await pollUntilCount(async () => [], { count: 1, timeoutMs: 5_000, intervalMs: 2_000, now: () => clock, sleep });
    assert.equal(gaveUp.reached, false);
    assert.equal(clock, 5_000, 'never waits past the deadline');
  });
});

describe('collecting a report', () => {
  const now = () => (T0 + 120) * 1000;

  it('produces the --json document scripts rely on', async () => {
    const { xray } = fakeXRay(sample(3));
    const report = await collectTracesReport(xray, { functionName: FUNCTION_NAME, target: 'local', options: resolveTracesOptions({}), serviceMap: true, now }, silentReporter);
    const document = JSON.parse(JSON.stringify(reportDocument(report)));
    assert.deepEqual(Object.keys(document).slice(0, 3), ['traces', 'summary', 'serviceMap']);
    assert.equal(document.traces.length, 3);
    for (const trace of document.traces) {
      for (const field of ['id', 'startTime', 'key', 'coldStart', 'error', 'durationMs', 'e2eMs', 'phases']) assert.ok(field in trace, field);
      assert.deepEqual(Object.keys(trace.phases), ['initMs', 'dwellMs', 'invocationMs', 's3GetMs', 'resizeMs', 's3PutMs', 'overheadMs']);
    }
    for (const field of ['count', 'errors', 'coldStarts', 'p50Ms', 'p90Ms', 'p99Ms', 'maxMs', 'cold', 'warm']) assert.ok(field in document.summary, field);
    for (const field of ['p50Ms', 'p90Ms', 'p99Ms', 'maxMs']) {
      assert.ok(field in document.summary.cold && field in document.summary.warm, field);
    }
    assert.deepEqual(Object.keys(document.serviceMap.nodes[0]).filter((k) => ['name', 'type', 'avgMs', 'requests', 'errors', 'perMinute'].includes(k)).length, 6);
    assert.deepEqual(Object.keys(document.serviceMap.edges[0]).filter((k) => ['from', 'to', 'avgMs', 'requests'].includes(k)).length, 4);
    assert.equal(document.mayBeIncomplete, false);
    assert.equal(document.traces[2].coldStart, true, 'oldest last');
  });

  it('keeps the newest --limit traces and says how many there were', async () => {
    const { xray } = fakeXRay(sample(7));
    const report = await collectTracesReport(xray, { functionName: FUNCTION_NAME, target: 'local', options: resolveTracesOptions({ limit: '2' }), serviceMap: false, now }, silentReporter);
    assert.deepEqual(report.traces.map((t) => t.id), [traceId(T0 + 6, 7), traceId(T0 + 5, 6)]);
    assert.equal(report.listed, 7);
    assert.match(report.notes.join(), /newest 2 of 7/);
  });

  it('warns on AWS that recent traces may still be arriving', async () => {
    const { xray } = fakeXRay(sample(1));
    const justAfter = () => (T0 + 5) * 1000;
    const report = await collectTracesReport(xray, { functionName: FUNCTION_NAME, target: 'aws', options: resolveTracesOptions({}), serviceMap: false, now: justAfter }, silentReporter);
    assert.equal(report.mayBeIncomplete, true);
    assert.match(report.notes.join(), /tens of seconds/);
  });

  it('waits with --wait until the count appears', async () => {
    let clock = now();
    let visible = 1;
    const { xray } = fakeXRay(sample(3), { visible: () => visible });
    const sleep = async (ms: number) => {
      clock += ms;
      visible++;
    };
    const report = await collectTracesReport(xray, { functionName: FUNCTION_NAME, target: 'local', options: resolveTracesOptions({ wait: '3' }), serviceMap: false, now: () => clock, sleep }, silentReporter);
    assert.equal(report.traces.length, 3);
    assert.equal(report.waitReached, true);
  });

  it('gives up --wait at the deadline and says so', async () => {
    let clock = now();
    const { xray } = fakeXRay(sample(1));
    const report = await collectTracesReport(
      xray,
      { functionName: FUNCTION_NAME, target: 'local', options: resolveTracesOptions({ wait: '5' }), serviceMap: false, now: () => clock, sleep: async (ms) => void (clock += ms), waitTimeoutMs: 10_000 },
      silentReporter,
    );
    assert.equal(report.waitReached, false);
    assert.equal(report.traces.length, 1);
    assert.equal(report.mayBeIncomplete, true);
    assert.match(report.notes.join(), /waited 10 s for 5 trace\(s\); X-Ray listed 1/);
  });

  it('reads --trace-id traces directly and draws them', async () => {
    const { xray, calls } = fakeXRay(sample(3));
    const wanted = traceId(T0 + 1, 2);
    const report = await collectTracesReport(xray, { functionName: FUNCTION_NAME, target: 'local', options: resolveTracesOptions({ traceId: [wanted] }), serviceMap: false, now }, silentReporter);
    assert.deepEqual(report.traces.map((t) => t.id), [wanted]);
    assert.equal(report.timelines[0]?.traceId, wanted);
    assert.ok(!calls.some((c) => c.name === 'GetTraceSummariesCommand'));
  });
});
