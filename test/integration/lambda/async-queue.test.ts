// The durable queue behind asynchronous invocations: retries with backoff then a logged drop, events held
// while a function is Pending, and at-least-once delivery across a restart of the cloud.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { lambdaInternals } from '../../../emulator/services/lambda/index.js';
import { zipFixture } from '../../fixtures/functions/build-zip.js';
import { createFixtureFunction, eventually, functionLogEvents, startLambdaCloud, uniqueName } from './support.js';

describe('asynchronous invocations', () => {
  it('retries a failing event twice with backoff, then drops it with a log line', async () => {
    const diagnostics: string[] = [];
    const cloud = await startLambdaCloud({ log: (line) => diagnostics.push(line) }, { retryDelaysMs: [100, 200] });
    try {
      const fn = await createFixtureFunction(cloud, 'thrower');
      const sent = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, InvocationType: 'Event', Payload: Buffer.from('{"n":1}') }));
      const requestId = sent.$metadata.requestId!;
      const messages = await eventually(async () => {
        const events = (await functionLogEvents(cloud, fn.FunctionName)).map((event) => event.message ?? '');
        return events.some((message) => message.includes('Dropped asynchronous event')) ? events : undefined;
      }, 10_000, 'the drop line');
      const starts = messages.filter((message) => message === `START RequestId: ${requestId} Version: $LATEST\n`);
      assert.equal(starts.length, 3, 'one attempt and two retries, all with the same request id');
      const drop = messages.find((message) => message.includes('Dropped asynchronous event'))!;
      assert.match(drop, new RegExp(`${requestId} Dropped asynchronous event after 3 attempts \\(last error: ThumbnailError\\)`));
      assert.ok(diagnostics.some((line) => line.includes('Dropped asynchronous event')));
      const timestamps = (await functionLogEvents(cloud, fn.FunctionName))
        .filter((event) => event.message?.startsWith(`START RequestId: ${requestId}`))
        .map((event) => event.timestamp!);
      assert.ok(timestamps[1]! - timestamps[0]! >= 90, 'first retry after ~100 ms');
      assert.ok(timestamps[2]! - timestamps[1]! >= 190, 'second retry after ~200 ms');
      assert.equal(lambdaInternals(cloud.cloud.context)!.queue.queuedCount(), 0);
    } finally {
      await cloud.close();
    }
  });

  it('holds events for a Pending function until it is Active', async () => {
    const cloud = await startLambdaCloud({ stateDelayMs: 400 });
    try {
      const name = uniqueName('pending');
      await cloud.lambda.send(
        new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: cloud.roleArn, Code: { ZipFile: await zipFixture('echo') } }),
      );
      const created = Date.now();
      cloud.cloud.context.stores.lambda!.enqueueEvent(`arn:aws:lambda:us-east-1:000000000000:function:${name}`, '{"held":true}', 's3');
      const report = await eventually(async () => (await functionLogEvents(cloud, name)).find((event) => event.message?.startsWith('REPORT ')), 10_000, 'the event to run');
      assert.ok(report.timestamp! - created >= 350, 'ran only once Active');
    } finally {
      await cloud.close();
    }
  });

  it('runs an event claimed by a process that died, after a restart (at-least-once)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-lambda-queue-'));
    try {
      const first = await startLambdaCloud({ stateDir });
      const fn = await createFixtureFunction(first, 'echo');
      await first.close();
      // An event claimed by a worker whose process is gone (pid 0x7fffffff does not exist).
      const { openDatabase } = await import('../../../emulator/state/database.js');
      const db = openDatabase(stateDir);
      db.prepare(
        `INSERT INTO lambda_event_queue (function_name, request_id, payload, source, enqueued_at, available_at, claimed_by, claimed_at)
         VALUES (?, 'orphan-request-0001', '{"orphan":true}', 's3', ?, ?, ?, ?)`,
      ).run(fn.FunctionName, Date.now(), Date.now(), `${(await import('node:os')).hostname()}:2147483647:deadbeef`, Date.now());
      db.close();

      const second = await startLambdaCloud({ stateDir });
      try {
        const started = await eventually(
          async () => (await functionLogEvents(second, fn.FunctionName)).find((event) => event.message === 'START RequestId: orphan-request-0001 Version: $LATEST\n'),
          10_000,
          'the orphaned event to run',
        );
        assert.ok(started);
        await eventually(() => (lambdaInternals(second.cloud.context)!.queue.queuedCount() === 0 ? true : undefined), 5000, 'the queue to drain');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
