// AWS's own Runtime Interface Client for Node.js (aws-lambda-ric from npm, 3.x and 4.x) on our Runtime API: each
// function is created through the Lambda API as an OS-only runtime (provided.al2023) whose `bootstrap` starts RIC,
// invoked with the SDK, and compared with the same package under our bootstrap on the runtime that RIC generation
// stands for (3.x: nodejs22.x, 4.x: nodejs24.x), both on that runtime's Node.js and flags (the package's bootstrap
// starts the binary the local cloud resolves for it, as a custom runtime ships its own node). RIC compiles native
// code, so it is installed apart (`npm run install:ric`; .ci/run does it): where it is missing or cannot load,
// its suites are skipped and say why, unless THUMBCTL_REQUIRE_RIC=1 (CI), where that is a failure.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand, InvokeWithResponseStreamCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { nodeCommandFor, provideNodeRuntime } from '../../../emulator/runtime/node-runtimes.js';
import { FIXTURES_DIR, zipEntries, type ZipInput } from '../../fixtures/functions/build-zip.js';
import { createFixtureFunction, startLambdaCloud, type LambdaTestCloud } from './support.js';

const RIC_MODULES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ric', 'node_modules');
const REQUIRE_RIC = process.env.THUMBCTL_REQUIRE_RIC === '1';

interface Variant {
  /** How the test names it. */
  label: string;
  /** `nodejs*`: our bootstrap; `provided.al2023`: the package's `bootstrap`, i.e. RIC. */
  runtime: 'nodejs22.x' | 'nodejs24.x' | 'provided.al2023';
  /** RIC's major version (3: the client of Lambda's nodejs18.x–22.x, with callback handlers; 4: nodejs24.x's). */
  ricMajor?: 3 | 4;
  /** Where RIC is installed (test/ric/node_modules/<folder>). */
  folder?: string;
  /** What the package's `bootstrap` runs, relative to the RIC folder, and whether it takes the handler as argument. */
  entry?: string;
  handlerArgument?: boolean;
  /** Our bootstrap on the runtime this RIC generation stands for, which must answer as RIC does. */
  ours?: Variant;
}

const RIC_VARIANTS: Variant[] = [
  {
    label: 'aws-lambda-ric 3.x',
    runtime: 'provided.al2023',
    ricMajor: 3,
    folder: 'aws-lambda-ric',
    entry: 'bin/index.mjs',
    handlerArgument: true,
    ours: { label: 'our bootstrap on nodejs22.x', runtime: 'nodejs22.x' },
  },
  {
    label: 'aws-lambda-ric 4.x',
    runtime: 'provided.al2023',
    ricMajor: 4,
    folder: 'aws-lambda-ric-v4',
    entry: 'index.mjs',
    handlerArgument: false,
    ours: { label: 'our bootstrap on nodejs24.x', runtime: 'nodejs24.x' },
  },
];

/** Why this RIC cannot run here (not installed, or its native client does not load), or undefined when it can. */
function ricProblem(variant: Variant): string | undefined {
  const root = join(RIC_MODULES, variant.folder!);
  const install = `install it with \`npm run install:ric\` (it builds curl and aws-lambda-cpp: needs cmake, make, g++, python3, xz, and for 3.x autoconf, automake and libtool)`;
  if (!existsSync(join(root, variant.entry!))) return `${variant.label} is not installed in test/ric: ${install}`;
  const native = ['rapid-client.node', 'dist/rapid-client.node'].map((file) => join(root, file)).find((file) => existsSync(file));
  if (!native) return `${variant.label} has no native client (rapid-client.node): its build failed; ${install}`;
  // The native client reads AWS_LAMBDA_RUNTIME_API as it loads: load it in a child, never in the test process.
  const loaded = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(native)})`], {
    env: { PATH: process.env.PATH, AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (loaded.status !== 0) return `${variant.label}'s native client does not load: ${(loaded.stderr || String(loaded.error)).trim().split('\n')[0]}`;
  return undefined;
}

/** The files of an installed RIC a function package needs: its code and native client, not its sources or build. */
function ricFiles(variant: Variant): ZipInput[] {
  const root = join(RIC_MODULES, variant.folder!);
  const skipped = new Set(['deps', 'build', 'src', 'scripts', 'node-addon-api', 'node_modules', 'test']);
  const files: ZipInput[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        if (!skipped.has(entry)) walk(path);
      } else if (!entry.endsWith('.md')) {
        files.push({ name: `node_modules/aws-lambda-ric/${relative(root, path).split('\\').join('/')}`, data: readFileSync(path), mode: 0o755 });
      }
    }
  };
  walk(root);
  return files;
}

/** The Node.js version each RIC variant's package starts (`v24.…`). */
const nodeVersions = new Map<Variant, string>();

/** The Node.js major both sides of a comparison must run on: the one resolved for the runtime (see packageFor). */
function nodeMajorExpected(variant: Variant): string | undefined {
  return /^v(\d+)\./.exec(nodeVersions.get(variant) ?? '')?.[1];
}

/**
 * The deployment package: the runtime-contract fixture, and for RIC a custom runtime as AWS documents it: RIC in
 * node_modules and a `bootstrap` that starts it with the function's handler.
 */
async function packageFor(variant: Variant): Promise<Buffer> {
  const fixture = join(FIXTURES_DIR, 'runtime-contract');
  const entries: ZipInput[] = readdirSync(fixture).map((name) => ({ name, data: readFileSync(join(fixture, name)) }));
  if (variant.folder) {
    // The Node.js (and Lambda's flags) of the managed runtime this RIC generation stands for: the same binary
    // our bootstrap runs on there (downloaded once into the shared cache, as the local cloud does).
    const resolution = await provideNodeRuntime(variant.ours!.runtime);
    nodeVersions.set(variant, resolution.nodeVersion);
    const node = nodeCommandFor(resolution);
    const command = [node.binary, ...node.args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
    const argument = variant.handlerArgument ? ' "$_HANDLER"' : '';
    entries.push({ name: 'bootstrap', mode: 0o755, data: `#!/bin/sh\nexec ${command} "$LAMBDA_TASK_ROOT/node_modules/aws-lambda-ric/${variant.entry}"${argument}\n` });
    entries.push(...ricFiles(variant));
  }
  return zipEntries(entries);
}

interface ErrorDocument {
  errorType?: string;
  errorMessage?: string;
  trace?: string[];
}

interface Outcome {
  result: InvokeCommandOutput;
  /** The invocation's log (LogType Tail). */
  log: string;
  functionError?: string;
  /** The payload, parsed when it is JSON. */
  payload: unknown;
  requestId: string;
  functionArn: string;
  functionName: string;
}

/** What an error answer says, as compared across runtimes: type, message, and the first line of its trace. */
function errorView(outcome: Outcome): { functionError?: string; errorType?: string; errorMessage?: string; traceHead?: string } {
  const document = outcome.payload as ErrorDocument;
  return { functionError: outcome.functionError, errorType: document.errorType, errorMessage: document.errorMessage, traceHead: document.trace?.[0] };
}

let cloud: LambdaTestCloud;
const packages = new Map<Variant, Buffer>();
/** Functions by variant and handler (and timeout), created once. */
const functions = new Map<string, Promise<{ FunctionName: string; FunctionArn?: string }>>();

function functionFor(variant: Variant, handler: string, timeout = 10): Promise<{ FunctionName: string; FunctionArn?: string }> {
  const key = `${variant.label}|${handler}|${timeout}`;
  let created = functions.get(key);
  if (!created) {
    created = createFixtureFunction(cloud, 'runtime-contract', {
      FunctionName: `ric-${variant.ricMajor ?? variant.runtime.replace(/\W/g, '')}-${handler.replace(/\W/g, '-')}-${Math.random().toString(16).slice(2, 8)}`,
      Runtime: variant.runtime,
      Handler: handler,
      Timeout: timeout,
      Code: { ZipFile: packages.get(variant)! },
    });
    functions.set(key, created);
  }
  return created;
}

async function invoke(
  variant: Variant,
  handler: string,
  options: { payload?: unknown; timeout?: number; clientContext?: string; client?: LambdaClient } = {},
): Promise<Outcome> {
  const fn = await functionFor(variant, handler, options.timeout);
  const result = await (options.client ?? cloud.lambda).send(
    new InvokeCommand({
      FunctionName: fn.FunctionName,
      Payload: Buffer.from(JSON.stringify(options.payload ?? {})),
      LogType: 'Tail',
      ...(options.clientContext ? { ClientContext: options.clientContext } : {}),
    }),
  );
  const log = Buffer.from(result.LogResult ?? '', 'base64').toString('utf8');
  const text = Buffer.from(result.Payload ?? new Uint8Array()).toString('utf8');
  let payload: unknown = text;
  try {
    payload = JSON.parse(text);
  } catch {
    // A streamed response need not be JSON.
  }
  return { result, log, functionError: result.FunctionError, payload, requestId: result.$metadata.requestId!, functionArn: fn.FunctionArn!, functionName: fn.FunctionName };
}

/** What InvokeWithResponseStream delivers: the chunks joined (their boundaries are the transport's), then InvokeComplete. */
async function invokeStreaming(variant: Variant, handler: string): Promise<{ body: string; errorCode?: string; errorDetails?: string }> {
  const fn = await functionFor(variant, handler);
  const output = await cloud.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: fn.FunctionName, Payload: Buffer.from('{}') }));
  const chunks: Buffer[] = [];
  let complete: { ErrorCode?: string; ErrorDetails?: string } | undefined;
  for await (const event of output.EventStream ?? []) {
    if (event.PayloadChunk?.Payload) chunks.push(Buffer.from(event.PayloadChunk.Payload));
    if (event.InvokeComplete) complete = event.InvokeComplete;
  }
  assert.ok(complete, `${variant.label}: the stream ends with InvokeComplete`);
  return { body: Buffer.concat(chunks).toString('utf8'), errorCode: complete.ErrorCode, errorDetails: complete.ErrorDetails };
}

/** compare() for InvokeWithResponseStream. */
async function compareStreaming(variant: Variant, handler: string, expected: Awaited<ReturnType<typeof invokeStreaming>>): Promise<void> {
  const [theirs, ours] = await Promise.all([invokeStreaming(variant, handler), invokeStreaming(variant.ours!, handler)]);
  assert.deepEqual(theirs, expected, variant.label);
  assert.deepEqual(ours, theirs, `${variant.ours!.label} streams as ${variant.label} does`);
}

/**
 * Runs the case under this RIC and under our bootstrap on the runtime it stands for; asserts RIC's view, then
 * that ours is the same.
 */
async function compare<T>(variant: Variant, handler: string, view: (outcome: Outcome) => T, expected: T, options: Parameters<typeof invoke>[2] = {}): Promise<void> {
  const [theirs, ours] = await Promise.all([invoke(variant, handler, options), invoke(variant.ours!, handler, options)]);
  assert.deepEqual(view(theirs), expected, `${variant.label}: ${JSON.stringify(theirs.payload).slice(0, 400)}`);
  assert.deepEqual(view(ours), view(theirs), `${variant.ours!.label} answers as ${variant.label} does: ${JSON.stringify(ours.payload).slice(0, 400)}`);
}

/** The answer as compared when it is not an error: the function error (none) and the payload. */
const answerView = (o: Outcome) => ({ error: o.functionError, payload: o.payload });

before(async () => {
  cloud = await startLambdaCloud();
});
after(async () => {
  await cloud?.close();
});

for (const variant of RIC_VARIANTS) {
  const problem = ricProblem(variant);
  // Skipped on the test itself, not on the suite: node's summary counts a skipped test, never a skipped suite.
  const skip = problem && !REQUIRE_RIC ? problem : false;
  describe(`${variant.label} on our Runtime API`, () => {
    it('can run here (THUMBCTL_REQUIRE_RIC=1 makes a missing RIC a failure, not a skip)', { skip }, () => {
      assert.equal(problem, undefined);
    });
    if (problem) return;

    before(async () => {
      packages.set(variant, await packageFor(variant));
      packages.set(variant.ours!, await packageFor(variant.ours!));
    });
    const v3 = variant.ricMajor === 3;

    it('returns a handler’s value (async, and a plain function returning a promise), non-ASCII intact', async () => {
      await compare(variant, 'index.value', (o) => ({ error: o.functionError, payload: o.payload }), {
        error: undefined,
        payload: { echo: { n: 1, s: 'ça' }, text: 'héllo €' },
      }, { payload: { n: 1, s: 'ça' } });
      await compare(variant, 'index.promise', (o) => ({ error: o.functionError, payload: o.payload }), { error: undefined, payload: { promised: { n: 2 } } }, { payload: { n: 2 } });
    });

    it('reports a thrown error as Lambda does: errorType, errorMessage and trace, X-Amz-Function-Error Unhandled', async () => {
      const message = 'cannot process the event: ünïcode';
      await compare(variant, 'index.thrower', errorView, { functionError: 'Unhandled', errorType: 'CustomError', errorMessage: message, traceHead: `CustomError: ${message}` });
      const [theirs] = await Promise.all([invoke(variant, 'index.thrower')]);
      assert.match((theirs.payload as ErrorDocument).trace?.[1] ?? '', /at .*index\.mjs:\d+:\d+/);
      // The runtime's log line: `<time>\t<request id>\tERROR\tInvoke Error \t{…}` with the error's own fields.
      const logLine = (o: Outcome) => {
        const line = o.log.split('\n').find((text) => text.includes('\tERROR\t')) ?? '';
        const [, requestId, level, message] = /^\S+\t(\S+)\t(\w+)\t([\s\S]*)$/.exec(line) ?? [];
        const json = JSON.parse(message?.slice(message.indexOf('{')) ?? 'null') as Record<string, unknown> | null;
        return { requestId: requestId === o.requestId, level, label: message?.slice(0, message.indexOf('{')), fields: Object.keys(json ?? {}), errorType: json?.errorType };
      };
      await compare(variant, 'index.thrower', logLine, { requestId: true, level: 'ERROR', label: 'Invoke Error \t', fields: ['errorType', 'errorMessage', 'name', 'stack'], errorType: 'CustomError' });
      await compare(variant, 'index.rejectString', errorView, { functionError: 'Unhandled', errorType: 'string', errorMessage: 'a plain string', traceHead: undefined });
    });

    it('takes an error whose X-Ray cause header is larger than 16 KB', async () => {
      await compare(variant, 'index.hugeError', (o) => {
        const view = errorView(o);
        return { ...view, errorMessage: view.errorMessage?.length, traceHead: view.traceHead?.length };
      }, { functionError: 'Unhandled', errorType: 'Error', errorMessage: 40_005, traceHead: 40_012 });
    });

    it('gives the handler the context: request id, function ARN, deadline, client context, trace id', async () => {
      const clientContext = { client: { installation_id: 'install-1', app_title: 'app' }, custom: { note: 'café €' }, env: { locale: 'fr_FR' } };
      const root = '1-6b08ada9-0123456789abcdef01234567';
      const client = new LambdaClient({ ...cloud.clientConfig });
      client.middlewareStack.add(
        (next) => async (args) => {
          (args.request as { headers: Record<string, string> }).headers['x-amzn-trace-id'] = `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1`;
          return next(args);
        },
        { step: 'build', name: 'addTraceHeader' },
      );
      try {
        const view = (o: Outcome) => {
          const seen = o.payload as Record<string, unknown>;
          return {
            error: o.functionError,
            awsRequestId: seen.awsRequestId === o.requestId,
            invokedFunctionArn: seen.invokedFunctionArn === o.functionArn,
            functionName: seen.functionName === o.functionName,
            functionVersion: seen.functionVersion,
            memoryLimitInMB: seen.memoryLimitInMB,
            logGroupName: seen.logGroupName === `/aws/lambda/${o.functionName}`,
            logStreamName: /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/.test(String(seen.logStreamName)),
            // The deadline is the invocation's start plus Timeout (10 s): what is left is below it and well above 0.
            remaining: typeof seen.remainingMs === 'number' && seen.remainingMs > 1000 && seen.remainingMs <= 10_000,
            clientContext: seen.clientContext,
            identity: seen.identity,
            trace: new RegExp(`^Root=${root};Parent=[0-9a-f]{16};Sampled=1`).test(String(seen.traceEnv)),
            nodeMajor: /^v(\d+)\./.exec(String(seen.nodeVersion))?.[1],
          };
        };
        await compare(
          variant,
          'index.context',
          view,
          {
            error: undefined,
            awsRequestId: true,
            invokedFunctionArn: true,
            functionName: true,
            functionVersion: '$LATEST',
            memoryLimitInMB: '128',
            logGroupName: true,
            logStreamName: true,
            remaining: true,
            clientContext,
            // Lambda sets the identity only for calls signed with Amazon Cognito credentials by the mobile SDKs;
            // Invoke cannot send one, so the Runtime API never has one to give.
            identity: null,
            trace: true,
            // Both on the Node.js the runtime names, unless none can be had here (then both on the host's).
            nodeMajor: nodeMajorExpected(variant),
          },
          { client, clientContext: Buffer.from(JSON.stringify(clientContext)).toString('base64') },
        );
      } finally {
        client.destroy();
      }
    });

    it('serves invocation after invocation on one warm environment (keep-alive, request ids routed)', async () => {
      for (const expected of [1, 2, 3]) {
        await compare(variant, 'index.counter', (o) => o.payload, { invocations: expected });
      }
    });

    it('carries a 1 MB response, and fails one above 6 MB with Function.ResponseSizeTooLarge', async () => {
      await compare(variant, 'index.large', (o) => ({ error: o.functionError, length: ((o.payload as { blob?: string }).blob ?? '').length }), { error: undefined, length: 1_000_000 });
      await compare(variant, 'index.tooLarge', (o) => ({ ...errorView(o), errorMessage: /^Response payload size \(\d+ bytes\) exceeded maximum allowed payload size \(6291556 bytes\)\.$/.test(errorView(o).errorMessage ?? '') }), {
        functionError: 'Unhandled',
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: true,
        traceHead: undefined,
      });
    });

    it('reports a failed init (/init/error): a throwing module, a missing export, a missing module', async () => {
      await compare(variant, 'broken.handler', errorView, {
        functionError: 'Unhandled',
        errorType: 'Error',
        errorMessage: 'configuration missing at init',
        traceHead: 'Error: configuration missing at init',
      });
      // The runtime's log line of it: `<time>\t<request id>\tERROR\t<label> \t{"errorType":…}`; RIC 3 labels it as an
      // uncaught exception with no request id yet, RIC 4 `Init Error` with `-`.
      const initLine = (o: Outcome) => /^\S+\t(\S+)\tERROR\t(Init Error|Uncaught Exception) \t\{"errorType":"Error"/m.exec(o.log)?.slice(1);
      await compare(variant, 'broken.handler', initLine, v3 ? ['undefined', 'Uncaught Exception'] : ['-', 'Init Error']);
      // The runtime's own errors come with a trace too, opening with their type.
      await compare(variant, 'index.missing', errorView, {
        functionError: 'Unhandled',
        errorType: 'Runtime.HandlerNotFound',
        errorMessage: 'index.missing is undefined or not exported',
        traceHead: 'Runtime.HandlerNotFound: index.missing is undefined or not exported',
      });
      const missingModule = /Cannot find module 'nowhere'/;
      await compare(
        variant,
        'nowhere.handler',
        (o) => ({ ...errorView(o), errorMessage: missingModule.test(errorView(o).errorMessage ?? ''), traceHead: /^Runtime\.ImportModuleError: /.test(errorView(o).traceHead ?? '') }),
        { functionError: 'Unhandled', errorType: 'Runtime.ImportModuleError', errorMessage: true, traceHead: true },
      );
    });

    it('reports a runtime that exits, and an invocation that times out', async () => {
      await compare(variant, 'index.exits', (o) => ({ ...errorView(o), errorMessage: /Runtime exited with error: exit status 3$/.test(errorView(o).errorMessage ?? '') }), {
        functionError: 'Unhandled',
        errorType: 'Runtime.ExitError',
        errorMessage: true,
        traceHead: undefined,
      });
      await compare(variant, 'index.sleeps', (o) => ({ error: o.functionError, timedOut: /Task timed out after 1\.00 seconds$/.test(String((o.payload as ErrorDocument).errorMessage)) }), { error: 'Unhandled', timedOut: true }, {
        timeout: 1,
      });
    });

    it('completes a handler as this generation does: a plain return, a never-settling promise, context.succeed', async () => {
      // RIC 3 ignores what a non-async handler returns and answers null once the event loop is empty; RIC 4 answers it.
      await compare(variant, 'index.sync', answerView, v3 ? { error: undefined, payload: null } : { error: undefined, payload: { sync: { s: 1 } } }, { payload: { s: 1 } });
      // A promise that never settles: RIC 3 answers null once the event loop is empty; under RIC 4 Node.js exits.
      await compare(
        variant,
        'index.neverSettles',
        (o) => ({ ...answerView(o), payload: v3 ? o.payload : /Runtime exited with error: exit status 0$/.test(errorView(o).errorMessage ?? '') }),
        v3 ? { error: undefined, payload: null } : { error: 'Unhandled', payload: true },
      );
      await compare(
        variant,
        'index.succeeds',
        (o) => (v3 ? answerView(o) : { ...errorView(o), traceHead: undefined }),
        v3 ? { error: undefined, payload: { legacy: true } } : { functionError: 'Unhandled', errorType: 'TypeError', errorMessage: 'context.succeed is not a function', traceHead: undefined },
      );
    });

    it('reports what a handler throws that is no Error: its type and string form', async () => {
      await compare(variant, 'index.throwObject', errorView, { functionError: 'Unhandled', errorType: 'object', errorMessage: '[object Object]', traceHead: undefined });
      await compare(
        variant,
        'index.rejectNothing',
        errorView,
        v3 ? { functionError: 'Unhandled', errorType: 'string', errorMessage: 'handled', traceHead: undefined } : { functionError: 'Unhandled', errorType: 'undefined', errorMessage: 'undefined', traceHead: undefined },
      );
    });

    it('reports an unhandled rejection (RIC 3: Runtime.UnhandledPromiseRejection; RIC 4: Node.js exits)', async () => {
      await compare(
        variant,
        'index.unhandledRejection',
        (o) => ({ ...errorView(o), errorMessage: v3 ? errorView(o).errorMessage : /Runtime exited with error: exit status 1$/.test(errorView(o).errorMessage ?? '') }),
        v3
          ? {
              functionError: 'Unhandled',
              errorType: 'Runtime.UnhandledPromiseRejection',
              errorMessage: 'CustomError: nobody caught me',
              traceHead: 'Runtime.UnhandledPromiseRejection: CustomError: nobody caught me',
            }
          : { functionError: 'Unhandled', errorType: 'Runtime.ExitError', errorMessage: true, traceHead: undefined },
      );
    });

    it('reports an uncaught exception (RIC 3: against the invocation; RIC 4: Node.js exits), and fails no later invocation for it', async () => {
      for (let attempt = 0; attempt < 2; attempt++) {
        await compare(
          variant,
          'index.uncaught',
          (o) => ({ ...errorView(o), traceHead: undefined, errorMessage: v3 ? errorView(o).errorMessage : /Runtime exited with error: exit status 1$/.test(errorView(o).errorMessage ?? '') }),
          v3
            ? { functionError: 'Unhandled', errorType: 'CustomError', errorMessage: 'thrown outside the handler', traceHead: undefined }
            : { functionError: 'Unhandled', errorType: 'Runtime.ExitError', errorMessage: true, traceHead: undefined },
        );
      }
    });

    if (v3) {
      it('runs callback handlers: an error at once, a result once the event loop is empty unless told not to wait', async () => {
        await compare(variant, 'index.callback', answerView, { error: undefined, payload: { called: { c: 1 } } }, { payload: { c: 1 } });
        await compare(variant, 'index.callbackError', errorView, { functionError: 'Unhandled', errorType: 'TypeError', errorMessage: 'bad input', traceHead: 'TypeError: bad input' });
        // The handler's 200 ms timer is still pending when it calls back: its line is in the invocation's log.
        await compare(variant, 'index.callbackWaits', (o) => ({ ...answerView(o), waited: /INFO\ttimer fired before the answer\n(.|\n)*END RequestId/.test(o.log) }), {
          error: undefined,
          payload: 'answered',
          waited: true,
        });
        await compare(variant, 'index.callbackNoWait', (o) => ({ ...answerView(o), waited: o.log.includes('timer fired after the answer') }), { error: undefined, payload: 'answered', waited: false });
      });
    } else {
      it('refuses callback handlers at init, as Lambda’s nodejs24.x does (through /init/error)', async () => {
        for (const handler of ['index.callback', 'index.callbackWaits']) {
          const refusal = 'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24.';
          await compare(variant, handler, (o) => ({ ...errorView(o), errorMessage: errorView(o).errorMessage?.startsWith(refusal), traceHead: errorView(o).traceHead?.startsWith(`Runtime.CallbackHandlerDeprecated: ${refusal}`) }), {
            functionError: 'Unhandled',
            errorType: 'Runtime.CallbackHandlerDeprecated',
            errorMessage: true,
            traceHead: true,
          });
        }
      });
    }

    it('streams a response (Lambda-Runtime-Function-Response-Mode: streaming): Invoke gets it whole', async () => {
      await compare(variant, 'streaming.chunks', answerView, { error: undefined, payload: 'first,second' });
      const prelude = JSON.stringify({ statusCode: 201, headers: { 'x-note': 'streamed' } });
      await compare(variant, 'streaming.http', answerView, { error: undefined, payload: `${prelude}${'\0'.repeat(8)}body` });
    });

    it('reports a stream that fails part-way (error trailers), and a streaming handler that is not async', async () => {
      await compare(variant, 'streaming.failsMidway', errorView, { functionError: 'Unhandled', errorType: 'Error', errorMessage: 'stream broke', traceHead: 'Error: stream broke' });
      // RIC 3 fails the stream with the bare message (type `string`, no trace); RIC 4 with an Error.
      const refusal = 'Streaming does not support non-async handlers.';
      await compare(
        variant,
        'streaming.notAsync',
        errorView,
        v3
          ? { functionError: 'Unhandled', errorType: 'string', errorMessage: refusal, traceHead: undefined }
          : { functionError: 'Unhandled', errorType: 'Error', errorMessage: refusal, traceHead: `Error: ${refusal}` },
      );
      // One that ended its stream before returning has already answered: the answer stands.
      await compare(variant, 'streaming.notAsyncEnded', answerView, { error: undefined, payload: 'ended in time' });
    });

    it('streams to InvokeWithResponseStream as it writes, and tells a failure part-way in InvokeComplete', async () => {
      await compareStreaming(variant, 'streaming.chunks', { body: 'first,second', errorCode: undefined, errorDetails: undefined });
      await compareStreaming(variant, 'streaming.failsMidway', { body: 'partial', errorCode: 'Error', errorDetails: 'stream broke' });
      const prelude = JSON.stringify({ statusCode: 201, headers: { 'x-note': 'streamed' } });
      await compareStreaming(variant, 'streaming.http', { body: `${prelude}${'\0'.repeat(8)}body`, errorCode: undefined, errorDetails: undefined });
    });

    it('refuses a content type set after the first write (Runtime.InvalidStreamingOperation)', async () => {
      await compareStreaming(variant, 'streaming.lateContentType', {
        body: 'written;',
        errorCode: 'Runtime.InvalidStreamingOperation',
        errorDetails: 'Cannot set content-type, too late.',
      });
    });
  });
}
