// A HandlerLogger that keeps every line in memory so tests can assert on levels, messages and fields.

import type { HandlerLogger, LogFields } from '../../../../function/handler.js';

export interface LogLine {
  readonly level: 'INFO' | 'WARN' | 'ERROR';
  readonly message: string;
  readonly fields: LogFields;
}

export class RecordingLogger implements HandlerLogger {
  readonly lines: LogLine[] = [];

  info(message: string, fields: LogFields): void {
    this.lines.push({ level: 'INFO', message, fields });
  }

  warn(message: string, fields: LogFields): void {
    this.lines.push({ level: 'WARN', message, fields });
  }

  error(message: string, fields: LogFields): void {
    this.lines.push({ level: 'ERROR', message, fields });
  }

  /**
   * @param level - Only lines at this level.
   */
  at(level: LogLine['level']): LogLine[] {
    return this.lines.filter((line) => line.level === level);
  }
}
