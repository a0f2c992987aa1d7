import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { latencyStats, percentile, PERCENTILE_METHOD } from '../../../../../cli/core/traces/percentiles.js';

describe('percentiles (nearest rank)', () => {
  it('names its method', () => {
    assert.equal(PERCENTILE_METHOD, 'nearest-rank');
  });

  it('gives the hand-computed ranks for 1..10', () => {
    // Prepare: rank = ceil(p/100 × 10): p50 → 5th, p90 → 9th, p99 → ceil(9.9) = 10th.
    const values = [7, 3, 10, 1, 9, 2, 8, 4, 6, 5];
    // Act / Assess
    assert.equal(percentile(values, 50), 5);
    assert.equal(percentile(values, 90), 9);
    assert.equal(percentile(values, 99), 10);
    assert.equal(percentile(values, 100), 10);
    assert.equal(percentile(values, 1), 1);
    assert.equal(percentile(values, 10), 1);
    assert.equal(percentile(values, 11), 2);
  });

  it('matches the textbook example [15, 20, 35, 40, 50]', () => {
    const values = [15, 20, 35, 40, 50];
    assert.equal(percentile(values, 5), 15);
    assert.equal(percentile(values, 30), 20);
    assert.equal(percentile(values, 40), 20);
    assert.equal(percentile(values, 50), 35);
    assert.equal(percentile(values, 100), 50);
  });

  it('answers the only value for a single element', () => {
    assert.deepEqual(latencyStats([42.5]), { count: 1, p50Ms: 42.5, p90Ms: 42.5, p99Ms: 42.5, maxMs: 42.5 });
  });

  it('answers null for no values', () => {
    assert.deepEqual(latencyStats([]), { count: 0, p50Ms: null, p90Ms: null, p99Ms: null, maxMs: null });
  });

  it('handles 100 values: p99 is the 99th, max the 100th', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    const stats = latencyStats(values);
    assert.equal(stats.p50Ms, 50);
    assert.equal(stats.p90Ms, 90);
    assert.equal(stats.p99Ms, 99);
    assert.equal(stats.maxMs, 100);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    assert.deepEqual(values, [3, 1, 2]);
  });

  it('refuses percentiles outside (0, 100]', () => {
    assert.throws(() => percentile([1], 0), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
  });
});
