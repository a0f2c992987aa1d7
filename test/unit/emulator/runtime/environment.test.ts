// The node flags an execution environment starts with: the heap limits Lambda's Node.js runtimes derive from
// the function's memory (their /var/runtime/bootstrap: a tenth for the young generation, the rest for the old).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lambdaHeapArguments } from '../../../../emulator/runtime/environment.js';

describe('lambdaHeapArguments', () => {
  it('gives the young generation a tenth of the memory (two semi-spaces) and the old generation the rest', () => {
    assert.deepEqual(lambdaHeapArguments(512), ['--max-semi-space-size=25', '--max-old-space-size=461']);
    assert.deepEqual(lambdaHeapArguments(1769), ['--max-semi-space-size=88', '--max-old-space-size=1593']);
  });

  it('rounds down as the shell arithmetic of Lambda does, at both ends of MemorySize', () => {
    assert.deepEqual(lambdaHeapArguments(128), ['--max-semi-space-size=6', '--max-old-space-size=116']);
    assert.deepEqual(lambdaHeapArguments(10240), ['--max-semi-space-size=512', '--max-old-space-size=9216']);
  });
});
