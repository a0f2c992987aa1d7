// Finds or starts the local cloud for a state directory. A `thumbctl local serve` records itself in
// <state-dir>/server.json and every other command connects to it; without one, a command starts the same
// server in-process on an ephemeral loopback port for its own duration. Who may run a server on a directory is
// decided by the state directory's OS lock (emulator/state/lock.ts), never by this record: the record only
// names the holder, so a starter that loses the lock can say where the winner is. It is also the CLI's only door
// into the emulator: the lock, the server and the Node.js a runtime's functions will run on are asked for here,
// with the emulator's modules imported on demand.
import { appendFileSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, UserError } from '../output.js';
import { SERVE_DEFAULTS } from './defaults.js';
import { sleep } from '../../shared/retry.js';

export interface ServerRecord {
  pid: number;
  endpoint: string;
  /** `serve`: a long-lived `thumbctl local serve`; `embedded`: a command's own, gone when it ends. */
  mode: 'serve' | 'embedded';
  startedAt: string;
  /** 'lambda' when each environment runs at memory/1,769 of a CPU (`local serve --cpu-share lambda`). */
  cpuShare?: 'lambda';
}

/** The emulator's CPU_SHARE_VARIABLE (emulator/runtime/cpu-share.ts), named here so reading it loads no emulator. */
export const CPU_SHARE_VARIABLE = 'THUMBCTL_LOCAL_CPU_SHARE';

export interface LocalCloudHandle {
  endpoint: string;
  /** True when this process runs the server (and must close it). */
  embedded: boolean;
  close(): Promise<void>;
}

export interface StartOptions {
  stateDir: string;
  host?: string;
  port?: number;
  mode: 'serve' | 'embedded';
  region?: string;
  /** Verify every request's SigV4 signature against this key (`local serve --require-auth`). */
  requireAuth?: { accessKeyId: string; secretAccessKey: string };
  /** Origins whose web pages may call the cloud, with CORS (`local serve --allow-origin`). */
  allowOrigins?: string[];
}

/**
 * How long a starter that lost the lock waits for the winner to say where it listens (it records its pid at
 * once, its endpoint once listening, which takes well under a second): a refusal names both.
 */
const HOLDER_ENDPOINT_WAIT_MS = 15_000;

const recordPath = (stateDir: string): string => join(stateDir, 'server.json');

/** The emulator's own copy is emulator/core/processes.ts; the CLI keeps this one so reading server.json loads no emulator. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The server recorded for this state directory, whatever its state, or undefined when there is no readable record. */
function readRecordFile(stateDir: string): ServerRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(recordPath(stateDir), 'utf8')) as ServerRecord;
    return typeof record.pid === 'number' && typeof record.endpoint === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The running server recorded for this state directory, if its process is still alive. */
export function readServerRecord(stateDir: string): ServerRecord | undefined {
  const record = readRecordFile(stateDir);
  if (!record || !isAlive(record.pid) || record.pid === process.pid) return undefined;
  return record;
}

/** Written whole to a temporary file, then renamed over the record: a reader sees the old record or the new one, never half of one. */
function writeRecord(stateDir: string, record: ServerRecord): void {
  const temporary = join(stateDir, `server.json.${process.pid}.tmp`);
  writeFileSync(temporary, JSON.stringify(record));
  renameSync(temporary, recordPath(stateDir));
}

/**
 * The holder of a lock we could not take, once it has recorded where it listens. A holder that is still starting
 * (alive, no endpoint yet) is waited for; one that never records itself within HOLDER_ENDPOINT_WAIT_MS is named
 * by pid only, as "still starting", never with an empty endpoint.
 */
async function lockHolder(stateDir: string): Promise<ServerRecord> {
  const deadline = Date.now() + HOLDER_ENDPOINT_WAIT_MS;
  let lastSeen: ServerRecord | undefined;
  while (Date.now() <= deadline) {
    const record = readServerRecord(stateDir);
    if (record?.endpoint) return record;
    lastSeen = record ?? lastSeen;
    await sleep(50);
  }
  return {
    pid: lastSeen?.pid ?? 0,
    endpoint: lastSeen ? '(still starting)' : '(unknown: it has not recorded itself)',
    mode: lastSeen?.mode ?? 'serve',
    startedAt: lastSeen?.startedAt ?? new Date().toISOString(),
  };
}

/** Starts a server in this process and records it; the caller closes it. Returns the holder when another process has the directory. */
export async function startServer(options: StartOptions): Promise<LocalCloudHandle | ServerRecord> {
  mkdirSync(options.stateDir, { recursive: true });
  const { StateDirectoryLock } = await import('../../emulator/state/lock.js');
  const lock = StateDirectoryLock.tryAcquire(options.stateDir);
  if (!lock) return lockHolder(options.stateDir);
  const record: ServerRecord = {
    pid: process.pid,
    endpoint: '',
    mode: options.mode,
    startedAt: new Date().toISOString(),
    ...(process.env[CPU_SHARE_VARIABLE] === 'lambda' ? { cpuShare: 'lambda' as const } : {}),
  };
  const logFile = join(options.stateDir, 'cloud.log');
  try {
    // The pid first, so a starter that loses the race can name us while we start.
    writeRecord(options.stateDir, record);
    const { startLocalCloud } = await import('../../emulator/server.js');
    const cloud = await startLocalCloud({
      stateDir: options.stateDir,
      stateLock: lock,
      host: options.host ?? SERVE_DEFAULTS.host,
      port: options.port ?? 0,
      region: options.region,
      ...(options.requireAuth ? { requireAuth: options.requireAuth } : {}),
      ...(options.allowOrigins ? { allowOrigins: options.allowOrigins } : {}),
      faults: process.env.THUMBCTL_LOCAL_FAULTS,
      log: (message) => {
        try {
          appendFileSync(logFile, `${new Date().toISOString()} ${message}\n`);
        } catch {
          /* diagnostics must never break the cloud */
        }
      },
    });
    record.endpoint = cloud.endpoint;
    writeRecord(options.stateDir, record);
    return {
      endpoint: cloud.endpoint,
      embedded: true,
      async close() {
        // The record goes first, while we still hold the lock: whoever takes the lock next writes its own.
        removeRecord(options.stateDir);
        await cloud.close();
      },
    };
  } catch (error) {
    removeRecord(options.stateDir);
    lock.release();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      // A setting that cannot work on this machine now: nothing was started, so a usage error.
      const host = options.host ?? SERVE_DEFAULTS.host;
      throw new UserError(
        `port ${options.port} on ${host} is already taken by another program (another local cloud, LocalStack?): stop it, or choose another port with --port (--port 0 picks a free one)`,
        ExitCode.usage,
      );
    }
    if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL' || code === 'EAI_AGAIN') {
      throw new UserError(`cannot listen on ${options.host}: not an address of this machine`, ExitCode.usage);
    }
    if ((error as Error).name === 'FaultSpecError') throw new UserError((error as Error).message, ExitCode.usage);
    throw error;
  }
}

/** Removes our own record (only ours: called while we hold the lock). */
function removeRecord(stateDir: string): void {
  try {
    if (readRecordFile(stateDir)?.pid === process.pid) unlinkSync(recordPath(stateDir));
  } catch {
    /* already gone */
  }
}

/**
 * The local cloud a command should talk to: a running `local serve` for this state directory, or a new
 * in-process one. Another command's embedded server is waited for (it ends with its command), not shared.
 */
export async function acquireLocalCloud(stateDir: string, region: string, waitMs = 30_000): Promise<LocalCloudHandle> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const existing = readServerRecord(stateDir);
    if (existing?.mode === 'serve' && existing.endpoint) {
      return { endpoint: existing.endpoint, embedded: false, async close() {} };
    }
    if (!existing) {
      const started = await startServer({ stateDir, mode: 'embedded', region });
      if ('close' in started) return started;
      continue;
    }
    if (Date.now() > deadline) {
      throw new UserError(
        `another thumbctl command (pid ${existing.pid}) is using the local cloud in ${stateDir}; run \`thumbctl local serve\` to share one between commands`,
      );
    }
    await sleep(200);
  }
}

/** Which Node.js the local cloud runs a runtime's functions on, as `setup` and `status` report it. */
export interface LocalNodeRuntime {
  runtime: string;
  /** `v22.23.5`, or undefined when it could not be worked out. */
  nodeVersion?: string;
  /** `host`: this machine's node; `cache`: a build downloaded before; `download`: fetched now (or, described, at first use). */
  source?: 'host' | 'cache' | 'download';
  /** Set when the functions will not run on the runtime's own major, or nothing could be found out; one line. */
  warning?: string;
}

/**
 * Makes sure the Node.js that `runtime`'s functions run on is on this machine (downloading it into the shared cache
 * when missing), so the function's first cold start does not wait for a download. Never throws: what goes wrong
 * becomes the warning, and the local cloud tries again at the first cold start.
 * @param onProgress - a line to show while a build downloads
 */
export async function provideLocalNodeRuntime(runtime: string, onProgress: (text: string) => void): Promise<LocalNodeRuntime> {
  try {
    const { describeProgress, provideNodeRuntime } = await import('../../emulator/runtime/node-runtimes.js');
    const node = await provideNodeRuntime(runtime, { onProgress: (progress) => onProgress(describeProgress(progress)) });
    return { runtime, nodeVersion: node.nodeVersion, source: node.source, ...(node.warning ? { warning: node.warning } : {}) };
  } catch (error) {
    return { runtime, warning: `could not prepare Node.js for ${runtime} functions (${(error as Error).message}); the local cloud tries again at their first cold start` };
  }
}

/** What `runtime`'s functions would run on here, downloading nothing (it may ask the npm registry for its list of releases). Never throws. */
export async function describeLocalNodeRuntime(runtime: string): Promise<LocalNodeRuntime> {
  try {
    const { describeRuntimeResolution } = await import('../../emulator/runtime/node-runtimes.js');
    const node = await describeRuntimeResolution(runtime);
    return { runtime, nodeVersion: node.nodeVersion, source: node.source, ...(node.warning ? { warning: node.warning } : {}) };
  } catch (error) {
    return { runtime, warning: `could not tell which Node.js runs ${runtime} functions: ${(error as Error).message}` };
  }
}
