// CreateFunction answers once the package is checked and stored; the package is unpacked while the function is
// Pending, as AWS prepares a function after the call has answered. Held Pending here by holding the unpack: what
// GetFunction, the SDK waiter, Invoke, an update and a queued event see meanwhile; a package found bad only while
// unpacking (State Failed, as AWS reports a function it could not create); and a creation interrupted by a killed
// cloud (its function Active at the next start, its code unpacked at the first invocation).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  ResourceConflictException,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { lambdaInternals } from '../../../emulator/services/lambda/index.js';
import { UNPACKING } from '../../../emulator/services/lambda/store.js';
import { declareUncompressedSize, zipEntries, zipFixture } from '../../fixtures/functions/build-zip.js';
import { createFixtureFunction, decodeJson, eventually, fastWaiter, functionLogEvents, startLambdaCloud, uniqueName, waitUpdated } from './support.js';

const PENDING_MESSAGE = 'The operation cannot be performed at this time. The function is currently in the following state: Pending';

function isPendingConflict(error: unknown): boolean {
  assert.ok(error instanceof ResourceConflictException, `a ResourceConflictException, got ${String(error)}`);
  assert.equal(error.$metadata.httpStatusCode, 409);
  assert.equal(error.message, PENDING_MESSAGE);
  return true;
}

describe('CreateFunction unpacks the code while the function is Pending', () => {
  it('answers Pending before unpacking; Invoke and updates get 409 until the code is unpacked; then Active and runnable', async () => {
    const cloud = await startLambdaCloud({ stateDelayMs: 20 });
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const internals = lambdaInternals(cloud.cloud.context)!;
    internals.code.beforeDeferredUnpack = () => held;
    try {
      const name = uniqueName('unpacking');
      const created = await cloud.lambda.send(
        new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: cloud.roleArn, Code: { ZipFile: await zipFixture('echo') } }),
      );
      assert.equal(created.$metadata.httpStatusCode, 201);
      assert.equal(created.State, 'Pending');
      assert.equal(created.StateReasonCode, 'Creating');
      const folder = internals.code.directoryOf(Buffer.from(created.CodeSha256!, 'base64').toString('hex'));
      assert.equal(existsSync(folder), false, 'answered before the code was unpacked');

      // Long past the state delay, still Pending: the unpack is part of the Pending state.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const got = await cloud.lambda.send(new GetFunctionCommand({ FunctionName: name }));
      assert.equal(got.Configuration?.State, 'Pending');
      assert.equal(got.Configuration?.StateReasonCode, 'Creating');
      await assert.rejects(cloud.lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') })), isPendingConflict);
      await assert.rejects(cloud.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 5 })), isPendingConflict);
      await assert.rejects(cloud.lambda.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: Buffer.from('{}') })), isPendingConflict);
      // An S3 event for it is queued and held (Lambda's own queue), not run and not failed.
      cloud.cloud.context.stores.lambda!.enqueueEvent(created.FunctionArn!, '{"queued":true}', 's3');

      release();
      await waitUntilFunctionActiveV2(fastWaiter(cloud.lambda), { FunctionName: name });
      assert.equal(existsSync(folder), true, 'unpacked by the time it is Active');
      const answer = await cloud.lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{"after":"active"}') }));
      assert.equal(answer.FunctionError, undefined);
      assert.deepEqual(decodeJson(answer.Payload), { after: 'active' });
      await eventually(async () => (await functionLogEvents(cloud, name)).filter((event) => event.message?.startsWith('REPORT ')).length === 2 || undefined, 10_000, 'the held event to run');
    } finally {
      release();
      await cloud.close();
    }
  });

  it('a package whose entries hold more than they declare leaves the function Failed, with the reason; new code mends it', async () => {
    const cloud = await startLambdaCloud({ stateDelayMs: 20 });
    try {
      const name = uniqueName('lying');
      const lying = declareUncompressedSize(await zipEntries([{ name: 'index.mjs', data: `export const handler = async () => 1;${' '.repeat(1000)}` }]), 10);
      const created = await cloud.lambda.send(
        new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: cloud.roleArn, Code: { ZipFile: lying } }),
      );
      assert.equal(created.State, 'Pending');
      // The SDK waiter gives up on a Failed function (its failure acceptor), as on AWS.
      await assert.rejects(waitUntilFunctionActiveV2(fastWaiter(cloud.lambda), { FunctionName: name }));
      const failed = (await cloud.lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration!;
      assert.equal(failed.State, 'Failed');
      assert.equal(failed.StateReasonCode, 'InvalidZipFileException');
      assert.equal(failed.StateReason, 'Could not unzip uploaded file. Please check your file, then try to upload again.');
      await assert.rejects(cloud.lambda.send(new InvokeCommand({ FunctionName: name })), (error: unknown) => {
        assert.ok(error instanceof ResourceConflictException);
        assert.equal(error.message, 'The operation cannot be performed at this time. The function is currently in the following state: Failed');
        return true;
      });

      await cloud.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await zipFixture('echo') }));
      await waitUpdated(cloud, name);
      assert.equal((await cloud.lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration?.State, 'Active');
      const answer = await cloud.lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{"mended":true}') }));
      assert.deepEqual(decodeJson(answer.Payload), { mended: true });
    } finally {
      await cloud.close();
    }
  });

  it('a function whose creation a killed cloud left unpacking is Active at the next start and unpacked at its first invocation', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-lambda-unpacking-'));
    try {
      const first = await startLambdaCloud({ stateDir });
      const fn = await createFixtureFunction(first, 'echo');
      const folder = lambdaInternals(first.cloud.context)!.code.directoryOf(Buffer.from(fn.CodeSha256!, 'base64').toString('hex'));
      await first.close();
      // What kill -9 during the unpack leaves: the function recorded as unpacking, no code folder (a half-written one
      // is a staging folder, which the start-up sweep removes).
      const { openDatabase } = await import('../../../emulator/state/database.js');
      const db = openDatabase(stateDir);
      const row = db.prepare<[string], { document: string }>('SELECT document FROM lambda_functions WHERE name = ?').get(fn.FunctionName)!;
      db.prepare('UPDATE lambda_functions SET document = ? WHERE name = ?').run(JSON.stringify({ ...JSON.parse(row.document), readyAt: UNPACKING }), fn.FunctionName);
      db.close();
      rmSync(folder, { recursive: true, force: true });

      const second = await startLambdaCloud({ stateDir });
      try {
        const got = await second.lambda.send(new GetFunctionCommand({ FunctionName: fn.FunctionName }));
        assert.equal(got.Configuration?.State, 'Active');
        const answer = await second.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: Buffer.from('{"restarted":true}') }));
        assert.equal(answer.FunctionError, undefined);
        assert.deepEqual(decodeJson(answer.Payload), { restarted: true });
        assert.equal(existsSync(folder), true);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
