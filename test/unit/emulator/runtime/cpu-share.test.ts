import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CPU_PERIOD_US, lambdaCpuShare, LAMBDA_MB_PER_VCPU, quotaMicroseconds, readCpuShareChoice, refusalLine } from '../../../../emulator/runtime/cpu-share.js';

describe("Lambda's CPU share", () => {
  it('is memory/1,769 of a vCPU: one full vCPU at 1,769 MB, two at 3,538 MB', () => {
    assert.equal(LAMBDA_MB_PER_VCPU, 1769);
    assert.equal(lambdaCpuShare(1769), 1);
    assert.equal(lambdaCpuShare(3538), 2);
    assert.equal(lambdaCpuShare(512), 512 / 1769);
  });

  it('becomes a CFS quota over a 100 ms period, rounded to the microsecond, never below the kernel minimum of 1 ms', () => {
    assert.equal(CPU_PERIOD_US, 100_000);
    assert.equal(quotaMicroseconds(1769), 100_000);
    assert.equal(quotaMicroseconds(256), 14_471); // 100,000 × 256 / 1,769 = 14,471.4
    assert.equal(quotaMicroseconds(512), 28_943); // 28,942.9
    assert.equal(quotaMicroseconds(1024), 57_886); // 57,885.8
    assert.equal(quotaMicroseconds(128), 7_236);
    assert.equal(quotaMicroseconds(10_240), 578_858); // 5.79 CPUs
    assert.equal(quotaMicroseconds(10), 1_000);
    assert.equal(quotaMicroseconds(256, 50_000), 7_236);
  });

  it('is asked for by THUMBCTL_LOCAL_CPU_SHARE=lambda only; anything else is the host CPU', () => {
    assert.equal(readCpuShareChoice({ THUMBCTL_LOCAL_CPU_SHARE: 'lambda' }), 'lambda');
    assert.equal(readCpuShareChoice({ THUMBCTL_LOCAL_CPU_SHARE: 'LAMBDA' }), 'host');
    assert.equal(readCpuShareChoice({}), 'host');
  });

  it('refuses in one line that says what is needed and why not', () => {
    const line = refusalLine('no cgroup v1 cpu controller mounted');
    assert.equal(line.includes('\n'), false);
    assert.match(line, /^--cpu-share lambda: .*cpu\.max.*cpu\.cfs_quota_us.*no cgroup v1 cpu controller mounted.*refused/);
  });
});
