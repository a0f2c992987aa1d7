import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode, UserError } from '../../../../../cli/output.js';
import { resolveTracesOptions } from '../../../../../cli/core/traces/options.js';

const usageError = (error: unknown): boolean => error instanceof UserError && error.exitCode === ExitCode.usage;

describe('traces options', () => {
  it('parses --since in seconds, minutes, hours and days', () => {
    assert.equal(resolveTracesOptions({ since: '30s' }).sinceMs, 30_000);
    assert.equal(resolveTracesOptions({ since: '10m' }).sinceMs, 600_000);
    assert.equal(resolveTracesOptions({ since: '2h' }).sinceMs, 7_200_000);
    assert.equal(resolveTracesOptions({ since: '1d' }).sinceMs, 86_400_000);
  });

  it('rejects other durations as usage errors', () => {
    for (const bad of ['', '10', 'm', '-5m', '1.5h', '0s', '10 minutes', '5w', 'abc']) {
      assert.throws(() => resolveTracesOptions({ since: bad }), usageError, bad);
    }
  });

  it('defaults to the last 15 minutes and 50 traces', () => {
    const options = resolveTracesOptions({});
    assert.equal(options.sinceMs, 15 * 60_000);
    assert.equal(options.limit, 50);
    assert.deepEqual(options.traceIds, []);
    assert.equal(options.wait, undefined);
    assert.equal(options.serviceMap, false);
  });

  it('rejects a bad --limit, --wait or --since', () => {
    assert.throws(() => resolveTracesOptions({ limit: '0' }), usageError);
    assert.throws(() => resolveTracesOptions({ limit: 'ten' }), usageError);
    assert.throws(() => resolveTracesOptions({ wait: '-1' }), usageError);
    assert.throws(() => resolveTracesOptions({ since: '31d' }), usageError);
    assert.throws(() => resolveTracesOptions({ since: 'yesterday' }), usageError);
  });

  it('checks trace ids and accepts several', () => {
    const ids = ['1-6553f100-000000000000000000000001', '1-6553f100-000000000000000000000002'];
    assert.deepEqual(resolveTracesOptions({ traceId: ids }).traceIds, ids);
    assert.deepEqual(resolveTracesOptions({ traceId: [ids.join(',')] }).traceIds, ids);
    assert.throws(() => resolveTracesOptions({ traceId: ['not-a-trace'] }), usageError);
  });
});
