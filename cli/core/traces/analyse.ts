// What one Lambda trace says about where the time went: the phases of the invocation, cold or warm, the S3
// key, errors, and whether anything expected is missing. Pure functions over segment trees; they read only
// what the X-Ray API returns (segments Lambda and the function emit), never anything private to the emulator.
import { SUBSEGMENTS } from '../../../function/log-messages.js';
import { latencyStats, PERCENTILE_METHOD, type LatencyStats } from './percentiles.js';
import { causeMessage, descendants, durationMs, hasProblem, type SegmentDocument, type SegmentTree } from './segments.js';

/** Origins and names Lambda gives its segments and subsegments. */
export const LAMBDA = {
  serviceOrigin: 'AWS::Lambda',
  functionOrigin: 'AWS::Lambda::Function',
  initialization: 'Initialization',
  invocation: 'Invocation',
  overhead: 'Overhead',
  dwell: /^dwell/i,
  attempt: /^attempt\b/i,
} as const;

/** Subsegments the function records (Powertools Tracer around the S3 client, and its own `decode` and `resize`). */
export const FUNCTION_SUBSEGMENTS = { s3: 'S3', getObject: 'GetObject', putObject: 'PutObject', resize: SUBSEGMENTS.resize, decode: SUBSEGMENTS.decode } as const;

/** Milliseconds spent in each phase; null when the trace has no such phase (or it is missing). */
export interface TracePhases {
  /** Initialization (cold starts only). */
  initMs: number | null;
  /** Time the event waited in Lambda before the function ran. */
  dwellMs: number | null;
  invocationMs: number | null;
  s3GetMs: number | null;
  resizeMs: number | null;
  s3PutMs: number | null;
  overheadMs: number | null;
}

/** One variant's `resize` subsegment (its resize and encode), named by the subsegment's annotations. */
export interface VariantResize {
  /** The variant's name (annotation `variant`). */
  name: string;
  /** `WxH`, the fit and the output format, as annotated (null when not recorded). */
  size: string | null;
  fit: string | null;
  format: string | null;
  resizeMs: number | null;
}

/**
 * The variants of an upload without a size: one `decode` shared by all of them, then a `resize` each. The row's
 * `phases.resizeMs` is the sum of these resizes; the decode is not in it.
 */
export interface VariantPhases {
  decodeMs: number | null;
  resizes: VariantResize[];
}

export type ErrorKind = 'fault' | 'error' | 'throttle';

/** One invocation, as `traces` lists it. */
export interface TraceRow {
  id: string;
  /** ISO time the event reached Lambda (the AWS::Lambda segment's start), else the earliest segment. */
  startTime: string;
  /** The S3 object key the invocation worked on, when the trace records it. */
  key: string | null;
  coldStart: boolean;
  /** The error message, or null when the invocation succeeded. */
  error: string | null;
  errorKind: ErrorKind | null;
  /** The AWS::Lambda segment's duration (the function segment's when there is none). */
  durationMs: number | null;
  /**
   * From the upload reaching S3 (traced uploads: S3's segment heads the trace) or else from Lambda receiving
   * the event (dwell included), to the end of the function segment.
   */
  e2eMs: number | null;
  phases: TracePhases;
  /** For an upload that made the configured variants (a trace with a `decode` subsegment); null otherwise. */
  variants: VariantPhases | null;
  /** How many times Lambda ran the function for this event (retries of async events share the trace). */
  attempts: number;
  /** True when expected segments or subsegments are missing (listed in `missing`); shown, never dropped. */
  partial: boolean;
  missing: string[];
  /** Present (true) when thumbctl could not read the trace at all; `missing` says why. Listed, never fatal. */
  unreadable?: true;
}

/**
 * The row of a trace thumbctl cannot read (no readable document, or one its analysis trips over): listed with
 * what is known, its id and the time in that id, and why; every number absent.
 */
export function unreadableRow(traceId: string, reason: string): TraceRow {
  const idSeconds = /^1-([0-9a-f]{8})-[0-9a-f]{24}$/i.exec(traceId);
  return {
    id: traceId,
    startTime: new Date(idSeconds ? parseInt(idSeconds[1]!, 16) * 1000 : 0).toISOString(),
    key: null,
    coldStart: false,
    error: null,
    errorKind: null,
    durationMs: null,
    e2eMs: null,
    phases: { initMs: null, dwellMs: null, invocationMs: null, s3GetMs: null, resizeMs: null, s3PutMs: null, overheadMs: null },
    variants: null,
    attempts: 0,
    partial: true,
    missing: [reason],
    unreadable: true,
  };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
const roundOrNull = (ms: number | undefined | null): number | null => (ms === undefined || ms === null ? null : round(ms));

/** The parts of a Lambda trace analyse() reads, found by origin and name. */
export interface LambdaSegments {
  service?: SegmentDocument;
  /** Every AWS::Lambda::Function segment, earliest first (one per attempt). */
  functions: SegmentDocument[];
}

/** Finds the AWS::Lambda and AWS::Lambda::Function segments, preferring those named after `functionName`. */
export function findLambdaSegments(tree: SegmentTree, functionName?: string): LambdaSegments {
  const pick = (origin: string): SegmentDocument[] => {
    const all = tree.roots.filter((root) => root.origin === origin);
    const named = functionName ? all.filter((root) => root.name === functionName) : [];
    return named.length ? named : all;
  };
  return { service: pick(LAMBDA.serviceOrigin)[0], functions: pick(LAMBDA.functionOrigin) };
}

function child(node: SegmentDocument | undefined, name: string | RegExp): SegmentDocument | undefined {
  return node?.subsegments?.find((s) => (typeof name === 'string' ? s.name === name : name.test(s.name)));
}

function isS3Call(node: SegmentDocument, operation: string): boolean {
  return (node.name === FUNCTION_SUBSEGMENTS.s3 || node.namespace === 'aws') && node.aws?.operation === operation;
}

function sumMs(nodes: SegmentDocument[]): number | undefined {
  if (nodes.length === 0) return undefined;
  let total = 0;
  for (const node of nodes) {
    const ms = durationMs(node);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return total;
}

function problemKind(node: SegmentDocument): ErrorKind | undefined {
  if (node.fault) return 'fault';
  if (node.error) return 'error';
  if (node.throttle) return 'throttle';
  return undefined;
}

function keyFrom(nodes: SegmentDocument[]): string | null {
  for (const operation of [FUNCTION_SUBSEGMENTS.getObject, FUNCTION_SUBSEGMENTS.putObject]) {
    const call = nodes.find((n) => isS3Call(n, operation) && typeof n.aws?.key === 'string');
    if (call) return call.aws?.key as string;
  }
  for (const node of nodes) {
    for (const name of ['key', 'object_key', 's3_key', 'objectKey', 'S3Key']) {
      const value = node.annotations?.[name];
      if (typeof value === 'string' && value) return value;
    }
    for (const namespace of Object.values(node.metadata ?? {})) {
      for (const name of ['key', 'object_key', 'objectKey']) {
        const value = namespace?.[name];
        if (typeof value === 'string' && value) return value;
      }
    }
  }
  return null;
}

/** The origin of the segment S3 records for a traced upload. */
const S3_BUCKET_ORIGIN = 'AWS::S3::Bucket';

/**
 * Reads one trace: phases, cold start, key, error, and what is missing.
 *
 * @param tree - The trace (see buildSegmentTree).
 * @param functionName - Our function, to pick its segments when a trace holds several services.
 */
export function analyseTrace(tree: SegmentTree, functionName?: string): TraceRow {
  if (tree.roots.length === 0) return unreadableRow(tree.id, `${tree.unreadable} unreadable segment document(s)`);
  const { service, functions } = findLambdaSegments(tree, functionName);
  const fn = functions[functions.length - 1];
  const allNodes = tree.roots.flatMap(descendants);
  const functionNodes = fn ? descendants(fn) : [];
  const lambdaNodes = [...(service ? descendants(service) : []), ...functions.flatMap(descendants)];

  const initialization = functions.map((f) => child(f, LAMBDA.initialization)).find(Boolean);
  const invocation = child(fn, LAMBDA.invocation);
  const overhead = child(fn, LAMBDA.overhead);
  const dwell = child(service, LAMBDA.dwell);
  const attempts = service?.subsegments?.filter((s) => LAMBDA.attempt.test(s.name)) ?? [];
  const gets = functionNodes.filter((n) => isS3Call(n, FUNCTION_SUBSEGMENTS.getObject));
  const puts = functionNodes.filter((n) => isS3Call(n, FUNCTION_SUBSEGMENTS.putObject));
  const resizes = functionNodes.filter((n) => n.name === FUNCTION_SUBSEGMENTS.resize);
  const decode = functionNodes.find((n) => n.name === FUNCTION_SUBSEGMENTS.decode);

  // Dwell: Lambda's `Dwell Time` subsegment (asynchronous events) when there is one; otherwise the gap between
  // Lambda receiving the request and the first attempt (or the function) starting.
  let dwellMs = dwell ? durationMs(dwell) : undefined;
  if (dwellMs === undefined && service) {
    const firstStart = attempts[0]?.start_time ?? functions[0]?.start_time;
    if (firstStart !== undefined) dwellMs = Math.max(0, (firstStart - service.start_time) * 1000);
  }

  // Errors: what Lambda records on its own segments (a handled S3 404 inside the function is not one).
  const errorCandidates = [invocation, fn, initialization, overhead, ...functions, ...attempts, service].filter(
    (n): n is SegmentDocument => n !== undefined && hasProblem(n),
  );
  const errorNode = errorCandidates[0];
  let error: string | null = null;
  let errorKind: ErrorKind | null = null;
  if (errorNode) {
    errorKind = problemKind(errorNode) ?? 'fault';
    const withCause = [...errorCandidates, ...lambdaNodes.filter(hasProblem)].map(causeMessage).find(Boolean);
    error = withCause ?? `${errorKind} (no cause recorded)`;
  }

  const missing: string[] = [];
  if (!service) missing.push(`${LAMBDA.serviceOrigin} segment`);
  if (!fn) missing.push(`${LAMBDA.functionOrigin} segment`);
  else {
    if (!invocation) missing.push(LAMBDA.invocation);
    if (!overhead && !errorNode) missing.push(LAMBDA.overhead);
    if (!errorNode) {
      // The function's own chain: each step is expected only when the one before it succeeded.
      // Variants add a `decode` between GetObject and their resizes; an image it could not decode has no resize.
      if (gets.length === 0) missing.push(`S3 ${FUNCTION_SUBSEGMENTS.getObject}`);
      else if (!gets.some(hasProblem) && resizes.length === 0 && !(decode && hasProblem(decode))) missing.push(FUNCTION_SUBSEGMENTS.resize);
      else if (resizes.length > 0 && !resizes.some(hasProblem) && puts.length === 0) missing.push(`S3 ${FUNCTION_SUBSEGMENTS.putObject}`);
    }
  }
  if (lambdaNodes.some((n) => n.in_progress || n.end_time === undefined)) missing.push('segments still in progress');
  if (tree.orphans.size > 0) missing.push(`parents of ${tree.orphans.size} subsegment(s)`);
  if (tree.unreadable > 0) missing.push(`${tree.unreadable} unreadable segment document(s)`);

  // A traced upload puts S3's own segment in front of Lambda's (S3 passes the trace on with the event): end to
  // end then starts when the upload reached S3, as the course demo measured it, not when Lambda got the event.
  const upload = service?.parent_id ? allNodes.find((node) => node.id === service.parent_id && node.origin === S3_BUCKET_ORIGIN) : undefined;
  const e2eStart = upload?.start_time ?? service?.start_time;
  const start = e2eStart ?? functions[0]?.start_time ?? tree.roots[0]?.start_time ?? 0;
  const fnEnd = fn && !fn.in_progress ? fn.end_time : undefined;
  return {
    id: tree.id,
    startTime: new Date(start * 1000).toISOString(),
    key: keyFrom([...functionNodes, ...lambdaNodes, ...allNodes]),
    coldStart: initialization !== undefined,
    error,
    errorKind,
    durationMs: roundOrNull((service ? durationMs(service) : undefined) ?? (fn ? durationMs(fn) : undefined)),
    e2eMs: e2eStart !== undefined && fnEnd !== undefined ? round((fnEnd - e2eStart) * 1000) : null,
    phases: {
      initMs: roundOrNull(initialization ? durationMs(initialization) : undefined),
      dwellMs: roundOrNull(dwellMs),
      invocationMs: roundOrNull(invocation ? durationMs(invocation) : undefined),
      s3GetMs: roundOrNull(sumMs(gets)),
      resizeMs: roundOrNull(sumMs(resizes)),
      s3PutMs: roundOrNull(sumMs(puts)),
      overheadMs: roundOrNull(overhead ? durationMs(overhead) : undefined),
    },
    variants: decode ? { decodeMs: roundOrNull(durationMs(decode)), resizes: resizes.map(variantResize) } : null,
    attempts: Math.max(functions.length, attempts.length, fn ? 1 : 0),
    partial: missing.length > 0,
    missing,
  };
}

function variantResize(node: SegmentDocument): VariantResize {
  const annotation = (name: string): string | null => {
    const value = node.annotations?.[name];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  return { name: annotation('variant') ?? '?', size: annotation('size'), fit: annotation('fit'), format: annotation('format'), resizeMs: roundOrNull(durationMs(node)) };
}

/** Newest first, the order `traces` lists them in. */
export function newestFirst(rows: readonly TraceRow[]): TraceRow[] {
  return [...rows].sort((a, b) => b.startTime.localeCompare(a.startTime) || a.id.localeCompare(b.id));
}

/** Stats of one group of invocations; the flat p50Ms… are of the invocation duration. */
export interface GroupSummary {
  count: number;
  errors: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** The Invocation subsegment's duration (same numbers as the flat p50Ms…). */
  invocation: LatencyStats;
  /** End to end: from the upload reaching S3 (or the event reaching Lambda) to the end of the function. */
  e2e: LatencyStats;
}

export interface TracesSummary extends GroupSummary {
  coldStarts: number;
  partial: number;
  percentileMethod: typeof PERCENTILE_METHOD;
  cold: GroupSummary;
  warm: GroupSummary;
}

function groupSummary(rows: readonly TraceRow[]): GroupSummary {
  const invocation = latencyStats(rows.flatMap((r) => (r.phases.invocationMs === null ? [] : [r.phases.invocationMs])));
  const e2e = latencyStats(rows.flatMap((r) => (r.e2eMs === null ? [] : [r.e2eMs])));
  return {
    count: rows.length,
    errors: rows.filter((r) => r.error !== null).length,
    p50Ms: invocation.p50Ms,
    p90Ms: invocation.p90Ms,
    p99Ms: invocation.p99Ms,
    maxMs: invocation.maxMs,
    invocation,
    e2e,
  };
}

/** Count, errors, cold starts and percentiles, overall and for cold and warm starts apart. */
export function summarise(rows: readonly TraceRow[]): TracesSummary {
  return {
    ...groupSummary(rows),
    coldStarts: rows.filter((r) => r.coldStart).length,
    partial: rows.filter((r) => r.partial).length,
    percentileMethod: PERCENTILE_METHOD,
    cold: groupSummary(rows.filter((r) => r.coldStart)),
    warm: groupSummary(rows.filter((r) => !r.coldStart)),
  };
}

/** One bar of a waterfall: a segment or subsegment placed on the trace's time axis. */
export interface TimelineSpan {
  name: string;
  /** 0 for segments, +1 per level of nesting. */
  depth: number;
  origin?: string;
  /** Milliseconds from the start of the trace. */
  startMs: number;
  /** Null while in progress. */
  endMs: number | null;
  problem: ErrorKind | null;
}

export interface Timeline {
  traceId: string;
  /** Epoch milliseconds of the axis' zero. */
  startEpochMs: number;
  totalMs: number;
  spans: TimelineSpan[];
}

/** Flattens a trace into bars on one time axis, segments in start order, subsegments nested under them. */
export function buildTimeline(tree: SegmentTree): Timeline {
  const t0 = Math.min(...tree.roots.map((r) => r.start_time));
  const spans: TimelineSpan[] = [];
  let last = t0;
  const visit = (node: SegmentDocument, depth: number): void => {
    const operation = typeof node.aws?.operation === 'string' ? node.aws.operation : undefined;
    // A variant's resize is named after its variant, so each has its own labelled bar.
    const variant = node.name === FUNCTION_SUBSEGMENTS.resize && typeof node.annotations?.variant === 'string' ? node.annotations.variant : undefined;
    const name = operation && !node.name.includes(operation) ? `${node.name} ${operation}` : variant ? `${node.name} ${variant}` : node.name;
    const end = node.in_progress ? undefined : node.end_time;
    if (end !== undefined) last = Math.max(last, end);
    last = Math.max(last, node.start_time);
    spans.push({
      name,
      depth,
      ...(depth === 0 && node.origin ? { origin: node.origin } : {}),
      startMs: round((node.start_time - t0) * 1000),
      endMs: end === undefined ? null : round((end - t0) * 1000),
      problem: problemKind(node) ?? null,
    });
    for (const sub of node.subsegments ?? []) visit(sub, depth + 1);
  };
  tree.roots.forEach((root) => visit(root, 0));
  return { traceId: tree.id, startEpochMs: Number.isFinite(t0) ? t0 * 1000 : 0, totalMs: spans.length ? round((last - t0) * 1000) : 0, spans };
}
