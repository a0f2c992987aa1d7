import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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

  it('counts an environment as its whole process tree: the runtime under the init shell, not the shell alone', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    // Prepare: the cloud (this process) → an init shell whose command line names the bootstrap → the runtime, a
    // grandchild that spends CPU and holds ~64 MB, as a contained environment is laid out.
    const runtime = `const held = Buffer.alloc(64 * 1024 * 1024, 1); const until = Date.now() + 600; while (Date.now() < until); process.stdout.write('ready ' + held.length + '\\n'); setTimeout(() => {}, 60000);`;
    const init = spawn('/bin/sh', ['-c', '"$@" & wait', 'sh', process.execPath, '-e', runtime, 'bootstrap.mjs'], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    const sampler = new ResourceSampler(process.pid, 20);
    try {
      sampler.start();
      await new Promise<void>((resolve) => init.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
      // Act
      const idle = sampler.runtimeResidentBytes();
      const { memory, cpu } = sampler.stop();
      // Assess
      assert.equal(memory.functionEnvironments, 1);
      assert.ok((memory.functionPeakBytes ?? 0) >= 64 * 1024 * 1024, `peak ${memory.functionPeakBytes} is the runtime's, not the shell's`);
      assert.ok((cpu.functionsMs ?? 0) >= 200, `the runtime's busy loop is counted (${cpu.functionsMs} ms)`);
      assert.equal(idle.length, 1);
      assert.ok((idle[0] ?? 0) >= 64 * 1024 * 1024, `the runtime's resident memory (${idle[0]})`);
    } finally {
      // The shell and the runtime are one process group of their own: both go.
      if (init.pid) process.kill(-init.pid, 'SIGKILL');
    }
  });
});
