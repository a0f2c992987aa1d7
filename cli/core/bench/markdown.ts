// BENCHMARKS.md's measured part: the fixed scenario's figures, each beside its baseline and its target from
// issue 8, met or not, with the machine described. `npm run bench` (scripts/bench.mjs) gathers the numbers and
// splices this text between two markers, so the hand-written sections around it survive every run. Pure.
import type { ImageMagickResult } from './imagemagick.js';
import { BENCH_DEFAULTS } from './options.js';
import { formatMegabytes, formatMs, formatRatio, formatTargetValue } from './render-text.js';
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
}

export interface ScenarioResults {
  generatedAt: string;
  machine: MachineInfo;
  /** The first run on a fresh local cloud: every invocation a cold start. */
  cold: BenchResult;
  /** The main run, with the environments warm. */
  warm: BenchResult;
  cli: CliTimings;
  imagemagick: ImageMagickResult;
}

/** Every target of issue 8, from the scenario's runs: ratios from the warm run, init from the cold one. */
export function scenarioTargets(results: ScenarioResults): TargetCheck[] {
  const { warm, cold, cli } = results;
  return evaluateTargets({
    e2eRatio: warm.ratios.e2e,
    resizeRatio: warm.ratios.resize,
    throughputRatio: warm.ratios.throughput,
    concurrency: warm.concurrency,
    cores: warm.cores,
    initMs: cold.function.initMs,
    packageBytes: warm.packageBytes,
    architecture: warm.architecture,
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

const load = (values: number[]): string => values.map((v) => v.toFixed(2)).join(' / ');

/** The generated section of BENCHMARKS.md. */
export function renderBenchmarksSection(results: ScenarioResults): string {
  const { warm, cold, cli, machine, imagemagick } = results;
  const checks = scenarioTargets(results);
  const byId = new Map(checks.map((check) => [check.id, check]));
  const baselineMs = warm.baseline.sharpP50Ms;
  const ideal = baselineMs > 0 ? Math.round(((warm.cores * 1000) / baselineMs) * 100) / 100 : null;
  const warmE2e = warm.latency.warm.count ? warm.latency.warm.p50Ms : warm.latency.p50Ms;
  const out: string[] = [];

  out.push(`_Measured ${results.generatedAt} by \`npm run bench\`._`);
  out.push('');
  out.push('### Machine');
  out.push('');
  out.push(
    `${machine.cores} cores (${machine.cpuModel}), ${formatMegabytes(machine.memoryBytes)} RAM, Node.js ${machine.node} on ${machine.platform}. ` +
      `Load average (1 / 5 / 15 min) ${load(machine.loadBefore)} at the start and ${load(machine.loadAfter)} at the end: ` +
      `${Math.max(...machine.loadBefore, ...machine.loadAfter) > machine.cores ? 'a shared machine, busy with other work while this ran, so every figure carries noise; the ratios, measured in one run, carry less' : 'a quiet machine'}.`,
  );
  out.push('');
  out.push('### Scenario');
  out.push('');
  out.push(
    `The bundled ${warm.image.split('/').pop()} (${formatMegabytes(warm.imageBytes)} JPEG) → ${warm.size} cover-cropped thumbnails on the local cloud, ` +
      `with \`thumbctl local serve\` running in the background so warm environments persist between commands. ` +
      `First a cold run on the fresh cloud (${cold.count} uploads, ${cold.concurrency} at a time: every invocation a cold start), ` +
      `then the main run: ${warm.count} uploads, ${warm.concurrency} at a time (concurrency = cores). ` +
      `The baseline is the same decode → orient → resize → encode by sharp alone in a bare Node.js process, measured in the same run: ` +
      `\`${warm.baseline.pipeline}\`, p50 of ${warm.baseline.iterations} iterations after ${warm.baseline.warmup} warm-ups (sharp ${warm.baseline.sharp}, libvips ${warm.baseline.libvips}, ${warm.baseline.threads} libvips thread${warm.baseline.threads === 1 ? '' : 's'} per image).`,
  );
  out.push('');
  out.push('### Figures against the targets');
  out.push('');
  out.push(
    table(
      ['Figure', 'Measured', 'Baseline beside it', 'Ratio', 'Target (issue 8)', 'Met?'],
      [
        ['Warm end-to-end p50 (upload start → thumbnail seen)', formatMs(warmE2e), `sharp alone ${formatMs(baselineMs)}`, formatRatio(warm.ratios.e2e), byId.get('e2e')?.goal, mark(byId.get('e2e'))],
        ['Resize phase p50 (function trace)', formatMs(warm.function.resizeP50Ms), `sharp alone ${formatMs(baselineMs)}`, formatRatio(warm.ratios.resize), byId.get('resize')?.goal, mark(byId.get('resize'))],
        [
          `Throughput at concurrency ${warm.concurrency}`,
          `${cell(warm.throughputPerSec)} /s`,
          `${warm.cores} cores / sharp = ${cell(ideal)} /s`,
          formatRatio(warm.ratios.throughput),
          byId.get('throughput')?.goal,
          mark(byId.get('throughput')),
        ],
        ['Cold start: init duration p50', formatMs(cold.function.initMs), `max ${formatMs(cold.function.initMaxMs)} over ${cold.coldStarts} cold starts`, '', byId.get('init')?.goal, mark(byId.get('init'))],
        ['Deployment zip (x86_64)', formatMegabytes(warm.packageBytes), 'Lambda limit 50 MB', '', byId.get('zip')?.goal, mark(byId.get('zip'))],
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
              `sharp alone ${formatMs(baselineMs)}`,
              formatRatio(ratio(imagemagick.convertP50Ms, baselineMs)),
              'comparison only',
              '',
            ]
          : ['ImageMagick `convert -thumbnail`', 'not measured', imagemagick.reason, '', 'comparison only', ''],
      ],
    ),
  );
  out.push('');
  out.push(`Targets met: ${checks.filter((c) => c.met === true).length} of ${checks.length}. `);
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
      [latencyRow('main run, all', warm.latency), latencyRow('main run, warm', warm.latency.warm), latencyRow('main run, cold', warm.latency.cold), latencyRow('cold run (all cold)', cold.latency.cold)],
    ),
  );
  out.push('');
  out.push(`Lost uploads (no thumbnail within ${BENCH_DEFAULTS.timeoutMs / 1000} s): ${warm.lost} in the main run, ${cold.lost} in the cold run.`);
  out.push('');
  out.push('### Where the time of a warm upload goes (p50 of each part, main run)');
  out.push('');
  const b = warm.breakdown;
  out.push(
    table(
      ['Part', 'p50'],
      [
        [`client PutObject (${formatMegabytes(warm.imageBytes)} through the local S3)`, formatMs(b.uploadMs)],
        ['upload reaches S3 → invocation starts (S3 stores it, notifies, the queue, dwell)', formatMs(b.beforeFunctionMs)],
        ['of which dwell (Lambda has the event → the function starts)', formatMs(b.dwellMs)],
        ['function: S3 GetObject', formatMs(b.s3GetMs)],
        ['function: resize', formatMs(b.resizeMs)],
        ['function: S3 PutObject', formatMs(b.s3PutMs)],
        ['function invocation as a whole', formatMs(b.invocationMs)],
        ['function end → client sees the thumbnail (wait loop)', formatMs(b.seenAfterFunctionMs)],
        ['trace end to end (upload reaches S3 → function ends)', formatMs(b.traceE2eMs)],
      ],
    ),
  );
  out.push('');
  const per = warm.cpu.perThumbnailMs;
  out.push('### CPU time per thumbnail (main run)');
  out.push('');
  out.push(
    table(
      ['Process', 'CPU ms per thumbnail'],
      [
        ['function environments (resize included)', formatMs(per.functions)],
        ['`thumbctl local serve` (S3, Lambda service, X-Ray, Logs)', formatMs(per.cloud)],
        ['`thumbctl bench` (uploads, polling, its own bookkeeping)', formatMs(per.client)],
        ['bare sharp, for comparison', formatMs(warm.baseline.sharpP50Ms)],
      ],
    ),
  );
  out.push('');
  out.push('### Memory');
  out.push('');
  out.push(
    `Peak RSS of the \`thumbctl local serve\` process (VmHWM, since it started, setup included): ${formatMegabytes(warm.memory.cloudPeakBytes)}. ` +
      `Peak RSS of one function environment (a Node.js process each): ${formatMegabytes(warm.memory.functionPeakBytes)}, ${warm.memory.functionEnvironments} environment(s) seen in the main run.`,
  );
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
