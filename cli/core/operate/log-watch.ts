// Watches the function's logs while `upload` waits, so a rejected image, a timeout or a crash ends the wait
// within seconds with the function's own reason instead of a bare timeout. The judging is pure
// (KeyLogJudge); the loop around it only polls FilterLogEvents. It never decides that a thumbnail exists.
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { parseLogLine, type ParsedLogLine } from './log-lines.js';
import type { LogEvent } from './log-format.js';
import { filterLogEvents, LogGroupMissingError, sleepUnlessAborted } from './logs.js';
import { LOG_MESSAGES } from '../../../function/log-messages.js';

/** Why the function will not make this thumbnail. */
export interface FunctionVerdict {
  /** rejected: the function refused the image; skipped: it ignored the key; failed: a timeout or crash. */
  outcome: 'rejected' | 'skipped' | 'failed';
  reason: string;
  requestId?: string;
  timestamp: number;
}

/** Lines the function's handler writes. */
const MESSAGES = LOG_MESSAGES;

/** CloudWatch Logs refuses a filter pattern longer than this (InvalidParameterException). */
export const MAX_FILTER_PATTERN_LENGTH = 1024;

/**
 * A CloudWatch Logs filter pattern for the lines that matter to one upload: any line naming the key, and the
 * failures that name no key (timeouts, runtime errors, a misconfigured function). `?` terms are OR-ed. A key
 * too long for the pattern's 1,024 characters is searched by its longest prefix that fits: a quoted term
 * matches anywhere in a line, so every line naming the key still matches, and the judge tells keys apart.
 */
export function watchFilterPattern(key: string): string {
  const quote = (term: string): string => `"${term.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const failures = ['Task timed out', 'ERROR', 'Status: error', 'errorType'].map((term) => ` ?${quote(term)}`).join('');
  const room = MAX_FILTER_PATTERN_LENGTH - failures.length - '?""'.length;
  let term = '';
  let quotedLength = 0;
  // By code point, so a prefix never ends inside a surrogate pair.
  for (const character of key) {
    const added = quote(character).length - 2;
    if (quotedLength + added > room) break;
    term += character;
    quotedLength += added;
  }
  return `?${quote(term)}${failures}`;
}

/**
 * Reads log events one at a time and decides whether they doom the upload of `key`.
 *
 * A line with a `key` field belongs to that key; the invocation (requestId) that wrote it belongs to it too.
 * A timeout or runtime error names no key: it counts against this upload unless its invocation is known to
 * have been working on another key (so a burst of other uploads' failures does not fail ours, mostly).
 */
export class KeyLogJudge {
  /** The function logged this key at least once. */
  mentioned = false;
  /** When the function logged that it created this thumbnail (at or after `since`); for variants, the last of them. */
  createdAt?: number;
  /** The thumbnail keys the function logged as created (at or after `since`): a variant's `thumbnailKey`, else the key. */
  readonly createdKeys = new Set<string>();
  /** The last transient failure for this key (Lambda retries those). */
  transientReason?: string;
  /** The last error reading the logs, other than a log group that does not exist yet. */
  readError?: string;
  private readonly ours = new Set<string>();
  private readonly others = new Set<string>();
  private readonly seen = new Set<string>();

  constructor(
    readonly key: string,
    /** The upload's start, epoch ms: older lines are from earlier uploads. */
    readonly since: number,
  ) {}

  /** @returns A verdict when the event shows the function will not make the thumbnail. */
  judge(event: LogEvent): FunctionVerdict | undefined {
    if (this.seen.has(event.eventId)) return undefined;
    this.seen.add(event.eventId);
    const line = parseLogLine(event.message);
    const lineKey = typeof line.fields?.key === 'string' ? line.fields.key : undefined;
    const reason = typeof line.fields?.reason === 'string' ? line.fields.reason : line.text;
    const at = { requestId: line.requestId, timestamp: event.timestamp };

    if (lineKey !== undefined && lineKey !== this.key) {
      if (line.requestId) this.others.add(line.requestId);
      return undefined;
    }
    if (lineKey === this.key) {
      this.mentioned = true;
      if (line.requestId) this.ours.add(line.requestId);
      if (line.text.startsWith(MESSAGES.created)) {
        if (event.timestamp >= this.since) {
          this.createdAt = event.timestamp;
          const thumbnailKey = line.fields?.thumbnailKey;
          this.createdKeys.add(typeof thumbnailKey === 'string' ? thumbnailKey : this.key);
        }
        return undefined;
      }
      if (line.kind === 'error' && line.text.includes('rejected')) return { outcome: 'rejected', reason, ...at };
      if (line.text.startsWith(MESSAGES.skipped)) return { outcome: 'skipped', reason, ...at };
      if (line.text.startsWith(MESSAGES.retrying)) this.transientReason = reason;
      return undefined;
    }
    // A line that names no key: only a timeout or a crash matters. An ERROR-level line by itself does not
    // (a warning printed with console.error at start-up is one); a crash always ends in a runtime error
    // document (`Invoke Error {"errorType": ...}`) or a REPORT with `Status: error`.
    if (!isFatal(line)) return undefined;
    if (line.requestId && this.others.has(line.requestId) && !this.ours.has(line.requestId)) return undefined;
    const ours = line.requestId !== undefined && this.ours.has(line.requestId);
    return { outcome: 'failed', reason: ours && this.transientReason ? `${line.text} (after: ${this.transientReason})` : line.text, ...at };
  }
}

/** A timeout, a runtime error document, or a platform line saying the invocation or init failed. */
function isFatal(line: ParsedLogLine): boolean {
  if (line.kind === 'timeout') return true;
  if (line.kind !== 'error') return false;
  const fields = line.fields;
  const nested = fields?.message && typeof fields.message === 'object' ? (fields.message as Record<string, unknown>) : undefined;
  return /\bStatus: error\b/.test(line.text) || [fields?.errorType, fields?.errorMessage, nested?.errorType].some((value) => typeof value === 'string');
}

export interface WatchOptions {
  logGroupName: string;
  judge: KeyLogJudge;
  /** Time between polls (default 300 ms). */
  intervalMs?: number;
  signal: AbortSignal;
}

/**
 * Polls the log group until a verdict comes or the signal aborts (then resolves undefined). Errors reading
 * the logs (a log group not created yet, throttling) never fail the upload: the thumbnail poll decides.
 */
export async function watchForFailure(client: CloudWatchLogsClient, options: WatchOptions): Promise<FunctionVerdict | undefined> {
  const { judge, signal } = options;
  const interval = options.intervalMs ?? 300;
  // A second of slack: CloudWatch timestamps come from another clock than ours.
  let cursor = judge.since - 1000;
  const pattern = watchFilterPattern(judge.key);
  while (!signal.aborted) {
    await sleepUnlessAborted(interval, signal);
    if (signal.aborted) break;
    try {
      const events = await filterLogEvents(client, { logGroupName: options.logGroupName, startTime: cursor, filterPattern: pattern }, signal);
      for (const event of events) {
        const verdict = judge.judge(event);
        if (verdict) return verdict;
      }
      // Look back a little on each poll: events can be indexed after later ones (the judge skips repeats).
      const newest = events.reduce((max, event) => Math.max(max, event.timestamp), cursor);
      cursor = Math.max(cursor, newest - 5000);
    } catch (error) {
      if (signal.aborted) break;
      if (!(error instanceof LogGroupMissingError)) judge.readError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }
  return undefined;
}
