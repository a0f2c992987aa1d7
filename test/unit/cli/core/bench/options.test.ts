import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { benchKey, BENCH_DEFAULTS, resolveBenchOptions } from '../../../../../cli/core/bench/options.js';
import { UserError } from '../../../../../cli/output.js';

const settings = { maxSize: 4096 };

describe('bench options', () => {
  it('defaults to the bundled sample, 400x400, 20 uploads, as many at a time as cores', () => {
    const options = resolveBenchOptions({}, settings, 6);
    assert.equal(options.image, undefined);
    assert.deepEqual(options.size, { width: 400, height: 400 });
    assert.equal(options.sizeText, '400x400');
    assert.equal(options.count, 20);
    assert.equal(options.concurrency, 6);
    assert.equal(options.timeoutMs, BENCH_DEFAULTS.timeoutMs);
  });

  it('reads every flag', () => {
    const options = resolveBenchOptions({ image: 'photo.png', size: '200X150', count: '4', concurrency: '2' }, settings, 8);
    assert.deepEqual(
      { image: options.image, size: options.sizeText, count: options.count, concurrency: options.concurrency },
      { image: 'photo.png', size: '200x150', count: 4, concurrency: 2 },
    );
  });

  for (const [flags, pattern] of [
    [{ count: '0' }, /--count must be a whole number/],
    [{ count: 'many' }, /--count/],
    [{ concurrency: '1.5' }, /--concurrency/],
    [{ size: '400' }, /WIDTHxHEIGHT/],
    [{ size: '5000x10' }, /too large/],
    [{ image: '' }, /--image needs a file name/],
  ] as const) {
    it(`refuses ${JSON.stringify(flags)} as a usage error`, () => {
      assert.throws(
        () => resolveBenchOptions(flags, settings, 2),
        (error: unknown) => error instanceof UserError && error.exitCode === 2 && pattern.test(error.message),
      );
    });
  }

  it('--variants runs one upload at a time, 10 rounds unless --count says otherwise', () => {
    const options = resolveBenchOptions({ variants: true }, settings, 6);
    assert.deepEqual({ variants: options.variants, count: options.count, concurrency: options.concurrency }, { variants: true, count: BENCH_DEFAULTS.variantRounds, concurrency: 1 });
    assert.equal(resolveBenchOptions({ variants: true, count: '2' }, settings, 6).count, 2);
    assert.equal(resolveBenchOptions({}, settings, 6).variants, false);
  });

  it('refuses --variants with the flags that do not apply to it, naming them', () => {
    assert.throws(
      () => resolveBenchOptions({ variants: true, size: '200x200', concurrency: '4' }, settings, 2),
      (error: unknown) => error instanceof UserError && error.exitCode === 2 && /drop --size, --concurrency$/.test(error.message),
    );
  });

  it('names keys bench-<runid>-<i>-<W>x<H><ext>', () => {
    assert.equal(benchKey('abc123', 7, { width: 400, height: 300 }, '.jpg'), 'bench-abc123-7-400x300.jpg');
  });
});
