// Percentiles by the nearest-rank method: the p-th percentile of N sorted values is the value at rank
// ceil(p/100 × N) (1-based), so every percentile is a duration that really happened, never an interpolated
// one. Pure; it knows nothing about traces.

export const PERCENTILE_METHOD = 'nearest-rank' as const;

/**
 * The p-th percentile of `values` by nearest rank, or null for no values.
 *
 * @param values - Any order; not modified.
 * @param p - 0 < p ≤ 100.
 * @see https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], not ${p}`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** p50 / p90 / p99 / max of a set of durations in milliseconds (all null when there are none). */
export interface LatencyStats {
  count: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export function latencyStats(values: readonly number[]): LatencyStats {
  return {
    count: values.length,
    p50Ms: percentile(values, 50),
    p90Ms: percentile(values, 90),
    p99Ms: percentile(values, 99),
    maxMs: values.length ? Math.max(...values) : null,
  };
}
