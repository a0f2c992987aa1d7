// `bench` for people: the latency table, throughput, the function's phases from the traces, the baseline and
// the ratios, where the time of a typical upload went, and the targets met or not. Pure: a result in, text out.
import type { BenchResult } from './run.js';
import type { VariantsBenchResult } from './variants.js';
import type { LatencyBlock } from './stats.js';
import type { TargetCheck } from './targets.js';
import { renderCost } from '../cost/estimate.js';

export function formatMs(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

/** Bytes as MB, or as KB below a megabyte. */
export function formatMegabytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatRatio(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : `${value.toFixed(2)}×`;
}

/** A target's measured value in its own unit. */
export function formatTargetValue(check: TargetCheck): string {
  if (check.value === null) return '-';
  switch (check.id) {
    case 'e2e':
    case 'resize':
    case 'throughput':
      return formatRatio(check.value);
    case 'zip':
    case 'idleMemory':
      return formatMegabytes(check.value);
    default:
      return formatMs(check.value);
  }
}

export function targetMark(check: TargetCheck): string {
  return check.met === null ? 'not measured' : check.met ? 'met' : 'NOT met';
}

function row(label: string, block: LatencyBlock): string {
  const cell = (ms: number | null): string => (ms === null ? '-' : ms.toFixed(1)).padStart(8);
  return `  ${label.padEnd(6)} ${String(block.count).padStart(4)} ${cell(block.p50Ms)} ${cell(block.p90Ms)} ${cell(block.p99Ms)} ${cell(block.maxMs)}`;
}

export function renderBenchText(result: BenchResult): string {
  const lines: string[] = [];
  const image = result.image.split('/').pop();
  lines.push(
    `bench ${result.runId}: ${result.count} × ${image} (${formatMegabytes(result.imageBytes)}) → ${result.size}, ${result.concurrency} at a time, ${result.target} target, ${result.cores} cores`,
  );
  lines.push('');
  lines.push(`  end to end (upload start → thumbnail seen), ms`);
  lines.push(`  ${''.padEnd(6)} ${'n'.padStart(4)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}`);
  lines.push(row('all', result.latency));
  lines.push(row('cold', result.latency.cold));
  lines.push(row('warm', result.latency.warm));
  lines.push('');
  lines.push(`  throughput  ${result.throughputPerSec ?? '-'} thumbnails/s over ${formatMs(result.wallMs)}`);
  lines.push(
    `  function    duration p50 ${formatMs(result.function.durationP50Ms)}, resize p50 ${formatMs(result.function.resizeP50Ms)}, init ${formatMs(result.function.initMs)} (${result.coldStarts} cold start${result.coldStarts === 1 ? '' : 's'}; ${result.function.traces} of ${result.count} traced)`,
  );
  lines.push(
    `  baseline    bare sharp p50 ${formatMs(result.baseline.sharpP50Ms)} (${result.baseline.iterations} iterations in a plain Node.js process; p50 ${baselineRuns(result.baseline)})`,
  );
  if (result.imagemagick) {
    lines.push(
      result.imagemagick.available
        ? `  imagemagick convert -thumbnail p50 ${formatMs(result.imagemagick.convertP50Ms)} per process (of which start-up ${formatMs(result.imagemagick.startupP50Ms)})`
        : `  imagemagick ${result.imagemagick.reason}`,
    );
  }
  lines.push(`  ratios      e2e ${formatRatio(result.ratios.e2e)}, resize ${formatRatio(result.ratios.resize)}, throughput ${formatRatio(result.ratios.throughput)} of cores / baseline`);
  if (result.ratios.e2ePaired !== null || result.ratios.resizePaired !== null) {
    lines.push(`              paired with the baseline timed after each upload: e2e ${formatRatio(result.ratios.e2ePaired)}, resize ${formatRatio(result.ratios.resizePaired)}`);
  }
  const b = result.breakdown;
  lines.push(
    `  time (p50)  PutObject ${formatMs(b.uploadMs)}; S3 → invocation start ${formatMs(b.beforeFunctionMs)} (dwell ${formatMs(b.dwellMs)}) → get ${formatMs(b.s3GetMs)} → resize ${formatMs(b.resizeMs)} → put ${formatMs(b.s3PutMs)} → seen ${formatMs(b.seenAfterFunctionMs)} after the function ended; the handler's own work ${formatMs(b.handlerOwnMs)}`,
  );
  const idle = result.memory.idleRuntimeBytes.length ? `, idle after the run ${result.memory.idleRuntimeBytes.map((bytes) => formatMegabytes(bytes)).join(', ')}` : '';
  const functionMemory = result.memory.functionPeakBytes === null ? '' : `, function environment ${formatMegabytes(result.memory.functionPeakBytes)} (${result.memory.functionEnvironments} seen${idle})`;
  lines.push(
    `  memory      local cloud peak ${formatMegabytes(result.peakMemoryBytes)}${result.memory.cloudIsThisProcess ? ' (embedded: this process)' : ''}${functionMemory}; package ${formatMegabytes(result.packageBytes)}`,
  );
  const per = result.cpu.perThumbnailMs;
  lines.push(
    `  cpu         per thumbnail: function ${formatMs(per.functions)}, local cloud ${per.cloud === null ? (result.memory.cloudIsThisProcess ? '(embedded, with the client)' : '-') : formatMs(per.cloud)}, client ${formatMs(per.client)}`,
  );
  lines.push(`  ${renderCost(result.cost).split('\n').join('\n  ')}`);
  lines.push(`  lost        ${result.lost}${result.failures.length ? `: ${result.failures.slice(0, 3).map((f) => `${f.key} (${f.error})`).join(', ')}` : ''}`);
  lines.push('');
  lines.push('  targets');
  for (const check of result.targets) {
    if (check.met === null && check.note === 'not measured') continue;
    const basis = check.basis === 'paired' ? ', paired' : '';
    lines.push(`    ${targetMark(check).padEnd(12)} ${check.label}: ${formatTargetValue(check)}${basis} (${check.goal})${check.note ? ` — ${check.note}` : ''}`);
  }
  return lines.join('\n');
}

/** The p50 of each baseline measurement, named by when it was taken. */
function baselineRuns(baseline: BenchResult['baseline']): string {
  const when = baseline.runsP50Ms.length === 3 ? ['before', `between (${baseline.betweenUploads} samples)`, 'after'] : ['before', 'after'];
  return baseline.runsP50Ms.map((ms, index) => `${formatMs(ms)} ${when[index] ?? ''}`.trim()).join(', ') + ' the uploads';
}

/** `bench --variants` for people: both sides' p50s, the ratio, and what each variant's resize took. */
export function renderVariantsBenchText(result: VariantsBenchResult): string {
  const one = result.oneInvocation;
  const separate = result.separateInvocations;
  const n = result.variants.length;
  const image = result.image.split('/').pop();
  const source = result.configured ? 'as configured' : "the bench's five; none configured";
  const lines = [
    `bench --variants ${result.runId}: ${result.count} rounds × ${image} (${formatMegabytes(result.imageBytes)}), ${n} variants (${source}), ${result.target} target`,
    `  ${result.variants.map((variant) => `${variant.name} ${variant.size} ${variant.fit} ${variant.format}`).join(', ')}`,
    '',
    `  function time (p50)   one invocation, ${n} variants: ${formatMs(one.invocationP50Ms)} (get ${formatMs(one.s3GetP50Ms)}, decode ${formatMs(one.decodeP50Ms)}, resizes ${formatMs(one.resizeP50Ms)}, puts ${formatMs(one.s3PutP50Ms)})`,
    `                        ${n} invocations, one size each: ${formatMs(separate.invocationSumP50Ms)} together (gets ${formatMs(separate.s3GetSumP50Ms)}, resizes ${formatMs(separate.resizeSumP50Ms)})`,
    `  ratio                 ${formatRatio(result.ratio)} (paired round by round: ${formatRatio(result.ratioPaired)})`,
    `  end to end (p50)      ${formatMs(one.e2eP50Ms)} to the last variant, against ${formatMs(separate.e2eSumP50Ms)} for ${n} uploads one after another (${formatRatio(result.e2eRatio)})`,
    `  per variant resize    ${one.perVariant.map((variant) => `${variant.name} ${formatMs(variant.resizeP50Ms)}`).join(', ')}`,
    `  traces                ${one.traces} of ${result.count} + ${separate.traces} of ${result.count * n}`,
    `  lost                  ${result.lost}${result.failures.length ? `: ${result.failures.slice(0, 3).map((f) => `${f.key} (${f.error})`).join(', ')}` : ''}`,
  ];
  if (!result.sameWork) lines.push("  note: some variants ask for a format, fit or quality a key with a size cannot, so the two sides' encodes differ");
  return lines.join('\n');
}
