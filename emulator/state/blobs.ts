// Object bodies and function code, stored as files named by the SHA-256 of their content, never by a key
// or a name from a request, so nothing a client sends can choose a path. Written whole to a temporary file,
// then renamed into place: a blob either exists whole or not at all, kill -9 of the local cloud included. Not
// fsynced, like the database (synchronous=NORMAL): only a crash of the whole machine could lose a recent blob,
// and an fsync put 3-15 ms on every upload's path (BENCHMARKS.md).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, rename, unlink, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Blobs up to this size are written synchronously: an image written through the thread pool (open, write, close,
 * rename: four round trips) took 0.47–0.53 ms, written in place 0.21–0.28 ms, on every upload's and every
 * thumbnail's path. Larger ones (a multipart part, a function's code) go through the pool so that the event loop
 * keeps serving while they are written.
 */
export const SYNC_WRITE_MAX_BYTES = 1024 * 1024;

/** Same steps as the asynchronous path: whole to a temporary file, then renamed into place. */
function writeSmall(tmp: string, target: string, data: Buffer): void {
  writeFileSync(tmp, data);
  try {
    renameSync(tmp, target);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

export class BlobStore {
  private readonly dir: string;
  private readonly tmpDir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'blobs');
    this.tmpDir = join(stateDir, 'tmp');
    mkdirSync(this.dir, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
  }

  /** Stores the bytes and returns their SHA-256 (hex), the blob's only name. */
  async put(data: Buffer): Promise<string> {
    const digest = createHash('sha256').update(data).digest('hex');
    const target = this.pathOf(digest);
    if (existsSync(target)) return digest;
    mkdirSync(join(this.dir, digest.slice(0, 2)), { recursive: true });
    const tmp = join(this.tmpDir, `${digest}.${randomBytes(6).toString('hex')}`);
    if (data.length <= SYNC_WRITE_MAX_BYTES) {
      writeSmall(tmp, target, data);
      return digest;
    }
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, target);
    } catch (error) {
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
    return digest;
  }

  async read(digest: string): Promise<Buffer> {
    return readFile(this.pathOf(digest));
  }

  /** A stream over [start, end] inclusive, as HTTP ranges count. */
  stream(digest: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.pathOf(digest), range);
  }

  size(digest: string): number {
    return statSync(this.pathOf(digest)).size;
  }

  has(digest: string): boolean {
    return existsSync(this.pathOf(digest));
  }

  async remove(digest: string): Promise<void> {
    await unlink(this.pathOf(digest)).catch(() => undefined);
  }

  /** The only place a blob path is built: from a validated hex digest. */
  pathOf(digest: string): string {
    if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`not a blob digest: ${digest.slice(0, 80)}`);
    return join(this.dir, digest.slice(0, 2), digest);
  }
}
