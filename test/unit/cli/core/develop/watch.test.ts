// dev's watcher: a save of a file the bundle read is reported, an editor's temporary file is not, folders the
// bundle stopped reading are let go, and nothing is reported after close().
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SourceWatcher } from '../../../../../cli/core/develop/watch.js';

const root = mkdtempSync(join(tmpdir(), 'thumbctl-watch-'));
after(() => rmSync(root, { recursive: true, force: true }));

const settle = (ms = 300): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function seen(changes: string[], path: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!changes.includes(path)) {
    if (Date.now() > deadline) throw new Error(`no change reported for ${path}; got ${JSON.stringify(changes)}`);
    await settle(20);
  }
}

describe('SourceWatcher', () => {
  it('reports saves of sources and of tracked inputs in other folders, not editor temporary files', async () => {
    // Prepare
    const dir = join(root, 'fn');
    const shared = join(root, 'shared');
    mkdirSync(dir);
    mkdirSync(shared);
    writeFileSync(join(dir, 'handler.ts'), 'export {};');
    writeFileSync(join(shared, 'util.ts'), 'export {};');
    writeFileSync(join(shared, 'notes.ts'), 'export {};');
    const changes: string[] = [];
    const watcher = new SourceWatcher({ root: dir, onChange: (path) => changes.push(path) });
    try {
      watcher.track([join(dir, 'handler.ts'), join(shared, 'util.ts')]);
      assert.deepEqual(watcher.watchedFolders(), [dir, shared].sort());
      await settle();

      // Act
      writeFileSync(join(dir, '.handler.ts.swp'), 'x');
      writeFileSync(join(dir, 'handler.ts~'), 'x');
      writeFileSync(join(shared, 'notes.ts'), 'export const unread = 1;');
      writeFileSync(join(shared, 'util.ts'), 'export const read = 1;');
      writeFileSync(join(dir, 'handler.ts'), 'export const saved = 1;');

      // Assess
      await seen(changes, join(shared, 'util.ts'));
      await seen(changes, join(dir, 'handler.ts'));
      assert.deepEqual([...new Set(changes)].sort(), [join(dir, 'handler.ts'), join(shared, 'util.ts')].sort());
    } finally {
      watcher.close();
    }
  });

  it('lets go of folders the bundle no longer reads, and reports nothing once closed', async () => {
    const dir = join(root, 'fn2');
    const gone = join(root, 'gone');
    mkdirSync(dir);
    mkdirSync(gone);
    writeFileSync(join(gone, 'old.ts'), 'export {};');
    const changes: string[] = [];
    const watcher = new SourceWatcher({ root: dir, onChange: (path) => changes.push(path) });
    watcher.track([join(gone, 'old.ts')]);
    watcher.track([]);
    assert.deepEqual(watcher.watchedFolders(), [dir]);
    watcher.close();
    assert.deepEqual(watcher.watchedFolders(), []);
    writeFileSync(join(dir, 'handler.ts'), 'export {};');
    await settle();
    assert.deepEqual(changes, []);
  });
});
