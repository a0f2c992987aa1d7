// The runtime's view of a function and of one invocation: what it needs to start environments and run
// events, already validated by the lambda service. No AWS API shapes here (those live in the service).
import type { ResponseStreamSink } from './runtime-api.js';

export interface RunnableFunction {
  name: string;
  arn: string;
  /** e.g. `nodejs22.x`; `nodejs*` and OS-only `provided.*` runtimes run locally. */
  runtime: string;
  handler: string;
  memorySizeMb: number;
  timeoutSeconds: number;
  /** The function's Environment.Variables. */
  variables: Record<string, string>;
  tracingMode: 'Active' | 'PassThrough';
  /** The unpacked package: `<stateDir>/code/<sha256 hex>/`. */
  codeDirectory: string;
  /** Changes whenever code or configuration changes: environments of another generation are never reused. */
  generation: string;
  logGroup: string;
  role: string;
  region: string;
  accountId: string;
}

/** The node an environment starts: a binary and the flags its runtime adds (node-runtimes.ts decides both). */
export interface NodeCommand {
  binary: string;
  args: string[];
}

export interface InvocationRequest {
  /** The request id the function sees (`context.awsRequestId`); the same across async retries. */
  requestId: string;
  /** The event, JSON text. */
  payload: Buffer;
  /** The caller's X-Amzn-Trace-Id, if any. */
  traceHeader?: string;
  /** The client context, JSON text decoded from X-Amz-Client-Context's base64 (synchronous invocations only). */
  clientContext?: string;
  /** InvokeWithResponseStream: a streaming function's response goes here as it is written (runtime-api.ts). */
  responseStream?: ResponseStreamSink;
  /** Async only: when the event was queued (Dwell Time) and which attempt this is (1-based). */
  queuedAt?: number;
  attempt?: number;
  /** Optional annotations for the AWS::Lambda segment. */
  annotations?: Record<string, string | number | boolean>;
}

export interface InvocationResult {
  requestId: string;
  /** The response, or the error document when `functionError` is set. */
  payload: Buffer;
  /** `Unhandled` when the invocation failed (function error, timeout, crash, init failure). */
  functionError?: 'Unhandled';
  /** The error's type (e.g. `Error`, `Runtime.OutOfMemory`, `Sandbox.Timedout`) when it failed. */
  errorType?: string;
  /** This invocation's log text (START … REPORT), for `X-Amz-Log-Result`. */
  log: string;
  logGroup: string;
  logStream: string;
  durationMs: number;
  initDurationMs?: number;
  traceId: string;
}
