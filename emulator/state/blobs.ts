// Object bodies and function code, stored as files named by the SHA-256 of their content, never by a key
// or a name from a request, so nothing a client sends can choose a path. Written whole to a temporary file,
// then renamed into place: a blob either exists whole or not at all, kill -9 of the local cloud included. Not
// fsynced, like the database (synchronous=NORMAL): only a crash of the whole machine could lose a recent blob,
// and an fsync put 3-15 ms on every upload's path (BENCHMARKS.md). A write that fails (a full disk) removes its
// temporary file; one cut short by kill -9 leaves it for the sweep on the next start (sweep.ts).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, rename, unlink, readFile, writeFile, type FileHandle } from 'node:fs/promises';
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
  try {
    writeFileSync(tmp, data);
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
    try {
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(data);
      } finally {
        await handle.close();
      }
      await rename(tmp, target);
    } catch (error) {
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
    return digest;
  }

  /** A blob written piece by piece (a body as it arrives, an object assembled from parts); see BlobDraft. */
  draft(): BlobDraft {
    return new BlobDraft(this);
  }

  /** @internal A fresh temporary path for a draft. */
  temporaryPath(): string {
    return join(this.tmpDir, `draft.${randomBytes(8).toString('hex')}`);
  }

  /** @internal Puts a finished temporary file in place as the blob `digest` (or drops it when the blob exists). Synchronous: see BlobDraft.place. */
  adoptSync(tmp: string, digest: string): void {
    const target = this.pathOf(digest);
    try {
      if (existsSync(target)) {
        rmSync(tmp, { force: true });
        return;
      }
      mkdirSync(join(this.dir, digest.slice(0, 2)), { recursive: true });
      renameSync(tmp, target);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
  }

  /** @internal Writes bytes in place as the blob `digest`, synchronously, unless it exists. */
  writeSync(data: Buffer, digest: string): void {
    const target = this.pathOf(digest);
    if (existsSync(target)) return;
    mkdirSync(join(this.dir, digest.slice(0, 2)), { recursive: true });
    writeSmall(join(this.tmpDir, `${digest}.${randomBytes(6).toString('hex')}`), target, data);
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

/**
 * A blob being written: its bytes are held in memory up to SYNC_WRITE_MAX_BYTES, and past that spill to one
 * temporary file, so a body of any size costs at most that much memory. Hashed as it goes (the SHA-256 is the
 * blob's name). `seal` finishes writing; `place` then puts it in the store synchronously, so the caller can
 * commit the metadata naming it in the same tick (a concurrent release of an identical blob cannot slip in
 * between). `discard` removes the temporary file; every path that does not place a draft must discard it.
 */
export class BlobDraft {
  private readonly hash = createHash('sha256');
  private held: Buffer[] = [];
  private heldBytes = 0;
  private file?: FileHandle;
  private tmp?: string;
  private sealed?: string;
  private discarded = false;
  /** Bytes written so far. */
  size = 0;

  constructor(private readonly store: BlobStore) {}

  async write(data: Buffer): Promise<void> {
    if (this.sealed !== undefined || this.discarded) throw new Error('write to a finished blob draft');
    if (data.length === 0) return;
    this.hash.update(data);
    this.size += data.length;
    if (!this.tmp && this.heldBytes + data.length <= SYNC_WRITE_MAX_BYTES) {
      this.held.push(data);
      this.heldBytes += data.length;
      return;
    }
    if (!this.tmp) {
      this.tmp = this.store.temporaryPath();
      this.file = await open(this.tmp, 'w');
      const held = this.held;
      this.held = [];
      this.heldBytes = 0;
      for (const piece of held) await this.writeAll(piece);
    }
    await this.writeAll(data);
  }

  /**
   * Finishes writing: bytes still held in memory go to a temporary file now, asynchronously, so that place() is a
   * rename and no body is written synchronously on the event loop (unless the store holds that blob already).
   * @returns the blob's digest (SHA-256, hex)
   */
  async seal(): Promise<string> {
    if (this.sealed !== undefined) return this.sealed;
    if (this.file) {
      const file = this.file;
      this.file = undefined;
      await file.close();
    }
    const digest = this.hash.digest('hex');
    if (!this.tmp && this.heldBytes > 0 && !this.store.has(digest)) {
      const tmp = this.store.temporaryPath();
      try {
        await writeFile(tmp, this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held));
      } catch (error) {
        rmSync(tmp, { force: true });
        throw error;
      }
      // Discarded while it was being written: nothing will place it.
      if (this.discarded) rmSync(tmp, { force: true });
      else this.tmp = tmp;
    }
    this.sealed = digest;
    return this.sealed;
  }

  /** Puts the sealed blob in the store, synchronously. @returns its digest */
  place(): string {
    if (this.sealed === undefined) throw new Error('place an unsealed blob draft');
    if (this.tmp) this.store.adoptSync(this.tmp, this.sealed);
    else this.store.writeSync(this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held), this.sealed);
    this.tmp = undefined;
    this.held = [];
    return this.sealed;
  }

  /** Reads back everything written, in order, from memory or from the temporary file (a checksum decided late). Call after seal. */
  async readBack(visit: (piece: Buffer) => void): Promise<void> {
    if (this.held.length > 0 || !this.tmp) {
      for (const piece of this.held) visit(piece);
      return;
    }
    for await (const chunk of createReadStream(this.tmp)) visit(chunk as Buffer);
  }

  /** Drops what was written (idempotent, never throws). */
  discard(): void {
    this.discarded = true;
    this.held = [];
    const file = this.file;
    this.file = undefined;
    file?.close().catch(() => undefined);
    if (this.tmp) rmSync(this.tmp, { force: true });
    this.tmp = undefined;
  }

  private async writeAll(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.file!.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  }
}
