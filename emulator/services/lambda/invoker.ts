// Between the Lambda API and the runtime: turns a stored function into something runnable (refusing, with
// AWS's errors, what cannot run: missing, Pending, a runtime that does not run locally) and invokes it.
// Used by synchronous Invoke and by the asynchronous queue alike.
import { isRunnableRuntime, type LambdaRuntime } from '../../runtime/manager.js';
import type { InvocationRequest, InvocationResult, RunnableFunction } from '../../runtime/types.js';
import { runtimeNotRunnable } from './errors.js';
import type { LambdaStore, StoredFunction } from './store.js';

export class LambdaInvoker {
  constructor(
    private readonly store: LambdaStore,
    readonly runtime: LambdaRuntime,
  ) {}

  /** Throws ResourceConflictException (Pending) or InvalidRuntimeException (not a Node.js runtime). */
  async prepare(fn: StoredFunction): Promise<RunnableFunction> {
    const runnable = await this.store.runnable(fn);
    if (!isRunnableRuntime(runnable.runtime)) throw runtimeNotRunnable(runnable.runtime);
    return runnable;
  }

  async invoke(fn: StoredFunction, request: InvocationRequest): Promise<InvocationResult> {
    return this.runtime.invoke(await this.prepare(fn), request);
  }
}

/** For S3 events: the bucket and key of the first record, as annotations of the AWS::Lambda segment. */
export function s3Annotations(payload: string): Record<string, string> | undefined {
  try {
    const record = (JSON.parse(payload) as { Records?: { s3?: { bucket?: { name?: string }; object?: { key?: string } } }[] }).Records?.[0];
    const bucket = record?.s3?.bucket?.name;
    const key = record?.s3?.object?.key;
    if (!bucket || !key) return undefined;
    return { s3_bucket: bucket, s3_key: key };
  } catch {
    return undefined;
  }
}
