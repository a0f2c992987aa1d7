// The X-Ray service graph, built from assembled traces: one node per service (a segment's name and origin),
// inferred nodes for downstream calls recorded as `aws`/`remote` subsegments, a `client` node in front of
// entry segments, and edges with AWS's statistics and histograms. Pure: no I/O. Not modelled: groups,
// aliases, edge types other than plain calls, and the ReceivedEventAgeHistogram.
import type { Edge, EdgeStatistics, HistogramEntry, Service, ServiceId } from '@aws-sdk/client-xray';
import { durationOf, forEachDocument, roundSeconds, type AssembledTrace, type SegmentDocument } from './segments.js';

/** Node types X-Ray gives resources it infers from AWS SDK subsegments, by the subsegment's name. */
export const INFERRED_AWS_TYPES: Readonly<Record<string, string>> = {
  S3: 'AWS::S3::Bucket',
  DynamoDB: 'AWS::DynamoDB::Table',
  SQS: 'AWS::SQS::Queue',
  SNS: 'AWS::SNS::Topic',
  Lambda: 'AWS::Lambda',
  Kinesis: 'AWS::Kinesis::Stream',
  EventBridge: 'AWS::Events',
  STS: 'AWS::STS',
};

export interface GraphOptions {
  /** Put a `client` node in front of entry segments (those without a parent), as AWS does. */
  includeClient?: boolean;
  /** AccountId reported for services whose documents do not name one (the local cloud has one account). */
  accountId?: string;
}

/** The service a top-level segment belongs to: its name and origin (origin is X-Ray's node type). */
export function segmentServiceId(document: SegmentDocument, accountId?: string): ServiceId {
  const account = typeof document.aws?.['account_id'] === 'string' ? (document.aws['account_id'] as string) : accountId;
  return { Name: document.name, Names: [document.name], Type: document.origin, AccountId: account };
}

/** What makes two service ids the same node: name and type (AccountId and Names do not). */
export function serviceIdKey(id: ServiceId): string {
  return `${id.Name ?? ''}\u0000${id.Type ?? ''}`;
}

/** The downstream node an `aws` or `remote` subsegment calls, or undefined for local work. */
export function inferredServiceId(subsegment: SegmentDocument): ServiceId | undefined {
  if (subsegment.namespace === 'aws') {
    return { Name: subsegment.name, Names: [subsegment.name], Type: INFERRED_AWS_TYPES[subsegment.name] ?? `AWS::${subsegment.name}` };
  }
  if (subsegment.namespace === 'remote') return { Name: subsegment.name, Names: [subsegment.name], Type: 'remote' };
  return undefined;
}

/**
 * Calls each top-level segment makes to inferred downstream nodes. Subsegments below a downstream call are
 * part of that call; a call whose id another segment names as parent is not inferred, because that segment
 * is the real downstream service.
 */
export function downstreamCalls(segment: SegmentDocument, linkedParents: ReadonlySet<string>): { subsegment: SegmentDocument; target: ServiceId }[] {
  const calls: { subsegment: SegmentDocument; target: ServiceId }[] = [];
  const visit = (node: SegmentDocument): void => {
    for (const child of node.subsegments ?? []) {
      const target = linkedParents.has(child.id) ? undefined : inferredServiceId(child);
      if (target) calls.push({ subsegment: child, target });
      else visit(child);
    }
  };
  visit(segment);
  return calls;
}

/** The top-level segment containing each node (segment or nested subsegment) of a trace, by the node's id. */
function ownersById(trace: AssembledTrace): Map<string, SegmentDocument> {
  const owners = new Map<string, SegmentDocument>();
  forEachDocument(trace, (node, top) => owners.set(node.id, top));
  return owners;
}

/** Statistics over a set of calls, in AWS's shapes. */
class CallStatistics {
  ok = 0;
  errorOther = 0;
  throttle = 0;
  fault = 0;
  totalResponseTime = 0;
  start = Infinity;
  end = -Infinity;
  private readonly histogram = new Map<number, number>();

  add(document: SegmentDocument): void {
    if (document.fault === true) this.fault++;
    else if (document.throttle === true) this.throttle++;
    else if (document.error === true) this.errorOther++;
    else this.ok++;
    const duration = durationOf(document);
    if (duration !== undefined) {
      this.totalResponseTime += duration;
      // AWS buckets response times; millisecond buckets keep local graphs readable.
      const bucket = Math.round(duration * 1000) / 1000;
      this.histogram.set(bucket, (this.histogram.get(bucket) ?? 0) + 1);
    }
    this.start = Math.min(this.start, document.start_time);
    this.end = Math.max(this.end, document.end_time ?? document.start_time);
  }

  get total(): number {
    return this.ok + this.errorOther + this.throttle + this.fault;
  }

  statistics(): EdgeStatistics {
    return {
      OkCount: this.ok,
      ErrorStatistics: { ThrottleCount: this.throttle, OtherCount: this.errorOther, TotalCount: this.throttle + this.errorOther },
      FaultStatistics: { OtherCount: this.fault, TotalCount: this.fault },
      TotalCount: this.total,
      TotalResponseTime: roundSeconds(this.totalResponseTime),
    };
  }

  histogramEntries(): HistogramEntry[] {
    return [...this.histogram.entries()].sort((a, b) => a[0] - b[0]).map(([Value, Count]) => ({ Value, Count }));
  }

  startDate(): Date | undefined {
    return Number.isFinite(this.start) ? new Date(this.start * 1000) : undefined;
  }

  endDate(): Date | undefined {
    return Number.isFinite(this.end) ? new Date(this.end * 1000) : undefined;
  }
}

interface GraphNode {
  referenceId: number;
  id: ServiceId;
  root: boolean;
  client: boolean;
  stats: CallStatistics;
  edges: Map<number, CallStatistics>;
}

/**
 * Builds the service graph of some traces.
 * @param traces - assembled traces, typically every trace with a segment in the requested window
 * @returns services ordered by ReferenceId (the client node, when present, is 0)
 */
export function buildServiceGraph(traces: readonly AssembledTrace[], options: GraphOptions = {}): Service[] {
  const nodes = new Map<string, GraphNode>();
  const ordered: GraphNode[] = [];
  const nodeFor = (id: ServiceId, client = false): GraphNode => {
    const key = client ? '\u0000client' : serviceIdKey(id);
    let node = nodes.get(key);
    if (!node) {
      node = { referenceId: ordered.length, id, root: client, client, stats: new CallStatistics(), edges: new Map() };
      nodes.set(key, node);
      ordered.push(node);
    }
    return node;
  };
  const addEdge = (from: GraphNode, to: GraphNode, call: SegmentDocument): void => {
    let stats = from.edges.get(to.referenceId);
    if (!stats) {
      stats = new CallStatistics();
      from.edges.set(to.referenceId, stats);
    }
    stats.add(call);
  };

  const hasEntry = traces.some((trace) => trace.segments.some((s) => s.document.parent_id === undefined));
  const client = options.includeClient && hasEntry ? nodeFor({ Names: [] }, true) : undefined;

  for (const trace of traces) {
    const owners = ownersById(trace);
    const linkedParents = new Set<string>();
    for (const { document } of trace.segments) {
      if (document.parent_id !== undefined && owners.has(document.parent_id) && owners.get(document.parent_id) !== document) {
        linkedParents.add(document.parent_id);
      }
    }
    for (const { document } of trace.segments) {
      const node = nodeFor(segmentServiceId(document, options.accountId));
      node.stats.add(document);
      if (document.parent_id === undefined) {
        node.root = true;
        if (client) addEdge(client, node, document);
      } else {
        const parent = owners.get(document.parent_id);
        if (parent && parent !== document) addEdge(nodeFor(segmentServiceId(parent, options.accountId)), node, document);
      }
      for (const call of downstreamCalls(document, linkedParents)) {
        const target = nodeFor(call.target);
        target.stats.add(call.subsegment);
        addEdge(node, target, call.subsegment);
      }
    }
  }

  return ordered.map((node) => toService(node));
}

function toService(node: GraphNode): Service {
  const edges: Edge[] = [...node.edges.entries()].map(([referenceId, stats]) => ({
    ReferenceId: referenceId,
    StartTime: stats.startDate(),
    EndTime: stats.endDate(),
    SummaryStatistics: stats.statistics(),
    ResponseTimeHistogram: stats.histogramEntries(),
    Aliases: [],
  }));
  if (node.client) {
    // AWS's client node has no name and no statistics of its own; only its edges carry the calls.
    return { ReferenceId: node.referenceId, Names: [], Root: true, Type: 'client', State: 'unknown', Edges: edges };
  }
  return {
    ReferenceId: node.referenceId,
    Name: node.id.Name,
    Names: node.id.Names,
    Root: node.root,
    AccountId: node.id.AccountId,
    Type: node.id.Type,
    State: 'active',
    StartTime: node.stats.startDate(),
    EndTime: node.stats.endDate(),
    Edges: edges,
    SummaryStatistics: node.stats.statistics(),
    DurationHistogram: node.stats.histogramEntries(),
    ResponseTimeHistogram: node.stats.histogramEntries(),
  };
}
