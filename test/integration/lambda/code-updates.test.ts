// A code update is all-or-nothing for every invocation, as on Lambda: once UpdateFunctionCode has returned, no
// invocation starts on the old code, neither one that waited for a concurrency slot nor one whose environment was
// still initialising the old code; and no invocation ever runs a mix of old and new (the module loaded at init and
// the file read by the handler always come from the same package).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { lambdaInternals } from '../../../emulator/services/lambda/index.js';
import { zipEntries } from '../../fixtures/functions/build-zip.js';
import { createFixtureFunction, decodeJson, eventually, startLambdaCloud, waitUpdated, type LambdaTestCloud } from './support.js';

interface Answer {
  /** The version the module was initialised with. */
  init: string;
  /** The version file the handler read from its package. */
  file: string;
}

/**
 * A package that says which version it is twice: in its code (read at init) and in a file the handler reads at each
 * invocation. `initMs` holds init up (a top-level await), `sleepMs` in the event holds the handler.
 */
function versionPackage(version: string, initMs = 0): Promise<Buffer> {
  const code = `
    import { readFileSync } from 'node:fs';
    const INIT_VERSION = ${JSON.stringify(version)};
    await new Promise((resolve) => setTimeout(resolve, ${initMs}));
    export const handler = async (event) => {
      if (event?.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
      return { init: INIT_VERSION, file: readFileSync(new URL('./version.txt', import.meta.url), 'utf8') };
    };`;
  return zipEntries([
    { name: 'index.mjs', data: code },
    { name: 'version.txt', data: version },
  ]);
}

async function invoke(cloud: LambdaTestCloud, functionName: string, event: object = {}): Promise<Answer> {
  const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }));
  assert.equal(result.FunctionError, undefined, Buffer.from(result.Payload ?? []).toString());
  const answer = decodeJson(result.Payload) as Answer;
  assert.equal(answer.init, answer.file, 'one package per invocation, never a mix');
  return answer;
}

async function createVersioned(cloud: LambdaTestCloud, version: string, initMs = 0): Promise<string> {
  const fn = await createFixtureFunction(cloud, 'echo', { Code: { ZipFile: await versionPackage(version, initMs) }, Handler: 'index.handler', Timeout: 10 });
  return fn.FunctionName;
}

async function updateCode(cloud: LambdaTestCloud, functionName: string, version: string, initMs = 0): Promise<void> {
  await cloud.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: functionName, ZipFile: await versionPackage(version, initMs) }));
}

describe('code updates and the invocations around them', () => {
  let cloud: LambdaTestCloud;
  before(async () => {
    cloud = await startLambdaCloud({}, { maxConcurrency: 1 });
  });
  after(() => cloud.close());

  const environments = (name: string) => lambdaInternals(cloud.cloud.context)!.runtime.environments(name);

  it('an invocation waiting for a concurrency slot when the update returns runs the new code', async () => {
    const name = await createVersioned(cloud, 'v1');
    assert.equal((await invoke(cloud, name)).init, 'v1');
    // The only slot is taken by a slow invocation of v1; a second one queues behind it.
    const slow = invoke(cloud, name, { sleepMs: 1500 });
    await eventually(() => (environments(name).some((environment) => environment.state === 'busy') ? true : undefined), 5000, 'the slow invocation to run');
    const queued = invoke(cloud, name);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await updateCode(cloud, name, 'v2');
    // Started before the update: finishes on the code it started with.
    assert.equal((await slow).init, 'v1');
    assert.equal((await queued).init, 'v2', 'it had not started when the update returned');
    await waitUpdated(cloud, name);
  });

  it('an invocation whose environment was still initialising the old code when the update returned runs the new code', async () => {
    const name = await createVersioned(cloud, 'v1', 1500);
    // Cold: init takes 1.5 s; the update returns in the middle of it.
    const cold = invoke(cloud, name);
    await eventually(() => (environments(name).some((environment) => environment.state === 'initializing' || environment.state === 'busy') ? true : undefined), 5000, 'an environment to start');
    await updateCode(cloud, name, 'v2');
    assert.equal((await cold).init, 'v2');
    await waitUpdated(cloud, name);
  });

  it('retires warm environments of the old code at once', async () => {
    const name = await createVersioned(cloud, 'v1');
    await invoke(cloud, name);
    const oldPids = environments(name).map((environment) => environment.pid);
    await updateCode(cloud, name, 'v2');
    await eventually(() => (environments(name).every((environment) => !oldPids.includes(environment.pid)) ? true : undefined), 2000, 'the old environment to stop');
    await waitUpdated(cloud, name);
  });
});

describe('invocations racing a series of code updates', () => {
  it('never see a version older than the last update that had returned when they were sent', async () => {
    const cloud = await startLambdaCloud({}, { maxConcurrency: 4 });
    try {
      const name = await createVersioned(cloud, '1');
      let returned = 1;
      let updating = true;
      const seen: { sentAfter: number; version: number }[] = [];
      const invoker = async (): Promise<void> => {
        while (updating) {
          const sentAfter = returned;
          const answer = await invoke(cloud, name, { sleepMs: 5 });
          seen.push({ sentAfter, version: Number(answer.init) });
        }
      };
      const invokers = [invoker(), invoker(), invoker()];
      for (let version = 2; version <= 5; version++) {
        // Each version runs a while before the next replaces it (however slow a cold start is on this machine).
        await eventually(() => (seen.some((answer) => answer.version === version - 1) ? true : undefined), 20_000, `version ${version - 1} to run`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await updateCode(cloud, name, String(version));
        returned = version;
        await waitUpdated(cloud, name);
      }
      await eventually(() => (seen.some((answer) => answer.version === 5) ? true : undefined), 20_000, 'version 5 to run');
      updating = false;
      await Promise.all(invokers);
      assert.ok(seen.length > 8, `${seen.length} invocations`);
      const stale = seen.filter((answer) => answer.version < answer.sentAfter);
      assert.deepEqual(stale, [], 'an invocation sent after an update returned ran older code');
    } finally {
      await cloud.close();
    }
  });
});
