// Invoking functions through the real LambdaClient: synchronous results and their headers, log tails, the
// environment a function sees, and every way an invocation can fail (throw, timeout, OOM, crash, init).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand, ResourceConflictException, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { lambdaInternals } from '../../../emulator/services/lambda/index.js';
import { createFixtureFunction, decodeJson, eventually, functionLogEvents, startLambdaCloud, uniqueName, type LambdaTestCloud } from './support.js';

let cloud: LambdaTestCloud;
before(async () => {
  cloud = await startLambdaCloud();
});
after(async () => {
  await cloud.close();
});

const payloadOf = (value: unknown) => Buffer.from(JSON.stringify(value));
const tailOf = (logResult: string | undefined) => Buffer.from(logResult ?? '', 'base64').toString('utf8');

describe('Invoke (RequestResponse)', () => {
  it('echoes the payload, with Lambda headers and a START/END/REPORT tail', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ a: 1 }), LogType: 'Tail' }));
    assert.equal(result.StatusCode, 200);
    assert.equal(result.FunctionError, undefined);
    assert.equal(result.ExecutedVersion, '$LATEST');
    assert.deepEqual(decodeJson(result.Payload), { a: 1 });
    const tail = tailOf(result.LogResult);
    const requestId = result.$metadata.requestId!;
    assert.match(tail, new RegExp(`START RequestId: ${requestId} Version: \\$LATEST\\n`));
    assert.match(tail, new RegExp(`\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${requestId}\\tINFO\\tevent {"a":1}\\n`));
    assert.match(tail, new RegExp(`END RequestId: ${requestId}\\n`));
    assert.match(tail, new RegExp(`REPORT RequestId: ${requestId}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d\\d ms\\n$`));
  });

  it('reuses a warm environment: no Init Duration the second time', async () => {
    const fn = await createFixtureFunction(cloud, 'inspect');
    const first = decodeJson((await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName }))).Payload) as { invocations: number };
    const second = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, LogType: 'Tail' }));
    assert.equal(first.invocations, 1);
    assert.equal((decodeJson(second.Payload) as { invocations: number }).invocations, 2);
    assert.doesNotMatch(tailOf(second.LogResult), /Init Duration/);
  });

  it('runs CommonJS callback-style handlers', async () => {
    const fn = await createFixtureFunction(cloud, 'echo-cjs');
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ b: 2 }) }));
    assert.deepEqual(decodeJson(result.Payload), { format: 'cjs', event: { b: 2 } });
  });

  it("gives the function Lambda's environment and context, and nothing of ours", async () => {
    const fn = await createFixtureFunction(cloud, 'inspect', { MemorySize: 256, Environment: { Variables: { STAGE: 'test' } } });
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, LogType: 'Tail' }));
    const seen = decodeJson(result.Payload) as { env: Record<string, string>; context: Record<string, unknown> };
    const env = seen.env;
    assert.equal(env.STAGE, 'test');
    assert.equal(env.AWS_LAMBDA_FUNCTION_NAME, fn.FunctionName);
    assert.equal(env.AWS_LAMBDA_FUNCTION_VERSION, '$LATEST');
    assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '256');
    assert.equal(env.AWS_LAMBDA_LOG_GROUP_NAME, `/aws/lambda/${fn.FunctionName}`);
    assert.match(env.AWS_LAMBDA_LOG_STREAM_NAME ?? '', /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.equal(env.AWS_REGION, 'us-east-1');
    assert.equal(env.AWS_DEFAULT_REGION, 'us-east-1');
    assert.equal(env.AWS_EXECUTION_ENV, 'AWS_Lambda_nodejs22.x');
    assert.equal(env._HANDLER, 'index.handler');
    assert.match(env.AWS_LAMBDA_RUNTIME_API ?? '', /^127\.0\.0\.1:\d+$/);
    assert.equal(env.AWS_ENDPOINT_URL, cloud.endpoint);
    assert.equal(env.TZ, ':UTC');
    assert.equal(env.AWS_XRAY_CONTEXT_MISSING, 'LOG_ERROR');
    assert.ok(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY && env.AWS_SESSION_TOKEN);
    assert.ok(env.LAMBDA_TASK_ROOT && env.LAMBDA_RUNTIME_DIR);
    assert.match(env._X_AMZN_TRACE_ID ?? '', /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Sampled=0;Lineage=/);
    assert.equal(env.NODE_PATH, undefined);
    assert.equal(env.NODE_OPTIONS, undefined, 'the parent environment does not leak');
    assert.equal(seen.context.awsRequestId, result.$metadata.requestId);
    assert.equal(seen.context.functionName, fn.FunctionName);
    assert.equal(seen.context.memoryLimitInMB, '256');
    assert.equal(seen.context.invokedFunctionArn, fn.FunctionArn);
    assert.ok((seen.context.remaining as number) > 2000 && (seen.context.remaining as number) <= 3000);
    // console.log keeps a multi-line message in one event; raw stdout JSON passes through untouched.
    const tail = tailOf(result.LogResult);
    assert.match(tail, /\tINFO\tline one\nline two\n/);
    assert.match(tail, /\tWARN\ta warning\n/);
    assert.match(tail, /\n\{"level":"INFO","message":"raw json line"\}\n/);
  });

  it("starts node with the heap limits Lambda's runtime derives from MemorySize, and at most two malloc arenas", async () => {
    const fn = await createFixtureFunction(cloud, 'inspect', { MemorySize: 256 });
    const seen = decodeJson((await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName }))).Payload) as {
      env: Record<string, string>;
      execArgv: string[];
      heapSizeLimitMb: number;
    };
    // A tenth of 256 MB for the young generation (two semi-spaces of 12 MB), the other 231 MB for the old one.
    assert.ok(seen.execArgv.includes('--max-semi-space-size=12'), seen.execArgv.join(' '));
    assert.ok(seen.execArgv.includes('--max-old-space-size=231'), seen.execArgv.join(' '));
    // V8 took them: its limit is the old generation plus the young one, not the host's default of gigabytes.
    assert.ok(seen.heapSizeLimitMb >= 231 && seen.heapSizeLimitMb < 320, `heap limit ${seen.heapSizeLimitMb} MB`);
    assert.equal(seen.env.GLIBC_TUNABLES, 'glibc.malloc.arena_max=2');
    assert.equal(seen.env.MALLOC_ARENA_MAX, undefined, 'sharp would run more threads than on Lambda');
  });

  it("starts node with the other flags Lambda's runtime passes: gc() exposed, 80 KB of response headers", async () => {
    const fn = await createFixtureFunction(cloud, 'inspect');
    const seen = decodeJson((await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName }))).Payload) as { gc: string; maxHeaderSize: number };
    assert.equal(seen.gc, 'function');
    assert.equal(seen.maxHeaderSize, 81920);
  });

  it('lets a function set its own glibc tunables', async () => {
    const fn = await createFixtureFunction(cloud, 'inspect', { Environment: { Variables: { GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' } } });
    const seen = decodeJson((await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName }))).Payload) as { env: Record<string, string> };
    assert.equal(seen.env.GLIBC_TUNABLES, 'glibc.malloc.arena_max=4');
  });

  it('reports a thrown error as an Unhandled function error', async () => {
    const fn = await createFixtureFunction(cloud, 'thrower');
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ key: 'x.jpg' }), LogType: 'Tail' }));
    assert.equal(result.StatusCode, 200);
    assert.equal(result.FunctionError, 'Unhandled');
    const error = decodeJson(result.Payload) as { errorType: string; errorMessage: string; trace: string[] };
    assert.equal(error.errorType, 'ThumbnailError');
    assert.equal(error.errorMessage, 'cannot process {"key":"x.jpg"}');
    assert.match(error.trace[0] ?? '', /^ThumbnailError: cannot process/);
    assert.match(tailOf(result.LogResult), /\tERROR\tInvoke Error \t?\{"errorType":"ThumbnailError"/);
  });

  it('times out after Timeout seconds, as Lambda words it', async () => {
    const fn = await createFixtureFunction(cloud, 'sleeper', { Timeout: 1 });
    const started = Date.now();
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, LogType: 'Tail' }));
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1000, `took ${elapsed} ms`);
    assert.equal(result.FunctionError, 'Unhandled');
    // Cut short by the timeout, not slept out (the sleeper sleeps 5 s): Lambda's own words say which.
    assert.match(decodeJson(result.Payload) ? JSON.stringify(decodeJson(result.Payload)) : '', /Task timed out after 1\.00 seconds/);
    const requestId = result.$metadata.requestId!;
    const error = decodeJson(result.Payload) as { errorMessage: string };
    assert.match(error.errorMessage, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${requestId} Task timed out after 1.00 seconds$`));
    const tail = tailOf(result.LogResult);
    assert.match(tail, new RegExp(`Z ${requestId} Task timed out after 1.00 seconds\\n`));
    assert.match(tail, /\tStatus: timeout\n$/);
    // The environment was killed; the next invocation starts a new one.
    const again = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ sleepMs: 10 }), LogType: 'Tail' }));
    assert.deepEqual(decodeJson(again.Payload), 'woke up');
    assert.match(tailOf(again.LogResult), /Init Duration/);
  });

  it('kills a function that exceeds its memory: Runtime.OutOfMemory', async () => {
    const fn = await createFixtureFunction(cloud, 'memory-hog', { MemorySize: 128, Timeout: 10 });
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, LogType: 'Tail' }));
    assert.equal(result.FunctionError, 'Unhandled');
    const error = decodeJson(result.Payload) as { errorType: string; errorMessage: string };
    assert.equal(error.errorType, 'Runtime.OutOfMemory');
    assert.equal(error.errorMessage, `RequestId: ${result.$metadata.requestId} Error: Runtime exited with error: signal: killed`);
    assert.match(tailOf(result.LogResult), /Max Memory Used: 128 MB.*\tStatus: error\tError Type: Runtime.OutOfMemory/);
  });

  it('reports a process exit mid-invocation as Runtime.ExitError and replaces the environment', async () => {
    const fn = await createFixtureFunction(cloud, 'exiter');
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, LogType: 'Tail' }));
    const error = decodeJson(result.Payload) as { errorType: string; errorMessage: string };
    assert.equal(result.FunctionError, 'Unhandled');
    assert.equal(error.errorType, 'Runtime.ExitError');
    assert.equal(error.errorMessage, `RequestId: ${result.$metadata.requestId} Error: Runtime exited with error: exit status 1`);
    assert.match(tailOf(result.LogResult), /INFO\texiting now\n/);
    await eventually(() => (lambdaInternals(cloud.cloud.context)!.runtime.environments(fn.FunctionName).length === 0 ? true : undefined), 2000, 'the dead environment to go');
  });

  it('reports an uncaught exception against the invocation, and the runtime it ends fails no later invocation', async () => {
    // The runtime posts the error, then exits (as Lambda's does): the next invocation must get a new environment
    // rather than the exiting one, whatever the timing.
    const fn = await createFixtureFunction(cloud, 'runtime-contract', { Handler: 'index.uncaught' });
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName }));
      assert.equal(result.FunctionError, 'Unhandled');
      const error = decodeJson(result.Payload) as { errorType: string; errorMessage: string };
      assert.deepEqual([error.errorType, error.errorMessage], ['CustomError', 'thrown outside the handler'], `attempt ${attempt + 1}`);
    }
  });

  it('streams a response (awslambda.streamifyResponse): Invoke gets it whole; a failure part-way is the error', async () => {
    // What ric.test.ts compares with AWS's own runtime client, kept here for machines without it.
    for (const Runtime of ['nodejs22.x', 'nodejs24.x'] as const) {
      const text = async (Handler: string) => {
        const fn = await createFixtureFunction(cloud, 'runtime-contract', { Handler, Runtime });
        const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName }));
        return { error: result.FunctionError, body: Buffer.from(result.Payload ?? new Uint8Array()).toString('utf8') };
      };
      assert.deepEqual(await text('streaming.chunks'), { error: undefined, body: 'first,second' }, Runtime);
      const prelude = JSON.stringify({ statusCode: 201, headers: { 'x-note': 'streamed' } });
      assert.deepEqual(await text('streaming.http'), { error: undefined, body: `${prelude}${'\0'.repeat(8)}body` }, Runtime);
      const broken = await text('streaming.failsMidway');
      const error = JSON.parse(broken.body) as { errorType?: string; errorMessage?: string; trace?: string[] };
      assert.deepEqual([broken.error, error.errorType, error.errorMessage, error.trace?.[0]], ['Unhandled', 'Error', 'stream broke', 'Error: stream broke'], Runtime);
    }
  });

  it('fails every invocation of a function whose init fails, with the init error', async () => {
    const fn = await createFixtureFunction(cloud, 'init-failure');
    for (let attempt = 0; attempt < 2; attempt++) {
      const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, LogType: 'Tail' }));
      assert.equal(result.FunctionError, 'Unhandled');
      const error = decodeJson(result.Payload) as { errorType: string; errorMessage: string };
      assert.equal(error.errorType, 'Error');
      assert.equal(error.errorMessage, 'configuration missing at init');
      assert.match(tailOf(result.LogResult), /INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Error\n/);
    }
  });

  it('reports a missing handler module and a missing export as Lambda does', async () => {
    const noModule = await createFixtureFunction(cloud, 'echo', { Handler: 'missing.handler' });
    const first = await cloud.lambda.send(new InvokeCommand({ FunctionName: noModule.FunctionName }));
    const importError = decodeJson(first.Payload) as { errorType: string; errorMessage: string };
    assert.equal(importError.errorType, 'Runtime.ImportModuleError');
    assert.match(importError.errorMessage, /^Error: Cannot find module 'missing'/);
    const noExport = await createFixtureFunction(cloud, 'echo', { Handler: 'index.nothing' });
    const second = decodeJson((await cloud.lambda.send(new InvokeCommand({ FunctionName: noExport.FunctionName }))).Payload) as { errorType: string; errorMessage: string };
    assert.equal(second.errorType, 'Runtime.HandlerNotFound');
    assert.equal(second.errorMessage, 'index.nothing is undefined or not exported');
  });

  it('refuses a runtime that does not run locally, a bad payload, and unknown functions', async () => {
    const python = await createFixtureFunction(cloud, 'echo', { Runtime: 'python3.12' });
    await assert.rejects(cloud.lambda.send(new InvokeCommand({ FunctionName: python.FunctionName })), (error: Error) => {
      assert.equal(error.name, 'InvalidRuntimeException');
      assert.match(error.message, /python3.12 cannot run in the local cloud/);
      return true;
    });
    const echo = await createFixtureFunction(cloud, 'echo');
    await assert.rejects(cloud.lambda.send(new InvokeCommand({ FunctionName: echo.FunctionName, Payload: Buffer.from('{not json') })), {
      name: 'InvalidRequestContentException',
    });
    await assert.rejects(cloud.lambda.send(new InvokeCommand({ FunctionName: uniqueName('missing') })), ResourceNotFoundException);
  });

  it('answers 409 to an invocation while the function is Pending', async () => {
    const slow = await startLambdaCloud({ stateDelayMs: 2000 });
    try {
      const { CreateFunctionCommand } = await import('@aws-sdk/client-lambda');
      const { zipFixture } = await import('../../fixtures/functions/build-zip.js');
      const name = uniqueName('pending');
      await slow.lambda.send(
        new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: slow.roleArn, Code: { ZipFile: await zipFixture('echo') } }),
      );
      await assert.rejects(slow.lambda.send(new InvokeCommand({ FunctionName: name })), (error: Error) => {
        assert.ok(error instanceof ResourceConflictException);
        assert.equal(error.message, 'The operation cannot be performed at this time. The function is currently in the following state: Pending');
        return true;
      });
    } finally {
      await slow.close();
    }
  });
});

describe('Invoke (Event and DryRun)', () => {
  it('DryRun answers 204 without running anything', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, InvocationType: 'DryRun' }));
    assert.equal(result.StatusCode, 204);
    assert.equal(lambdaInternals(cloud.cloud.context)!.runtime.environments(fn.FunctionName).length, 0);
  });

  it('Event answers 202 at once and runs the function from the queue (seen in its logs)', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, InvocationType: 'Event', Payload: payloadOf({ async: true }) }));
    assert.equal(result.StatusCode, 202);
    const requestId = result.$metadata.requestId!;
    const events = await eventually(async () => {
      const all = await functionLogEvents(cloud, fn.FunctionName);
      return all.some((event) => event.message?.startsWith(`REPORT RequestId: ${requestId}`)) ? all : undefined;
    }, 10_000, 'the REPORT line');
    const messages = events.map((event) => event.message ?? '');
    assert.ok(messages.some((message) => message.startsWith('INIT_START Runtime Version: nodejs:22')));
    assert.ok(messages.includes(`START RequestId: ${requestId} Version: $LATEST\n`));
    assert.ok(messages.some((message) => message.endsWith(`\t${requestId}\tINFO\tevent {"async":true}\n`)));
    assert.ok(messages.includes(`END RequestId: ${requestId}\n`));
  });

  it('runs many invocations at once, each environment in its own process', async () => {
    const fn = await createFixtureFunction(cloud, 'sleeper');
    const results = await Promise.all(
      Array.from({ length: 3 }, () => cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: payloadOf({ sleepMs: 700 }) }))),
    );
    assert.ok(results.every((result) => decodeJson(result.Payload) === 'woke up'));
    // A new environment starts only while every other one is busy: three of them means three ran at once.
    const pids = new Set(lambdaInternals(cloud.cloud.context)!.runtime.environments(fn.FunctionName).map((environment) => environment.pid));
    assert.equal(pids.size, 3);
  });
});
