// InvokeWithResponseStream through the real LambdaClient, botocore (the aws CLI's own library) and the aws CLI where
// it has the command: the function's
// chunks arrive as it writes them, InvokeComplete ends the stream (errors, timeouts, the log tail), a buffered
// handler's answer comes as one chunk, and the checks before anything runs are plain HTTP errors, as on AWS.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  InvokeWithResponseStreamCommand,
  LambdaClient,
  type InvokeWithResponseStreamCommandOutput,
  type InvokeWithResponseStreamCompleteEvent,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { lambdaInternals } from '../../../emulator/services/lambda/index.js';
import { MAX_STREAMED_RESPONSE_BYTES } from '../../../emulator/runtime/runtime-api.js';
import { zipEntries } from '../../fixtures/functions/build-zip.js';
import { AWS_CLI, runAws, TEST_CREDENTIALS } from '../../helpers/local-cloud.js';
import { createFixtureFunction, eventually, fastWaiter, startLambdaCloud, uniqueName, type LambdaTestCloud } from './support.js';

// Streaming handlers, one per behaviour. `gated` writes, waits until the test says it got the first chunk (over
// HTTP, from a server the test runs), then writes again: it can only finish if the first chunk was delivered first.
const STREAMING_SOURCE = `
export const gated = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('first;');
  const answer = await fetch(event.gate);
  responseStream.write('second:' + (await answer.text()));
  responseStream.end();
});
export const failsMidway = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('partial');
  await new Promise((resolve) => setTimeout(resolve, 10));
  throw new Error('stream broke');
});
export const hangs = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('before the timeout');
  console.log('waiting for ever');
  await new Promise(() => setInterval(() => undefined, 1000));
});
export const large = awslambda.streamifyResponse(async (event, responseStream) => {
  const block = Buffer.alloc(64 * 1024, 120);
  for (let i = 0; i < event.blocks; i += 1) {
    if (!responseStream.write(block)) await new Promise((resolve) => responseStream.once('drain', resolve));
  }
  responseStream.end();
});
export const buffered = async (event) => ({ answered: 'whole', event });
export const throws = async () => {
  throw new TypeError('not streamed, failed');
};
`;

const execFileAsync = promisify(execFile);

let cloud: LambdaTestCloud;
let fn: string;
let gate: Server;
let gateUrl: string;
/** Called when the function asks the gate; the test answers it once it has seen the first chunk. */
let onGateAsked: ((answer: (text: string) => void) => void) | undefined;

async function createStreamingFunction(handler: string, timeout = 3): Promise<string> {
  const name = uniqueName('stream');
  await cloud.lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Handler: `index.${handler}`,
      Role: cloud.roleArn,
      Code: { ZipFile: await zipEntries([{ name: 'index.mjs', data: STREAMING_SOURCE }]) },
      Timeout: timeout,
      MemorySize: 128,
    }),
  );
  await waitUntilFunctionActiveV2(fastWaiter(cloud.lambda), { FunctionName: name });
  return name;
}

interface StreamRead {
  chunks: string[];
  complete: InvokeWithResponseStreamCompleteEvent | undefined;
  events: number;
}

/** Reads the whole event stream; `onChunk` sees each chunk as it arrives. */
async function readStream(output: InvokeWithResponseStreamCommandOutput, onChunk?: (text: string) => void): Promise<StreamRead> {
  const read: StreamRead = { chunks: [], complete: undefined, events: 0 };
  for await (const event of output.EventStream ?? []) {
    read.events += 1;
    if (event.PayloadChunk?.Payload) {
      const text = Buffer.from(event.PayloadChunk.Payload).toString('utf8');
      read.chunks.push(text);
      onChunk?.(text);
    }
    if (event.InvokeComplete) read.complete = event.InvokeComplete;
  }
  return read;
}

before(async () => {
  cloud = await startLambdaCloud();
  fn = await createStreamingFunction('gated');
  gate = createServer((_req, res) => {
    const answer = (text: string): void => {
      res.end(text);
    };
    if (onGateAsked) onGateAsked(answer);
    else res.end('nobody waiting');
  });
  await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
  gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/gate`;
});

after(async () => {
  gate.closeAllConnections();
  gate.close();
  await cloud.close();
});

describe('InvokeWithResponseStream', () => {
  it('delivers each chunk as the function writes it: the function finishes only after the first chunk reached the caller', async () => {
    // Prepare: the gate answers only once the caller holds the first chunk.
    let firstChunkSeen: (() => void) | undefined;
    const firstChunk = new Promise<void>((resolve) => (firstChunkSeen = resolve));
    onGateAsked = (answer) => void firstChunk.then(() => answer('released'));

    // Act
    const output = await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify({ gate: gateUrl })) }));
    const read = await readStream(output, (text) => {
      if (text.includes('first;')) firstChunkSeen?.();
    });
    onGateAsked = undefined;

    // Assess
    assert.equal(output.StatusCode, 200);
    assert.equal(output.ExecutedVersion, '$LATEST');
    assert.equal(output.ResponseStreamContentType, 'application/vnd.amazon.eventstream');
    assert.deepEqual(read.chunks, ['first;', 'second:released']);
    assert.deepEqual(read.complete, {});
    // The last event is InvokeComplete, after the two chunks.
    assert.equal(read.events, 3);
  });

  it('ends with InvokeComplete carrying the log tail under LogType Tail', async () => {
    onGateAsked = (answer) => answer('at once');
    const output = await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: fn, LogType: 'Tail', Payload: Buffer.from(JSON.stringify({ gate: gateUrl })) }));
    const read = await readStream(output);
    onGateAsked = undefined;

    assert.deepEqual(read.chunks.join(''), 'first;second:at once');
    const log = Buffer.from(read.complete?.LogResult ?? '', 'base64').toString('utf8');
    assert.match(log, /^START RequestId: /m);
    assert.match(log, /^REPORT RequestId: /m);
    assert.equal(read.complete?.ErrorCode, undefined);
  });

  it('answers a handler that does not stream in one chunk, as AWS buffers it', async () => {
    const name = await createStreamingFunction('buffered');
    const output = await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: Buffer.from('{"n":1}') }));
    const read = await readStream(output);

    assert.deepEqual(read.chunks.map((text) => JSON.parse(text) as unknown), [{ answered: 'whole', event: { n: 1 } }]);
    assert.deepEqual(read.complete, {});
  });

  it('tells a function that fails part-way in InvokeComplete, after the chunks it wrote', async () => {
    const name = await createStreamingFunction('failsMidway');
    const output = await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name }));
    const read = await readStream(output);

    assert.equal(output.StatusCode, 200);
    assert.deepEqual(read.chunks, ['partial']);
    assert.equal(read.complete?.ErrorCode, 'Error');
    assert.equal(read.complete?.ErrorDetails, 'stream broke');
  });

  it('tells a buffered handler that throws in InvokeComplete, with no chunk', async () => {
    const name = await createStreamingFunction('throws');
    const read = await readStream(await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name })));

    assert.deepEqual(read.chunks, []);
    assert.equal(read.complete?.ErrorCode, 'TypeError');
    assert.equal(read.complete?.ErrorDetails, 'not streamed, failed');
  });

  it('tells a timeout in InvokeComplete (Sandbox.Timedout), after what was written before it', async () => {
    const name = await createStreamingFunction('hangs', 1);
    const read = await readStream(await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name })));

    assert.deepEqual(read.chunks, ['before the timeout']);
    assert.equal(read.complete?.ErrorCode, 'Sandbox.Timedout');
    assert.match(read.complete?.ErrorDetails ?? '', /Task timed out after 1\.00 seconds/);
  });

  it('streams more than a buffered response may hold (6 MB), read back whole', async () => {
    const name = await createStreamingFunction('large', 30);
    const blocks = 160; // 10 MiB
    const read = await readStream(await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify({ blocks })) })));

    assert.equal(read.complete?.ErrorCode, undefined);
    assert.equal(read.chunks.reduce((sum, text) => sum + Buffer.byteLength(text), 0), blocks * 64 * 1024);
    assert.ok(read.chunks.length > 1, 'a large response comes in many chunks');
  });

  it('fails a response past 200 MB with Function.ResponseSizeTooLarge, having delivered no more than the limit', async () => {
    const name = await createStreamingFunction('large', 60);
    const blocks = MAX_STREAMED_RESPONSE_BYTES / (64 * 1024) + 2;
    let bytes = 0;
    const read = await readStream(await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify({ blocks })) })), (text) => {
      bytes += Buffer.byteLength(text);
    });

    assert.equal(read.complete?.ErrorCode, 'Function.ResponseSizeTooLarge');
    assert.match(read.complete?.ErrorDetails ?? '', new RegExp(`exceeded maximum allowed payload size \\(${MAX_STREAMED_RESPONSE_BYTES} bytes\\)`));
    assert.ok(bytes <= MAX_STREAMED_RESPONSE_BYTES, `${bytes} bytes delivered`);
  });

  it('keeps the environment when the caller goes away mid-stream: the invocation runs to its end and the next one is served', async () => {
    const name = await createStreamingFunction('gated');
    let released: (() => void) | undefined;
    onGateAsked = (answer) => (released = () => answer('after the caller left'));
    const controller = new AbortController();
    const output = await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify({ gate: gateUrl })) }), {
      abortSignal: controller.signal,
    });
    const iterator = output.EventStream![Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(Buffer.from(first.value?.PayloadChunk?.Payload ?? []).toString('utf8'), 'first;');
    controller.abort();
    await eventually(() => (released ? true : undefined), 10_000, 'the function to ask the gate');
    released!();
    // The invocation the caller left runs to its end and gives its environment back (nothing waits on the reader).
    const environments = () => lambdaInternals(cloud.cloud.context)!.runtime.environments(name);
    await eventually(() => (environments().length === 1 && environments()[0]!.state === 'idle' ? true : undefined), 10_000, 'the environment to be idle again');
    onGateAsked = (answer) => answer('second call');

    const read = await readStream(await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify({ gate: gateUrl })) })));
    onGateAsked = undefined;
    assert.deepEqual(read.chunks, ['first;', 'second:second call']);
    // One environment served both: the first invocation finished and gave it back.
    assert.equal(environments().length, 1);
  });

  it('answers DryRun 204 with no stream, running nothing', async () => {
    const output = await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: fn, InvocationType: 'DryRun' }));
    assert.equal(output.StatusCode, 204);
  });

  it('refuses what Invoke refuses before anything runs: an unknown function, an invocation type it has not', async () => {
    await assert.rejects(cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'no-such-function' })), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(error.name, 'ResourceNotFoundException');
      assert.equal(error.$metadata?.httpStatusCode, 404);
      assert.equal(error.message, 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:no-such-function');
      return true;
    });
    await assert.rejects(
      cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: fn, InvocationType: 'Event' as 'DryRun' })),
      (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, 'ValidationException');
        assert.equal(error.$metadata?.httpStatusCode, 400);
        assert.equal(error.message, "1 validation error detected: Value 'Event' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [RequestResponse, DryRun]");
        return true;
      },
    );
    await assert.rejects(cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: fn, Payload: Buffer.from('{not json') })), { name: 'InvalidRequestContentException' });
    await assert.rejects(cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: fn, Qualifier: '7' })), { name: 'ResourceNotFoundException' });
  });

  it('takes Qualifier $LATEST', async () => {
    onGateAsked = (answer) => answer('qualified');
    const output = await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: fn, Qualifier: '$LATEST', Payload: Buffer.from(JSON.stringify({ gate: gateUrl })) }));
    const read = await readStream(output);
    onGateAsked = undefined;
    assert.equal(output.ExecutedVersion, '$LATEST');
    assert.equal(read.chunks.join(''), 'first;second:qualified');
  });
});

describe('InvokeWithResponseStream under --require-auth', () => {
  let guarded: LambdaTestCloud;
  let guardedFn: string;
  before(async () => {
    guarded = await startLambdaCloud({ requireAuth: { ...TEST_CREDENTIALS } });
    guardedFn = (await createFixtureFunction(guarded, 'echo')).FunctionName;
  });
  after(async () => {
    await guarded.close();
  });

  it('serves the account keys and refuses a wrong secret with InvalidSignatureException', async () => {
    const read = await readStream(await guarded.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: guardedFn, Payload: Buffer.from('{"ok":true}') })));
    assert.deepEqual(JSON.parse(read.chunks.join('')), { ok: true });

    const forged = new LambdaClient({ ...guarded.clientConfig, credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' } });
    try {
      await assert.rejects(forged.send(new InvokeWithResponseStreamCommand({ FunctionName: guardedFn })), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.$metadata?.httpStatusCode, 403);
        return true;
      });
    } finally {
      forged.destroy();
    }
  });
});

describe('aws lambda invoke-with-response-stream', () => {
  // AWS CLI v1 (Debian's) has no command for operations that answer an event stream; v2 has.
  const hasCommand = spawnSync(AWS_CLI, ['lambda', 'invoke-with-response-stream', 'help'], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_PAGER: '' } }).status === 0;

  it('writes the streamed response', { skip: hasCommand ? false : `the installed aws CLI (${AWS_CLI}) has no invoke-with-response-stream command (v1 omits event-stream operations)` }, async () => {
    const name = await createStreamingFunction('buffered');
    const folder = mkdtempSync(join(tmpdir(), 'stream-cli-'));
    try {
      const outfile = join(folder, 'out');
      const result = await runAws(cloud.endpoint, ['lambda', 'invoke-with-response-stream', '--function-name', name, '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"via":"cli"}', outfile]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(`${result.stdout}${readFileSync(outfile, 'utf8')}`, /"via":\s*"cli"/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('botocore invoke_with_response_stream (the library under the aws CLI)', () => {
  const BOTOCORE_SCRIPT = `
import json, sys, botocore.session
endpoint, key, secret, name, payload = sys.argv[1:6]
client = botocore.session.get_session().create_client('lambda', region_name='us-east-1', endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret)
answer = client.invoke_with_response_stream(FunctionName=name, Payload=payload.encode(), LogType='Tail')
out = {'status': answer['StatusCode'], 'version': answer.get('ExecutedVersion'), 'chunks': [], 'complete': None}
for event in answer['EventStream']:
    if 'PayloadChunk' in event: out['chunks'].append(event['PayloadChunk']['Payload'].decode())
    if 'InvokeComplete' in event: out['complete'] = event['InvokeComplete']
print(json.dumps(out))
`;
  const probe = spawnSync('python3', ['-c', 'import botocore'], { encoding: 'utf8' });
  const skip = probe.status === 0 ? false : `python3 with botocore is not installed here (${(probe.stderr || String(probe.error)).trim().split('\n').pop()})`;

  interface BotocoreAnswer {
    status: number;
    version: string;
    chunks: string[];
    complete: Record<string, string> | null;
  }
  // Asynchronously: the cloud answering it runs in this process.
  const viaBotocore = async (name: string, payload: string): Promise<BotocoreAnswer> => {
    const { stdout } = await execFileAsync('python3', ['-c', BOTOCORE_SCRIPT, cloud.endpoint, TEST_CREDENTIALS.accessKeyId, TEST_CREDENTIALS.secretAccessKey, name, payload], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    return JSON.parse(stdout) as BotocoreAnswer;
  };

  it('parses our event stream: chunks, then InvokeComplete with the error and the log tail', { skip }, async () => {
    const buffered = await viaBotocore(await createStreamingFunction('buffered'), '{"via":"botocore"}');
    assert.equal(buffered.status, 200);
    assert.equal(buffered.version, '$LATEST');
    assert.deepEqual(JSON.parse(buffered.chunks.join('')), { answered: 'whole', event: { via: 'botocore' } });
    assert.match(Buffer.from(buffered.complete?.LogResult ?? '', 'base64').toString('utf8'), /^REPORT RequestId: /m);

    const failed = await viaBotocore(await createStreamingFunction('failsMidway'), '{}');
    assert.deepEqual(failed.chunks, ['partial']);
    assert.equal(failed.complete?.ErrorCode, 'Error');
    assert.equal(failed.complete?.ErrorDetails, 'stream broke');
  });
});

describe("InvokeWithResponseStream and the server's guard against readers that stall", () => {
  const STALL_MS = 300;
  let guarded: LambdaTestCloud;
  before(async () => {
    guarded = await startLambdaCloud({ timeouts: { sendStallMs: STALL_MS } });
  });
  after(async () => {
    await guarded.close();
  });

  async function createOn(target: LambdaTestCloud, handler: string, source: string): Promise<string> {
    const name = uniqueName('stall');
    await target.lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: `index.${handler}`,
        Role: target.roleArn,
        Code: { ZipFile: await zipEntries([{ name: 'index.mjs', data: source }]) },
        Timeout: 30,
      }),
    );
    await waitUntilFunctionActiveV2(fastWaiter(target.lambda), { FunctionName: name });
    return name;
  }

  it('keeps a stream whose function is silent for longer than the guard: nothing waits for the reader', async () => {
    // Time is what this proves: a pause of four times the guard between two chunks.
    const pausing = `export const handler = awslambda.streamifyResponse(async (event, stream) => {
      stream.write('before;');
      await new Promise((resolve) => setTimeout(resolve, ${STALL_MS * 4}));
      stream.write('after');
      stream.end();
    });`;
    const name = await createOn(guarded, 'handler', pausing);
    const read = await readStream(await guarded.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name })));

    assert.deepEqual(read.chunks, ['before;', 'after']);
    assert.deepEqual(read.complete, {});
  });

  it('closes a caller that stops reading while the function writes, and the invocation still ends and gives its environment back', async () => {
    const name = await createOn(guarded, 'large', STREAMING_SOURCE);
    // 64 MiB: far more than the socket buffers and the event stream's bound hold, so the function waits on the reader.
    const output = await guarded.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify({ blocks: 1024 })) }));
    assert.equal(output.StatusCode, 200);
    // The caller reads nothing. The function can only finish once the server gave up on the caller and dropped the rest.
    const environments = () => lambdaInternals(guarded.cloud.context)!.runtime.environments(name);
    await eventually(() => (environments().length === 1 && environments()[0]!.state === 'idle' ? true : undefined), 20_000, 'the invocation to end');

    const read = await readStream(await guarded.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify({ blocks: 2 })) })));
    assert.equal(read.chunks.join('').length, 2 * 64 * 1024);
    assert.equal(environments().length, 1, 'the same environment served the next invocation');
  });
});
