// X-Ray through the real SDK client against a real local cloud: the client is strict about types (numbers
// vs strings, timestamps as epoch seconds), so every response shape is exercised here.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  BatchGetTracesCommand,
  GetEncryptionConfigCommand,
  GetSamplingRulesCommand,
  GetSamplingStatisticSummariesCommand,
  GetSamplingTargetsCommand,
  GetServiceGraphCommand,
  GetTraceGraphCommand,
  GetTraceSummariesCommand,
  InvalidRequestException,
  paginateGetTraceSummaries,
  PutTelemetryRecordsCommand,
  PutTraceSegmentsCommand,
  XRayClient,
  type Service,
} from '@aws-sdk/client-xray';
import { startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';
import { functionSegment, lambdaServiceSegment, TRACE_ID } from '../../unit/emulator/services/xray/lambda-trace.js';

let cloud: TestCloud;
let xray: XRayClient;

before(async () => {
  cloud = await startTestCloud();
  xray = new XRayClient({ ...cloud.clientConfig, maxAttempts: 1 });
});

after(async () => {
  xray.destroy();
  await cloud.close();
});

/** The fixture's Lambda trace moved to `startSeconds` under a fresh trace id, so tests do not collide. */
function lambdaTraceAt(startSeconds: number, options: { fault?: boolean } = {}): { traceId: string; documents: string[] } {
  const traceId = `1-${Math.floor(startSeconds).toString(16)}-${randomBytes(12).toString('hex')}`;
  const shift = (text: string): string =>
    JSON.stringify(JSON.parse(text.replaceAll(TRACE_ID, traceId)), (key, value: unknown) =>
      (key === 'start_time' || key === 'end_time') && typeof value === 'number' ? value - 1_700_000_000 + startSeconds : value,
    );
  return { traceId, documents: [JSON.stringify(lambdaServiceSegment()), JSON.stringify(functionSegment(options))].map(shift) };
}

const nowSeconds = (): number => Date.now() / 1000;

describe('X-Ray via the SDK', () => {
  it('round-trips a Lambda trace through PutTraceSegments, GetTraceSummaries and BatchGetTraces', async () => {
    // Prepare
    const start = nowSeconds() - 30;
    const { traceId, documents } = lambdaTraceAt(start, { fault: true });

    // Act
    const put = await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: documents }));
    const summaries = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date((start - 5) * 1000), EndTime: new Date((start + 5) * 1000) }));
    const traces = await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId, '1-00000000-000000000000000000000000'] }));

    // Assess
    assert.deepEqual(put.UnprocessedTraceSegments, []);
    const summary = summaries.TraceSummaries?.find((s) => s.Id === traceId);
    assert.ok(summary, 'the trace is summarised');
    assert.ok(Math.abs(summary.Duration! - 1.2) < 1e-6);
    assert.ok(Math.abs(summary.ResponseTime! - 1.2) < 1e-6);
    assert.equal(summary.HasFault, true);
    assert.equal(summary.HasError, false);
    assert.equal(summary.IsPartial, false);
    assert.ok(summary.StartTime instanceof Date);
    assert.ok(Math.abs(summary.StartTime.getTime() / 1000 - start) < 0.002);
    assert.equal(summary.EntryPoint?.Type, 'AWS::Lambda');
    assert.deepEqual(
      summary.ServiceIds?.map((s) => s.Type),
      ['AWS::Lambda', 'AWS::Lambda::Function', 'AWS::S3::Bucket'],
    );
    assert.deepEqual(summary.Annotations?.['width']?.[0]?.AnnotationValue, { NumberValue: 200 });
    assert.equal(summary.Http?.HttpStatus, 202);
    assert.ok(summaries.ApproximateTime instanceof Date);
    assert.equal(typeof summaries.TracesProcessedCount, 'number');

    assert.deepEqual(traces.UnprocessedTraceIds, ['1-00000000-000000000000000000000000']);
    const [trace] = traces.Traces!;
    assert.equal(trace!.Id, traceId);
    assert.equal(trace!.LimitExceeded, false);
    assert.deepEqual(
      trace!.Segments!.map((s) => JSON.parse(s.Document!).origin),
      ['AWS::Lambda', 'AWS::Lambda::Function'],
    );
  });

  it('reports documents it cannot store as unprocessed', async () => {
    const put = await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: ['{"id":"0123456789abcdef","name":"x"}', 'not json'] }));

    assert.deepEqual(
      put.UnprocessedTraceSegments?.map((u) => [u.Id, u.ErrorCode]),
      [
        ['0123456789abcdef', 'MissingTraceId'],
        [undefined, 'InvalidJson'],
      ],
    );
  });

  it('filters summaries by service, annotation and http url', async () => {
    const start = nowSeconds() - 600;
    const lambda = lambdaTraceAt(start);
    const api = `1-${Math.floor(start).toString(16)}-${randomBytes(12).toString('hex')}`;
    await xray.send(
      new PutTraceSegmentsCommand({
        TraceSegmentDocuments: [
          ...lambda.documents,
          JSON.stringify({
            name: 'gateway',
            id: randomBytes(8).toString('hex'),
            trace_id: api,
            start_time: start,
            end_time: start + 0.1,
            http: { request: { url: 'https://api.example.com/thumbnails/cat.jpg', method: 'GET' }, response: { status: 200 } },
          }),
        ],
      }),
    );
    const window = { StartTime: new Date((start - 1) * 1000), EndTime: new Date((start + 1) * 1000) };
    const ids = async (FilterExpression: string): Promise<string[]> =>
      ((await xray.send(new GetTraceSummariesCommand({ ...window, FilterExpression }))).TraceSummaries ?? []).map((s) => s.Id!);

    assert.deepEqual(await ids('service("thumbctl-thumbnailer")'), [lambda.traceId]);
    assert.deepEqual(await ids('annotation.source_key = "uploads/cat.jpg"'), [lambda.traceId]);
    assert.deepEqual(await ids('http.url CONTAINS "thumbnails"'), [api]);
    assert.deepEqual((await ids('ok')).sort(), [api, lambda.traceId].sort());
    await assert.rejects(xray.send(new GetTraceSummariesCommand({ ...window, FilterExpression: 'edge("a", "b")' })), InvalidRequestException);
  });

  it('pages summaries with NextToken through the SDK paginator', async () => {
    const start = nowSeconds() - 1200;
    const documents = Array.from({ length: 105 }, (_, i) =>
      JSON.stringify({ name: 'pager', id: randomBytes(8).toString('hex'), trace_id: `1-${Math.floor(start).toString(16)}-${randomBytes(12).toString('hex')}`, start_time: start + i / 1000, end_time: start + 1 }),
    );
    for (let i = 0; i < documents.length; i += 50) await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: documents.slice(i, i + 50) }));

    const pages: number[] = [];
    const seen = new Set<string>();
    for await (const page of paginateGetTraceSummaries(
      { client: xray },
      { StartTime: new Date((start - 1) * 1000), EndTime: new Date((start + 1) * 1000), FilterExpression: 'service("pager")' },
    )) {
      pages.push(page.TraceSummaries?.length ?? 0);
      for (const summary of page.TraceSummaries ?? []) seen.add(summary.Id!);
    }

    assert.deepEqual(pages, [100, 5]);
    assert.equal(seen.size, 105);
  });

  it('builds the service graph and the trace graph of a Lambda trace', async () => {
    const start = nowSeconds() - 1800;
    const { traceId, documents } = lambdaTraceAt(start);
    await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: documents }));

    const graph = await xray.send(new GetServiceGraphCommand({ StartTime: new Date((start - 1) * 1000), EndTime: new Date((start + 2) * 1000) }));
    const traceGraph = await xray.send(new GetTraceGraphCommand({ TraceIds: [traceId] }));

    for (const services of [graph.Services!, traceGraph.Services!]) {
      const find = (type: string): Service => services.find((s) => s.Type === type)!;
      assert.deepEqual(services.map((s) => s.Type).sort(), ['AWS::Lambda', 'AWS::Lambda::Function', 'AWS::S3::Bucket', 'client']);
      assert.deepEqual(find('client').Edges?.map((e) => e.ReferenceId), [find('AWS::Lambda').ReferenceId]);
      assert.deepEqual(find('AWS::Lambda').Edges?.map((e) => e.ReferenceId), [find('AWS::Lambda::Function').ReferenceId]);
      const toS3 = find('AWS::Lambda::Function').Edges!;
      assert.deepEqual(toS3.map((e) => e.ReferenceId), [find('AWS::S3::Bucket').ReferenceId]);
      assert.equal(toS3[0]!.SummaryStatistics?.TotalCount, 2);
      assert.ok(toS3[0]!.StartTime instanceof Date);
      assert.equal(typeof toS3[0]!.ResponseTimeHistogram?.[0]?.Value, 'number');
      assert.equal(find('AWS::Lambda::Function').State, 'active');
      assert.ok(find('AWS::Lambda::Function').EndTime instanceof Date);
      assert.equal(find('AWS::Lambda::Function').SummaryStatistics?.FaultStatistics?.TotalCount, 0);
    }
    assert.ok(graph.StartTime instanceof Date);
    assert.equal(graph.ContainsOldGroupVersions, false);
  });

  it('merges a subsegment sent on its own into its parent segment', async () => {
    const start = nowSeconds() - 2400;
    const traceId = `1-${Math.floor(start).toString(16)}-${randomBytes(12).toString('hex')}`;
    const segmentId = randomBytes(8).toString('hex');
    await xray.send(
      new PutTraceSegmentsCommand({
        TraceSegmentDocuments: [
          JSON.stringify({ name: 'fn', id: segmentId, trace_id: traceId, start_time: start, in_progress: true }),
          JSON.stringify({ type: 'subsegment', name: 'S3', namespace: 'aws', id: randomBytes(8).toString('hex'), parent_id: segmentId, trace_id: traceId, start_time: start + 0.1, end_time: start + 0.2 }),
        ],
      }),
    );
    const partial = await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId] }));
    await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [JSON.stringify({ name: 'fn', id: segmentId, trace_id: traceId, start_time: start, end_time: start + 0.5 })] }));

    const complete = await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId] }));

    const before = JSON.parse(partial.Traces![0]!.Segments![0]!.Document!);
    const after = JSON.parse(complete.Traces![0]!.Segments![0]!.Document!);
    assert.equal(before.in_progress, true);
    assert.equal(after.end_time, start + 0.5);
    assert.deepEqual(after.subsegments.map((s: { name: string }) => s.name), ['S3']);
    assert.equal(complete.Traces![0]!.Segments!.length, 1);
  });

  it('answers the calls X-Ray SDKs and daemons make on their own', async () => {
    const rules = await xray.send(new GetSamplingRulesCommand({}));
    const targets = await xray.send(
      new GetSamplingTargetsCommand({
        SamplingStatisticsDocuments: [{ RuleName: 'Default', ClientID: '0123456789abcdef01234567', Timestamp: new Date(), RequestCount: 3, SampledCount: 3 }],
      }),
    );

    const summaries = await xray.send(new GetSamplingStatisticSummariesCommand({}));
    const encryption = await xray.send(new GetEncryptionConfigCommand({}));
    await xray.send(new PutTelemetryRecordsCommand({ TelemetryRecords: [] }));

    assert.deepEqual(summaries.SamplingStatisticSummaries, []);
    assert.equal(encryption.EncryptionConfig?.Type, 'NONE');
    assert.equal(rules.SamplingRuleRecords?.[0]?.SamplingRule?.RuleName, 'Default');
    assert.ok(rules.SamplingRuleRecords?.[0]?.CreatedAt instanceof Date);
    assert.equal(targets.SamplingTargetDocuments?.[0]?.FixedRate, 1);
    assert.ok(targets.SamplingTargetDocuments?.[0]?.ReservoirQuotaTTL instanceof Date);
  });

  it('answers bad requests with InvalidRequestException', async () => {
    const now = new Date();

    await assert.rejects(xray.send(new GetTraceSummariesCommand({ StartTime: now, EndTime: new Date(now.getTime() - 1000) })), InvalidRequestException);
    await assert.rejects(xray.send(new BatchGetTracesCommand({ TraceIds: ['1', '2', '3', '4', '5', '6'] })), (error: unknown) => {
      assert.ok(error instanceof InvalidRequestException);
      assert.equal(error.$metadata.httpStatusCode, 400);
      assert.match(error.message, /at most 5/);
      return true;
    });
  });

  it('answers a malformed body with InvalidRequestException and an unmodelled operation with NotImplemented', async () => {
    const headers = { 'content-type': 'application/json', authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/xray/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000' };

    const malformed = await fetch(`${cloud.endpoint}/TraceSummaries`, { method: 'POST', headers, body: '{"StartTime":' });
    const unmodelled = await fetch(`${cloud.endpoint}/CreateGroup`, { method: 'POST', headers, body: '{}' });

    assert.equal(malformed.status, 400);
    assert.equal(malformed.headers.get('x-amzn-errortype'), 'InvalidRequestException');
    assert.equal(((await malformed.json()) as { Type: string }).Type, 'User');
    assert.equal(unmodelled.status, 501);
    assert.match(((await unmodelled.json()) as { message: string }).message, /CreateGroup/);
  });
});
