import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseDuration, parseSeconds } from '../../../../../cli/core/operate/duration.js';
import { ExitCode, UserError } from '../../../../../cli/output.js';

const isUsage = (error: unknown) => error instanceof UserError && error.exitCode === ExitCode.usage;

describe('parseDuration', () => {
  it('reads seconds, minutes, hours and days', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1d'), 86_400_000);
  });

  for (const bad of ['', '10', 'm', '10x', '1.5h', '-5m', '0s', '10 minutes', '1h30m', '10M']) {
    it(`refuses "${bad}" with exit 2`, () => {
      assert.throws(() => parseDuration(bad), isUsage);
    });
  }

  it('names the flag in the message', () => {
    assert.throws(() => parseDuration('soon', '--since'), /--since "soon" must be a duration like 30s, 10m, 2h or 1d/);
  });

  it('refuses absurd spans', () => {
    assert.throws(() => parseDuration('99999d'), /more than ten years/);
  });
});

describe('parseSeconds', () => {
  it('uses the default when the flag is absent', () => {
    assert.equal(parseSeconds(undefined, 60), 60_000);
  });

  it('reads whole and fractional seconds', () => {
    assert.equal(parseSeconds('5', 60), 5000);
    assert.equal(parseSeconds('0.25', 60), 250);
  });

  for (const bad of ['0', 'abc', '-1', '1e3', '86401', '']) {
    it(`refuses "${bad}" with exit 2`, () => {
      assert.throws(() => parseSeconds(bad, 60), isUsage);
    });
  }

  it('says which values it takes, without claiming 0 is one of them', () => {
    assert.throws(() => parseSeconds('0', 60), /--timeout "0" must be a number of seconds above 0, at most 86400/);
  });
});
