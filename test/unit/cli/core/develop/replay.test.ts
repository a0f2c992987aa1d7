// dev's replay looks for the run's trace at once and then after short, growing waits: a trace complete a few
// milliseconds after the answer is read within a few milliseconds, and one that never comes costs a bounded
// number of looks before the timeout.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRACE_WAIT, traceLookIntervalMs } from '../../../../../cli/core/develop/replay.js';

describe('traceLookIntervalMs', () => {
  it('starts short and grows, never past the largest wait', () => {
    // Act
    const waits = Array.from({ length: 40 }, (_, index) => traceLookIntervalMs(index + 1));

    // Assess
    assert.equal(waits[0], TRACE_WAIT.firstIntervalMs);
    for (let index = 1; index < waits.length; index++) assert.ok(waits[index]! >= waits[index - 1]!, `wait ${index + 1} shrank`);
    assert.ok(waits[1]! > waits[0]!, 'the waits do not grow');
    assert.equal(Math.max(...waits), TRACE_WAIT.maxIntervalMs);
  });

  it('bounds the looks at a trace that never comes to a few dozen', () => {
    let looks = 1;
    for (let waited = 0; waited < TRACE_WAIT.timeoutMs; looks++) waited += traceLookIntervalMs(looks);

    assert.ok(looks <= 50, `${looks} looks in ${TRACE_WAIT.timeoutMs} ms`);
  });
});
