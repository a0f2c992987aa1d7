// The progress line a terminal shows during `backfill`: a bar of the objects sent of those found missing, the
// counts, the rate and the ETA (a lower bound while the listing goes on).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressBar, progressLine } from '../../../../../cli/core/backfill/render.js';
import type { BackfillProgress } from '../../../../../cli/core/backfill/run.js';

const progress = (overrides: Partial<BackfillProgress>): BackfillProgress => ({
  listed: 2000,
  missing: 400,
  invoked: 100,
  failed: 0,
  skipped: 1600,
  ratePerSecond: 50,
  pacePerSecond: 100,
  listingDone: true,
  elapsedMs: 2000,
  ...overrides,
});

describe('progressBar', () => {
  it('fills in proportion, never past full, and stays empty when nothing is missing', () => {
    assert.equal(progressBar(0, 400), `[${'░'.repeat(20)}]`);
    assert.equal(progressBar(100, 400), `[${'█'.repeat(5)}${'░'.repeat(15)}]`);
    assert.equal(progressBar(400, 400), `[${'█'.repeat(20)}]`);
    assert.equal(progressBar(500, 400), `[${'█'.repeat(20)}]`);
    assert.equal(progressBar(0, 0), `[${'░'.repeat(20)}]`);
  });
});

describe('progressLine', () => {
  it('shows the bar, the counts, the rate and the ETA of what is left', () => {
    assert.equal(
      progressLine(progress({ failed: 20 })),
      `[${'█'.repeat(6)}${'░'.repeat(14)}] 120/400 · listed 2,000 · missing 400 · invoked 100 · failed 20 · 50/s · ETA 5.6 s`,
    );
  });

  it('marks the ETA a lower bound while the listing goes on, and unknown before anything was invoked', () => {
    assert.match(progressLine(progress({ listingDone: false })), /ETA ≥6\.0 s$/);
    assert.match(progressLine(progress({ invoked: 0, ratePerSecond: 0 })), /0\.0\/s · ETA …$/);
  });
});
