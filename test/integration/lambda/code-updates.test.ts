// A code update is all-or-nothing for every invocation, as on Lambda: once UpdateFunctionCode has returned, no
// invocation starts on the old code, neither one that waited for a concurrency slot nor one whose environment was
// still initialising the old code; and no invocation ever runs a mix of old and new (the module loaded at init and
// the file read by the handler always come from the same package). The replaced code is then released.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteFunctionCommand, GetFunctionCommand, InvokeCommand, UpdateFunctionCodeCommand, waitUntilFunctionUpdatedV2 } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { lambdaInternals } from '../../../emulator/services/lambda/index.js';
import { zipEntries } from '../../fixtures/functions/build-zip.js';
import { assertBuilt, fixtureDeployer, startServe } from '../reliability/support.js';
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

describe('the code an update replaces', () => {
  it('is released: its blob and its unpacked folder go once no environment runs it, as Lambda discards a replaced $LATEST', async () => {
    const cloud = await startLambdaCloud();
    try {
      const v1 = await versionPackage('v1');
      const name = (await createFixtureFunction(cloud, 'echo', { Code: { ZipFile: v1 }, Timeout: 10 })).FunctionName;
      const store = lambdaInternals(cloud.cloud.context)!.store;
      const first = store.get(name)!.codeSha256Hex;
      const { blobs, settings } = cloud.cloud.context;
      const folder = join(settings.stateDir, 'code', first);
      assert.equal(blobs.has(first), true);
      assert.equal(existsSync(folder), true);
      // A slow invocation keeps the v1 folder in use across the update.
      const running = invoke(cloud, name, { sleepMs: 1000 });
      await eventually(() => (lambdaInternals(cloud.cloud.context)!.runtime.environments(name).some((environment) => environment.state === 'busy') ? true : undefined), 5000, 'the invocation to run');
      await updateCode(cloud, name, 'v2');
      assert.equal(blobs.has(first), false, 'the replaced blob is gone at once');
      assert.equal(existsSync(folder), true, 'the folder stays while v1 still runs in it');
      assert.equal((await running).init, 'v1');
      await eventually(() => (existsSync(folder) ? undefined : true), 5000, 'the v1 folder to go');
      await waitUpdated(cloud, name);
      assert.equal((await invoke(cloud, name)).init, 'v2');

      // The same bytes deployed again come back whole.
      await cloud.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: v1 }));
      await waitUpdated(cloud, name);
      assert.equal(store.get(name)!.codeSha256Hex, first);
      assert.equal((await invoke(cloud, name)).file, 'v1');
    } finally {
      await cloud.close();
    }
  });

  it('is kept while another function, or an S3 object with the same bytes, uses it', async () => {
    const cloud = await startLambdaCloud();
    try {
      const shared = await versionPackage('shared');
      const one = await createFixtureFunction(cloud, 'echo', { Code: { ZipFile: shared } });
      const two = await createFixtureFunction(cloud, 'echo', { Code: { ZipFile: shared } });
      const store = lambdaInternals(cloud.cloud.context)!.store;
      const digest = store.get(one.FunctionName)!.codeSha256Hex;
      await updateCode(cloud, one.FunctionName, 'other');
      assert.equal(cloud.cloud.context.blobs.has(digest), true, 'function two still runs it');
      await waitUpdated(cloud, one.FunctionName);
      assert.equal((await invoke(cloud, two.FunctionName)).init, 'shared');

      // The same zip kept in S3 (where code is often deployed from): deleting the last function leaves S3's bytes alone.
      const s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
      try {
        await s3.send(new CreateBucketCommand({ Bucket: 'code-bucket' }));
        await s3.send(new PutObjectCommand({ Bucket: 'code-bucket', Key: 'shared.zip', Body: shared }));
        await cloud.lambda.send(new DeleteFunctionCommand({ FunctionName: two.FunctionName }));
        assert.equal(cloud.cloud.context.blobs.has(digest), true, 'S3 holds the same bytes');
        const object = await s3.send(new GetObjectCommand({ Bucket: 'code-bucket', Key: 'shared.zip' }));
        assert.ok(Buffer.from(await object.Body!.transformToByteArray()).equals(shared));
      } finally {
        s3.destroy();
      }
    } finally {
      await cloud.close();
    }
  });
});

describe('code left behind by an earlier server', () => {
  it('is released when the cloud starts; code a function uses is kept', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-code-left-'));
    try {
      const first = await startLambdaCloud({ stateDir });
      const name = await createVersioned(first, 'kept');
      const kept = lambdaInternals(first.cloud.context)!.store.get(name)!.codeSha256Hex;
      // What a server killed before it released replaced code leaves: a folder and a blob no function references.
      const orphan = await first.cloud.context.blobs.put(Buffer.from('an old zip'));
      mkdirSync(join(stateDir, 'code', orphan), { recursive: true });
      writeFileSync(join(stateDir, 'code', orphan, 'index.mjs'), 'export const handler = () => 1;');
      mkdirSync(join(stateDir, 'code', '.released-0123456789ab'));
      await first.close();

      const second = await startLambdaCloud({ stateDir });
      try {
        assert.equal(existsSync(join(stateDir, 'code', orphan)), false);
        assert.equal(second.cloud.context.blobs.has(orphan), false);
        assert.equal(existsSync(join(stateDir, 'code', '.released-0123456789ab')), false);
        assert.equal(existsSync(join(stateDir, 'code', kept)), true);
        assert.equal((await invoke(second, name)).init, 'kept');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

/**
 * A package whose one changing file is read both at init and by the handler, beside a large file that never changes
 * (as sharp's library is beside the bundle): the local Lambda shares the large one between the two folders.
 */
const LARGE = Buffer.alloc(3 * 1024 * 1024, 'sharp-like library bytes ');
const SAME_DATE = new Date('2020-01-01T00:00:00Z');
function onePackage(version: string): Promise<Buffer> {
  const code = `
    import { readFileSync } from 'node:fs';
    import { createHash } from 'node:crypto';
    const read = (name) => readFileSync(new URL(name, import.meta.url));
    const INIT_VERSION = read('./version.txt').toString();
    export const handler = async () => ({ init: INIT_VERSION, file: read('./version.txt').toString(), large: createHash('sha256').update(read('./lib/large.bin')).digest('hex') });`;
  return zipEntries([
    { name: 'index.mjs', data: code, date: SAME_DATE },
    { name: 'lib/large.bin', data: LARGE, date: SAME_DATE },
    { name: 'version.txt', data: version, date: SAME_DATE },
  ]);
}

describe('an update that changes one file', () => {
  it('runs the new file and never the old, shares the unchanged ones, and keeps them whole when the old folder goes', async () => {
    const cloud = await startLambdaCloud();
    try {
      // Prepare
      const name = (await createFixtureFunction(cloud, 'echo', { Code: { ZipFile: await onePackage('v1') }, Timeout: 10 })).FunctionName;
      const store = lambdaInternals(cloud.cloud.context)!.store;
      const codeRoot = join(cloud.cloud.context.settings.stateDir, 'code');
      const largeHash = createHash('sha256').update(LARGE).digest('hex');
      assert.deepEqual(await invoke(cloud, name), { init: 'v1', file: 'v1', large: largeHash });
      const oldFolder = join(codeRoot, store.get(name)!.codeSha256Hex);
      const oldInode = statSync(join(oldFolder, 'lib/large.bin')).ino;
      // Act
      await cloud.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await onePackage('v2') }));
      // Assess: the very next invocation runs the new file, at init and in the handler.
      assert.deepEqual(await invoke(cloud, name), { init: 'v2', file: 'v2', large: largeHash });
      const newFolder = join(codeRoot, store.get(name)!.codeSha256Hex);
      assert.equal(statSync(join(newFolder, 'lib/large.bin')).ino, oldInode, 'the unchanged file is shared, not written again');
      await eventually(() => (existsSync(oldFolder) ? undefined : true), 5000, 'the v1 folder to be released');
      await waitUpdated(cloud, name);
      // A cold start after the release reads the shared file whole.
      await cloud.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await onePackage('v3') }));
      assert.deepEqual(await invoke(cloud, name), { init: 'v3', file: 'v3', large: largeHash });
    } finally {
      await cloud.close();
    }
  });

  it('survives kill -9 in the middle of it: the function runs the old code or the acknowledged new one, never a half-unpacked folder', { timeout: 300_000 }, async () => {
    assertBuilt();
    const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-update-kill-'));
    const versions = new Map<string, string>();
    try {
      let acknowledged: string | undefined;
      for (let round = 0; round < 4; round++) {
        const serve = await startServe(stateDir);
        const deployer = fixtureDeployer(serve.endpoint);
        try {
          if (round === 0) {
            await deployer.create('killed-update', 'echo', 10);
            const first = await onePackage('v0');
            versions.set(createHash('sha256').update(first).digest('base64'), 'v0');
            await deployer.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'killed-update', ZipFile: first }));
            await waitUntilFunctionUpdatedV2({ client: deployer.lambda, maxWaitTime: 60, minDelay: 0.05, maxDelay: 0.2 }, { FunctionName: 'killed-update' });
            acknowledged = 'v0';
          } else {
            // After the restart: the function's code is whole, and it is the last acknowledged update or a later one.
            const fn = await deployer.lambda.send(new GetFunctionCommand({ FunctionName: 'killed-update' }));
            const deployed = versions.get(fn.Configuration!.CodeSha256!);
            assert.ok(deployed, `the code is one of the packages sent, not ${fn.Configuration!.CodeSha256}`);
            assert.ok(deployed >= acknowledged!, `an acknowledged update (${acknowledged}) survives the kill, found ${deployed}`);
            const answer = decodeJson((await deployer.lambda.send(new InvokeCommand({ FunctionName: 'killed-update' }))).Payload) as Answer & { large: string };
            assert.deepEqual(answer, { init: deployed, file: deployed, large: createHash('sha256').update(LARGE).digest('hex') });
            acknowledged = deployed;
            assert.deepEqual(readdirSync(join(stateDir, 'code')).filter((entry) => entry.startsWith('.staging-')), [], 'half-unpacked folders swept');
          }
          // Act: an update in flight when the kill lands (earlier in each round).
          const version = `v${round + 1}`;
          const zip = await onePackage(version);
          versions.set(createHash('sha256').update(zip).digest('base64'), version);
          const update = deployer.lambda
            .send(new UpdateFunctionCodeCommand({ FunctionName: 'killed-update', ZipFile: zip }))
            .then(() => (acknowledged = version))
            .catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, [60, 20, 5, 120][round]));
          await serve.kill9();
          await update;
        } finally {
          deployer.destroy();
          await serve.kill9();
        }
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
