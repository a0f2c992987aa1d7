// The local cloud's metadata store: one SQLite database in the state directory, shared by every service.
// WAL with synchronous=NORMAL: a commit is in the WAL file (the OS's page cache) before it returns, so an
// acknowledged write survives kill -9 of the local cloud; only a crash of the whole machine may lose the last
// commits, which stay consistent. FULL also fsynced every commit, blocking the one event loop for 0.3-5 ms about
// fifteen times per thumbnail (BENCHMARKS.md). A busy timeout so two thumbctl processes on one state directory
// wait for each other instead of failing or corrupting it.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

export function openDatabase(stateDir: string): Db {
  mkdirSync(stateDir, { recursive: true });
  const db = new Database(join(stateDir, 'state.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  // Sorts and temporary b-trees in memory (they are small here): a full disk must not fail a read or a delete.
  db.pragma('temp_store = MEMORY');
  return db;
}

/**
 * Each store creates its own tables with this, at start-up; statements are idempotent (`IF NOT EXISTS`).
 * @param db - the shared database
 * @param ddl - CREATE TABLE / CREATE INDEX statements
 */
export function migrate(db: Db, ddl: string): void {
  db.exec(ddl);
}

/**
 * SQL text → its statement, compiled on first use and reused after: better-sqlite3 statements are reusable,
 * and compiling costs more than running the small queries the stores make (IAM's authorization reads a role's
 * policies on each of a function's calls). Never toggles a statement's mode (pluck, raw), which would stick.
 */
export function statementCache(db: Db): (sql: string) => Database.Statement {
  const statements = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}
