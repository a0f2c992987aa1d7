// Functions are contained (issue "Functions are not contained"), tried as a hostile function would, at each
// containment level this machine offers (a PID namespace, and the process-group fallback): processes a function
// spawns (a detached child, a setsid double fork) die on timeout, out-of-memory, idle reclaim, retirement and
// close(); a child's memory counts against MemorySize; an idle environment that grows is recycled without
// blaming the next invocation; its Runtime API answers only its own processes; its listeners stay on loopback.
// Survivors are looked for in /proc by a token the function puts in its children's environment.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, UpdateFunctionConfigurationCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { lambdaInternals } from '../../../emulator/services/lambda/index.js';
import { CONTAINMENT_VARIABLE, type IsolationLevel } from '../../../emulator/runtime/containment.js';
import type { SettingsWithLambdaTuning } from '../../../emulator/runtime/tuning.js';
import { createFixtureFunction, decodeJson, eventually, startLambdaCloud, waitUpdated, type LambdaTestCloud } from '../lambda/support.js';

const LINUX = process.platform === 'linux';

/** Pids of live processes whose environment carries PROBE_TOKEN=<token> (read from /proc, as any local process can). */
function processesWithToken(token: string): number[] {
  const needle = `PROBE_TOKEN=${token}\0`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(needle)) found.push(Number(entry));
    } catch {
      // Gone, or not ours.
    }
  }
  return found;
}

const newToken = (): string => randomBytes(8).toString('hex');
const payloadOf = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const tailOf = (result: InvokeCommandOutput): string => Buffer.from(result.LogResult ?? '', 'base64').toString('utf8');

/** Waits until the function's escapees are running (both of them), so that their absence later means something. */
async function escapeesRunning(token: string): Promise<number[]> {
  return eventually(() => {
    const found = processesWithToken(token);
    return found.length >= 2 ? found : undefined;
  }, 15_000, 'the function to spawn its detached child and its setsid double fork');
}

async function noSurvivors(token: string, what: string): Promise<void> {
  await eventually(() => (processesWithToken(token).length === 0 ? true : undefined), 10_000, `no process the function spawned to survive ${what}`).catch((error: Error) => {
    const left = processesWithToken(token);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    assert.fail(`${error.message}: ${left.length} survived (pids ${left.join(', ')})`);
  });
}

/** The first non-loopback IPv4 address of this machine, if it has one. */
function nonLoopbackAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return undefined;
}

/** Connects to host:port; resolves with the first line received, or the error code. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(3000, () => socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text.trim()));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

/** A request to a Runtime API from a separate process (not one of the environment's): status codes, or error codes. */
function foreignRuntimeApiCalls(address: string, requestId: string): Promise<{ next: number | string; forged: number | string }> {
  const script = `
    const call = (method, path, body) => fetch('http://${address}/2018-06-01/runtime' + path, { method, body, signal: AbortSignal.timeout(3000) })
      .then((response) => response.status, (error) => String(error.cause?.code ?? error.name));
    Promise.all([call('GET', '/invocation/next'), call('POST', '/invocation/${requestId}/response', '{"forged":true}')])
      .then(([next, forged]) => process.stdout.write(JSON.stringify({ next, forged })));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`the foreign client printed ${out}`));
      }
    });
  });
}

for (const level of ['namespace', 'process-group'] as const satisfies readonly IsolationLevel[]) {
  describe(`function containment (${level})`, { skip: !LINUX && 'reads /proc: Linux only' }, () => {
    let cloud: LambdaTestCloud;
    /** Why this level does not run here, when it does not. */
    let unavailable: string | undefined;
    let previousChoice: string | undefined;

    before(async () => {
      previousChoice = process.env[CONTAINMENT_VARIABLE];
      process.env[CONTAINMENT_VARIABLE] = level;
      cloud = await startLambdaCloud({}, { maxConcurrency: 4 });
      const containment = await lambdaInternals(cloud.cloud.context)!.runtime.containment();
      if (containment.level !== level) unavailable = `this machine offers no ${level} containment (${containment.summary})`;
    });

    after(async () => {
      await cloud?.close();
      if (previousChoice === undefined) delete process.env[CONTAINMENT_VARIABLE];
      else process.env[CONTAINMENT_VARIABLE] = previousChoice;
    });

    /** Skips (saying why) when the level is not the one running. */
    const ready = (t: TestContext): boolean => {
      if (!unavailable) return true;
      t.diagnostic(unavailable);
      t.skip(unavailable);
      return false;
    };

    it('kills what a function spawned when it times out', async (t) => {
      if (!ready(t)) return;
      const fn = await createFixtureFunction(cloud, 'escaper', { Timeout: 2 });
      const token = newToken();
      const invocation = cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ mode: 'escape', token, then: 'hang' }) }));
      await escapeesRunning(token);
      const result = await invocation;
      assert.equal(result.FunctionError, 'Unhandled');
      assert.match(JSON.stringify(decodeJson(result.Payload)), /Task timed out after 2\.00 seconds/);
      await noSurvivors(token, 'the timeout');
    });

    it('kills what a function spawned when it runs out of memory', async (t) => {
      if (!ready(t)) return;
      const fn = await createFixtureFunction(cloud, 'escaper', { Timeout: 20, MemorySize: 128 });
      const token = newToken();
      const invocation = cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ mode: 'escape', token, then: 'oom' }) }));
      await escapeesRunning(token);
      const result = await invocation;
      assert.equal((decodeJson(result.Payload) as { errorType: string }).errorType, 'Runtime.OutOfMemory');
      await noSurvivors(token, 'the out-of-memory kill');
    });

    it('kills what a function spawned when its idle environment is reclaimed', async (t) => {
      if (!ready(t)) return;
      const fn = await createFixtureFunction(cloud, 'escaper');
      const token = newToken();
      const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ mode: 'escape', token }) }));
      assert.deepEqual(decodeJson(result.Payload), { spawned: true, disarmed: 0 });
      await escapeesRunning(token);
      const settings = cloud.cloud.context.settings as SettingsWithLambdaTuning;
      settings.lambda = { ...settings.lambda, idleTimeoutMs: 300 };
      try {
        await noSurvivors(token, 'idle reclaim');
      } finally {
        settings.lambda = { ...settings.lambda, idleTimeoutMs: 5 * 60_000 };
      }
    });

    it('kills what a function spawned when its environment is retired (configuration changed)', async (t) => {
      if (!ready(t)) return;
      const fn = await createFixtureFunction(cloud, 'escaper');
      const token = newToken();
      await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ mode: 'escape', token }) }));
      await escapeesRunning(token);
      await cloud.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn.FunctionName, Timeout: 5 }));
      await waitUpdated(cloud, fn.FunctionName);
      await noSurvivors(token, 'retirement');
    });

    it("counts a child's memory: a 600 MB child of a 128 MB function fails the invocation with Runtime.OutOfMemory", async (t) => {
      if (!ready(t)) return;
      const fn = await createFixtureFunction(cloud, 'escaper', { Timeout: 30, MemorySize: 128 });
      const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ mode: 'child-oom', mb: 600 }), LogType: 'Tail' }));
      assert.equal(result.FunctionError, 'Unhandled');
      const error = decodeJson(result.Payload) as { errorType: string; errorMessage: string };
      assert.equal(error.errorType, 'Runtime.OutOfMemory');
      assert.equal(error.errorMessage, `RequestId: ${result.$metadata.requestId} Error: Runtime exited with error: signal: killed`);
      assert.match(tailOf(result), /Max Memory Used: 128 MB\t(Init Duration: [\d.]+ ms\t)?Status: error\tError Type: Runtime\.OutOfMemory/);
    });

    it('recycles an idle environment that grew past its memory, and does not blame the next invocation', async (t) => {
      if (!ready(t)) return;
      const fn = await createFixtureFunction(cloud, 'escaper', { Timeout: 10, MemorySize: 128 });
      const first = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ mode: 'grow-idle', mb: 400, delayMs: 100 }) }));
      assert.equal(first.FunctionError, undefined);
      assert.deepEqual(decodeJson(first.Payload), { growing: true });
      const runtime = lambdaInternals(cloud.cloud.context)!.runtime;
      const grown = runtime.environments(fn.FunctionName)[0]!;
      await eventually(() => (grown.state === 'dead' ? true : undefined), 15_000, 'the grown idle environment to be recycled');
      const next = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ mode: 'sleep', ms: 0 }), LogType: 'Tail' }));
      assert.equal(next.FunctionError, undefined, JSON.stringify(decodeJson(next.Payload)));
      assert.deepEqual(decodeJson(next.Payload), { own: true, requestIdSeen: null });
      assert.match(tailOf(next), /Init Duration/, 'the next invocation ran in a fresh environment');
    });

    it("refuses another process's /next and forged response; the invocation's result is the function's own", async (t) => {
      if (!ready(t)) return;
      const fn = await createFixtureFunction(cloud, 'escaper', { Timeout: 10 });
      const invocation = cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ mode: 'sleep', ms: 2000 }) }));
      // The attacker reads the request id where any local process can: the function's log (START line).
      const requestId = await eventually(async () => {
        const events = await cloud.logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${fn.FunctionName}` })).catch(() => ({ events: [] }));
        const start = (events.events ?? []).find((event) => event.message?.startsWith('START RequestId: '));
        return start ? /START RequestId: (\S+)/.exec(start.message!)![1] : undefined;
      }, 10_000, 'the START line');
      const environment = lambdaInternals(cloud.cloud.context)!.runtime.environments(fn.FunctionName)[0]!;
      const foreign = await foreignRuntimeApiCalls(environment.runtimeApiAddress, requestId);
      assert.equal(foreign.next, 403, 'another process cannot take the environment\'s next event');
      assert.equal(foreign.forged, 403, 'another process cannot answer the invocation');
      assert.ok(environment.refusedRuntimeApiConnections >= 2);
      const result = await invocation;
      assert.equal(result.$metadata.requestId, requestId);
      assert.deepEqual(decodeJson(result.Payload), { own: true, requestIdSeen: null });
    });

    it('survives a stray /next from its own process: refused, and the warm environment keeps serving', async (t) => {
      if (!ready(t)) return;
      const fn = await createFixtureFunction(cloud, 'escaper');
      const first = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ mode: 'stray-next', afterMs: 200 }) }));
      const seen = decodeJson(first.Payload) as { during: number };
      assert.equal(seen.during, 403, 'a /next while the runtime owes an answer is refused');
      const environment = lambdaInternals(cloud.cloud.context)!.runtime.environments(fn.FunctionName)[0]!;
      await new Promise((resolve) => setTimeout(resolve, 600));
      const second = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ mode: 'report' }), LogType: 'Tail' }));
      assert.equal(second.FunctionError, undefined, JSON.stringify(decodeJson(second.Payload)));
      assert.deepEqual(decodeJson(second.Payload), { mode: 'report', previousAfter: 403 }, 'the stray /next while parked was refused too');
      assert.doesNotMatch(tailOf(second), /Init Duration/, 'the same warm environment served it');
      assert.equal(environment.state === 'dead', false);
      assert.deepEqual(lambdaInternals(cloud.cloud.context)!.runtime.environments(fn.FunctionName), [environment]);
    });

    it('keeps the listeners a function opens on loopback', async (t) => {
      if (!ready(t)) return;
      const fn = await createFixtureFunction(cloud, 'escaper');
      const invoke = async (event: object): Promise<{ tcp: { address?: { address: string; port: number }; error?: string }; udp: { address?: { address: string }; error?: string } }> =>
        decodeJson((await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ mode: 'listen', ...event }) }))).Payload) as never;
      const unspecified = await invoke({});
      assert.equal(unspecified.tcp.address?.address, '127.0.0.1');
      assert.equal(unspecified.udp.address?.address, '127.0.0.1');
      const everywhere = await invoke({ host: '0.0.0.0', udpAddress: '0.0.0.0' });
      assert.equal(everywhere.tcp.address?.address, '127.0.0.1');
      assert.equal(everywhere.udp.address?.address, '127.0.0.1');
      assert.equal((await invoke({ host: '::' })).tcp.address?.address, '::1');
      const external = nonLoopbackAddress();
      if (!external) {
        t.diagnostic('this machine has no non-loopback IPv4 address: reachability from the network is not tried');
        return;
      }
      const explicit = await invoke({ host: external, udpAddress: external });
      assert.equal(explicit.tcp.error, 'EADDRNOTAVAIL');
      assert.equal(explicit.udp.error, 'EADDRNOTAVAIL');
      // The function asked for every address; it is reachable on loopback only.
      const port = everywhere.tcp.address!.port;
      assert.equal(await tryConnect('127.0.0.1', port), 'hello from the function');
      assert.equal(await tryConnect(external, port), 'ECONNREFUSED');
    });

    it('kills what a function spawned when the cloud is closed', async (t) => {
      if (!ready(t)) return;
      const own = await startLambdaCloud();
      try {
        const fn = await createFixtureFunction(own, 'escaper');
        const token = newToken();
        await own.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ mode: 'escape', token }) }));
        await escapeesRunning(token);
        await own.close();
        await noSurvivors(token, 'close() of the cloud');
      } finally {
        await own.close();
      }
    });
  });
}
