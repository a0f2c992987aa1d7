import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateTargets, TARGETS } from '../../../../../cli/core/bench/targets.js';

describe('bench targets', () => {
  it('checks every target in TARGETS order, at-most and at-least limits alike', () => {
    // Act
    const checks = evaluateTargets({
      e2eRatio: 1.3,
      resizeRatio: 1.2,
      handlerMs: 3.5,
      cloudCpuMs: 10,
      throughputRatio: 0.7,
      concurrency: 2,
      cores: 2,
      initMs: 149,
      idleRuntimeBytes: [50 * 1024 * 1024, 61 * 1024 * 1024],
      serveReadyMs: 300,
      firstSetupMs: 1501,
      packageBytes: 11 * 1024 * 1024,
      architecture: 'x86_64',
      versionOverheadMs: 40,
      noopSetupMs: 1600,
    });
    // Assess
    assert.deepEqual(
      checks.map((c) => [c.id, c.met]),
      [
        ['e2e', true],
        ['resize', false],
        ['handler', false],
        ['cloudCpu', true],
        ['throughput', true],
        ['init', true],
        ['idleMemory', false],
        ['serveReady', true],
        ['firstSetup', false],
        ['zip', false],
        ['version', true],
        ['setup', false],
      ],
    );
    assert.equal(checks.find((c) => c.id === 'zip')?.limit, TARGETS.zip.limit);
    assert.equal(checks.find((c) => c.id === 'idleMemory')?.value, 61 * 1024 * 1024, 'the largest idle environment is judged');
  });

  it('judges the paired ratios when there are any, p50 over p50 otherwise, and says which', () => {
    const paired = evaluateTargets({ e2eRatio: 1.6, e2ePairedRatio: 1.25, resizeRatio: 1.1, resizePairedRatio: 1.2 });
    assert.deepEqual(
      paired.slice(0, 2).map((c) => [c.id, c.value, c.met, c.basis]),
      [
        ['e2e', 1.25, true, 'paired'],
        ['resize', 1.2, false, 'paired'],
      ],
    );
    const unpaired = evaluateTargets({ e2eRatio: 1.6, e2ePairedRatio: null, resizeRatio: 1.1 });
    assert.deepEqual(
      unpaired.slice(0, 2).map((c) => [c.id, c.value, c.met, c.basis]),
      [
        ['e2e', 1.6, false, 'p50'],
        ['resize', 1.1, true, 'p50'],
      ],
    );
  });

  it('leaves unmeasured targets unchecked, never passed', () => {
    const checks = evaluateTargets({ e2eRatio: null, initMs: null });
    for (const check of checks) assert.equal(check.met, null, check.id);
    assert.equal(checks.find((c) => c.id === 'init')?.note, 'no cold start in this run');
  });

  it('does not judge throughput away from concurrency = cores', () => {
    const throughput = evaluateTargets({ throughputRatio: 0.9, concurrency: 1, cores: 4 }).find((c) => c.id === 'throughput');
    assert.equal(throughput?.met, null);
    assert.match(throughput?.note ?? '', /concurrency 1, not cores \(4\)/);
  });

  it('judges the zip size for x86_64 only', () => {
    const zip = evaluateTargets({ packageBytes: 1000, architecture: 'arm64' }).find((c) => c.id === 'zip');
    assert.equal(zip?.met, null);
  });
});
