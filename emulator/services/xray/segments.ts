// X-Ray segment documents: reading and checking one (as PutTraceSegments and the daemon receive them), and
// assembling a trace from stored documents, with subsegments that arrived on their own merged into their
// parents as X-Ray does. Pure: no I/O. It does not interpret documents beyond the fields the API reports on.
// @see https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html
import { isSegmentId, isTraceId } from '../../core/trace-header.js';

export { traceIdEpochSeconds } from '../../core/trace-header.js';

/** The fields of a segment document we read; everything else is kept verbatim in the stored text. */
export interface SegmentDocument {
  id: string;
  name: string;
  trace_id?: string;
  parent_id?: string;
  type?: string;
  origin?: string;
  namespace?: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  user?: string;
  resource_arn?: string;
  http?: {
    request?: { url?: string; method?: string; user_agent?: string; client_ip?: string };
    response?: { status?: number; content_length?: number };
  };
  aws?: Record<string, unknown>;
  annotations?: Record<string, string | number | boolean>;
  subsegments?: SegmentDocument[];
  [member: string]: unknown;
}

/** One stored document: a top-level segment or a subsegment sent on its own. */
export interface SegmentRecord {
  traceId: string;
  id: string;
  parentId?: string;
  kind: 'segment' | 'subsegment';
  name: string;
  origin?: string;
  startTime: number;
  endTime?: number;
  inProgress: boolean;
  error: boolean;
  fault: boolean;
  throttle: boolean;
  /** The document exactly as received. */
  document: string;
}

export type ParsedSegment =
  | { ok: true; record: SegmentRecord }
  | { ok: false; id?: string; errorCode: string; message: string };

/** A trace as the API reports it: top-level segments, each with its subsegments (including merged ones). */
export interface AssembledTrace {
  traceId: string;
  /** Top-level segments, ordered by start time; `text` is the document to hand back in BatchGetTraces. */
  segments: { document: SegmentDocument; text: string }[];
  /** True when a document is still in progress or refers to a parent we never received. */
  partial: boolean;
}

/**
 * Reads and checks one segment document. The rules are the documented required fields: `name`, `id` (16 hex),
 * `trace_id` (1-xxxxxxxx-24 hex), `start_time`, and `end_time` unless `in_progress`; a subsegment sent on its
 * own also needs `type: "subsegment"` and `parent_id`.
 */
export function parseSegmentDocument(text: string): ParsedSegment {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, errorCode: 'InvalidJson', message: 'The segment document is not valid JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, errorCode: 'InvalidJson', message: 'The segment document must be a JSON object' };
  }
  const doc = value as Partial<SegmentDocument>;
  const id = typeof doc.id === 'string' ? doc.id : undefined;
  const fail = (errorCode: string, message: string): ParsedSegment => ({ ok: false, id, errorCode, message });
  if (id === undefined) return fail('MissingId', 'The segment document has no id');
  if (!isSegmentId(id)) return fail('InvalidId', `Invalid segment id "${id}": expected 16 hexadecimal digits`);
  if (typeof doc.name !== 'string' || doc.name.length === 0 || doc.name.length > 200) {
    return fail('InvalidName', 'The segment document needs a name of 1 to 200 characters');
  }
  if (typeof doc.trace_id !== 'string') return fail('MissingTraceId', 'The segment document has no trace_id');
  if (!isTraceId(doc.trace_id)) return fail('InvalidTraceId', `Invalid trace id "${doc.trace_id}"`);
  if (typeof doc.start_time !== 'number' || !Number.isFinite(doc.start_time)) {
    return fail('InvalidStartTime', 'The segment document needs a numeric start_time');
  }
  const inProgress = doc.in_progress === true;
  if (doc.end_time !== undefined && (typeof doc.end_time !== 'number' || !Number.isFinite(doc.end_time))) {
    return fail('InvalidEndTime', 'end_time must be a number');
  }
  if (doc.end_time === undefined && !inProgress) return fail('MissingEndTime', 'The segment document needs end_time or in_progress');
  const kind = doc.type === 'subsegment' ? 'subsegment' : 'segment';
  if (doc.parent_id !== undefined && (typeof doc.parent_id !== 'string' || !isSegmentId(doc.parent_id))) {
    return fail('InvalidParentId', 'parent_id must be 16 hexadecimal digits');
  }
  if (kind === 'subsegment' && doc.parent_id === undefined) return fail('MissingParentId', 'A subsegment sent on its own needs a parent_id');
  return {
    ok: true,
    record: {
      traceId: doc.trace_id,
      id,
      parentId: doc.parent_id,
      kind,
      name: doc.name,
      origin: typeof doc.origin === 'string' ? doc.origin : undefined,
      startTime: doc.start_time,
      endTime: inProgress ? undefined : doc.end_time,
      inProgress,
      error: doc.error === true,
      fault: doc.fault === true,
      throttle: doc.throttle === true,
      document: text,
    },
  };
}

/**
 * Assembles one trace from its stored records. Subsegments that arrived on their own are placed under their
 * parent (a segment or any subsegment), replacing an in-progress copy with the same id; those whose parent
 * never arrived are left out, and the trace is reported partial, as X-Ray does.
 */
export function assembleTrace(traceId: string, records: readonly SegmentRecord[]): AssembledTrace {
  const segments = records
    .filter((r) => r.kind === 'segment')
    .sort((a, b) => a.startTime - b.startTime)
    .map((r) => ({ record: r, document: JSON.parse(r.document) as SegmentDocument, changed: false }));
  const loose = records.filter((r) => r.kind === 'subsegment').sort((a, b) => a.startTime - b.startTime);
  let partial = records.some((r) => r.inProgress);

  // Every node that can be a parent: top-level segments and their nested subsegments, by id.
  const owners = new Map<string, { node: SegmentDocument; top: (typeof segments)[number] }>();
  const index = (node: SegmentDocument, top: (typeof segments)[number]): void => {
    owners.set(node.id, { node, top });
    forEachSubsegment(node, (child) => owners.set(child.id, { node: child, top }));
  };
  for (const segment of segments) index(segment.document, segment);

  // Attach loose subsegments until no more can be placed (a loose parent may itself be loose).
  let pending = loose.map((r) => ({ record: r, document: JSON.parse(r.document) as SegmentDocument }));
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    const next: typeof pending = [];
    for (const item of pending) {
      const owner = owners.get(item.record.parentId!);
      if (!owner) {
        next.push(item);
        continue;
      }
      const children = (owner.node.subsegments ??= []);
      const existing = children.findIndex((c) => c.id === item.document.id);
      if (existing < 0) children.push(item.document);
      else if (children[existing]!.in_progress === true || item.document.in_progress !== true) children[existing] = item.document;
      owner.top.changed = true;
      index(item.document, owner.top);
      progress = true;
    }
    pending = next;
  }
  if (pending.length > 0) partial = true;

  const ids = new Set(segments.map((s) => s.record.id));
  for (const segment of segments) {
    // A parent we never received (outside this trace's documents) makes the trace partial.
    if (segment.record.parentId !== undefined && !owners.has(segment.record.parentId) && !ids.has(segment.record.parentId)) partial = true;
  }

  return {
    traceId,
    segments: segments.map((s) => ({ document: s.document, text: s.changed ? JSON.stringify(s.document) : s.record.document })),
    partial,
  };
}

/** Visits every subsegment below a document, depth first, with the subsegment's own parent. */
export function forEachSubsegment(document: SegmentDocument, visit: (subsegment: SegmentDocument, parent: SegmentDocument) => void): void {
  for (const child of document.subsegments ?? []) {
    visit(child, document);
    forEachSubsegment(child, visit);
  }
}

/** Visits every document of a trace, depth first: each top-level segment, then its subsegments, each with its top-level segment. */
export function forEachDocument(trace: AssembledTrace, visit: (document: SegmentDocument, top: SegmentDocument) => void): void {
  for (const { document } of trace.segments) {
    visit(document, document);
    forEachSubsegment(document, (subsegment) => visit(subsegment, document));
  }
}

/** A document's duration in seconds; in-progress documents have none yet. */
export function durationOf(document: SegmentDocument): number | undefined {
  if (document.in_progress === true || typeof document.end_time !== 'number') return undefined;
  return Math.max(0, document.end_time - document.start_time);
}

/** Seconds as the API reports durations and response times: rounded to the microsecond. */
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}
