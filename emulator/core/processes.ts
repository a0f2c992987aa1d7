// Whether another process of this machine still runs, for state left by a process that may have died (claims on
// the async queue, environment records). The CLI keeps its own copy of this check (cli/core/local-cloud.ts): it
// reaches the emulator only through one lazy import, and must not load it to read a lock file.

/** True while a process with this pid exists (one we may not signal exists too). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
