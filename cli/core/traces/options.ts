// The `traces` command line, checked before anything is called: --since (the shared duration parser: 30s,
// 10m, 2h, 1d), counts, trace ids. Bad values are usage errors (exit 2). Pure: no AWS, no terminal.
import { ExitCode, UserError } from '../../output.js';
import { parseDuration } from '../operate/duration.js';
import { TRACES_DEFAULTS } from '../defaults.js';
import { isTraceId, TRACE_RETENTION_MS } from './fetch.js';

export { TRACES_DEFAULTS };

const usage = (message: string): UserError => new UserError(message, ExitCode.usage);

export function parseCount(text: unknown, flag: string, max: number): number {
  const value = typeof text === 'number' ? text : Number(String(text).trim());
  if (!Number.isInteger(value) || value < 1 || value > max || String(text).trim() === '') {
    throw usage(`${flag} must be a whole number from 1 to ${max}, not "${String(text)}"`);
  }
  return value;
}

export interface TracesOptions {
  sinceMs: number;
  limit: number;
  traceIds: string[];
  serviceMap: boolean;
  html?: string;
  /** Poll until at least this many traces are listed. */
  wait?: number;
}

/** `traces`' own flags, as commander parses them. */
export interface TracesFlags {
  since?: string;
  limit?: string;
  traceId?: string | string[];
  serviceMap?: boolean;
  html?: string;
  wait?: string;
}

/** Validates commander's options for `traces`. */
export function resolveTracesOptions(options: TracesFlags): TracesOptions {
  const sinceMs = parseDuration(options.since === undefined ? TRACES_DEFAULTS.since : String(options.since));
  if (sinceMs > TRACE_RETENTION_MS) throw usage(`--since ${String(options.since)} is longer than the 30 days X-Ray keeps traces`);
  const limit = options.limit === undefined ? TRACES_DEFAULTS.limit : parseCount(options.limit, '--limit', 10_000);
  const wait = options.wait === undefined ? undefined : parseCount(options.wait, '--wait', 10_000);
  const rawIds = options.traceId === undefined ? [] : Array.isArray(options.traceId) ? options.traceId.map(String) : [String(options.traceId)];
  const traceIds = rawIds.flatMap((id) => id.split(',')).map((id) => id.trim()).filter(Boolean);
  for (const id of traceIds) {
    if (!isTraceId(id)) throw usage(`--trace-id "${id}" is not an X-Ray trace id (1-<8 hex digits>-<24 hex digits>)`);
  }
  let html: string | undefined;
  if (options.html !== undefined) {
    html = String(options.html);
    if (!html.trim() || html === 'true') throw usage('--html needs a file name');
  }
  return { sinceMs, limit, traceIds, serviceMap: Boolean(options.serviceMap), html, wait };
}
