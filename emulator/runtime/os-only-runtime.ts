// OS-only runtimes (`provided.al2`, `provided.al2023`): the function brings its own runtime interface client as
// an executable `bootstrap` at the root of its package, and the environment runs that instead of our Node.js
// bootstrap. Only the entrypoint check Lambda makes before starting it lives here; layers (`/opt/bootstrap`)
// are not emulated, and the host's PATH (with its Node.js) stays visible, unlike AWS's bare Amazon Linux image.
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { join } from 'node:path';

/** The OS-only runtimes a function may be created with and that run locally. */
export const OS_ONLY_RUNTIMES = ['provided.al2', 'provided.al2023'] as const;

export function isOsOnlyRuntime(runtime: string): boolean {
  return (OS_ONLY_RUNTIMES as readonly string[]).includes(runtime);
}

/** The command that starts the function's own runtime, or why Lambda would refuse to start it. */
export type CustomBootstrap = { ok: true; command: string[] } | { ok: false; reason: string };

/**
 * Finds `<task root>/bootstrap` and checks that it can be executed, as Lambda does before init: a missing
 * bootstrap and one without an execute bit both fail init with `Runtime.InvalidEntrypoint`, with AWS's text
 * (which names AWS's paths, `/var/task` being the task root).
 * @param taskRoot - the unpacked package (LAMBDA_TASK_ROOT)
 */
export function findCustomBootstrap(taskRoot: string): CustomBootstrap {
  const bootstrap = join(taskRoot, 'bootstrap');
  let isFile = false;
  try {
    isFile = statSync(bootstrap).isFile();
  } catch {
    isFile = false;
  }
  // AWS answers this text when neither /var/task/bootstrap nor /opt/bootstrap exists; so do we.
  if (!isFile) return { ok: false, reason: "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]" };
  try {
    accessSync(bootstrap, fsConstants.X_OK);
  } catch {
    // AWS's runtime manager is written in Go: a bootstrap it cannot execute fails its fork/exec.
    return { ok: false, reason: 'fork/exec /var/task/bootstrap: permission denied' };
  }
  return { ok: true, command: [bootstrap] };
}
