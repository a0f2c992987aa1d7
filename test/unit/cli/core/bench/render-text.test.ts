import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatMegabytes, formatMs, formatRatio, renderBenchText } from '../../../../../cli/core/bench/render-text.js';
import { benchResult } from './fixtures.js';

describe('bench text report', () => {
  it('formats milliseconds, seconds and ratios', () => {
    assert.equal(formatMs(12.34), '12.3 ms');
    assert.equal(formatMs(1500), '1.50 s');
    assert.equal(formatMs(null), '-');
    assert.equal(formatRatio(1.5), '1.50×');
    assert.equal(formatRatio(null), '-');
    assert.equal(formatMegabytes(414_013), '404 KB');
    assert.equal(formatMegabytes(8.4 * 1024 * 1024), '8.4 MB');
  });

  it('shows the latency table, the baseline, the ratios and the targets', () => {
    // Act
    const text = renderBenchText(benchResult());
    // Assess
    assert.match(text, /40 × canyon\.jpg \(404 KB\) → 400x400, 2 at a time, local target, 2 cores/);
    assert.match(text, /warm\s+40\s+80\.0\s+120\.0\s+120\.0\s+120\.0/);
    assert.match(text, /bare sharp p50 50\.0 ms/);
    assert.match(text, /e2e 1\.60×, resize 1\.10×, throughput 0\.50×/);
    assert.match(text, /NOT met\s+warm end-to-end p50: 1\.60×/);
    assert.match(text, /met\s+resize phase p50: 1\.10×/);
    assert.match(text, /lost\s+0/);
  });

  it('lists the first lost uploads with the reason', () => {
    const text = renderBenchText(benchResult({ lost: 1, failures: [{ key: 'bench-run1-3-400x400.jpg', error: 'no thumbnail within 60 s' }] }));
    assert.match(text, /lost\s+1: bench-run1-3-400x400\.jpg \(no thumbnail within 60 s\)/);
  });
});
