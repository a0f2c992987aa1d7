import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildServiceMap } from '../../../../../cli/core/traces/service-map.js';
import { FUNCTION_NAME, serviceGraph } from './fixtures.js';

const window = { startTime: new Date('2024-01-01T12:00:00Z'), endTime: new Date('2024-01-01T12:15:00Z') };

describe('building the service map', () => {
  it('keeps the services connected to our function and adds the client in front', () => {
    const map = buildServiceMap(serviceGraph(), { functionName: FUNCTION_NAME, ...window });
    assert.deepEqual(
      map.nodes.map((n) => n.id),
      ['client', `${FUNCTION_NAME} (AWS::Lambda)`, `${FUNCTION_NAME} (AWS::Lambda::Function)`, 'S3'],
    );
    assert.deepEqual(
      map.edges.map((e) => `${e.from} -> ${e.to}`),
      [
        `client -> ${FUNCTION_NAME} (AWS::Lambda)`,
        `${FUNCTION_NAME} (AWS::Lambda) -> ${FUNCTION_NAME} (AWS::Lambda::Function)`,
        `${FUNCTION_NAME} (AWS::Lambda::Function) -> S3`,
      ],
    );
  });

  it('computes average latency, requests, errors and requests per minute', () => {
    const map = buildServiceMap(serviceGraph(), { functionName: FUNCTION_NAME, ...window });
    const byId = new Map(map.nodes.map((n) => [n.id, n]));
    // Lambda service: 5.2 s over 4 requests = 1300 ms; 4 requests in 15 minutes = 0.27/min; 1 fault.
    assert.deepEqual(byId.get(`${FUNCTION_NAME} (AWS::Lambda)`), {
      id: `${FUNCTION_NAME} (AWS::Lambda)`,
      name: FUNCTION_NAME,
      type: 'AWS::Lambda',
      avgMs: 1300,
      requests: 4,
      errors: 1,
      faults: 1,
      perMinute: 0.27,
      root: true,
    });
    assert.equal(byId.get('S3')?.avgMs, 100);
    assert.equal(byId.get('S3')?.perMinute, 0.47);
    assert.equal(byId.get('client')?.requests, 4);
    assert.equal(byId.get('client')?.avgMs, 1300);
    const edge = map.edges.find((e) => e.to === 'S3');
    assert.deepEqual(edge, { from: `${FUNCTION_NAME} (AWS::Lambda::Function)`, to: 'S3', avgMs: 100, requests: 7, errors: 0 });
    assert.equal(map.windowMinutes, 15);
  });

  it('uses the window GetServiceGraph answered with', () => {
    const map = buildServiceMap(serviceGraph(), { functionName: FUNCTION_NAME, ...window }, { StartTime: new Date('2024-01-01T12:10:00Z'), EndTime: window.endTime });
    assert.equal(map.windowMinutes, 5);
    assert.equal(map.nodes.find((n) => n.type === 'AWS::Lambda')?.perMinute, 0.8);
  });

  it('finds the entry point without Root flags', () => {
    const noRoots = serviceGraph().map((s) => ({ ...s, Root: false }));
    const map = buildServiceMap(noRoots, { functionName: FUNCTION_NAME, ...window });
    assert.equal(map.edges[0]?.to, `${FUNCTION_NAME} (AWS::Lambda)`);
  });

  it("uses X-Ray's own client node without walking through it into other applications", () => {
    // Prepare: AWS's client node has no name and no statistics; its edges carry the calls.
    const edgeStats = (count: number, seconds: number) => ({ OkCount: count, TotalCount: count, TotalResponseTime: seconds, ErrorStatistics: { TotalCount: 0 }, FaultStatistics: { TotalCount: 0 } });
    const client = { ReferenceId: 9, Names: [], Root: true, Type: 'client', Edges: [{ ReferenceId: 0, SummaryStatistics: edgeStats(4, 4.8) }, { ReferenceId: 3, SummaryStatistics: edgeStats(100, 10) }] };
    // Act
    const map = buildServiceMap([client, ...serviceGraph()], { functionName: FUNCTION_NAME, ...window });
    // Assess
    assert.deepEqual(map.nodes.map((n) => n.id), ['client', `${FUNCTION_NAME} (AWS::Lambda)`, `${FUNCTION_NAME} (AWS::Lambda::Function)`, 'S3']);
    const clientNode = map.nodes[0];
    assert.equal(clientNode?.type, 'client');
    assert.equal(clientNode?.requests, 4, 'only the calls into our function');
    assert.equal(clientNode?.avgMs, 1200);
    assert.equal(clientNode?.root, false);
    assert.deepEqual(map.edges[0], { from: 'client', to: `${FUNCTION_NAME} (AWS::Lambda)`, avgMs: 1200, requests: 4, errors: 0 });
    assert.equal(map.edges.length, 3);
  });

  it('answers an empty map when our function is not in the graph', () => {
    const map = buildServiceMap(serviceGraph(), { functionName: 'someone-else', ...window });
    assert.deepEqual(map.nodes, []);
    assert.deepEqual(map.edges, []);
  });
});
