import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assembleTrace, parseSegmentDocument, type SegmentRecord } from '../../../../../emulator/services/xray/segments.js';
import { summarizeTrace } from '../../../../../emulator/services/xray/summaries.js';
import { FUNCTION_ARN, lambdaTraceDocuments, START, TRACE_ID } from './lambda-trace.js';

function summarize(documents: string[]) {
  const records: SegmentRecord[] = documents.map((text) => {
    const parsed = parseSegmentDocument(text);
    assert.ok(parsed.ok);
    return parsed.record;
  });
  return summarizeTrace(assembleTrace(TRACE_ID, records), { accountId: '000000000000' });
}

describe('summarizeTrace', () => {
  it('takes Duration as the latest end minus the earliest start', () => {
    const summary = summarize(lambdaTraceDocuments());

    assert.equal(summary.Id, TRACE_ID);
    assert.equal(summary.Duration, 1.2);
    assert.equal(summary.StartTime?.getTime(), START * 1000);
  });

  it('takes ResponseTime and EntryPoint from the segment without a parent', () => {
    const summary = summarize(lambdaTraceDocuments());

    assert.equal(summary.ResponseTime, 1.2);
    assert.deepEqual(summary.EntryPoint, { Name: 'thumbctl-thumbnailer', Names: ['thumbctl-thumbnailer'], Type: 'AWS::Lambda', AccountId: '000000000000' });
    assert.deepEqual(summary.Http, { HttpStatus: 202, HttpURL: undefined, HttpMethod: undefined, UserAgent: undefined, ClientIp: undefined });
  });

  it('lists every service once, including the inferred S3 node', () => {
    const summary = summarize(lambdaTraceDocuments());

    assert.deepEqual(
      summary.ServiceIds?.map((id) => `${id.Name}|${id.Type}`),
      ['thumbctl-thumbnailer|AWS::Lambda', 'thumbctl-thumbnailer|AWS::Lambda::Function', 'S3|AWS::S3::Bucket'],
    );
    assert.deepEqual(summary.ResourceARNs, [{ ARN: FUNCTION_ARN }]);
  });

  it('collects annotations from nested subsegments with their service', () => {
    const summary = summarize(lambdaTraceDocuments());

    assert.deepEqual(summary.Annotations?.['source_key'], [
      {
        AnnotationValue: { StringValue: 'uploads/cat.jpg' },
        ServiceIds: [{ Name: 'thumbctl-thumbnailer', Names: ['thumbctl-thumbnailer'], Type: 'AWS::Lambda::Function', AccountId: '000000000000' }],
      },
    ]);
    assert.deepEqual(summary.Annotations?.['width']?.[0]?.AnnotationValue, { NumberValue: 200 });
    assert.deepEqual(summary.Annotations?.['cold_start']?.[0]?.AnnotationValue, { BooleanValue: true });
  });

  it('flags a fault anywhere in the trace', () => {
    assert.equal(summarize(lambdaTraceDocuments()).HasFault, false);

    const summary = summarize(lambdaTraceDocuments({ fault: true }));

    assert.equal(summary.HasFault, true);
    assert.equal(summary.HasError, false);
    assert.equal(summary.HasThrottle, false);
  });

  it('is partial while a segment is in progress', () => {
    const [service] = lambdaTraceDocuments();
    const inProgress = JSON.stringify({ name: 'fn', id: 'e000000000000001', trace_id: TRACE_ID, parent_id: 'a000000000000003', start_time: START + 0.1, in_progress: true });

    const summary = summarize([service!, inProgress]);

    assert.equal(summary.IsPartial, true);
    assert.equal(summary.Duration, 1.2);
  });

  it('reports users and http of the entry segment', () => {
    const segment = {
      name: 'api',
      id: 'f000000000000001',
      trace_id: TRACE_ID,
      start_time: START,
      end_time: START + 0.25,
      user: 'alice',
      http: { request: { url: 'https://example.com/thumbs', method: 'GET', user_agent: 'curl', client_ip: '10.0.0.1' }, response: { status: 404 } },
      error: true,
    };

    const summary = summarize([JSON.stringify(segment)]);

    assert.deepEqual(summary.Http, { HttpURL: 'https://example.com/thumbs', HttpStatus: 404, HttpMethod: 'GET', UserAgent: 'curl', ClientIp: '10.0.0.1' });
    assert.equal(summary.Users?.[0]?.UserName, 'alice');
    assert.equal(summary.HasError, true);
    assert.equal(summary.ResponseTime, 0.25);
  });
});
