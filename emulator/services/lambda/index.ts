// The lambda service of the local cloud: builds the store (functions), the code and queue stores, the runtime
// (execution environments), the executor that runs functions and the REST-JSON router, publishes the
// cross-service surface as `context.stores.lambda`, and runs the async worker between start() and stop().
// No logic of its own beyond the wiring.
import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Authorizer, roleNameOf } from '../../core/authorize.js';
import type { CloudContext, LambdaForOthers } from '../../core/context.js';
import type { ServiceModule } from '../../core/service.js';
import { LambdaRuntime } from '../../runtime/manager.js';
import { readTuning } from '../../runtime/tuning.js';
import type { RunnableFunction } from '../../runtime/types.js';
import { FunctionCode } from './code.js';
import { ResourceNotFoundException } from './errors.js';
import { EventQueue } from './event-queue.js';
import { LambdaExecutor } from './executor.js';
import { createLambdaRouter } from './router.js';
import { LambdaStore } from './store.js';
import { parseFunctionIdentifier } from './validation.js';

export interface LambdaInternals {
  store: LambdaStore;
  queue: EventQueue;
  runtime: LambdaRuntime;
  executor: LambdaExecutor;
  code: FunctionCode;
}

/** How long shutting down waits for running asynchronous invocations to finish before killing them. */
const DRAIN_TIMEOUT_MS = 15_000;

const internals = new WeakMap<CloudContext, LambdaInternals>();

/** The lambda service's parts for a cloud, for tests and diagnostics (not a cross-service API). */
export function lambdaInternals(context: CloudContext): LambdaInternals | undefined {
  return internals.get(context);
}

export function createLambdaService(context: CloudContext): ServiceModule {
  const code = new FunctionCode({ blobs: context.blobs, stateDir: context.settings.stateDir, s3: () => context.stores.s3, log: context.log });
  const store = new LambdaStore(context.db, { settings: context.settings, faults: context.faults, code, iam: () => context.stores.iam, log: context.log });
  const queue = new EventQueue(context.db);
  const runtime = new LambdaRuntime({
    endpoint: () => context.settings.endpoint,
    tuning: () => readTuning(context.settings),
    logs: () => context.stores.logs,
    xray: () => context.stores.xray,
    xrayDaemonAddress: () => context.stores.xray?.daemonAddress,
    log: (message) => context.log(message),
    stateDir: context.settings.stateDir,
    // Each environment signs its calls with keys that stand for the function's role, in a session named after
    // the function (as Lambda names it), so the cloud checks them against the role's policies
    // (emulator/core/authorize.ts), as AWS does.
    credentials: context.credentials && {
      issue: (fn) => {
        const role = context.stores.iam?.roleByName(roleNameOf(fn.role));
        return context.credentials!.issue({
          accountId: context.settings.accountId,
          roleArn: fn.role,
          roleName: roleNameOf(fn.role),
          // Pinned to the role as it is now (a role created again under its name is another role); a role
          // that is not there allows nothing.
          roleId: role?.arn === fn.role ? role.roleId : undefined,
          sessionName: fn.name,
        });
      },
      revoke: (accessKeyId) => context.credentials?.revoke(accessKeyId),
    },
    // An invocation that read the function before an update returned must not start on the old code.
    isCurrent: (fn) => store.get(fn.name)?.generation === fn.generation,
    reload: (fn): Promise<RunnableFunction> => executor.prepare(store.require(fn.name)),
  });
  store.onFunctionChanged = (name) => runtime.retire(name);
  // A released package's folder goes once no environment runs in it, unless a function took the code up again.
  store.onCodeReleased = (sha256Hex) => runtime.releaseCode(code.directoryOf(sha256Hex), () => !store.codeIsReferenced(sha256Hex));
  const executor = new LambdaExecutor({ store, code, runtime, queue, settings: context.settings, tuning: () => readTuning(context.settings), log: context.log });
  internals.set(context, { store, queue, runtime, executor, code });

  const forOthers: LambdaForOthers = {
    allowsS3Invoke: (functionArn, bucketName, bucketOwnerAccount) => store.allowsS3Invoke(functionArn, bucketName, bucketOwnerAccount),
    usesBlob: (digest) => store.codeIsReferenced(digest),
    async invoke(functionArn, payload) {
      const fn = store.require(store.resolve(functionArn));
      const result = await executor.invoke(fn, { requestId: randomUUID(), payload: Buffer.from(payload) });
      return { payload: result.payload.toString('utf8'), ...(result.functionError ? { functionError: result.functionError, errorType: result.errorType ?? 'Unhandled' } : {}) };
    },
    enqueueEvent(functionArn, payload, source, traceHeader) {
      try {
        const { name } = parseFunctionIdentifier(functionArn);
        executor.submit({ functionName: name, requestId: randomUUID(), payload, source, ...(traceHeader ? { traceHeader } : {}) });
      } catch (error) {
        if (error instanceof ResourceNotFoundException) context.log(`lambda: dropped a ${source} event for ${functionArn}: no such function`);
        else context.log(`lambda: could not queue a ${source} event for ${functionArn}: ${(error as Error).message}`);
      }
    },
  };
  context.stores.lambda = forOthers;

  return {
    router: createLambdaRouter({ store, executor, blobs: context.blobs, faults: context.faults, log: context.log, authorizer: new Authorizer(context, 'lambda') }),
    async start() {
      // Containment chosen and a crashed server's leftovers killed before the worker runs anything.
      await runtime.start();
      const settled = store.settleInterruptedCreates();
      if (settled > 0) context.log(`lambda: ${settled} function(s) created while the cloud stopped, their code not yet unpacked: Active now, unpacked at first invocation`);
      releaseUnusedCode(context, store);
      executor.start();
    },
    async stop() {
      // Unpacks of just-created functions finish (and mark them Active) while the database is still open.
      await code.settled();
      await executor.drain(DRAIN_TIMEOUT_MS);
      await runtime.stop();
    },
  };
}

/** At start: code an earlier server replaced without releasing it (or released half-way) goes now. */
function releaseUnusedCode(context: CloudContext, store: LambdaStore): void {
  const root = join(context.settings.stateDir, 'code');
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    if (/^[0-9a-f]{64}$/.test(name)) store.releaseCode(name);
    else if (name.startsWith('.released-')) rmSync(join(root, name), { recursive: true, force: true });
  }
}
