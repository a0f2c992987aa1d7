// OS-only runtimes (provided.al2023, provided.al2) through the real LambdaClient: the package's own `bootstrap`
// runs against the environment's Runtime API, with Lambda's variables for a custom runtime, and a missing or
// non-executable bootstrap fails init as Lambda reports it. Also the Invoke ClientContext, which every runtime
// reads from the Runtime API as JSON. AWS's own runtime client on the same path: ric.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { zipEntries } from '../../fixtures/functions/build-zip.js';
import { createFixtureFunction, decodeJson, eventually, functionLogEvents, startLambdaCloud, type LambdaTestCloud } from './support.js';

let cloud: LambdaTestCloud;
before(async () => {
  cloud = await startLambdaCloud();
});
after(async () => {
  await cloud.close();
});

const tailOf = (logResult: string | undefined) => Buffer.from(logResult ?? '', 'base64').toString('utf8');

/**
 * A custom runtime as small as AWS's tutorial one (there in bash and curl): a loop on the Runtime API that answers
 * each event with what the function saw. Written with fetch, since the host's Node.js is on the PATH.
 */
const MINIMAL_RUNTIME = `
const api = \`http://\${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime\`;
for (;;) {
  const next = await fetch(\`\${api}/invocation/next\`);
  const requestId = next.headers.get('lambda-runtime-aws-request-id');
  const event = await next.json();
  const pick = (names) => Object.fromEntries(names.map((name) => [name, process.env[name] ?? null]));
  const seen = {
    event,
    argv: process.argv.slice(2),
    cwd: process.cwd(),
    env: pick(['_HANDLER', 'AWS_EXECUTION_ENV', 'LAMBDA_TASK_ROOT', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE']),
    deadline: Number(next.headers.get('lambda-runtime-deadline-ms')),
    arn: next.headers.get('lambda-runtime-invoked-function-arn'),
  };
  await fetch(\`\${api}/invocation/\${requestId}/response\`, { method: 'POST', body: JSON.stringify(seen) });
}
`;

async function customPackage(bootstrap: { data: string; mode: number } | undefined): Promise<Buffer> {
  return zipEntries([
    { name: 'runtime.mjs', data: MINIMAL_RUNTIME },
    ...(bootstrap ? [{ name: 'bootstrap', ...bootstrap }] : []),
  ]);
}

const BOOTSTRAP = '#!/bin/sh\ncd "$LAMBDA_TASK_ROOT"\nexec node runtime.mjs "$_HANDLER"\n';

describe('OS-only runtimes', () => {
  for (const runtime of ['provided.al2023', 'provided.al2'] as const) {
    it(`runs the package's own bootstrap on ${runtime}, with Lambda's variables for a custom runtime`, async () => {
      const fn = await createFixtureFunction(cloud, 'echo', {
        Runtime: runtime,
        Handler: 'anything.the-runtime-reads',
        Code: { ZipFile: await customPackage({ data: BOOTSTRAP, mode: 0o755 }) },
      });
      const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: Buffer.from('{"k":"v"}'), LogType: 'Tail' }));
      assert.equal(result.FunctionError, undefined, Buffer.from(result.Payload ?? new Uint8Array()).toString());
      const seen = decodeJson(result.Payload) as { event: unknown; argv: string[]; env: Record<string, string | null>; deadline: number; arn: string; cwd: string };
      assert.deepEqual(seen.event, { k: 'v' });
      assert.deepEqual(seen.argv, ['anything.the-runtime-reads']);
      assert.equal(seen.env._HANDLER, 'anything.the-runtime-reads');
      // AWS defines AWS_EXECUTION_ENV for its managed runtimes only.
      assert.equal(seen.env.AWS_EXECUTION_ENV, null);
      assert.equal(seen.env.AWS_LAMBDA_FUNCTION_NAME, fn.FunctionName);
      assert.equal(seen.env.LAMBDA_TASK_ROOT, seen.cwd);
      assert.equal(seen.arn, fn.FunctionArn);
      assert.ok(seen.deadline > Date.now() && seen.deadline <= Date.now() + 3000);
      assert.match(tailOf(result.LogResult), /REPORT RequestId: .*Init Duration: [\d.]+ ms\n$/);
      const again = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: Buffer.from('{"k":2}') }));
      assert.deepEqual((decodeJson(again.Payload) as { event: unknown }).event, { k: 2 }, 'the warm environment serves the next event');
      // AWS names an OS-only runtime's versions `provided:al2023.v<N>`.
      const prefix = `INIT_START Runtime Version: ${runtime.replace('.', ':')}.v`;
      await eventually(async () => (await functionLogEvents(cloud, fn.FunctionName)).find((event) => event.message?.startsWith(prefix)), 10_000, prefix);
    });
  }

  it('fails init with Runtime.InvalidEntrypoint when the package has no bootstrap', async () => {
    const fn = await createFixtureFunction(cloud, 'echo', { Runtime: 'provided.al2023', Code: { ZipFile: await customPackage(undefined) } });
    for (let attempt = 0; attempt < 2; attempt++) {
      const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, LogType: 'Tail' }));
      assert.equal(result.FunctionError, 'Unhandled');
      assert.deepEqual(decodeJson(result.Payload), {
        errorType: 'Runtime.InvalidEntrypoint',
        errorMessage: `RequestId: ${result.$metadata.requestId} Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]`,
      });
      assert.match(tailOf(result.LogResult), /INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime.InvalidEntrypoint\n/);
    }
  });

  it('fails init with Runtime.InvalidEntrypoint when the bootstrap is not executable', async () => {
    const fn = await createFixtureFunction(cloud, 'echo', { Runtime: 'provided.al2023', Code: { ZipFile: await customPackage({ data: BOOTSTRAP, mode: 0o644 }) } });
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName }));
    assert.equal(result.FunctionError, 'Unhandled');
    assert.deepEqual(decodeJson(result.Payload), {
      errorType: 'Runtime.InvalidEntrypoint',
      errorMessage: `RequestId: ${result.$metadata.requestId} Error: fork/exec /var/task/bootstrap: permission denied`,
    });
  });
});

describe('Invoke ClientContext', () => {
  it('reaches the function decoded, as context.clientContext (non-ASCII included)', async () => {
    const fn = await createFixtureFunction(cloud, 'runtime-contract', { Handler: 'index.context' });
    const clientContext = { client: { installation_id: 'i-1' }, custom: { note: 'café € 😀', nested: { n: 1 } }, env: { locale: 'fr' } };
    const pretty = JSON.stringify(clientContext, null, 2);
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, ClientContext: Buffer.from(pretty).toString('base64') }));
    assert.equal(result.FunctionError, undefined);
    assert.deepEqual((decodeJson(result.Payload) as { clientContext: unknown }).clientContext, clientContext);
  });

  it('is refused unless it is base64 of JSON, as Lambda answers', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    for (const bad of ['not base64!', Buffer.from('not json').toString('base64'), Buffer.from('{"cut":').toString('base64')]) {
      await assert.rejects(cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, ClientContext: bad })), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, 'InvalidRequestContentException', bad);
        assert.equal(error.message, 'Client context must be a valid Base64-encoded JSON object.');
        assert.equal(error.$metadata?.httpStatusCode, 400);
        return true;
      });
    }
  });
});
