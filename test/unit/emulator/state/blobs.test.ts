// The content-addressed blob store, on a real directory: small blobs take the synchronous path, large ones the
// thread pool; both end whole under their SHA-256 with nothing left in tmp/.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BlobStore, SYNC_WRITE_MAX_BYTES } from '../../../../emulator/state/blobs.js';

const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-blobs-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

describe('BlobStore', () => {
  const store = new BlobStore(stateDir);

  for (const [label, size] of [
    ['a small blob (written in place)', 1000],
    ['one at the synchronous limit', SYNC_WRITE_MAX_BYTES],
    ['a large blob (through the thread pool)', SYNC_WRITE_MAX_BYTES + 1],
  ] as const) {
    it(`stores ${label} whole under its SHA-256`, async () => {
      // Arrange
      const data = randomBytes(size);
      // Act
      const digest = await store.put(data);
      // Assess
      assert.equal(digest, createHash('sha256').update(data).digest('hex'));
      assert.ok(store.has(digest));
      assert.equal(store.size(digest), size);
      assert.ok((await store.read(digest)).equals(data));
      assert.deepEqual(readdirSync(join(stateDir, 'tmp')), [], 'no temporary file left behind');
    });
  }

  it('stores the same bytes once', async () => {
    const data = randomBytes(2048);
    const first = await store.put(data);
    const second = await store.put(Buffer.from(data));
    assert.equal(first, second);
  });
});
