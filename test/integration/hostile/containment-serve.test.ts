// Function containment around `thumbctl local serve` itself, at each containment level this machine offers:
// what a function spawned (a detached child, a setsid double fork) dies on SIGTERM and SIGINT of the server and
// on its kill -9 (the environment's init notices its lifeline close), and, when the function also killed that
// watcher, on the next start of a server on the same state directory (it kills the recorded leftovers). And the
// server's own environment is not readable by a function (a canary variable set in the server's environment).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { CONTAINMENT_VARIABLE, type IsolationLevel } from '../../../emulator/runtime/containment.js';
import { assertBuilt, fixtureDeployer, functionLogEvents, startServe, type ServeProcess } from '../reliability/support.js';
import { decodeJson, eventually } from '../lambda/support.js';

const LINUX = process.platform === 'linux';
const CANARY = 'THUMBCTL_CONTAINMENT_CANARY';

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

async function escapeesRunning(token: string): Promise<number[]> {
  return eventually(() => {
    const found = processesWithToken(token);
    return found.length >= 2 ? found : undefined;
  }, 30_000, 'the function to spawn its detached child and its setsid double fork');
}

async function noSurvivors(token: string, what: string): Promise<void> {
  await eventually(() => (processesWithToken(token).length === 0 ? true : undefined), 10_000, `no process the function spawned to survive ${what}`).catch((error: Error) => {
    const left = processesWithToken(token);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    assert.fail(`${error.message}: ${left.length} survived (pids ${left.join(', ')})`);
  });
}

const cloudLog = (stateDir: string): string => {
  try {
    return readFileSync(join(stateDir, 'cloud.log'), 'utf8');
  } catch {
    return '';
  }
};

for (const level of ['namespace', 'process-group'] as const satisfies readonly IsolationLevel[]) {
  describe(`function containment around local serve (${level})`, { skip: !LINUX && 'reads /proc: Linux only' }, () => {
    const servers: ServeProcess[] = [];
    const stateDirs: string[] = [];

    after(async () => {
      for (const server of servers) await server.kill9();
      for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
    });

    /** A server at this level with the escaper deployed; undefined (the test skipped, saying why) when the level is not available. */
    async function serveWithEscaper(t: TestContext, env: Record<string, string> = {}, stateDir?: string): Promise<{ serve: ServeProcess; functions: ReturnType<typeof fixtureDeployer>; stateDir: string } | undefined> {
      assertBuilt();
      const dir = stateDir ?? mkdtempSync(join(tmpdir(), 'thumbctl-contain-'));
      if (!stateDir) stateDirs.push(dir);
      const serve = await startServe(dir, { env: { [CONTAINMENT_VARIABLE]: level, ...env } });
      servers.push(serve);
      const chosen = /lambda: function containment: (\S+):/.exec(cloudLog(dir))?.[1];
      if (chosen !== level) {
        const why = `this machine offers no ${level} containment (cloud.log: ${chosen ?? 'no containment line'})`;
        t.diagnostic(why);
        t.skip(why);
        await serve.kill9();
        return undefined;
      }
      const functions = fixtureDeployer(serve.endpoint);
      t.after(() => functions.destroy());
      await functions.create('escaper', 'escaper', 900);
      return { serve, functions, stateDir: dir };
    }

    // Synchronous on purpose, even for the invocations a killed server never answers: an asynchronous event would
    // run again on the next server and spawn again.
    const escape = (functions: ReturnType<typeof fixtureDeployer>, event: object) =>
      functions.lambda.send(new InvokeCommand({ FunctionName: 'escaper', Payload: Buffer.from(JSON.stringify({ mode: 'escape', ...event })) }));

    it('kills what a function spawned on SIGTERM of the server', async (t) => {
      const setup = await serveWithEscaper(t);
      if (!setup) return;
      const token = randomBytes(8).toString('hex');
      await escape(setup.functions, { token });
      await escapeesRunning(token);
      await setup.serve.stop();
      await noSurvivors(token, 'SIGTERM of local serve');
    });

    it('kills what a function spawned on SIGINT (Ctrl-C) of the server', async (t) => {
      const setup = await serveWithEscaper(t);
      if (!setup) return;
      const token = randomBytes(8).toString('hex');
      await escape(setup.functions, { token });
      await escapeesRunning(token);
      setup.serve.child.kill('SIGINT');
      await setup.serve.exited;
      await noSurvivors(token, 'SIGINT of local serve');
    });

    it('kills what a function spawned when the server is killed -9 in the middle of an invocation', async (t) => {
      const setup = await serveWithEscaper(t);
      if (!setup) return;
      const token = randomBytes(8).toString('hex');
      const unanswered = escape(setup.functions, { token, then: 'hang' }).catch((error: Error) => error);
      await escapeesRunning(token);
      await setup.serve.kill9();
      assert.ok((await unanswered) instanceof Error, 'the killed server never answered');
      await noSurvivors(token, 'kill -9 of local serve');
    });

    it('kills, at the next start on the state directory, what survived a kill -9 because the function cut its lifeline', async (t) => {
      const setup = await serveWithEscaper(t);
      if (!setup) return;
      const token = randomBytes(8).toString('hex');
      const unanswered = escape(setup.functions, { token, disarm: true, then: 'hang' }).catch((error: Error) => error);
      await escapeesRunning(token);
      await eventually(async () => {
        const events = await functionLogEvents(setup.functions.logs, 'escaper');
        return events.some((event) => /\tdisarmed [1-9]/.test(event.message ?? '')) ? true : undefined;
      }, 20_000, 'the function to kill its lifeline watcher');
      await setup.serve.kill9();
      assert.ok((await unanswered) instanceof Error, 'the killed server never answered');
      // Nothing watches any more: they live on (this is what the next start must clean up).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.ok(processesWithToken(token).length >= 2, 'the function\'s processes outlived the killed server');

      const next = await startServe(setup.stateDir, { env: { [CONTAINMENT_VARIABLE]: level } });
      servers.push(next);
      await noSurvivors(token, 'the next start of a server on the same state directory');
      assert.match(cloudLog(setup.stateDir), /lambda: a server on this state directory died with 1 environment running; killed [1-9]\d* of their processes still alive/);
      await next.stop();
    });

    it("keeps the server's own environment out of a function's reach", async (t) => {
      const canary = randomBytes(12).toString('hex');
      const setup = await serveWithEscaper(t, { [CANARY]: canary });
      if (!setup) return;
      const result = await setup.functions.lambda.send(
        new InvokeCommand({ FunctionName: 'escaper', Payload: Buffer.from(JSON.stringify({ mode: 'secrets', marker: `${CANARY}=${canary}` })) }),
      );
      const seen = decodeJson(result.Payload) as { parent: string; pid1: string; scan: number; visibleProcesses: number };
      t.diagnostic(`the function saw: ${JSON.stringify(seen)}`);
      if (level === 'process-group') {
        const why = 'without a PID namespace a function runs as the same user as the server, and Linux lets a user read its own processes\' /proc/<pid>/environ: the server\'s environment is readable (RELIABILITY.md, "Function containment")';
        t.diagnostic(why);
        t.skip(why);
        return;
      }
      assert.notEqual(seen.parent, 'has the marker', '/proc/<ppid>/environ');
      assert.notEqual(seen.pid1, 'has the marker', '/proc/1/environ');
      assert.equal(seen.scan, 0, 'no process in /proc has the server\'s environment');
    });
  });
}
