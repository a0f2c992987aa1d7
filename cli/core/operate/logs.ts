// Reads the function's CloudWatch Logs: one paginated FilterLogEvents query, or a follow loop that polls,
// de-duplicates by eventId and tolerates events that arrive late. No terminal: events go to a callback.
import { FilterLogEventsCommand, type CloudWatchLogsClient, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { LogEvent } from './log-format.js';

export { logGroupName } from '../provision/plan.js';

export interface LogQuery {
  logGroupName: string;
  /** Epoch milliseconds, inclusive. */
  startTime: number;
  endTime?: number;
  filterPattern?: string;
}

/** The log group does not exist: the function has never run (or its logs were deleted). */
export class LogGroupMissingError extends Error {
  override readonly name = 'LogGroupMissingError';
  constructor(readonly logGroupName: string) {
    super(`log group ${logGroupName} does not exist`);
  }
}

const MAX_PAGES = 100;

function toLogEvent(event: FilteredLogEvent): LogEvent {
  return {
    timestamp: event.timestamp ?? 0,
    stream: event.logStreamName ?? '',
    message: event.message ?? '',
    eventId: event.eventId ?? `${event.logStreamName}/${event.timestamp}/${event.message}`,
  };
}

export function isMissingLogGroup(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException';
}

/**
 * Every event matching the query, oldest first, following nextToken (at most 100 pages).
 *
 * @throws LogGroupMissingError when the log group does not exist.
 */
export async function filterLogEvents(client: CloudWatchLogsClient, query: LogQuery, signal?: AbortSignal): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let response;
    try {
      response = await client.send(
        new FilterLogEventsCommand({
          logGroupName: query.logGroupName,
          startTime: query.startTime,
          endTime: query.endTime,
          filterPattern: query.filterPattern || undefined,
          nextToken,
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (isMissingLogGroup(error)) throw new LogGroupMissingError(query.logGroupName);
      throw error;
    }
    events.push(...(response.events ?? []).map(toLogEvent));
    nextToken = response.nextToken;
    if (!nextToken) break;
  }
  // Sorting is stable, so events of one stream with the same timestamp keep their order.
  return events.sort((a, b) => a.timestamp - b.timestamp);
}

export interface FollowOptions {
  query: LogQuery;
  /** Time between polls (default 1 s). */
  intervalMs?: number;
  /** How far before the newest event each poll looks again, for events CloudWatch indexes late (default 10 s). */
  lookbackMs?: number;
  signal: AbortSignal;
  onEvents(events: LogEvent[]): void;
  /** Called once per poll while the log group does not exist yet. */
  onMissingGroup?(): void;
}

/**
 * Polls until the signal aborts, handing each event to onEvents exactly once.
 * A missing log group is not an error here: the function may simply not have run yet.
 */
export async function followLogEvents(client: CloudWatchLogsClient, options: FollowOptions): Promise<void> {
  const { signal } = options;
  const interval = options.intervalMs ?? 1000;
  const lookback = options.lookbackMs ?? 10_000;
  const seen = new Map<string, number>();
  let cursor = options.query.startTime;
  while (!signal.aborted) {
    try {
      const events = await filterLogEvents(client, { ...options.query, startTime: cursor }, signal);
      const fresh = events.filter((event) => !seen.has(event.eventId));
      for (const event of fresh) seen.set(event.eventId, event.timestamp);
      if (fresh.length) options.onEvents(fresh);
      const newest = events.reduce((max, event) => Math.max(max, event.timestamp), cursor);
      cursor = Math.max(cursor, newest - lookback);
      for (const [id, timestamp] of seen) if (timestamp < cursor) seen.delete(id);
    } catch (error) {
      if (signal.aborted) break;
      if (error instanceof LogGroupMissingError) options.onMissingGroup?.();
      else throw error;
    }
    await sleepUnlessAborted(interval, signal);
  }
}

/** Sleeps, waking early when the signal aborts. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
