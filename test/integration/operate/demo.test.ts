// `thumbctl demo` end to end, as a newcomer runs it: its own local cloud in a fresh state directory, setup,
// two uploads of the bundled photo, the traces summary.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { runThumbctl } from '../../helpers/thumbctl.js';

const dir = mkdtempSync(join(tmpdir(), 'thumbctl-demo-'));

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('thumbctl demo', () => {
  it('sets up, makes two thumbnails of the sample photo and summarises their traces', async () => {
    // Act
    const result = await runThumbctl(['demo', '--state-dir', join(dir, 'state'), '--json'], { cwd: dir, timeoutMs: 180_000 });

    // Assess
    assert.equal(result.code, 0, result.stderr);
    const demo = result.json();
    assert.equal(demo.target, 'local');
    assert.equal(demo.setup.functionName, 'thumbctl-thumbnailer');
    assert.equal(demo.setup.tracing.mode, 'Active');
    assert.deepEqual(
      demo.uploads.map((upload: { thumbnailKey: string; width: number; height: number }) => [upload.thumbnailKey, upload.width, upload.height]),
      [
        ['canyon-400x400.jpg', 400, 400],
        ['canyon-200x150.jpg', 200, 150],
      ],
    );
    for (const upload of demo.uploads) {
      assert.ok(upload.latencyMs > 0);
      assert.ok(existsSync(upload.savedTo), `${upload.savedTo} saved`);
      const { width, height } = await sharp(upload.savedTo).metadata();
      assert.deepEqual([width, height], [upload.width, upload.height]);
    }
    assert.equal(demo.traces.summary.count, 2);
    assert.equal(demo.traces.summary.errors, 0);
    assert.equal(demo.uploads[0].coldStart, true, 'the first upload met a cold start');
  });

  it('runs again on the same state, everything unchanged, and prints what to try next', async () => {
    const result = await runThumbctl(['demo', '--state-dir', join(dir, 'state')], { cwd: dir, timeoutMs: 180_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /canyon-400x400\.jpg\s+400x400/);
    assert.match(result.stdout, /canyon-200x150\.jpg\s+200x150/);
    assert.match(result.stdout, /thumbctl local serve/);
    assert.match(result.stdout, /--target aws/);
    assert.match(result.stderr, /unchanged/);
  });
});
