// Lays out the function's log events for people (`thumbctl logs`, the `invoke` log tail) and for scripts
// (`--json` lines). Pure: it returns strings; colour comes in as a paint function so the terminal decides.
import { parseLogLine, type LogLineKind, type ParsedLogLine } from './log-lines.js';

/** A log event as FilterLogEvents returns it, with the fields we rely on made required. */
export interface LogEvent {
  timestamp: number;
  /** The log stream name. */
  stream: string;
  message: string;
  eventId: string;
}

/** `logs --json`: one of these per line. */
export interface LogEventJson {
  timestamp: number;
  time: string;
  stream: string;
  message: string;
  eventId: string;
}

/** Colours a string with an SGR code (output.paint); absent when the output is not a colour terminal. */
export type Paint = (code: string, text: string) => string;

const COLOURS: Partial<Record<LogLineKind, string>> = { error: '31', timeout: '1;31', warn: '33', report: '36', start: '2', end: '2' };
/** Without colour, these set the lines that matter apart. */
const MARKERS: Partial<Record<LogLineKind, string>> = { error: '!!', timeout: '!!', warn: ' !', report: '--' };

/** Fields a structured line shows elsewhere (the header) or that only add noise. */
const HEADER_FIELDS = new Set(['level', 'message', 'timestamp', 'time', 'service', 'sampling_rate']);

/**
 * A Lambda log stream's distinguishing part: `2026/01/02/[$LATEST]4f1c9a0d…` is `4f1c9a0`.
 *
 * @param stream - The log stream name.
 */
export function shortStreamId(stream: string): string {
  const bracket = stream.lastIndexOf(']');
  const id = bracket >= 0 ? stream.slice(bracket + 1) : stream.slice(stream.lastIndexOf('/') + 1);
  return (id || stream).slice(0, 7);
}

/** `HH:MM:SS.mmm` in local time. */
export function clockTime(timestamp: number): string {
  const date = new Date(timestamp);
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function toJsonLine(event: LogEvent): LogEventJson {
  return { timestamp: event.timestamp, time: new Date(event.timestamp).toISOString(), stream: event.stream, message: event.message.replace(/\n$/, ''), eventId: event.eventId };
}

/**
 * The body of a line as lines: the header (level and text) first, then what follows it — a structured line's
 * other fields as JSON, a runtime error's stack, or a multi-line message's further lines — unindented.
 */
function describe(parsed: ParsedLogLine): string[] {
  const [first = '', ...more] = parsed.text.split('\n');
  const platform = parsed.kind === 'start' || parsed.kind === 'end' || parsed.kind === 'report' || /^(REPORT|INIT_REPORT|INIT_START)\b/.test(parsed.text);
  const header = `${parsed.level && !platform ? `${parsed.level.padEnd(5)} ` : ''}${first}`;
  const fields = parsed.fields;
  if (!fields || platform) return [header, ...more];
  // A runtime error's fields repeat the header; only its stack is worth showing.
  if (typeof fields.errorMessage === 'string') {
    const stack = Array.isArray(fields.stack) ? fields.stack.map((line) => `    ${String(line).trim()}`) : [];
    return [header, ...more, ...stack.slice(1)];
  }
  const rest = Object.fromEntries(Object.entries(fields).filter(([name]) => !HEADER_FIELDS.has(name)));
  if (Object.keys(rest).length === 0) return [header, ...more];
  return [header, ...more, ...JSON.stringify(rest, null, 2).split('\n').map((line) => `  ${line}`)];
}

/** Marks or colours a line's body and indents its continuation lines by `indent`. */
function layout(kind: LogLineKind, lines: string[], indent: number, paint: Paint | undefined): string {
  const marker = paint ? '' : MARKERS[kind] ? `${MARKERS[kind]} ` : '';
  const pad = ' '.repeat(indent + marker.length);
  const text = lines.map((line, index) => (index === 0 ? `${marker}${line}` : line === '' ? '' : `${pad}${line}`)).join('\n');
  const colour = paint ? COLOURS[kind] : undefined;
  return colour && paint ? paint(colour, text) : text;
}

/**
 * One event as people read it: `12:00:01.123 4f1c9a0 <body>`, JSON pretty-printed under it, errors, timeouts
 * and REPORT lines set apart (coloured when paint is given, marked otherwise), and a blank line after each REPORT.
 *
 * @param event - The event.
 * @param paint - output.paint on a colour terminal; undefined otherwise.
 */
export function formatLogEvent(event: LogEvent, paint?: Paint): string {
  const parsed = parseLogLine(event.message);
  const prefix = `${clockTime(event.timestamp)} ${shortStreamId(event.stream)} `;
  const text = layout(parsed.kind, describe(parsed), prefix.length, paint);
  // A blank line after each REPORT sets one invocation apart from the next.
  const endsInvocation = /^REPORT\b/.test(parsed.text);
  return `${paint ? paint('2', prefix) : prefix}${text}${endsInvocation ? '\n' : ''}`;
}

/**
 * The `invoke` log tail (LogResult, already decoded): each line laid out like formatLogEvent, without time and stream.
 *
 * @param tail - The decoded tail, possibly starting mid-line (Lambda keeps the last 4 KB).
 * @param paint - output.paint on a colour terminal; undefined otherwise.
 */
export function formatLogTail(tail: string, paint?: Paint): string {
  return tail
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const parsed = parseLogLine(line);
      return layout(parsed.kind, describe(parsed), 0, paint);
    })
    .join('\n');
}
