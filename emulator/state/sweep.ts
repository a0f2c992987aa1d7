// The sweep a local cloud runs when it starts, holding the state directory's lock (so no other process is
// writing there): what a kill -9 can leave behind is removed and counted. That is every temporary file (an
// upload's body being received, a blob being written), every half-unpacked code folder, and every blob no
// metadata names (renamed into place before its row committed, or released by a committed delete before its
// unlink ran). It never touches a blob that `isReferenced` claims, and never reads what a file contains.
import { readdirSync, rmSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

export interface SweepReport {
  temporaryFiles: number;
  temporaryBytes: number;
  unreferencedBlobs: number;
  unreferencedBytes: number;
  stagingFolders: number;
}

const BLOB_NAME = /^[0-9a-f]{64}$/;

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Sweeps one state directory. Call only while holding its lock, after every store has created its tables.
 * @param isReferenced - true when some object, upload part or function uses this blob digest
 */
export function sweepStateDirectory(stateDir: string, isReferenced: (digest: string) => boolean): SweepReport {
  const report: SweepReport = { temporaryFiles: 0, temporaryBytes: 0, unreferencedBlobs: 0, unreferencedBytes: 0, stagingFolders: 0 };
  const tmpDir = join(stateDir, 'tmp');
  for (const entry of entries(tmpDir)) {
    const path = join(tmpDir, entry.name);
    report.temporaryBytes += entry.isFile() ? sizeOf(path) : 0;
    rmSync(path, { recursive: true, force: true });
    report.temporaryFiles++;
  }
  const codeDir = join(stateDir, 'code');
  for (const entry of entries(codeDir)) {
    if (!entry.isDirectory() || !entry.name.startsWith('.staging-')) continue;
    rmSync(join(codeDir, entry.name), { recursive: true, force: true });
    report.stagingFolders++;
  }
  const blobsDir = join(stateDir, 'blobs');
  for (const shard of entries(blobsDir)) {
    if (!shard.isDirectory()) continue;
    for (const blob of entries(join(blobsDir, shard.name))) {
      const path = join(blobsDir, shard.name, blob.name);
      // A name that is not a digest in its own shard was never written by the blob store: not ours to judge.
      if (!blob.isFile() || !BLOB_NAME.test(blob.name) || blob.name.slice(0, 2) !== shard.name) continue;
      if (isReferenced(blob.name)) continue;
      report.unreferencedBytes += sizeOf(path);
      rmSync(path, { force: true });
      report.unreferencedBlobs++;
    }
  }
  return report;
}

/** The cloud.log line for a sweep. */
export function describeSweep(report: SweepReport): string {
  const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
  return (
    `sweep on start: removed ${report.temporaryFiles} temporary file${report.temporaryFiles === 1 ? '' : 's'} (${mib(report.temporaryBytes)} MiB), ` +
    `${report.unreferencedBlobs} unreferenced blob${report.unreferencedBlobs === 1 ? '' : 's'} (${mib(report.unreferencedBytes)} MiB) ` +
    `and ${report.stagingFolders} half-unpacked code folder${report.stagingFolders === 1 ? '' : 's'}`
  );
}
