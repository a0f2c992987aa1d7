import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseThumbnailSize, resolveUploadKey, resolveVariantsUploadKey, thumbnailKeyFor } from '../../../../../cli/core/operate/size.js';
import { ExitCode, UserError } from '../../../../../cli/output.js';
import { expandSuffixes, resolveVariants } from '../../../../../cli/core/settings.js';
import { DEFAULT_TRIGGER_SUFFIXES } from '../../../../../function/formats.js';

const SUFFIXES = expandSuffixes(['.jpg', '.jpeg', '.png', '.webp']);

function usageError(pattern: RegExp) {
  return (error: unknown) => error instanceof UserError && error.exitCode === ExitCode.usage && pattern.test(error.message);
}

describe('parseThumbnailSize', () => {
  it('reads WIDTHxHEIGHT', () => {
    assert.deepEqual(parseThumbnailSize('400x300', 4096), { width: 400, height: 300 });
  });

  it('accepts an upper-case X and surrounding spaces', () => {
    assert.deepEqual(parseThumbnailSize(' 64X32 ', 4096), { width: 64, height: 32 });
  });

  it('accepts the maximum itself', () => {
    assert.deepEqual(parseThumbnailSize('4096x1', 4096), { width: 4096, height: 1 });
  });

  for (const bad of ['abc', '100x', 'x100', '100', '100x100x100', '-1x5', '1.5x2', '', '100 x 100', '100*100']) {
    it(`refuses "${bad}" as malformed (exit 2)`, () => {
      assert.throws(() => parseThumbnailSize(bad, 4096), usageError(/must be WIDTHxHEIGHT/));
    });
  }

  it('refuses a zero side', () => {
    assert.throws(() => parseThumbnailSize('0x100', 4096), usageError(/at least 1 pixel/));
    assert.throws(() => parseThumbnailSize('100x0', 4096), usageError(/at least 1 pixel/));
  });

  it('refuses a side above the configured maximum', () => {
    assert.throws(() => parseThumbnailSize('4097x10', 4096), usageError(/at most 4096/));
    assert.throws(() => parseThumbnailSize('300x300', 256), usageError(/at most 256/));
    assert.throws(() => parseThumbnailSize(`${'9'.repeat(400)}x1`, 4096), usageError(/too large/));
  });
});

describe('thumbnailKeyFor', () => {
  it('names the key like the course: canyon.jpg at 400x400 is canyon-400x400.jpg', () => {
    assert.equal(thumbnailKeyFor('/photos/canyon.jpg', { width: 400, height: 400 }), 'canyon-400x400.jpg');
  });

  it('keeps the extension as written and dots inside the stem', () => {
    assert.equal(thumbnailKeyFor('my.trip.PNG', { width: 10, height: 20 }), 'my.trip-10x20.PNG');
  });

  it('gives a file without an extension its sniffed format’s', () => {
    assert.equal(thumbnailKeyFor('photo', { width: 1, height: 2 }, 'jpeg'), 'photo-1x2.jpg');
    assert.equal(thumbnailKeyFor('photo', { width: 1, height: 2 }, 'webp'), 'photo-1x2.webp');
    assert.equal(thumbnailKeyFor('photo', { width: 1, height: 2 }), 'photo-1x2');
  });
});

describe('resolveUploadKey', () => {
  const base = { file: 'canyon.jpg', size: '400x400', maxSize: 4096, suffixes: SUFFIXES };

  it('derives the key from the file name', () => {
    assert.deepEqual(resolveUploadKey(base), { key: 'canyon-400x400.jpg', size: { width: 400, height: 400 } });
  });

  it('uses --key exactly, prefixes included', () => {
    assert.equal(resolveUploadKey({ ...base, key: 'albums/2026/red rock-400x400.jpeg' }).key, 'albums/2026/red rock-400x400.jpeg');
  });

  it('refuses a --key that names no size', () => {
    assert.throws(() => resolveUploadKey({ ...base, key: 'canyon.jpg' }), usageError(/must end in -<W>x<H>/));
  });

  it('refuses a --key whose size disagrees with the size argument', () => {
    assert.throws(() => resolveUploadKey({ ...base, key: 'canyon-300x300.jpg' }), usageError(/names 300x300 but the size argument is 400x400/));
  });

  it('refuses a file the function would not handle, suggesting --key', () => {
    assert.throws(() => resolveUploadKey({ ...base, file: 'scan.tiff' }), usageError(/pass --key NAME-400x400.jpg/));
  });

  it('refuses a key whose suffix the trigger does not fire for', () => {
    assert.throws(() => resolveUploadKey({ ...base, file: 'canyon.Jpg' }), usageError(/would never trigger/));
    assert.throws(() => resolveUploadKey({ ...base, suffixes: expandSuffixes(['.png']) }), usageError(/\.png \.PNG/));
  });

  it('refuses a --key with "." or ".." path segments at once: presigned URLs and HTTP stacks normalise them away', () => {
    for (const key of ['dir/./z-400x400.jpg', './z-400x400.jpg', 'dir/../z-400x400.jpg', '../z-400x400.jpg', 'a/b/./../z-400x400.jpg', 'a/..//z-400x400.jpg']) {
      assert.throws(() => resolveUploadKey({ ...base, key }), usageError(/"\.\.?" path segment.*normalise/), key);
    }
    // Dots inside a segment, and empty segments, are left alone: nothing rewrites those.
    for (const key of ['a..b-400x400.jpg', 'dir/.hidden-400x400.jpg', 'dir/...-400x400.jpg', 'a//b-400x400.jpg']) {
      assert.equal(resolveUploadKey({ ...base, key }).key, key);
    }
  });

  it('checks the size before the key', () => {
    assert.throws(() => resolveUploadKey({ ...base, size: 'abc', key: 'x-1x1.jpg' }), usageError(/"abc"/));
  });
});

describe('resolveVariantsUploadKey', () => {
  const variants = resolveVariants(
    [
      { name: 'thumb', size: '400x400' },
      { name: 'card', size: '800x600', format: 'webp' },
    ],
    { maxSide: 4096, defaultFit: 'cover' },
  );
  const base = { file: 'photos/canyon.jpg', suffixes: expandSuffixes(DEFAULT_TRIGGER_SUFFIXES), variants };

  it('keeps the file’s own name and lists where each variant will be written', () => {
    const resolved = resolveVariantsUploadKey(base);
    assert.equal(resolved.key, 'canyon.jpg');
    assert.deepEqual(
      resolved.variants.map((target) => [target.variant.name, target.key]),
      [
        ['thumb', 'canyon-400x400.jpg'],
        ['card', 'canyon-800x600.webp'],
      ],
    );
  });

  it('uses --key exactly, prefix included, and takes a missing extension from the sniffed format', () => {
    assert.deepEqual(resolveVariantsUploadKey({ ...base, key: 'albums/2026/red rock.png' }).variants.map((target) => target.key), ['albums/2026/red rock-400x400.png', 'albums/2026/red rock-800x600.webp']);
    assert.equal(resolveVariantsUploadKey({ ...base, file: 'photo', format: 'avif' }).key, 'photo.avif');
  });

  it('needs a size when no variants are configured, in one line', () => {
    assert.throws(() => resolveVariantsUploadKey({ ...base, variants: [] }), usageError(/^upload needs a size, e\.g\. .*no variants are configured/));
  });

  it('refuses a key that names a size, which would get that one thumbnail instead', () => {
    assert.throws(() => resolveVariantsUploadKey({ ...base, file: 'canyon-400x300.jpg' }), usageError(/names the size 400x300.*pass 400x300 as the size/));
    assert.throws(() => resolveVariantsUploadKey({ ...base, key: 'a/b-1x1.png' }), usageError(/names the size 1x1/));
  });

  it('refuses a name the function would not read, and one the trigger does not fire for', () => {
    assert.throws(() => resolveVariantsUploadKey({ ...base, file: 'scan.tiff' }), usageError(/only handles \.jpg\/\.jpeg\/\.png\/\.webp\/\.avif\/\.gif keys; pass --key NAME\.jpg/));
    assert.throws(() => resolveVariantsUploadKey({ ...base, key: 'folder/' }), usageError(/is not an object key/));
    assert.throws(() => resolveVariantsUploadKey({ ...base, suffixes: expandSuffixes(['.png']) }), usageError(/would never trigger/));
  });
});
