import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PermanentImageError } from '../../../function/errors.js';
import { decodeEventKey, parseThumbnailKey, resolveThumbnailSize } from '../../../function/key.js';

describe('decodeEventKey', () => {
  const cases = [
    { raw: 'a%2Bb-10x10.jpg', expected: 'a+b-10x10.jpg', why: 'an encoded plus stays a plus' },
    { raw: 'my+photo-10x10.jpg', expected: 'my photo-10x10.jpg', why: 'a plus is a space' },
    { raw: 'caf%C3%A9-10x10.jpg', expected: 'café-10x10.jpg', why: 'UTF-8 percent escapes decode' },
    { raw: 'albums/2026/x-100x100.jpg', expected: 'albums/2026/x-100x100.jpg', why: 'prefixes pass through' },
    { raw: 'a%2520b.jpg', expected: 'a%20b.jpg', why: 'only one level of decoding is applied' },
    { raw: 'my+summer%2Bwinter+caf%C3%A9-1x1.png', expected: 'my summer+winter café-1x1.png', why: 'mixed' },
  ];
  for (const { raw, expected, why } of cases) {
    it(`decodes ${raw} to ${expected} (${why})`, () => {
      // Act
      const decoded = decodeEventKey(raw);

      // Assess
      assert.equal(decoded, expected);
    });
  }

  it('rejects malformed percent-encoding as permanent', () => {
    // Act / Assess
    assert.throws(() => decodeEventKey('bad%E0%A4%A-1x1.jpg'), PermanentImageError);
    assert.throws(() => decodeEventKey('lone%-1x1.jpg'), /malformed URL encoding/);
  });
});

describe('parseThumbnailKey', () => {
  it('reads stem, size and format from a plain key', () => {
    // Act
    const parsed = parseThumbnailKey('canyon-400x300.jpg');

    // Assess
    assert.deepEqual(parsed, {
      key: 'canyon-400x300.jpg',
      prefix: '',
      stem: 'canyon',
      width: 400,
      height: 300,
      extension: 'jpg',
      format: 'jpeg',
    });
  });

  it('keeps the prefix apart from the stem', () => {
    // Act
    const parsed = parseThumbnailKey('albums/2026/x-100x100.jpg');

    // Assess
    assert.equal(parsed?.prefix, 'albums/2026/');
    assert.equal(parsed?.stem, 'x');
    assert.equal(parsed?.width, 100);
  });

  it('allows dashes and digits in the stem', () => {
    // Act
    const parsed = parseThumbnailKey('my-2026-trip-12x34.png');

    // Assess
    assert.equal(parsed?.stem, 'my-2026-trip');
    assert.deepEqual([parsed?.width, parsed?.height], [12, 34]);
  });

  it('maps every supported extension, case-insensitively', () => {
    // Prepare
    const expectations = { jpg: 'jpeg', JPG: 'jpeg', jpeg: 'jpeg', JPEG: 'jpeg', Jpeg: 'jpeg', png: 'png', PNG: 'png', webp: 'webp', WebP: 'webp' };

    for (const [extension, format] of Object.entries(expectations)) {
      // Act
      const parsed = parseThumbnailKey(`photo-10x20.${extension}`);

      // Assess
      assert.equal(parsed?.format, format, extension);
      assert.equal(parsed?.extension, extension);
    }
  });

  it('returns sizes of zero and huge sizes as written, for the caller to reject', () => {
    // Act / Assess
    assert.deepEqual([parseThumbnailKey('x-0x100.jpg')?.width, parseThumbnailKey('x-0x100.jpg')?.height], [0, 100]);
    assert.equal(parseThumbnailKey('x-100x99999.jpg')?.height, 99999);
  });

  it('returns null for keys without a size', () => {
    // Prepare
    const keys = [
      'photo.jpg',
      'albums/photo.jpg',
      'photo-100.jpg',
      'photo-100x.jpg',
      'photo-x100.jpg',
      'photo-100x100',
      'photo-100x100.',
      'photo-100X100.jpg',
      'photo_100x100.jpg',
      '-100x100.jpg',
      '100x100.jpg',
      'photo-100x100.jpg.bak',
      'photo-10.5x10.jpg',
      'albums/x-100x100.jpg/',
      'albums/x-100x100/photo.jpg',
      '',
    ];

    for (const key of keys) {
      // Act / Assess
      assert.equal(parseThumbnailKey(key), null, key);
    }
  });

  it('returns null for extensions we do not read', () => {
    // Act / Assess
    for (const key of ['x-100x100.tiff', 'x-100x100.heic', 'x-100x100.svg', 'x-100x100.pdf', 'x-100x100.jpg2']) {
      assert.equal(parseThumbnailKey(key), null, key);
    }
  });

  it('accepts the AVIF and GIF inputs, in either case', () => {
    // Act / Assess
    for (const [key, format] of [['x-100x100.avif', 'avif'], ['x-100x100.GIF', 'gif'], ['x-100x100.AVIF', 'avif']] as const) {
      assert.equal(parseThumbnailKey(key)?.format, format, key);
    }
  });

  it('treats a prototype property name as an unknown extension', () => {
    // Act / Assess
    assert.equal(parseThumbnailKey('x-1x1.constructor'), null);
  });
});

describe('resolveThumbnailSize', () => {
  it('accepts sizes within the bounds', () => {
    // Act / Assess
    assert.deepEqual(resolveThumbnailSize({ width: 400, height: 300 }), { ok: true, width: 400, height: 300 });
    assert.deepEqual(resolveThumbnailSize({ width: 1, height: 1 }), { ok: true, width: 1, height: 1 });
    assert.deepEqual(resolveThumbnailSize({ width: 4096, height: 4096 }), { ok: true, width: 4096, height: 4096 });
  });

  it('rejects a zero side', () => {
    // Act
    const result = resolveThumbnailSize({ width: 0, height: 100 });

    // Assess
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /0x100 has a zero side/);
  });

  it('rejects a side above the default maximum of 4096', () => {
    // Act
    const result = resolveThumbnailSize({ width: 100, height: 4097 });

    // Assess
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /exceeds the maximum of 4096/);
  });

  it('honours a configured maximum', () => {
    // Act / Assess
    assert.equal(resolveThumbnailSize({ width: 600, height: 600 }, { maxSide: 500 }).ok, false);
    assert.equal(resolveThumbnailSize({ width: 500, height: 500 }, { maxSide: 500 }).ok, true);
  });

  it('rejects absurdly long numbers as too big', () => {
    // Prepare
    const parsed = parseThumbnailKey(`x-${'9'.repeat(400)}x1.jpg`);
    assert.ok(parsed);

    // Act
    const result = resolveThumbnailSize(parsed);

    // Assess
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /exceeds the maximum/);
  });

  it('rejects fractional or NaN sizes from callers that bypass the parser', () => {
    // Act / Assess
    assert.equal(resolveThumbnailSize({ width: 10.5, height: 10 }).ok, false);
    assert.equal(resolveThumbnailSize({ width: Number.NaN, height: 10 }).ok, false);
  });
});
