// Reads one Lambda log line as CloudWatch Logs stores it and says what it is: the platform's START/END/REPORT
// lines, `Task timed out`, a runtime error, or the function's own output (Powertools JSON, or the Node.js
// runtime's tab-separated `time<TAB>requestId<TAB>LEVEL<TAB>message`). Pure; no formatting, no AWS.

export type LogLineKind = 'start' | 'end' | 'report' | 'timeout' | 'error' | 'warn' | 'info';

export interface ParsedLogLine {
  kind: LogLineKind;
  /** The invocation the line belongs to, when the line says. */
  requestId?: string;
  /** The level the line declares (INFO, ERROR, ...), upper-case. */
  level?: string;
  /** The human part of the line: the JSON's `message`, or the text without the runtime's prefix. */
  text: string;
  /** The line's JSON object (a structured log line, or a runtime error's `{errorType, errorMessage}`). */
  fields?: Record<string, unknown>;
}

const REQUEST_ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const PLATFORM = /^(START|END|REPORT|INIT_START|INIT_REPORT|EXTENSION|TELEMETRY)\b/;
const RUNTIME_PREFIX = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\t(\S+)\t([A-Z]+)\t([\s\S]*)$/;
const ERROR_LEVELS = new Set(['ERROR', 'FATAL', 'CRITICAL']);

function parseObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function kindOfLevel(level: string | undefined): LogLineKind {
  if (level && ERROR_LEVELS.has(level)) return 'error';
  if (level === 'WARN' || level === 'WARNING') return 'warn';
  return 'info';
}

/**
 * @param message - An event's `message` (trailing newline and all).
 */
export function parseLogLine(message: string): ParsedLogLine {
  const line = message.replace(/\s+$/, '');

  const platform = PLATFORM.exec(line);
  if (platform) {
    const requestId = REQUEST_ID.exec(line)?.[0];
    const word = platform[1];
    if (word === 'START' || word === 'INIT_START') return { kind: 'start', requestId, text: line };
    if (word === 'END') return { kind: 'end', requestId, text: line };
    // A REPORT says `Status: timeout` or `Status: error` when the invocation failed.
    if (/Status: timeout/.test(line)) return { kind: 'timeout', requestId, text: line };
    if (/Status: error/.test(line)) return { kind: 'error', requestId, text: line };
    return { kind: 'report', requestId, text: line };
  }

  if (/Task timed out after/.test(line)) return { kind: 'timeout', requestId: REQUEST_ID.exec(line)?.[0], text: line.replace(/^\S+Z\s+\S+\s+/, '') };

  // The Node.js runtime's console format: time, request id (or `undefined` during init), level, message.
  const prefixed = RUNTIME_PREFIX.exec(line);
  if (prefixed) {
    const [, , requestId, level, rest] = prefixed as unknown as [string, string, string, string, string];
    const body = rest.replace(/^(Invoke Error|Uncaught Exception|Unhandled Promise Rejection)\s*\t/, (_, label: string) => `${label}: `);
    const json = parseObject(body.replace(/^[^{]*(?=\{)/, ''));
    const fields = json ?? undefined;
    const errorText = fields && typeof fields.errorMessage === 'string' ? `${String(fields.errorType ?? 'Error')}: ${fields.errorMessage}` : undefined;
    return {
      kind: kindOfLevel(level),
      requestId: REQUEST_ID.test(requestId) ? requestId : undefined,
      level,
      text: errorText ?? (typeof fields?.message === 'string' ? fields.message : body),
      fields,
    };
  }

  // A structured line (Powertools Logger, or the runtime's JSON log format).
  const fields = parseObject(line);
  if (fields) {
    const level = typeof fields.level === 'string' ? fields.level.toUpperCase() : undefined;
    const requestId = [fields.requestId, fields.function_request_id, fields.awsRequestId].find((value): value is string => typeof value === 'string');
    // The runtime's JSON log format nests an error object as the message.
    const nested = fields.message && typeof fields.message === 'object' ? (fields.message as Record<string, unknown>) : undefined;
    const text = typeof fields.message === 'string' ? fields.message : nested && typeof nested.errorMessage === 'string' ? `${String(nested.errorType ?? 'Error')}: ${nested.errorMessage}` : typeof fields.errorMessage === 'string' ? `${String(fields.errorType ?? 'Error')}: ${fields.errorMessage}` : line;
    const isError = typeof fields.errorType === 'string' || (nested !== undefined && typeof nested.errorType === 'string');
    return { kind: isError ? 'error' : kindOfLevel(level), requestId, level, text, fields };
  }

  return { kind: /^(Error|TypeError|RangeError)\b|\bERROR\b/.test(line) ? 'error' : 'info', requestId: REQUEST_ID.exec(line)?.[0], text: line };
}
