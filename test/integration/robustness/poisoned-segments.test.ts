// Poisoned X-Ray segments: documents with the wrong type in any field (`"subsegments": "x"`), times of 1e300,
// NaN-ish values, deep nesting or a huge size are refused at ingestion as X-Ray refuses them (one
// UnprocessedTraceSegments entry each, with an ErrorCode; over UDP, dropped and logged). And `thumbctl traces`,
// given such documents anyway (a state directory written before the checks existed), lists the trace as
// unreadable and carries on: every variant exits 0.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { BatchGetTracesCommand, GetServiceGraphCommand, GetTraceSummariesCommand, PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';
import { startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';
import { runThumbctl } from '../../helpers/thumbctl.js';

const FUNCTION = 'poison-fn';
let cloud: TestCloud;
let xray: XRayClient;
let udp: Socket;
let workDir: string;
const cloudLog: string[] = [];

before(async () => {
  cloud = await startTestCloud({ log: (line) => cloudLog.push(line) });
  xray = new XRayClient({ ...cloud.clientConfig, maxAttempts: 1 });
  udp = createSocket('udp4');
  workDir = mkdtempSync(join(tmpdir(), 'thumbctl-poison-'));
});

after(async () => {
  udp.close();
  xray.destroy();
  await cloud.close();
  rmSync(workDir, { recursive: true, force: true });
});

const now = (): number => Date.now() / 1000;
const traceId = (): string => `1-${Math.floor(now()).toString(16)}-${randomBytes(12).toString('hex')}`;
const segmentId = (): string => randomBytes(8).toString('hex');

/** A segment of our function that any reader would accept; each poison below spoils one thing about it. */
function segment(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const start = now() - 5;
  return { name: FUNCTION, id: segmentId(), trace_id: traceId(), origin: 'AWS::Lambda::Function', start_time: start, end_time: start + 0.2, ...overrides };
}

function nested(depth: number): Record<string, unknown> {
  let node: Record<string, unknown> = { id: segmentId(), name: 'leaf', start_time: now() - 4, end_time: now() - 3 };
  for (let i = 0; i < depth; i++) node = { id: segmentId(), name: 'n', start_time: now() - 4, end_time: now() - 3, subsegments: [node] };
  return node;
}

/** Each as JSON text: some are not even expressible as objects (NaN written out, for instance). */
function poisons(): Record<string, string> {
  const json = (value: unknown): string => JSON.stringify(value);
  return {
    'subsegments is a string': json(segment({ subsegments: 'x' })),
    'subsegments holds null and numbers': json(segment({ subsegments: [null, 1, 'a'] })),
    'a subsegment without an id': json(segment({ subsegments: [{ name: 's', start_time: now(), end_time: now() }] })),
    'start_time of 1e300': json(segment({ start_time: 1e300, end_time: 1e300 })),
    'end_time of -1e300': json(segment({ end_time: -1e300 })),
    'start_time written as NaN': json(segment()).replace(/"start_time":[^,]+/, '"start_time":NaN'),
    'start_time as a string': json(segment({ start_time: 'NaN' })),
    'end_time null': json(segment({ end_time: null })),
    'a nested time of 1e300': json(segment({ subsegments: [{ id: segmentId(), name: 's', start_time: 1e300, end_time: 1e300 }] })),
    'http is a string': json(segment({ http: 'x' })),
    'http.response.status is a string': json(segment({ http: { response: { status: '500' } } })),
    'aws is a number': json(segment({ aws: 5 })),
    'annotations is an array': json(segment({ annotations: [1, 2] })),
    'an annotation holds an object': json(segment({ annotations: { key: { deep: true } } })),
    'cause.exceptions is a string': json(segment({ fault: true, cause: { exceptions: 'x' } })),
    'fault is a string': json(segment({ fault: 'true' })),
    'in_progress is a string': json(segment({ in_progress: 'yes', end_time: undefined })),
    'name is a number': json(segment({ name: 5 })),
    'a name of 201 characters': json(segment({ name: 'n'.repeat(201) })),
    'parent_id is not an id': json(segment({ parent_id: 'zzzz' })),
    'subsegments nested 500 deep': json(segment({ subsegments: [nested(500)] })),
    'a 200 KB document': json(segment({ metadata: { blob: { text: 'x'.repeat(200_000) } } })),
  };
}

function sendUdp(document: string): Promise<void> {
  const [host, port] = cloud.cloud.context.stores.xray!.daemonAddress!.split(':');
  return new Promise((resolve, reject) => udp.send(`{"format": "json", "version": 1}\n${document}`, Number(port), host, (error) => (error ? reject(error) : resolve())));
}

const idOf = (document: string): string | undefined => /"trace_id":"([^"]+)"/.exec(document)?.[1];

describe('poisoned segments at ingestion', () => {
  it('PutTraceSegments refuses each one as X-Ray does, with an ErrorCode, and stores none', async () => {
    const documents = poisons();
    for (const [label, document] of Object.entries(documents)) {
      const put = await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [document] }));
      assert.equal(put.UnprocessedTraceSegments?.length, 1, `${label} was accepted`);
      const [refused] = put.UnprocessedTraceSegments!;
      assert.match(refused!.ErrorCode ?? '', /^[A-Z][A-Za-z]+$/, label);
      assert.ok(refused!.Message, label);
      const stored = await xray.send(new BatchGetTracesCommand({ TraceIds: [idOf(document)!] }));
      assert.deepEqual(stored.Traces, [], `${label} was stored`);
    }
    // A good document in the same batch still goes in.
    const good = segment();
    const mixed = await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [documents['subsegments is a string']!, JSON.stringify(good)] }));
    assert.equal(mixed.UnprocessedTraceSegments?.length, 1);
    assert.equal((await xray.send(new BatchGetTracesCommand({ TraceIds: [good.trace_id as string] }))).Traces?.length, 1);
  });

  it('the UDP daemon drops each one and logs why', async () => {
    const documents = Object.entries(poisons()).filter(([, document]) => Buffer.byteLength(document) < 60_000);
    const good = segment();
    for (const [, document] of documents) await sendUdp(document);
    await sendUdp(JSON.stringify(good));
    for (let attempt = 0; attempt < 100 && (await xray.send(new BatchGetTracesCommand({ TraceIds: [good.trace_id as string] }))).Traces?.length !== 1; attempt++) await sleep(20);
    for (const [label, document] of documents) {
      const stored = await xray.send(new BatchGetTracesCommand({ TraceIds: [idOf(document)!] }));
      assert.deepEqual(stored.Traces, [], `${label} was stored from UDP`);
    }
    assert.ok(cloudLog.filter((line) => /dropped segment/.test(line)).length >= documents.length, cloudLog.slice(-5).join('\n'));
  });
});

describe('thumbctl traces with poisoned segments in the store', () => {
  it('every variant exits 0 and lists what it cannot read as unreadable', { timeout: 180_000 }, async () => {
    // Prepare: what a cloud without the checks stored, written straight into its table; and one good trace.
    const documents = poisons();
    const insert = cloud.cloud.context.db.prepare(
      `INSERT INTO xray_segments (trace_id, id, parent_id, kind, name, origin, start_time, end_time, in_progress, error, fault, throttle, trace_time, received_at, document)
       VALUES (?, ?, NULL, 'segment', ?, 'AWS::Lambda::Function', ?, ?, 0, 0, 0, 0, ?, ?, ?)`,
    );
    const poisonedIds: string[] = [];
    const idsByLabel = new Map<string, string>();
    for (const [label, document] of Object.entries(documents)) {
      const id = idOf(document)!;
      poisonedIds.push(id);
      idsByLabel.set(label, id);
      insert.run(id, /"id":"([0-9a-f]{16})"/.exec(document)?.[1] ?? segmentId(), FUNCTION, now() - 5, now() - 4, Math.floor(now()), now(), document);
    }
    const good = segment();
    await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [JSON.stringify(good)] }));

    // The API keeps answering over them.
    const summaries = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date(Date.now() - 600_000), EndTime: new Date(), FilterExpression: `service("${FUNCTION}")` }));
    assert.ok(summaries.TraceSummaries?.some((summary) => summary.Id === good.trace_id));
    await xray.send(new GetServiceGraphCommand({ StartTime: new Date(Date.now() - 600_000), EndTime: new Date() }));
    for (let i = 0; i < poisonedIds.length; i += 5) await xray.send(new BatchGetTracesCommand({ TraceIds: poisonedIds.slice(i, i + 5) }));

    // Act and assess: every variant of the command.
    const html = join(workDir, 'report.html');
    // The listing skips documents it cannot read (the cloud logs them); asked for by id, they come back as
    // stored, and thumbctl lists such a trace as unreadable.
    // Each --trace-id run asks for one trace no reader can make sense of (no usable start time) among others.
    const hopeless = ['start_time of 1e300', 'start_time written as NaN', 'start_time as a string', 'subsegments is a string'].map((label) => idsByLabel.get(label)!);
    const some = (from: number): string[] => [hopeless[Math.floor(from / 6) % hopeless.length]!, ...poisonedIds.slice(from, from + 5), good.trace_id as string];
    const variants = [[], ['--json'], ['--service-map'], ['--html', html], ['--trace-id', ...some(0)], ['--json', '--trace-id', ...some(6)], ['--html', html, '--trace-id', ...some(12)], ['--service-map', '--trace-id', ...some(16)]];
    for (const variant of variants) {
      const result = await runThumbctl(['traces', '--endpoint-url', cloud.endpoint, '--function-name', FUNCTION, '--since', '1h', ...variant], { cwd: workDir, timeoutMs: 60_000 });
      assert.equal(result.code, 0, `traces ${variant.join(' ')} exited ${result.code}:\n${result.stderr}`);
      assert.doesNotMatch(result.stderr, /unexpected error|TypeError|RangeError|\n\s+at /, variant.join(' '));
      if (!variant.includes('--trace-id')) continue;
      if (variant[0] === '--json') {
        const report = result.json() as { traces: { id: string; unreadable?: boolean }[] };
        assert.ok(report.traces.some((row) => row.unreadable === true), `--json lists unreadable traces: ${JSON.stringify(report.traces.map((row) => row.id))}`);
      } else if (variant[0] === '--html') {
        assert.match(readFileSync(html, 'utf8'), /unreadable/);
      } else {
        assert.match(result.stdout, /unreadable/, variant.join(' '));
      }
    }
  });
});
