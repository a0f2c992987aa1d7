// Faulty functions do not stall the others: asynchronous events for a function that hangs past its timeout,
// one that grows past its MemorySize and one that exits mid-invocation are mixed with good events. Every good
// event completes once; every bad attempt fails in a fresh environment (the broken one is replaced), is retried
// twice and dropped with a log line; the queue drains; each error is in the logs and, as a fault, in the trace.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { BatchGetTracesCommand, XRayClient } from '@aws-sdk/client-xray';
import type { FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { lambdaInternals } from '../../../emulator/services/lambda/index.js';
import { createFixtureFunction, decodeJson, eventually, functionLogEvents, startLambdaCloud, type LambdaTestCloud } from '../lambda/support.js';

const ACTIVE = { TracingConfig: { Mode: 'Active' as const } };
const GOOD_EVENTS = 30;
const BAD_EVENTS_EACH = 2;
/** Generous: a loaded 2-core machine may take seconds per cold start. */
const DRAIN_TIMEOUT_MS = 60_000;

interface SegmentDocument {
  origin?: string;
  fault?: boolean;
  cause?: { exceptions?: { type?: string; message?: string }[] };
}

interface BadFunction {
  fixture: string;
  name: string;
  /** What Lambda reports: the drop line's "last error" and the REPORT's Error Type. */
  errorType: string;
  /** The line in the logs that says what went wrong. */
  logLine: RegExp;
  requestIds: string[];
}

let cloud: LambdaTestCloud;
let xray: XRayClient;

before(async () => {
  cloud = await startLambdaCloud({}, { retryDelaysMs: [100, 200], maxConcurrency: 4 });
  xray = new XRayClient({ ...cloud.clientConfig });
});

after(async () => {
  xray?.destroy();
  await cloud?.close();
});

const startsOf = (events: FilteredLogEvent[], requestId: string): number =>
  events.filter((event) => event.message?.startsWith(`START RequestId: ${requestId} `)).length;

describe('faulty functions', () => {
  it('hang, out-of-memory and exit: replaced, retried twice, dropped, logged and traced, while good events complete', async () => {
    // Prepare
    const good = await createFixtureFunction(cloud, 'echo', ACTIVE);
    const bad: BadFunction[] = [
      { fixture: 'sleeper', name: '', errorType: 'Sandbox.Timedout', logLine: /Task timed out after 1\.00 seconds/, requestIds: [] },
      { fixture: 'memory-hog', name: '', errorType: 'Runtime.OutOfMemory', logLine: /Error Type: Runtime\.OutOfMemory/, requestIds: [] },
      { fixture: 'exiter', name: '', errorType: 'Runtime.ExitError', logLine: /Runtime exited with error: exit status 1/, requestIds: [] },
    ];
    for (const fn of bad) {
      const overrides = fn.fixture === 'sleeper' ? { Timeout: 1 } : fn.fixture === 'memory-hog' ? { MemorySize: 128, Timeout: 10 } : {};
      fn.name = (await createFixtureFunction(cloud, fn.fixture, { ...ACTIVE, ...overrides })).FunctionName;
    }

    // Act: the bad events first, so they take the concurrency slots before the good ones arrive.
    const event = (functionName: string, payload: unknown) =>
      cloud.lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
    for (let round = 0; round < BAD_EVENTS_EACH; round++) {
      for (const fn of bad) fn.requestIds.push((await event(fn.name, { sleepMs: 60_000, round })).$metadata.requestId!);
    }
    const goodIds: string[] = [];
    for (let n = 0; n < GOOD_EVENTS; n++) goodIds.push((await event(good.FunctionName, { n })).$metadata.requestId!);

    // Assess: the queue drains — every bad event dropped, every good one run.
    const internals = lambdaInternals(cloud.cloud.context)!;
    await eventually(() => (internals.queue.queuedCount() === 0 ? true : undefined), DRAIN_TIMEOUT_MS, 'the async queue to drain');
    const goodEvents = await eventually(async () => {
      const events = await functionLogEvents(cloud, good.FunctionName);
      return events.filter((e) => e.message?.startsWith('REPORT ')).length >= GOOD_EVENTS ? events : undefined;
    }, DRAIN_TIMEOUT_MS, 'every good event to report');
    for (const requestId of goodIds) assert.equal(startsOf(goodEvents, requestId), 1, `good event ${requestId} ran once`);
    const reports = goodEvents.filter((e) => e.message?.startsWith('REPORT '));
    assert.equal(reports.length, GOOD_EVENTS, 'one invocation per good event');
    assert.deepEqual(reports.filter((e) => /\tStatus: /.test(e.message!)), [], 'no good invocation failed');
    for (let n = 0; n < GOOD_EVENTS; n++) {
      assert.equal(goodEvents.filter((e) => e.message?.includes(`\tINFO\tevent {"n":${n}}`)).length, 1, `good event ${n} seen once`);
    }

    for (const fn of bad) {
      const events = await eventually(async () => {
        const all = await functionLogEvents(cloud, fn.name);
        const drops = all.filter((e) => e.message?.includes('Dropped asynchronous event')).length;
        return drops >= BAD_EVENTS_EACH ? all : undefined;
      }, DRAIN_TIMEOUT_MS, `the drop lines of ${fn.fixture}`);
      const text = events.map((e) => e.message ?? '').join('');
      for (const requestId of fn.requestIds) {
        assert.equal(startsOf(events, requestId), 3, `${fn.fixture}: one attempt and two retries of ${requestId}`);
        assert.match(text, new RegExp(`${requestId} Dropped asynchronous event after 3 attempts \\(last error: ${fn.errorType.replace('.', '\\.')}\\)`));
      }
      // The error is in the logs...
      assert.match(text, fn.logLine, `${fn.fixture}: the error is logged`);
      const failed = events.filter((e) => e.message?.startsWith('REPORT '));
      assert.equal(failed.length, 3 * BAD_EVENTS_EACH, `${fn.fixture}: a REPORT per attempt`);
      const status = fn.errorType === 'Sandbox.Timedout' ? /\tStatus: timeout/ : new RegExp(`\\tStatus: error\\tError Type: ${fn.errorType.replace('.', '\\.')}`);
      for (const report of failed) assert.match(report.message!, status);
      // ...every attempt ran in a new environment (the broken one was replaced, not reused)...
      const coldStarts = events.filter((e) => e.message?.startsWith('INIT_START')).length;
      assert.equal(coldStarts, 3 * BAD_EVENTS_EACH, `${fn.fixture}: a fresh environment per attempt`);
      assert.equal(new Set(events.map((e) => e.logStreamName)).size, 3 * BAD_EVENTS_EACH, `${fn.fixture}: one log stream per environment`);
      // ...and the trace shows the fault on the function segment, with its cause.
      const traceIds = failed.map((report) => /XRAY TraceId: (\S+)/.exec(report.message!)?.[1]).filter((id): id is string => id !== undefined);
      assert.equal(traceIds.length, failed.length, `${fn.fixture}: every attempt was traced`);
      const segments = await eventually(async () => {
        const result = await xray.send(new BatchGetTracesCommand({ TraceIds: traceIds.slice(0, 5) }));
        const documents = (result.Traces ?? []).flatMap((trace) => (trace.Segments ?? []).map((segment) => JSON.parse(segment.Document!) as SegmentDocument));
        const functionSegments = documents.filter((document) => document.origin === 'AWS::Lambda::Function');
        return functionSegments.length >= Math.min(5, traceIds.length) ? functionSegments : undefined;
      }, 10_000, `${fn.fixture}: the function segments`);
      for (const segment of segments) {
        assert.equal(segment.fault, true, `${fn.fixture}: the function segment is a fault`);
        assert.equal(segment.cause?.exceptions?.[0]?.type, fn.errorType);
      }
      // No broken environment is left behind.
      await eventually(() => (internals.runtime.environments(fn.name).length === 0 ? true : undefined), 5000, `${fn.fixture}: its environments to be gone`);
    }

    // The good function is still served at once.
    const after = await cloud.lambda.send(new InvokeCommand({ FunctionName: good.FunctionName, Payload: Buffer.from('{"after":true}') }));
    assert.deepEqual(decodeJson(after.Payload), { after: true });
  });
});
