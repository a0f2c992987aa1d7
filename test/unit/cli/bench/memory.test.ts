import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemorySampler, parentPid, statusFieldBytes } from '../../../../cli/core/bench/memory.js';

describe('bench memory', () => {
  it('reads kB fields of /proc/<pid>/status as bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200 kB\nVmHWM:\t  20480 kB\nVmRSS:\t  10240 kB\n';
    assert.equal(statusFieldBytes(status, 'VmHWM'), 20480 * 1024);
    assert.equal(statusFieldBytes(status, 'VmRSS'), 10240 * 1024);
    assert.equal(statusFieldBytes(status, 'VmSwap'), undefined);
  });

  it('reads the parent pid even when the command name holds spaces and parentheses', () => {
    assert.equal(parentPid('4242 (node) S 17 4242 17 0 -1'), 17);
    assert.equal(parentPid('4242 (we (ird) name) R 99 4242 17 0 -1'), 99);
  });

  it('reports this process as the cloud when it is the one given', () => {
    // Prepare
    const sampler = new MemorySampler(process.pid, 10);
    // Act
    sampler.start();
    const report = sampler.stop();
    // Assess
    assert.equal(report.cloudIsThisProcess, true);
    assert.ok((report.cloudPeakBytes ?? 0) > 0);
  });

  it('reports nothing for an unknown cloud process', () => {
    const report = new MemorySampler(null).stop();
    assert.deepEqual(report, { cloudPeakBytes: null, cloudPid: null, cloudIsThisProcess: false, functionPeakBytes: null, functionEnvironments: 0 });
  });
});
