import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseTrace, summarise } from '../../../../../cli/core/traces/analyse.js';
import { buildSegmentTree } from '../../../../../cli/core/traces/segments.js';
import { latencyBins, niceStep, renderHtmlReport, writeFileAtomic } from '../../../../../cli/core/traces/render-html.js';
import { FUNCTION_NAME, lambdaTrace, sampleReport, T0 } from './fixtures.js';

describe('the HTML report', () => {
  it('holds the service map, the histogram and the waterfall as inline SVG', () => {
    const html = renderHtmlReport(sampleReport());
    assert.match(html, /^<!doctype html>/);
    assert.equal(html.match(/<svg\b/g)?.length, 3);
    assert.match(html, /aria-label="service map"/);
    assert.match(html, /aria-label="latency histogram"/);
    assert.match(html, /aria-label="waterfall"/);
    assert.match(html, /Slowest trace: 1-6553f100-/);
    assert.match(html, /nearest-rank/);
  });

  it('refers to nothing outside itself', () => {
    const html = renderHtmlReport(sampleReport());
    assert.doesNotMatch(html, /\b(src|href)\s*=/i, 'no src or href at all');
    assert.doesNotMatch(html, /https?:/i, 'no URLs');
    assert.doesNotMatch(html, /@import|<script|<link|<img|<iframe/i);
    assert.doesNotMatch(html, /url\((?!#)/, 'CSS/SVG url() only to fragments inside the document');
  });

  it('has a decode column only when some invocation made variants, and names each variant’s resize', () => {
    assert.doesNotMatch(renderHtmlReport(sampleReport()), /<th>decode<\/th>/);
    const report = sampleReport();
    const variants = analyseTrace(buildSegmentTree(lambdaTrace({ t: T0 + 30, n: 4, key: 'canyon.jpg', variants: ['thumb', 'card'] }).trace), FUNCTION_NAME);
    const html = renderHtmlReport({ ...report, traces: [variants, ...report.traces] });
    assert.match(html, /<th>s3 get<\/th><th>decode<\/th><th>resize<\/th>/);
    assert.match(html, /<tr title="thumb 100\.0 ms, card 100\.0 ms">/);
  });

  it('escapes keys and messages', () => {
    const html = renderHtmlReport(sampleReport('<script>alert(1)</script>-400x400.jpg'));
    assert.doesNotMatch(html, /<script>/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;-400x400\.jpg/);
  });

  it('bins latencies with a round bin width, cold and warm apart', () => {
    assert.equal(niceStep(123), 200);
    assert.equal(niceStep(0.4), 0.5);
    assert.equal(niceStep(10), 10);
    const { bins, measure } = latencyBins(sampleReport().traces);
    assert.equal(measure, 'e2e');
    assert.equal(bins.reduce((n, b) => n + b.cold + b.warm, 0), 3);
    assert.equal(bins.reduce((n, b) => n + b.cold, 0), 1);
    assert.ok(bins.every((b, i) => i === 0 || b.fromMs === (bins[i - 1] as (typeof bins)[number]).toMs));
  });

  it('says so when there is nothing to draw', () => {
    const report = { ...sampleReport(), traces: [], summary: summarise([]), slowest: undefined, serviceMap: { ...sampleReport().serviceMap, nodes: [], edges: [] } };
    const html = renderHtmlReport(report);
    assert.match(html, /No services recorded/);
    assert.match(html, /No completed invocations/);
  });

  it('writes atomically, leaving no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'thumbctl-html-'));
    try {
      const file = join(dir, 'report.html');
      await writeFileAtomic(file, 'one');
      await writeFileAtomic(file, 'two');
      assert.equal(readFileSync(file, 'utf8'), 'two');
      assert.deepEqual(readdirSync(dir), ['report.html']);
      await assert.rejects(writeFileAtomic(join(dir, 'missing-dir', 'x.html'), 'x'));
      assert.deepEqual(readdirSync(dir), ['report.html']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
