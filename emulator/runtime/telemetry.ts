// Where function logs and Lambda's trace segments go: logs in short batches (a few ms) handed to the Logs store,
// so an invocation's lines cost one write instead of one per line; an invocation's trace segments, which come as one
// batch already, to the X-Ray store at once, so its trace is readable as soon as the invocation is over. Stores may
// be absent (their services not wired yet): then lines and segments are dropped. Failures here never fail an invocation.
import type { LogsForOthers, XRayForOthers } from '../core/context.js';

/**
 * CloudWatch Logs' largest event: 256 KB, including 26 bytes of overhead (LOGS_LIMITS in the Logs store). Not
 * imported from there: the runtime depends on core's LogsForOthers only, not on the Logs service's SQLite store.
 */
const MAX_EVENT_BYTES = 256 * 1024 - 26;

export class TelemetryBatcher {
  private readonly logBatches = new Map<string, { group: string; stream: string; events: { timestamp: number; message: string }[] }>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * @param logs - the Logs store, looked up at each flush
   * @param xray - the X-Ray store, looked up at each append
   * @param warn - the cloud's diagnostic log
   * @param delayMs - how long lines wait to be batched
   */
  constructor(
    private readonly logs: () => LogsForOthers | undefined,
    private readonly xray: () => XRayForOthers | undefined,
    private readonly warn: (message: string) => void,
    private readonly delayMs = 20,
  ) {}

  /** Queues one log event; `message` is the event's text (Lambda ends each with a newline). */
  appendLog(group: string, stream: string, message: string, timestamp: number = Date.now()): void {
    if (this.closed) return;
    const key = `${group}\u0000${stream}`;
    let batch = this.logBatches.get(key);
    if (!batch) {
      batch = { group, stream, events: [] };
      this.logBatches.set(key, batch);
    }
    if (Buffer.byteLength(message) > MAX_EVENT_BYTES) message = Buffer.from(message).subarray(0, MAX_EVENT_BYTES).toString('utf8');
    batch.events.push({ timestamp, message });
    this.schedule();
  }

  /** Records one invocation's segments now: whoever reads the trace right after the invocation finds it whole. */
  appendSegments(documents: string[]): void {
    if (this.closed || documents.length === 0) return;
    const xray = this.xray();
    if (!xray) return;
    try {
      xray.putSegments(documents);
    } catch (error) {
      this.warn(`lambda: could not record ${documents.length} trace segments: ${(error as Error).message}`);
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.delayMs);
  }

  /** Writes what is queued and drops anything later (the stores are closing). */
  close(): void {
    this.flush();
    this.closed = true;
  }

  /** Writes everything queued now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.logBatches.values()];
    this.logBatches.clear();
    const logs = this.logs();
    if (logs) {
      for (const batch of batches) {
        try {
          // putEvents creates the group and stream on first use.
          logs.putEvents(batch.group, batch.stream, batch.events);
        } catch (error) {
          this.warn(`lambda: could not write ${batch.events.length} log events to ${batch.group}: ${(error as Error).message}`);
        }
      }
    }
  }
}
