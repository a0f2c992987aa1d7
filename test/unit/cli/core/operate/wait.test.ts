import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isNewerVersion, pollInterval, POLL_INTERVALS } from '../../../../../cli/core/operate/wait.js';

describe('isNewerVersion', () => {
  const old = { etag: '"abc"', lastModified: new Date('2026-11-26T21:52:42Z') };

  it('takes any thumbnail as new when there was none before', () => {
    assert.equal(isNewerVersion(old, undefined), true);
  });

  it('takes a different ETag as new', () => {
    assert.equal(isNewerVersion({ ...old, etag: '"def"' }, old), true);
  });

  it('takes the same bytes rewritten a second later as new', () => {
    assert.equal(isNewerVersion({ ...old, lastModified: new Date('2026-11-26T21:52:43Z') }, old), true);
  });

  it('takes the same ETag and LastModified as the old thumbnail', () => {
    assert.equal(isNewerVersion({ ...old }, old), false);
  });
});

describe('pollInterval', () => {
  it('waits a twentieth of the time waited so far, from 4 ms up to 250 ms', () => {
    assert.equal(pollInterval(0), POLL_INTERVALS.firstMs);
    assert.equal(pollInterval(50), 4);
    assert.equal(pollInterval(180), 9);
    assert.equal(pollInterval(1_000), 50);
    assert.equal(pollInterval(60_000), POLL_INTERVALS.maxMs);
  });

  it('never shrinks as the wait goes on', () => {
    const intervals = Array.from({ length: 100 }, (_, i) => pollInterval(i * 37));
    assert.ok(intervals.every((value, index) => index === 0 || value >= intervals[index - 1]!));
  });
});
