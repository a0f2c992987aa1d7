// A nodejs22.x function's first cold start of a new code folder reads V8's compiled code of modules it already
// ran: from the package it replaces, for the files they share (dev's new package per save), and from the same
// package run from another state directory (a first setup). Node.js says what it accepted when NODE_DEBUG_NATIVE
// asks it to; that is the evidence, read from the invocation's log tail.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InvokeCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { storedCompileCache } from '../../../emulator/runtime/compile-cache.js';
import { defaultCacheRoot } from '../../../emulator/runtime/node-cache.js';
import { zipEntries } from '../../fixtures/functions/build-zip.js';
import { createFixtureFunction, decodeJson, eventually, startLambdaCloud, waitUpdated, type LambdaTestCloud } from './support.js';

const DATE = new Date(Date.UTC(2020, 0, 1));
const DEBUG = { Variables: { NODE_DEBUG_NATIVE: 'COMPILE_CACHE' } };

/** A package whose handler module is unique to this run (so no cache anywhere has it), plus a data file. */
function handlerSource(): string {
  return `// ${randomUUID()}\nexport const handler = async (event) => ({ echoed: event });\n`;
}

async function packageOf(handler: string, data: string): Promise<Buffer> {
  return zipEntries([
    { name: 'index.mjs', data: handler, date: DATE },
    { name: 'data.txt', data, date: DATE },
  ]);
}

async function invokeTail(cloud: LambdaTestCloud, functionName: string): Promise<string> {
  const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from('{"n":1}'), LogType: 'Tail' }));
  assert.equal(result.FunctionError, undefined, Buffer.from(result.Payload ?? []).toString());
  assert.deepEqual(decodeJson(result.Payload), { echoed: { n: 1 } });
  return Buffer.from(result.LogResult ?? '', 'base64').toString('utf8');
}

const ACCEPTED = /cache for file:\/\/\S+\/index\.mjs was accepted/;

describe('compile cache carried between code folders', () => {
  it("a new package's first cold start reads the compiled code of the module it shares with the package it replaces", async () => {
    const cloud = await startLambdaCloud();
    try {
      const handler = handlerSource();
      const fn = await createFixtureFunction(cloud, 'echo', { Runtime: 'nodejs22.x', Timeout: 10, Environment: DEBUG });
      await cloud.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: fn.FunctionName, ZipFile: await packageOf(handler, 'one') }));
      await waitUpdated(cloud, fn.FunctionName);
      // Never compiled anywhere: nothing to accept (the control: the tail shows what Node.js said).
      const first = await invokeTail(cloud, fn.FunctionName);
      assert.doesNotMatch(first, ACCEPTED, first);
      // Another package (its data file differs) at another folder, sharing index.mjs unchanged.
      await cloud.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: fn.FunctionName, ZipFile: await packageOf(handler, 'two') }));
      await waitUpdated(cloud, fn.FunctionName);
      const second = await invokeTail(cloud, fn.FunctionName);
      assert.match(second, ACCEPTED, second);
    } finally {
      await cloud.close();
    }
  });

  it("a package's first cold start in a new state directory reads what the same package compiled in another, at its MemorySize", async () => {
    const zip = await packageOf(handlerSource(), 'same');
    const first = await startLambdaCloud();
    let digest = '';
    try {
      // Two memory sizes: two sets of V8 heap flags, whose compiled code Node.js keeps apart.
      for (const MemorySize of [128, 256]) {
        const fn = await createFixtureFunction(first, 'echo', { Runtime: 'nodejs22.x', Timeout: 10, MemorySize, Environment: DEBUG, Code: { ZipFile: zip } });
        digest = Buffer.from(fn.CodeSha256!, 'base64').toString('hex');
        const tail = await invokeTail(first, fn.FunctionName);
        if (MemorySize === 128) assert.doesNotMatch(tail, ACCEPTED, tail);
        // Offered to the machine-wide store shortly after each init: one subfolder per Node.js version and flags.
        const store = storedCompileCache(defaultCacheRoot(), digest);
        const subfolders = MemorySize === 128 ? 1 : 2;
        await eventually(() => (existsSync(store) && readdirSync(store).length === subfolders) || undefined, 10_000, `the store's subfolder for ${MemorySize} MB`);
      }
    } finally {
      await first.close();
    }
    const second = await startLambdaCloud();
    try {
      const fn = await createFixtureFunction(second, 'echo', { Runtime: 'nodejs22.x', Timeout: 10, MemorySize: 256, Environment: DEBUG, Code: { ZipFile: zip } });
      assert.equal(Buffer.from(fn.CodeSha256!, 'base64').toString('hex'), digest);
      const tail = await invokeTail(second, fn.FunctionName);
      assert.match(tail, ACCEPTED, tail);
    } finally {
      await second.close();
    }
  });
});
