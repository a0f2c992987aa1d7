// Runs functions, the one path from a stored function to a running one: readiness and runtime checks (AWS's errors
// for what cannot run), the code's unpacked folder, synchronous invokes, and asynchronous ones: submitted to the
// durable queue (the function must exist) and run by its worker. Environments themselves are the runtime's.
import { isRunnableRuntime, type LambdaRuntime } from '../../runtime/manager.js';
import type { LambdaTuning } from '../../runtime/tuning.js';
import type { InvocationRequest, InvocationResult, RunnableFunction } from '../../runtime/types.js';
import type { FunctionCode } from './code.js';
import { InvalidRuntimeException, ResourceConflictException, ResourceNotFoundException } from './errors.js';
import type { EventQueue, NewEvent, QueuedEvent } from './event-queue.js';
import { AsyncInvokeWorker, type RunOutcome } from './queue.js';
import type { LambdaStore, StoredFunction } from './store.js';

export interface LambdaExecutorOptions {
  store: LambdaStore;
  code: FunctionCode;
  runtime: LambdaRuntime;
  queue: EventQueue;
  settings: { region: string; accountId: string };
  tuning: () => LambdaTuning;
  log(message: string): void;
}

/** How soon a queued event for a Pending function whose code is being unpacked is looked at again. */
const PENDING_RECHECK_MS = 100;

export class LambdaExecutor {
  readonly worker: AsyncInvokeWorker;

  constructor(private readonly options: LambdaExecutorOptions) {
    this.worker = new AsyncInvokeWorker(options.queue, (event, attempt) => this.runQueued(event, attempt), { tuning: options.tuning, log: options.log });
  }

  /**
   * What the runtime needs to run the function, its code unpacked. Throws ResourceConflictException while the
   * function is Pending, InvalidRuntimeException for a runtime that does not run locally (not Node.js).
   */
  async prepare(fn: StoredFunction): Promise<RunnableFunction> {
    if (Date.now() < fn.readyAt) throw ResourceConflictException.state('Pending');
    if (fn.createFailure !== undefined) throw ResourceConflictException.state('Failed');
    const codeDirectory = await this.options.code.directory(fn.codeSha256Hex);
    const runnable: RunnableFunction = {
      name: fn.name,
      arn: this.options.store.functionArn(fn.name),
      runtime: fn.runtime,
      handler: fn.handler,
      memorySizeMb: fn.memorySize,
      timeoutSeconds: fn.timeout,
      variables: fn.variables ?? {},
      tracingMode: fn.tracingMode,
      codeDirectory,
      generation: fn.generation,
      logGroup: fn.logging.LogGroup,
      role: fn.role,
      region: this.options.settings.region,
      accountId: this.options.settings.accountId,
    };
    if (!isRunnableRuntime(runnable.runtime)) throw new InvalidRuntimeException(runnable.runtime);
    return runnable;
  }

  /** A synchronous invoke (RequestResponse). */
  async invoke(fn: StoredFunction, request: InvocationRequest): Promise<InvocationResult> {
    return this.options.runtime.invoke(await this.prepare(fn), request);
  }

  /** A synchronous invoke of a function already prepared (the caller wanted `prepare`'s errors first). */
  invokePrepared(runnable: RunnableFunction, request: InvocationRequest): Promise<InvocationResult> {
    return this.options.runtime.invoke(runnable, request);
  }

  /**
   * Queues an asynchronous invoke (committed before this returns) and wakes the worker.
   * @throws ResourceNotFoundException when the function does not exist: nothing is queued for it
   */
  submit(event: NewEvent): void {
    if (!this.options.store.get(event.functionName)) throw ResourceNotFoundException.function(this.options.store.functionArn(event.functionName));
    this.options.queue.enqueue(event);
    this.worker.wake();
  }

  start(): void {
    this.worker.start();
  }

  /** Lets running asynchronous invokes finish (up to `timeoutMs`), then stops claiming. */
  drain(timeoutMs: number): Promise<void> {
    return this.worker.drain(timeoutMs);
  }

  /** One attempt at a queued event, for the worker. */
  private async runQueued(event: QueuedEvent, attempt: number): Promise<RunOutcome> {
    const fn = this.options.store.get(event.functionName);
    if (!fn) return { result: 'no-function' };
    // Lambda's own queue holds events while a function is Pending; not an attempt.
    // A function whose code is still being unpacked has no known readyAt yet: looked at again shortly.
    if (Date.now() < fn.readyAt) return { result: 'not-ready', until: Math.min(fn.readyAt, Date.now() + PENDING_RECHECK_MS) };
    let failure: string | undefined;
    let logStream: string | undefined;
    try {
      const runnable = await this.prepare(fn);
      const result = await this.options.runtime.invoke(runnable, {
        requestId: event.requestId,
        payload: Buffer.from(event.payload),
        traceHeader: event.traceHeader,
        queuedAt: event.enqueuedAt,
        attempt,
        annotations: event.source === 's3' && runnable.tracingMode === 'Active' ? s3Annotations(event.payload) : undefined,
      });
      if (result.functionError) failure = result.errorType ?? 'Unhandled';
      logStream = result.logStream;
    } catch (error) {
      failure = (error as Error).message;
    }
    if (failure === undefined) return { result: 'succeeded' };
    return {
      result: 'failed',
      reason: failure,
      // The function's own log stream of the last attempt, if it got one, tells of the drop too.
      note: (line) => {
        if (logStream) this.options.runtime.appendLog(fn.logging.LogGroup, logStream, line);
      },
    };
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
