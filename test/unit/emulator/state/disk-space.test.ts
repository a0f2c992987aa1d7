// DiskSpace: once a write fails for lack of space, writes are refused until there is room again; then the very
// next write goes through (a delete that frees space must not leave writes refused for a while after).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DISK_RESERVE_FILE, DiskFullError, DiskSpace } from '../../../../emulator/state/disk-space.js';

const noSpace = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('DiskSpace', () => {
  let stateDir: string;
  let logged: string[];
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-disk-space-'));
    logged = [];
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('refuses writes after a failure for lack of space, and gives the reserve back', () => {
    let free = 0;
    const disk = new DiskSpace(stateDir, (line) => logged.push(line), 1024, () => free);
    disk.afterStart();
    assert.ok(existsSync(join(stateDir, DISK_RESERVE_FILE)), 'the reserve is held while there is room');
    assert.equal(disk.noteFailure(noSpace), true);
    assert.equal(existsSync(join(stateDir, DISK_RESERVE_FILE)), false, 'the reserve is given back');
    assert.throws(() => disk.assertWritable(), DiskFullError);
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /disk is full.*thumbctl-disk-space-/);
  });

  it('lets the first write after space was freed through, however soon it comes', () => {
    const disk = new DiskSpace(stateDir, (line) => logged.push(line));
    disk.afterStart();
    disk.noteFailure(noSpace);
    // The temporary directory has room: as if a delete had just freed it.
    assert.doesNotThrow(() => disk.assertWritable());
    assert.equal(disk.full, false);
    assert.ok(existsSync(join(stateDir, DISK_RESERVE_FILE)), 'the reserve is taken back');
    assert.match(logged.at(-1)!, /room again/);
  });

  it('ignores failures that are not a full disk', () => {
    const disk = new DiskSpace(stateDir, () => undefined);
    assert.equal(disk.noteFailure(Object.assign(new Error('denied'), { code: 'EACCES' })), false);
    assert.doesNotThrow(() => disk.assertWritable());
  });
});
