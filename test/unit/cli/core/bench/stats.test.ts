import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { idealThroughputPerSec, latencyBlock, median, pairedRatio, ratio, splitLatencies, throughputPerSec } from '../../../../../cli/core/bench/stats.js';

describe('bench statistics', () => {
  it('computes nearest-rank latency blocks, rounded to 0.1 ms', () => {
    // Prepare: ten latencies; nearest rank: p50 → 5th, p90 → 9th, p99 → 10th.
    const values = [107.04, 103, 110, 101, 109, 102, 108, 104, 106, 105];
    // Act
    const block = latencyBlock(values);
    // Assess
    assert.deepEqual(block, { count: 10, p50Ms: 105, p90Ms: 109, p99Ms: 110, maxMs: 110 });
  });

  it('gives nulls for no latencies', () => {
    assert.deepEqual(latencyBlock([]), { count: 0, p50Ms: null, p90Ms: null, p99Ms: null, maxMs: null });
  });

  it('takes the median of the numbers present and ignores missing ones', () => {
    assert.equal(median([3, null, 1, undefined, 2]), 2);
    assert.equal(median([null, undefined]), null);
    assert.equal(median([1.26, 1.24]), 1.2);
  });

  it('divides to two decimals and refuses a missing or zero denominator', () => {
    assert.equal(ratio(150, 100), 1.5);
    assert.equal(ratio(100, 3), 33.33);
    assert.equal(ratio(null, 100), null);
    assert.equal(ratio(100, null), null);
    assert.equal(ratio(100, 0), null);
    assert.equal(ratio(100, -1), null);
  });

  it('counts thumbnails per second over the wall time', () => {
    assert.equal(throughputPerSec(40, 2000), 20);
    assert.equal(throughputPerSec(10, 3000), 3.33);
    assert.equal(throughputPerSec(5, 0), null);
  });

  it('computes the ideal throughput of cores sharp processes back to back', () => {
    // 2 cores, 50 ms an image: 40 images a second.
    assert.equal(idealThroughputPerSec(2, 50), 40);
    assert.equal(idealThroughputPerSec(2, null), null);
    assert.equal(idealThroughputPerSec(0, 50), null);
  });

  it('splits latencies into cold and warm, leaving untraced ones in neither and lost ones out', () => {
    // Prepare
    const samples = [
      { latencyMs: 900, coldStart: true },
      { latencyMs: 100, coldStart: false },
      { latencyMs: 120, coldStart: false },
      { latencyMs: 130, coldStart: null },
      { latencyMs: null, coldStart: null },
    ];
    // Act
    const split = splitLatencies(samples);
    // Assess
    assert.equal(split.all.count, 4);
    assert.equal(split.all.maxMs, 900);
    assert.deepEqual([split.cold.count, split.cold.p50Ms], [1, 900]);
    assert.deepEqual([split.warm.count, split.warm.p50Ms, split.warm.maxMs], [2, 100, 120]);
  });
});

describe('paired ratios', () => {
  it('takes the nearest-rank median of each pair\'s own ratio, not a ratio of medians', () => {
    // Prepare: the machine slows down halfway (baseline 40 → 60 ms) and the uploads with it.
    const pairs = [
      { value: 60, baseline: 40 },
      { value: 62, baseline: 40 },
      { value: 90, baseline: 60 },
      { value: 93, baseline: 60 },
      { value: 61, baseline: 41 },
    ];
    // Act
    const paired = pairedRatio(pairs);
    // Assess: ratios 1.5, 1.55, 1.5, 1.55, 1.488 → sorted [1.488, 1.5, 1.5, 1.55, 1.55], 3rd = 1.5;
    // p50 over p50 would be 62 / 41 = 1.51.
    assert.equal(paired, 1.5);
  });

  it('skips pairs with a missing side and is null with none left', () => {
    assert.equal(pairedRatio([{ value: null, baseline: 40 }, { value: 50, baseline: 0 }, { value: 50, baseline: undefined }]), null);
    assert.equal(pairedRatio([{ value: null, baseline: 40 }, { value: 80, baseline: 40 }]), 2);
  });
});

describe('bench baseline pooling and CPU per thumbnail', () => {
  it('pools two baseline measurements: p50 over every sample, each run kept apart', async () => {
    const { poolBaselines } = await import('../../../../../cli/core/bench/baseline.js');
    const base = { minMs: 0, iterations: 0, warmup: 3, pipeline: 'p', input: { format: 'jpeg', width: 1, height: 1 }, sharp: '0', libvips: '8', threads: 1 };
    const pooled = poolBaselines(
      { ...base, sharpP50Ms: 40, minMs: 38, iterations: 3, runsP50Ms: [40], samplesMs: [38, 40, 42] },
      { ...base, sharpP50Ms: 60, minMs: 50, iterations: 3, runsP50Ms: [60], samplesMs: [50, 60, 70] },
    );
    // Nearest rank p50 of six sorted samples [38, 40, 42, 50, 60, 70] is the 3rd: 42.
    assert.equal(pooled.sharpP50Ms, 42);
    assert.equal(pooled.minMs, 38);
    assert.equal(pooled.iterations, 6);
    assert.deepEqual(pooled.runsP50Ms, [40, 60]);
  });

  it('divides CPU time by the thumbnails that arrived', async () => {
    const { perThumbnail } = await import('../../../../../cli/core/bench/run.js');
    assert.deepEqual(perThumbnail({ clientMs: 400, cloudMs: null, functionsMs: 2000 }, 40), { client: 10, cloud: null, functions: 50 });
    assert.deepEqual(perThumbnail({ clientMs: 400, cloudMs: 100, functionsMs: 2000 }, 0), { client: null, cloud: null, functions: null });
  });
});
