// The service map from GetServiceGraph: the nodes our function's requests pass through and the edges
// between them, with average latency, request and error counts and requests per minute. Pure. The graph is
// account-wide, so only the part connected to our function is kept; the `client` node that the X-Ray console
// draws in front of entry points is added here from the graph's root services (the API has no such node).
import type { Edge, EdgeStatistics, Service, ServiceStatistics } from '@aws-sdk/client-xray';

export interface ServiceMapNode {
  /** Unique within the map: the service name, or `name (type)` when two nodes share a name. */
  id: string;
  name: string;
  /** `client`, `AWS::Lambda`, `AWS::Lambda::Function`, `AWS::S3`, ... */
  type: string;
  /** Average response time: TotalResponseTime / TotalCount, in ms (null without requests). */
  avgMs: number | null;
  requests: number;
  /** Errors (4xx, throttles included) plus faults (5xx). */
  errors: number;
  faults: number;
  /** Requests per minute over the map's time window. */
  perMinute: number;
  /** An entry point: where requests came from outside the traced services. */
  root: boolean;
}

export interface ServiceMapEdge {
  /** Node ids. */
  from: string;
  to: string;
  avgMs: number | null;
  requests: number;
  errors: number;
}

export interface ServiceMap {
  startTime: string;
  endTime: string;
  windowMinutes: number;
  nodes: ServiceMapNode[];
  edges: ServiceMapEdge[];
}

export const CLIENT_NODE = 'client';

type Stats = EdgeStatistics | ServiceStatistics | undefined;

const round = (value: number, places = 1): number => Math.round(value * 10 ** places) / 10 ** places;

function average(stats: Stats): number | null {
  const count = stats?.TotalCount ?? 0;
  if (!count || stats?.TotalResponseTime === undefined) return null;
  return round((stats.TotalResponseTime / count) * 1000);
}

function errorCount(stats: Stats): { errors: number; faults: number } {
  const errors = stats?.ErrorStatistics?.TotalCount ?? 0;
  const faults = stats?.FaultStatistics?.TotalCount ?? 0;
  return { errors: errors + faults, faults };
}

export interface BuildServiceMapOptions {
  /** Keep only the services connected to this one (by name); all of them when absent. */
  functionName?: string;
  /** The window asked for; the graph's own StartTime/EndTime win when the API returns them. */
  startTime: Date;
  endTime: Date;
}

/**
 * Builds the map from GetServiceGraph's services (all pages concatenated).
 *
 * @param services - `Services` from GetServiceGraph.
 * @param options - The window and our function's name.
 * @param window - The StartTime/EndTime GetServiceGraph answered with, if any.
 */
export function buildServiceMap(services: readonly Service[], options: BuildServiceMapOptions, window: { StartTime?: Date; EndTime?: Date } = {}): ServiceMap {
  const startTime = window.StartTime ?? options.startTime;
  const endTime = window.EndTime ?? options.endTime;
  const windowMinutes = Math.max((endTime.getTime() - startTime.getTime()) / 60_000, 1 / 60);

  const byRef = new Map<number, Service>();
  services.forEach((service, index) => byRef.set(service.ReferenceId ?? -1 - index, service));
  const refOf = new Map<Service, number>([...byRef].map(([ref, service]) => [service, ref]));

  // Keep the weakly connected part of the graph that holds our function.
  const neighbours = new Map<number, Set<number>>();
  const link = (a: number, b: number): void => {
    if (!neighbours.has(a)) neighbours.set(a, new Set());
    neighbours.get(a)?.add(b);
  };
  for (const [ref, service] of byRef) {
    for (const edge of service.Edges ?? []) {
      if (edge.ReferenceId === undefined || !byRef.has(edge.ReferenceId)) continue;
      link(ref, edge.ReferenceId);
      link(edge.ReferenceId, ref);
    }
  }
  let kept = new Set(byRef.keys());
  if (options.functionName) {
    // A client node stands in front of every entry point in the account: keep it, but do not walk through it
    // into other applications.
    kept = new Set();
    const queue = [...byRef].filter(([, s]) => s.Name === options.functionName || s.Names?.includes(options.functionName as string)).map(([ref]) => ref);
    while (queue.length) {
      const ref = queue.shift() as number;
      if (kept.has(ref)) continue;
      kept.add(ref);
      if (!isClient(byRef.get(ref) as Service)) queue.push(...(neighbours.get(ref) ?? []));
    }
  }

  const keptServices = [...kept].map((ref) => byRef.get(ref) as Service);
  const nameCounts = new Map<string, number>();
  for (const service of keptServices) nameCounts.set(nameOf(service), (nameCounts.get(nameOf(service)) ?? 0) + 1);
  const idOf = (service: Service): string => {
    const name = nameOf(service);
    return (nameCounts.get(name) ?? 0) > 1 ? `${name} (${service.Type ?? 'unknown'})` : name;
  };

  const incoming = new Set<number>();
  for (const service of keptServices) for (const edge of service.Edges ?? []) if (edge.ReferenceId !== undefined && kept.has(edge.ReferenceId)) incoming.add(edge.ReferenceId);
  const hasClient = keptServices.some(isClient);
  const flaggedRoots = keptServices.filter((s) => s.Root);
  const roots = hasClient ? [] : flaggedRoots.length ? flaggedRoots : keptServices.filter((s) => !incoming.has(refOf.get(s) as number));

  const nodes: ServiceMapNode[] = keptServices.map((service) => {
    // X-Ray's own client node has no statistics: its calls are on its edges (to the services we kept).
    const stats = service.SummaryStatistics ?? (isClient(service) ? sumEdges(service, kept) : undefined);
    const requests = stats?.TotalCount ?? 0;
    return {
      id: idOf(service),
      name: nameOf(service),
      type: isClient(service) ? CLIENT_NODE : (service.Type ?? 'unknown'),
      avgMs: average(stats),
      requests,
      ...errorCount(stats),
      perMinute: round(requests / windowMinutes, 2),
      root: !isClient(service) && (roots.includes(service) || Boolean(service.Root)),
    };
  });
  const edges: ServiceMapEdge[] = [];
  for (const service of keptServices) {
    for (const edge of service.Edges ?? []) {
      const target = edge.ReferenceId === undefined ? undefined : byRef.get(edge.ReferenceId);
      if (!target || !kept.has(edge.ReferenceId as number)) continue;
      edges.push(edgeOf(idOf(service), idOf(target), edge));
    }
  }

  if (roots.length > 0) {
    // The console's `client` node: whoever called the entry points. Its numbers are the entry points' own.
    const requests = roots.reduce((sum, s) => sum + (s.SummaryStatistics?.TotalCount ?? 0), 0);
    const totalTime = roots.reduce((sum, s) => sum + (s.SummaryStatistics?.TotalResponseTime ?? 0), 0);
    const errors = roots.reduce((sum, s) => sum + errorCount(s.SummaryStatistics).errors, 0);
    const faults = roots.reduce((sum, s) => sum + errorCount(s.SummaryStatistics).faults, 0);
    nodes.unshift({
      id: CLIENT_NODE,
      name: CLIENT_NODE,
      type: CLIENT_NODE,
      avgMs: requests ? round((totalTime / requests) * 1000) : null,
      requests,
      errors,
      faults,
      perMinute: round(requests / windowMinutes, 2),
      root: false,
    });
    for (const root of roots) {
      const stats = root.SummaryStatistics;
      edges.unshift({ from: CLIENT_NODE, to: idOf(root), avgMs: average(stats), requests: stats?.TotalCount ?? 0, errors: errorCount(stats).errors });
    }
  }

  const order = flowOrder(nodes, edges);
  nodes.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  edges.sort((a, b) => (order.get(a.from) ?? 0) - (order.get(b.from) ?? 0) || (order.get(a.to) ?? 0) - (order.get(b.to) ?? 0));
  return { startTime: startTime.toISOString(), endTime: endTime.toISOString(), windowMinutes: round(windowMinutes, 2), nodes, edges };
}

function isClient(service: Service): boolean {
  return (service.Type ?? '').toLowerCase() === CLIENT_NODE;
}

function nameOf(service: Service): string {
  if (isClient(service)) return service.Name || CLIENT_NODE;
  return service.Name ?? service.Names?.[0] ?? service.Type ?? 'unknown';
}

function sumEdges(service: Service, kept: ReadonlySet<number>): EdgeStatistics {
  const total: Required<Pick<EdgeStatistics, 'TotalCount' | 'TotalResponseTime'>> & EdgeStatistics = {
    OkCount: 0,
    TotalCount: 0,
    TotalResponseTime: 0,
    ErrorStatistics: { TotalCount: 0 },
    FaultStatistics: { TotalCount: 0 },
  };
  for (const edge of service.Edges ?? []) {
    if (edge.ReferenceId === undefined || !kept.has(edge.ReferenceId)) continue;
    const stats = edge.SummaryStatistics;
    total.OkCount = (total.OkCount ?? 0) + (stats?.OkCount ?? 0);
    total.TotalCount += stats?.TotalCount ?? 0;
    total.TotalResponseTime += stats?.TotalResponseTime ?? 0;
    (total.ErrorStatistics as { TotalCount: number }).TotalCount += stats?.ErrorStatistics?.TotalCount ?? 0;
    (total.FaultStatistics as { TotalCount: number }).TotalCount += stats?.FaultStatistics?.TotalCount ?? 0;
  }
  return total;
}

function edgeOf(from: string, to: string, edge: Edge): ServiceMapEdge {
  const stats = edge.SummaryStatistics;
  return { from, to, avgMs: average(stats), requests: stats?.TotalCount ?? 0, errors: errorCount(stats).errors };
}

/** Breadth-first order from the entry points (client first), so maps read in the direction requests flow. */
export function flowOrder(nodes: readonly ServiceMapNode[], edges: readonly ServiceMapEdge[]): Map<string, number> {
  const order = new Map<string, number>();
  const clients = nodes.filter((n) => n.type === CLIENT_NODE);
  const entries = nodes.filter((n) => n.type !== CLIENT_NODE && n.root && !edges.some((e) => e.to === n.id && e.from !== CLIENT_NODE));
  const starts = [...clients, ...entries];
  const queue = starts.map((n) => n.id);
  const visit = (): void => {
    while (queue.length) {
      const id = queue.shift() as string;
      if (order.has(id)) continue;
      order.set(id, order.size);
      for (const edge of edges) if (edge.from === id && !order.has(edge.to)) queue.push(edge.to);
    }
  };
  visit();
  for (const node of nodes) {
    if (!order.has(node.id)) {
      queue.push(node.id);
      visit();
    }
  }
  return order;
}

/** Depth of each node from the entry points (for layouts that put each depth in its own column). */
export function flowDepths(map: Pick<ServiceMap, 'nodes' | 'edges'>): Map<string, number> {
  const order = flowOrder(map.nodes, map.edges);
  const depth = new Map<string, number>();
  const sorted = [...map.nodes].sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  for (const node of sorted) {
    if (depth.has(node.id)) continue;
    depth.set(node.id, 0);
    const queue = [node.id];
    while (queue.length) {
      const id = queue.shift() as string;
      for (const edge of map.edges) {
        if (edge.from === id && !depth.has(edge.to)) {
          depth.set(edge.to, (depth.get(id) ?? 0) + 1);
          queue.push(edge.to);
        }
      }
    }
  }
  return depth;
}
