// `dev`'s lines for people: one line per build (the thumbnail, the end-to-end time and its phases, the delta
// against the previous run, how long the rebuild and the deployment took), the lines that explain an error under
// it, and the start-up summary. Pure: strings in, strings out.
import { formatBytes } from '../../output.js';
import { formatLogTail } from '../operate/log-format.js';
import type { TracePhases } from '../traces/analyse.js';
import type { DevBuild, DevStart } from './dev.js';
import type { ReplayRun } from './replay.js';

type Paint = (code: string, text: string) => string;
const plain: Paint = (_code, text) => text;

/** The phases people read, in the order they happen. */
const SHOWN_PHASES: readonly [keyof TracePhases, string][] = [
  ['initMs', 'init'],
  ['s3GetMs', 'get'],
  ['resizeMs', 'resize'],
  ['s3PutMs', 'put'],
];

const ms = (value: number): string => `${Math.round(value)} ms`;
const signed = (value: number): string => `${value > 0 ? '+' : value < 0 ? '−' : '±'}${Math.abs(Math.round(value))} ms`;

export function describeThumbnail(thumbnail: NonNullable<DevBuild['thumbnail']>): string {
  const size = thumbnail.width !== null && thumbnail.height !== null ? `${thumbnail.width}x${thumbnail.height}` : 'unknown size';
  const type = thumbnail.contentType?.replace(/^image\//, '') ?? '';
  return `${size}${type ? ` ${type}` : ''} ${formatBytes(thumbnail.bytes)}`;
}

/** The thumbnail, or every variant by name (`thumb 200x200 jpeg 9.1 KB, card 400x300 webp 12.0 KB`). */
export function describeMade(thumbnail: NonNullable<DevBuild['thumbnail']>, variants: DevBuild['variants']): string {
  if (!variants || variants.length === 0) return describeThumbnail(thumbnail);
  return variants.map((variant) => `${variant.name} ${describeThumbnail(variant)}`).join(', ');
}

export function describePhases(phases: TracePhases | null): string {
  if (!phases) return '';
  const parts = SHOWN_PHASES.filter(([key]) => phases[key] !== null).map(([key, label]) => `${label} ${Math.round(phases[key]!)}`);
  return parts.length ? ` (${parts.join(' · ')})` : '';
}

/** The build's one line, e.g. `#2 ✔ 400x267 jpeg 14.2 KB · 312 ms (init 231 · get 4 · resize 47 · put 5) · Δ −21 ms · rebuilt 84 ms, deployed 212 ms, save → thumbnail 702 ms`. */
export function renderBuildLine(build: DevBuild, paint: Paint = plain): string {
  const timings = [
    build.buildMs !== null ? `rebuilt ${ms(build.buildMs)}` : undefined,
    build.deployMs !== null ? (build.deployed ? `deployed ${ms(build.deployMs)}` : 'same code, not redeployed') : undefined,
    `save → ${build.thumbnail ? 'thumbnail' : build.error ? 'error' : 'deployed'} ${ms(build.saveToThumbnailMs)}`,
  ].filter(Boolean);
  if (build.error !== null) {
    return `#${build.build} ${paint('31', '✖')} ${build.stage} failed: ${build.error} · ${timings.join(', ')}`;
  }
  const parts = [`#${build.build} ${paint('32', '✔')}`];
  if (build.thumbnail && build.e2eMs !== null) {
    parts.push(`${describeMade(build.thumbnail, build.variants)} · ${ms(build.e2eMs)}${describePhases(build.phases)}`);
    if (build.delta) parts.push(`· Δ ${signed(build.delta.e2eMs)}`);
  } else {
    parts.push('deployed (no replay)');
  }
  return `${parts.join(' ')} · ${timings.join(', ')}`;
}

/** What follows the line: the error's first lines, then the invocation's log, indented. */
export function renderBuildDetails(build: DevBuild, run: ReplayRun | null, paint?: Paint): string[] {
  const lines = build.errorLines.map((line) => `    ${line}`);
  if (run && run.log.length > 0) lines.push(...formatLogTail(run.log.join('\n'), paint).split('\n').map((line) => `    ${line}`));
  return lines;
}

/** Said once dev is ready. */
export function renderStart(start: DevStart, shownDir: string): string[] {
  const lines: string[] = [];
  const what = start.bundled ? `the bundled function (${shownDir}; \`thumbctl eject\` to change a copy of your own)` : shownDir;
  if (start.baseline) {
    const run = start.baseline;
    const result = run.error ? `fails: ${run.error}` : `${run.thumbnail ? describeMade(run.thumbnail, run.variants) : ''} · ${ms(run.e2eMs)}${describePhases(run.phases)}`;
    lines.push(`replaying s3://${start.replay!.sourceBucket}/${start.replay!.key} (${start.replay!.origin}) after each build; now: ${result}`);
  }
  lines.push(`watching ${what} (${start.watching.length} folder${start.watching.length === 1 ? '' : 's'}): save to rebuild, deploy${start.replay ? ' and replay' : ''}; Ctrl-C to stop`);
  return lines;
}
