// Runs the real thumbctl CLI (the compiled dist/, as users run it) in a child process, for tests that
// check what a person or a script sees: stdout, stderr and the exit code. The full-size reliability scripts drive
// the CLI the same way, so it lives here and test/helpers/thumbctl.ts re-exports it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const THUMBCTL_BIN = fileURLToPath(new URL('../../bin/thumbctl.js', import.meta.url));

export interface ThumbctlResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs); throws with the output when it is not JSON. */
  json<T = any>(): T;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  /** Sends SIGINT (Ctrl-C) once this resolves: a person interrupting the command. */
  interruptWhen?: () => Promise<void>;
}

export function runThumbctl(args: string[], options: RunOptions = {}): Promise<ThumbctlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [THUMBCTL_BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', THUMBCTL_TARGET: undefined, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    void options.interruptWhen?.().then(() => child.kill('SIGINT'));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 1,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`thumbctl ${args.join(' ')} printed no JSON.\nstdout: ${stdout}\nstderr: ${stderr}`);
          }
        },
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface LocalServe {
  child: ChildProcess;
  /** Where it listens, from its ready line. */
  endpoint: string;
  /** Resolves with the exit code (null when a signal ended it) once the process has exited. */
  exited: Promise<number | null>;
  /** Everything it printed on stdout so far. */
  stdout(): string;
  /** Everything it printed on stderr so far. */
  stderr(): string;
  /** Everything it printed so far, stdout and stderr interleaved as they arrived. */
  transcript(): string;
  /**
   * SIGTERM (graceful: running events finish), then SIGKILL after `graceMs` (Infinity: wait as long as it takes);
   * resolves with the exit code once it is gone.
   */
  stop(graceMs?: number): Promise<number | null>;
}

export interface LocalServeOptions {
  /** thumbctl options placed before `local serve` (`--state-dir`, `--debug`), as a person may type them. */
  globalArgs?: string[];
  /** Extra environment, over the runThumbctl defaults (CI, NO_COLOR, no THUMBCTL_TARGET); undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Lead a process group of its own, as a job started from a shell does. */
  detached?: boolean;
  /** How long to wait for the ready line before killing it (default 30 s). */
  timeoutMs?: number;
}

/** The endpoint in a complete line of `local serve` output: the --json line, or the text `local cloud ready at <url>`. */
function readyEndpoint(line: string): string | undefined {
  if (line.trim().startsWith('{')) {
    try {
      const { endpoint } = JSON.parse(line) as { endpoint?: unknown };
      if (typeof endpoint === 'string') return endpoint;
    } catch {
      // Not the ready line.
    }
  }
  return /local cloud ready at (\S+)/.exec(line)?.[1];
}

/**
 * `thumbctl [globalArgs] local serve [args]` as a child process (the compiled dist/, as people run it); resolves once
 * it says where it listens. Rejects, with its output, if it exits first or is not ready within `timeoutMs` (it is
 * killed then).
 */
export function startLocalServe(args: string[], options: LocalServeOptions = {}): Promise<LocalServe> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(process.execPath, [THUMBCTL_BIN, ...(options.globalArgs ?? []), 'local', 'serve', ...args], {
    env: { ...process.env, CI: 'true', NO_COLOR: '1', THUMBCTL_TARGET: undefined, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  let transcript = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    transcript += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    transcript += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`local serve did not start within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    const onData = (): void => {
      // Only complete lines: a chunk may end inside the endpoint.
      const endpoint = stdout.slice(0, stdout.lastIndexOf('\n') + 1).split('\n').map(readyEndpoint).find(Boolean);
      if (!endpoint) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        child,
        endpoint,
        exited,
        stdout: () => stdout,
        stderr: () => stderr,
        transcript: () => transcript,
        async stop(graceMs = 15_000) {
          if (gone()) return child.exitCode;
          child.kill('SIGTERM');
          const killer = Number.isFinite(graceMs) ? setTimeout(() => child.kill('SIGKILL'), graceMs) : undefined;
          const code = await exited;
          clearTimeout(killer);
          return code;
        },
      });
    };
    child.stdout!.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`local serve exited (${code ?? signal}) before listening:\n${stdout}\n${stderr}`));
    });
  });
}
