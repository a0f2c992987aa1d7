import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '@aws-sdk/client-xray';
import { assembleTrace, parseSegmentDocument, type SegmentRecord } from '../../../../../emulator/services/xray/segments.js';
import { buildServiceGraph } from '../../../../../emulator/services/xray/service-graph.js';
import { functionSegment, getObjectSubsegment, IDS, lambdaTraceDocuments, START, TRACE_ID } from './lambda-trace.js';

function records(documents: string[]): SegmentRecord[] {
  return documents.map((text) => {
    const parsed = parseSegmentDocument(text);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    return parsed.record;
  });
}

function byName(services: Service[], name: string | undefined, type: string): Service {
  const service = services.find((s) => s.Name === name && s.Type === type);
  assert.ok(service, `no ${type} node named ${name} in ${JSON.stringify(services.map((s) => [s.Name, s.Type]))}`);
  return service;
}

describe('buildServiceGraph', () => {
  it('builds client -> Lambda -> function -> S3 from a Lambda trace', () => {
    // Prepare
    const trace = assembleTrace(TRACE_ID, records(lambdaTraceDocuments()));

    // Act
    const services = buildServiceGraph([trace], { includeClient: true, accountId: '000000000000' });

    // Assess
    assert.equal(services.length, 4);
    const client = byName(services, undefined, 'client');
    const lambda = byName(services, 'thumbctl-thumbnailer', 'AWS::Lambda');
    const fn = byName(services, 'thumbctl-thumbnailer', 'AWS::Lambda::Function');
    const s3 = byName(services, 'S3', 'AWS::S3::Bucket');
    assert.deepEqual(
      services.map((s) => s.ReferenceId),
      [0, 1, 2, 3],
    );
    assert.equal(client.ReferenceId, 0);
    assert.equal(client.Root, true);
    assert.equal(client.State, 'unknown');
    assert.deepEqual(client.Edges?.map((e) => e.ReferenceId), [lambda.ReferenceId]);
    assert.deepEqual(lambda.Edges?.map((e) => e.ReferenceId), [fn.ReferenceId]);
    assert.deepEqual(fn.Edges?.map((e) => e.ReferenceId), [s3.ReferenceId]);
    assert.deepEqual(s3.Edges, []);
    assert.equal(lambda.Root, true);
    assert.equal(fn.Root, false);
    for (const service of [lambda, fn, s3]) assert.equal(service.State, 'active');
    assert.equal(fn.AccountId, '000000000000');
  });

  it('counts both S3 calls on the function -> S3 edge with their response times', () => {
    const trace = assembleTrace(TRACE_ID, records(lambdaTraceDocuments()));

    const services = buildServiceGraph([trace], { includeClient: true });

    const fn = byName(services, 'thumbctl-thumbnailer', 'AWS::Lambda::Function');
    const edge = fn.Edges![0]!;
    assert.equal(edge.SummaryStatistics?.TotalCount, 2);
    assert.equal(edge.SummaryStatistics?.OkCount, 2);
    assert.ok(Math.abs(edge.SummaryStatistics!.TotalResponseTime! - 0.24) < 1e-6);
    assert.deepEqual(edge.ResponseTimeHistogram, [
      { Value: 0.09, Count: 1 },
      { Value: 0.15, Count: 1 },
    ]);
    assert.deepEqual(edge.Aliases, []);
    assert.equal(edge.StartTime?.getTime(), (START + 0.31) * 1000);
    assert.equal(edge.EndTime?.getTime(), (START + 1.05) * 1000);
    const s3 = byName(services, 'S3', 'AWS::S3::Bucket');
    assert.equal(s3.SummaryStatistics?.TotalCount, 2);
  });

  it('reports the function node statistics and duration histogram from its segment', () => {
    const trace = assembleTrace(TRACE_ID, records(lambdaTraceDocuments({ fault: true })));

    const services = buildServiceGraph([trace]);

    const fn = byName(services, 'thumbctl-thumbnailer', 'AWS::Lambda::Function');
    assert.deepEqual(fn.SummaryStatistics, {
      OkCount: 0,
      ErrorStatistics: { ThrottleCount: 0, OtherCount: 0, TotalCount: 0 },
      FaultStatistics: { OtherCount: 1, TotalCount: 1 },
      TotalCount: 1,
      TotalResponseTime: 1.13,
    });
    assert.deepEqual(fn.DurationHistogram, [{ Value: 1.13, Count: 1 }]);
    assert.equal(fn.StartTime?.getTime(), (START + 0.06) * 1000);
  });

  it('leaves out the client node unless asked', () => {
    const trace = assembleTrace(TRACE_ID, records(lambdaTraceDocuments()));

    const services = buildServiceGraph([trace]);

    assert.equal(services.some((s) => s.Type === 'client'), false);
    assert.equal(services.length, 3);
  });

  it('places an S3 subsegment sent on its own under its parent', () => {
    // Prepare: the function segment without its GetObject call, which arrives separately (as from the daemon).
    const loose = { ...getObjectSubsegment(), type: 'subsegment', trace_id: TRACE_ID, parent_id: IDS.invocation };
    const documents = [lambdaTraceDocuments()[0]!, JSON.stringify(functionSegment({ withGetObject: false })), JSON.stringify(loose)];

    // Act
    const services = buildServiceGraph([assembleTrace(TRACE_ID, records(documents))], { includeClient: true });

    // Assess
    const fn = byName(services, 'thumbctl-thumbnailer', 'AWS::Lambda::Function');
    assert.equal(fn.Edges![0]!.SummaryStatistics?.TotalCount, 2);
  });

  it('draws an edge to a downstream segment instead of inferring a node for the call', () => {
    // A function calling another instrumented service: the remote subsegment is the other segment's parent.
    const caller = {
      name: 'caller',
      id: 'c000000000000001',
      trace_id: TRACE_ID,
      start_time: START,
      end_time: START + 1,
      subsegments: [{ id: 'c000000000000002', name: 'api.internal', namespace: 'remote', start_time: START + 0.1, end_time: START + 0.9 }],
    };
    const callee = { name: 'api', id: 'd000000000000001', trace_id: TRACE_ID, parent_id: 'c000000000000002', start_time: START + 0.2, end_time: START + 0.8, error: true };

    const services = buildServiceGraph([assembleTrace(TRACE_ID, records([JSON.stringify(caller), JSON.stringify(callee)]))]);

    assert.deepEqual(
      services.map((s) => s.Name),
      ['caller', 'api'],
    );
    const edge = services[0]!.Edges![0]!;
    assert.equal(edge.ReferenceId, services[1]!.ReferenceId);
    assert.deepEqual(edge.SummaryStatistics?.ErrorStatistics, { ThrottleCount: 0, OtherCount: 1, TotalCount: 1 });
  });

  it('types a remote call without a downstream segment as "remote"', () => {
    const caller = {
      name: 'caller',
      id: 'c000000000000001',
      trace_id: TRACE_ID,
      start_time: START,
      end_time: START + 1,
      subsegments: [{ id: 'c000000000000002', name: 'example.com', namespace: 'remote', start_time: START + 0.1, end_time: START + 0.9, throttle: true, error: true }],
    };

    const services = buildServiceGraph([assembleTrace(TRACE_ID, records([JSON.stringify(caller)]))]);

    const remote = byName(services, 'example.com', 'remote');
    assert.equal(remote.SummaryStatistics?.ErrorStatistics?.ThrottleCount, 1);
  });

  it('merges the same services across traces into one node', () => {
    const other = '1-6553f101-0123456789abcdef01234568';
    const second = lambdaTraceDocuments().map((d) => d.replaceAll(TRACE_ID, other));

    const services = buildServiceGraph([assembleTrace(TRACE_ID, records(lambdaTraceDocuments())), assembleTrace(other, records(second))], {
      includeClient: true,
    });

    assert.equal(services.length, 4);
    assert.equal(byName(services, 'thumbctl-thumbnailer', 'AWS::Lambda').SummaryStatistics?.TotalCount, 2);
    assert.equal(byName(services, 'S3', 'AWS::S3::Bucket').SummaryStatistics?.TotalCount, 4);
  });
});
