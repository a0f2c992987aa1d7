// Reads traces and the service graph through the public X-Ray API, the same calls on AWS and on the local
// cloud: GetTraceSummaries (filtered to our function, every page), BatchGetTraces (5 ids a call, AWS's limit)
// and GetServiceGraph. No terminal, no analysis; waiting for traces to be indexed is bounded here too.
import {
  BatchGetTracesCommand,
  GetServiceGraphCommand,
  GetTraceSummariesCommand,
  type BatchGetTracesCommandOutput,
  type GetServiceGraphCommandOutput,
  type GetTraceSummariesCommandOutput,
  type Service,
  type Trace,
  type TraceSummary,
} from '@aws-sdk/client-xray';
import { sleep } from '../../../shared/retry.js';

/** The one method thumbctl uses of an XRayClient (tests pass a fake). */
export interface XRaySender {
  send(command: GetTraceSummariesCommand): Promise<GetTraceSummariesCommandOutput>;
  send(command: BatchGetTracesCommand): Promise<BatchGetTracesCommandOutput>;
  send(command: GetServiceGraphCommand): Promise<GetServiceGraphCommandOutput>;
}

/** BatchGetTraces takes at most 5 trace ids per call. */
export const BATCH_GET_TRACES_MAX_IDS = 5;
/** GetTraceSummaries is asked for at most this much time per call (AWS limits a query's time range). */
export const SUMMARY_CHUNK_MS = 6 * 60 * 60 * 1000;
/** GetServiceGraph covers at most the last this much of the window. */
export const SERVICE_GRAPH_MAX_MS = 6 * 60 * 60 * 1000;
/** X-Ray keeps traces for 30 days. */
export const TRACE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** Guard against an API that keeps answering with a NextToken. */
const MAX_PAGES = 1000;

export interface TimeWindow {
  start: Date;
  end: Date;
}

/** `service("name")`, quoted as X-Ray's filter expressions want. */
export function serviceFilter(functionName: string): string {
  return `service(${JSON.stringify(functionName)})`;
}

/**
 * Summaries of the traces that pass through our function in the window, newest first, without duplicates.
 *
 * @param xray - The X-Ray client.
 * @param functionName - Filters with `service("<functionName>")`.
 * @param window - Split into chunks of at most SUMMARY_CHUNK_MS.
 */
export async function listTraceSummaries(xray: XRaySender, functionName: string, window: TimeWindow): Promise<TraceSummary[]> {
  const byId = new Map<string, TraceSummary>();
  for (let chunkEnd = window.end.getTime(); chunkEnd > window.start.getTime(); chunkEnd -= SUMMARY_CHUNK_MS) {
    const chunkStart = Math.max(window.start.getTime(), chunkEnd - SUMMARY_CHUNK_MS);
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const output = await xray.send(
        new GetTraceSummariesCommand({
          StartTime: new Date(chunkStart),
          EndTime: new Date(chunkEnd),
          FilterExpression: serviceFilter(functionName),
          Sampling: false,
          NextToken: token,
        }),
      );
      for (const summary of output.TraceSummaries ?? []) if (summary.Id && !byId.has(summary.Id)) byId.set(summary.Id, summary);
      if (!output.NextToken || output.NextToken === token) break;
      token = output.NextToken;
    }
  }
  return [...byId.values()].sort((a, b) => summaryTime(b) - summaryTime(a) || (b.Id ?? '').localeCompare(a.Id ?? ''));
}

/** When a trace started, in epoch ms: the summary's StartTime, else the time inside the trace id. */
export function summaryTime(summary: TraceSummary): number {
  if (summary.StartTime) return summary.StartTime.getTime();
  return traceIdTime(summary.Id ?? '') ?? 0;
}

/** `1-<8 hex epoch seconds>-<24 hex>`: the trace id carries its start second. */
export function traceIdTime(traceId: string): number | undefined {
  const match = /^1-([0-9a-f]{8})-[0-9a-f]{24}$/i.exec(traceId);
  return match ? parseInt(match[1] as string, 16) * 1000 : undefined;
}

export function isTraceId(value: string): boolean {
  return traceIdTime(value) !== undefined;
}

export interface FetchedTraces {
  traces: Trace[];
  /** Ids X-Ray did not return (not indexed yet, too old, or unknown). */
  missing: string[];
}

/** Full traces for the ids, 5 per BatchGetTraces call, every page; order follows `ids`. */
export async function getTraces(xray: XRaySender, ids: readonly string[]): Promise<FetchedTraces> {
  const found = new Map<string, Trace>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += BATCH_GET_TRACES_MAX_IDS) {
    const chunk = unique.slice(i, i + BATCH_GET_TRACES_MAX_IDS);
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const output = await xray.send(new BatchGetTracesCommand({ TraceIds: chunk, NextToken: token }));
      for (const trace of output.Traces ?? []) {
        if (!trace.Id) continue;
        const known = found.get(trace.Id);
        // Pages of one trace's segments are joined.
        if (known) known.Segments = [...(known.Segments ?? []), ...(trace.Segments ?? [])];
        else found.set(trace.Id, { ...trace, Segments: [...(trace.Segments ?? [])] });
      }
      if (!output.NextToken || output.NextToken === token) break;
      token = output.NextToken;
    }
  }
  return {
    traces: unique.flatMap((id) => (found.has(id) ? [found.get(id) as Trace] : [])),
    missing: unique.filter((id) => !found.has(id)),
  };
}

export interface ServiceGraph {
  services: Service[];
  /** The window the graph covers (as answered, else as asked). */
  window: TimeWindow;
}

/** The service graph of the window's last SERVICE_GRAPH_MAX_MS at most, every page. */
export async function getServiceGraph(xray: XRaySender, window: TimeWindow): Promise<ServiceGraph> {
  const start = new Date(Math.max(window.start.getTime(), window.end.getTime() - SERVICE_GRAPH_MAX_MS));
  const services: Service[] = [];
  let token: string | undefined;
  let answered: { StartTime?: Date; EndTime?: Date } = {};
  for (let page = 0; page < MAX_PAGES; page++) {
    const output = await xray.send(new GetServiceGraphCommand({ StartTime: start, EndTime: window.end, NextToken: token }));
    services.push(...(output.Services ?? []));
    answered = { StartTime: output.StartTime ?? answered.StartTime, EndTime: output.EndTime ?? answered.EndTime };
    if (!output.NextToken || output.NextToken === token) break;
    token = output.NextToken;
  }
  return { services, window: { start: answered.StartTime ?? start, end: answered.EndTime ?? window.end } };
}

export interface WaitOptions {
  /** Stop once at least this many traces are listed. */
  count: number;
  /** Give up after this long (the total, polls included). */
  timeoutMs: number;
  intervalMs: number;
  /** Told about each poll that came up short. */
  onPoll?(seen: number): void;
  now?(): number;
  sleep?(ms: number): Promise<void>;
}

export interface WaitResult<T> {
  value: T;
  /** Whether the count was reached before the deadline. */
  reached: boolean;
  polls: number;
}

/**
 * Polls `list` until it returns at least `count` items or the deadline passes; returns the last answer either way.
 * A deadline loop rather than the retry helper: this waits for data to appear, not for an error to go away.
 */
export async function pollUntilCount<T extends { length: number }>(list: () => Promise<T>, options: WaitOptions): Promise<WaitResult<T>> {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const deadline = now() + options.timeoutMs;
  for (let polls = 1; ; polls++) {
    const value = await list();
    if (value.length >= options.count) return { value, reached: true, polls };
    const remaining = deadline - now();
    if (remaining <= 0) return { value, reached: false, polls };
    options.onPoll?.(value.length);
    await wait(Math.min(options.intervalMs, remaining));
  }
}
