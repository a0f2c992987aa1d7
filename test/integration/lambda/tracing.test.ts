// Active tracing end to end: the trace header a function gets, the segments Lambda records (read back through
// the real X-Ray API), the function's own subsegment arriving over UDP under them, and PassThrough's silence.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { BatchGetTracesCommand, XRayClient } from '@aws-sdk/client-xray';
import { createFixtureFunction, decodeJson, eventually, startLambdaCloud, type LambdaTestCloud } from './support.js';

interface SegmentDocument {
  id: string;
  parent_id?: string;
  name: string;
  origin?: string;
  start_time: number;
  end_time: number;
  fault?: boolean;
  aws?: Record<string, unknown>;
  subsegments?: SegmentDocument[];
}

let cloud: LambdaTestCloud;
let xray: XRayClient;
before(async () => {
  cloud = await startLambdaCloud();
  xray = new XRayClient({ ...cloud.clientConfig });
});
after(async () => {
  xray.destroy();
  await cloud.close();
});

async function segmentsOf(traceId: string, atLeast: number): Promise<SegmentDocument[]> {
  return eventually(async () => {
    const result = await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId] }));
    const documents = (result.Traces?.[0]?.Segments ?? []).map((segment) => JSON.parse(segment.Document!) as SegmentDocument);
    return documents.length >= atLeast ? documents : undefined;
  }, 10_000, `${atLeast} segments of ${traceId}`);
}

describe('Active tracing', () => {
  it("records Lambda's segments, with the function's own subsegment under the function segment", async () => {
    const fn = await createFixtureFunction(cloud, 'traced', { TracingConfig: { Mode: 'Active' } });
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, LogType: 'Tail' }));
    const seen = decodeJson(result.Payload) as { traceHeader: string; daemon?: string };
    const match = /^Root=(1-[0-9a-f]{8}-[0-9a-f]{24});Parent=([0-9a-f]{16});Sampled=1;Lineage=1:[0-9a-f]{8}:0$/.exec(seen.traceHeader);
    assert.ok(match, `trace header ${seen.traceHeader}`);
    const [, traceId, parent] = match;
    assert.equal(seen.daemon, cloud.cloud.context.stores.xray?.daemonAddress);

    const tail = Buffer.from(result.LogResult!, 'base64').toString('utf8');
    assert.match(tail, new RegExp(`\\nXRAY TraceId: ${traceId}\\tSegmentId: [0-9a-f]{16}\\tSampled: true\\n$`));

    const documents = await segmentsOf(traceId!, 2);
    const service = documents.find((document) => document.origin === 'AWS::Lambda')!;
    const functionSegment = documents.find((document) => document.origin === 'AWS::Lambda::Function')!;
    assert.ok(service && functionSegment);
    assert.equal(service.name, fn.FunctionName);
    assert.equal(service.aws?.request_id, result.$metadata.requestId);
    assert.equal(functionSegment.id, parent, "the function's Parent is the function segment");
    assert.equal(functionSegment.parent_id, service.id);
    const names = (functionSegment.subsegments ?? []).map((subsegment) => subsegment.name);
    assert.ok(names.includes('Initialization') && names.includes('Invocation') && names.includes('Overhead'), names.join(','));
    // The subsegment the function sent over UDP lands under the function segment, inside Invocation.
    const resize = await eventually(async () => {
      const all = await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId!] }));
      const text = (all.Traces?.[0]?.Segments ?? []).map((segment) => segment.Document!).join('\n');
      return text.includes('"resize"') ? text : undefined;
    }, 10_000, 'the function subsegment');
    assert.match(resize, new RegExp(`"parent_id":"${parent}"|"id":"${parent}"`));
    const invocation = functionSegment.subsegments!.find((subsegment) => subsegment.name === 'Invocation')!;
    assert.ok(invocation.start_time <= invocation.end_time);
    assert.ok(functionSegment.start_time <= invocation.start_time && invocation.end_time <= functionSegment.end_time);
  });

  it('marks a failed invocation as a fault with its cause', async () => {
    const fn = await createFixtureFunction(cloud, 'thrower', { TracingConfig: { Mode: 'Active' } });
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, LogType: 'Tail' }));
    const traceId = /XRAY TraceId: (\S+)/.exec(Buffer.from(result.LogResult!, 'base64').toString('utf8'))![1]!;
    const documents = await segmentsOf(traceId, 2);
    const functionSegment = documents.find((document) => document.origin === 'AWS::Lambda::Function')!;
    assert.equal(functionSegment.fault, true);
  });
});

describe('a caller trace', () => {
  it('is continued: the function and the segments share its Root', async () => {
    const fn = await createFixtureFunction(cloud, 'traced', { TracingConfig: { Mode: 'Active' } });
    const root = '1-6b08ada9-0123456789abcdef01234567';
    const client = new LambdaClient({ ...cloud.clientConfig });
    client.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-amzn-trace-id'] = `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1`;
        return next(args);
      },
      { step: 'build', name: 'addTraceHeader' },
    );
    try {
      const result = await client.send(new InvokeCommand({ FunctionName: fn.FunctionName }));
      const seen = decodeJson(result.Payload) as { traceHeader: string };
      assert.match(seen.traceHeader, new RegExp(`^Root=${root};Parent=[0-9a-f]{16};Sampled=1;`));
      const documents = await segmentsOf(root, 2);
      assert.ok(documents.some((document) => document.origin === 'AWS::Lambda'));
    } finally {
      client.destroy();
    }
  });
});

describe('PassThrough tracing', () => {
  it('records nothing and tells the function Sampled=0', async () => {
    const fn = await createFixtureFunction(cloud, 'traced');
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, LogType: 'Tail' }));
    const seen = decodeJson(result.Payload) as { traceHeader: string };
    const traceId = /^Root=(1-[0-9a-f]{8}-[0-9a-f]{24});Sampled=0;/.exec(seen.traceHeader)?.[1];
    assert.ok(traceId, seen.traceHeader);
    assert.doesNotMatch(Buffer.from(result.LogResult!, 'base64').toString('utf8'), /XRAY TraceId/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const traces = await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId] }));
    assert.equal((traces.Traces ?? []).flatMap((trace) => trace.Segments ?? []).length, 0);
  });
});
