// The durable queue of asynchronous invocations (S3 events, `Event` invokes) in the shared SQLite database: what
// is queued, who claimed it, when it may run again. Only SQL and row shapes: when to claim, retry or drop an
// event is the worker's (queue.ts), what running one means is the executor's (executor.ts).
import { migrate, type Db } from '../../state/database.js';

export interface QueuedEvent {
  id: number;
  functionName: string;
  requestId: string;
  payload: string;
  source: 's3' | 'invoke';
  traceHeader?: string;
  enqueuedAt: number;
  attempts: number;
}

/** One asynchronous invocation to queue. */
export interface NewEvent {
  functionName: string;
  requestId: string;
  payload: string;
  source: 's3' | 'invoke';
  traceHeader?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS lambda_event_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  function_name TEXT NOT NULL,
  request_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  source TEXT NOT NULL,
  trace_header TEXT,
  enqueued_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  available_at INTEGER NOT NULL,
  claimed_by TEXT,
  claimed_at INTEGER
);
CREATE INDEX IF NOT EXISTS lambda_event_queue_ready ON lambda_event_queue (claimed_by, available_at, id);
`;

interface QueueRow {
  id: number;
  function_name: string;
  request_id: string;
  payload: string;
  source: string;
  trace_header: string | null;
  enqueued_at: number;
  attempts: number;
}

export class EventQueue {
  private readonly statements;

  constructor(db: Db) {
    migrate(db, SCHEMA);
    this.statements = {
      enqueue: db.prepare<[string, string, string, string, string | null, number, number]>(
        'INSERT INTO lambda_event_queue (function_name, request_id, payload, source, trace_header, enqueued_at, available_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      claim: db.prepare<[string, number, number], QueueRow>(
        `UPDATE lambda_event_queue SET claimed_by = ?, claimed_at = ?
         WHERE id = (SELECT id FROM lambda_event_queue WHERE claimed_by IS NULL AND available_at <= ? ORDER BY id LIMIT 1)
         RETURNING *`,
      ),
      complete: db.prepare<[number]>('DELETE FROM lambda_event_queue WHERE id = ?'),
      retry: db.prepare<[number, number, number]>('UPDATE lambda_event_queue SET claimed_by = NULL, claimed_at = NULL, attempts = ?, available_at = ? WHERE id = ?'),
      release: db.prepare<[string]>('UPDATE lambda_event_queue SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by = ?'),
      owners: db.prepare<[], { claimed_by: string; claimed_at: number }>('SELECT DISTINCT claimed_by, MIN(claimed_at) AS claimed_at FROM lambda_event_queue WHERE claimed_by IS NOT NULL GROUP BY claimed_by'),
      nextAvailable: db.prepare<[], { at: number | null }>('SELECT MIN(available_at) AS at FROM lambda_event_queue WHERE claimed_by IS NULL'),
      queued: db.prepare<[], { count: number }>('SELECT COUNT(*) AS count FROM lambda_event_queue'),
    };
  }

  /** Inserts (and commits, before returning) one asynchronous invocation. */
  enqueue(event: NewEvent, now = Date.now()): void {
    this.statements.enqueue.run(event.functionName, event.requestId, event.payload, event.source, event.traceHeader ?? null, now, now);
  }

  /** Atomically claims the oldest available event for `owner`. */
  claimNext(owner: string, now = Date.now()): QueuedEvent | undefined {
    const row = this.statements.claim.get(owner, now, now);
    return row ? fromQueueRow(row) : undefined;
  }

  completeEvent(id: number): void {
    this.statements.complete.run(id);
  }

  retryEventLater(id: number, attempts: number, availableAt: number): void {
    this.statements.retry.run(attempts, availableAt, id);
  }

  /** Gives back every claim of `owner` (on stop: the events run again after restart). */
  releaseClaims(owner: string): void {
    this.statements.release.run(owner);
  }

  /** Claim owners present in the queue, with their oldest claim time. */
  claimOwners(): { owner: string; claimedAt: number }[] {
    return this.statements.owners.all().map((row) => ({ owner: row.claimed_by, claimedAt: row.claimed_at }));
  }

  /** When the next unclaimed event becomes available (undefined when none is queued). */
  nextAvailableAt(): number | undefined {
    return this.statements.nextAvailable.get()?.at ?? undefined;
  }

  queuedCount(): number {
    return this.statements.queued.get()?.count ?? 0;
  }
}

function fromQueueRow(row: QueueRow): QueuedEvent {
  return {
    id: row.id,
    functionName: row.function_name,
    requestId: row.request_id,
    payload: row.payload,
    source: row.source === 's3' ? 's3' : 'invoke',
    traceHeader: row.trace_header ?? undefined,
    enqueuedAt: row.enqueued_at,
    attempts: row.attempts,
  };
}
