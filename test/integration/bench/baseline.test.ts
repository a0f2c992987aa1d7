// The bare sharp baseline and the ImageMagick comparison, run for real (small iteration counts): they must give
// positive numbers and describe what they ran. No assertion on how fast anything is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BaselineSession, measureSharpBaseline } from '../../../cli/core/bench/baseline.js';
import { convertArguments, findImageMagick } from '../../../cli/core/bench/imagemagick.js';

const SAMPLE = new URL('../../../assets/canyon.jpg', import.meta.url).pathname;

describe('bench baseline', () => {
  it('times sharp alone in a separate Node.js process with the function\'s encoder settings', async () => {
    // Act
    const baseline = await measureSharpBaseline({ image: SAMPLE, width: 200, height: 150, iterations: 3, warmup: 1 });
    // Assess
    assert.ok(baseline.sharpP50Ms > 0);
    assert.ok(baseline.minMs > 0 && baseline.minMs <= baseline.sharpP50Ms);
    assert.equal(baseline.iterations, 3);
    assert.match(baseline.pipeline, /rotate\(\)\.resize\(200, 150, \{ fit: 'cover' \}\)\.toFormat\('jpeg', \{"quality":80\}\)/);
    assert.match(baseline.libvips, /^\d+\.\d+/);
    assert.deepEqual(baseline.input, { format: 'jpeg', width: 3000, height: 2000 });
  });

  it('times one iteration per request in a warm session, then hands back every sample', async () => {
    // Arrange
    const session = await BaselineSession.start({ image: SAMPLE, width: 200, height: 150, warmup: 1 });
    // Act
    const samples = [await session.sample(), await session.sample(), await session.sample()];
    const baseline = await session.finish();
    // Assess
    assert.ok(samples.every((ms) => ms > 0));
    assert.deepEqual(baseline.samplesMs, samples);
    assert.equal(baseline.iterations, 3);
    assert.match(baseline.pipeline, /resize\(200, 150/);
  });

  it('fails a session with the worker\'s reason for an unreadable image', async () => {
    await assert.rejects(BaselineSession.start({ image: '/nonexistent.jpg', width: 10, height: 10, warmup: 0 }), /the sharp baseline failed .*ENOENT/);
  });

  it('fails with the worker\'s reason for an unreadable image', async () => {
    await assert.rejects(measureSharpBaseline({ image: '/nonexistent.jpg', width: 10, height: 10, iterations: 1, warmup: 0 }), /the sharp baseline failed .*ENOENT/);
  });

  it('finds no ImageMagick among programs that are not it', async () => {
    assert.equal(await findImageMagick(['/nonexistent/convert', process.execPath]), undefined);
  });

  it('builds the cover-crop convert command line', () => {
    assert.deepEqual(convertArguments('in.jpg', { width: 400, height: 300 }, 'out.jpg'), ['in.jpg', '-thumbnail', '400x300^', '-gravity', 'center', '-extent', '400x300', 'out.jpg']);
  });
});
