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

/** The body of a line: the header text and, for structured lines, the remaining fields as indented JSON. */
function describe(parsed: ParsedLogLine, indent: string): string {
  if (!parsed.fields || parsed.kind === 'report' || parsed.kind === 'timeout') return parsed.text;
  const rest = Object.fromEntries(Object.entries(parsed.fields).filter(([name]) => !HEADER_FIELDS.has(name)));
  const level = parsed.level ? `${parsed.level.padEnd(5)} ` : '';
  const header = `${level}${parsed.text}`;
  // A runtime error's fields repeat the header; only its stack is worth showing.
  if (typeof parsed.fields.errorMessage === 'string') {
    const stack = Array.isArray(parsed.fields.stack) ? parsed.fields.stack.map(String) : [];
    return [header, ...stack.slice(1).map((line) => `${indent}${line.trim()}`)].join('\n');
  }
  if (Object.keys(rest).length === 0) return header;
  const body = JSON.stringify(rest, null, 2).split('\n').map((line) => `${indent}${line}`).join('\n');
  return `${header}\n${body}`;
}

function decorate(kind: LogLineKind, text: string, paint: Paint | undefined): string {
  if (paint) {
    const colour = COLOURS[kind];
    return colour ? paint(colour, text) : text;
  }
  const marker = MARKERS[kind];
  return marker ? `${marker} ${text}` : text;
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
  const text = decorate(parsed.kind, describe(parsed, ' '.repeat(prefix.length + 2)), paint);
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
      return decorate(parsed.kind, describe(parsed, '    '), paint);
    })
    .join('\n');
}
