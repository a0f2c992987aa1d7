// Runs the real thumbctl CLI (the compiled dist/, as users run it) in a child process, for tests that
// check what a person or a script sees: stdout, stderr and the exit code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const THUMBCTL_BIN = fileURLToPath(new URL('../../bin/thumbctl.js', import.meta.url));

export interface ThumbctlResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs); throws with the output when it is not JSON. */
  json<T = any>(): T;
}

export function runThumbctl(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {}): Promise<ThumbctlResult> {
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
