// Execution environments as processes: the concurrency limit and its FIFO, reaping of idle environments,
// and that stopping the cloud leaves no function process behind.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambdaInternals } from '../../../emulator/services/lambda/index.js';
import { createFixtureFunction, decodeJson, eventually, startLambdaCloud } from './support.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('execution environments', () => {
  it('runs no more than maxConcurrency invocations at once; the rest wait their turn', async () => {
    const cloud = await startLambdaCloud({}, { maxConcurrency: 1 });
    try {
      const fn = await createFixtureFunction(cloud, 'sleeper');
      const started = Date.now();
      const finished: number[] = [];
      await Promise.all(
        [0, 1, 2].map(async (index) => {
          const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: Buffer.from('{"sleepMs":300}') }));
          assert.equal(decodeJson(result.Payload), 'woke up');
          finished[index] = Date.now() - started;
        }),
      );
      assert.ok(Math.max(...finished) >= 900, `one at a time: finished at ${finished.join(', ')} ms`);
      assert.equal(lambdaInternals(cloud.cloud.context)!.runtime.environments(fn.FunctionName).length, 1, 'one environment, reused');
    } finally {
      await cloud.close();
    }
  });

  it('reaps environments idle longer than idleTimeoutMs', async () => {
    const cloud = await startLambdaCloud({}, { idleTimeoutMs: 200 });
    try {
      const fn = await createFixtureFunction(cloud, 'echo');
      await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName }));
      const pid = lambdaInternals(cloud.cloud.context)!.runtime.environments(fn.FunctionName)[0]!.pid!;
      await eventually(() => (alive(pid) ? undefined : true), 3000, 'the idle environment to be reaped');
      const again = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, LogType: 'Tail' }));
      assert.match(Buffer.from(again.LogResult!, 'base64').toString('utf8'), /Init Duration/, 'a cold start after reaping');
    } finally {
      await cloud.close();
    }
  });

  it('kills every environment when the cloud stops', async () => {
    const cloud = await startLambdaCloud();
    const fn = await createFixtureFunction(cloud, 'sleeper');
    const running = cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: Buffer.from('{"sleepMs":5000}') })).catch(() => undefined);
    const echo = await createFixtureFunction(cloud, 'echo');
    await cloud.lambda.send(new InvokeCommand({ FunctionName: echo.FunctionName }));
    const pids = await eventually(() => {
      const all = lambdaInternals(cloud.cloud.context)!.runtime.environments().map((environment) => environment.pid!);
      return all.length >= 2 && all.every(Boolean) ? all : undefined;
    }, 3000, 'two environments');
    await cloud.close();
    await running;
    assert.deepEqual(pids.filter(alive), []);
  });
});
