// The lines Lambda itself writes to a function's log (INIT_START, START, END, REPORT, INIT_REPORT, timeouts),
// in AWS's exact text, and the names of log groups and streams. Pure formatting: no I/O, no clocks of its own.
import { createHash, randomBytes } from 'node:crypto';

/** `/aws/lambda/<name>`: Lambda's default log group. */
export function defaultLogGroup(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/** `YYYY/MM/DD/[$LATEST]<32 hex>`: one stream per execution environment, dated (UTC) by its creation. */
export function newLogStreamName(nowMs: number = Date.now(), version = '$LATEST'): string {
  const date = new Date(nowMs);
  const yyyy = date.getUTCFullYear();
  const mm = String(date.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(date.getUTCDate()).padStart(2, '0');
  return `${yyyy}/${mm}/${dd}/[${version}]${randomBytes(16).toString('hex')}`;
}

export function initStartLine(runtime: string, region: string): string {
  // `nodejs22.x` → `nodejs:22`, `provided.al2023` → `provided:al2023`, as AWS names runtime versions.
  const family = runtime.replace(/\.x$/, '').replace(/^nodejs(\d+)$/, 'nodejs:$1').replace(/^provided\.(al\d+)$/, 'provided:$1');
  const digest = createHash('sha256').update(`thumbctl-local:${runtime}`).digest('hex');
  return `INIT_START Runtime Version: ${family}.v1\tRuntime Version ARN: arn:aws:lambda:${region}::runtime:${digest}`;
}

/**
 * `<ISO time>\tundefined\tWARN\t<message>`: a warning written during init, in the shape Lambda's Node.js runtime
 * gives its own (e.g. its callback-handler deprecation notice), so log readers file it as a warning.
 */
export function runtimeWarningLine(message: string, nowMs: number = Date.now()): string {
  return `${new Date(nowMs).toISOString()}\tundefined\tWARN\t${message.replace(/\r?\n/g, ' ')}`;
}

export function startLine(requestId: string, version = '$LATEST'): string {
  return `START RequestId: ${requestId} Version: ${version}`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

export interface ReportInput {
  requestId: string;
  durationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Cold starts only. */
  initDurationMs?: number;
  /** `timeout`, or `error` with an error type (Runtime.OutOfMemory, Runtime.ExitError, ...). */
  status?: { kind: 'timeout' } | { kind: 'error'; errorType: string };
  /** When the invocation was sampled. */
  xray?: { traceId: string; segmentId: string };
}

/**
 * `REPORT RequestId: <id>\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used:
 * 87 MB[\tInit Duration: 234.56 ms][\tStatus: ...]` and, when traced, `\nXRAY TraceId: ...\tSegmentId: ...\tSampled: true`.
 * Billed Duration rounds up to the millisecond and, since AWS bills the INIT phase (August 2025), includes it.
 */
export function reportLine(input: ReportInput): string {
  const billed = Math.max(1, Math.ceil(input.durationMs + (input.initDurationMs ?? 0)));
  let line =
    `REPORT RequestId: ${input.requestId}\tDuration: ${input.durationMs.toFixed(2)} ms\tBilled Duration: ${billed} ms` +
    `\tMemory Size: ${input.memorySizeMb} MB\tMax Memory Used: ${Math.round(input.maxMemoryUsedMb)} MB`;
  if (input.initDurationMs !== undefined) line += `\tInit Duration: ${input.initDurationMs.toFixed(2)} ms`;
  if (input.status?.kind === 'timeout') line += '\tStatus: timeout';
  else if (input.status?.kind === 'error') line += `\tStatus: error\tError Type: ${input.status.errorType}`;
  if (input.xray) line += `\nXRAY TraceId: ${input.xray.traceId}\tSegmentId: ${input.xray.segmentId}\tSampled: true`;
  return line;
}

/** `INIT_REPORT Init Duration: 12.34 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError` */
export function initReportLine(initDurationMs: number, status: 'error' | 'timeout', errorType?: string): string {
  let line = `INIT_REPORT Init Duration: ${initDurationMs.toFixed(2)} ms\tPhase: init\tStatus: ${status}`;
  if (errorType) line += `\tError Type: ${errorType}`;
  return line;
}

/** `2026-11-26T21:52:42.123Z <id> Task timed out after 10.00 seconds`, the line (and message) of a timeout. */
export function timeoutLine(nowMs: number, requestId: string, timeoutSeconds: number): string {
  return `${new Date(nowMs).toISOString()} ${requestId} Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
}

/** `exit status 1`, `signal: killed`, ...: how Lambda describes the end of a runtime process. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) {
    const names: Partial<Record<NodeJS.Signals, string>> = {
      SIGKILL: 'killed',
      SIGABRT: 'aborted (core dumped)',
      SIGSEGV: 'segmentation fault (core dumped)',
      SIGTERM: 'terminated',
      SIGINT: 'interrupt',
    };
    return `signal: ${names[signal] ?? signal}`;
  }
  return `exit status ${code ?? 0}`;
}

/** The last `bytes` bytes of a log, base64, as `X-Amz-Log-Result` carries it (AWS: 4 KB). */
export function logTail(text: string, bytes = 4096): string {
  const buffer = Buffer.from(text, 'utf8');
  return buffer.subarray(Math.max(0, buffer.length - bytes)).toString('base64');
}
