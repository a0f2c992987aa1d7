// Hand-written X-Ray data shaped like what Lambda and the thumbnailer record: the AWS::Lambda service segment
// (Dwell Time, Attempt #1), the AWS::Lambda::Function segment (Initialization, Invocation, Overhead) and the
// function's own subsegments (S3 GetObject / PutObject from the instrumented client, `resize`).
// Times are chosen so every phase is a round number of milliseconds.
import type { Service, Trace } from '@aws-sdk/client-xray';
import { analyseTrace, buildTimeline, newestFirst, summarise } from '../../../../../cli/core/traces/analyse.js';
import type { TracesReport } from '../../../../../cli/core/traces/report.js';
import { buildSegmentTree, type SegmentDocument } from '../../../../../cli/core/traces/segments.js';
import { buildServiceMap } from '../../../../../cli/core/traces/service-map.js';

export const FUNCTION_NAME = 'thumbctl-thumbnailer';
export const T0 = 1_700_000_000; // 2023-11-14T22:13:20Z

let counter = 0;
const id = (): string => (++counter).toString(16).padStart(16, '0');

export function traceId(second: number, n: number): string {
  return `1-${second.toString(16).padStart(8, '0')}-${n.toString(16).padStart(24, '0')}`;
}

interface Span {
  start_time: number;
  end_time: number;
}

const at = (t: number, fromMs: number, toMs: number): Span => ({ start_time: t + fromMs / 1000, end_time: t + toMs / 1000 });

function s3Call(operation: 'GetObject' | 'PutObject', span: Span, key: string, extra: Partial<SegmentDocument> = {}): SegmentDocument {
  return {
    id: id(),
    name: 'S3',
    namespace: 'aws',
    ...span,
    aws: { operation, region: 'us-east-1', request_id: 'R', retries: 1, key, bucket_name: operation === 'GetObject' ? 'source' : 'thumbs' },
    http: { response: { status: 200 } },
    ...extra,
  };
}

export interface LambdaTraceOptions {
  t: number;
  n: number;
  key?: string;
  cold?: boolean;
  /** Send the function's subsegments as standalone documents (as the X-Ray daemon does) instead of inline. */
  standalone?: boolean;
  /** Leave out the function's S3 and resize subsegments and the Overhead subsegment. */
  partial?: boolean;
  /** The GetObject call faults and the invocation fails. */
  error?: boolean;
  /**
   * An upload without a size: after GetObject (+10..+110) one `decode` (+110..+310), then for each variant a
   * `resize` annotated with its name, 100 ms each from +320, each followed by a 50 ms PutObject.
   */
  variants?: readonly string[];
  /** With `variants`: the decode fails (an image it cannot read), so no variant is made. */
  decodeError?: boolean;
}

/**
 * A trace of one asynchronous invocation, in ms from `t`:
 * cold: service 0–1500 (Dwell Time 0–40, Attempt #1 40–1500), function 40–1490 (Initialization 40–440,
 * Invocation 440–1440, Overhead 1440–1490); warm: service 0–1100, function 40–1090 (Invocation 40–1040,
 * Overhead 1040–1090). Inside the invocation: GetObject +10..+110, resize +120..+760, PutObject +770..+960.
 */
export function lambdaTrace(options: LambdaTraceOptions): { trace: Trace; documents: SegmentDocument[] } {
  const { t, n, key = 'canyon-400x400.jpg', cold = false } = options;
  const traceIdValue = traceId(t, n);
  const invStart = cold ? 440 : 40;
  const invEnd = invStart + 1000;
  const fnEnd = invEnd + 50;
  const serviceEnd = fnEnd + 10;
  const service: SegmentDocument = {
    id: id(),
    name: FUNCTION_NAME,
    trace_id: traceIdValue,
    origin: 'AWS::Lambda',
    start_time: t,
    end_time: t + serviceEnd / 1000,
    aws: { request_id: `req-${n}` },
    subsegments: [
      { id: id(), name: 'Dwell Time', start_time: t, end_time: t + 0.04 },
      { id: id(), name: 'Attempt #1', start_time: t + 0.04, end_time: t + serviceEnd / 1000, ...(options.error ? { fault: true } : {}) },
    ],
  };
  const invocation: SegmentDocument = { id: id(), name: 'Invocation', start_time: t + invStart / 1000, end_time: t + invEnd / 1000 };
  const fn: SegmentDocument = {
    id: id(),
    name: FUNCTION_NAME,
    trace_id: traceIdValue,
    parent_id: service.id,
    origin: 'AWS::Lambda::Function',
    start_time: t + 0.04,
    end_time: t + fnEnd / 1000,
    subsegments: [
      ...(cold ? [{ id: id(), name: 'Initialization', start_time: t + 0.04, end_time: t + 0.44 }] : []),
      invocation,
      ...(options.partial ? [] : [{ id: id(), name: 'Overhead', start_time: t + invEnd / 1000, end_time: t + fnEnd / 1000 }]),
    ],
  };
  const work: SegmentDocument[] = [];
  if (options.error) {
    fn.fault = true;
    invocation.fault = true;
    invocation.cause = { working_directory: '/var/task', exceptions: [{ id: 'e1', type: 'TimeoutError', message: 'Socket timed out reading s3://source/' + key }] };
    work.push(s3Call('GetObject', at(t, invStart + 10, invStart + 900), key, { fault: true, cause: 'e1' }));
  } else if (options.variants) {
    work.push(s3Call('GetObject', at(t, invStart + 10, invStart + 110), key));
    work.push({ id: id(), name: 'decode', ...at(t, invStart + 110, invStart + 310), ...(options.decodeError ? { error: true } : {}) });
    if (!options.decodeError) {
      options.variants.forEach((variant, index) => {
        const from = invStart + 320 + index * 160;
        work.push({ id: id(), name: 'resize', ...at(t, from, from + 100), annotations: { variant, size: '400x400', fit: 'cover', format: 'webp' } });
        work.push(s3Call('PutObject', at(t, from + 100, from + 150), `${variant}-${key}`));
      });
    }
  } else if (!options.partial) {
    work.push(s3Call('GetObject', at(t, invStart + 10, invStart + 110), key));
    work.push({ id: id(), name: 'resize', ...at(t, invStart + 120, invStart + 760) });
    work.push(s3Call('PutObject', at(t, invStart + 770, invStart + 960), key));
  }
  const documents: SegmentDocument[] = [service, fn];
  if (options.standalone) {
    for (const sub of work) documents.push({ ...sub, type: 'subsegment', parent_id: invocation.id, trace_id: traceIdValue });
  } else {
    invocation.subsegments = work;
  }
  const trace: Trace = {
    Id: traceIdValue,
    Duration: serviceEnd / 1000,
    Segments: documents.map((d) => ({ Id: d.id, Document: JSON.stringify(d) })),
  };
  return { trace, documents };
}

/** A GetServiceGraph answer: client → Lambda service → function → S3, plus an unrelated service. */
export function serviceGraph(): Service[] {
  const stats = (count: number, seconds: number, faults = 0) => ({
    OkCount: count - faults,
    ErrorStatistics: { ThrottleCount: 0, OtherCount: 0, TotalCount: 0 },
    FaultStatistics: { OtherCount: faults, TotalCount: faults },
    TotalCount: count,
    TotalResponseTime: seconds,
  });
  return [
    {
      ReferenceId: 0,
      Name: FUNCTION_NAME,
      Names: [FUNCTION_NAME],
      Root: true,
      Type: 'AWS::Lambda',
      Edges: [{ ReferenceId: 1, SummaryStatistics: stats(4, 4.0, 1) }],
      SummaryStatistics: stats(4, 5.2, 1),
    },
    {
      ReferenceId: 1,
      Name: FUNCTION_NAME,
      Names: [FUNCTION_NAME],
      Type: 'AWS::Lambda::Function',
      Edges: [{ ReferenceId: 2, SummaryStatistics: stats(7, 0.7) }],
      SummaryStatistics: stats(4, 4.0, 1),
    },
    { ReferenceId: 2, Name: 'S3', Names: ['S3'], Type: 'AWS::S3', Edges: [], SummaryStatistics: stats(7, 0.7) },
    { ReferenceId: 3, Name: 'other-api', Names: ['other-api'], Root: true, Type: 'AWS::EC2::Instance', Edges: [], SummaryStatistics: stats(100, 10) },
  ];
}

/** A whole report over three traces (cold, warm, failed) and the service graph above. */
export function sampleReport(key = 'canyon-400x400.jpg'): TracesReport {
  const traces = [
    lambdaTrace({ t: T0, n: 1, cold: true, key }),
    lambdaTrace({ t: T0 + 10, n: 2, key }),
    lambdaTrace({ t: T0 + 20, n: 3, error: true, key }),
  ];
  const trees = traces.map((t) => buildSegmentTree(t.trace));
  const rows = newestFirst(trees.map((tree) => analyseTrace(tree, FUNCTION_NAME)));
  const window = { startTime: new Date((T0 - 600) * 1000), endTime: new Date((T0 + 300) * 1000) };
  return {
    functionName: FUNCTION_NAME,
    target: 'local',
    window: { start: window.startTime.toISOString(), end: window.endTime.toISOString() },
    traces: rows,
    summary: summarise(rows),
    serviceMap: buildServiceMap(serviceGraph(), { functionName: FUNCTION_NAME, ...window }),
    mayBeIncomplete: false,
    notes: [],
    listed: rows.length,
    missingTraceIds: [],
    timelines: [],
    slowest: buildTimeline(trees[0] as ReturnType<typeof buildSegmentTree>),
    waitReached: true,
  };
}
