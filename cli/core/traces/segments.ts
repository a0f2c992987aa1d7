// X-Ray segment documents as BatchGetTraces returns them (each Segment.Document is a JSON string), put back
// together into one tree per trace. Pure: no AWS calls, no terminal. It does not interpret what the segments
// mean for Lambda (analyse.ts does that); it only parses, links subsegments sent on their own, and walks.
import type { Trace } from '@aws-sdk/client-xray';

/** One exception in a segment's `cause`. */
export interface SegmentException {
  id?: string;
  message?: string;
  type?: string;
  remote?: boolean;
}

/**
 * A segment or subsegment document (the fields thumbctl reads).
 *
 * @see https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html
 */
export interface SegmentDocument {
  id: string;
  name: string;
  trace_id?: string;
  parent_id?: string;
  /** `subsegment` for a subsegment sent on its own; absent for segments. */
  type?: string;
  /** Epoch seconds, fractional. */
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  /** `AWS::Lambda`, `AWS::Lambda::Function`, `AWS::S3`... */
  origin?: string;
  namespace?: string;
  /** X-Ray's own segments for downstream calls (shown as their own nodes). */
  inferred?: boolean;
  fault?: boolean;
  error?: boolean;
  throttle?: boolean;
  /** Either the exceptions, or the id of an exception recorded on another subsegment. */
  cause?: string | { exceptions?: SegmentException[]; working_directory?: string };
  aws?: Record<string, unknown>;
  http?: { request?: Record<string, unknown>; response?: { status?: number; content_length?: number } };
  annotations?: Record<string, unknown>;
  metadata?: Record<string, Record<string, unknown>>;
  subsegments?: SegmentDocument[];
}

/** A trace as a list of top-level segments, each with its subsegments nested in place. */
export interface SegmentTree {
  id: string;
  /** Top-level segments, earliest first; subsegments whose parent never arrived are here too, marked orphan. */
  roots: SegmentDocument[];
  /** Ids of subsegments whose parent is not in the trace (yet). */
  orphans: Set<string>;
  /** Documents that were not valid JSON (counted, not fatal). */
  unreadable: number;
}

/** Parses every document of a BatchGetTraces trace and nests subsegments that were sent separately. */
export function buildSegmentTree(trace: Pick<Trace, 'Id' | 'Segments'>): SegmentTree {
  const documents: SegmentDocument[] = [];
  const dropped = { count: 0 };
  for (const segment of trace.Segments ?? []) {
    const document = parseDocument(segment.Document, dropped);
    if (document) documents.push(document);
    else dropped.count++;
  }
  return linkDocuments(trace.Id ?? documents[0]?.trace_id ?? '', documents, dropped.count);
}

/** Nests standalone subsegments under their parents (found anywhere in the trace), keeping the rest as roots. */
export function linkDocuments(id: string, documents: SegmentDocument[], unreadable = 0): SegmentTree {
  const byId = new Map<string, SegmentDocument>();
  const index = (document: SegmentDocument): void => {
    if (!byId.has(document.id)) byId.set(document.id, document);
    for (const child of document.subsegments ?? []) index(child);
  };
  documents.forEach(index);

  // A subsegment sent on its own (type "subsegment") names its parent; X-Ray on AWS usually merges them
  // into the parent's document already, so only attach those that are not there yet.
  let pending = documents.filter((d) => d.type === 'subsegment' && d.parent_id !== undefined);
  const roots = documents.filter((d) => !(d.type === 'subsegment' && d.parent_id !== undefined));
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    const next: SegmentDocument[] = [];
    for (const subsegment of pending) {
      const parent = byId.get(subsegment.parent_id as string);
      if (parent && parent !== subsegment && !contains(subsegment, parent)) {
        parent.subsegments ??= [];
        if (!parent.subsegments.some((child) => child.id === subsegment.id)) parent.subsegments.push(subsegment);
        progress = true;
      } else next.push(subsegment);
    }
    pending = next;
  }
  const orphans = new Set(pending.map((d) => d.id));
  roots.push(...pending);
  for (const root of roots) sortChildren(root);
  roots.sort((a, b) => a.start_time - b.start_time);
  return { id, roots, orphans, unreadable };
}

function contains(ancestor: SegmentDocument, node: SegmentDocument): boolean {
  return (ancestor.subsegments ?? []).some((child) => child === node || contains(child, node));
}

function sortChildren(node: SegmentDocument): void {
  if (!node.subsegments) return;
  node.subsegments.sort((a, b) => a.start_time - b.start_time);
  node.subsegments.forEach(sortChildren);
}

/** Times thumbctl believes: epoch seconds from 1970 to the year 2100 (a Date of 1e300 seconds throws). */
const MAX_EPOCH_SECONDS = 4_102_444_800;
/** Subsegments nested deeper than this are dropped (every view walks the tree recursively). */
const MAX_DEPTH = 64;

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_EPOCH_SECONDS;

/**
 * Reads one document as thumbctl's views need it, whatever X-Ray (or a buggy sender) put in it: a node needs an
 * id and a sane start time, or it is unreadable; fields of the wrong type are dropped, never trusted; bad
 * subsegments are dropped and counted in `dropped`.
 */
export function parseDocument(text: string | undefined, dropped: { count: number } = { count: 0 }): SegmentDocument | undefined {
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return readNode(value, 0, dropped);
}

function readNode(value: unknown, depth: number, dropped: { count: number }): SegmentDocument | undefined {
  if (!isObject(value) || typeof value.id !== 'string' || !isTime(value.start_time) || depth > MAX_DEPTH) return undefined;
  const node: SegmentDocument = { id: value.id, name: typeof value.name === 'string' ? value.name : '(unnamed)', start_time: value.start_time };
  if (isTime(value.end_time)) node.end_time = value.end_time;
  for (const field of ['trace_id', 'parent_id', 'type', 'origin', 'namespace'] as const) {
    if (typeof value[field] === 'string') node[field] = value[field] as string;
  }
  for (const flag of ['in_progress', 'inferred', 'fault', 'error', 'throttle'] as const) {
    if (typeof value[flag] === 'boolean') node[flag] = value[flag] as boolean;
  }
  if (isObject(value.aws)) node.aws = value.aws;
  if (isObject(value.annotations)) node.annotations = value.annotations;
  if (isObject(value.metadata)) node.metadata = Object.fromEntries(Object.entries(value.metadata).filter(([, entry]) => isObject(entry))) as Record<string, Record<string, unknown>>;
  if (isObject(value.http)) {
    const { request, response } = value.http;
    node.http = {
      ...(isObject(request) ? { request } : {}),
      ...(isObject(response) ? { response: { ...(typeof response.status === 'number' ? { status: response.status } : {}), ...(typeof response.content_length === 'number' ? { content_length: response.content_length } : {}) } } : {}),
    };
  }
  if (typeof value.cause === 'string') node.cause = value.cause;
  else if (isObject(value.cause)) {
    const exceptions = Array.isArray(value.cause.exceptions) ? value.cause.exceptions.filter(isObject) : [];
    node.cause = {
      exceptions: exceptions.map((exception) => ({
        ...(typeof exception.id === 'string' ? { id: exception.id } : {}),
        ...(typeof exception.message === 'string' ? { message: exception.message } : {}),
        ...(typeof exception.type === 'string' ? { type: exception.type } : {}),
        ...(typeof exception.remote === 'boolean' ? { remote: exception.remote } : {}),
      })),
    };
  }
  if (value.subsegments !== undefined) {
    if (!Array.isArray(value.subsegments)) dropped.count++;
    else {
      const children: SegmentDocument[] = [];
      for (const child of value.subsegments) {
        const read = readNode(child, depth + 1, dropped);
        if (read) children.push(read);
        else dropped.count++;
      }
      if (children.length > 0) node.subsegments = children;
    }
  }
  return node;
}

/** Every node below (and including) `node`, depth first, in start order. */
export function descendants(node: SegmentDocument): SegmentDocument[] {
  const all: SegmentDocument[] = [node];
  for (const child of node.subsegments ?? []) all.push(...descendants(child));
  return all;
}

/** Duration in milliseconds, or undefined while the segment is in progress. */
export function durationMs(node: SegmentDocument): number | undefined {
  if (node.end_time === undefined || node.in_progress) return undefined;
  return (node.end_time - node.start_time) * 1000;
}

export function hasProblem(node: SegmentDocument): boolean {
  return Boolean(node.fault || node.error || node.throttle);
}

/** `Type: message` of the first exception recorded on the node, if any. */
export function causeMessage(node: SegmentDocument): string | undefined {
  const cause = node.cause;
  if (!cause || typeof cause === 'string') return undefined;
  const exception = cause.exceptions?.find((e) => e.message || e.type);
  if (!exception) return undefined;
  if (exception.type && exception.message) return exception.message.startsWith(exception.type) ? exception.message : `${exception.type}: ${exception.message}`;
  return exception.message ?? exception.type;
}
