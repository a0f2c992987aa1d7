// Deployment package checks: archives built in-test with archiver (hostile names patched into the bytes,
// since archiver sanitises them), then inspected and unpacked into a temporary state directory.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CodePackageError,
  MAX_UNZIPPED_BYTES,
  codeDirectory,
  inspectCodePackage,
  unpackCodePackage,
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

  it('refuses to build a folder name from anything but a digest', () => {
    assert.throws(() => codeDirectory(stateDir, '../../etc'));
  });
});
