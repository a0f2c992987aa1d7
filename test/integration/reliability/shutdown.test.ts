// Ctrl-C on `thumbctl local serve`: the terminal sends SIGINT to its whole foreground process group. The cloud
// drains (running events finish, nothing new starts); the function environments must not take the SIGINT as
// their own and die mid-invocation, which would fail the event and spend one of its attempts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { assertBuilt, childPids, fixtureDeployer, functionLogEvents, poll, queueState, startServe } from './support.js';

describe('Ctrl-C on local serve', () => {
  it('lets a running invocation finish instead of killing it with the server', { timeout: 120_000 }, async () => {
    // Prepare: a server in its own process group, as a shell job is, running a 2-second handler.
    assertBuilt();
    const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-sigint-'));
    const serve = await startServe(stateDir, { ownProcessGroup: true });
    let restarted: Awaited<ReturnType<typeof startServe>> | undefined;
    const functions = fixtureDeployer(serve.endpoint);
    try {
      await functions.create('napper', 'sleeper', 30);
      const sent = await functions.lambda.send(new InvokeCommand({ FunctionName: 'napper', InvocationType: 'Event', Payload: Buffer.from('{"sleepMs":2000}') }));
      const requestId = sent.$metadata.requestId!;
      assert.ok(await poll(() => (childPids(serve.pid).length > 0 ? true : undefined), 30_000), 'the environment started');
      await new Promise((resolve) => setTimeout(resolve, 500));

      // Act
      await serve.interruptGroup();

      // Assess: the invocation ran to its end, once; nothing is left to retry.
      assert.equal(queueState(stateDir).queued, 0, 'the event completed during the drain');
      restarted = await startServe(stateDir);
      const reader = fixtureDeployer(restarted.endpoint);
      try {
        const messages = (await functionLogEvents(reader.logs, 'napper')).map((event) => event.message ?? '');
        assert.equal(messages.filter((message) => message.startsWith(`START RequestId: ${requestId} `)).length, 1, messages.join(''));
        const report = messages.find((message) => message.startsWith(`REPORT RequestId: ${requestId}`));
        assert.ok(report, messages.join(''));
        assert.doesNotMatch(report, /Status: /, 'the invocation succeeded');
        assert.ok(!messages.some((message) => message.includes('Runtime exited with error')), messages.join(''));
      } finally {
        reader.destroy();
      }
    } finally {
      functions.destroy();
      await serve.kill9();
      await restarted?.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
