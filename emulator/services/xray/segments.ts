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
  /** Stored documents that fail the segment document rules (stored before they were checked), as stored. */
  unreadable: { id?: string; text: string }[];
}

/** X-Ray's limit on one segment document (the daemon's UDP datagram holds at most this much too). */
export const MAX_SEGMENT_DOCUMENT_BYTES = 64 * 1024;
/** Subsegments nested deeper than this are refused: every reader walks the tree, and no real trace nests so. */
export const MAX_SUBSEGMENT_DEPTH = 64;
/** Times are epoch seconds: from 1970 to the year 2100, finite. 1e300 made every later reader fail. */
const MAX_EPOCH_SECONDS = 4_102_444_800;
/** Segment and subsegment names: 1 to 200 of letters, numbers, spaces and `_ . : / % & # = + \ - @`, as X-Ray documents. */
const NAME_PATTERN = /^[\p{L}\p{N}\p{Zs}_.:/%&#=+\\\-@]{1,200}$/u;
/** Annotation keys: letters, digits and underscores; values strings, numbers or booleans; at most 50 of them. */
const ANNOTATION_KEY = /^[A-Za-z0-9_]{1,500}$/;
const MAX_ANNOTATIONS = 50;

type Failure = { errorCode: string; cause: string };

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_EPOCH_SECONDS;

/**
 * Checks one segment or subsegment's own fields (not its subsegments) against the segment document rules:
 * the type of every field the API and its readers use, ids' shapes, names, finite times in a sane range.
 * @returns the first rule broken, or undefined
 */
function checkIdentity(node: Record<string, unknown>): Failure | undefined {
  if (node.id === undefined) return { errorCode: 'MissingId', cause: 'no id' };
  if (typeof node.id !== 'string' || !isSegmentId(node.id)) return { errorCode: 'InvalidId', cause: 'id must be 16 hexadecimal digits' };
  if (typeof node.name !== 'string' || !NAME_PATTERN.test(node.name)) {
    return { errorCode: 'InvalidName', cause: 'name must be 1 to 200 letters, numbers, spaces or _ . : / % & # = + \\ - @' };
  }
  return undefined;
}

function checkFields(node: Record<string, unknown>, nested: boolean): Failure | undefined {
  const identity = checkIdentity(node);
  if (identity) return identity;
  if (!isTime(node.start_time)) return { errorCode: 'InvalidStartTime', cause: 'start_time must be a number of epoch seconds' };
  if (node.end_time !== undefined && !isTime(node.end_time)) return { errorCode: 'InvalidEndTime', cause: 'end_time must be a number of epoch seconds' };
  for (const flag of ['in_progress', 'error', 'fault', 'throttle', 'inferred'] as const) {
    if (node[flag] !== undefined && typeof node[flag] !== 'boolean') return { errorCode: 'InvalidFlag', cause: `${flag} must be true or false` };
  }
  if (node.end_time === undefined && node.in_progress !== true) return { errorCode: 'MissingEndTime', cause: 'needs end_time or in_progress' };
  if (!nested && node.parent_id !== undefined && (typeof node.parent_id !== 'string' || !isSegmentId(node.parent_id))) {
    return { errorCode: 'InvalidParentId', cause: 'parent_id must be 16 hexadecimal digits' };
  }
  for (const field of ['type', 'origin', 'namespace', 'user', 'resource_arn', 'sql_query', 'precursor_ids']) {
    const value = node[field];
    if (value === undefined) continue;
    if (field === 'precursor_ids' ? !Array.isArray(value) || value.some((id) => typeof id !== 'string') : typeof value !== 'string') {
      return { errorCode: 'InvalidField', cause: `${field} must be ${field === 'precursor_ids' ? 'a list of ids' : 'a string'}` };
    }
  }
  for (const field of ['aws', 'metadata', 'service', 'sql']) {
    if (node[field] !== undefined && !isObject(node[field])) return { errorCode: 'InvalidField', cause: `${field} must be an object` };
  }
  if (node.http !== undefined) {
    const http = node.http;
    if (!isObject(http)) return { errorCode: 'InvalidHttp', cause: 'http must be an object' };
    const { request, response } = http;
    if (request !== undefined && (!isObject(request) || ['url', 'method', 'user_agent', 'client_ip'].some((name) => request[name] !== undefined && typeof request[name] !== 'string'))) {
      return { errorCode: 'InvalidHttp', cause: 'http.request must be an object of strings' };
    }
    if (response !== undefined) {
      if (!isObject(response)) return { errorCode: 'InvalidHttp', cause: 'http.response must be an object' };
      if (response.status !== undefined && !(Number.isInteger(response.status) && (response.status as number) >= 0 && (response.status as number) <= 999)) {
        return { errorCode: 'InvalidHttp', cause: 'http.response.status must be an HTTP status' };
      }
      if (response.content_length !== undefined && !(typeof response.content_length === 'number' && Number.isFinite(response.content_length))) {
        return { errorCode: 'InvalidHttp', cause: 'http.response.content_length must be a number' };
      }
    }
  }
  if (node.annotations !== undefined) {
    if (!isObject(node.annotations)) return { errorCode: 'InvalidAnnotations', cause: 'annotations must be an object' };
    const entries = Object.entries(node.annotations);
    if (entries.length > MAX_ANNOTATIONS) return { errorCode: 'InvalidAnnotations', cause: `at most ${MAX_ANNOTATIONS} annotations` };
    for (const [key, value] of entries) {
      const scalar = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
      if (!ANNOTATION_KEY.test(key) || !scalar) return { errorCode: 'InvalidAnnotations', cause: 'annotation keys are letters, digits and _; values strings, numbers or booleans' };
    }
  }
  if (node.cause !== undefined) {
    const cause = node.cause;
    if (typeof cause === 'string') {
      if (!isSegmentId(cause)) return { errorCode: 'InvalidCause', cause: 'a cause given as a string is an exception id (16 hexadecimal digits)' };
    } else if (!isObject(cause) || (cause.exceptions !== undefined && (!Array.isArray(cause.exceptions) || cause.exceptions.some((exception) => !isObject(exception))))) {
      return { errorCode: 'InvalidCause', cause: 'cause must be an exception id or an object whose exceptions are a list of objects' };
    }
  }
  if (node.subsegments !== undefined && (!Array.isArray(node.subsegments) || node.subsegments.some((child) => !isObject(child)))) {
    return { errorCode: 'InvalidSubsegments', cause: 'subsegments must be a list of subsegment objects' };
  }
  return undefined;
}

/**
 * Checks a parsed document and everything below it, iteratively (no recursion: the depth is itself checked).
 * @returns the first rule broken, with the offending node's id when it has one
 */
export function checkSegmentDocument(value: unknown): (Failure & { id?: string }) | undefined {
  if (!isObject(value)) return { errorCode: 'InvalidJson', cause: 'the segment document must be a JSON object' };
  const pending: { node: Record<string, unknown>; depth: number }[] = [{ node: value, depth: 0 }];
  while (pending.length > 0) {
    const { node, depth } = pending.pop()!;
    if (depth > MAX_SUBSEGMENT_DEPTH) return { errorCode: 'InvalidSubsegments', cause: `subsegments nested more than ${MAX_SUBSEGMENT_DEPTH} deep` };
    const failure = checkFields(node, depth > 0);
    if (failure) return { ...failure, ...(typeof node.id === 'string' ? { id: node.id } : {}) };
    for (const child of (node.subsegments as Record<string, unknown>[] | undefined) ?? []) pending.push({ node: child, depth: depth + 1 });
  }
  return undefined;
}

/**
 * Reads and checks one segment document: at most 64 KB, and the segment document rules for it and every
 * subsegment (checkSegmentDocument); `trace_id` (1-xxxxxxxx-24 hex) on top; a subsegment sent on its own also
 * needs `type: "subsegment"` and `parent_id`. Refusals are worded as X-Ray words them
 * (`Invalid segment. ErrorCode: InvalidName, Cause: ...`).
 */
export function parseSegmentDocument(text: string): ParsedSegment {
  const refuse = (errorCode: string, cause: string, id?: string, kind = 'segment'): ParsedSegment => ({
    ok: false,
    ...(id !== undefined ? { id } : {}),
    errorCode,
    message: `Invalid ${kind}. ErrorCode: ${errorCode}, Cause: ${cause}`,
  });
  if (Buffer.byteLength(text) > MAX_SEGMENT_DOCUMENT_BYTES) {
    return refuse('DocumentTooLarge', `the segment document is larger than ${MAX_SEGMENT_DOCUMENT_BYTES} bytes`, /"id"\s*:\s*"([0-9a-f]{16})"/.exec(text.slice(0, 4096))?.[1]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse('InvalidJson', 'the segment document is not valid JSON');
  }
  const doc = value as Partial<SegmentDocument>;
  const id = isObject(value) && typeof doc.id === 'string' ? doc.id : undefined;
  const kind = isObject(value) && doc.type === 'subsegment' ? 'subsegment' : 'segment';
  // The top level's identity first (id, name, trace id), then every field of it and of its subsegments.
  if (isObject(value)) {
    const identity = checkIdentity(value);
    if (identity) return refuse(identity.errorCode, identity.cause, id, kind);
    if (doc.trace_id === undefined) return refuse('MissingTraceId', 'no trace_id', id, kind);
    if (typeof doc.trace_id !== 'string' || !isTraceId(doc.trace_id)) return refuse('InvalidTraceId', 'trace_id must look like 1-5759e988-bd862e3fe1be46a994272793', id, kind);
  }
  const failure = checkSegmentDocument(value);
  if (failure) return refuse(failure.errorCode, failure.cause, failure.id ?? id, kind);
  if (typeof doc.trace_id !== 'string') return refuse('MissingTraceId', 'no trace_id', id, kind);
  if (kind === 'subsegment' && doc.parent_id === undefined) return refuse('MissingParentId', 'a subsegment sent on its own needs a parent_id', id, kind);
  const inProgress = doc.in_progress === true;
  return {
    ok: true,
    record: {
      traceId: doc.trace_id,
      id: id!,
      parentId: doc.parent_id,
      kind,
      name: doc.name!,
      origin: doc.origin,
      startTime: doc.start_time!,
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
export function assembleTrace(traceId: string, stored: readonly SegmentRecord[]): AssembledTrace {
  // Documents stored before the ingestion checks existed are checked again here; one that fails is left out.
  const parsed = new Map<SegmentRecord, SegmentDocument>();
  for (const record of stored) {
    try {
      const value: unknown = JSON.parse(record.document);
      if (!checkSegmentDocument(value)) parsed.set(record, value as SegmentDocument);
    } catch {
      // Unreadable: left out like a document that fails the checks.
    }
  }
  const records = stored.filter((r) => parsed.has(r));
  const unreadable = stored.filter((r) => !parsed.has(r)).map((r) => ({ id: r.id, text: r.document }));
  const segments = records
    .filter((r) => r.kind === 'segment')
    .sort((a, b) => a.startTime - b.startTime)
    .map((r) => ({ record: r, document: parsed.get(r)!, changed: false }));
  const loose = records.filter((r) => r.kind === 'subsegment').sort((a, b) => a.startTime - b.startTime);
  let partial = records.some((r) => r.inProgress) || records.length < stored.length;

  // Every node that can be a parent: top-level segments and their nested subsegments, by id.
  const owners = new Map<string, { node: SegmentDocument; top: (typeof segments)[number] }>();
  const index = (node: SegmentDocument, top: (typeof segments)[number]): void => {
    owners.set(node.id, { node, top });
    forEachSubsegment(node, (child) => owners.set(child.id, { node: child, top }));
  };
  for (const segment of segments) index(segment.document, segment);

  // Attach loose subsegments until no more can be placed (a loose parent may itself be loose).
  let pending = loose.map((r) => ({ record: r, document: parsed.get(r)! }));
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
    unreadable,
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
