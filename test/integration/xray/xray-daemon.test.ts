// The local X-Ray daemon: segments sent over UDP to `context.stores.xray.daemonAddress`, as a function's
// X-Ray SDK does with AWS_XRAY_DAEMON_ADDRESS, show up through the API.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { BatchGetTracesCommand, XRayClient } from '@aws-sdk/client-xray';
import { startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';

let cloud: TestCloud;
let xray: XRayClient;
let udp: Socket;
const cloudLog: string[] = [];

before(async () => {
  cloud = await startTestCloud({ log: (line) => cloudLog.push(line) });
  xray = new XRayClient({ ...cloud.clientConfig, maxAttempts: 1 });
  udp = createSocket('udp4');
});

after(async () => {
  udp.close();
  xray.destroy();
  await cloud.close();
});

function send(datagram: string): Promise<void> {
  const [host, port] = cloud.cloud.context.stores.xray!.daemonAddress!.split(':');
  return new Promise((resolve, reject) => udp.send(datagram, Number(port), host, (error) => (error ? reject(error) : resolve())));
}

/** Polls BatchGetTraces until the trace has `count` segments (UDP delivery is asynchronous). */
async function waitForSegments(traceId: string, count: number): Promise<string[]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const result = await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId] }));
    const segments = result.Traces?.[0]?.Segments ?? [];
    if (segments.length >= count) return segments.map((s) => s.Document!);
    await sleep(20);
  }
  throw new Error(`trace ${traceId} did not get ${count} segments`);
}

describe('the X-Ray daemon', () => {
  it('listens on an ephemeral loopback port', () => {
    assert.match(cloud.cloud.context.stores.xray!.daemonAddress ?? '', /^127\.0\.0\.1:\d+$/);
  });

  it('stores segments and subsegments received over UDP', async () => {
    const now = Date.now() / 1000;
    const traceId = `1-${Math.floor(now).toString(16)}-${randomBytes(12).toString('hex')}`;
    const segmentId = randomBytes(8).toString('hex');
    const header = '{"format": "json", "version": 1}\n';

    await send(header + JSON.stringify({ type: 'subsegment', name: 'resize', id: randomBytes(8).toString('hex'), parent_id: segmentId, trace_id: traceId, start_time: now + 0.1, end_time: now + 0.3 }));
    await send(header + JSON.stringify({ name: 'thumbnailer', id: segmentId, trace_id: traceId, start_time: now, end_time: now + 0.5, origin: 'AWS::Lambda::Function' }));
    const [document] = await waitForSegments(traceId, 1);

    const segment = JSON.parse(document!);
    assert.equal(segment.id, segmentId);
    assert.deepEqual(segment.subsegments.map((s: { name: string }) => s.name), ['resize']);
  });

  it('drops malformed datagrams with a log line and keeps serving', async () => {
    const now = Date.now() / 1000;
    const traceId = `1-${Math.floor(now).toString(16)}-${randomBytes(12).toString('hex')}`;

    await send('not a datagram');
    await send('{"format":"json","version":1}\n{"name":"broken"');
    await send('{"format":"json","version":1}\n' + JSON.stringify({ name: 'after', id: randomBytes(8).toString('hex'), trace_id: traceId, start_time: now, end_time: now + 1 }));
    await waitForSegments(traceId, 1);

    assert.ok(cloudLog.some((line) => /dropped a datagram/.test(line)), cloudLog.join('\n'));
    assert.ok(cloudLog.some((line) => /dropped segment .*InvalidJson/.test(line)), cloudLog.join('\n'));
  });

  it('accepts documents from the Lambda runtime through putSegments', async () => {
    const now = Date.now() / 1000;
    const traceId = `1-${Math.floor(now).toString(16)}-${randomBytes(12).toString('hex')}`;

    cloud.cloud.context.stores.xray!.putSegments([JSON.stringify({ name: 'fn', id: randomBytes(8).toString('hex'), trace_id: traceId, start_time: now, end_time: now + 1, origin: 'AWS::Lambda' })]);

    assert.equal((await waitForSegments(traceId, 1)).length, 1);
  });
});
