// compile-cache.ts without a Node.js 22: entries are carried under the names Node.js gives the same files at the
// other folder, an entry already there is kept, and the machine-wide store keeps a bounded number of packages.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { carryCompileCache, compileCacheEntryName, moduleFiles, STORED_PACKAGES_KEPT, storeCompileCache, storedCompileCache } from '../../../../emulator/runtime/compile-cache.js';

const VERSION = 'v22.0.0-x64-00000000-0';
const roots: string[] = [];
after(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

function scratch(): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'thumbctl-compile-cache-')));
  roots.push(root);
  return root;
}

/** A code folder with an ES module and a CommonJS one, and a cache holding an entry for each, as Node.js names them. */
function compiledFolder(root: string, name: string) {
  const folder = join(root, name);
  mkdirSync(join(folder, 'node_modules', 'dep'), { recursive: true });
  writeFileSync(join(folder, 'index.mjs'), 'export const handler = async () => 1;\n');
  writeFileSync(join(folder, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
  writeFileSync(join(folder, 'data.txt'), 'not a module\n');
  const cache = join(root, `${name}.cache`);
  mkdirSync(join(cache, VERSION), { recursive: true });
  writeFileSync(join(cache, VERSION, compileCacheEntryName(1, pathToFileURL(join(folder, 'index.mjs')).href)), 'esm entry');
  writeFileSync(join(cache, VERSION, compileCacheEntryName(0, join(folder, 'node_modules', 'dep', 'index.js'))), 'cjs entry');
  return { folder, cache };
}

describe('compile cache carrying', () => {
  it('names entries as Node.js 22 does: CRC-32 of the kind byte, then the path (CommonJS) or file: URL (ES module)', () => {
    // Read from a Node.js 22.23.5 cache directory: /tmp/ci/code-main/index.mjs as an ES module.
    assert.equal(compileCacheEntryName(1, 'file:///tmp/ci/code-main/index.mjs'), '2ca0a894');
    assert.equal(compileCacheEntryName(0, '/tmp/ci/code-main/node_modules/semver/index.js'), '020826da');
  });

  it('copies the entries of the listed files under their names at the other folder, keeping an entry already there', async () => {
    const root = scratch();
    const from = compiledFolder(root, 'a');
    const to = { folder: join(root, 'b'), cache: join(root, 'b.cache') };
    const esmAtTo = compileCacheEntryName(1, pathToFileURL(join(to.folder, 'index.mjs')).href);
    mkdirSync(join(to.cache, VERSION), { recursive: true });
    writeFileSync(join(to.cache, VERSION, esmAtTo), 'already there');
    const copied = carryCompileCache(from, to, ['index.mjs', 'node_modules/dep/index.js', 'data.txt', 'missing.js']);
    assert.equal(copied, 1);
    assert.equal(readFileSync(join(to.cache, VERSION, esmAtTo), 'utf8'), 'already there');
    assert.equal(readFileSync(join(to.cache, VERSION, compileCacheEntryName(0, join(to.folder, 'node_modules', 'dep', 'index.js'))), 'utf8'), 'cjs entry');
    assert.equal(readdirSync(join(to.cache, VERSION)).length, 2);
  });

  it('lists a folder’s module files only', async () => {
    const root = scratch();
    const { folder } = compiledFolder(root, 'a');
    assert.deepEqual((await moduleFiles(folder)).sort(), ['index.mjs', 'node_modules/dep/index.js']);
  });

  it(`stores a package's entries once, keeps the ${STORED_PACKAGES_KEPT} most recently used packages, and removes a dead server's staging folder`, async () => {
    const root = scratch();
    const cacheRoot = join(root, 'thumbctl-cache');
    const digests = Array.from({ length: STORED_PACKAGES_KEPT + 2 }, (_, index) => index.toString(16).padStart(64, '0'));
    for (const [index, digest] of digests.slice(0, -1).entries()) {
      const store = storedCompileCache(cacheRoot, digest);
      mkdirSync(join(store, VERSION), { recursive: true });
      const at = new Date(Date.UTC(2020, 0, 1 + index));
      utimesSync(store, at, at);
    }
    // What a server that died while storing left, an hour and more ago, and one storing now.
    const stale = `${storedCompileCache(cacheRoot, digests[0]!)}.dead.tmp`;
    const live = `${storedCompileCache(cacheRoot, digests[1]!)}.live.tmp`;
    mkdirSync(stale);
    mkdirSync(live);
    utimesSync(stale, new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));
    const compiled = compiledFolder(root, 'code');
    const newest = storedCompileCache(cacheRoot, digests.at(-1)!);
    assert.equal(await storeCompileCache({ ...compiled, store: newest }), 2);
    assert.equal(readdirSync(join(newest, VERSION)).length, 2);
    // Stored once: a second offer finds the store and copies nothing.
    assert.equal(await storeCompileCache({ ...compiled, store: newest }), 0);
    const kept = readdirSync(join(cacheRoot, 'compile-cache')).filter((name) => !name.endsWith('.tmp')).sort();
    assert.deepEqual(readdirSync(join(cacheRoot, 'compile-cache')).filter((name) => name.endsWith('.tmp')), [basename(live)], 'the dead staging folder is gone');
    assert.equal(kept.length, STORED_PACKAGES_KEPT);
    assert.deepEqual(kept, digests.slice(-STORED_PACKAGES_KEPT).sort(), 'the two least recently used are gone');
  });

  it('adds to a package’s store what another Node.js version or other V8 flags compiled, keeping what it holds', async () => {
    const root = scratch();
    const compiled = compiledFolder(root, 'code');
    const store = storedCompileCache(join(root, 'thumbctl-cache'), 'e'.repeat(64));
    const other = 'v22.0.0-x64-11111111-0';
    mkdirSync(join(store, other), { recursive: true });
    writeFileSync(join(store, other, 'abcdef01'), 'kept');
    assert.equal(await storeCompileCache({ ...compiled, store }), 2);
    assert.deepEqual(readdirSync(store).sort(), [VERSION, other].sort());
    assert.equal(readFileSync(join(store, other, 'abcdef01'), 'utf8'), 'kept');
    // Named as if the code were at /var/task, whatever folder compiled it.
    assert.ok(readdirSync(join(store, VERSION)).includes(compileCacheEntryName(1, 'file:///var/task/index.mjs')));
  });

  it('stores nothing for a folder whose runtime compiled nothing', async () => {
    const root = scratch();
    const folder = join(root, 'code');
    mkdirSync(folder);
    writeFileSync(join(folder, 'index.mjs'), '');
    const store = storedCompileCache(join(root, 'cache'), 'f'.repeat(64));
    assert.equal(await storeCompileCache({ folder, cache: join(root, 'none'), store }), 0);
    assert.deepEqual(readdirSync(root).sort(), ['code']);
  });
});
