// Trace summaries as GetTraceSummaries reports them, computed from an assembled trace. Pure: no I/O.
// Deliberately simpler than AWS: no root-cause analysis (FaultRootCauses and friends are left out), no
// instance ids or availability zones, and one revision per trace.
import type { Http, ResourceARNDetail, ServiceId, TraceSummary, TraceUser, ValueWithServiceIds } from '@aws-sdk/client-xray';
import { downstreamCalls, segmentServiceId, serviceIdKey } from './service-graph.js';
import { durationOf, forEachDocument, roundSeconds, type AssembledTrace, type SegmentDocument } from './segments.js';

export interface SummaryOptions {
  /** AccountId for services whose documents name none. */
  accountId?: string;
}

/**
 * Summarises one trace.
 * - Duration: latest end minus earliest start over every document; ResponseTime: the entry segment's duration.
 * - HasFault/HasError/HasThrottle: any document in the trace carries the flag. AWS documents the root
 *   segment for faults and errors; we take any document so a failing function is never hidden locally.
 * - EntryPoint: the earliest segment without a parent (else the earliest segment); Http is its `http`.
 */
export function summarizeTrace(trace: AssembledTrace, options: SummaryOptions = {}): TraceSummary {
  const all: { document: SegmentDocument; top: SegmentDocument }[] = [];
  forEachDocument(trace, (document, top) => all.push({ document, top }));
  const segments = trace.segments.map((s) => s.document);
  const entry = segments.find((s) => s.parent_id === undefined) ?? segments[0];
  const span = spanOf(all.map((a) => a.document));

  const serviceIds = new ServiceIdSet();
  const linkedParents = new Set(segments.map((s) => s.parent_id).filter((id): id is string => id !== undefined));
  for (const segment of segments) {
    serviceIds.add(segmentServiceId(segment, options.accountId));
    for (const call of downstreamCalls(segment, linkedParents)) serviceIds.add(call.target);
  }

  return {
    Id: trace.traceId,
    StartTime: Number.isFinite(span.start) ? new Date(span.start * 1000) : undefined,
    Duration: span.duration,
    ResponseTime: entry ? roundSeconds(durationOf(entry) ?? 0) : 0,
    HasFault: all.some((a) => a.document.fault === true),
    HasError: all.some((a) => a.document.error === true),
    HasThrottle: all.some((a) => a.document.throttle === true),
    IsPartial: trace.partial,
    Http: entry ? httpOf(entry) : {},
    Annotations: annotationsOf(all, options.accountId),
    Users: usersOf(segments, options.accountId),
    ServiceIds: serviceIds.values(),
    EntryPoint: entry ? segmentServiceId(entry, options.accountId) : undefined,
    ResourceARNs: resourceArnsOf(segments),
  };
}

/** A trace's Duration as summaries and BatchGetTraces report it (see summarizeTrace). */
export function traceDuration(trace: AssembledTrace): number {
  const documents: SegmentDocument[] = [];
  forEachDocument(trace, (document) => documents.push(document));
  return spanOf(documents).duration;
}

/** Earliest start and latest end over some documents (an in-progress one ends at its start), and the time between. */
function spanOf(documents: readonly SegmentDocument[]): { start: number; duration: number } {
  const start = Math.min(...documents.map((d) => d.start_time));
  const end = Math.max(...documents.map((d) => d.end_time ?? d.start_time));
  return { start, duration: Number.isFinite(start) && Number.isFinite(end) ? roundSeconds(end - start) : 0 };
}

function httpOf(segment: SegmentDocument): Http {
  const request = segment.http?.request;
  const response = segment.http?.response;
  return {
    HttpURL: request?.url,
    HttpStatus: typeof response?.status === 'number' ? response.status : undefined,
    HttpMethod: request?.method,
    UserAgent: request?.user_agent,
    ClientIp: request?.client_ip,
  };
}

function annotationsOf(all: { document: SegmentDocument; top: SegmentDocument }[], accountId?: string): Record<string, ValueWithServiceIds[]> {
  const byKey = new Map<string, Map<string, { value: ValueWithServiceIds; services: ServiceIdSet }>>();
  for (const { document, top } of all) {
    for (const [key, raw] of Object.entries(document.annotations ?? {})) {
      const annotation =
        typeof raw === 'string'
          ? { StringValue: raw }
          : typeof raw === 'number'
            ? { NumberValue: raw }
            : typeof raw === 'boolean'
              ? { BooleanValue: raw }
              : undefined;
      if (!annotation) continue;
      const values = byKey.get(key) ?? new Map();
      byKey.set(key, values);
      const valueKey = `${typeof raw}:${String(raw)}`;
      const entry = values.get(valueKey) ?? { value: { AnnotationValue: annotation }, services: new ServiceIdSet() };
      values.set(valueKey, entry);
      entry.services.add(segmentServiceId(top, accountId));
    }
  }
  const result: Record<string, ValueWithServiceIds[]> = {};
  for (const [key, values] of byKey) {
    result[key] = [...values.values()].map(({ value, services }) => ({ ...value, ServiceIds: services.values() }));
  }
  return result;
}

function usersOf(segments: SegmentDocument[], accountId?: string): TraceUser[] {
  const users = new Map<string, ServiceIdSet>();
  for (const segment of segments) {
    if (typeof segment.user !== 'string') continue;
    const services = users.get(segment.user) ?? new ServiceIdSet();
    users.set(segment.user, services);
    services.add(segmentServiceId(segment, accountId));
  }
  return [...users.entries()].map(([UserName, services]) => ({ UserName, ServiceIds: services.values() }));
}

function resourceArnsOf(segments: SegmentDocument[]): ResourceARNDetail[] {
  const arns = new Set<string>();
  for (const segment of segments) if (typeof segment.resource_arn === 'string') arns.add(segment.resource_arn);
  return [...arns].map((ARN) => ({ ARN }));
}

/** Service ids without repeats, in first-seen order. */
class ServiceIdSet {
  private readonly ids = new Map<string, ServiceId>();

  add(id: ServiceId): void {
    const key = serviceIdKey(id);
    if (!this.ids.has(key)) this.ids.set(key, id);
  }

  values(): ServiceId[] {
    return [...this.ids.values()];
  }
}
