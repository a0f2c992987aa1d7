// What the load and crash scenarios (scenarios.ts) are made of, shared by the CI-sized tests in
// test/integration/reliability and the full-size scripts (scripts/load.ts, scripts/crash.ts): `thumbctl local
// serve` in its own process (so its memory is measured alone and it can be killed -9), `thumbctl setup` against
// it, a burst of uploads through the SDK with a bounded pool, HeadObject polling for the thumbnails, and the
// function's own logs read back through the Logs API to count invocations per upload. It asserts nothing: the
// tests and scripts judge the numbers.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { clientConfigFor } from './clients.js';
import { runThumbctl, startLocalServe } from './thumbctl.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The compiled CLI these scenarios drive (`npm run build` makes it). */
export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
}

// --- the server process -----------------------------------------------------------------------------------

export interface ServeProcess {
  child: ChildProcess;
  pid: number;
  endpoint: string;
  /** Resolves when the process has exited (and been reaped). */
  exited: Promise<void>;
  /** Everything it printed on stderr so far. */
  stderr(): string;
  /** SIGTERM (graceful: running events finish), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as `kill -9`; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Ctrl-C in its terminal: SIGINT to its whole process group (needs `ownProcessGroup`); resolves once it exited. */
  interruptGroup(): Promise<void>;
}

/**
 * `thumbctl local serve --state-dir <dir> --port 0 --json` as a child process; resolves once it listens.
 * @param options.env - extra environment (THUMBCTL_LOCAL_LAMBDA_* tuning)
 * @param options.ownProcessGroup - lead a process group of its own, as a job started from a shell does
 */
export async function startServe(stateDir: string, options: { env?: Record<string, string>; ownProcessGroup?: boolean; timeoutMs?: number } = {}): Promise<ServeProcess> {
  const served = await startLocalServe(['--state-dir', stateDir, '--port', '0', '--json'], {
    env: { THUMBCTL_TARGET: 'local', ...options.env },
    detached: options.ownProcessGroup ?? false,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  const { child } = served;
  const exited = served.exited.then(() => undefined);
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    pid: child.pid!,
    endpoint: served.endpoint,
    exited,
    stderr: served.stderr,
    async stop(graceMs = 15_000) {
      await served.stop(graceMs);
    },
    async kill9() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async interruptGroup() {
      if (!options.ownProcessGroup) throw new Error('interruptGroup needs a server started with ownProcessGroup');
      if (!gone()) process.kill(-child.pid!, 'SIGINT');
      await exited;
    },
  };
}

export interface Deployment {
  sourceBucket: string;
  thumbnailBucket: string;
  functionName: string;
}

/** `thumbctl setup --state-dir <dir> --json`, which connects to the running `local serve`. */
export async function runSetup(stateDir: string): Promise<Deployment> {
  // Setup against a loaded server can be slow: a long deadline, not runThumbctl's 120 s default.
  const setup = await runThumbctl(['setup', '--state-dir', stateDir, '--json'], { env: { THUMBCTL_TARGET: 'local' }, timeoutMs: 600_000 });
  if (setup.code !== 0) throw new Error(`thumbctl setup exited ${setup.code}:\n${setup.stderr}`);
  const result = setup.json<Deployment>();
  return { sourceBucket: result.sourceBucket, thumbnailBucket: result.thumbnailBucket, functionName: result.functionName };
}

// --- memory ---------------------------------------------------------------------------------------------

/** Fields of /proc/<pid>/status in kB, or undefined once the process is gone. */
async function procStatusKb(pid: number): Promise<{ rssKb: number; hwmKb: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return { rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0), hwmKb: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) };
  } catch {
    return undefined;
  }
}

/** Pids whose parent is `pid` (the function environments of a server), from /proc. */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // `pid (comm) state ppid ...`; comm may contain spaces and parentheses, so read after the last `)`.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) children.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return children;
}

/** Every descendant of `pid` (children, their children, ...), from one scan of /proc. */
export function descendantPids(pid: number): number[] {
  const childrenOf = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), Number(entry)]);
    } catch {
      // Gone while we looked.
    }
  }
  const found: number[] = [];
  for (let queue = [...(childrenOf.get(pid) ?? [])]; queue.length > 0; ) {
    const next = queue.shift()!;
    found.push(next);
    queue.push(...(childrenOf.get(next) ?? []));
  }
  return found;
}

/** True while a process exists and is not a zombie (an orphan's zombie is dead, waiting to be reaped). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export interface MemoryReport {
  /** The largest VmRSS sampled, in MB. */
  peakRssMb: number;
  /** The kernel's own high-water mark (VmHWM) at the last sample, in MB: catches peaks between samples. */
  peakHwmMb: number;
  /** The largest sum of the function environments' RSS (every process below the server), in MB. */
  peakEnvironmentsRssMb: number;
  /** The most function environments seen at once. */
  peakEnvironments: number;
  samples: number;
}

/** Samples a process's RSS (and its children's) every `intervalMs` until stopped. */
export function sampleMemory(pid: number, intervalMs = 100): { stop(): Promise<MemoryReport>; environments(): number[] } {
  let peakRssKb = 0;
  let peakHwmKb = 0;
  let peakEnvironmentsKb = 0;
  let peakEnvironments = 0;
  let samples = 0;
  let stopped = false;
  let lastChildren: number[] = [];
  const loop = (async () => {
    while (!stopped) {
      const own = await procStatusKb(pid);
      if (!own) break;
      samples += 1;
      peakRssKb = Math.max(peakRssKb, own.rssKb);
      peakHwmKb = Math.max(peakHwmKb, own.hwmKb);
      const children = childPids(pid);
      if (children.length > 0) lastChildren = children;
      // An environment is a tree (its init, the runtime, what the function started): count all of it.
      let childrenKb = 0;
      for (const process of descendantPids(pid)) childrenKb += (await procStatusKb(process))?.rssKb ?? 0;
      peakEnvironmentsKb = Math.max(peakEnvironmentsKb, childrenKb);
      peakEnvironments = Math.max(peakEnvironments, children.length);
      await sleep(intervalMs);
    }
  })();
  const mb = (kb: number): number => Math.round(kb / 1024);
  return {
    environments: () => lastChildren,
    async stop() {
      stopped = true;
      await loop;
      return { peakRssMb: mb(peakRssKb), peakHwmMb: mb(peakHwmKb), peakEnvironmentsRssMb: mb(peakEnvironmentsKb), peakEnvironments, samples };
    },
  };
}

// --- uploads --------------------------------------------------------------------------------------------

/** A small real photo-like JPEG (noise, so it does not compress to nothing). */
export async function sampleJpeg(width = 640, height = 480): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 }, noise: { type: 'gaussian', mean: 128, sigma: 24 } } }).jpeg({ quality: 80 }).toBuffer();
}

/** Unique keys the thumbnailer accepts: `<prefix>/<run>/img-00042-64x64.jpg`. */
export function uploadKeys(prefix: string, count: number, size = '64x64'): string[] {
  const run = randomBytes(4).toString('hex');
  return Array.from({ length: count }, (_, index) => `${prefix}/${run}/img-${String(index).padStart(5, '0')}-${size}.jpg`);
}

export function s3Client(endpoint: string, maxAttempts?: number): S3Client {
  return new S3Client({ ...clientConfigFor(endpoint), ...(maxAttempts === undefined ? {} : { maxAttempts }) });
}

export function logsClient(endpoint: string): CloudWatchLogsClient {
  return new CloudWatchLogsClient(clientConfigFor(endpoint));
}

/** Runs `task` over `items`, at most `concurrency` at once. */
export async function pool<T>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) await task(items[index]!, index);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export interface BurstResult {
  /** Keys whose PutObject answered 200, in the order they were acknowledged. */
  acknowledged: string[];
  /** Keys whose PutObject rejected, with the error's name. */
  failed: { key: string; error: string }[];
  startedAt: number;
  endedAt: number;
}

/**
 * PutObjects every key with one attempt each (an acknowledgement must come from the server that stored the
 * object, not a retry), `concurrency` at a time.
 * @param onAcknowledged - called after each 200, with the count so far (the crash scenario kills from here)
 */
export async function uploadBurst(
  s3: S3Client,
  bucket: string,
  keys: readonly string[],
  body: Buffer,
  concurrency: number,
  onAcknowledged?: (count: number) => void,
): Promise<BurstResult> {
  const acknowledged: string[] = [];
  const failed: { key: string; error: string }[] = [];
  const startedAt = Date.now();
  await pool(keys, concurrency, async (key) => {
    try {
      const response = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'image/jpeg' }));
      if (response.$metadata.httpStatusCode !== 200) throw new Error(`status ${response.$metadata.httpStatusCode}`);
      acknowledged.push(key);
      onAcknowledged?.(acknowledged.length);
    } catch (error) {
      const { name, code } = error as NodeJS.ErrnoException;
      failed.push({ key, error: `${name || 'Error'}${code ? ` (${code})` : ''}` });
    }
  });
  return { acknowledged, failed, startedAt, endedAt: Date.now() };
}

/**
 * Polls HeadObject until every key exists or the deadline passes. Thumbnails appear roughly in upload order (the
 * queue is FIFO), so a round walks the missing keys in that order and ends after a few misses in a row: the
 * polling must not compete with the function for the server. A last full round settles what is missing.
 * @returns the keys found and those still missing
 */
export async function waitForThumbnails(
  s3: S3Client,
  bucket: string,
  keys: readonly string[],
  deadlineMs: number,
  concurrency = 8,
): Promise<{ found: string[]; missing: string[] }> {
  const order = new Map(keys.map((key, index) => [key, index]));
  const found: string[] = [];
  let missing = [...keys];
  const until = Date.now() + deadlineMs;
  for (;;) {
    const final = Date.now() > until;
    const stillMissing: string[] = [];
    let missesInARow = 0;
    await pool(missing, concurrency, async (key) => {
      if (!final && missesInARow >= 2 * concurrency) {
        stillMissing.push(key);
        return;
      }
      try {
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        found.push(key);
        missesInARow = 0;
      } catch {
        stillMissing.push(key);
        missesInARow += 1;
      }
    });
    missing = stillMissing.sort((a, b) => order.get(a)! - order.get(b)!);
    if (missing.length === 0 || final) break;
    await sleep(250);
  }
  return { found, missing };
}

// --- what the function did, from its logs ---------------------------------------------------------------

/** Every event of a function's log group, through FilterLogEvents and its pages. */
export async function functionLogEvents(logs: CloudWatchLogsClient, functionName: string): Promise<FilteredLogEvent[]> {
  const events: FilteredLogEvent[] = [];
  let nextToken: string | undefined;
  do {
    try {
      const page = await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${functionName}`, nextToken }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return [];
      throw error;
    }
  } while (nextToken);
  return events;
}

export interface InvocationCensus {
  /** `thumbnail created` lines per uploaded key. */
  createdPerKey: Map<string, number>;
  /** START lines per request id (more than one: a logged retry of the same event). */
  startsPerRequest: Map<string, number>;
  /** REPORT lines, and those with a `Status:` (timeout or error). */
  reports: number;
  failedReports: string[];
  /** Cold starts (INIT_START lines) and distinct log streams (one per execution environment). */
  coldStarts: number;
  streams: number;
  /** Lines that say something went wrong: ERROR level, `Task timed out`, dropped events. */
  errorLines: string[];
  /** Epoch ms of the first and the last `thumbnail created` line. */
  firstCreatedAt: number | undefined;
  lastCreatedAt: number | undefined;
}

/** Reads a function's log events into counts per key and per request. */
export function census(events: readonly FilteredLogEvent[]): InvocationCensus {
  const result: InvocationCensus = {
    createdPerKey: new Map(),
    startsPerRequest: new Map(),
    reports: 0,
    failedReports: [],
    coldStarts: 0,
    streams: new Set(events.map((event) => event.logStreamName)).size,
    errorLines: [],
    firstCreatedAt: undefined,
    lastCreatedAt: undefined,
  };
  for (const event of events) {
    const message = event.message ?? '';
    if (message.startsWith('START RequestId: ')) {
      const requestId = message.slice('START RequestId: '.length).split(' ')[0]!;
      result.startsPerRequest.set(requestId, (result.startsPerRequest.get(requestId) ?? 0) + 1);
    } else if (message.startsWith('REPORT ')) {
      result.reports += 1;
      if (/\tStatus: /.test(message)) result.failedReports.push(message.trim());
    } else if (message.startsWith('INIT_START')) {
      result.coldStarts += 1;
    } else if (message.startsWith('{')) {
      try {
        const line = JSON.parse(message) as { message?: string; level?: string; key?: string };
        if (line.message === 'thumbnail created' && line.key) {
          result.createdPerKey.set(line.key, (result.createdPerKey.get(line.key) ?? 0) + 1);
          result.firstCreatedAt = Math.min(result.firstCreatedAt ?? Infinity, event.timestamp ?? Infinity);
          result.lastCreatedAt = Math.max(result.lastCreatedAt ?? 0, event.timestamp ?? 0);
        }
        if (line.level === 'ERROR' || line.level === 'CRITICAL') {
          result.errorLines.push(message.trim());
          continue;
        }
      } catch {
        // Not JSON after all: judged below like any other line.
      }
    }
    if (/\tERROR\t|Task timed out|Dropped asynchronous event|Runtime\.\w+Error|Runtime\.OutOfMemory/.test(message)) result.errorLines.push(message.trim());
  }
  return result;
}

// --- the state directory ---------------------------------------------------------------------------------

/** `PRAGMA integrity_check` on state.db, opened read-only (safe while a server has it open). */
export function integrityCheck(stateDir: string): string {
  const db = new Database(join(stateDir, 'state.db'), { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

/** Events in Lambda's durable queue, and how many of them are claimed by a worker (read-only). */
export function queueState(stateDir: string): { queued: number; claimed: number } {
  const db = new Database(join(stateDir, 'state.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT COUNT(*) AS queued, COUNT(claimed_by) AS claimed FROM lambda_event_queue').get() as { queued: number; claimed: number };
  } finally {
    db.close();
  }
}

/** The local cloud's diagnostic log (<state-dir>/cloud.log), as lines. */
export function cloudLog(stateDir: string): string[] {
  try {
    return readFileSync(join(stateDir, 'cloud.log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Polls until `check` returns a value, or returns undefined after `timeoutMs`. */
export async function poll<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 250): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) return undefined;
    await sleep(intervalMs);
  }
}
