// The arithmetic of a benchmark: latency blocks (nearest-rank percentiles, shared with `traces`), cold and warm
// apart, throughput over the wall time, and ratios against the bare sharp baseline. Pure: numbers in, numbers out.
import { latencyStats, percentile } from '../traces/percentiles.js';

/** p50 / p90 / p99 / max in milliseconds, null when there was nothing to measure. */
export interface LatencyBlock {
  count: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
const round2 = (value: number): number => Math.round(value * 100) / 100;

/** latencyStats, rounded to 0.1 ms for the report. */
export function latencyBlock(values: readonly number[]): LatencyBlock {
  const stats = latencyStats(values);
  const r = (value: number | null): number | null => (value === null ? null : round1(value));
  return { count: stats.count, p50Ms: r(stats.p50Ms), p90Ms: r(stats.p90Ms), p99Ms: r(stats.p99Ms), maxMs: r(stats.maxMs) };
}

/** The median (nearest rank) rounded to 0.1 ms, or null for no values. */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const present = values.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  const p50 = percentile(present, 50);
  return p50 === null ? null : round1(p50);
}

/**
 * `numerator / denominator` to two decimals, or null when either is missing or the denominator is not positive.
 * A ratio of 1.5 reads "1.5 times the baseline".
 */
export function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  if (typeof numerator !== 'number' || typeof denominator !== 'number' || !Number.isFinite(numerator) || !(denominator > 0)) return null;
  return round2(numerator / denominator);
}

/**
 * The median of per-pair ratios `value / baseline` (nearest rank, two decimals), or null without a usable pair.
 * Each pair was measured in the same moment (an upload and the baseline sample taken right after it), so a
 * machine whose speed changes during a run (a shared one) moves both sides of each ratio together.
 */
export function pairedRatio(pairs: readonly { value: number | null | undefined; baseline: number | null | undefined }[]): number | null {
  const ratios = pairs.flatMap(({ value, baseline }) => {
    const r = ratio(value, baseline);
    return r === null ? [] : [(value as number) / (baseline as number)];
  });
  const p50 = percentile(ratios, 50);
  return p50 === null ? null : round2(p50);
}

/** Thumbnails per second over the wall time (two decimals), or null when no time passed. */
export function throughputPerSec(completed: number, wallMs: number): number | null {
  if (!(wallMs > 0)) return null;
  return round2((completed * 1000) / wallMs);
}

/**
 * The ideal throughput of `cores` bare sharp processes working back to back: cores / baseline seconds.
 * The throughput target (targets.ts) is 0.8 of it at concurrency = cores.
 */
export function idealThroughputPerSec(cores: number, baselineMs: number | null | undefined): number | null {
  if (typeof baselineMs !== 'number' || !(baselineMs > 0) || !(cores > 0)) return null;
  return round2((cores * 1000) / baselineMs);
}

/** One upload's outcome as the statistics see it. */
export interface UploadSample {
  latencyMs: number | null;
  /** From the upload's trace; null when no trace was found for its key. */
  coldStart: boolean | null;
}

/** Latency over every thumbnail that arrived, and over the cold and warm ones apart (unknown ones in neither). */
export function splitLatencies(samples: readonly UploadSample[]): { all: LatencyBlock; cold: LatencyBlock; warm: LatencyBlock } {
  const arrived = samples.filter((s): s is UploadSample & { latencyMs: number } => s.latencyMs !== null);
  return {
    all: latencyBlock(arrived.map((s) => s.latencyMs)),
    cold: latencyBlock(arrived.filter((s) => s.coldStart === true).map((s) => s.latencyMs)),
    warm: latencyBlock(arrived.filter((s) => s.coldStart === false).map((s) => s.latencyMs)),
  };
}
