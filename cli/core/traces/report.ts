// Puts a `traces` report together: list our function's traces (waiting for them when asked), read them,
// analyse them, and fetch the service map; and say honestly when the numbers may still be incomplete.
// It reports progress through a Reporter and never prints; rendering is render-text.ts and render-html.ts.
import type { Reporter } from '../../output.js';
import { analyseTrace, buildTimeline, newestFirst, summarise, unreadableRow, type Timeline, type TraceRow, type TracesSummary } from './analyse.js';
import { sleep } from '../../../shared/retry.js';
import { getServiceGraph, getTraces, listTraceSummaries, pollUntilCount, type TimeWindow, type XRaySender } from './fetch.js';
import { TRACES_DEFAULTS, type TracesOptions } from './options.js';
import { buildSegmentTree, type SegmentTree } from './segments.js';
import { buildServiceMap, type ServiceMap } from './service-map.js';
import type { CostEstimate } from '../cost/estimate.js';

/** On AWS, traces younger than this may not be indexed yet. */
export const AWS_INDEXING_DELAY_MS = 30_000;
/** With --wait, how long partial traces get to complete once the count is reached. */
export const SETTLE_MS = 10_000;

export interface TracesReport {
  functionName: string;
  target: 'local' | 'aws';
  window: { start: string; end: string };
  /** Newest first. */
  traces: TraceRow[];
  summary: TracesSummary;
  serviceMap: ServiceMap & { error?: string };
  /** True when traces may still be arriving (AWS's indexing delay, partial traces, a wait that ran out). */
  mayBeIncomplete: boolean;
  /** Sentences for people about what the numbers do not (yet) cover. */
  notes: string[];
  /** How many traces the window held before --limit. */
  listed: number;
  /** --trace-id ids X-Ray did not return. */
  missingTraceIds: string[];
  /** The --trace-id traces as waterfalls, in the order asked. */
  timelines: Timeline[];
  /** The slowest trace end to end, as a waterfall (for the HTML report). */
  slowest?: Timeline;
  /** False when --wait gave up before the count appeared. */
  waitReached: boolean;
  /** Estimated AWS cost per 1,000 thumbnails of these invocations (set by the caller that can read the function). */
  cost?: CostEstimate;
}

export interface CollectRequest {
  functionName: string;
  target: 'local' | 'aws';
  /** True when X-Ray is AWS's own (its indexing delay applies); default: target aws. An endpoint in force, even with --target aws, is not. */
  xrayOnAws?: boolean;
  options: TracesOptions;
  /** Fetch the service graph (JSON, --service-map, --html). */
  serviceMap: boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  waitTimeoutMs?: number;
  waitIntervalMs?: number;
}

export async function collectTracesReport(xray: XRaySender, request: CollectRequest, reporter: Reporter): Promise<TracesReport> {
  const now = request.now ?? Date.now;
  const { options, functionName } = request;
  const startMs = now() - options.sinceMs;
  const windowNow = (): TimeWindow => ({ start: new Date(startMs), end: new Date(now()) });
  const notes: string[] = [];
  let waitReached = true;
  let listed = 0;
  const timeoutMs = request.waitTimeoutMs ?? TRACES_DEFAULTS.waitTimeoutMs;
  const deadline = now() + timeoutMs;

  let ids: string[];
  const step = reporter.step(options.traceIds.length ? `reading ${options.traceIds.length} trace(s)` : `listing traces of ${functionName}`);
  try {
    if (options.traceIds.length) {
      ids = options.traceIds;
    } else {
      const list = () => listTraceSummaries(xray, functionName, windowNow());
      let summaries;
      if (options.wait !== undefined) {
        const count = options.wait;
        const result = await pollUntilCount(list, {
          count,
          timeoutMs,
          intervalMs: request.waitIntervalMs ?? TRACES_DEFAULTS.waitIntervalMs,
          onPoll: (seen) => step.update(`waiting for ${count} trace(s) of ${functionName} to be indexed: ${seen} so far`),
          now,
          sleep: request.sleep,
        });
        summaries = result.value;
        waitReached = result.reached;
        if (!result.reached) {
          notes.push(`waited ${Math.round(timeoutMs / 1000)} s for ${count} trace(s); X-Ray listed ${summaries.length}`);
        }
      } else summaries = await list();
      listed = summaries.length;
      ids = summaries.slice(0, options.limit).flatMap((s) => (s.Id ? [s.Id] : []));
      if (summaries.length > options.limit) notes.push(`showing the newest ${options.limit} of ${summaries.length} traces (--limit)`);
    }

    step.update(`reading ${ids.length} trace(s)`);
    let { trees, missing } = await readTrees(xray, ids);
    let rows = trees.map((tree) => analyseOrUnreadable(tree, functionName));

    // With --wait, give traces that are still partial (subsegments in flight) a moment to complete.
    if (options.wait !== undefined && waitReached) {
      const settleUntil = Math.min(deadline, now() + SETTLE_MS);
      while (rows.some((r) => r.partial) && now() < settleUntil) {
        step.update(`waiting for ${rows.filter((r) => r.partial).length} partial trace(s) to complete`);
        await (request.sleep ?? sleep)(Math.min(1_000, Math.max(0, settleUntil - now())));
        ({ trees, missing } = await readTrees(xray, ids));
        rows = trees.map((tree) => analyseOrUnreadable(tree, functionName));
      }
    }
    step.succeed(`${rows.length} trace(s) of ${functionName}`);

    rows = newestFirst(rows);
    const summary = summarise(rows);
    const window = windowNow();

    let serviceMap: TracesReport['serviceMap'] = { startTime: window.start.toISOString(), endTime: window.end.toISOString(), windowMinutes: 0, nodes: [], edges: [] };
    if (request.serviceMap) {
      try {
        const graph = await getServiceGraph(xray, window);
        serviceMap = buildServiceMap(graph.services, { functionName, startTime: graph.window.start, endTime: graph.window.end }, { StartTime: graph.window.start, EndTime: graph.window.end });
        if (graph.window.start.getTime() > window.start.getTime() + 60_000) {
          notes.push(`the service map covers ${serviceMap.startTime} to ${serviceMap.endTime} only`);
        }
      } catch (error) {
        // The table and percentiles stand on their own; a service graph we cannot read is a note, not a failure.
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        serviceMap = { ...serviceMap, error: message };
        notes.push(`no service map: ${message}`);
      }
    }

    const newest = rows.reduce((max, r) => Math.max(max, Date.parse(r.startTime) + (r.e2eMs ?? r.durationMs ?? 0)), 0);
    const recent = rows.length === 0 || now() - newest < AWS_INDEXING_DELAY_MS;
    let mayBeIncomplete = !waitReached || missing.length > 0;
    if ((request.xrayOnAws ?? request.target === 'aws') && recent && !options.traceIds.length) {
      mayBeIncomplete = true;
      notes.push(`X-Ray on AWS indexes traces tens of seconds after they end: invocations from the last ${AWS_INDEXING_DELAY_MS / 1000} s may not be listed yet (--wait N polls until N are)`);
    }
    const partial = rows.filter((r) => r.partial);
    if (partial.length) {
      if (now() - newest < AWS_INDEXING_DELAY_MS) mayBeIncomplete = true;
      notes.push(`${partial.length} trace(s) are partial (expected segments missing): their phases show what was recorded`);
    }
    if (missing.length) notes.push(`X-Ray returned no trace for ${missing.join(', ')}`);

    const unreadable = rows.filter((r) => r.unreadable);
    if (unreadable.length) notes.push(`${unreadable.length} trace(s) could not be read: ${unreadable.map((r) => r.id).join(', ')}`);

    const treeById = new Map(trees.map((t) => [t.id, t]));
    const timelines = options.traceIds.flatMap((id) => {
      const timeline = treeById.has(id) ? timelineOrUndefined(treeById.get(id) as SegmentTree) : undefined;
      return timeline ? [timeline] : [];
    });
    const slowestRow = [...rows].filter((r) => !r.unreadable).sort((a, b) => (b.e2eMs ?? b.durationMs ?? -1) - (a.e2eMs ?? a.durationMs ?? -1))[0];
    const slowestTree = slowestRow ? treeById.get(slowestRow.id) : undefined;
    const slowest = slowestTree ? timelineOrUndefined(slowestTree) : undefined;

    return {
      functionName,
      target: request.target,
      window: { start: window.start.toISOString(), end: window.end.toISOString() },
      traces: rows,
      summary,
      serviceMap,
      mayBeIncomplete,
      notes,
      listed: options.traceIds.length ? rows.length : listed,
      missingTraceIds: missing,
      timelines,
      ...(slowest ? { slowest } : {}),
      waitReached,
    };
  } catch (error) {
    step.fail();
    throw error;
  }
}

/** One trace's row; a trace whose documents trip the analysis is listed as unreadable instead of ending the command. */
function analyseOrUnreadable(tree: SegmentTree, functionName: string): TraceRow {
  try {
    return analyseTrace(tree, functionName);
  } catch (error) {
    return unreadableRow(tree.id, `unreadable trace: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A trace's waterfall, or undefined for one that cannot be drawn (it is listed as unreadable). */
function timelineOrUndefined(tree: SegmentTree): Timeline | undefined {
  if (tree.roots.length === 0) return undefined;
  try {
    return buildTimeline(tree);
  } catch {
    return undefined;
  }
}

async function readTrees(xray: XRaySender, ids: string[]): Promise<{ trees: SegmentTree[]; missing: string[] }> {
  if (ids.length === 0) return { trees: [], missing: [] };
  const { traces, missing } = await getTraces(xray, ids);
  const trees = traces.map((trace): SegmentTree => {
    try {
      return buildSegmentTree(trace);
    } catch {
      // Linking or sorting what it read failed (a pathological tree): nothing of it is trusted.
      return { id: trace.Id ?? '', roots: [], orphans: new Set(), unreadable: trace.Segments?.length ?? 0 };
    }
  });
  return { trees, missing };
}

/** The `--json` document: its fields are a contract with scripts (added to, never renamed or removed), plus a few fields scripts may find useful. */
export function reportDocument(report: TracesReport): Record<string, unknown> {
  return {
    traces: report.traces,
    summary: report.summary,
    serviceMap: report.serviceMap,
    functionName: report.functionName,
    window: report.window,
    mayBeIncomplete: report.mayBeIncomplete,
    notes: report.notes,
    ...(report.timelines.length ? { timelines: report.timelines } : {}),
    ...(report.missingTraceIds.length ? { missingTraceIds: report.missingTraceIds } : {}),
    ...(report.cost ? { cost: report.cost } : {}),
  };
}
