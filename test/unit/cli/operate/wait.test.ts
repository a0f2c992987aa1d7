import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isNewerVersion, nextPollInterval, POLL_INTERVALS } from '../../../../cli/core/operate/wait.js';

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

describe('nextPollInterval', () => {
  it('backs off from 10 ms to at most 250 ms', () => {
    const intervals = [POLL_INTERVALS.firstMs as number];
    while (intervals.length < 20) intervals.push(nextPollInterval(intervals.at(-1)!));
    assert.equal(intervals[0], 10);
    assert.ok(intervals.every((value, index) => index === 0 || value >= intervals[index - 1]!), 'never shrinks');
    assert.equal(intervals.at(-1), 250);
  });
});
