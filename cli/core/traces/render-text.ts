// Text views of a traces report for the terminal: the table, the summary, waterfalls and the service map.
// Plain characters only (box drawing and block elements, no colours or escape codes) so that what is printed
// survives copy and paste into an issue or a chat. Pure: strings in, strings out.
import type { GroupSummary, Timeline, TraceRow, TracesSummary } from './analyse.js';
import type { LatencyStats } from './percentiles.js';
import { CLIENT_NODE, type ServiceMap } from './service-map.js';

export const WATERFALL = { full: '█', empty: '·', width: 60, maxLabelWidth: 48 } as const;

const ms = (value: number | null | undefined): string => (value === null || value === undefined ? '-' : value.toFixed(1));
const msUnit = (value: number | null | undefined): string => (value === null || value === undefined ? '-' : `${value.toFixed(1)} ms`);

function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const length = [...text].length;
  if (length >= width) return text;
  return align === 'left' ? text + ' '.repeat(width - length) : ' '.repeat(width - length) + text;
}

function truncate(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** Lays out rows of cells in columns; numbers right-aligned. */
export function columns(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 && !rightAligned.has(i) ? cell : pad(cell, widths[i] as number, rightAligned.has(i) ? 'right' : 'left')))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `12:04:05.123` in UTC (what X-Ray's console shows with UTC selected). */
export function clockTime(iso: string): string {
  return iso.slice(11, 23);
}

function status(row: TraceRow): string {
  if (row.unreadable) return `unreadable (${row.missing.join(', ')})`;
  if (row.error) return `error: ${row.error}`;
  if (row.partial) return `partial (missing ${row.missing.join(', ')})`;
  return 'ok';
}

/**
 * The table of invocations, newest first as given. Times are UTC; all durations in ms. When some invocation made
 * variants, a `decode` column (their one shared decode) comes before `resize` (for them, the sum of their resizes).
 */
export function renderTraceTable(rows: readonly TraceRow[], options: { keyWidth?: number } = {}): string {
  const keyWidth = options.keyWidth ?? 32;
  const decode = rows.some((row) => row.variants !== null);
  const header = ['time (UTC)', 'key', 'start', 'init', 'dwell', 'invoke', 's3 get', ...(decode ? ['decode'] : []), 'resize', 's3 put', 'overhead', 'total', 'status'];
  const body = rows.map((row) => [
    clockTime(row.startTime),
    truncate(row.key ?? '-', keyWidth),
    row.coldStart ? 'cold' : 'warm',
    ms(row.phases.initMs),
    ms(row.phases.dwellMs),
    ms(row.phases.invocationMs),
    ms(row.phases.s3GetMs),
    ...(decode ? [ms(row.variants?.decodeMs)] : []),
    ms(row.phases.resizeMs),
    ms(row.phases.s3PutMs),
    ms(row.phases.overheadMs),
    ms(row.e2eMs),
    status(row),
  ]);
  const numbers = header.flatMap((_, index) => (index >= 3 && index < header.length - 1 ? [index] : []));
  return columns(header, body, new Set(numbers));
}

/** Each invocation that made variants, its resizes one by one: `canyon.jpg  decode 41.2 ms · thumb 12.0 · card 30.5`. */
export function renderVariantResizes(rows: readonly TraceRow[], options: { keyWidth?: number } = {}): string | undefined {
  const withVariants = rows.filter((row) => row.variants !== null && row.variants.resizes.length > 0);
  if (withVariants.length === 0) return undefined;
  const keyWidth = options.keyWidth ?? 32;
  const lines = withVariants.map((row) => {
    const resizes = row.variants!.resizes.map((resize) => `${resize.name} ${ms(resize.resizeMs)}`).join(' · ');
    return `${clockTime(row.startTime)}  ${truncate(row.key ?? '-', keyWidth)}  decode ${ms(row.variants!.decodeMs)} · ${resizes}`;
  });
  return `resize per variant (ms):\n${lines.join('\n')}`;
}

function statsCells(stats: LatencyStats): string[] {
  return [String(stats.count), ms(stats.p50Ms), ms(stats.p90Ms), ms(stats.p99Ms), ms(stats.maxMs)];
}

/** Count, errors, cold starts, then p50/p90/p99/max of the invocation and end to end, all/cold/warm. */
export function renderSummary(summary: TracesSummary): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const head =
    `${plural(summary.count, 'invocation')} · ${plural(summary.errors, 'error')} · ${plural(summary.coldStarts, 'cold start')}` +
    (summary.partial ? ` · ${summary.partial} partial` : '');
  const groups: Array<[string, GroupSummary]> = [
    ['all', summary],
    ['cold', summary.cold],
    ['warm', summary.warm],
  ];
  const rows: string[][] = [];
  for (const [what, pick] of [
    ['invocation', (g: GroupSummary) => g.invocation],
    ['end to end', (g: GroupSummary) => g.e2e],
  ] as const) {
    groups.forEach(([name, group], i) => rows.push([i === 0 ? what : '', name, ...statsCells(pick(group))]));
  }
  const table = columns(['', '', 'n', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], rows, new Set([2, 3, 4, 5, 6]));
  return `${head}\n${table}\npercentiles by the nearest-rank method (each is a duration that was measured); end to end = from the upload reaching S3 (or, for untraced events, Lambda receiving them) to the end of the function`;
}

/** Cells [from, to) of a bar on an axis of `width` cells. Always at least one cell, never past the edge. */
export function barCells(startMs: number, endMs: number | null, totalMs: number, width: number): [number, number] {
  if (totalMs <= 0) return [0, width];
  const clamp = (n: number): number => Math.min(width, Math.max(0, n));
  let from = clamp(Math.floor((startMs / totalMs) * width));
  let to = endMs === null ? width : clamp(Math.ceil((endMs / totalMs) * width));
  if (from >= width) from = width - 1;
  if (to <= from) to = from + 1;
  return [from, to];
}

/**
 * One trace as a waterfall: a bar per segment and subsegment on a shared axis, nested by indentation,
 * with each bar's start offset and duration in ms.
 */
export function renderWaterfall(timeline: Timeline, options: { width?: number; labelWidth?: number; title?: string } = {}): string {
  const width = Math.max(8, options.width ?? WATERFALL.width);
  const labels = timeline.spans.map((span) => `${'  '.repeat(span.depth)}${span.name}${span.origin && span.depth === 0 ? ` (${span.origin})` : ''}`);
  const labelWidth = options.labelWidth ?? Math.min(WATERFALL.maxLabelWidth, Math.max(10, ...labels.map((l) => [...l].length)));
  const total = timeline.totalMs;
  const lines: string[] = [];
  lines.push(options.title ?? `trace ${timeline.traceId}  ${new Date(timeline.startEpochMs).toISOString()}  ${total.toFixed(1)} ms`);
  const axisEnd = `${total.toFixed(1)} ms`;
  lines.push(`${pad('', labelWidth)} 0 ms${pad(axisEnd, width - 4, 'right')}`);
  lines.push(`${pad('', labelWidth)} ├${'─'.repeat(Math.max(0, width - 2))}┤`);
  timeline.spans.forEach((span, i) => {
    const [from, to] = barCells(span.startMs, span.endMs, total, width);
    const bar = WATERFALL.empty.repeat(from) + WATERFALL.full.repeat(to - from) + WATERFALL.empty.repeat(width - to);
    const label = truncate(labels[i] as string, labelWidth);
    const duration = span.endMs === null ? 'in progress' : `${(span.endMs - span.startMs).toFixed(1)} ms`;
    const flag = span.problem ? `  ${span.problem}` : '';
    lines.push(`${pad(label, labelWidth)} ${bar} ${pad(`+${span.startMs.toFixed(1)}`, 9, 'right')}  ${pad(duration, 11, 'right')}${flag}`);
  });
  return lines.join('\n');
}

/** Nodes as boxes in the order requests flow, each followed by its outgoing edges. */
export function renderServiceMap(map: ServiceMap & { error?: string }): string {
  if (map.error) return `service map unavailable: ${map.error}`;
  if (map.nodes.length === 0) return `service map: no services recorded between ${map.startTime} and ${map.endTime}`;
  const lines: string[] = [`service map, ${map.startTime} to ${map.endTime} (${map.windowMinutes} min); avg = average response time`];
  for (const node of map.nodes) {
    const title = node.type === CLIENT_NODE ? CLIENT_NODE : `${node.name}  ${node.type}`;
    const stats = `avg ${msUnit(node.avgMs)} · ${node.requests} req · ${node.errors} err · ${node.perMinute}/min`;
    const inner = Math.max([...title].length, [...stats].length);
    lines.push(`┌${'─'.repeat(inner + 2)}┐`);
    lines.push(`│ ${pad(title, inner)} │`);
    lines.push(`│ ${pad(stats, inner)} │`);
    lines.push(`└${'─'.repeat(inner + 2)}┘`);
    const out = map.edges.filter((e) => e.from === node.id);
    out.forEach((edge, i) => {
      const branch = i === out.length - 1 ? '└' : '├';
      lines.push(`  ${branch}──▶ ${edge.to}   avg ${msUnit(edge.avgMs)} · ${edge.requests} req${edge.errors ? ` · ${edge.errors} err` : ''}`);
    });
  }
  return lines.join('\n');
}
