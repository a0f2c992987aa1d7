// Deployment package checks: archives built in-test with archiver (hostile names patched into the bytes,
// since archiver sanitises them), then inspected and unpacked into a temporary state directory.
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CodePackageError,
  MAX_UNZIPPED_BYTES,
  codeDirectory,
  inspectCodePackage,
  unpackCodePackage,
  unpackCodePackageReporting,
  unsafeEntryName,
} from '../../../../emulator/runtime/code-package.js';
import { declareUncompressedSize, renameEntry, zipEntries, zipFixture } from '../../../fixtures/functions/build-zip.js';

const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-code-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function refusal(zip: Buffer, kind: CodePackageError['kind'], limits = {}): Promise<void> {
  await assert.rejects(inspectCodePackage(zip, limits), (error: unknown) => {
    assert.ok(error instanceof CodePackageError, `a CodePackageError, got ${String(error)}`);
    assert.equal(error.kind, kind);
    return true;
  });
}

describe('inspectCodePackage', () => {
  it('accepts an ordinary package and reports its size and entries', async () => {
    const zip = await zipEntries([{ name: 'index.mjs', data: 'export const handler = async () => 1;' }, { name: 'lib/util.js', data: 'x' }]);
    const summary = await inspectCodePackage(zip);
    assert.equal(summary.entries, 2);
    assert.equal(summary.unzippedBytes, 'export const handler = async () => 1;'.length + 1);
  });

  it('refuses an entry that climbs out with ../', async () => {
    const zip = renameEntry(await zipEntries([{ name: 'xx/evil.js', data: 'pwned' }]), 'xx/evil.js', '../evil.js');
    await refusal(zip, 'unsafe-entry');
  });

  it('refuses ../ hidden in the middle of a path', async () => {
    const zip = renameEntry(await zipEntries([{ name: 'a/xx/xx/evil', data: 'x' }]), 'a/xx/xx/evil', 'a/../../evil');
    await refusal(zip, 'unsafe-entry');
  });

  it('refuses an absolute path', async () => {
    const zip = renameEntry(await zipEntries([{ name: 'xetc/cron', data: 'x' }]), 'xetc/cron', '/etc/cron');
    await refusal(zip, 'unsafe-entry');
  });

  it('refuses backslashes and drive letters', async () => {
    await refusal(renameEntry(await zipEntries([{ name: 'a_b.js', data: 'x' }]), 'a_b.js', 'a\\b.js'), 'unsafe-entry');
    await refusal(renameEntry(await zipEntries([{ name: 'cxxevil', data: 'x' }]), 'cxxevil', 'c:/evil'), 'unsafe-entry');
  });

  it('refuses a symlink entry', async () => {
    const zip = await zipEntries([
      { name: 'index.mjs', data: 'x' },
      { name: 'passwd', symlinkTarget: '/etc/passwd' },
    ]);
    await refusal(zip, 'unsafe-entry');
  });

  it('refuses a package above 50 MB zipped', async () => {
    await refusal(Buffer.alloc(50 * 1024 * 1024 + 1), 'too-large-zipped');
  });

  it('refuses a package declaring more than 250 MB unzipped', async () => {
    const zip = declareUncompressedSize(await zipEntries([{ name: 'big.bin', data: 'small really' }]), MAX_UNZIPPED_BYTES + 1);
    await refusal(zip, 'too-large-unzipped');
  });

  it('refuses more entries than the cap', async () => {
    const zip = await zipEntries(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' })));
    await refusal(zip, 'unsafe-entry', { maxEntries: 5 });
  });

  it('refuses bytes that are not a zip', async () => {
    await refusal(Buffer.from('definitely not a zip file'), 'not-a-zip');
  });

  it('names unsafe entries and lets ordinary ones pass', () => {
    assert.equal(unsafeEntryName('index.mjs'), undefined);
    assert.equal(unsafeEntryName('node_modules/sharp/lib/index.js'), undefined);
    assert.equal(unsafeEntryName('dir/'), undefined);
    assert.match(unsafeEntryName('../x') ?? '', /escapes/);
    assert.match(unsafeEntryName('/x') ?? '', /absolute/);
    assert.match(unsafeEntryName('a\\b') ?? '', /backslash/);
    assert.match(unsafeEntryName('C:x') ?? '', /drive/);
  });
});

describe('unpackCodePackage', () => {
  it('unpacks into a folder named by the digest, once', async () => {
    const zip = await zipFixture('echo');
    const digest = sha256(zip);
    const folder = await unpackCodePackage(stateDir, digest, zip);
    assert.equal(folder, codeDirectory(stateDir, digest));
    assert.match(readFileSync(join(folder, 'index.mjs'), 'utf8'), /export const handler/);
    const before = statSync(join(folder, 'index.mjs')).mtimeMs;
    assert.equal(await unpackCodePackage(stateDir, digest, zip), folder);
    assert.equal(statSync(join(folder, 'index.mjs')).mtimeMs, before, 'not unpacked twice');
  });

  it('leaves nothing behind when it refuses a package', async () => {
    const zip = renameEntry(await zipEntries([{ name: 'ok.js', data: 'x' }, { name: 'xx/evil.js', data: 'y' }]), 'xx/evil.js', '../evil.js');
    const digest = sha256(zip);
    await assert.rejects(unpackCodePackage(stateDir, digest, zip), CodePackageError);
    assert.equal(existsSync(codeDirectory(stateDir, digest)), false);
    assert.deepEqual(readdirSync(join(stateDir, 'code')).filter((name) => name.startsWith('.staging')), []);
    assert.equal(existsSync(join(stateDir, 'evil.js')), false);
  });

  it('fails when an entry holds more bytes than its header declares', async () => {
    const zip = declareUncompressedSize(await zipEntries([{ name: 'a.txt', data: 'x'.repeat(1000) }]), 10);
    await assert.rejects(unpackCodePackage(stateDir, sha256(zip), zip), CodePackageError);
  });

  it('fails when an entry holds fewer bytes than its header declares', async () => {
    const zip = declareUncompressedSize(await zipEntries([{ name: 'a.txt', data: 'x'.repeat(1000) }]), 2000);
    await assert.rejects(unpackCodePackage(stateDir, sha256(zip), zip), CodePackageError);
  });

  it('unpacks a large file (inflated in one piece off the event loop) byte for byte, and refuses one whose size lies', async () => {
    // Prepare: 3 MiB that deflate well but not to nothing.
    const data = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, (_, index) => (index * 7919) % 251));
    const zip = await zipEntries([{ name: 'lib/big.bin', data }, { name: 'index.mjs', data: 'export const handler = () => 1;\n' }]);
    // Act
    const folder = await unpackCodePackage(stateDir, sha256(zip), zip);
    // Assess
    assert.ok(readFileSync(join(folder, 'lib/big.bin')).equals(data));
    for (const declared of [data.length - 1, data.length + 1]) {
      const lying = declareUncompressedSize(await zipEntries([{ name: 'lib/big.bin', data }]), declared);
      await assert.rejects(unpackCodePackage(stateDir, sha256(lying), lying), CodePackageError, `declared ${declared}`);
      assert.equal(existsSync(codeDirectory(stateDir, sha256(lying))), false);
    }
  });

  it('streams an entry above 64 MiB, checking its size as it goes', async () => {
    const data = Buffer.alloc(64 * 1024 * 1024 + 4096, 7);
    const zip = await zipEntries([{ name: 'huge.bin', data }]);
    const folder = await unpackCodePackage(stateDir, sha256(zip), zip);
    assert.equal(statSync(join(folder, 'huge.bin')).size, data.length);
    rmSync(folder, { recursive: true, force: true });
    const lying = declareUncompressedSize(zip, data.length + 8192);
    await assert.rejects(unpackCodePackage(stateDir, sha256(lying), lying), CodePackageError);
  });

  it('refuses to build a folder name from anything but a digest', () => {
    assert.throws(() => codeDirectory(stateDir, '../../etc'));
  });
});

describe('unpackCodePackage against the package it replaces', () => {
  const big = randomBytes(256 * 1024);
  const entriesOf = (version: string) => [
    { name: 'index.mjs', data: `export const version = ${JSON.stringify(version)};` },
    { name: 'lib/big.bin', data: big },
    { name: 'bin/tool', data: '#!/bin/sh\necho tool\n', mode: 0o755 },
  ];
  // One fixed date, as thumbctl's packages have: the same file zips to the same bytes every time.
  const DATE = new Date('2020-01-01T00:00:00Z');
  const versioned = async (version: string, extra: { name: string; data: string | Buffer; mode?: number }[] = []) =>
    zipEntries([...entriesOf(version), ...extra].map((entry) => ({ ...entry, date: DATE })));
  const unpacked = async (zip: Buffer, previous?: { zip: Buffer; directory: string }) => unpackCodePackageReporting(stateDir, sha256(zip), zip, {}, previous);

  it('writes only the entries that changed and shares the others by hard link; the folder is exactly the new package', async () => {
    // Prepare
    const oldZip = await versioned('v1');
    const old = await unpacked(oldZip);
    const newZip = await versioned('v2');
    // Act
    const result = await unpacked(newZip, { zip: oldZip, directory: old.directory });
    // Assess
    assert.deepEqual({ written: result.written, shared: result.shared }, { written: 1, shared: 2 });
    assert.equal(readFileSync(join(result.directory, 'index.mjs'), 'utf8'), 'export const version = "v2";');
    assert.equal(readFileSync(join(old.directory, 'index.mjs'), 'utf8'), 'export const version = "v1";', 'the old folder is untouched');
    assert.equal(statSync(join(result.directory, 'lib/big.bin')).ino, statSync(join(old.directory, 'lib/big.bin')).ino);
    assert.ok(readFileSync(join(result.directory, 'lib/big.bin')).equals(big));
    assert.equal(statSync(join(result.directory, 'bin/tool')).mode & 0o777, 0o755);
    assert.equal(statSync(join(result.directory, 'index.mjs')).mtimeMs, DATE.getTime(), 'files carry their entry date');
  });

  it('shares from the entries the old package\'s own unpack recorded as from its zip, and records the new one\'s for the next', async () => {
    // Prepare: the entries kept from the old package's unpack, and a zip argument that no longer holds them
    const oldZip = await versioned('e1');
    const old = await unpacked(oldZip);
    const newZip = await versioned('e2');
    const third = await versioned('e3');
    // Act
    const fromKept = await unpackCodePackageReporting(stateDir, sha256(newZip), newZip, {}, { zip: oldZip, directory: old.directory, entries: old.entries });
    const next = await unpackCodePackageReporting(stateDir, sha256(third), third, {}, { zip: Buffer.alloc(0), directory: fromKept.directory, entries: fromKept.entries });
    // Assess
    assert.deepEqual([...(old.entries?.keys() ?? [])].sort(), ['bin/tool', 'index.mjs', 'lib/big.bin']);
    assert.deepEqual({ written: fromKept.written, shared: fromKept.shared }, { written: 1, shared: 2 });
    assert.deepEqual({ written: next.written, shared: next.shared }, { written: 1, shared: 2 }, 'shared through the recorded entries alone');
    assert.equal(statSync(join(next.directory, 'lib/big.bin')).ino, statSync(join(old.directory, 'lib/big.bin')).ino);
    assert.equal(readFileSync(join(next.directory, 'index.mjs'), 'utf8'), 'export const version = "e3";');
  });

  it('keeps the shared files whole when the old folder is released', async () => {
    const oldZip = await versioned('r1');
    const old = await unpacked(oldZip);
    const newZip = await versioned('r2');
    const result = await unpacked(newZip, { zip: oldZip, directory: old.directory });
    assert.equal(result.shared, 2);
    rmSync(old.directory, { recursive: true, force: true });
    assert.ok(readFileSync(join(result.directory, 'lib/big.bin')).equals(big));
    assert.equal(readFileSync(join(result.directory, 'bin/tool'), 'utf8'), '#!/bin/sh\necho tool\n');
  });

  it('writes afresh a file the old package\'s function rewrote, and never links a symlink put in its place', async () => {
    const oldZip = await versioned('t1');
    const old = await unpacked(oldZip);
    writeFileSync(join(old.directory, 'lib/big.bin'), Buffer.alloc(big.length, 1));
    rmSync(join(old.directory, 'bin/tool'));
    symlinkSync('/etc/passwd', join(old.directory, 'bin/tool'));
    const newZip = await versioned('t2');
    const result = await unpacked(newZip, { zip: oldZip, directory: old.directory });
    assert.equal(result.shared, 0);
    assert.ok(readFileSync(join(result.directory, 'lib/big.bin')).equals(big));
    assert.equal(lstatSync(join(result.directory, 'bin/tool')).isSymbolicLink(), false);
    assert.equal(readFileSync(join(result.directory, 'bin/tool'), 'utf8'), '#!/bin/sh\necho tool\n');
  });

  it('does not share an entry whose mode or bytes changed under the same name', async () => {
    const oldZip = await versioned('m1');
    const old = await unpacked(oldZip);
    const newZip = await zipEntries([
      { name: 'index.mjs', data: 'export const version = "m1";', date: DATE },
      { name: 'lib/big.bin', data: big, mode: 0o755, date: DATE },
      { name: 'bin/tool', data: '#!/bin/sh\necho other\n', mode: 0o755, date: DATE },
    ]);
    const result = await unpacked(newZip, { zip: oldZip, directory: old.directory });
    assert.deepEqual({ written: result.written, shared: result.shared }, { written: 2, shared: 1 });
    assert.equal(statSync(join(result.directory, 'lib/big.bin')).mode & 0o777, 0o755);
    assert.equal(readFileSync(join(result.directory, 'bin/tool'), 'utf8'), '#!/bin/sh\necho other\n');
  });

  it('writes everything when the old folder has gone, and still refuses a hostile entry', async () => {
    const oldZip = await versioned('g1');
    const old = await unpacked(oldZip);
    rmSync(old.directory, { recursive: true, force: true });
    const result = await unpacked(await versioned('g2'), { zip: oldZip, directory: old.directory });
    assert.deepEqual({ written: result.written, shared: result.shared }, { written: 3, shared: 0 });
    const hostile = renameEntry(await versioned('g3', [{ name: 'xx/evil.js', data: 'y' }]), 'xx/evil.js', '../evil.js');
    await assert.rejects(unpacked(hostile, { zip: oldZip, directory: result.directory }), CodePackageError);
    assert.equal(existsSync(join(stateDir, 'evil.js')), false);
  });

  it('counts shared files against the unzipped limit', async () => {
    const oldZip = await versioned('l1');
    const old = await unpacked(oldZip);
    const newZip = await versioned('l2');
    await assert.rejects(
      unpackCodePackageReporting(stateDir, sha256(newZip), newZip, { maxUnzippedBytes: big.length }, { zip: oldZip, directory: old.directory }),
      (error: unknown) => error instanceof CodePackageError && error.kind === 'too-large-unzipped',
    );
  });
});

describe('a package that names a shared file twice', () => {
  it('never writes through the link into the previous package\'s file', async () => {
    // Prepare: the new zip holds lib/big.bin twice, first as it was (shared), then with other bytes.
    const DATE = new Date('2020-01-01T00:00:00Z');
    const original = randomBytes(64 * 1024);
    const oldZip = await zipEntries([{ name: 'index.mjs', data: 'export {};', date: DATE }, { name: 'lib/big.bin', data: original, date: DATE }]);
    const old = await unpackCodePackageReporting(stateDir, sha256(oldZip), oldZip);
    const twice = renameEntry(
      await zipEntries([
        { name: 'index.mjs', data: 'export {};', date: DATE },
        { name: 'lib/big.bin', data: original, date: DATE },
        { name: 'lib/big.bix', data: 'other bytes', date: DATE },
      ]),
      'lib/big.bix',
      'lib/big.bin',
    );
    // Act
    await unpackCodePackageReporting(stateDir, sha256(twice), twice, {}, { zip: oldZip, directory: old.directory }).catch(() => undefined);
    // Assess: whatever became of the new package, the old folder's file is as it was.
    assert.ok(readFileSync(join(old.directory, 'lib/big.bin')).equals(original));
  });
});
