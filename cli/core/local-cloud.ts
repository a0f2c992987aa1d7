// Finds or starts the local cloud for a state directory. A `thumbctl local serve` records itself in
// <state-dir>/server.json and every other command connects to it; without one, a command starts the same
// server in-process on an ephemeral loopback port for its own duration. The lock file keeps two servers
// from ever sharing one state directory. It is also the CLI's only door into the emulator: the Node.js a runtime's
// functions will run on is asked for here, with the emulator's module imported on demand.
import { appendFileSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
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
}

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

const lockPath = (stateDir: string): string => join(stateDir, 'server.json');

/** The emulator's own copy is emulator/core/processes.ts; the CLI keeps this one so reading the lock file loads no emulator. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running server recorded for this state directory, if its process is still alive. */
export function readServerRecord(stateDir: string): ServerRecord | undefined {
  let record: ServerRecord;
  try {
    record = JSON.parse(readFileSync(lockPath(stateDir), 'utf8')) as ServerRecord;
  } catch {
    return undefined;
  }
  if (typeof record.pid !== 'number' || !isAlive(record.pid) || record.pid === process.pid) return undefined;
  return record;
}

/** Takes the state directory's lock, or returns the live server that holds it. */
function tryLock(stateDir: string, record: ServerRecord): ServerRecord | 'locked' {
  mkdirSync(stateDir, { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(lockPath(stateDir), JSON.stringify(record), { flag: 'wx' });
      return 'locked';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readServerRecord(stateDir);
      if (holder) return holder;
      // A dead process left its record behind (kill -9): it is stale, so take its place.
      try {
        unlinkSync(lockPath(stateDir));
      } catch {
        /* another process removed it first */
      }
    }
  }
  throw new UserError(`could not lock the state directory ${stateDir}`);
}

/** Starts a server in this process and records it; the caller closes it. */
export async function startServer(options: StartOptions): Promise<LocalCloudHandle | ServerRecord> {
  const record: ServerRecord = { pid: process.pid, endpoint: '', mode: options.mode, startedAt: new Date().toISOString() };
  const lock = tryLock(options.stateDir, record);
  if (lock !== 'locked') return lock;
  const logFile = join(options.stateDir, 'cloud.log');
  try {
    const { startLocalCloud } = await import('../../emulator/server.js');
    const cloud = await startLocalCloud({
      stateDir: options.stateDir,
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
    writeFileSync(lockPath(options.stateDir), JSON.stringify(record));
    return {
      endpoint: cloud.endpoint,
      embedded: true,
      async close() {
        await cloud.close();
        releaseLock(options.stateDir);
      },
    };
  } catch (error) {
    releaseLock(options.stateDir);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new UserError(`port ${options.port} on ${options.host} is already in use`, ExitCode.failure);
    }
    if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL' || code === 'EAI_AGAIN') {
      throw new UserError(`cannot listen on ${options.host}: not an address of this machine`, ExitCode.usage);
    }
    if ((error as Error).name === 'FaultSpecError') throw new UserError((error as Error).message, ExitCode.usage);
    throw error;
  }
}

function releaseLock(stateDir: string): void {
  try {
    const record = JSON.parse(readFileSync(lockPath(stateDir), 'utf8')) as ServerRecord;
    if (record.pid === process.pid) unlinkSync(lockPath(stateDir));
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
