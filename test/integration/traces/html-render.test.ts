// The --html report, rendered by a real browser: headless Chromium takes a screenshot and the SVGs must be
// visibly drawn (the report's colours present where the service map, histogram and waterfall are).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HTML_COLOURS, renderHtmlReport, writeFileAtomic } from '../../../cli/core/traces/render-html.js';
import { sampleReport } from '../../unit/cli/core/traces/fixtures.js';
import { chromiumMissing, colourCensus, screenshot } from './chromium.js';

describe('the HTML report in Chromium', { skip: chromiumMissing() }, () => {
  it('renders the service map, histogram and waterfall', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'thumbctl-html-'));
    try {
      // Prepare
      const file = await writeFileAtomic(join(dir, 'report.html'), renderHtmlReport(sampleReport()));
      // Act
      const png = await screenshot(file);
      // Assess: the page is not blank, and each drawing's colours are there.
      const page = await colourCensus(png, { left: 0, top: 0, width: 1280, height: 1600 });
      assert.ok(page.distinct >= 8, `only ${page.distinct} colours on the page`);
      assert.ok(page.near(HTML_COLOURS.node, 6) > 2000, 'service-map boxes are filled');
      assert.ok(page.near(HTML_COLOURS.warm, 12) > 500, 'warm bars and segment bars are drawn');
      assert.ok(page.near(HTML_COLOURS.cold, 12) > 100, 'the cold-start bar is drawn');
      const map = await colourCensus(png, { left: 0, top: 80, width: 1280, height: 260 });
      assert.ok(map.distinct >= 5, `the service map region has only ${map.distinct} colours`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
