import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpuTicks, parentPid, ResourceSampler, statusFieldBytes } from '../../../../../cli/core/bench/resources.js';

describe('bench resources', () => {
  it('reads kB fields of /proc/<pid>/status as bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200 kB\nVmHWM:\t  20480 kB\nVmRSS:\t  10240 kB\n';
    assert.equal(statusFieldBytes(status, 'VmHWM'), 20480 * 1024);
    assert.equal(statusFieldBytes(status, 'VmRSS'), 10240 * 1024);
    assert.equal(statusFieldBytes(status, 'VmSwap'), undefined);
  });

  it('reads the parent pid and CPU ticks even when the command name holds spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const stat = '4242 (we (ird) name) R 99 4242 17 0 -1 4194304 10 0 0 0 150 25 0 0 20 0 1';
    assert.equal(parentPid(stat), 99);
    assert.equal(cpuTicks(stat), 175);
  });

  it('reports this process as the cloud when it is the one given', () => {
    // Prepare
    const sampler = new ResourceSampler(process.pid, 10);
    // Act
    sampler.start();
    const { memory, cpu } = sampler.stop();
    // Assess
    assert.equal(memory.cloudIsThisProcess, true);
    assert.ok((memory.cloudPeakBytes ?? 0) > 0);
    assert.equal(cpu.cloudMs, null, 'an embedded cloud is counted with the client');
    assert.equal(typeof cpu.clientMs, 'number');
    assert.ok(cpu.clientMs >= 0);
  });

  it('reports nothing for an unknown cloud process', () => {
    const { memory, cpu } = new ResourceSampler(null).stop();
    assert.deepEqual(memory, { cloudPeakBytes: null, cloudPid: null, cloudIsThisProcess: false, functionPeakBytes: null, functionEnvironments: 0 });
    assert.equal(cpu.cloudMs, null);
    assert.equal(cpu.functionsMs, null);
  });
});
