// X-Ray for invocations: trace ids, the `X-Amzn-Trace-Id` header, and the segment documents Lambda itself
// records (the `AWS::Lambda` service segment and the `AWS::Lambda::Function` segment). Pure functions; it
// neither samples by rule nor sends anything (the runtime hands the documents to the X-Ray store).

import { formatTraceHeader, newSegmentId, newTraceId, parseTraceHeader } from '../core/trace-header.js';

export { formatTraceHeader, isTraceId, newSegmentId, newTraceId, parseTraceHeader, type TraceHeader } from '../core/trace-header.js';

/** What one invocation's tracing looks like before it runs: the ids are fixed up front. */
export interface TracePlan {
  traceId: string;
  sampled: boolean;
  /** The `AWS::Lambda` segment's id. */
  serviceSegmentId: string;
  /** The `AWS::Lambda::Function` segment's id; it is the `Parent=` the function sees. */
  functionSegmentId: string;
  /** `_X_AMZN_TRACE_ID` for the function, sent as `Lambda-Runtime-Trace-Id`. */
  functionHeader: string;
  /** The caller's segment (e.g. S3's, for an upload's event), parent of the `AWS::Lambda` segment. */
  upstreamParentId?: string;
}

/**
 * Decides the trace of an invocation. Active: continue the caller's trace (or start one) and sample unless
 * the caller explicitly said `Sampled=0`. PassThrough: record nothing; the function gets the caller's header
 * as it came, or a fresh unsampled root.
 * @param mode - the function's TracingConfig.Mode
 * @param incoming - the caller's `X-Amzn-Trace-Id`, if any
 * @param lineage - Lambda's recursion-detection field (`1:<8 hex>:<count>`)
 */
export function planTrace(mode: string | undefined, incoming: string | undefined, lineage: string): TracePlan {
  const upstream = parseTraceHeader(incoming);
  const traceId = upstream.root ?? newTraceId();
  const serviceSegmentId = newSegmentId();
  const functionSegmentId = newSegmentId();
  if (mode !== 'Active') {
    const sampled = upstream.sampled === true;
    return {
      traceId,
      sampled: false,
      serviceSegmentId,
      functionSegmentId,
      functionHeader: formatTraceHeader({ root: traceId, parent: upstream.parent, sampled, lineage }),
    };
  }
  const sampled = upstream.sampled !== false;
  return {
    traceId,
    sampled,
    serviceSegmentId,
    functionSegmentId,
    functionHeader: formatTraceHeader({ root: traceId, parent: functionSegmentId, sampled, lineage }),
    upstreamParentId: upstream.parent,
  };
}

/** Times (epoch ms) of one invocation, as the runtime measured them. */
export interface InvocationTimeline {
  /** The event was queued (async) — the start of Dwell Time. */
  queuedAt?: number;
  /** Lambda accepted the request (sync) or the queue handed the event over (async). */
  receivedAt: number;
  /** Cold start only: the environment was spawned / it first asked for work. */
  initStartedAt?: number;
  initEndedAt?: number;
  /** The event was handed to the runtime / its response or error came back. */
  invokeStartedAt: number;
  invokeEndedAt: number;
  /** The runtime asked for the next event (end of Overhead), or when we stopped waiting for it. */
  overheadEndedAt: number;
}

export interface SegmentInput {
  plan: TracePlan;
  functionName: string;
  functionArn: string;
  accountId: string;
  requestId: string;
  attempt: number;
  timeline: InvocationTimeline;
  /** Set when the invocation failed (function error, timeout, crash). */
  error?: { type: string; message: string };
  /** Optional annotations on the `AWS::Lambda` segment (e.g. the S3 bucket and key of an event). */
  annotations?: Record<string, string | number | boolean>;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

/**
 * The two segment documents Lambda records for one sampled invocation.
 *
 * Shape (ids are 16 hex):
 * - `AWS::Lambda` segment S: name = function name, origin `AWS::Lambda`, from receipt (or, for async events,
 *   from enqueue) to the end; subsegments `Dwell Time` (async only: queued → dispatched) and `Attempt #N`
 *   (dispatched → done). `aws.request_id`, `resource_arn`, optional `annotations`.
 * - `AWS::Lambda::Function` segment F: parent_id = S, origin `AWS::Lambda::Function`, from init (cold) or
 *   dispatch (warm) to the end of Overhead; subsegments `Initialization` (cold only), `Invocation` (the
 *   handler; the function's own SDK subsegments arrive over UDP with parent_id = F, inside its span) and
 *   `Overhead` (response → the runtime's next `/next`). `fault` and `cause` when the invocation failed.
 */
export function buildInvocationSegments(input: SegmentInput): string[] {
  const { plan, timeline } = input;
  const serviceStart = timeline.queuedAt ?? timeline.receivedAt;
  const serviceEnd = Math.max(timeline.invokeEndedAt, timeline.receivedAt);
  const serviceSubsegments: Record<string, unknown>[] = [];
  if (timeline.queuedAt !== undefined) {
    serviceSubsegments.push({
      id: newSegmentId(),
      name: 'Dwell Time',
      start_time: seconds(timeline.queuedAt),
      end_time: seconds(timeline.receivedAt),
    });
  }
  serviceSubsegments.push({
    id: newSegmentId(),
    name: `Attempt #${input.attempt}`,
    start_time: seconds(timeline.receivedAt),
    end_time: seconds(serviceEnd),
    http: { response: { status: 200 } },
  });
  const serviceSegment: Record<string, unknown> = {
    trace_id: plan.traceId,
    id: plan.serviceSegmentId,
    ...(plan.upstreamParentId ? { parent_id: plan.upstreamParentId } : {}),
    name: input.functionName,
    origin: 'AWS::Lambda',
    start_time: seconds(serviceStart),
    end_time: seconds(serviceEnd),
    http: { response: { status: 200 } },
    aws: { request_id: input.requestId },
    resource_arn: input.functionArn,
    subsegments: serviceSubsegments,
  };
  if (input.annotations && Object.keys(input.annotations).length > 0) serviceSegment.annotations = input.annotations;

  const cause = input.error
    ? { working_directory: '/var/task', exceptions: [{ id: newSegmentId(), message: input.error.message, type: input.error.type }] }
    : undefined;
  const functionSubsegments: Record<string, unknown>[] = [];
  if (timeline.initStartedAt !== undefined && timeline.initEndedAt !== undefined) {
    functionSubsegments.push({
      id: newSegmentId(),
      name: 'Initialization',
      start_time: seconds(timeline.initStartedAt),
      end_time: seconds(timeline.initEndedAt),
      aws: { function_arn: input.functionArn },
    });
  }
  functionSubsegments.push({
    id: newSegmentId(),
    name: 'Invocation',
    start_time: seconds(timeline.invokeStartedAt),
    end_time: seconds(timeline.invokeEndedAt),
    aws: { function_arn: input.functionArn },
    ...(cause ? { fault: true, cause } : {}),
  });
  functionSubsegments.push({
    id: newSegmentId(),
    name: 'Overhead',
    start_time: seconds(timeline.invokeEndedAt),
    end_time: seconds(Math.max(timeline.overheadEndedAt, timeline.invokeEndedAt)),
    aws: { function_arn: input.functionArn },
  });
  const functionSegment: Record<string, unknown> = {
    trace_id: plan.traceId,
    id: plan.functionSegmentId,
    parent_id: plan.serviceSegmentId,
    name: input.functionName,
    origin: 'AWS::Lambda::Function',
    start_time: seconds(timeline.initStartedAt ?? timeline.invokeStartedAt),
    end_time: seconds(Math.max(timeline.overheadEndedAt, timeline.invokeEndedAt)),
    resource_arn: input.functionArn,
    aws: { account_id: input.accountId, function_arn: input.functionArn, resource_names: [input.functionName], request_id: input.requestId },
    subsegments: functionSubsegments,
    ...(cause ? { fault: true, cause } : {}),
  };
  return [JSON.stringify(serviceSegment), JSON.stringify(functionSegment)];
}
