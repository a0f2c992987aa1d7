// Budgets for expensive reads: a FilterLogEvents over tens of MB with a pattern that matches nothing used to scan
// everything on the event loop, freezing every service for seconds (45 s at 300 MB). Now the scan runs in slices,
// yields between them and returns a partial page with a nextToken when its budget is spent, as CloudWatch Logs
// does; another service keeps answering meanwhile. Filter patterns are validated as AWS does (at most 1,024
// characters; deep nesting is a 400, never a stack overflow).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { BatchGetTracesCommand, GetTraceSummariesCommand, PutTraceSegmentsCommand, XRayClient, type GetTraceSummariesCommandOutput } from '@aws-sdk/client-xray';
import { randomBytes } from 'node:crypto';
import { clientConfigFor } from '../../helpers/local-cloud.js';
import { assertBuilt, startServe, type ServeProcess } from '../reliability/support.js';

const GROUP = '/scan/budget';
const STREAMS = 4;
const BATCHES_PER_STREAM = 10;
const EVENTS_PER_BATCH = 100;
/** ~10 KB messages: 4 x 10 x 100 of them, about 40 MB, which an unbudgeted `%F+x%` scan takes seconds over. */
const MESSAGE_BYTES = 10_000;
/**
 * How long another service may wait during a scan: an unbudgeted scan holds it for (nearly) the whole scan, a
 * budgeted one for a slice (tens of ms). Generous, and relative to the scan's own length so that a loaded machine,
 * which stretches both, does not fail it: 1 s, or a third of the scan when the scan is longer.
 */
function otherServiceMaxMs(scanMs: number): number {
  return Math.max(1_000, scanMs / 3);
}

let stateDir: string;
let serve: ServeProcess;
let logs: CloudWatchLogsClient;
let sts: STSClient;
let xray: XRayClient;
const needles: string[] = [];

before(async () => {
  assertBuilt();
  stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-scan-'));
  serve = await startServe(stateDir);
  logs = new CloudWatchLogsClient({ ...clientConfigFor(serve.endpoint), maxAttempts: 1 });
  sts = new STSClient({ ...clientConfigFor(serve.endpoint), maxAttempts: 1 });
  xray = new XRayClient({ ...clientConfigFor(serve.endpoint), maxAttempts: 1 });
  await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  const filler = 'abcdefghijklmnopqrstuvwxyz0123456789 '.repeat(Math.ceil(MESSAGE_BYTES / 37)).slice(0, MESSAGE_BYTES);
  const start = Date.now() - 60 * 60 * 1000;
  for (let stream = 0; stream < STREAMS; stream++) {
    await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: `stream-${stream}` }));
    for (let batch = 0; batch < BATCHES_PER_STREAM; batch++) {
      const logEvents = Array.from({ length: EVENTS_PER_BATCH }, (_, i) => {
        const n = (batch * EVENTS_PER_BATCH + i) * STREAMS + stream;
        // A needle now and then, spread over every stream and the whole time range.
        const needle = n % 997 === 0 ? ` NEEDLE-${n} ` : '';
        if (needle) needles.push(`NEEDLE-${n}`);
        return { timestamp: start + n * 10, message: `${n} ${needle}${filler}` };
      });
      await logs.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: `stream-${stream}`, logEvents }));
    }
  }
});

after(async () => {
  logs?.destroy();
  sts?.destroy();
  xray?.destroy();
  await serve?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Calls another service every 20 ms until `done` settles; returns each call's latency. */
async function probeWhile<T>(done: Promise<T>): Promise<{ result: T; latencies: number[]; scanMs: number }> {
  const scanStarted = Date.now();
  const latencies: number[] = [];
  let finished = false;
  const probing = (async () => {
    while (!finished) {
      const started = Date.now();
      await sts.send(new GetCallerIdentityCommand({}));
      latencies.push(Date.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const result = await done.finally(() => (finished = true));
  const scanMs = Date.now() - scanStarted;
  await probing;
  return { result, latencies, scanMs };
}

/** Every page of a FilterLogEvents, following nextToken. */
async function allPages(filterPattern: string): Promise<FilterLogEventsCommandOutput[]> {
  const pages: FilterLogEventsCommandOutput[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const output = await logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern, nextToken }));
    pages.push(output);
    nextToken = output.nextToken;
    if (!nextToken) return pages;
  }
  throw new Error('FilterLogEvents never stopped handing out tokens');
}

describe('budgeted scans', () => {
  it('a pattern that matches nothing: partial pages with a nextToken, and another service answers meanwhile', { timeout: 180_000 }, async (t) => {
    const { result: pages, latencies, scanMs } = await probeWhile(allPages('%F+x%'));
    const slowest = Math.max(...latencies);
    const sorted = [...latencies].sort((a, b) => a - b);
    t.diagnostic(`${pages.length} pages in ${scanMs} ms; STS meanwhile: ${latencies.length} calls, median ${sorted[Math.floor(sorted.length / 2)]} ms, p95 ${sorted[Math.floor(sorted.length * 0.95)]} ms, slowest ${slowest} ms`);
    assert.ok(pages.length > 1, 'the scan was cut into pages by its budget');
    assert.ok(pages.every((page) => (page.events ?? []).length === 0));
    assert.ok(pages.some((page) => (page.searchedLogStreams ?? []).length > 0), 'pages say which streams they searched');
    assert.ok(latencies.length >= 5, `the other service was called during the scan (${latencies.length} calls)`);
    assert.ok(slowest < otherServiceMaxMs(scanMs), `the other service's slowest call took ${slowest} ms of a ${scanMs} ms scan`);
  });

  it('finds every match across budgeted pages, in order', { timeout: 180_000 }, async () => {
    const pages = await allPages('%NEEDLE-[0-9]+%');
    const found = pages.flatMap((page) => (page.events ?? []).map((event) => /NEEDLE-\d+/.exec(event.message ?? '')![0]));
    assert.deepEqual(found, [...needles].sort((a, b) => Number(a.slice(7)) - Number(b.slice(7))));
  });

  it('GetLogEvents answers at most 1 MB, whatever the limit', { timeout: 60_000 }, async () => {
    const page = await logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: 'stream-0', limit: 10_000, startFromHead: true }));
    const bytes = (page.events ?? []).reduce((sum, event) => sum + Buffer.byteLength(event.message ?? '') + 26, 0);
    assert.ok((page.events ?? []).length > 0);
    assert.ok(bytes <= 1_048_576, `${bytes} bytes`);
  });
});

describe('filter pattern validation', () => {
  const invalid = async (filterPattern: string): Promise<{ name: string; status?: number; message: string }> => {
    try {
      await logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern, limit: 1 }));
    } catch (error) {
      const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
      return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
    }
    throw new Error(`accepted ${filterPattern.slice(0, 40)}...`);
  };

  it('refuses patterns over 1,024 characters, as AWS does', async () => {
    await logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern: `"${'a'.repeat(1022)}"`, limit: 1 }));
    const refused = await invalid(`"${'a'.repeat(1023)}"`);
    assert.equal(refused.name, 'InvalidParameterException');
    assert.equal(refused.status, 400);
    assert.match(refused.message, /1024/);
  });

  it('refuses 20,000 nested parentheses with a 400, never a stack overflow', async () => {
    for (const pattern of [`%${'('.repeat(20_000)}a${')'.repeat(20_000)}%`, `{ ${'('.repeat(20_000)}$.a = 1${')'.repeat(20_000)} }`]) {
      const refused = await invalid(pattern);
      assert.equal(refused.name, 'InvalidParameterException');
      assert.equal(refused.status, 400);
    }
    await sts.send(new GetCallerIdentityCommand({}));
  });
});

describe('budgeted trace reads', () => {
  /** ~50 KB documents (under X-Ray's 64 KB): 1,500 traces are about 75 MB to read. */
  const TRACES = 1_500;
  const DOCUMENT_PAD = 'x'.repeat(50_000);
  const now = Math.floor(Date.now() / 1000) - 120;
  const traceIds: string[] = [];
  const bigTrace = `1-${now.toString(16)}-${randomBytes(12).toString('hex')}`;

  before(async () => {
    for (let batch = 0; batch < TRACES / 50; batch++) {
      const documents = Array.from({ length: 50 }, () => {
        const traceId = `1-${now.toString(16)}-${randomBytes(12).toString('hex')}`;
        traceIds.push(traceId);
        return JSON.stringify({ name: 'busy', id: randomBytes(8).toString('hex'), trace_id: traceId, start_time: now, end_time: now + 1, metadata: { pad: { text: DOCUMENT_PAD } } });
      });
      await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: documents }));
    }
    // One trace of 200 documents (10 MB): more than one trace may hold.
    for (let batch = 0; batch < 4; batch++) {
      const documents = Array.from({ length: 50 }, (_, i) =>
        JSON.stringify({ name: 'big', id: randomBytes(8).toString('hex'), trace_id: bigTrace, start_time: now + i, end_time: now + i + 1, metadata: { pad: { text: DOCUMENT_PAD } } }),
      );
      await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: documents }));
    }
  });

  it('GetTraceSummaries over 75 MB of traces: budgeted pages, every trace processed once, another service answers meanwhile', { timeout: 180_000 }, async (t) => {
    const pages: GetTraceSummariesCommandOutput[] = [];
    const read = (async () => {
      let NextToken: string | undefined;
      do {
        const page = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date((now - 60) * 1000), EndTime: new Date((now + 600) * 1000), FilterExpression: 'service("nothing-matches")', NextToken }));
        pages.push(page);
        NextToken = page.NextToken;
      } while (NextToken);
    })();
    const { latencies, scanMs } = await probeWhile(read);
    const processed = pages.reduce((sum, page) => sum + (page.TracesProcessedCount ?? 0), 0);
    t.diagnostic(`${pages.length} pages in ${scanMs} ms, ${processed} traces processed; STS meanwhile: ${latencies.length} calls, slowest ${Math.max(...latencies)} ms`);
    assert.ok(pages.length > 1, 'the read was cut into pages by its budget');
    assert.equal(processed, TRACES + 1);
    assert.ok(Math.max(...latencies) < otherServiceMaxMs(scanMs), `the other service's slowest call took ${Math.max(...latencies)} ms of a ${scanMs} ms scan`);
  });

  it('BatchGetTraces returns a trace past its size budget as LimitExceeded, with what it read', { timeout: 60_000 }, async () => {
    const result = await xray.send(new BatchGetTracesCommand({ TraceIds: [bigTrace, traceIds[0]!] }));
    const big = result.Traces?.find((trace) => trace.Id === bigTrace);
    assert.equal(big?.LimitExceeded, true);
    const bytes = (big?.Segments ?? []).reduce((sum, segment) => sum + (segment.Document?.length ?? 0), 0);
    assert.ok(bytes <= 4 * 1024 * 1024 && (big?.Segments?.length ?? 0) > 0, `${bytes} bytes`);
    assert.equal(result.Traces?.find((trace) => trace.Id === traceIds[0])?.LimitExceeded, false);
  });
});
