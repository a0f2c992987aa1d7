// The state directory's lock: at most one local cloud per state directory, ever. It is an OS lock (SQLite's
// exclusive lock, a POSIX fcntl lock, on `<stateDir>/server.lock`) held for the server's whole life, so taking
// it is one atomic step and a killed holder (kill -9 included) gives it up the moment its process is gone:
// there is no stale-lock check, hence no race between "it looks stale" and "remove it". It says nothing about
// who holds it; cli/core/local-cloud.ts records that in server.json.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE_NAME = 'server.lock';

/** Another process (or another cloud in this process) holds the state directory. */
export class StateDirectoryLockedError extends Error {
  override readonly name = 'StateDirectoryLockedError';
  constructor(readonly stateDir: string) {
    super(`the state directory ${stateDir} is in use by another local cloud`);
  }
}

/** How long a starter keeps trying while others race for the lock, and its pauses between attempts. */
const CONTEND_MS = 1_000;
const CONTEND_PAUSE_MIN_MS = 2;
const CONTEND_PAUSE_SPREAD_MS = 20;

/** Blocks this thread for `ms` (start-up only: the lock is taken before the server serves anything). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class StateDirectoryLock {
  private constructor(
    readonly stateDir: string,
    private connection: Database.Database | undefined,
  ) {}

  /**
   * Takes the lock, or returns undefined when someone holds it. SQLite tracks its locks per file within a process
   * too, so a second cloud in this same process is refused like one in another process.
   *
   * One attempt is not enough when several starters race: each takes SQLite's SHARED lock on its way to EXCLUSIVE,
   * and each one's SHARED lock makes every other's EXCLUSIVE fail, so all of them could lose with nobody holding
   * the directory. So a lost attempt is retried after a short random pause for up to `contendMs`: contention
   * ends within a few rounds with one winner, who keeps the lock; a real holder keeps refusing every attempt.
   */
  static tryAcquire(stateDir: string, contendMs = CONTEND_MS): StateDirectoryLock | undefined {
    mkdirSync(stateDir, { recursive: true });
    const deadline = Date.now() + contendMs;
    for (;;) {
      const lock = StateDirectoryLock.attempt(stateDir);
      if (lock) return lock;
      if (Date.now() >= deadline) return undefined;
      sleepSync(CONTEND_PAUSE_MIN_MS + Math.random() * CONTEND_PAUSE_SPREAD_MS);
    }
  }

  /** One attempt: the lock, or undefined at once when another connection holds (or is taking) it. */
  private static attempt(stateDir: string): StateDirectoryLock | undefined {
    const connection = new Database(join(stateDir, LOCK_FILE_NAME), { timeout: 0 });
    try {
      // EXCLUSIVE locking mode keeps the lock of the first write transaction until the connection closes; no
      // rollback journal is left behind, so the file stays a few KB.
      connection.pragma('locking_mode = EXCLUSIVE');
      connection.pragma('journal_mode = MEMORY');
      connection.exec('CREATE TABLE IF NOT EXISTS held (at INTEGER); DELETE FROM held; INSERT INTO held VALUES (unixepoch());');
      return new StateDirectoryLock(stateDir, connection);
    } catch (error) {
      connection.close();
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return undefined;
      throw error;
    }
  }

  /** @throws StateDirectoryLockedError - when someone holds it */
  static acquire(stateDir: string): StateDirectoryLock {
    const lock = StateDirectoryLock.tryAcquire(stateDir);
    if (!lock) throw new StateDirectoryLockedError(stateDir);
    return lock;
  }

  get held(): boolean {
    return this.connection !== undefined;
  }

  /** Gives the lock up (closing the connection drops the OS lock). Idempotent. */
  release(): void {
    const connection = this.connection;
    this.connection = undefined;
    connection?.close();
  }
}
