// The `--html` report: one self-contained file (inline CSS and SVG, no scripts, fonts, images or links to
// anything outside it) with the service map, a latency histogram, the waterfall of the slowest trace, the
// summary and the table. Pure string building, plus an atomic write (temp file + rename).
import type { GroupSummary, Timeline, TraceRow } from './analyse.js';
import type { LatencyStats } from './percentiles.js';
import type { TracesReport } from './report.js';
import { CLIENT_NODE, flowDepths, type ServiceMap } from './service-map.js';

// The report's atomic write (temp file + rename) is the shared one; `traces --html` imports it from here.
export { writeFileAtomic } from '../fs.js';

export const HTML_COLOURS = {
  warm: '#2b7bb9',
  cold: '#e8871e',
  error: '#d62728',
  segment: '#2b7bb9',
  subsegment: '#7fb8e0',
  node: '#e8f1fb',
  client: '#eeeeee',
  edge: '#555555',
  grid: '#dddddd',
} as const;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const fmt = (value: number | null | undefined): string => (value === null || value === undefined ? '–' : value.toFixed(1));

/** The service map as SVG: one column per hop from the client, nodes as boxes, edges as arrows with labels. */
export function serviceMapSvg(map: ServiceMap): string {
  if (map.nodes.length === 0) return '<p class="empty">No services recorded in this window.</p>';
  const depths = flowDepths(map);
  const columns = new Map<number, string[]>();
  for (const node of map.nodes) {
    const depth = depths.get(node.id) ?? 0;
    columns.set(depth, [...(columns.get(depth) ?? []), node.id]);
  }
  const boxW = 190;
  const boxH = 76;
  const gapX = 120;
  const gapY = 40;
  const margin = 20;
  const tallest = Math.max(...[...columns.values()].map((c) => c.length));
  const width = margin * 2 + columns.size * boxW + (columns.size - 1) * gapX;
  const height = margin * 2 + tallest * boxH + (tallest - 1) * gapY;
  const position = new Map<string, { x: number; y: number }>();
  for (const [depth, ids] of columns) {
    const offset = ((tallest - ids.length) * (boxH + gapY)) / 2;
    ids.forEach((id, i) => position.set(id, { x: margin + depth * (boxW + gapX), y: margin + offset + i * (boxH + gapY) }));
  }
  const parts: string[] = [];
  parts.push(
    `<svg class="map" width="${width}" height="${height + 20}" viewBox="0 0 ${width} ${height + 20}" role="img" aria-label="service map">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${HTML_COLOURS.edge}"/></marker></defs>`,
  );
  for (const edge of map.edges) {
    const from = position.get(edge.from);
    const to = position.get(edge.to);
    if (!from || !to) continue;
    const label = `${fmt(edge.avgMs)} ms · ${edge.requests} req`;
    const errors = edge.errors ? `${edge.errors} err` : '';
    if (to.x > from.x) {
      const x1 = from.x + boxW;
      const y1 = from.y + boxH / 2;
      const x2 = to.x;
      const y2 = to.y + boxH / 2;
      parts.push(`<path d="M${x1},${y1} C${x1 + gapX / 2},${y1} ${x2 - gapX / 2},${y2} ${x2},${y2}" fill="none" stroke="${HTML_COLOURS.edge}" stroke-width="1.5" marker-end="url(#arrow)"/>`);
      parts.push(`<text class="edge" x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 - 6}" text-anchor="middle">${escapeHtml(label)}</text>`);
      if (errors) parts.push(`<text class="edge err" x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 + 14}" text-anchor="middle">${errors}</text>`);
    } else {
      // Back or same-column edge: a loop under the boxes.
      const x1 = from.x + boxW / 2;
      const x2 = to.x + boxW / 2;
      const y = Math.max(from.y, to.y) + boxH;
      parts.push(`<path d="M${x1},${from.y + boxH} C${x1},${y + 30} ${x2},${y + 30} ${x2},${to.y + boxH}" fill="none" stroke="${HTML_COLOURS.edge}" stroke-dasharray="4 3" marker-end="url(#arrow)"/>`);
      parts.push(`<text class="edge" x="${(x1 + x2) / 2}" y="${y + 32}" text-anchor="middle">${escapeHtml(`${label}${errors ? ` · ${errors}` : ''}`)}</text>`);
    }
  }
  for (const node of map.nodes) {
    const at = position.get(node.id);
    if (!at) continue;
    const fill = node.type === CLIENT_NODE ? HTML_COLOURS.client : HTML_COLOURS.node;
    const stroke = node.errors ? HTML_COLOURS.error : HTML_COLOURS.segment;
    parts.push(`<g class="node"><rect x="${at.x}" y="${at.y}" width="${boxW}" height="${boxH}" rx="10" fill="${fill}" stroke="${stroke}" stroke-width="2"/>`);
    parts.push(`<text x="${at.x + 10}" y="${at.y + 20}" class="name">${escapeHtml(clip(node.name, 24))}</text>`);
    parts.push(`<text x="${at.x + 10}" y="${at.y + 37}" class="type">${escapeHtml(node.type === CLIENT_NODE ? 'client' : node.type)}</text>`);
    parts.push(`<text x="${at.x + 10}" y="${at.y + 54}">${escapeHtml(`avg ${fmt(node.avgMs)} ms · ${node.perMinute}/min`)}</text>`);
    parts.push(`<text x="${at.x + 10}" y="${at.y + 69}">${escapeHtml(`${node.requests} req · ${node.errors} err`)}</text></g>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A step of 1, 2 or 5 × 10^n near `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

export interface HistogramBin {
  fromMs: number;
  toMs: number;
  cold: number;
  warm: number;
}

/** End-to-end times (the invocation where a trace has none) in about 12 equal bins, cold and warm apart. */
export function latencyBins(rows: readonly TraceRow[], targetBins = 12): { bins: HistogramBin[]; measure: 'e2e' | 'invocation' } {
  const measure = rows.some((r) => r.e2eMs !== null) ? 'e2e' : 'invocation';
  const values = rows.flatMap((r) => {
    const value = measure === 'e2e' ? r.e2eMs : r.phases.invocationMs;
    return value === null ? [] : [{ value, cold: r.coldStart }];
  });
  if (values.length === 0) return { bins: [], measure };
  const max = Math.max(...values.map((v) => v.value));
  const step = niceStep(max / targetBins || 1);
  const count = Math.max(1, Math.floor(max / step) + 1);
  const bins: HistogramBin[] = Array.from({ length: count }, (_, i) => ({ fromMs: i * step, toMs: (i + 1) * step, cold: 0, warm: 0 }));
  for (const { value, cold } of values) {
    const bin = bins[Math.min(count - 1, Math.floor(value / step))] as HistogramBin;
    if (cold) bin.cold++;
    else bin.warm++;
  }
  return { bins, measure };
}

export function histogramSvg(rows: readonly TraceRow[]): string {
  const { bins, measure } = latencyBins(rows);
  if (bins.length === 0) return '<p class="empty">No completed invocations to plot.</p>';
  const width = 760;
  const height = 260;
  const left = 44;
  const bottom = 40;
  const top = 16;
  const plotW = width - left - 16;
  const plotH = height - bottom - top;
  const tallest = Math.max(...bins.map((b) => b.cold + b.warm));
  const barW = plotW / bins.length;
  const parts = [`<svg class="histogram" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="latency histogram">`];
  for (let tick = 0; tick <= tallest; tick += Math.max(1, Math.ceil(tallest / 5))) {
    const y = top + plotH - (tick / tallest) * plotH;
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="${HTML_COLOURS.grid}"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${tick}</text>`);
  }
  bins.forEach((bin, i) => {
    const x = left + i * barW + 2;
    const warmH = (bin.warm / tallest) * plotH;
    const coldH = (bin.cold / tallest) * plotH;
    const base = top + plotH;
    if (bin.warm) parts.push(`<rect x="${x}" y="${base - warmH}" width="${barW - 4}" height="${warmH}" fill="${HTML_COLOURS.warm}"><title>${bin.warm} warm, ${bin.fromMs}–${bin.toMs} ms</title></rect>`);
    if (bin.cold) parts.push(`<rect x="${x}" y="${base - warmH - coldH}" width="${barW - 4}" height="${coldH}" fill="${HTML_COLOURS.cold}"><title>${bin.cold} cold, ${bin.fromMs}–${bin.toMs} ms</title></rect>`);
    if (bins.length <= 16 || i % 2 === 0) parts.push(`<text x="${x}" y="${base + 14}">${bin.fromMs}</text>`);
  });
  parts.push(`<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle">${measure === 'e2e' ? 'end-to-end' : 'invocation'} time, ms (bars: warm, and cold stacked on top)</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** A waterfall as SVG: a bar per segment and subsegment, nested labels, a shared axis in ms. */
export function waterfallSvg(timeline: Timeline): string {
  const labelW = 360;
  const plotW = 560;
  const rowH = 22;
  const top = 28;
  const width = labelW + plotW + 130;
  const height = top + timeline.spans.length * rowH + 10;
  const total = timeline.totalMs || 1;
  const scale = (msValue: number): number => labelW + (msValue / total) * plotW;
  const parts = [`<svg class="waterfall" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="waterfall">`];
  for (let i = 0; i <= 4; i++) {
    const x = labelW + (plotW * i) / 4;
    parts.push(`<line x1="${x}" x2="${x}" y1="${top - 6}" y2="${height - 6}" stroke="${HTML_COLOURS.grid}"/><text x="${x}" y="${top - 10}" text-anchor="middle">${((total * i) / 4).toFixed(0)} ms</text>`);
  }
  timeline.spans.forEach((span, i) => {
    const y = top + i * rowH;
    const end = span.endMs ?? timeline.totalMs;
    const x = scale(span.startMs);
    const w = Math.max(2, scale(end) - x);
    const fill = span.problem ? HTML_COLOURS.error : span.depth === 0 ? HTML_COLOURS.segment : HTML_COLOURS.subsegment;
    const label = `${span.name}${span.origin ? ` (${span.origin})` : ''}`;
    parts.push(`<text x="${6 + span.depth * 14}" y="${y + 15}"${span.depth === 0 ? ' class="name"' : ''}>${escapeHtml(clip(label, 52 - span.depth * 2))}</text>`);
    parts.push(`<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${fill}"><title>${escapeHtml(label)}: +${span.startMs.toFixed(1)} ms, ${span.endMs === null ? 'in progress' : `${(end - span.startMs).toFixed(1)} ms`}</title></rect>`);
    parts.push(`<text x="${labelW + plotW + 8}" y="${y + 15}">${span.endMs === null ? 'in progress' : `${(end - span.startMs).toFixed(1)} ms`}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function statsCells(stats: LatencyStats): string {
  return [stats.count, fmt(stats.p50Ms), fmt(stats.p90Ms), fmt(stats.p99Ms), fmt(stats.maxMs)].map((v) => `<td class="n">${v}</td>`).join('');
}

function summaryTable(report: TracesReport): string {
  const s = report.summary;
  const groups: Array<[string, GroupSummary]> = [
    ['all', s],
    ['cold', s.cold],
    ['warm', s.warm],
  ];
  const rows = (['invocation', 'e2e'] as const).flatMap((what) =>
    groups.map(([name, g], i) => `<tr>${i === 0 ? `<th rowspan="3">${what === 'e2e' ? 'end to end' : 'invocation'}</th>` : ''}<td>${name}</td>${statsCells(g[what])}</tr>`),
  );
  return `<table><thead><tr><th></th><th></th><th>n</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function tracesTable(rows: readonly TraceRow[]): string {
  // The decode column only when some invocation made variants (the only ones with a decode phase).
  const decode = rows.some((r) => r.variants !== null);
  const body = rows
    .map((r) => {
      const status = r.unreadable ? `unreadable (${escapeHtml(r.missing.join(', '))})` : r.error ? `<span class="err">${escapeHtml(r.error)}</span>` : r.partial ? `partial (missing ${escapeHtml(r.missing.join(', '))})` : 'ok';
      const p = r.phases;
      const phases = [p.initMs, p.dwellMs, p.invocationMs, p.s3GetMs, ...(decode ? [r.variants?.decodeMs ?? null] : []), p.resizeMs, p.s3PutMs, p.overheadMs, r.e2eMs];
      const cells = phases.map((v) => `<td class="n">${fmt(v)}</td>`).join('');
      const resizes = r.variants?.resizes.length ? ` title="${escapeHtml(r.variants.resizes.map((v) => `${v.name} ${fmt(v.resizeMs)} ms`).join(', '))}"` : '';
      return `<tr${resizes}><td>${escapeHtml(r.startTime.slice(11, 23))}</td><td>${escapeHtml(r.key ?? '–')}</td><td>${r.coldStart ? 'cold' : 'warm'}</td>${cells}<td>${status}</td></tr>`;
    })
    .join('');
  const headers = ['time (UTC)', 'key', 'start', 'init', 'dwell', 'invoke', 's3 get', ...(decode ? ['decode'] : []), 'resize', 's3 put', 'overhead', 'total', 'status'];
  return `<table><thead><tr>${headers.map((header) => `<th>${header}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.meta, .empty { color: #666; } .notes li { color: #8a5a00; }
svg text { font: 12px system-ui, sans-serif; fill: #222; } svg text.name { font-weight: 600; } svg text.type { fill: #666; } svg text.edge { fill: #444; font-size: 11px; } svg text.err { fill: ${HTML_COLOURS.error}; }
table { border-collapse: collapse; margin: 4px 0; } th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; } td, th { white-space: nowrap; } td:last-child { white-space: normal; }
.err { color: ${HTML_COLOURS.error}; } .legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: -1px; }
`;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The whole report as one HTML document. */
export function renderHtmlReport(report: TracesReport, generatedAt = new Date()): string {
  const title = `thumbctl traces: ${report.functionName}`;
  const s = report.summary;
  const notes = report.notes.length ? `<ul class="notes">${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  const slowest = report.slowest
    ? `<h2>Slowest trace: ${escapeHtml(report.slowest.traceId)} (${report.slowest.totalMs.toFixed(1)} ms)</h2>\n${waterfallSvg(report.slowest)}`
    : '<h2>Slowest trace</h2><p class="empty">No traces.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(`${report.target === 'aws' ? 'AWS' : 'local cloud'} · ${report.window.start} to ${report.window.end} · generated ${generatedAt.toISOString()}`)}</p>
<p>${plural(s.count, 'invocation')} · ${plural(s.errors, 'error')} · ${plural(s.coldStarts, 'cold start')}${s.partial ? ` · ${s.partial} partial` : ''}</p>
${notes}
<h2>Service map</h2>
${report.serviceMap.error ? `<p class="empty">${escapeHtml(report.serviceMap.error)}</p>` : serviceMapSvg(report.serviceMap)}
<h2>Latency</h2>
<p class="legend"><span style="background:${HTML_COLOURS.warm}"></span>warm<span style="background:${HTML_COLOURS.cold}"></span>cold</p>
${histogramSvg(report.traces)}
${summaryTable(report)}
<p class="meta">Percentiles by the nearest-rank method. End to end: from the upload reaching S3 (or, for untraced events, Lambda receiving them) to the end of the function.</p>
${slowest}
<h2>Invocations (newest first, ms)</h2>
${tracesTable(report.traces)}
</body>
</html>
`;
}
