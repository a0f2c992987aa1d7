// Lambda's CPU share, locally: Lambda gives a function CPU in proportion to its memory, one full vCPU at 1,769 MB,
// so `local serve --cpu-share lambda` puts each execution environment in a cgroup of its own whose CPU quota is
// memory/1,769 of a CPU (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us` where the cpu controller is on v1). It
// only limits CPU time (memory stays with the environment's own watch), and where no cpu controller is writable
// it refuses with the reason — it never pretends a share it cannot enforce.
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processIsAlive as isAlive } from '../core/processes.js';

/** THUMBCTL_LOCAL_CPU_SHARE=lambda: what `local serve --cpu-share lambda` (and `bench`) set for the server. */
export const CPU_SHARE_VARIABLE = 'THUMBCTL_LOCAL_CPU_SHARE';
export type CpuShareChoice = 'lambda' | 'host';
export const CPU_SHARE_CHOICES: readonly CpuShareChoice[] = ['lambda', 'host'];

/** Memory at which Lambda gives a function one full vCPU (AWS Lambda Developer Guide, "Configure memory"). */
export const LAMBDA_MB_PER_VCPU = 1769;
/** The scheduler period the quota is a fraction of (100 ms, the kernel's default). */
export const CPU_PERIOD_US = 100_000;
/** The kernel refuses quotas below 1 ms. */
const MIN_QUOTA_US = 1_000;
/** Name of the directory (under the server's own cgroup) holding one cgroup per environment. */
const GROUP_PREFIX = 'thumbctl-';

/** The vCPU fraction Lambda gives this memory size (e.g. 512 MB → 0.289, 1,769 MB → 1, 3,538 MB → 2). */
export function lambdaCpuShare(memoryMb: number): number {
  return memoryMb / LAMBDA_MB_PER_VCPU;
}

/** The CFS quota for a memory size over CPU_PERIOD_US, in microseconds (at least the kernel's 1 ms). */
export function quotaMicroseconds(memoryMb: number, periodUs = CPU_PERIOD_US): number {
  return Math.max(MIN_QUOTA_US, Math.round(periodUs * lambdaCpuShare(memoryMb)));
}

export function readCpuShareChoice(env: NodeJS.ProcessEnv = process.env): CpuShareChoice {
  return env[CPU_SHARE_VARIABLE] === 'lambda' ? 'lambda' : 'host';
}

interface Controller {
  version: 1 | 2;
  /** The server's own cgroup directory in the cpu hierarchy. */
  ownDirectory: string;
}

/** One environment's cgroup: the file its first process writes its pid to, and its removal once it is empty. */
export interface EnvironmentCpuGroup {
  readonly directory: string;
  readonly procsFile: string;
  readonly quotaUs: number;
  /** Removes the cgroup (the kernel refuses while a process is in it; then it stays until the server's close). */
  release(): void;
}

export interface CpuShareLimiter {
  /** 'cgroup v2 cpu.max' or 'cgroup v1 cpu.cfs_quota_us', and where. */
  readonly summary: string;
  /** A new cgroup limited to memory/1,769 of a CPU for one environment. */
  create(label: string, memoryMb: number): EnvironmentCpuGroup;
  /** Removes every cgroup this server made (at close). */
  close(): void;
}

export type CpuShareProbe = { ok: true; limiter: CpuShareLimiter } | { ok: false; reason: string };

/** The cgroup mount points and the server's own path in each, from /proc/self/mountinfo and /proc/self/cgroup. */
function findControllers(): { v2?: Controller; v1?: Controller; why: string[] } {
  const why: string[] = [];
  let mountinfo: string;
  let membership: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    membership = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return { why: ['no /proc/self/mountinfo or /proc/self/cgroup (not Linux?)'] };
  }
  const paths = new Map<string, string>();
  for (const line of membership.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (match) paths.set(match[2] as string, match[3] as string);
  }
  const result: { v2?: Controller; v1?: Controller; why: string[] } = { why };
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const root = fields[3] ?? '/';
    const mountPoint = (fields[4] ?? '').replace(/\\040/g, ' ');
    const [fsType, , superOptions = ''] = right.split(' ');
    const within = (path: string | undefined): string | undefined => {
      if (path === undefined) return undefined;
      const relative = root === '/' ? path : path.startsWith(root) ? path.slice(root.length) : undefined;
      return relative === undefined ? undefined : join(mountPoint, relative);
    };
    if (fsType === 'cgroup2' && !result.v2) {
      const own = within(paths.get(''));
      if (own) result.v2 = { version: 2, ownDirectory: own };
    } else if (fsType === 'cgroup' && !result.v1 && superOptions.split(',').includes('cpu')) {
      const key = [...paths.keys()].find((controllers) => controllers.split(',').includes('cpu'));
      const own = within(key === undefined ? undefined : paths.get(key));
      if (own) result.v1 = { version: 1, ownDirectory: own };
    }
  }
  return result;
}

function writeQuota(controller: Controller, directory: string, quotaUs: number): void {
  if (controller.version === 2) writeFileSync(join(directory, 'cpu.max'), `${quotaUs} ${CPU_PERIOD_US}`);
  else {
    writeFileSync(join(directory, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    writeFileSync(join(directory, 'cpu.cfs_quota_us'), String(quotaUs));
  }
}

/** Removes the empty `thumbctl-<pid>` directories of servers that died (kill -9) under this cgroup. */
function removeStaleGroups(ownDirectory: string): void {
  let entries: string[];
  try {
    entries = readdirSync(ownDirectory);
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = entry.startsWith(GROUP_PREFIX) ? Number(entry.slice(GROUP_PREFIX.length)) : NaN;
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    const directory = join(ownDirectory, entry);
    try {
      for (const child of readdirSync(directory, { withFileTypes: true })) if (child.isDirectory()) rmdirSync(join(directory, child.name));
      rmdirSync(directory);
    } catch {
      // A process of that server still runs in it: left for a later start.
    }
  }
}

/** Tries one controller: makes this server's directory and a probe group in it, sets a quota, removes the probe. */
function tryController(controller: Controller): CpuShareProbe {
  const base = join(controller.ownDirectory, `${GROUP_PREFIX}${process.pid}`);
  try {
    removeStaleGroups(controller.ownDirectory);
    mkdirSync(base, { recursive: true });
    if (controller.version === 2) {
      // Children get cpu.max only when the parent hands the controller down.
      writeFileSync(join(base, 'cgroup.subtree_control'), '+cpu');
    }
    const probe = join(base, 'probe');
    mkdirSync(probe, { recursive: true });
    try {
      writeQuota(controller, probe, quotaMicroseconds(128));
    } finally {
      rmdirSync(probe);
    }
  } catch (error) {
    try {
      rmdirSync(base);
    } catch {
      /* not made, or not empty */
    }
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return { ok: false, reason: `cgroup v${controller.version} at ${controller.ownDirectory}: ${code || (error as Error).message}` };
  }
  const groups = new Set<string>();
  const file = controller.version === 2 ? 'cpu.max' : 'cpu.cfs_quota_us';
  const limiter: CpuShareLimiter = {
    summary: `cgroup v${controller.version} ${file}, one cgroup per environment under ${base}`,
    create(label, memoryMb) {
      const directory = join(base, label);
      mkdirSync(directory);
      const quotaUs = quotaMicroseconds(memoryMb);
      writeQuota(controller, directory, quotaUs);
      groups.add(directory);
      return {
        directory,
        procsFile: join(directory, 'cgroup.procs'),
        quotaUs,
        release() {
          try {
            rmdirSync(directory);
            groups.delete(directory);
          } catch {
            // Still holds a process that is being killed; close() tries again.
          }
        },
      };
    },
    close() {
      for (const directory of groups) {
        try {
          rmdirSync(directory);
        } catch {
          /* a process is still in it */
        }
      }
      try {
        rmdirSync(base);
      } catch {
        /* not empty */
      }
    },
  };
  return { ok: true, limiter };
}

let probed: CpuShareProbe | undefined;

/**
 * Whether this machine lets the server limit each environment's CPU, and the limiter if so (probed once per
 * process). cgroup v2 first (when its cpu controller is there), then v1's cpu controller.
 */
export function probeCpuShare(): CpuShareProbe {
  if (probed) return probed;
  if (process.platform !== 'linux') return (probed = { ok: false, reason: `no cgroups on ${process.platform}` });
  const { v2, v1, why } = findControllers();
  const reasons = [...why];
  if (v2) {
    let controllers = '';
    try {
      controllers = readFileSync(join(v2.ownDirectory, 'cgroup.controllers'), 'utf8');
    } catch {
      /* reported below */
    }
    if (controllers.split(/\s+/).includes('cpu')) {
      const attempt = tryController(v2);
      if (attempt.ok) return (probed = attempt);
      reasons.push(attempt.reason);
    } else reasons.push(`cgroup v2 at ${v2.ownDirectory} has no cpu controller`);
  }
  if (v1) {
    const attempt = tryController(v1);
    if (attempt.ok) return (probed = attempt);
    reasons.push(attempt.reason);
  } else reasons.push('no cgroup v1 cpu controller mounted');
  return (probed = { ok: false, reason: reasons.join('; ') });
}

/** The one line `local serve --cpu-share lambda` and `bench --memory a,b,…` refuse with. */
export function refusalLine(reason: string): string {
  return `--cpu-share lambda: this machine does not let thumbctl limit a process's CPU (needs a writable cgroup v2 cpu.max or v1 cpu.cfs_quota_us; ${reason}): refused rather than run at the host's full CPU`;
}
