// What the local cloud does when the disk under its state directory fills up: a write that does not fit fails
// with a "disk is full" error the server answers with 503 (as S3 answers when it cannot take a write), saying
// where; and the cloud keeps a small reserve file it gives back at that moment, so that what frees space
// (deletes, aborts: SQLite needs a few pages of WAL for them), the cloud.log line and a restart still have room.
// While the disk stays full, clients' writes are refused at once instead of eating that room; once deletes have
// freed enough, the reserve is taken again and writes resume. It does not decide which operations are writes.
import { renameSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The reserve: room for SQLite to commit deletes (a few pages of WAL each) and for the start-up of a restart. */
export const DISK_RESERVE_BYTES = 2 * 1024 * 1024;
export const DISK_RESERVE_FILE = 'disk-reserve';
/** Writes resume once this much is free beyond the reserve (checked on each write while full). */
const RESUME_HEADROOM_BYTES = 2 * 1024 * 1024;

const SQLITE_DISK_FULL = new Set(['SQLITE_FULL']);
const ERRNO_DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

/** True for the errors a full disk (or an exhausted quota) causes, from node:fs or from SQLite. */
export function isDiskFull(error: unknown): boolean {
  if (error instanceof DiskFullError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (ERRNO_DISK_FULL.has(code) || SQLITE_DISK_FULL.has(code));
}

/** A write refused because the disk is known to be full (no attempt was made). */
export class DiskFullError extends Error {
  override readonly name = 'DiskFullError';
  readonly code = 'ENOSPC';
}

/** Bytes an unprivileged writer may still use on the file system that holds `dir`. */
function availableBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

export class DiskSpace {
  private isFull = false;

  constructor(
    readonly stateDir: string,
    private readonly log: (message: string) => void,
    private readonly reserveBytes = DISK_RESERVE_BYTES,
    private readonly freeBytes: (dir: string) => number = availableBytes,
  ) {}

  private get reservePath(): string {
    return join(this.stateDir, DISK_RESERVE_FILE);
  }

  /** The message clients and cloud.log get. */
  describe(): string {
    return `The local cloud's disk is full: no space left for its state directory ${this.stateDir}. Delete objects (or free space on that disk), then retry.`;
  }

  /** True while the disk is full: background writes (function logs, trace segments) are skipped, not attempted. */
  get full(): boolean {
    if (this.isFull) this.recheck();
    return this.isFull;
  }

  /** Before a client's write. @throws DiskFullError - while the disk is full */
  assertWritable(): void {
    if (this.full) throw new DiskFullError(this.describe());
  }

  /** Gives the reserve back (at start-up, so the start itself has room; then `takeReserve` again). */
  releaseReserve(): void {
    rmSync(this.reservePath, { force: true });
  }

  /**
   * Takes the reserve if it is not held: written whole to a temporary file, then renamed, so a reserve never
   * exists half-written (a partial one would hold space without being counted). @returns whether it is held
   */
  takeReserve(): boolean {
    const temporary = `${this.reservePath}.tmp`;
    try {
      writeFileSync(temporary, Buffer.alloc(this.reserveBytes));
      renameSync(temporary, this.reservePath);
      return true;
    } catch (error) {
      rmSync(temporary, { force: true });
      if (isDiskFull(error)) return false;
      throw error;
    }
  }

  /** At start-up, once the state is open: takes the reserve, or starts out full. */
  afterStart(): void {
    if (!this.takeReserve()) this.enterFull('at start-up');
  }

  /**
   * A write failed. When for lack of space: from now on the disk is full (logged once, with where), and the
   * reserve is given back so deletes can commit. @returns whether the failure was a full disk
   */
  noteFailure(error: unknown): boolean {
    if (!isDiskFull(error)) return false;
    if (!this.isFull) this.enterFull(error instanceof DiskFullError ? 'refusing writes' : `${(error as { code?: string }).code}: ${(error as Error).message}`);
    return true;
  }

  private enterFull(detail: string): void {
    this.isFull = true;
    // The room for the log line, the deletes to come and a restart.
    this.releaseReserve();
    this.log(`disk is full: no space left for the state directory ${this.stateDir} (${detail}); writes are refused with 503 until space is freed, reads and deletes still work`);
  }

  /**
   * While full: enough room again? Then take the reserve back and resume. Asked on every write while full, not
   * throttled: one statfs costs microseconds, and a throttle refused the first write after a delete that came
   * within its interval of the last check, although the delete had made room.
   */
  private recheck(): void {
    let free: number;
    try {
      free = this.freeBytes(this.stateDir);
    } catch {
      return;
    }
    if (free < this.reserveBytes + RESUME_HEADROOM_BYTES) return;
    if (!this.takeReserve()) return;
    this.isFull = false;
    this.log(`disk has room again under ${this.stateDir}: writes resume`);
  }
}
