// X-Ray through the real aws CLI (v1 or v2, whichever is installed) against a real local cloud.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { awsJson, runAws, startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';

let cloud: TestCloud;

before(async () => {
  cloud = await startTestCloud();
});

after(async () => {
  await cloud.close();
});

const aws = (...args: string[]): Promise<Record<string, unknown>> => awsJson(cloud.endpoint, args);

describe('X-Ray via the aws CLI', () => {
  const start = Math.floor(Date.now() / 1000) - 60;
  const traceId = `1-${start.toString(16)}-${randomBytes(12).toString('hex')}`;
  const lambdaId = randomBytes(8).toString('hex');
  const attemptId = randomBytes(8).toString('hex');

  before(async () => {
    const service = { name: 'cli-fn', id: lambdaId, trace_id: traceId, origin: 'AWS::Lambda', start_time: start + 0.25, end_time: start + 1.5, subsegments: [{ id: attemptId, name: 'Attempt #1', start_time: start + 0.3, end_time: start + 1.5 }] };
    const fn = {
      name: 'cli-fn',
      id: randomBytes(8).toString('hex'),
      trace_id: traceId,
      parent_id: attemptId,
      origin: 'AWS::Lambda::Function',
      start_time: start + 0.4,
      end_time: start + 1.4,
      subsegments: [{ id: randomBytes(8).toString('hex'), name: 'S3', namespace: 'aws', start_time: start + 0.5, end_time: start + 0.6, aws: { operation: 'GetObject' } }],
    };
    const put = await aws('xray', 'put-trace-segments', '--trace-segment-documents', JSON.stringify(service), JSON.stringify(fn));
    assert.deepEqual(put['UnprocessedTraceSegments'], []);
  });

  it('lists the trace with get-trace-summaries', async () => {
    const result = await aws('xray', 'get-trace-summaries', '--start-time', String(start - 10), '--end-time', String(start + 10));

    const summaries = result['TraceSummaries'] as { Id: string; Duration: number; EntryPoint: { Name: string } }[];
    assert.deepEqual(
      summaries.map((s) => s.Id),
      [traceId],
    );
    assert.equal(summaries[0]!.Duration, 1.25);
    assert.equal(summaries[0]!.EntryPoint.Name, 'cli-fn');
  });

  it('filters with --filter-expression', async () => {
    const hit = await aws('xray', 'get-trace-summaries', '--start-time', String(start - 10), '--end-time', String(start + 10), '--filter-expression', 'service("cli-fn")');
    const miss = await aws('xray', 'get-trace-summaries', '--start-time', String(start - 10), '--end-time', String(start + 10), '--filter-expression', 'fault');

    assert.equal((hit['TraceSummaries'] as unknown[]).length, 1);
    assert.equal((miss['TraceSummaries'] as unknown[]).length, 0);
  });

  it('returns the documents with batch-get-traces', async () => {
    const result = await aws('xray', 'batch-get-traces', '--trace-ids', traceId);

    const traces = result['Traces'] as { Id: string; Segments: { Id: string; Document: string }[] }[];
    assert.equal(traces[0]!.Id, traceId);
    assert.deepEqual(traces[0]!.Segments.map((s) => JSON.parse(s.Document).origin).sort(), ['AWS::Lambda', 'AWS::Lambda::Function']);
  });

  it('draws the service graph with get-service-graph', async () => {
    const result = await aws('xray', 'get-service-graph', '--start-time', String(start - 10), '--end-time', String(start + 10));

    const services = result['Services'] as { Name?: string; Type: string; Edges: { ReferenceId: number }[]; ReferenceId: number }[];
    assert.deepEqual(services.map((s) => s.Type).sort(), ['AWS::Lambda', 'AWS::Lambda::Function', 'AWS::S3::Bucket', 'client']);
    const fn = services.find((s) => s.Type === 'AWS::Lambda::Function')!;
    const s3 = services.find((s) => s.Type === 'AWS::S3::Bucket')!;
    assert.deepEqual(fn.Edges.map((e) => e.ReferenceId), [s3.ReferenceId]);
    assert.equal(typeof result['StartTime'], 'string'); // the CLI prints timestamps it parsed from epoch seconds
  });

  it('draws the graph of one trace with get-trace-graph', async () => {
    const result = await aws('xray', 'get-trace-graph', '--trace-ids', traceId);

    assert.equal((result['Services'] as unknown[]).length, 4);
  });

  it('reports bad input as InvalidRequestException', async () => {
    const result = await runAws(cloud.endpoint, ['xray', 'get-trace-summaries', '--start-time', String(start), '--end-time', String(start - 10)]);

    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /InvalidRequestException/);
  });
});
