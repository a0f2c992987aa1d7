// dev's lines for people: the build line (thumbnail, time, phases, delta, timings) and an error's line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DevBuild } from '../../../../../cli/core/develop/dev.js';
import { renderBuildDetails, renderBuildLine } from '../../../../../cli/core/develop/render.js';

function build(overrides: Partial<DevBuild> = {}): DevBuild {
  return {
    build: 2,
    savedAt: '2026-12-03T13:00:00.000Z',
    changed: ['thumbnail.ts'],
    buildMs: 84,
    deployMs: 212,
    e2eMs: 312,
    saveToThumbnailMs: 702,
    deployed: true,
    timings: { waitMs: 10, bundleMs: 60, zipMs: 24, updateMs: 180, settleMs: 32, readBackMs: 8 },
    codeSha256: 'abc=',
    thumbnail: { key: 'a-400x300.jpg', width: 400, height: 267, bytes: 14_540, contentType: 'image/jpeg' },
    variants: null,
    phases: { initMs: 231, dwellMs: 0, invocationMs: 70, s3GetMs: 4, resizeMs: 47, s3PutMs: 5, overheadMs: 14 } as DevBuild['phases'],
    coldStart: true,
    delta: { e2eMs: -21, phases: {} },
    error: null,
    stage: null,
    errorLines: [],
    ...overrides,
  };
}

describe('renderBuildLine', () => {
  it('shows the thumbnail, the end-to-end time with its phases, the delta and the timings', () => {
    assert.equal(
      renderBuildLine(build()),
      '#2 ✔ 400x267 jpeg 14.2 KB · 312 ms (init 231 · get 4 · resize 47 · put 5) · Δ −21 ms · rebuilt 84 ms, deployed 212 ms, save → thumbnail 702 ms',
    );
  });

  it('names every variant of an upload without a size', () => {
    const variants = [
      { name: 'thumb', key: 'a-200x200.jpg', width: 200, height: 200, bytes: 9_318, contentType: 'image/jpeg' },
      { name: 'card', key: 'a-400x300.webp', width: 400, height: 300, bytes: 12_288, contentType: 'image/webp' },
    ];
    assert.match(renderBuildLine(build({ thumbnail: variants[0], variants })), /^#2 ✔ thumb 200x200 jpeg 9\.1 KB, card 400x300 webp 12(\.0)? KB · 312 ms/);
  });

  it('says when the code came out the same and was not redeployed', () => {
    assert.match(renderBuildLine(build({ deployed: false, deployMs: 0, delta: null })), /same code, not redeployed/);
  });

  it('shows a build error with its stage and no thumbnail', () => {
    const line = renderBuildLine(build({ error: 'thumbnail.ts:3:14: Expected identifier', stage: 'build', buildMs: null, deployMs: null, e2eMs: null, thumbnail: null, phases: null, delta: null, saveToThumbnailMs: 264 }));
    assert.equal(line, '#2 ✖ build failed: thumbnail.ts:3:14: Expected identifier · save → error 264 ms');
  });

  it('--no-replay: deployed, nothing run', () => {
    assert.match(renderBuildLine(build({ e2eMs: null, thumbnail: null, phases: null, delta: null })), /^#2 ✔ deployed \(no replay\) · rebuilt 84 ms, deployed 212 ms, save → deployed 702 ms$/);
  });
});

describe('renderBuildDetails', () => {
  it('indents the error lines under the build line', () => {
    assert.deepEqual(renderBuildDetails(build({ errorLines: ['thumbnail.ts:3:14: export const = ;'] }), null), ['    thumbnail.ts:3:14: export const = ;']);
  });
});
