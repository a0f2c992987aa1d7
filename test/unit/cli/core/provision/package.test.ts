// The deployment package: deterministic bytes (same inputs, same CodeSha256), sorted entries, fixed
// dates, no symlinks, sharp's linux binaries for the architecture, and a cache keyed by the inputs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import yauzl from 'yauzl';
import { buildPackage, findPackageDir, packageFiles, packageInputsHash, runtimeDependencies, SHARED_ZIPS_KEPT, singleFileEntry, zipDeterministic, ZIP_DATE, type DeploymentPackage } from '../../../../../cli/core/provision/package.js';
import { packageRoot } from '../../../../../cli/core/paths.js';

interface ZipListing {
  name: string;
  mode: number;
  date: Date;
  size: number;
}

function listZip(zip: Buffer): Promise<ZipListing[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => {
      if (error || !file) return reject(error);
      const entries: ZipListing[] = [];
      file.on('entry', (entry: yauzl.Entry) => {
        entries.push({ name: entry.fileName, mode: (entry.externalFileAttributes >>> 16) & 0xffff, date: entry.getLastModDate(), size: entry.uncompressedSize });
        file.readEntry();
      });
      file.on('end', () => resolve(entries));
      file.on('error', reject);
      file.readEntry();
    });
  });
}

function extractZip(zip: Buffer, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => {
      if (error || !file) return reject(error);
      file.on('entry', (entry: yauzl.Entry) => {
        file.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            mkdirSync(dirname(join(dir, entry.fileName)), { recursive: true });
            writeFileSync(join(dir, entry.fileName), Buffer.concat(chunks));
            file.readEntry();
          });
        });
      });
      file.on('end', () => resolve());
      file.on('error', reject);
      file.readEntry();
    });
  });
}

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('base64');

describe('zipDeterministic', () => {
  const entries = [
    { name: 'b/two.js', data: Buffer.from('two'), mode: 0o644 },
    { name: 'a.mjs', data: Buffer.from('one'), mode: 0o644 },
    { name: 'b/lib.so.1', data: Buffer.from('native'), mode: 0o755 },
  ];

  it('gives the same bytes whatever order the entries come in', async () => {
    const first = await zipDeterministic(entries);
    const second = await zipDeterministic([...entries].reverse());
    assert.equal(sha(first), sha(second));
  });

  it('writes entries sorted, dated 1980-01-01, with the given modes', async () => {
    const listing = await listZip(await zipDeterministic(entries));
    assert.deepEqual(listing.map((entry) => entry.name), ['a.mjs', 'b/lib.so.1', 'b/two.js']);
    for (const entry of listing) {
      assert.equal(entry.date.getFullYear(), ZIP_DATE.getUTCFullYear());
      assert.equal(entry.mode & 0o170000, 0o100000, `${entry.name} is a regular file`);
    }
    assert.equal(listing[1]!.mode & 0o777, 0o755);
    assert.equal(listing[0]!.mode & 0o777, 0o644);
  });

  it('refuses duplicate names', async () => {
    await assert.rejects(zipDeterministic([entries[0]!, { ...entries[0]! }]), /duplicate/);
  });
});

describe('packageFiles', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'thumbctl-pkgfiles-'));
    mkdirSync(join(dir, 'pkg/lib'), { recursive: true });
    mkdirSync(join(dir, 'elsewhere'), { recursive: true });
    writeFileSync(join(dir, 'pkg/package.json'), '{"name":"pkg"}');
    writeFileSync(join(dir, 'pkg/lib/libvips.so.42.1'), 'real library');
    symlinkSync('libvips.so.42.1', join(dir, 'pkg/lib/libvips.so.42'));
    writeFileSync(join(dir, 'elsewhere/data.js'), 'module.exports = 1');
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'pkg/linked-dir'));
    writeFileSync(join(dir, 'pkg/README.md'), 'docs');
    writeFileSync(join(dir, 'pkg/lib/types.d.ts'), 'export {}');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('follows symlinks into real files and skips docs and type declarations', () => {
    const entries = packageFiles(join(dir, 'pkg'), 'node_modules/pkg');
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    assert.deepEqual([...byName.keys()].sort(), [
      'node_modules/pkg/lib/libvips.so.42',
      'node_modules/pkg/lib/libvips.so.42.1',
      'node_modules/pkg/linked-dir/data.js',
      'node_modules/pkg/package.json',
    ]);
    assert.equal(byName.get('node_modules/pkg/lib/libvips.so.42')!.data.toString(), 'real library');
    assert.equal(byName.get('node_modules/pkg/lib/libvips.so.42')!.mode, 0o755);
    assert.equal(byName.get('node_modules/pkg/package.json')!.mode, 0o644);
  });
});

describe('a pure JavaScript dependency shipped as one file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'thumbctl-singlefile-'));
    const write = (path: string, text: string): void => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    write('many/package.json', '{"name":"many","version":"1.0.0","main":"lib/index.js"}');
    write('many/lib/index.js', "const { double } = require('./math'); const other = require('other-package'); module.exports = { answer: double(21), other };");
    write('many/lib/math.js', 'exports.double = (n) => n * 2;');
    write('node_modules/other-package/index.js', "module.exports = 'from elsewhere';");
    write('mapped/package.json', '{"name":"mapped","version":"1.0.0","exports":{".":"./a.js"}}');
    write('mapped/a.js', "module.exports = require('./b.js');");
    write('mapped/b.js', 'module.exports = 1;');
    write('native/package.json', '{"name":"native","version":"1.0.0","main":"index.js"}');
    write('native/index.js', "module.exports = require('./lib.js');");
    write('native/lib.js', 'module.exports = 1;');
    write('native/addon.node', 'binary');
    write('single/package.json', '{"name":"single","version":"1.0.0"}');
    write('single/index.js', 'module.exports = 1;');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const entryOf = (name: string) => {
    const files = packageFiles(join(dir, name), `node_modules/${name}`);
    return singleFileEntry({ name, version: '1.0.0', dir: join(dir, name) }, files);
  };

  it('replaces the entry by a bundle of its own modules that still requires other packages at run time', async () => {
    const entry = await entryOf('many');
    assert.equal(entry?.name, 'node_modules/many/lib/index.js');
    const text = entry!.data.toString();
    assert.doesNotMatch(text, /require\(["']\.\/math["']\)/, 'its own modules are inside');
    assert.match(text, /require\(["']other-package["']\)/, 'other packages are not');
    // The bundle works where the original was, with math.js gone.
    rmSync(join(dir, 'many/lib/math.js'));
    writeFileSync(join(dir, 'many/lib/index.js'), entry!.data);
    const result = spawnSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(join(dir, 'many'))})))`], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { answer: 42, other: 'from elsewhere' });
  });

  it('ships as they are a package with native files, one with an exports map, and one of a single module', async () => {
    assert.equal(await entryOf('native'), undefined);
    assert.equal(await entryOf('mapped'), undefined);
    assert.equal(await entryOf('single'), undefined);
  });
});

describe('the deployment package', () => {
  let first: DeploymentPackage;
  let second: DeploymentPackage;
  let cacheDir: string;
  let sharedCacheDir: string;
  /** Zips of other builds already in the shared cache, oldest first. */
  const olderShared = ['a', 'b', 'c', 'd', 'e'].map((letter) => `package-x86_64-${letter.repeat(24)}.zip`);

  before(async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'thumbctl-pkgcache-'));
    sharedCacheDir = mkdtempSync(join(tmpdir(), 'thumbctl-pkgshared-'));
    olderShared.forEach((name, index) => {
      writeFileSync(join(sharedCacheDir, name), 'an older build');
      writeFileSync(join(sharedCacheDir, `${name}.json`), '{"entries":1}');
      const used = new Date(Date.UTC(2020, 0, 1 + index));
      utimesSync(join(sharedCacheDir, name), used, used);
    });
    first = await buildPackage({ architecture: 'x86_64', cacheDir, sharedCacheDir });
    second = await buildPackage({ architecture: 'x86_64' });
  });
  after(() => {
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(sharedCacheDir, { recursive: true, force: true });
  });

  it('has the same CodeSha256 when built twice from the same source', () => {
    assert.equal(first.fromCache, false);
    assert.equal(second.fromCache, false);
    assert.equal(first.codeSha256, second.codeSha256);
    assert.equal(first.codeSha256, sha(first.zip));
    assert.ok(first.zip.equals(second.zip));
  });

  it('holds index.mjs, its lazy chunks and sharp with its linux x64 binaries, sorted, without symlinks', async () => {
    const listing = await listZip(first.zip);
    const names = listing.map((entry) => entry.name);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes('index.mjs'), 'index.mjs at the root');
    const chunks = names.filter((name) => name.startsWith('chunks/'));
    assert.ok(chunks.length > 0 && chunks.every((name) => /^chunks\/[\w-]+\.mjs$/.test(name)), `chunks: ${chunks.join(', ')}`);
    for (const wanted of [
      'node_modules/sharp/package.json',
      'node_modules/detect-libc/package.json',
      'node_modules/semver/package.json',
      'node_modules/@img/colour/package.json',
      'node_modules/@img/sharp-linux-x64/package.json',
      'node_modules/@img/sharp-libvips-linux-x64/package.json',
    ]) {
      assert.ok(names.includes(wanted), `missing ${wanted}`);
    }
    assert.ok(names.some((name) => /^node_modules\/@img\/sharp-libvips-linux-x64\/lib\/libvips-cpp\.so/.test(name)));
    assert.ok(!names.some((name) => /arm64|darwin|win32|musl/.test(name)), 'no binaries for other platforms');
    for (const entry of listing) assert.notEqual(entry.mode & 0o170000, 0o120000, `${entry.name} is a symlink`);
    assert.ok(!names.some((name) => name.endsWith('/')), 'no directory entries');
  });

  it('fits in 10 MB for x86_64', () => {
    assert.ok(first.bytes <= 10 * 1024 * 1024, `package is ${first.bytes} bytes`);
  });

  it('unzips into a function that loads: index.handler exported, sharp resolved from the zip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'thumbctl-unzipped-'));
    try {
      await extractZip(first.zip, dir);
      // sharp's semver ships as one module (singleFileEntry); sharp loading below shows it still works.
      assert.doesNotMatch(readFileSync(join(dir, 'node_modules/semver/index.js'), 'utf8'), /require\(["']\.\//);
      const probe = `
        const module = await import(${JSON.stringify(join(dir, 'index.mjs'))});
        const { createRequire } = await import('node:module');
        const sharp = createRequire(${JSON.stringify(join(dir, 'index.mjs'))})('sharp');
        const image = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } }).png().toBuffer();
        process.stdout.write(JSON.stringify({ handler: typeof module.handler, png: image.length > 0, from: createRequire(${JSON.stringify(join(dir, 'index.mjs'))}).resolve('sharp') }));`;
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: dir, env: { ...process.env, THUMBNAIL_BUCKET: 'thumbs', NODE_PATH: '' }, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      const answer = JSON.parse(result.stdout) as { handler: string; png: boolean; from: string };
      assert.equal(answer.handler, 'function');
      assert.equal(answer.png, true);
      assert.ok(answer.from.startsWith(dir), `sharp came from ${answer.from}`);
      assert.equal(first.handler, 'index.handler');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reuses the cached zip for the same inputs', async () => {
    const cached = await buildPackage({ architecture: 'x86_64', cacheDir });
    assert.equal(cached.fromCache, true);
    assert.equal(cached.codeSha256, first.codeSha256);
  });

  it('takes the zip from the shared cache into a fresh state directory, without building', async () => {
    const freshStateCache = mkdtempSync(join(tmpdir(), 'thumbctl-pkgcache-fresh-'));
    try {
      const copied = await buildPackage({ architecture: 'x86_64', cacheDir: freshStateCache, sharedCacheDir });
      assert.equal(copied.fromCache, true);
      assert.equal(copied.codeSha256, first.codeSha256);
      assert.equal(copied.entries, first.entries);
      assert.ok(copied.path?.startsWith(freshStateCache), `copied into the state directory: ${copied.path}`);
      assert.ok(readFileSync(copied.path!).equals(first.zip));
      const again = await buildPackage({ architecture: 'x86_64', cacheDir: freshStateCache });
      assert.equal(again.fromCache, true, 'then found in the state directory itself');
    } finally {
      rmSync(freshStateCache, { recursive: true, force: true });
    }
  });

  it('keeps the shared cache bounded: the most recently used zips of other builds, with their counts', () => {
    const zips = readdirSync(sharedCacheDir).filter((name) => name.endsWith('.zip')).sort();
    assert.equal(zips.length, SHARED_ZIPS_KEPT);
    const kept = olderShared.slice(-(SHARED_ZIPS_KEPT - 1));
    for (const name of kept) assert.ok(zips.includes(name) && existsSync(join(sharedCacheDir, `${name}.json`)), `${name} kept`);
    for (const name of olderShared.slice(0, olderShared.length - kept.length)) {
      assert.ok(!existsSync(join(sharedCacheDir, name)) && !existsSync(join(sharedCacheDir, `${name}.json`)), `${name} pruned`);
    }
  });
});

describe('the inputs hash', () => {
  it('changes when a function source changes', () => {
    const root = packageRoot();
    const copy = mkdtempSync(join(tmpdir(), 'thumbctl-fnsrc-'));
    try {
      cpSync(join(root, 'function'), copy, { recursive: true });
      const before = packageInputsHash(root, copy, 'x86_64');
      assert.equal(packageInputsHash(root, copy, 'x86_64'), before);
      assert.notEqual(packageInputsHash(root, copy, 'arm64'), before);
      writeFileSync(join(copy, 'handler.ts'), `${readFileSync(join(copy, 'handler.ts'), 'utf8')}\n// changed\n`);
      assert.notEqual(packageInputsHash(root, copy, 'x86_64'), before);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('runtime dependencies', () => {
  it('fails with one clear line when the arm64 binaries cannot be fetched', { skip: findPackageDir('@img/sharp-linux-arm64', packageRoot()) ? 'arm64 binaries are installed here' : false }, async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'thumbctl-nonpm-'));
    const path = process.env.PATH;
    process.env.PATH = cacheDir; // no npm to be found
    try {
      await assert.rejects(runtimeDependencies(packageRoot(), 'arm64', cacheDir), (error: Error) => {
        assert.match(error.message, /cannot fetch @img\/sharp-(libvips-)?linux-arm64@[\d.]+ for the arm64 package/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    } finally {
      process.env.PATH = path;
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('are sharp, its dependencies and the linux binaries for the architecture', async () => {
    const dependencies = await runtimeDependencies(packageRoot(), 'x86_64', undefined);
    assert.deepEqual(
      dependencies.map((dependency) => dependency.name),
      ['@img/colour', '@img/sharp-libvips-linux-x64', '@img/sharp-linux-x64', 'detect-libc', 'semver', 'sharp'],
    );
  });
});
