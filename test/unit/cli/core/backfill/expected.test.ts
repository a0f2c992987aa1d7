// What the deployed function would write for a source key, by the function's own rules, and the key helpers the
// listing and the manifest use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKeys, expectedThumbnails, manifestKey, startAfterFor, type FunctionRules } from '../../../../../cli/core/backfill/expected.js';
import { parseVariants, type Variant } from '../../../../../function/variants.js';

const parsed = parseVariants([{ name: 'small', size: '80x60' }, { name: 'hero', size: '80x60', format: 'webp' }, { name: 'big', size: '800x600', format: 'webp' }], { maxSide: 4096, defaultFit: 'cover' });
const VARIANTS: readonly Variant[] = parsed.ok ? parsed.variants : [];
const RULES: FunctionRules = { maxSide: 1000, variants: VARIANTS, suffixes: ['.jpg', '.JPG', '.png', '.PNG', '.txt'] };

describe('expectedThumbnails', () => {
  it('expects a key with a size to get one thumbnail under its own key', () => {
    assert.deepEqual(expectedThumbnails('a/canyon-400x300.jpg', RULES), { thumbnailKeys: ['a/canyon-400x300.jpg'] });
  });

  it('expects a key without a size to get every variant, under the keys variants.ts names', () => {
    assert.deepEqual(expectedThumbnails('a/canyon.JPG', RULES), { thumbnailKeys: ['a/canyon-80x60.JPG', 'a/canyon-80x60.webp', 'a/canyon-800x600.webp'] });
  });

  it('skips what would not trigger, what the function would refuse by name, and what it would make nothing of', () => {
    assert.deepEqual(expectedThumbnails('a/canyon-400x300.jpeg', RULES), { skip: 'notTriggering', detail: 'no trigger suffix' });
    assert.equal((expectedThumbnails('a/canyon-0x300.jpg', RULES) as { skip: string }).skip, 'rejectedByName');
    assert.equal((expectedThumbnails('a/canyon-2000x300.jpg', RULES) as { skip: string }).skip, 'rejectedByName', 'beyond the function’s maximum side');
    assert.equal((expectedThumbnails('notes.txt', RULES) as { skip: string }).skip, 'nothingToMake', 'an extension the function does not read');
    assert.equal((expectedThumbnails('a/canyon.jpg', { ...RULES, variants: [] }) as { skip: string }).skip, 'nothingToMake');
    assert.equal((expectedThumbnails(`${'x'.repeat(1015)}.jpg`, RULES) as { skip: string }).skip, 'rejectedByName', 'a variant key over 1,024 bytes');
  });
});

describe('key helpers', () => {
  it('orders keys as S3 lists them: by UTF-8 bytes', () => {
    assert.ok(compareKeys('\uffff', '😀') < 0, 'U+FFFF before an astral character, unlike UTF-16 order');
    assert.ok('\uffff' > '😀');
  });

  it('starts a listing just before a key, never at or after it', () => {
    assert.equal(startAfterFor('a/b-1x1.jpg'), 'a/b-1x1.jp');
    assert.equal(startAfterFor('x😀'), 'x');
    assert.equal(startAfterFor('x'), undefined);
    for (const key of ['a/b-1x1.jpg', 'x😀', 'ab']) assert.ok(compareKeys(startAfterFor(key)!, key) < 0);
  });

  it('URL-encodes manifest keys, slashes kept', () => {
    assert.equal(manifestKey('a b/c+d,e"f.jpg'), 'a%20b/c%2Bd%2Ce%22f.jpg');
    assert.equal(decodeURIComponent(manifestKey('ü/😀 x.jpg')), 'ü/😀 x.jpg');
  });
});
