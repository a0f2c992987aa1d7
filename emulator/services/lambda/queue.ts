// The worker behind asynchronous invocations (S3 events, `Event` invokes): claims queued events (event-queue.ts),
// has the executor run them, deletes them on success, retries failures with backoff, then drops them with a log
// line. At-least-once: a claim left by a dead process is given back at start. It never blocks an enqueue.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { processIsAlive } from '../../core/processes.js';
import type { LambdaTuning } from '../../runtime/tuning.js';
import type { EventQueue, QueuedEvent } from './event-queue.js';

/** How one attempt at a queued event went, as the executor reports it. */
export type RunOutcome =
  | { result: 'succeeded' }
  | { result: 'no-function' }
  /** The function is not ready (Pending) until then: the event waits, and it is not an attempt. */
  | { result: 'not-ready'; until: number }
  /** `note` writes a line where the function's own logs of this attempt went. */
  | { result: 'failed'; reason: string; note(line: string): void };

/** Runs one attempt (1-based) at a queued event. */
export type RunQueuedEvent = (event: QueuedEvent, attempt: number) => Promise<RunOutcome>;

export interface WorkerOptions {
  tuning: () => LambdaTuning;
  log(message: string): void;
}

/** Claims older than this are given back whoever holds them (no invocation runs this long). */
const STALE_CLAIM_MS = 30 * 60_000;
/** Claim owners (`host:pid:instance`) of workers running in this process. */
const liveInstances = new Set<string>();

export class AsyncInvokeWorker {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private running = false;
  /** Set while shutting down: running events finish, no new ones are claimed. */
  private draining = false;
  private inFlight = 0;
  private readonly drainWaiters: (() => void)[] = [];
  private wakeScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private fallbackTimer: NodeJS.Timeout | undefined;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly queue: EventQueue,
    private readonly run: RunQueuedEvent,
    private readonly options: WorkerOptions,
  ) {}

  start(): void {
    this.running = true;
    liveInstances.add(this.owner);
    this.requeueAbandonedClaims();
    // A safety net only: enqueues wake the worker directly, retries set their own timer.
    this.fallbackTimer = setInterval(() => this.wake(), 1000);
    this.fallbackTimer.unref();
    this.wake();
  }

  /**
   * Lets the events already running finish (up to `timeoutMs`) before stopping, so a command's own local cloud
   * does not kill a function half-way through a thumbnail when the command ends. Nothing new is claimed.
   */
  async drain(timeoutMs: number): Promise<void> {
    if (!this.running) return;
    this.draining = true;
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        this.drainWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.stop();
  }

  /** Stops claiming; claims of events still running are given back (they run again after a restart). */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    liveInstances.delete(this.owner);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.fallbackTimer) clearInterval(this.fallbackTimer);
    this.queue.releaseClaims(this.owner);
  }

  /** Looks for work on the next turn of the event loop (never inside the enqueuing caller's stack). */
  wake(): void {
    if (this.wakeScheduled || !this.running) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.pump();
    });
  }

  /** Resolves when nothing is queued or running (for tests and graceful shutdowns). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0 && this.queue.queuedCount() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (!this.running) return;
    const { maxConcurrency } = this.options.tuning();
    while (this.running && !this.draining && this.inFlight < maxConcurrency) {
      let event: QueuedEvent | undefined;
      try {
        event = this.queue.claimNext(this.owner);
      } catch (error) {
        this.options.log(`lambda: cannot read the async queue: ${(error as Error).message}`);
        break;
      }
      if (!event) break;
      this.inFlight += 1;
      void this.process(event).finally(() => {
        this.inFlight -= 1;
        if (this.inFlight === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
        this.wake();
        this.notifyIfIdle();
      });
    }
    this.scheduleRetryTimer();
    this.notifyIfIdle();
  }

  private scheduleRetryTimer(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const next = this.queue.nextAvailableAt();
    if (next === undefined) return;
    this.retryTimer = setTimeout(() => this.wake(), Math.max(0, next - Date.now()) + 1);
    this.retryTimer.unref();
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length === 0 || this.inFlight > 0 || !this.running) return;
    if (this.queue.queuedCount() > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async process(event: QueuedEvent): Promise<void> {
    const attempt = event.attempts + 1;
    const outcome = await this.run(event, attempt);
    if (outcome.result === 'no-function') {
      this.options.log(`lambda: dropped async event ${event.requestId}: function ${event.functionName} does not exist`);
      this.queue.completeEvent(event.id);
      return;
    }
    if (outcome.result === 'not-ready') {
      this.queue.retryEventLater(event.id, event.attempts, outcome.until);
      return;
    }
    // Stopped meanwhile: the claim was given back and the database may be closing; the event runs again later.
    if (!this.running) return;
    if (outcome.result === 'succeeded') {
      this.queue.completeEvent(event.id);
      return;
    }
    const delays = this.options.tuning().retryDelaysMs;
    if (attempt <= delays.length) {
      this.queue.retryEventLater(event.id, attempt, Date.now() + (delays[attempt - 1] ?? 0));
      return;
    }
    this.queue.completeEvent(event.id);
    const line = `${new Date().toISOString()} ${event.requestId} Dropped asynchronous event after ${attempt} attempts (last error: ${outcome.reason})`;
    this.options.log(`lambda: ${event.functionName}: ${line}`);
    outcome.note(line);
  }

  /** Gives back claims whose owner process is gone (or that are hopelessly old). */
  private requeueAbandonedClaims(): void {
    const now = Date.now();
    for (const { owner, claimedAt } of this.queue.claimOwners()) {
      if (owner === this.owner) continue;
      if (ownerIsGone(owner) || now - claimedAt > STALE_CLAIM_MS) {
        this.options.log(`lambda: re-queueing async events claimed by ${owner}`);
        this.queue.releaseClaims(owner);
      }
    }
  }
}

function ownerIsGone(owner: string): boolean {
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid)) return false;
  if (pid === process.pid) return !liveInstances.has(owner);
  return !processIsAlive(pid);
}
