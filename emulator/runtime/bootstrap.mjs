// The runtime interface client each execution environment runs: it loads the handler named by _HANDLER
// (ESM or CJS, async or callback style) and loops on the Lambda Runtime API (next → handler → response or
// error), shaping console output like Lambda's Node.js runtime. Plain JavaScript so bare `node` runs it.
// It mimics aws-lambda-nodejs-runtime-interface-client's observable behaviour, not its code: 3.x's for nodejs18.x to
// nodejs22.x (callbacks; a response only once the event loop is empty), 4.x's from nodejs24.x (no callbacks; the
// handler's value, sync or async). test/integration/lambda/ric.test.ts compares the two, case by case.
// Options (after the script's path): `--report-fd=N` writes `exit <code>` there as the process exits (its
// init cannot tell an exit code above 128 from a signal); `--loopback-listeners` keeps the function's own
// servers and UDP sockets on loopback; `--compile-cache=DIR` keeps V8's compiled code of the handler's modules
// in DIR (Node.js 22.1+; ignored before), so the next cold start of the same code skips most of the parsing.
import { existsSync, writeSync } from 'node:fs';
import nodeModule, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'node:util';

const RUNTIME_API = process.env.AWS_LAMBDA_RUNTIME_API ?? '127.0.0.1:9001';
const [API_HOST, API_PORT] = RUNTIME_API.split(':');
const TASK_ROOT = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
const HANDLER = process.env._HANDLER ?? '';
const BOOTSTRAP_PATH = fileURLToPath(import.meta.url);
// The networking built-ins through require, not `import`: an ES import makes Node build the module's ES facade,
// which reads every export, and node:http's lazy ones (fetch, WebSocket) load undici: ~35 ms of every cold start
// on Node.js 22. The same module objects either way (the listener patches below reach the function's code).
const requireBuiltin = createRequire(import.meta.url);
const dgram = requireBuiltin('node:dgram');
const http = requireBuiltin('node:http');
const net = requireBuiltin('node:net');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const OPTIONS = process.argv.slice(2);
const COMPILE_CACHE_DIR = OPTIONS.find((option) => option.startsWith('--compile-cache='))?.slice('--compile-cache='.length);
const REPORT_FD = Number(OPTIONS.find((option) => option.startsWith('--report-fd='))?.slice('--report-fd='.length) ?? NaN);
/** How long to wait before asking for the next event again when the Runtime API refused the request. */
const NEXT_RETRY_MS = 100;
/** Which generation of AWS's Node.js runtime client this runtime behaves as: 4 from nodejs24.x, else 3. */
const CLIENT_GENERATION = Number(/^AWS_Lambda_nodejs(\d+)\.x$/.exec(process.env.AWS_EXECUTION_ENV ?? '')?.[1] ?? 0) >= 24 ? 4 : 3;
/** RIC 4's refusal of a callback handler, word for word. */
const CALLBACK_HANDLER_REFUSED =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

// --- how the process ended, for the local cloud ---------------------------------------------------------
if (Number.isInteger(REPORT_FD) && REPORT_FD > 2) {
  process.on('exit', (code) => {
    try {
      writeSync(REPORT_FD, `exit ${code}\n`);
    } catch {
      /* the cloud is gone: nobody to tell */
    }
  });
}

// --- the function's listeners stay on loopback ------------------------------------------------------------
// A Lambda function cannot be reached from the network; here, a server a function starts without a host (or
// on 0.0.0.0 / ::) is put on loopback instead, and one on any other address fails as the OS would refuse it.
// This covers JavaScript's `net` (http, https, ...) and `dgram`; native code and child processes are not
// covered (see RELIABILITY.md, "Function containment"). Unix sockets, inherited handles and the implicit bind
// of a UDP socket that only sends are left alone.
if (OPTIONS.includes('--loopback-listeners')) confineListenersToLoopback();

function confineListenersToLoopback() {
  const UNSPECIFIED = new Set(['0.0.0.0', '::', '[::]', '::0', '0:0:0:0:0:0:0:0']);
  /** The loopback host to use instead, `undefined` to keep `host`, or an Error to fail with. */
  const confine = (host, family) => {
    if (host === undefined || host === null || host === '' || UNSPECIFIED.has(host)) return family === 6 || String(host).includes(':') ? '::1' : '127.0.0.1';
    if (host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === '[::1]' || /^::ffff:127\./i.test(host)) return undefined;
    const error = new Error(`listen EADDRNOTAVAIL: address not available ${host} (the local cloud keeps functions' listeners on loopback)`);
    return Object.assign(error, { code: 'EADDRNOTAVAIL', errno: -99, syscall: 'listen', address: host });
  };
  const fail = (target, error) => {
    process.nextTick(() => target.emit('error', error));
    return target;
  };

  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function confinedListen(...args) {
    const first = args[0];
    if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
      // listen(options) — a handle, an fd or a path is left alone.
      if (first._handle || first.handle || first.fd !== undefined || first.path !== undefined) return listen.apply(this, args);
      const host = confine(first.host);
      if (host instanceof Error) return fail(this, Object.assign(host, { port: first.port }));
      return listen.apply(this, [host === undefined ? first : { ...first, host }, ...args.slice(1)]);
    }
    if (typeof first === 'string' && !/^\d+$/.test(first)) return listen.apply(this, args); // a Unix socket path
    if (first === undefined || typeof first === 'function') return listen.apply(this, [0, confine(undefined), ...args]);
    const host = typeof args[1] === 'string' ? confine(args[1]) : confine(undefined);
    if (host instanceof Error) return fail(this, Object.assign(host, { port: first }));
    if (typeof args[1] === 'string') return listen.apply(this, host === undefined ? args : [first, host, ...args.slice(2)]);
    return listen.apply(this, [first, host, ...args.slice(1)]);
  };

  const bind = dgram.Socket.prototype.bind;
  dgram.Socket.prototype.bind = function confinedBind(...args) {
    // dgram binds a socket that sends before it was bound itself with exactly ({ port: 0, exclusive: true }, null):
    // that socket only receives answers; keeping it on all addresses keeps sending to other hosts working.
    if (args.length === 2 && args[1] === null) return bind.apply(this, args);
    const family = this.type === 'udp6' ? 6 : 4;
    const first = args[0];
    if (first !== null && typeof first === 'object') {
      if (first.fd !== undefined) return bind.apply(this, args);
      const address = confine(first.address, family);
      if (address instanceof Error) return fail(this, Object.assign(address, { syscall: 'bind', port: first.port }));
      return bind.apply(this, [address === undefined ? first : { ...first, address }, ...args.slice(1)]);
    }
    if (typeof first === 'function' || first === undefined) return bind.apply(this, [0, confine(undefined, family), ...args]);
    const address = typeof args[1] === 'string' ? confine(args[1], family) : confine(undefined, family);
    if (address instanceof Error) return fail(this, Object.assign(address, { syscall: 'bind', port: first }));
    if (typeof args[1] === 'string') return bind.apply(this, address === undefined ? args : [first, address, ...args.slice(2)]);
    return bind.apply(this, [first, address, ...args.slice(1)]);
  };
}

/** The request id console lines are tagged with; during init `undefined` (RIC 3) or `-` (RIC 4), as in Lambda. */
let currentRequestId = CLIENT_GENERATION >= 4 ? '-' : undefined;
/** The invocation in progress, so an uncaught exception can be reported against it. */
let inFlight;

// --- console: `<ISO time>\t<request id>\t<LEVEL>\t<message>`, one line per call ---------------------------
// Lambda keeps a multi-line message in one log event; on a plain pipe its runtime turns `\n` into `\r`, and
// so do we (the local cloud turns them back). Everything goes to stdout so lines keep their order.
// Direct writes to process.stdout (e.g. Powertools Logger's JSON) pass through untouched.
const LEVELS = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
for (const [method, level] of Object.entries(LEVELS)) {
  console[method] = (...args) => {
    let message = format(...args);
    if (method === 'trace') message = `Trace: ${message}\n${(new Error().stack ?? '').split('\n').slice(2).join('\n')}`;
    const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${message}`;
    process.stdout.write(`${line.replace(/\r?\n/g, '\r')}\n`);
  };
}

// --- Runtime API client ---------------------------------------------------------------------------------
function call(method, pathname, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: API_HOST,
        port: Number(API_PORT),
        method,
        path: `/2018-06-01/runtime${pathname}`,
        agent,
        headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', reject);
      },
    );
    request.on('socket', (socket) => socket.setNoDelay(true));
    request.on('error', reject);
    request.end(body);
  });
}

/** An error the runtime itself raises (bad handler, unreadable response), with Lambda's `Runtime.*` type. */
class RuntimeError extends Error {
  constructor(errorType, message) {
    super(message);
    this.name = errorType;
    this.errorType = errorType;
    // Its stack opens with its type (`Runtime.HandlerNotFound: …`), as the trace Lambda's runtime reports does.
    if (typeof this.stack === 'string') this.stack = this.stack.replace(/^[^\n]*/, `${errorType}: ${message.split('\n')[0]}`);
  }
}

/** The Runtime API's error document: what Lambda's Node.js runtime sends (`trace` is its name for the stack). */
function toErrorDocument(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    };
  }
  // Anything else is reported by its type and its string form (an object's is `[object Object]`), as both RICs do.
  let text;
  try {
    text = String(error);
  } catch {
    text = Object.prototype.toString.call(error);
  }
  return { errorType: typeof error, errorMessage: text, trace: [] };
}

/**
 * Logs an error as Lambda's runtime does: `<label> \t{"errorType":…,"errorMessage":…,<its own fields>,"stack":[…]}`
 * for an Error, the value's JSON for anything else.
 */
function logError(label, error) {
  const withFields = (_key, value) => {
    if (!(value instanceof Error)) return value;
    const fields = Object.assign({ errorType: value.name, errorMessage: value.message, code: value.code }, value);
    if (typeof value.stack === 'string') fields.stack = value.stack.split('\n');
    return fields;
  };
  let text;
  try {
    text = JSON.stringify(error, withFields);
  } catch {
    text = JSON.stringify(toErrorDocument(error));
  }
  console.error(label, `\t${text}`);
}

async function postError(pathname, document) {
  const body = JSON.stringify(document);
  await call('POST', pathname, body, {
    'content-type': 'application/json',
    'lambda-runtime-function-error-type': document.errorType,
  });
}

// --- handler loading ------------------------------------------------------------------------------------
function findModuleFile(root, moduleName) {
  for (const extension of ['.js', '.mjs', '.cjs']) {
    const file = path.resolve(root, `${moduleName}${extension}`);
    if (existsSync(file)) return file;
  }
  return undefined;
}

async function loadHandler() {
  // `dir/sub/module.fn.nested`: the folder is up to the last `/`, the module up to the next `.`.
  const slash = HANDLER.lastIndexOf('/');
  const moduleRoot = slash >= 0 ? HANDLER.slice(0, slash) : '';
  const moduleAndHandler = slash >= 0 ? HANDLER.slice(slash + 1) : HANDLER;
  const match = /^([^.]*)\.(.*)$/.exec(moduleAndHandler);
  if (!match || !match[1] || !match[2]) throw new RuntimeError('Runtime.MalformedHandlerName', `Bad handler ${HANDLER}`);
  const [, moduleName, handlerPath] = match;
  const root = path.resolve(TASK_ROOT, moduleRoot);
  let file = findModuleFile(root, moduleName);
  if (!file) {
    // Like Lambda, fall back to a package of that name.
    try {
      file = createRequire(path.join(root, 'noop.js')).resolve(moduleName);
    } catch {
      throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}'\nRequire stack:\n- ${BOOTSTRAP_PATH}`);
    }
  }
  let namespace;
  try {
    namespace = await import(pathToFileURL(file).href);
  } catch (error) {
    if (error instanceof SyntaxError) throw new RuntimeError('Runtime.UserCodeSyntaxError', `${error.name}: ${error.message}`);
    if (error && (error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'MODULE_NOT_FOUND')) {
      throw new RuntimeError('Runtime.ImportModuleError', `${error.name}: ${error.message}`);
    }
    throw error;
  }
  // A CommonJS module arrives as `default` (module.exports); its named exports may or may not be detected.
  const resolveIn = (target) => handlerPath.split('.').reduce((value, key) => (value == null ? undefined : value[key]), target);
  let handler = resolveIn(namespace);
  if (handler === undefined && namespace.default !== undefined) handler = resolveIn(namespace.default);
  if (handler === undefined) throw new RuntimeError('Runtime.HandlerNotFound', `${moduleName}.${handlerPath} is undefined or not exported`);
  if (typeof handler !== 'function') throw new RuntimeError('Runtime.HandlerNotFound', `${moduleName}.${handlerPath} is not a function`);
  if (CLIENT_GENERATION >= 4 && handler.length >= 3 && !isStreaming(handler)) {
    throw new RuntimeError('Runtime.CallbackHandlerDeprecated', CALLBACK_HANDLER_REFUSED);
  }
  return handler;
}

// --- response streaming ------------------------------------------------------------------------------------
// `awslambda.streamifyResponse(handler)` marks a handler that writes its response to a stream, which goes to the
// Runtime API as it is written (`Lambda-Runtime-Function-Response-Mode: streaming`, chunked); a failure part-way
// is told in the trailers. The local cloud hands the chunks to an InvokeWithResponseStream caller as they come, and
// answers Invoke with the whole stream. Defined before the handler's module loads, as Lambda's runtime does, unless
// the function opts out with AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA (as both RICs allow). highWaterMark is accepted and not used: the
// stream is not buffered here.
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const NO_GLOBAL_AWSLAMBDA = ['1', 'true'].includes(process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA ?? '');
if (!NO_GLOBAL_AWSLAMBDA) {
  globalThis.awslambda = {
    ...globalThis.awslambda,
    streamifyResponse(handler) {
      handler[STREAMING] = 'response';
      return handler;
    },
    HttpResponseStream: {
      /** Prefixes the stream with the HTTP response's metadata (status, headers) and 8 NUL bytes, as Lambda's does. */
      from(stream, prelude) {
        stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
        const metadata = JSON.stringify(prelude);
        stream._onBeforeFirstWrite = (write) => {
          write(metadata);
          write(new Uint8Array(8));
        };
        return stream;
      },
    },
  };
}

/**
 * The runtime's own complaint about a streaming handler: RIC 3 fails the stream with the bare message (so the
 * error's type is `string` and it has no trace), RIC 4 with an Error.
 */
function streamingFailure(message) {
  return CLIENT_GENERATION >= 4 ? new Error(message) : message;
}

function isStreaming(handler) {
  return handler[STREAMING] === 'response';
}

/** Runs a streaming handler; its response (or the error it failed with) is sent on the stream itself. */
async function runStreamingHandler(handler, event, context, requestId) {
  const request = http.request({
    host: API_HOST,
    port: Number(API_PORT),
    method: 'POST',
    path: `/2018-06-01/runtime/invocation/${encodeURIComponent(requestId)}/response`,
    agent,
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      'Transfer-Encoding': 'chunked',
      'Content-Type': 'application/octet-stream',
      Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
    },
  });
  const answered = new Promise((resolve, reject) => {
    request.on('response', (response) => {
      response.resume();
      response.on('end', resolve);
    });
    request.on('error', reject);
  });
  let started = false;
  request.setContentType = (contentType) => {
    // Both RICs refuse it with their own error class, whose name is the error's type.
    if (started) throw new RuntimeError('Runtime.InvalidStreamingOperation', 'Cannot set content-type, too late.');
    request.setHeader('Content-Type', contentType);
  };
  const write = request.write.bind(request);
  request.write = (chunk, encoding, callback) => {
    if (!started && typeof request._onBeforeFirstWrite === 'function') request._onBeforeFirstWrite((data) => write(data));
    started = true;
    const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    return write(data, encoding, callback);
  };
  try {
    const returned = handler(event, request, context);
    if (!returned || typeof returned.then !== 'function') throw streamingFailure('Streaming does not support non-async handlers.');
    if ((await returned) !== undefined) console.warn('Streaming handlers ignore return values.');
    await answered;
    if (!request.writableFinished) throw streamingFailure('Response stream is not finished.');
  } catch (error) {
    logError('Invoke Error', error);
    if (request.writableEnded) return;
    const document = toErrorDocument(error);
    try {
      request.addTrailers({
        'Lambda-Runtime-Function-Error-Type': document.errorType,
        'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(document)).toString('base64'),
      });
    } catch {
      request.addTrailers({ 'Lambda-Runtime-Function-Error-Type': 'Runtime.StreamError' });
    }
    request.end();
    await answered.catch(() => undefined);
  }
}

// --- invoking --------------------------------------------------------------------------------------------
/**
 * What to do when the event loop is next empty ('beforeExit'), for the invocation in progress: RIC 3 answers a
 * callback only then (unless the handler clears callbackWaitsForEmptyEventLoop), and a handler that neither
 * returns a promise nor calls back with `null`.
 */
let onEmptyEventLoop;
process.on('beforeExit', () => {
  const action = onEmptyEventLoop;
  onEmptyEventLoop = undefined;
  action?.();
});

/** Runs the handler as RIC 4 does: its value, sync or async, is the response. */
async function runHandlerV4(handler, event, context) {
  return handler(event, context);
}

/**
 * Runs the handler as RIC 3 does. A returned promise settles the invocation at once; `callback(error, result)`
 * answers an error at once and a result once the event loop is empty (or at once when the handler set
 * `context.callbackWaitsForEmptyEventLoop = false`); `context.done/succeed/fail` answer at once. A handler that does
 * neither gets `null` once the event loop is empty. Only the first answer counts.
 */
function runHandlerV3(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error, result) => {
      if (settled) return;
      settled = true;
      onEmptyEventLoop = undefined;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    let waitForEmptyEventLoop = true;
    const callback = (error, result) => {
      if (settled) return;
      if ((error !== undefined && error !== null) || !waitForEmptyEventLoop) settle(error, result);
      else onEmptyEventLoop = () => setImmediate(() => settle(null, result));
    };
    Object.defineProperty(context, 'callbackWaitsForEmptyEventLoop', {
      get: () => waitForEmptyEventLoop,
      set: (value) => {
        waitForEmptyEventLoop = value;
      },
      enumerable: true,
    });
    context.done = (error, result) => settle(error, result);
    context.succeed = (result) => settle(null, result);
    context.fail = (error) => settle(error ?? 'handled', null);
    onEmptyEventLoop = () => settle(null, null);
    let returned;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      callback(error);
      return;
    }
    if (returned && typeof returned.then === 'function') returned.then(context.succeed, context.fail);
  });
}

const runHandler = CLIENT_GENERATION >= 4 ? runHandlerV4 : runHandlerV3;

function makeContext(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms'] ?? Date.now() + 3000);
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  if (headers['lambda-runtime-client-context']) {
    try {
      context.clientContext = JSON.parse(String(headers['lambda-runtime-client-context']));
    } catch {
      /* The Runtime API only sends JSON here. */
    }
  }
  return context;
}

/**
 * The next event. The Runtime API refuses a second `/next` while another is waiting (some other process of the
 * environment took the slot): ask again shortly, never treat the refusal as an event.
 */
async function nextInvocation() {
  // Unbounded on purpose, like any runtime's loop: the environment's life bounds it (idle reaping, timeouts).
  for (let attempt = 1; ; attempt += 1) {
    const next = await call('GET', '/invocation/next');
    if (next.status === 200) return next;
    if (attempt === 1) process.stderr.write(`bootstrap: /next answered ${next.status}: ${next.body.toString('utf8').slice(0, 200)}; asking again every ${NEXT_RETRY_MS} ms\n`);
    await new Promise((resolve) => setTimeout(resolve, NEXT_RETRY_MS));
  }
}

async function loop(handler) {
  for (;;) {
    const next = await nextInvocation();
    const requestId = String(next.headers['lambda-runtime-aws-request-id']);
    const traceId = next.headers['lambda-runtime-trace-id'];
    if (traceId) process.env._X_AMZN_TRACE_ID = String(traceId);
    else delete process.env._X_AMZN_TRACE_ID;
    currentRequestId = requestId;
    inFlight = requestId;
    if (isStreaming(handler)) {
      const event = next.body.length === 0 ? {} : JSON.parse(next.body.toString('utf8'));
      await runStreamingHandler(handler, event, makeContext(next.headers), requestId);
      inFlight = undefined;
      continue;
    }
    let outcome;
    try {
      const event = next.body.length === 0 ? {} : JSON.parse(next.body.toString('utf8'));
      const result = await runHandler(handler, event, makeContext(next.headers));
      let body;
      try {
        body = JSON.stringify(result === undefined ? null : result);
      } catch (error) {
        throw new RuntimeError('Runtime.MalformedResponse', `Unable to stringify response body: ${error.message}`);
      }
      outcome = { ok: true, body };
    } catch (error) {
      logError('Invoke Error', error);
      outcome = { ok: false, document: toErrorDocument(error) };
    }
    inFlight = undefined;
    if (outcome.ok) await call('POST', `/invocation/${encodeURIComponent(requestId)}/response`, outcome.body, { 'content-type': 'application/json' });
    else await postError(`/invocation/${encodeURIComponent(requestId)}/error`, outcome.document);
  }
}

// Errors that escape the handler: reported against the invocation in flight, then the runtime exits (the
// environment is replaced), as Lambda's runtime does.
async function failFatally(label, error, exitCode) {
  logError(label, error);
  const document = toErrorDocument(error);
  const requestId = inFlight;
  inFlight = undefined;
  try {
    if (requestId) await postError(`/invocation/${encodeURIComponent(requestId)}/error`, document);
  } finally {
    process.exit(exitCode);
  }
}
// RIC 4 leaves them to Node.js, which prints them and exits with 1: the invocation fails with Runtime.ExitError.
if (CLIENT_GENERATION < 4) {
  process.on('uncaughtException', (error) => void failFatally('Uncaught Exception', error, 129));
  process.on('unhandledRejection', (reason) => {
    const inner = toErrorDocument(reason);
    void failFatally('Unhandled Promise Rejection', new RuntimeError('Runtime.UnhandledPromiseRejection', `${inner.errorType}: ${inner.errorMessage}`), 128);
  });
}

// The environment's init kills us when the local cloud goes away (even by kill -9). Should the init itself be
// killed (by the function), we are reparented: exit then too, since nothing is left to enforce a timeout.
const PARENT_PID = process.ppid;
setInterval(() => {
  if (process.ppid !== PARENT_PID) process.exit(1);
}, 500).unref();

/**
 * V8's code cache for the handler's modules, kept between cold starts of the same code (the local cloud names a
 * directory per code package). Only speed depends on it: when Node.js cannot have one, it runs without.
 */
function enableCompileCache() {
  if (!COMPILE_CACHE_DIR || typeof nodeModule.enableCompileCache !== 'function') return;
  try {
    nodeModule.enableCompileCache(COMPILE_CACHE_DIR);
  } catch {
    // Same as having none.
  }
}

/** Writes what init compiled now: an idle environment is killed, never exits, so the exit-time write would never come. */
function flushCompileCache() {
  if (!COMPILE_CACHE_DIR || typeof nodeModule.flushCompileCache !== 'function') return;
  try {
    nodeModule.flushCompileCache();
  } catch {
    // Same as having none.
  }
}

async function main() {
  let handler;
  try {
    enableCompileCache();
    handler = await loadHandler();
    flushCompileCache();
  } catch (error) {
    logError(CLIENT_GENERATION >= 4 ? 'Init Error' : 'Uncaught Exception', error);
    try {
      await postError('/init/error', toErrorDocument(error));
    } finally {
      process.exit(1);
    }
    return;
  }
  try {
    await loop(handler);
  } catch (error) {
    // The Runtime API went away (the local cloud stopped): nothing left to serve.
    process.stderr.write(`bootstrap: runtime API unavailable: ${error.message}\n`);
    process.exit(1);
  }
}

void main();
