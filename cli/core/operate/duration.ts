// Parses the short durations people type for `--since` (30s, 10m, 2h, 1d) and the seconds `--timeout` takes.
// Pure; errors are UserErrors with exit code 2 because they come straight from the command line.
import { ExitCode, UserError } from '../../output.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * @param text - A whole number followed by s, m, h or d, e.g. `10m`.
 * @param flag - The option's name, for the error message.
 * @returns The duration in milliseconds.
 * @throws UserError (exit 2) for anything else.
 */
export function parseDuration(text: string, flag = '--since'): number {
  const match = /^\s*(\d+)\s*([smhd])\s*$/.exec(text);
  const amount = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isSafeInteger(amount) || amount < 1) {
    throw new UserError(`${flag} "${text}" must be a duration like 30s, 10m, 2h or 1d`, ExitCode.usage);
  }
  const ms = amount * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms > 10 * 365 * UNIT_MS.d) throw new UserError(`${flag} "${text}" is more than ten years`, ExitCode.usage);
  return ms;
}

/**
 * @param value - Seconds as typed (`60`, `2.5`), or undefined for the default.
 * @param fallback - Seconds to use when value is undefined.
 * @returns Milliseconds.
 */
export function parseSeconds(value: unknown, fallback: number, flag = '--timeout'): number {
  if (value === undefined) return fallback * 1000;
  const text = String(value).trim();
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds > 0) || seconds > 86_400) throw new UserError(`${flag} "${String(value)}" must be a number of seconds above 0, at most 86400`, ExitCode.usage);
  return Math.round(seconds * 1000);
}
