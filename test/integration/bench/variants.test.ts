// `thumbctl bench --variants` end to end on its own local cloud: a small run (2 rounds) of one upload making the
// bench's five variants (none are configured) against five uploads of one size each. A benchmark, not a timed
// assertion: the ratio is checked for being there and positive, never against a bound. Afterwards the function is
// as the config has it (no variants): the bench leaves no drift behind.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runThumbctl } from '../../helpers/thumbctl.js';

const dir = mkdtempSync(join(tmpdir(), 'thumbctl-bench-variants-test-'));
const stateDir = join(dir, 'state');

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const positive = (value: unknown, name: string): void => {
  assert.equal(typeof value, 'number', `${name} is a number`);
  assert.ok((value as number) > 0, `${name} is positive (${String(value)})`);
};

describe('thumbctl bench --variants', () => {
  it('compares one invocation making five variants with five invocations, and reports the ratio', async () => {
    // Act
    const result = await runThumbctl(['bench', '--variants', '--count', '2', '--state-dir', stateDir, '--json'], { cwd: dir, timeoutMs: 300_000 });

    // Assess
    assert.equal(result.code, 0, result.stderr);
    const bench = result.json();
    assert.equal(bench.mode, 'variants');
    assert.equal(bench.count, 2);
    assert.equal(bench.configured, false);
    assert.equal(bench.sameWork, true);
    assert.deepEqual(bench.variants.map((variant: { name: string; size: string }) => `${variant.name} ${variant.size}`), [
      'thumb 150x150',
      'small 320x240',
      'card 400x400',
      'medium 800x600',
      'large 1280x960',
    ]);
    assert.equal(bench.lost, 0);
    assert.deepEqual(bench.failures, []);
    assert.equal(bench.oneInvocation.traces, 2, 'each variants upload matched with its trace');
    assert.equal(bench.separateInvocations.traces, 10, 'each single-size upload matched with its trace');
    assert.equal(bench.separateInvocations.invocations, 5);
    for (const name of ['invocationP50Ms', 'e2eP50Ms', 'decodeP50Ms', 'resizeP50Ms']) positive(bench.oneInvocation[name], `oneInvocation.${name}`);
    for (const name of ['invocationSumP50Ms', 'e2eSumP50Ms', 'resizeSumP50Ms']) positive(bench.separateInvocations[name], `separateInvocations.${name}`);
    assert.deepEqual(bench.oneInvocation.perVariant.map((variant: { name: string }) => variant.name), ['thumb', 'small', 'card', 'medium', 'large']);
    for (const variant of bench.oneInvocation.perVariant) positive(variant.resizeP50Ms, `resize of ${variant.name}`);
    positive(bench.ratio, 'ratio');
    positive(bench.ratioPaired, 'ratioPaired');
    positive(bench.e2eRatio, 'e2eRatio');
    assert.equal(bench.ratio, Math.round((bench.oneInvocation.invocationP50Ms / bench.separateInvocations.invocationSumP50Ms) * 100) / 100);

    // The function is back as configured: no variants, no drift.
    const status = await runThumbctl(['status', '--state-dir', stateDir, '--json'], { cwd: dir, timeoutMs: 120_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.json().summary.drifted, 0, JSON.stringify(status.json().resources.filter((resource: { state: string }) => resource.state === 'drifted')));
  });

  it('prints the comparison for people', async () => {
    const result = await runThumbctl(['bench', '--variants', '--count', '1', '--state-dir', stateDir], { cwd: dir, timeoutMs: 300_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^bench --variants \S+: 1 rounds × canyon\.jpg .*5 variants \(the bench's five; none configured\)/m);
    assert.match(result.stdout, /^ {2}ratio\s+[\d.]+× \(paired round by round: [\d.]+×\)$/m);
    assert.match(result.stderr, /no variants configured: deploying the bench's five \(thumb 150x150, small 320x240, card 400x400, medium 800x600, large 1280x960\) for this run/);
    assert.match(result.stderr, /function configuration restored \(no variants, as configured\)/);
    assert.match(result.stdout, /^ {2}per variant resize\s+thumb [\d.]+ ms, small [\d.]+ ms, card [\d.]+ ms, medium [\d.]+ ms, large [\d.]+ ms$/m);
  });

  it('refuses --variants with --size, before touching anything (exit 2)', async () => {
    const result = await runThumbctl(['bench', '--variants', '--size', '200x200', '--state-dir', join(dir, 'untouched')], { cwd: dir });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--variants compares one invocation with one per variant.*drop --size/);
  });
});
