// X-Ray trace context shared by every service: trace and segment ids and the `X-Amzn-Trace-Id` header.
// S3 reads it from uploads and passes it on with its events; Lambda continues it; X-Ray checks the ids of the
// documents it receives. Pure functions.
import { randomBytes } from 'node:crypto';

export interface TraceHeader {
  root?: string;
  parent?: string;
  /** undefined when the header made no sampling decision. */
  sampled?: boolean;
  lineage?: string;
}

/** `1-<8 hex: epoch seconds>-<24 hex random>`, as X-Ray requires. */
export function newTraceId(nowMs: number = Date.now()): string {
  const seconds = Math.floor(nowMs / 1000).toString(16).padStart(8, '0');
  return `1-${seconds}-${randomBytes(12).toString('hex')}`;
}

/** A segment or subsegment id: 16 hex digits. */
export function newSegmentId(): string {
  return randomBytes(8).toString('hex');
}

const TRACE_ID_PATTERN = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const SEGMENT_ID_PATTERN = /^[0-9a-f]{16}$/;

export function isTraceId(value: string): boolean {
  return TRACE_ID_PATTERN.test(value);
}

export function isSegmentId(value: string): boolean {
  return SEGMENT_ID_PATTERN.test(value);
}

/** The epoch second encoded in a trace id (`1-<8 hex seconds>-<24 hex>`), or undefined if malformed. */
export function traceIdEpochSeconds(traceId: string): number | undefined {
  return isTraceId(traceId) ? parseInt(traceId.slice(2, 10), 16) : undefined;
}

/** Reads `Root=1-...;Parent=...;Sampled=1;Lineage=...` (order and case of keys as X-Ray tolerates them). */
export function parseTraceHeader(header: string | undefined): TraceHeader {
  const result: TraceHeader = {};
  if (!header) return result;
  for (const part of header.split(';')) {
    const [rawKey, ...rest] = part.split('=');
    const key = rawKey?.trim().toLowerCase();
    const value = rest.join('=').trim();
    if (!key || !value) continue;
    if (key === 'root' && isTraceId(value)) result.root = value;
    else if (key === 'parent' && isSegmentId(value)) result.parent = value;
    else if (key === 'sampled' && (value === '0' || value === '1')) result.sampled = value === '1';
    else if (key === 'lineage') result.lineage = value;
  }
  return result;
}

export function formatTraceHeader(header: TraceHeader): string {
  const parts = [`Root=${header.root ?? newTraceId()}`];
  if (header.parent) parts.push(`Parent=${header.parent}`);
  if (header.sampled !== undefined) parts.push(`Sampled=${header.sampled ? 1 : 0}`);
  if (header.lineage) parts.push(`Lineage=${header.lineage}`);
  return parts.join(';');
}
