// The Runtime API as any runtime interface client sees it: plain HTTP, AWS's paths, statuses and headers.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { asciiJson, MAX_HEADER_BYTES, RuntimeApiServer, type RuntimeInvocation } from '../../../../emulator/runtime/runtime-api.js';

let server: RuntimeApiServer | undefined;
afterEach(() => server?.close());

async function start(hooks: Partial<ConstructorParameters<typeof RuntimeApiServer>[0]> = {}): Promise<{ api: RuntimeApiServer; base: string }> {
  server = new RuntimeApiServer({ onNext: () => undefined, onInitError: () => undefined, ...hooks });
  await server.listen();
  return { api: server, base: `http://${server.address}/2018-06-01/runtime` };
}

const invocation = (requestId: string): RuntimeInvocation => ({
  requestId,
  payload: Buffer.from('{"a":1}'),
  deadlineMs: 1_800_000_000_000,
  functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
  traceHeader: 'Root=1-6b08ada9-6db215254443bd293bdee6d7;Parent=301a5db1c861200a;Sampled=1',
});

describe('Runtime API', () => {
  it('long-polls /next and answers it with the event and its headers', async () => {
    const { api, base } = await start();
    const next = fetch(`${base}/invocation/next`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reply = api.deliver(invocation('req-1'));
    const response = await next;
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('lambda-runtime-aws-request-id'), 'req-1');
    assert.equal(response.headers.get('lambda-runtime-deadline-ms'), '1800000000000');
    assert.equal(response.headers.get('lambda-runtime-invoked-function-arn'), 'arn:aws:lambda:us-east-1:000000000000:function:f');
    assert.equal(response.headers.get('lambda-runtime-trace-id'), 'Root=1-6b08ada9-6db215254443bd293bdee6d7;Parent=301a5db1c861200a;Sampled=1');
    assert.deepEqual(await response.json(), { a: 1 });
    const posted = await fetch(`${base}/invocation/req-1/response`, { method: 'POST', body: '"done"' });
    assert.equal(posted.status, 202);
    assert.deepEqual(await reply, { kind: 'response', body: Buffer.from('"done"') });
  });

  it('answers /next at once when an event is already waiting, and takes errors with their type header', async () => {
    const { api, base } = await start();
    const reply = api.deliver(invocation('req-2'));
    const response = await fetch(`${base}/invocation/next`);
    assert.equal(response.headers.get('lambda-runtime-aws-request-id'), 'req-2');
    await response.arrayBuffer();
    const posted = await fetch(`${base}/invocation/req-2/error`, {
      method: 'POST',
      headers: { 'Lambda-Runtime-Function-Error-Type': 'Runtime.Custom' },
      body: JSON.stringify({ errorType: 'Other', errorMessage: 'boom', stackTrace: [] }),
    });
    assert.equal(posted.status, 202);
    const result = await reply;
    assert.equal(result.kind, 'error');
    assert.equal(result.kind === 'error' ? result.errorType : '', 'Runtime.Custom');
  });

  it('refuses a response for an unknown request id with 400', async () => {
    const { base } = await start();
    const posted = await fetch(`${base}/invocation/nope/response`, { method: 'POST', body: '{}' });
    assert.equal(posted.status, 400);
    assert.deepEqual(await posted.json(), { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
  });

  it('takes /init/error and reports it', async () => {
    const errors: string[] = [];
    const { base } = await start({ onInitError: (errorType) => errors.push(errorType) });
    const posted = await fetch(`${base}/init/error`, {
      method: 'POST',
      headers: { 'Lambda-Runtime-Function-Error-Type': 'Runtime.ImportModuleError' },
      body: JSON.stringify({ errorType: 'Runtime.ImportModuleError', errorMessage: 'x' }),
    });
    assert.equal(posted.status, 202);
    assert.deepEqual(errors, ['Runtime.ImportModuleError']);
  });

  it('answers 413 to a response above 6 MB and reports it', async () => {
    const { api, base } = await start();
    const reply = api.deliver(invocation('req-3'));
    await (await fetch(`${base}/invocation/next`)).arrayBuffer();
    const posted = await fetch(`${base}/invocation/req-3/response`, { method: 'POST', body: Buffer.alloc(6_291_557, 0x20) });
    assert.equal(posted.status, 413);
    assert.equal((await reply).kind, 'too-large');
  });

  it('answers a connection from outside the environment 403 and reads nothing from it', async () => {
    const asked: number[] = [];
    let nextCalls = 0;
    const { api, base } = await start({ onNext: () => (nextCalls += 1), isOwnPeer: async (clientPort) => (asked.push(clientPort), false) });
    const reply = api.deliver(invocation('req-4'));
    const next = await fetch(`${base}/invocation/next`);
    assert.equal(next.status, 403);
    assert.deepEqual(await next.json(), { errorMessage: 'This Runtime API serves only its own execution environment.', errorType: 'Forbidden' });
    const forged = await fetch(`${base}/invocation/req-4/response`, { method: 'POST', body: '"forged"' });
    assert.equal(forged.status, 403);
    assert.equal(asked.length, 2, 'each connection was checked');
    assert.equal(nextCalls, 0, 'the refused /next never reached the Runtime API');
    assert.equal(api.refusedConnections, 2);
    const settled = await Promise.race([reply.then(() => 'answered'), new Promise((resolve) => setTimeout(() => resolve('pending'), 100))]);
    assert.equal(settled, 'pending', 'the invocation is still waiting for its own runtime');
  });

  it('refuses a second /next while one waits (InvalidStateTransition) and keeps the first in its place', async () => {
    const { api, base } = await start();
    const first = fetch(`${base}/invocation/next`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await fetch(`${base}/invocation/next`);
    assert.equal(second.status, 403);
    assert.equal(((await second.json()) as { errorType: string }).errorType, 'InvalidStateTransition');
    const reply = api.deliver(invocation('req-5'));
    const delivered = await first;
    assert.equal(delivered.headers.get('lambda-runtime-aws-request-id'), 'req-5');
    await delivered.arrayBuffer();
    // While the runtime owes the answer, another /next is refused too.
    assert.equal((await fetch(`${base}/invocation/next`)).status, 403);
    assert.equal((await fetch(`${base}/invocation/req-5/response`, { method: 'POST', body: '"ok"' })).status, 202);
    assert.deepEqual(await reply, { kind: 'response', body: Buffer.from('"ok"') });
  });

  it('hands the client context over as JSON on one ASCII header line (any client parses it alike)', async () => {
    const { api, base } = await start();
    const clientContext = { custom: { note: 'café € 😀', line: 'a\nb' }, env: { locale: 'fr' } };
    const reply = api.deliver({ ...invocation('req-6'), clientContext: JSON.stringify(clientContext, null, 2) });
    const next = await fetch(`${base}/invocation/next`);
    await next.arrayBuffer();
    const header = next.headers.get('lambda-runtime-client-context') ?? '';
    assert.match(header, /^[\x20-\x7e]+$/);
    assert.deepEqual(JSON.parse(header), clientContext);
    await fetch(`${base}/invocation/req-6/response`, { method: 'POST', body: '{}' });
    await reply;
  });

  it('takes an /error post whose headers exceed 16 KB (a whole X-Ray error cause in one), up to 1 MiB', async () => {
    const { api, base } = await start();
    const reply = api.deliver(invocation('req-7'));
    await (await fetch(`${base}/invocation/next`)).arrayBuffer();
    const cause = JSON.stringify({ working_directory: '/var/task', exceptions: [{ type: 'Error', message: 'x'.repeat(40_000) }], paths: [] });
    const posted = await fetch(`${base}/invocation/req-7/error`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'lambda-runtime-function-xray-error-cause': cause },
      body: JSON.stringify({ errorType: 'Error', errorMessage: 'x'.repeat(40_000), trace: [] }),
    });
    assert.equal(posted.status, 202);
    assert.equal((await reply).kind, 'error');
    // Beyond the bound the request is refused before the Runtime API sees it.
    const status = await rawStatus(api.port, 'POST', '/2018-06-01/runtime/init/error', { 'x-big': 'y'.repeat(MAX_HEADER_BYTES + 1) });
    assert.equal(status, 431);
  });

  it('reads a streamed response whole, and one that failed part-way (error trailers) as the error it reports', async () => {
    const { api } = await start();
    const streamed = async (requestId: string, trailers?: Record<string, string>) => {
      const reply = api.deliver(invocation(requestId));
      await (await fetch(`http://${api.address}/2018-06-01/runtime/invocation/next`)).arrayBuffer();
      const status = await new Promise<number>((resolve, reject) => {
        const post = request(
          {
            host: '127.0.0.1',
            port: api.port,
            method: 'POST',
            path: `/2018-06-01/runtime/invocation/${requestId}/response`,
            headers: {
              'Lambda-Runtime-Function-Response-Mode': 'streaming',
              'Transfer-Encoding': 'chunked',
              'Content-Type': 'text/plain',
              Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
            },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        post.on('error', reject);
        post.write('first,');
        post.write('second');
        if (trailers) post.addTrailers(trailers);
        post.end();
      });
      assert.equal(status, 202);
      return reply;
    };
    assert.deepEqual(await streamed('req-8'), { kind: 'response', body: Buffer.from('first,second') });
    const document = { errorType: 'Error', errorMessage: 'stream broke', trace: ['Error: stream broke'] };
    const failed = await streamed('req-9', {
      'Lambda-Runtime-Function-Error-Type': 'Error',
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(document)).toString('base64'),
    });
    assert.deepEqual(failed, { kind: 'error', body: Buffer.from(JSON.stringify(document)), errorType: 'Error', errorMessage: 'stream broke' });
  });
});

describe('Runtime API, streaming to a caller that reads as it comes (InvokeWithResponseStream)', () => {
  it('hands each chunk over as it arrives, pauses the upload while the reader is full, and gathers nothing', async () => {
    const { api } = await start();
    const received: string[] = [];
    let full = false;
    let resumeUpload: (() => void) | undefined;
    const sink = {
      write(chunk: Buffer): boolean {
        received.push(chunk.toString('utf8'));
        return !full;
      },
      onReady(resume: () => void): void {
        resumeUpload = resume;
      },
    };
    const reply = api.deliver({ ...invocation('req-s1'), responseStream: sink });
    await (await fetch(`http://${api.address}/2018-06-01/runtime/invocation/next`)).arrayBuffer();
    const post = request({
      host: '127.0.0.1',
      port: api.port,
      method: 'POST',
      path: '/2018-06-01/runtime/invocation/req-s1/response',
      headers: { 'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Transfer-Encoding': 'chunked' },
    });
    const status = new Promise<number>((resolve, reject) => {
      post.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      post.on('error', reject);
    });
    const arrived = async (count: number): Promise<void> => {
      for (let turn = 0; received.length < count && turn < 1000; turn += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    };

    // The first chunk reaches the reader while the upload is still open.
    post.write('first;');
    await arrived(1);
    assert.deepEqual(received, ['first;']);

    // A full reader: the next chunk is taken, then the upload waits.
    full = true;
    post.write('second;');
    await arrived(2);
    assert.deepEqual(received, ['first;', 'second;']);
    assert.ok(resumeUpload, 'the upload waits for the reader');
    post.write('third');
    post.end();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(received, ['first;', 'second;'], 'nothing more while the reader is full');

    full = false;
    resumeUpload!();
    assert.equal(await status, 202);
    assert.deepEqual(received, ['first;', 'second;', 'third']);
    assert.deepEqual(await reply, { kind: 'response', body: Buffer.alloc(0), streamed: true });
  });
});

describe('asciiJson', () => {
  it('writes JSON compactly with non-ASCII escaped, the same document; undefined for text that is not JSON', () => {
    const document = { a: 'é€😀', b: ['\u0000', '\x7f'], c: { d: 1 } };
    const text = asciiJson(JSON.stringify(document, null, 2))!;
    assert.match(text, /^[\x20-\x7e]+$/);
    assert.deepEqual(JSON.parse(text), document);
    assert.equal(asciiJson('{"cut":'), undefined);
  });
});

/** The status a raw request gets (for requests fetch would refuse to send). */
function rawStatus(port: number, method: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = request({ host: '127.0.0.1', port, method, path, headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    sent.on('error', reject);
    sent.end();
  });
}
