// The lambda service of the local cloud: builds the store (functions, async queue), the runtime (execution
// environments) and the REST-JSON router, publishes the cross-service surface as `context.stores.lambda`,
// and runs the async worker between start() and stop(). No logic of its own beyond the wiring.
import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { roleNameOf } from '../../core/authorize.js';
import type { CloudContext, LambdaForOthers } from '../../core/context.js';
import { codeDirectory } from '../../runtime/code-package.js';
import { LambdaRuntime } from '../../runtime/manager.js';
import { readTuning } from '../../runtime/tuning.js';
import type { RunnableFunction } from '../../runtime/types.js';
import type { ServiceModule } from '../index.js';
import { LambdaInvoker } from './invoker.js';
import { AsyncInvokeWorker } from './queue.js';
import { LambdaRouter } from './router.js';
import { LambdaStore } from './store.js';
import { parseFunctionIdentifier } from './validation.js';

export interface LambdaInternals {
  store: LambdaStore;
  runtime: LambdaRuntime;
  worker: AsyncInvokeWorker;
}

/** How long shutting down waits for running asynchronous invocations to finish before killing them. */
const DRAIN_TIMEOUT_MS = 15_000;

const internals = new WeakMap<CloudContext, LambdaInternals>();

/** The lambda service's parts for a cloud, for tests and diagnostics (not a cross-service API). */
export function lambdaInternals(context: CloudContext): LambdaInternals | undefined {
  return internals.get(context);
}

export function createLambdaService(context: CloudContext): ServiceModule {
  const store = new LambdaStore(context);
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
    reload: (fn): Promise<RunnableFunction> => invoker.prepare(store.require(fn.name)),
  });
  store.onFunctionChanged = (name) => runtime.retire(name);
  store.onCodeReleased = (sha256Hex) => runtime.releaseCode(codeDirectory(context.settings.stateDir, sha256Hex), () => !store.codeIsReferenced(sha256Hex));
  const invoker = new LambdaInvoker(store, runtime);
  const worker = new AsyncInvokeWorker(store, invoker, context);
  internals.set(context, { store, runtime, worker });

  const forOthers: LambdaForOthers = {
    allowsS3Invoke: (functionArn, bucketName, bucketOwnerAccount) => store.allowsS3Invoke(functionArn, bucketName, bucketOwnerAccount),
    usesBlob: (digest) => store.codeIsReferenced(digest),
    enqueueEvent(functionArn, payload, source, traceHeader) {
      try {
        const { name } = parseFunctionIdentifier(functionArn);
        if (!store.get(name)) {
          context.log(`lambda: dropped a ${source} event for ${functionArn}: no such function`);
          return;
        }
        store.enqueue({ functionName: name, requestId: randomUUID(), payload, source, ...(traceHeader ? { traceHeader } : {}) });
        worker.wake();
      } catch (error) {
        context.log(`lambda: could not queue a ${source} event for ${functionArn}: ${(error as Error).message}`);
      }
    },
  };
  context.stores.lambda = forOthers;

  return {
    router: new LambdaRouter(context, store, invoker, worker),
    async start() {
      // Containment chosen and a crashed server's leftovers killed before the worker runs anything.
      await runtime.start();
      releaseUnusedCode(context, store);
      worker.start();
    },
    async stop() {
      await worker.drain(DRAIN_TIMEOUT_MS);
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
