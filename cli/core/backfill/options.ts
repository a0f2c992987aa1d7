// `backfill`'s own flags, checked before anything is started (exit 2 for a bad one): which mode, the listing's
// filters, the pace, and the batch-operations role. Pure: no AWS, no terminal.
import { ExitCode, UserError } from '../../output.js';
import { BACKFILL_DEFAULTS } from '../defaults.js';
import { parseDuration } from '../operate/duration.js';

export const BACKFILL_MODES = ['invoke', 'batch-operations'] as const;
export type BackfillMode = (typeof BACKFILL_MODES)[number];

/** The flags as commander parses them. */
export interface BackfillOwnFlags {
  prefix?: string;
  since?: string;
  concurrency?: string;
  rate?: string;
  dryRun?: boolean;
  via?: string;
  status?: string;
  /** False for --no-follow. */
  follow?: boolean;
  createRole?: boolean;
  roleArn?: string;
}

export type BackfillRequest =
  | {
      kind: 'status';
      jobId: string;
      follow: boolean;
    }
  | {
      kind: 'backfill';
      mode: BackfillMode;
      prefix?: string;
      /** Epoch ms. */
      since?: number;
      concurrency: number;
      ratePerSecond: number;
      dryRun: boolean;
      /** batch-operations: how the job's role is found. */
      role: { kind: 'arn'; arn: string } | { kind: 'create' } | { kind: 'default' };
    };

const usage = (message: string): UserError => new UserError(message, ExitCode.usage);

/**
 * @param flags - the command's own flags
 * @param now - the current time (tests pass one), for `--since 7d`
 * @throws UserError (exit 2) naming the first bad flag
 */
export function resolveBackfillRequest(flags: BackfillOwnFlags, now = Date.now()): BackfillRequest {
  if (flags.status !== undefined) {
    const listingFlags = (['prefix', 'since', 'concurrency', 'rate', 'dryRun', 'via', 'createRole', 'roleArn'] as const).filter((name) => flags[name] !== undefined && flags[name] !== false);
    if (listingFlags.length > 0) throw usage(`--status follows a job; it takes none of ${listingFlags.map(flagName).join(', ')}`);
    if (!/^[A-Za-z0-9_-]{5,36}$/.test(flags.status)) throw usage(`--status needs a job id like 00e123a4-c0d8-41f4-a0eb-b46f9ba5b07c, not "${flags.status}"`);
    return { kind: 'status', jobId: flags.status, follow: flags.follow !== false };
  }
  if (flags.follow === false) throw usage('--no-follow goes with --status JOB');
  const mode = (flags.via ?? 'invoke') as BackfillMode;
  if (!(BACKFILL_MODES as readonly string[]).includes(mode)) throw usage(`--via must be ${BACKFILL_MODES.join(' or ')}, not "${flags.via}"`);
  if (mode !== 'batch-operations' && (flags.createRole || flags.roleArn !== undefined)) throw usage('--create-role and --role-arn go with --via batch-operations');
  if (flags.createRole && flags.roleArn !== undefined) throw usage('pass --create-role or --role-arn, not both');
  if (flags.roleArn !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(flags.roleArn)) {
    throw usage(`--role-arn is not an IAM role ARN: "${flags.roleArn}"`);
  }
  if (mode === 'batch-operations' && (flags.concurrency !== undefined || flags.rate !== undefined)) {
    throw usage('--concurrency and --rate pace invocations from this machine; with --via batch-operations S3 Batch Operations paces them');
  }
  const prefix = flags.prefix;
  if (prefix !== undefined && (prefix === '' || Buffer.byteLength(prefix) > 1024)) throw usage('--prefix must be 1 to 1024 bytes');
  return {
    kind: 'backfill',
    mode,
    ...(prefix !== undefined ? { prefix } : {}),
    ...(flags.since !== undefined ? { since: parseSince(flags.since, now) } : {}),
    concurrency: wholeNumber('--concurrency', flags.concurrency, BACKFILL_DEFAULTS.concurrency, BACKFILL_DEFAULTS.maxConcurrency),
    ratePerSecond: wholeNumber('--rate', flags.rate, BACKFILL_DEFAULTS.ratePerSecond, BACKFILL_DEFAULTS.maxRatePerSecond),
    dryRun: Boolean(flags.dryRun),
    role: flags.roleArn !== undefined ? { kind: 'arn', arn: flags.roleArn } : flags.createRole ? { kind: 'create' } : { kind: 'default' },
  };
}

/**
 * `--since`: a date (2026-01-31), a date and time (2026-01-31T12:00:00Z), or how long ago (7d, 12h).
 * @returns epoch ms
 */
export function parseSince(text: string, now: number): number {
  const trimmed = text.trim();
  if (/^\d+\s*[smhd]$/.test(trimmed)) return now - parseDuration(trimmed, '--since');
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
    const time = Date.parse(trimmed.length === 10 ? `${trimmed}T00:00:00Z` : trimmed.replace(' ', 'T'));
    if (Number.isFinite(time)) {
      if (time > now) throw usage(`--since "${text}" is in the future`);
      return time;
    }
  }
  throw usage(`--since "${text}" must be a date like 2026-01-31 (UTC), a time like 2026-01-31T12:00:00Z, or a duration like 7d`);
}

function wholeNumber(flag: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const number = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1 || number > max) throw usage(`${flag} must be a whole number from 1 to ${max}, not "${value}"`);
  return number;
}

function flagName(name: string): string {
  return `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}
