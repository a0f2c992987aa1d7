// BENCHMARKS.md's measured part: the fixed scenario's figures, each beside its baseline and its target
// (targets.ts), met or not, with the machine described. `npm run bench` (scripts/bench.mjs) gathers the numbers and
// splices this text between two markers, so the hand-written sections around it survive every run. Pure.
import type { ImageMagickResult } from './imagemagick.js';
import { BENCH_DEFAULTS } from './options.js';
import { formatMegabytes, formatMs, formatRatio } from './render-text.js';
import { formatUsd } from '../cost/estimate.js';
import type { BenchResult } from './run.js';
import type { LatencyBlock } from './stats.js';
import { ratio } from './stats.js';
import { evaluateTargets, type TargetCheck } from './targets.js';

export const GENERATED_BEGIN = '<!-- bench:begin (written by `npm run bench`; edit outside these markers) -->';
export const GENERATED_END = '<!-- bench:end -->';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  /** 1, 5 and 15 minute load averages when the scenario started and when it ended. */
  loadBefore: number[];
  loadAfter: number[];
  node: string;
  platform: string;
}

export interface CliTimings {
  /** Median wall time of `thumbctl --version`, and of a bare `node -e 0`, over `runs` runs each. */
  versionMs: number;
  nodeMs: number;
  runs: number;
  /** Median wall time of `thumbctl setup` with nothing to change (the local cloud already running). */
  setupNoopMs: number;
  setupRuns: number;
  /** Spawn → the ready line of `thumbctl local serve` on a fresh state directory: median, and how many starts. */
  serveReadyMs?: number;
  serveReadyRuns?: number;
  /** The first `thumbctl setup` on the fresh state directory, and whether its package came from the shared zip cache. */
  firstSetupMs?: number;
  firstSetupPackageCached?: boolean;
}

export interface ScenarioResults {
  generatedAt: string;
  machine: MachineInfo;
  /** The first run on a fresh local cloud: every invocation a cold start. */
  cold: BenchResult;
  /** One upload at a time, environments warm: what one user waits for (the latency targets). */
  latency: BenchResult;
  /** Concurrency = cores, environments warm: the throughput target, and latency under load beside it. */
  throughput: BenchResult;
  cli: CliTimings;
  imagemagick: ImageMagickResult;
  /** How the judged image was made (e.g. a baseline JPEG generated from the bundled sample); else it is the bundled one. */
  imageNote?: string;
  /** Latency runs (one upload at a time) on other formats: shown beside the judged image, not judged. */
  formats?: { label: string; run: BenchResult }[];
}

/**
 * Every target in targets.ts, from the scenario's runs: the latency ratios, the handler's own work and the cloud's
 * CPU from the one-at-a-time run (a latency, not a queue behind our own uploads), throughput from the concurrency =
 * cores run, init from the cold run, idle memory from every environment alive after the two warm runs.
 */
export function scenarioTargets(results: ScenarioResults): TargetCheck[] {
  const { latency, throughput, cold, cli } = results;
  return evaluateTargets({
    e2eRatio: latency.ratios.e2e,
    resizeRatio: latency.ratios.resize,
    e2ePairedRatio: latency.ratios.e2ePaired,
    resizePairedRatio: latency.ratios.resizePaired,
    throughputRatio: throughput.ratios.throughput,
    concurrency: throughput.concurrency,
    cores: throughput.cores,
    handlerMs: latency.breakdown.handlerOwnMs,
    cloudCpuMs: latency.cpu.perThumbnailMs.cloud,
    initMs: cold.function.initMs,
    idleRuntimeBytes: [...(latency.memory.idleRuntimeBytes ?? []), ...(throughput.memory.idleRuntimeBytes ?? [])],
    serveReadyMs: cli.serveReadyMs ?? null,
    firstSetupMs: cli.firstSetupMs ?? null,
    packageBytes: throughput.packageBytes,
    architecture: throughput.architecture,
    versionOverheadMs: Math.round((cli.versionMs - cli.nodeMs) * 10) / 10,
    noopSetupMs: cli.setupNoopMs,
  });
}

const mark = (check: TargetCheck | undefined): string => (!check ? '' : check.met === null ? 'not measured' : check.met ? '✅ met' : '❌ not met');

function cell(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '–' : String(value);
}

function table(header: string[], rows: (string | number | null | undefined)[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

function latencyRow(label: string, block: LatencyBlock): (string | number)[] {
  const ms = (value: number | null): string => (value === null ? '–' : value.toFixed(1));
  return [label, block.count, ms(block.p50Ms), ms(block.p90Ms), ms(block.p99Ms), ms(block.maxMs)];
}

/**
 * A ratio target's rows: p50 over p50, then (one upload at a time) the paired median; the judged one carries the
 * verdict, the other says it is shown beside it.
 */
function ratioRows(label: string, pairedWhat: string, measured: string, baseline: string, p50Ratio: number | null, pairedRatio: number | null, check: TargetCheck | undefined): (string | undefined)[][] {
  const paired = check?.basis === 'paired';
  const rows: (string | undefined)[][] = [[label, measured, baseline, formatRatio(p50Ratio), check?.goal, paired ? 'shown; the paired ratio below is judged' : mark(check)]];
  if (pairedRatio !== null) {
    rows.push([`… paired: median of ${pairedWhat} over the baseline sample timed right after it`, '', 'same moment of the machine', formatRatio(pairedRatio), check?.goal, paired ? mark(check) : '']);
  }
  return rows;
}

const load = (values: number[]): string => values.map((v) => v.toFixed(2)).join(' / ');
const warmE2e = (run: BenchResult): number | null => (run.latency.warm.count ? run.latency.warm.p50Ms : run.latency.p50Ms);

/** The generated section of BENCHMARKS.md. */
export function renderBenchmarksSection(results: ScenarioResults): string {
  const { latency, throughput, cold, cli, machine, imagemagick } = results;
  const checks = scenarioTargets(results);
  const byId = new Map(checks.map((check) => [check.id, check]));
  const sharp = (run: BenchResult): string => `sharp alone ${formatMs(run.baseline.sharpP50Ms)}`;
  const ideal = throughput.baseline.sharpP50Ms > 0 ? Math.round(((throughput.cores * 1000) / throughput.baseline.sharpP50Ms) * 100) / 100 : null;
  const c = throughput.concurrency;
  // However the uploads are scheduled, C cores give at most C / (CPU per thumbnail) thumbnails a second.
  const cpu = throughput.cpu.perThumbnailMs;
  const cpuPerThumbnail = cpu.functions !== null && cpu.cloud !== null && cpu.client !== null ? cpu.functions + cpu.cloud + cpu.client : null;
  const ceiling = cpuPerThumbnail ? Math.round(((throughput.cores * 1000) / cpuPerThumbnail) * 100) / 100 : null;
  const idleSizes = [...(latency.memory.idleRuntimeBytes ?? []), ...(throughput.memory.idleRuntimeBytes ?? [])];
  const out: string[] = [];

  out.push(`_Measured ${results.generatedAt} by \`npm run bench\`._`);
  out.push('');
  out.push('### Machine');
  out.push('');
  out.push(
    `${machine.cores} cores (${machine.cpuModel}), ${(machine.memoryBytes / 1024 ** 3).toFixed(1)} GB RAM, Node.js ${machine.node} on ${machine.platform}. ` +
      `Load average (1 / 5 / 15 min) ${load(machine.loadBefore)} at the start and ${load(machine.loadAfter)} at the end: ` +
      `${Math.max(...machine.loadBefore, ...machine.loadAfter) > machine.cores ? 'a shared machine, busy with other work while this ran, so every figure carries noise; the ratios, measured in one run, carry less' : 'a quiet machine'}.`,
  );
  out.push('');
  out.push('### Scenario');
  out.push('');
  const input = throughput.baseline.input;
  out.push(
    `${results.imageNote ?? 'The bundled'} ${throughput.image.split('/').pop()} (${input.width}x${input.height} ${input.format.toUpperCase()}, ${formatMegabytes(throughput.imageBytes)}) → ${throughput.size} cover-cropped thumbnails on the local cloud, ` +
      `with \`thumbctl local serve\` running in the background so warm environments persist between commands. ` +
      `Three runs of \`thumbctl bench\`: a cold run on the fresh cloud (${cold.count} uploads, ${cold.concurrency} at a time: every invocation a cold start); ` +
      `a latency run, ${latency.count} uploads one at a time; a throughput run, ${throughput.count} uploads ${c} at a time (concurrency = cores). ` +
      `Each run times its own baseline, the same decode → orient → resize → encode by sharp alone in a bare Node.js process: ` +
      `\`${throughput.baseline.pipeline}\`, p50 of the iterations pooled from measurements before and after the uploads ` +
      `and, one upload at a time, of one iteration after each upload (latency run: ${latency.baseline.iterations} iterations, ${latency.baseline.betweenUploads} of them between uploads, ` +
      `p50 ${latency.baseline.runsP50Ms.map((ms) => formatMs(ms)).join(' / ')}; throughput run: ${throughput.baseline.iterations} iterations, p50 ${throughput.baseline.runsP50Ms.map((ms) => formatMs(ms)).join(' / ')}), ${throughput.baseline.warmup} warm-ups each ` +
      `(sharp ${throughput.baseline.sharp}, libvips ${throughput.baseline.libvips}, ${throughput.baseline.threads} libvips thread${throughput.baseline.threads === 1 ? '' : 's'} per image).`,
  );
  out.push('');
  out.push('### Figures against the targets');
  out.push('');
  out.push(
    table(
      ['Figure', 'Measured', 'Baseline beside it', 'Ratio', 'Target', 'Met?'],
      [
        ...ratioRows('Warm end-to-end p50, one upload at a time', 'each warm upload', formatMs(warmE2e(latency)), sharp(latency), latency.ratios.e2e, latency.ratios.e2ePaired, byId.get('e2e')),
        [`… ${c} at a time (throughput run)`, formatMs(warmE2e(throughput)), sharp(throughput), formatRatio(throughput.ratios.e2e), 'shown, not judged', ''],
        ...ratioRows('Resize phase p50 (function trace), one at a time', "each upload's resize phase", formatMs(latency.function.resizeP50Ms), sharp(latency), latency.ratios.resize, latency.ratios.resizePaired, byId.get('resize')),
        [`… ${c} at a time (throughput run)`, formatMs(throughput.function.resizeP50Ms), sharp(throughput), formatRatio(throughput.ratios.resize), 'shown, not judged', ''],
        [
          "Function's own work p50: invocation minus its GetObject, resize and PutObject (traces, whole ms)",
          formatMs(latency.breakdown.handlerOwnMs),
          `invocation ${formatMs(latency.breakdown.invocationMs)}`,
          '',
          byId.get('handler')?.goal,
          mark(byId.get('handler')),
        ],
        [
          `Local cloud CPU per upload and thumbnail (${formatMegabytes(latency.imageBytes)} in), one at a time`,
          formatMs(latency.cpu.perThumbnailMs.cloud),
          `function environments ${formatMs(latency.cpu.perThumbnailMs.functions)}`,
          '',
          byId.get('cloudCpu')?.goal,
          mark(byId.get('cloudCpu')),
        ],
        [
          `Throughput at concurrency ${c}`,
          `${cell(throughput.throughputPerSec)} /s`,
          `${throughput.cores} cores / sharp = ${cell(ideal)} /s`,
          formatRatio(throughput.ratios.throughput),
          byId.get('throughput')?.goal,
          mark(byId.get('throughput')),
        ],
        [
          '… ceiling at this CPU cost: cores / CPU per thumbnail (function + cloud + client)',
          ceiling === null ? '–' : `${cell(ceiling)} /s`,
          `${throughput.cores} cores / sharp = ${cell(ideal)} /s`,
          formatRatio(ceiling === null || ideal === null ? null : ratio(ceiling, ideal)),
          'shown, not judged',
          '',
        ],
        ['Cold start: init duration p50', formatMs(cold.function.initMs), `max ${formatMs(cold.function.initMaxMs)} over ${cold.coldStarts} cold starts`, '', byId.get('init')?.goal, mark(byId.get('init'))],
        [
          "Idle function environment: its runtime's RSS after the warm runs (largest)",
          formatMegabytes(byId.get('idleMemory')?.value ?? null),
          `${idleSizes.length} environment(s): ${idleSizes.map((bytes) => formatMegabytes(bytes)).join(', ') || '–'}`,
          '',
          byId.get('idleMemory')?.goal,
          mark(byId.get('idleMemory')),
        ],
        [
          '`thumbctl local serve` ready (spawn → ready line, fresh state dir)',
          cli.serveReadyMs === undefined ? 'not measured' : formatMs(cli.serveReadyMs),
          cli.serveReadyRuns ? `median of ${cli.serveReadyRuns}` : '',
          '',
          byId.get('serveReady')?.goal,
          mark(byId.get('serveReady')),
        ],
        [
          'First `thumbctl setup` on a fresh state dir (its own embedded cloud)',
          cli.firstSetupMs === undefined ? 'not measured' : formatMs(cli.firstSetupMs),
          cli.firstSetupPackageCached === undefined ? '' : cli.firstSetupPackageCached ? 'package from the shared zip cache' : 'package built',
          '',
          byId.get('firstSetup')?.goal,
          mark(byId.get('firstSetup')),
        ],
        ['Deployment zip (x86_64)', formatMegabytes(throughput.packageBytes), 'Lambda limit 50 MB', '', byId.get('zip')?.goal, mark(byId.get('zip'))],
        [
          '`thumbctl --version`',
          formatMs(cli.versionMs),
          `\`node -e 0\` ${formatMs(cli.nodeMs)}`,
          `+${formatMs(Math.round((cli.versionMs - cli.nodeMs) * 10) / 10)}`,
          `${byId.get('version')?.goal} over node`,
          mark(byId.get('version')),
        ],
        ['No-op `thumbctl setup`', formatMs(cli.setupNoopMs), `median of ${cli.setupRuns}`, '', byId.get('setup')?.goal, mark(byId.get('setup'))],
        imagemagick.available
          ? [
              'ImageMagick `convert -thumbnail` (one process each)',
              formatMs(imagemagick.convertP50Ms),
              sharp(throughput),
              formatRatio(ratio(imagemagick.convertP50Ms, throughput.baseline.sharpP50Ms)),
              'comparison only',
              '',
            ]
          : ['ImageMagick `convert -thumbnail`', 'not measured', imagemagick.reason, '', 'comparison only', ''],
      ],
    ),
  );
  out.push('');
  out.push(`Targets met: ${checks.filter((check) => check.met === true).length} of ${checks.length}.`);
  if (imagemagick.available) {
    out.push('');
    out.push(
      `ImageMagick: ${imagemagick.version}, \`${imagemagick.commandLine}\`, p50 of ${imagemagick.iterations} runs; ` +
        `each run is a process of its own, of which bare start-up (\`convert -version\`) is ${formatMs(imagemagick.startupP50Ms)}.`,
    );
  }
  out.push('');
  out.push('### End-to-end latency (ms, upload start → thumbnail seen by the client)');
  out.push('');
  out.push(
    table(
      ['Run', 'n', 'p50', 'p90', 'p99', 'max'],
      [
        latencyRow('one at a time, warm', latency.latency.warm),
        latencyRow('one at a time, cold', latency.latency.cold),
        latencyRow(`${c} at a time, warm`, throughput.latency.warm),
        latencyRow(`${c} at a time, cold`, throughput.latency.cold),
        latencyRow('cold run (all cold)', cold.latency.cold),
      ],
    ),
  );
  out.push('');
  out.push(
    `Lost uploads (no thumbnail within ${BENCH_DEFAULTS.timeoutMs / 1000} s): ${latency.lost + throughput.lost + cold.lost} of ${latency.count + throughput.count + cold.count}.`,
  );
  out.push('');
  out.push('### Where the time of a warm upload goes (p50 of each part)');
  out.push('');
  const parts: [string, (run: BenchResult) => number | null][] = [
    [`client PutObject (${formatMegabytes(throughput.imageBytes)} through the local S3)`, (run) => run.breakdown.uploadMs],
    ['upload reaches S3 → invocation starts (S3 stores it, notifies, the queue, dwell)', (run) => run.breakdown.beforeFunctionMs],
    ['of which dwell (Lambda has the event → the function starts)', (run) => run.breakdown.dwellMs],
    ['function: S3 GetObject', (run) => run.breakdown.s3GetMs],
    ['function: resize', (run) => run.breakdown.resizeMs],
    ['function: S3 PutObject', (run) => run.breakdown.s3PutMs],
    ['function invocation as a whole', (run) => run.breakdown.invocationMs],
    ['function end → client sees the thumbnail (wait loop)', (run) => run.breakdown.seenAfterFunctionMs],
    ['trace end to end (upload reaches S3 → function ends)', (run) => run.breakdown.traceE2eMs],
  ];
  out.push(table(['Part', 'one at a time', `${c} at a time`], parts.map(([label, pick]) => [label, formatMs(pick(latency)), formatMs(pick(throughput))])));
  out.push('');
  out.push('### CPU time per thumbnail');
  out.push('');
  const cpuRows: [string, (run: BenchResult) => number | null][] = [
    ['function environments (resize included)', (run) => run.cpu.perThumbnailMs.functions],
    ['`thumbctl local serve` (S3, Lambda service, X-Ray, Logs)', (run) => run.cpu.perThumbnailMs.cloud],
    ['`thumbctl bench` (uploads, polling, its own bookkeeping)', (run) => run.cpu.perThumbnailMs.client],
    ['bare sharp, for comparison', (run) => run.baseline.sharpP50Ms],
  ];
  out.push(table(['Process', 'one at a time', `${c} at a time`], cpuRows.map(([label, pick]) => [label, formatMs(pick(latency)), formatMs(pick(throughput))])));
  out.push('');
  out.push('### Memory');
  out.push('');
  out.push(
    `Peak RSS of the \`thumbctl local serve\` process (VmHWM, since it started, setup included): ${formatMegabytes(throughput.memory.cloudPeakBytes)}. ` +
      `Peak RSS of one function environment's runtime (a Node.js process each, under its init): ${formatMegabytes(throughput.memory.functionPeakBytes)}, ${throughput.memory.functionEnvironments} environment(s) seen in the throughput run.`,
  );
  if (latency.cost) {
    const cost = latency.cost;
    const p = cost.per1000;
    out.push('');
    out.push('### Cost per 1,000 thumbnails (estimated AWS list price of what the latency run measured)');
    out.push('');
    out.push(
      table(
        ['Part', 'USD per 1,000'],
        [
          [`Lambda duration (${cost.billedMsMean === null ? '–' : `${cost.billedMsMean.toFixed(1)} ms`} billed on average × ${cost.memoryMb} MB, ${cost.architecture})`, formatUsd(p.lambdaDuration)],
          ['Lambda requests', formatUsd(p.lambdaRequests)],
          ['S3 GET (the original) and PUT (the thumbnail)', `${formatUsd(p.s3Get)} + ${formatUsd(p.s3Put)}`],
          ['X-Ray traces recorded', formatUsd(p.xrayTraces)],
          [`CloudWatch Logs ingested (${cost.logBytesPerInvocation === null ? 'not read' : `${Math.round(cost.logBytesPerInvocation)} B per invocation`})`, formatUsd(p.logsIngestion)],
          ['**Total**', `**${formatUsd(p.total)}**`],
        ],
      ),
    );
    out.push('');
    out.push(`Prices: ${cost.prices.region} on-demand list prices read ${cost.prices.takenOn} (cli/core/cost/prices.ts: ${cost.prices.sources.join(', ')}); no free tier. Local durations at the host's CPU, not Lambda's share: \`bench --memory\` with \`--cpu-share lambda\` predicts billed ones.`);
  }
  if (results.formats?.length) {
    out.push('');
    out.push('### Other formats (one upload at a time; shown, not judged)');
    out.push('');
    out.push(
      table(
        ['Image', 'warm e2e p50', 'sharp alone', 'ratio (paired)', 'resize p50', 'function p50', 'cost / 1,000'],
        results.formats.map(({ label, run }) => [
          `${label} (${formatMegabytes(run.imageBytes)})`,
          formatMs(run.latency.warm.p50Ms),
          formatMs(run.baseline.sharpP50Ms),
          run.ratios.e2ePaired === null ? '–' : `${run.ratios.e2ePaired.toFixed(2)}×`,
          formatMs(run.function.resizeP50Ms),
          formatMs(run.function.durationP50Ms),
          run.cost ? formatUsd(run.cost.per1000.total) : '–',
        ]),
      ),
    );
  }
  return out.join('\n');
}

/** Puts the generated section between the markers, keeping everything else; appends it when there are none. */
export function spliceGenerated(existing: string, section: string): string {
  const block = `${GENERATED_BEGIN}\n${section.trim()}\n${GENERATED_END}`;
  const begin = existing.indexOf(GENERATED_BEGIN);
  const end = existing.indexOf(GENERATED_END);
  if (begin >= 0 && end > begin) return `${existing.slice(0, begin)}${block}${existing.slice(end + GENERATED_END.length)}`;
  const base = existing.trim() ? `${existing.trimEnd()}\n\n` : '';
  return `${base}${block}\n`;
}
