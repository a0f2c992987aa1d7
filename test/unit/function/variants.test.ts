import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseSourceKey } from '../../../function/key.js';
import {
  parseVariants,
  parseVariantsJson,
  VARIANT_LIMITS,
  variantKeys,
  variantKeysFor,
  variantsToJson,
  type Variant,
  type VariantRules,
} from '../../../function/variants.js';

const RULES: VariantRules = { maxSide: 4096, defaultFit: 'cover' };

function variants(value: unknown, rules: VariantRules = RULES): readonly Variant[] {
  const parsed = parseVariants(value, rules);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('\n'));
  return parsed.variants;
}

function problems(value: unknown, rules: VariantRules = RULES): readonly string[] {
  const parsed = parseVariants(value, rules);
  assert.ok(!parsed.ok, 'expected a refusal');
  return parsed.problems;
}

describe('parseVariants', () => {
  it('fills in the defaults: fit from the rules, format same, quality left to the encoder', () => {
    // Act / Assess
    assert.deepEqual(variants([{ name: 'thumb', size: '400x300' }]), [{ name: 'thumb', width: 400, height: 300, fit: 'cover', format: 'same' }]);
    assert.equal(variants([{ name: 'thumb', size: '400x300' }], { ...RULES, defaultFit: 'inside' })[0]?.fit, 'inside');
  });

  it('reads every field', () => {
    // Act
    const parsed = variants([
      { name: 'hero', size: '1600x900', fit: 'inside', format: 'avif', quality: 45 },
      { name: 'Thumb_2', size: '64X64', fit: 'COVER', format: 'webp', quality: 100 },
      { name: '3', size: '1x1', format: 'png', quality: 1 },
    ]);

    // Assess
    assert.deepEqual(parsed, [
      { name: 'hero', width: 1600, height: 900, fit: 'inside', format: 'avif', quality: 45 },
      { name: 'Thumb_2', width: 64, height: 64, fit: 'cover', format: 'webp', quality: 100 },
      { name: '3', width: 1, height: 1, fit: 'cover', format: 'png', quality: 1 },
    ]);
  });

  it('accepts an empty list and sizes at the maximum', () => {
    // Act / Assess
    assert.deepEqual(variants([]), []);
    assert.equal(variants([{ name: 'max', size: '4096x4096' }])[0]?.width, 4096);
    assert.equal(variants([{ name: 'small', size: '100x100' }], { ...RULES, maxSide: 100 })[0]?.width, 100);
  });

  const refusals: [string, unknown, string[]][] = [
    ['a list that is no list', { name: 'x', size: '1x1' }, ['variants must be a list of {"name", "size", "fit", "format", "quality"} entries, got {"name":"x","size":"1x1"}']],
    ['an entry that is no object', [{ name: 'a', size: '1x1' }, 'b'], ['variants[1]: must be an object like {"name": "thumb", "size": "400x400"}, got "b"']],
    ['a zero side', [{ name: 'a', size: '1x1' }, { name: 'b', size: '2x2' }, { name: 'hero', size: '0x10' }], ['variants[2] ("hero"): size "0x10" has a zero side']],
    ['a side above the maximum', [{ name: 'big', size: '5000x10' }], ['variants[0] ("big"): size "5000x10" exceeds the maximum of 4096 pixels per side']],
    ['a size that is no size', [{ name: 'a', size: '400' }], ['variants[0] ("a"): size "400" must be "WxH" in pixels, e.g. "400x300"']],
    ['a negative size', [{ name: 'a', size: '-4x4' }], ['variants[0] ("a"): size "-4x4" must be "WxH" in pixels, e.g. "400x300"']],
    ['a size that is a number', [{ name: 'a', size: 400 }], ['variants[0] ("a"): size must be a string "WxH", e.g. "400x300", got 400']],
    ['a missing size', [{ name: 'a' }], ['variants[0] ("a"): size is missing']],
    ['a missing name', [{ size: '1x1' }], ['variants[0]: name is missing']],
    ['a name that is no string', [{ name: 7, size: '1x1' }], ['variants[0]: name must be a string, got 7']],
    [
      'a name with a slash',
      [{ name: 'a/b', size: '1x1' }],
      ['variants[0] ("a/b"): name "a/b" must be 1-64 letters, digits, "-" or "_", starting with a letter or digit (it can become a key prefix)'],
    ],
    ['a name of dots', [{ name: '..', size: '1x1' }], ['variants[0] (".."): name ".." must be 1-64 letters, digits, "-" or "_", starting with a letter or digit (it can become a key prefix)']],
    ['a name that is too long', [{ name: 'n'.repeat(65), size: '1x1' }], [`variants[0] ("${'n'.repeat(56)}...): name "${'n'.repeat(56)}... must be 1-64 letters, digits, "-" or "_", starting with a letter or digit (it can become a key prefix)`]],
    ['a repeated name, in another case', [{ name: 'hero', size: '1x1' }, { name: 'Hero', size: '2x2' }], ['variants[1] ("Hero"): name "Hero" is already used by variants[0] (names are compared ignoring case)']],
    ['an unknown fit', [{ name: 'a', size: '1x1', fit: 'stretch' }], ['variants[0] ("a"): fit must be one of cover|inside, got "stretch"']],
    ['an unknown format', [{ name: 'a', size: '1x1', format: 'jpg' }], ['variants[0] ("a"): format must be one of same|jpeg|png|webp|avif, got "jpg"']],
    ['HEIC as a format', [{ name: 'a', size: '1x1', format: 'heic' }], ['variants[0] ("a"): format must be one of same|jpeg|png|webp|avif, got "heic"']],
    ['a quality of 0', [{ name: 'a', size: '1x1', quality: 0 }], ['variants[0] ("a"): quality must be a whole number from 1 to 100, got 0']],
    ['a quality of 101', [{ name: 'a', size: '1x1', quality: 101 }], ['variants[0] ("a"): quality must be a whole number from 1 to 100, got 101']],
    ['a fractional quality', [{ name: 'a', size: '1x1', quality: 80.5 }], ['variants[0] ("a"): quality must be a whole number from 1 to 100, got 80.5']],
    ['a quality as text', [{ name: 'a', size: '1x1', quality: '80' }], ['variants[0] ("a"): quality must be a whole number from 1 to 100, got "80"']],
    ['a misspelt field', [{ name: 'a', size: '1x1', fromat: 'webp' }], ['variants[0] ("a"): unknown field "fromat" (fields: name, size, fit, format, quality)']],
    [
      'too many entries',
      Array.from({ length: VARIANT_LIMITS.maxVariants + 1 }, (_, i) => ({ name: `v${i}`, size: '1x1' })),
      [`variants has ${VARIANT_LIMITS.maxVariants + 1} entries; at most ${VARIANT_LIMITS.maxVariants} are allowed (each is one more encode and upload in every invocation)`],
    ],
  ];
  for (const [label, value, expected] of refusals) {
    it(`refuses ${label}, naming the entry`, () => {
      // Act / Assess
      assert.deepEqual(problems(value), expected);
    });
  }

  it('reports every problem of every entry at once', () => {
    // Act
    const found = problems([{ name: 'ok', size: '1x1' }, { name: 'hero', size: '0x10', format: 'gif', quality: 0 }, { size: 'big' }]);

    // Assess
    assert.deepEqual(found, [
      'variants[1] ("hero"): size "0x10" has a zero side',
      'variants[1] ("hero"): format must be one of same|jpeg|png|webp|avif, got "gif"',
      'variants[1] ("hero"): quality must be a whole number from 1 to 100, got 0',
      'variants[2]: name is missing',
      'variants[2]: size "big" must be "WxH" in pixels, e.g. "400x300"',
    ]);
  });

  it('treats prototype property names as unknown, not as fits or formats', () => {
    // Act / Assess
    assert.deepEqual(problems([{ name: 'a', size: '1x1', fit: 'constructor', format: '__proto__' }]), [
      'variants[0] ("a"): fit must be one of cover|inside, got "constructor"',
      'variants[0] ("a"): format must be one of same|jpeg|png|webp|avif, got "__proto__"',
    ]);
  });
});

describe('parseVariantsJson', () => {
  it('reads a JSON list, and empty text as none', () => {
    // Act / Assess
    assert.deepEqual(parseVariantsJson('[{"name":"t","size":"10x10"}]', RULES), { ok: true, variants: [{ name: 't', width: 10, height: 10, fit: 'cover', format: 'same' }] });
    assert.deepEqual(parseVariantsJson('  ', RULES), { ok: true, variants: [] });
  });

  it('refuses text that is not JSON, or too long to deploy', () => {
    // Act
    const broken = parseVariantsJson('[{"name": "t",}]', RULES);
    const long = parseVariantsJson(`[${' '.repeat(VARIANT_LIMITS.maxJsonLength)}]`, RULES);

    // Assess
    assert.ok(!broken.ok && /^variants is not valid JSON: /.test(broken.problems[0] ?? ''), JSON.stringify(broken));
    assert.ok(!long.ok && /above Lambda's 4096-byte limit/.test(long.problems[0] ?? ''), JSON.stringify(long));
  });

  it('reads back what variantsToJson writes, and writes it the same way every time', () => {
    // Prepare
    const original = variants([
      { quality: 70, format: 'webp', size: '800x600', name: 'card' },
      { name: 'thumb', size: '200X200', fit: 'inside' },
    ]);

    // Act
    const json = variantsToJson(original);
    const reread = parseVariantsJson(json, { ...RULES, defaultFit: 'inside' });

    // Assess
    assert.equal(json, '[{"name":"card","size":"800x600","fit":"cover","format":"webp","quality":70},{"name":"thumb","size":"200x200","fit":"inside","format":"same"}]');
    assert.deepEqual(reread, { ok: true, variants: original });
  });
});

describe('variantKeys', () => {
  const source = parseSourceKey('albums/2026/canyon.jpg')!;

  it('names each variant <stem>-<W>x<H>.<ext> next to the source, ext by format', () => {
    // Prepare
    const list = variants([
      { name: 'thumb', size: '400x400' },
      { name: 'card', size: '800x600', format: 'webp' },
      { name: 'icon', size: '64x64', format: 'png' },
      { name: 'hero', size: '1600x900', format: 'avif' },
      { name: 'print', size: '1200x800', format: 'jpeg' },
    ]);

    // Act
    const keys = variantKeys(source, list).map((target) => [target.variant.name, target.key]);

    // Assess
    assert.deepEqual(keys, [
      ['thumb', 'albums/2026/canyon-400x400.jpg'],
      ['card', 'albums/2026/canyon-800x600.webp'],
      ['icon', 'albums/2026/canyon-64x64.png'],
      ['hero', 'albums/2026/canyon-1600x900.avif'],
      ['print', 'albums/2026/canyon-1200x800.jpg'],
    ]);
  });

  it('keeps the source extension as written for format same', () => {
    // Act
    const [upper] = variantKeys(parseSourceKey('IMG_0001.JPEG')!, variants([{ name: 'thumb', size: '10x10' }]));
    const [gif] = variantKeys(parseSourceKey('anim.gif')!, variants([{ name: 'thumb', size: '10x10' }]));

    // Assess
    assert.equal(upper?.key, 'IMG_0001-10x10.JPEG');
    assert.equal(gif?.key, 'anim-10x10.gif');
  });

  it('puts every variant of a colliding key under <name>/, and leaves the others alone', () => {
    // Prepare: same size and extension twice (same on a .jpg is .jpg), once more under a different size.
    const list = variants([
      { name: 'square', size: '400x400', fit: 'cover' },
      { name: 'whole', size: '400x400', fit: 'inside', format: 'jpeg' },
      { name: 'small', size: '100x100' },
      { name: 'square-webp', size: '400x400', format: 'webp' },
    ]);

    // Act
    const keys = variantKeys(source, list).map((target) => target.key);

    // Assess
    assert.deepEqual(keys, [
      'albums/2026/square/canyon-400x400.jpg',
      'albums/2026/whole/canyon-400x400.jpg',
      'albums/2026/canyon-100x100.jpg',
      'albums/2026/canyon-400x400.webp',
    ]);
  });

  it('decides collisions by the final key, so the same pair collides on a .jpg source but not on a .png one', () => {
    // Prepare
    const list = variants([
      { name: 'a', size: '50x50' },
      { name: 'b', size: '50x50', format: 'jpeg' },
    ]);

    // Act / Assess
    assert.deepEqual(variantKeys(parseSourceKey('x.jpg')!, list).map((t) => t.key), ['a/x-50x50.jpg', 'b/x-50x50.jpg']);
    assert.deepEqual(variantKeys(parseSourceKey('x.png')!, list).map((t) => t.key), ['x-50x50.png', 'x-50x50.jpg']);
  });

  it('does not depend on the order of the list', () => {
    // Prepare
    const list = variants([
      { name: 'a', size: '50x50' },
      { name: 'b', size: '50x50' },
      { name: 'c', size: '60x60' },
    ]);

    // Act
    const forward = new Map(variantKeys(source, list).map((t) => [t.variant.name, t.key]));
    const backward = new Map(variantKeys(source, [...list].reverse()).map((t) => [t.variant.name, t.key]));

    // Assess
    assert.deepEqual(forward, backward);
  });

  it('gives every variant of a list a distinct key', () => {
    // Prepare: every pair of formats at two sizes, on each source extension.
    const formats = ['same', 'jpeg', 'png', 'webp', 'avif'];
    const list = variants(formats.flatMap((format, i) => ['10x10', '20x20'].map((size, j) => ({ name: `v${i}${j}`, size, format }))).slice(0, 10));

    for (const key of ['p.jpg', 'p.JPG', 'p.png', 'p.webp', 'p.avif', 'p.gif']) {
      // Act
      const keys = variantKeys(parseSourceKey(key)!, list).map((target) => target.key);

      // Assess
      assert.equal(new Set(keys).size, keys.length, keys.join(' '));
    }
  });
});

describe('variantKeysFor', () => {
  const list = variants([{ name: 'thumb', size: '400x400' }]);

  it('gives the keys of an upload without a size', () => {
    // Act / Assess
    assert.deepEqual(variantKeysFor('canyon.jpg', list)?.map((t) => t.key), ['canyon-400x400.jpg']);
    assert.deepEqual(variantKeysFor('a.b.c.webp', list)?.map((t) => t.key), ['a.b.c-400x400.webp']);
  });

  it('returns null for a key with a size, an extension we do not read, or no stem', () => {
    // Act / Assess
    for (const key of ['canyon-400x300.jpg', 'canyon.heic', 'canyon.svg', 'canyon', 'albums/.jpg', 'x.constructor']) {
      assert.equal(variantKeysFor(key, list), null, key);
    }
  });
});
