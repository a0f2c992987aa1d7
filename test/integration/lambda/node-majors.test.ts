// A runtime that matches the declared one: nodejs20.x, nodejs22.x and nodejs24.x functions run on their own
// Node.js majors (the host's node when it matches, else the official build from the npm registry in the shared
// cache), code that differs across majors behaves as on Lambda, and where no build can be had the function
// runs on the host's Node.js with a warning in its own log. Real local cloud, real SDK clients, real registry.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, UpdateFunctionConfigurationCommand, waitUntilFunctionActiveV2, waitUntilFunctionUpdatedV2, type Runtime } from '@aws-sdk/client-lambda';
import { defaultCacheRoot } from '../../../emulator/runtime/node-cache.js';
import { clientConfigFor } from '../../helpers/local-cloud.js';
import { closedPort } from '../../helpers/fake-npm-registry.js';
import { startLocalServe } from '../../helpers/thumbctl.js';
import { zipFixture } from '../../fixtures/functions/build-zip.js';
import { LAMBDA_TRUST_POLICY, createFixtureFunction, createRole, decodeJson, eventually, fastWaiter, functionLogEvents, startLambdaCloud, uniqueName } from './support.js';

const HOST_MAJOR = Number(process.versions.node.split('.')[0]);
/** A supported major other than the host's: what a download (or its fallback) is needed for. */
const OTHER_MAJOR = [22, 24, 20].find((candidate) => candidate !== HOST_MAJOR)!;
const temporaries: string[] = [];

after(() => {
  for (const dir of temporaries) rmSync(dir, { recursive: true, force: true });
});

interface Features {
  version: string;
  execPath: string;
  requireModule: boolean | null;
  path: string;
}

const majorOf = (version: string): number => Number(/^v(\d+)\./.exec(version)?.[1]);
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaries.push(dir);
  return dir;
}

describe('a runtime that matches the declared one', () => {
  it('runs nodejs20.x, nodejs22.x and nodejs24.x functions on their own Node.js majors, with Lambda’s flags', async () => {
    // The shared cache, as CI and people use it: a cold machine downloads each missing major once, here.
    const cloud = await startLambdaCloud();
    try {
      for (const [runtime, major] of [['nodejs20.x', 20], ['nodejs22.x', 22], ['nodejs24.x', 24]] as const) {
        const fn = await createFixtureFunction(cloud, 'node-features', { Runtime: runtime, Timeout: 10 });
        const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName }));
        assert.equal(result.FunctionError, undefined, Buffer.from(result.Payload ?? []).toString());
        const features = decodeJson(result.Payload) as Features;
        assert.equal(majorOf(features.version), major, `${runtime} answered ${features.version}`);
        if (major === HOST_MAJOR) assert.equal(features.execPath, process.execPath, `${runtime} runs on the host's node`);
        else assert.ok(features.execPath.startsWith(join(defaultCacheRoot(), 'node') + '/'), `${runtime} runs the cached build: ${features.execPath}`);
        assert.equal(features.path.split(':')[0], dirname(features.execPath), 'its node leads PATH');
        // Lambda turns require(esm) off on nodejs20.x and nodejs22.x; nodejs24.x keeps Node's default (on).
        assert.equal(features.requireModule, major === 24, `require(esm) on ${runtime}`);
        const warnings = (await functionLogEvents(cloud, fn.FunctionName)).filter((event) => /\tWARN\t/.test(event.message ?? ''));
        assert.deepEqual(warnings, [], 'no fallback warning');
      }
    } finally {
      await cloud.close();
    }
  });

  it('code using an API Node.js 22 added fails on nodejs20.x and works on nodejs22.x', async () => {
    const cloud = await startLambdaCloud();
    try {
      const on20 = await createFixtureFunction(cloud, 'node-features', { Runtime: 'nodejs20.x', Timeout: 10 });
      const on22 = await createFixtureFunction(cloud, 'node-features', { Runtime: 'nodejs22.x', Timeout: 10 });
      const payload = Buffer.from('{"use":"withResolvers"}');
      const failed = await cloud.lambda.send(new InvokeCommand({ FunctionName: on20.FunctionName, Payload: payload }));
      assert.equal(failed.FunctionError, 'Unhandled');
      const error = decodeJson(failed.Payload) as { errorType: string; errorMessage: string };
      assert.deepEqual({ errorType: error.errorType, errorMessage: error.errorMessage }, { errorType: 'TypeError', errorMessage: 'Promise.withResolvers is not a function' });
      const worked = await cloud.lambda.send(new InvokeCommand({ FunctionName: on22.FunctionName, Payload: payload }));
      assert.equal(worked.FunctionError, undefined);
      assert.match(decodeJson(worked.Payload) as string, /^resolved on v22\./);
    } finally {
      await cloud.close();
    }
  });

  it('keeps the compiled code of a nodejs22.x function between its cold starts, beside its code, not in LAMBDA_TASK_ROOT', async () => {
    const cloud = await startLambdaCloud();
    try {
      const fn = await createFixtureFunction(cloud, 'echo', { Runtime: 'nodejs22.x', Timeout: 10 });
      const first = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: Buffer.from('{"n":1}') }));
      assert.equal(first.FunctionError, undefined, Buffer.from(first.Payload ?? []).toString());
      const codeRoot = join(cloud.stateDir, 'code');
      const codeFolders = readdirSync(codeRoot).filter((name) => /^[0-9a-f]{64}$/.test(name));
      assert.equal(codeFolders.length, 1);
      const cacheDir = join(codeRoot, '.compile-cache', codeFolders[0]!);
      // Written at the end of init (an idle environment is killed, never exits): there before the process is gone.
      const cached = readdirSync(cacheDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
      assert.ok(cached.length > 0, 'V8 code cache entries written');
      assert.ok(!readdirSync(join(codeRoot, codeFolders[0]!)).some((name) => name.includes('cache')), 'the code folder is as uploaded');
      // A new code version starts a new cold environment, which reads the cache; it answers as before.
      await cloud.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn.FunctionName, Description: 'a new environment' }));
      await waitUntilFunctionUpdatedV2(fastWaiter(cloud.lambda), { FunctionName: fn.FunctionName });
      const second = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: Buffer.from('{"n":2}') }));
      assert.equal(second.FunctionError, undefined, Buffer.from(second.Payload ?? []).toString());
      assert.deepEqual(decodeJson(second.Payload), { n: 2 });
    } finally {
      await cloud.close();
    }
  });

  it('refuses a callback-style handler on nodejs24.x at init, as Lambda does, and runs it on nodejs22.x', async () => {
    const cloud = await startLambdaCloud();
    try {
      const on22 = await createFixtureFunction(cloud, 'echo-cjs', { Runtime: 'nodejs22.x', Timeout: 10 });
      const on24 = await createFixtureFunction(cloud, 'echo-cjs', { Runtime: 'nodejs24.x', Timeout: 10 });
      const worked = await cloud.lambda.send(new InvokeCommand({ FunctionName: on22.FunctionName, Payload: Buffer.from('{"n":1}') }));
      assert.deepEqual(decodeJson(worked.Payload), { format: 'cjs', event: { n: 1 } });
      const refused = await cloud.lambda.send(new InvokeCommand({ FunctionName: on24.FunctionName, Payload: Buffer.from('{"n":1}'), LogType: 'Tail' }));
      assert.equal(refused.FunctionError, 'Unhandled');
      const error = decodeJson(refused.Payload) as { errorType: string; errorMessage: string };
      assert.equal(error.errorType, 'Runtime.CallbackHandlerDeprecated');
      assert.match(error.errorMessage, /^ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node\.js 24\./);
      const tail = Buffer.from(refused.LogResult ?? '', 'base64').toString('utf8');
      // RIC 4 writes `Init Error`, a tab, then the error's JSON (ric.test.ts compares it with AWS's client).
      assert.match(tail, /\tERROR\tInit Error \t\{"errorType":"Runtime\.CallbackHandlerDeprecated"/);
      assert.match(tail, /INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime\.CallbackHandlerDeprecated/);
    } finally {
      await cloud.close();
    }
  });
});

/** `thumbctl local serve` (the compiled CLI, as people run it) with the given environment, and SDK clients for it. */
async function serveWith(env: Record<string, string>) {
  const stateDir = temporaryDir('thumbctl-node-majors-');
  const served = await startLocalServe(['--port', '0', '--state-dir', stateDir], { env, timeoutMs: 30_000 });
  const config = clientConfigFor(served.endpoint);
  const lambda = new LambdaClient(config);
  const logs = new CloudWatchLogsClient(config);
  const iam = new IAMClient(config);
  const roleArn = await createRole(iam, uniqueName('node-majors'), LAMBDA_TRUST_POLICY);
  return {
    lambda,
    logs,
    async createFunction(runtime: string): Promise<string> {
      const name = uniqueName('node-features');
      await lambda.send(
        new CreateFunctionCommand({ FunctionName: name, Runtime: runtime as Runtime, Handler: 'index.handler', Role: roleArn, Timeout: 10, Code: { ZipFile: await zipFixture('node-features') } }),
      );
      await waitUntilFunctionActiveV2(fastWaiter(lambda), { FunctionName: name });
      return name;
    },
    cloudLog(): string {
      try {
        return readFileSync(join(stateDir, 'cloud.log'), 'utf8');
      } catch {
        return '';
      }
    },
    async close() {
      lambda.destroy();
      logs.destroy();
      iam.destroy();
      assert.equal(await served.stop(), 0);
    },
  };
}

describe('where the Node.js builds come from', () => {
  it('downloads the build into an empty cache at first use, verified, says so in the cloud log, and runs the function on it', async () => {
    // Its own cache, so the download really happens (one per test run); everything else shares ~/.cache/thumbctl.
    const cacheDir = temporaryDir('thumbctl-node-cache-');
    const runtime = `nodejs${OTHER_MAJOR}.x`;
    const cloud = await serveWith({ THUMBCTL_CACHE_DIR: cacheDir });
    try {
      const name = await cloud.createFunction(runtime);
      const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: name, LogType: 'Tail' }));
      const features = decodeJson(result.Payload) as Features;
      assert.equal(majorOf(features.version), OTHER_MAJOR);
      assert.ok(features.execPath.startsWith(join(cacheDir, 'node') + '/'), features.execPath);
      const log = cloud.cloudLog();
      assert.match(log, new RegExp(`lambda: ${escape(runtime)}: downloading Node\\.js ${escape(features.version)} \\(node-[a-z0-9-]+\\) from https?://`));
      assert.match(log, new RegExp(`lambda: ${escape(runtime)}: Node\\.js ${escape(features.version)} installed in .* \\(sha512 verified\\)`));
      // The download happened before the init clock started: Init Duration is a cold start's, within the init timeout.
      const initMs = Number(/Init Duration: ([\d.]+) ms/.exec(Buffer.from(result.LogResult ?? '', 'base64').toString('utf8'))?.[1]);
      assert.ok(initMs > 0 && initMs < 10_000, `Init Duration ${initMs} ms`);
      // Another function of the runtime: no second download.
      const again = await cloud.createFunction(runtime);
      const second = await cloud.lambda.send(new InvokeCommand({ FunctionName: again }));
      assert.equal((decodeJson(second.Payload) as Features).version, features.version);
      assert.equal(cloud.cloudLog().match(/downloading Node\.js/g)?.length, 1);
    } finally {
      await cloud.close();
    }
  });

  it('runs on the host’s Node.js with a warning in the function’s log when the registry is unreachable and the cache is empty', async () => {
    const cacheDir = temporaryDir('thumbctl-node-cache-');
    const runtime = `nodejs${OTHER_MAJOR}.x`;
    const cloud = await serveWith({ THUMBCTL_CACHE_DIR: cacheDir, npm_config_registry: `http://127.0.0.1:${await closedPort()}/` });
    try {
      const name = await cloud.createFunction(runtime);
      const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: name }));
      assert.equal((decodeJson(result.Payload) as Features).version, process.version, 'the host’s node');
      const events = await eventually(async () => {
        const found = (await cloud.logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${name}` }))).events ?? [];
        return found.some((event) => event.message?.startsWith('REPORT ')) ? found : undefined;
      }, 5000, 'the invocation in the function log');
      const warnings = events.filter((event) => /\tWARN\t/.test(event.message ?? ''));
      assert.equal(warnings.length, 1, 'one line, at the environment start');
      assert.match(
        warnings[0]!.message!,
        new RegExp(
          `^\\S+Z\\tundefined\\tWARN\\t${escape(runtime)} functions run on the host's Node\\.js ${escape(process.version)}: ` +
            `Node\\.js ${OTHER_MAJOR} is not in the cache \\(.*\\) and the npm registry is unreachable \\(.*ECONNREFUSED\\)\\n$`,
        ),
      );
      assert.match(events[0]!.message!, /^INIT_START /);
      assert.equal(events[1]!.message, warnings[0]!.message, 'right after INIT_START');
      assert.match(cloud.cloudLog(), new RegExp(`lambda: ${escape(runtime)} functions run on the host's Node\\.js`));
      const nodeDir = join(cacheDir, 'node');
      assert.deepEqual(existsSync(nodeDir) ? readdirSync(nodeDir) : [], [], 'nothing left in the cache');
    } finally {
      await cloud.close();
    }
  });
});
