// kill -9 at CI size (the full size is `npm run crash`): `thumbctl local serve` is killed while a burst of uploads is
// under way and started again on the same state directory. Every acknowledged upload gets its thumbnail (its
// event was queued durably before the 200), every other one was reported failed to its client, the database is
// intact, the dead server's queue claims are given back, and its function environments do not outlive it —
// including one busy in a handler that would otherwise sleep on for minutes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { runCrash } from '../../../scripts/harness/scenarios.js';
import { assertBuilt, childPids, fixtureDeployer, isRunning, poll, startServe } from './support.js';

const COUNT = 60;
const CONCURRENCY = 8;
const KILL_AFTER = 20;

describe('kill -9 of local serve', () => {
  it(`mid-burst (${COUNT} uploads, killed after ${KILL_AFTER} acknowledgements): acknowledged ones recovered, the rest failed`, { timeout: 240_000 }, async () => {
    // Act
    const report = await runCrash({ count: COUNT, concurrency: CONCURRENCY, killAfter: KILL_AFTER, deadlineMs: 120_000 });
    const summary = JSON.stringify({ ...report, stateDir: undefined }, null, 2);

    // Assess
    assert.ok(report.acknowledged >= KILL_AFTER && report.acknowledged < COUNT, `killed mid-burst\n${summary}`);
    assert.equal(report.acknowledged + report.failed, COUNT, 'every upload was either acknowledged or failed to its client');
    assert.ok(report.failed > 0, 'the uploads after the kill failed');
    assert.deepEqual(report.missingThumbnails, [], summary);
    assert.equal(report.recovered, report.acknowledged);
    assert.equal(report.database.afterCrash, 'ok');
    assert.equal(report.database.afterRestart, 'ok');
    assert.equal(report.database.queuedAtEnd, 0);
    if (report.database.claimedAtCrash > 0) assert.ok(report.database.claimsRequeued, `the dead server's claims were given back\n${summary}`);
    assert.deepEqual(report.environments.orphansLeft, [], summary);
    assert.deepEqual(report.problems, [], summary);
  });

  it('leaves no function environment behind, even one in the middle of a long invocation', { timeout: 120_000 }, async () => {
    // Prepare: a server running a handler that sleeps for ten minutes, and a warm idle environment.
    assertBuilt();
    const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-orphans-'));
    const serve = await startServe(stateDir);
    const functions = fixtureDeployer(serve.endpoint);
    try {
      await functions.create('long-sleeper', 'sleeper');
      await functions.create('idle-echo', 'echo');
      await functions.lambda.send(new InvokeCommand({ FunctionName: 'idle-echo', Payload: Buffer.from('{}') }));
      await functions.lambda.send(new InvokeCommand({ FunctionName: 'long-sleeper', InvocationType: 'Event', Payload: Buffer.from('{"sleepMs":600000}') }));
      const environments = await poll(() => {
        const children = childPids(serve.pid);
        return children.length >= 2 ? children : undefined;
      }, 30_000);
      assert.ok(environments, 'two environments started');
      // Let the sleeper get into its handler.
      await new Promise((resolve) => setTimeout(resolve, 1000));

      // Act
      await serve.kill9();

      // Assess: both exit on their own, well before the sleep (or the 900 s timeout) would end.
      await poll(() => (environments.some(isRunning) ? undefined : true), 15_000, 100);
      const survivors = environments.filter(isRunning);
      for (const pid of survivors) process.kill(pid, 'SIGKILL');
      assert.deepEqual(survivors, [], 'no environment outlived its server');
    } finally {
      functions.destroy();
      await serve.kill9();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
