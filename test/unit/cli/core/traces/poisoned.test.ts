// thumbctl traces is tolerant of what X-Ray hands back: documents of the wrong shape (subsegments that are not a
// list, times of 1e300, strings where numbers belong) make their trace "unreadable" in the report, never the end
// of the command. A fake X-Ray serves them, as AWS (or an older local cloud) could.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchGetTracesCommand, GetServiceGraphCommand, GetTraceSummariesCommand, type Trace } from '@aws-sdk/client-xray';
import { parseDocument, buildSegmentTree } from '../../../../../cli/core/traces/segments.js';
import { collectTracesReport, reportDocument } from '../../../../../cli/core/traces/report.js';
import { resolveTracesOptions } from '../../../../../cli/core/traces/options.js';
import { renderHtmlReport } from '../../../../../cli/core/traces/render-html.js';
import { renderTraceTable, renderWaterfall } from '../../../../../cli/core/traces/render-text.js';
import type { XRaySender } from '../../../../../cli/core/traces/fetch.js';
import { silentReporter } from '../../../../../cli/output.js';
import { FUNCTION_NAME, lambdaTrace, serviceGraph, T0, traceId } from './fixtures.js';

const base = (id: string) => ({ id, name: FUNCTION_NAME, trace_id: id, origin: 'AWS::Lambda::Function', start_time: T0 + 1, end_time: T0 + 2 });

const POISONED: Record<string, (id: string) => string> = {
  'subsegments is a string': (id) => JSON.stringify({ ...base(id), id: 'a'.repeat(16), subsegments: 'x' }),
  'times of 1e300': (id) => JSON.stringify({ ...base(id), id: 'b'.repeat(16), start_time: 1e300, end_time: 1e300 }),
  'a NaN start': (id) => JSON.stringify({ ...base(id), id: 'c'.repeat(16) }).replace(/"start_time":[^,]+/, '"start_time":NaN'),
  'subsegments of null and numbers': (id) => JSON.stringify({ ...base(id), id: 'd'.repeat(16), subsegments: [null, 3, { id: 'e'.repeat(16), start_time: 'soon' }] }),
  'cause.exceptions a string': (id) => JSON.stringify({ ...base(id), id: 'f'.repeat(16), fault: true, cause: { exceptions: 'x' } }),
  'http a number, aws a string': (id) => JSON.stringify({ ...base(id), id: '1'.repeat(16), http: 5, aws: 'x', annotations: [1] }),
};

function poisonedTraces(): Trace[] {
  return Object.values(POISONED).map((make, i) => {
    const id = traceId(T0 + i, 100 + i);
    return { Id: id, Duration: 1, Segments: [{ Id: 'x', Document: make(id) }] };
  });
}

function fakeXRay(traces: Trace[]): XRaySender {
  return {
    async send(command: any): Promise<any> {
      if (command instanceof GetTraceSummariesCommand) return { TraceSummaries: traces.map((t) => ({ Id: t.Id, StartTime: new Date(1e303) })) };
      if (command instanceof BatchGetTracesCommand) return { Traces: traces.filter((t) => (command.input.TraceIds ?? []).includes(t.Id ?? '')), UnprocessedTraceIds: [] };
      if (command instanceof GetServiceGraphCommand) return { Services: serviceGraph(), StartTime: command.input.StartTime, EndTime: command.input.EndTime };
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  } as XRaySender;
}

describe('traces with documents of the wrong shape', () => {
  it('reads what it can of each document and never throws', () => {
    for (const [label, make] of Object.entries(POISONED)) {
      const id = traceId(T0, 1);
      assert.doesNotThrow(() => buildSegmentTree({ Id: id, Segments: [{ Document: make(id) }] }), label);
    }
    assert.equal(parseDocument(POISONED['times of 1e300']!(traceId(T0, 1))), undefined, 'a start of 1e300 is unreadable');
    assert.equal(parseDocument(POISONED['subsegments is a string']!(traceId(T0, 1)))?.subsegments, undefined, 'subsegments that are not a list are dropped');
  });

  it('lists unreadable traces beside good ones in every view', async () => {
    // Prepare
    const good = lambdaTrace({ t: T0 + 10, n: 1, cold: true }).trace;
    const traces = [...poisonedTraces(), good];
    const ids = traces.map((t) => t.Id!);
    const request = { functionName: FUNCTION_NAME, target: 'local' as const, serviceMap: true, now: () => (T0 + 120) * 1000 };

    // Act
    const listed = await collectTracesReport(fakeXRay(traces), { ...request, options: resolveTracesOptions({}) }, silentReporter);
    const byId = await collectTracesReport(fakeXRay(traces), { ...request, options: resolveTracesOptions({ traceId: ids }) }, silentReporter);

    // Assess
    for (const report of [listed, byId]) {
      assert.equal(report.traces.length, traces.length);
      const unreadable = report.traces.filter((row) => row.unreadable);
      assert.ok(unreadable.length >= 2, JSON.stringify(report.traces.map((row) => [row.id, row.unreadable, row.missing])));
      assert.ok(report.traces.some((row) => row.id === good.Id && !row.unreadable && row.coldStart));
      assert.match(renderTraceTable(report.traces), /unreadable/);
      assert.match(renderHtmlReport(report), /unreadable/);
      assert.ok(JSON.stringify(reportDocument(report)).includes('"unreadable":true'));
      for (const timeline of report.timelines) assert.equal(typeof renderWaterfall(timeline), 'string');
    }
  });
});
