// What a benchmark costs the machine: peak memory and CPU time of the local cloud's process (this one when the
// cloud is embedded, else the `local serve` process) and of its function environments (each a process tree under
// the cloud running the Lambda bootstrap), and of this process. Read from /proc (VmHWM, the kernel's own high-water mark; utime and
// stime) every so often. Off Linux, only this process's own maxRSS and CPU time.
import { readdirSync, readFileSync } from 'node:fs';

export interface MemoryReport {
  /** Peak resident memory of the process running the local cloud, or null when it cannot be read. */
  cloudPeakBytes: number | null;
  cloudPid: number | null;
  /** True when the cloud runs inside this process (its peak then includes the bench client). */
  cloudIsThisProcess: boolean;
  /** The largest peak of any one function environment seen, or null when none was seen. */
  functionPeakBytes: number | null;
  /** Function environments seen during the run. */
  functionEnvironments: number;
}

/** CPU time spent during the run, in milliseconds (null where it cannot be read). */
export interface CpuReport {
  /** This process: the bench client, and the cloud too when it is embedded. */
  clientMs: number;
  /** The `local serve` process (null when the cloud is embedded here, or unknown). */
  cloudMs: number | null;
  /** The function environments, all together. */
  functionsMs: number | null;
}

/** A `kB` field of /proc/<pid>/status (VmHWM, VmRSS) in bytes, or undefined. */
export function statusFieldBytes(status: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s*kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** The fields of /proc/<pid>/stat after the command name (which may itself hold spaces and parentheses). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The parent pid from /proc/<pid>/stat. */
export function parentPid(stat: string): number | undefined {
  const ppid = Number(statFields(stat)[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** User plus system CPU time from /proc/<pid>/stat, in clock ticks (utime and stime are fields 14 and 15). */
export function cpuTicks(stat: string): number | undefined {
  const fields = statFields(stat);
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

/** Linux's USER_HZ: what /proc/<pid>/stat counts CPU time in (100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

interface ProcessSample {
  firstTicks: number;
  lastTicks: number;
  peakBytes: number;
}

/**
 * Samples the cloud and its function environments between start() and stop(). An environment is a child of the
 * cloud whose command line runs the bootstrap (unshare, or the environment's init shell) and everything under it:
 * the Node.js runtime is a grandchild or deeper, so CPU and memory are read over the whole tree.
 */
export class ResourceSampler {
  private timer: NodeJS.Timeout | undefined;
  private cloud: ProcessSample | undefined;
  /** Every process seen in an environment's tree, by pid. */
  private readonly functions = new Map<number, ProcessSample>();
  /** Environment leaders (the cloud's children running the bootstrap) seen during the run. */
  private readonly leaders = new Set<number>();
  private readonly procAvailable = process.platform === 'linux';
  private clientCpu = process.cpuUsage();

  constructor(
    private readonly cloudPid: number | null,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.clientCpu = process.cpuUsage();
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), this.intervalMs);
    this.timer.unref();
  }

  stop(): { memory: MemoryReport; cpu: CpuReport } {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const client = process.cpuUsage(this.clientCpu);
    this.sample(false);
    const cloudIsThisProcess = this.cloudPid === process.pid;
    let cloudPeakBytes: number | null = this.cloud?.peakBytes || null;
    // Off Linux (no /proc), this process's own high-water mark is all there is.
    if (cloudPeakBytes === null && cloudIsThisProcess) cloudPeakBytes = process.resourceUsage().maxRSS * 1024;
    const processes = [...this.functions.values()];
    const ticksToMs = (ticks: number): number => (ticks * 1000) / TICKS_PER_SECOND;
    return {
      memory: {
        cloudPeakBytes,
        cloudPid: this.cloudPid,
        cloudIsThisProcess,
        functionPeakBytes: processes.length ? Math.max(...processes.map((e) => e.peakBytes)) : null,
        functionEnvironments: this.leaders.size,
      },
      cpu: {
        clientMs: Math.round((client.user + client.system) / 1000),
        cloudMs: this.cloud && !cloudIsThisProcess ? ticksToMs(this.cloud.lastTicks - this.cloud.firstTicks) : null,
        functionsMs: this.procAvailable && this.cloudPid !== null ? ticksToMs(processes.reduce((sum, e) => sum + e.lastTicks - e.firstTicks, 0)) : null,
      },
    };
  }

  /**
   * Resident memory now of each live environment's largest process (its runtime; not unshare or the init shell),
   * in bytes: read when the environments are idle, it is what an idle environment holds. Empty without /proc.
   */
  runtimeResidentBytes(): number[] {
    if (this.cloudPid === null || !this.procAvailable) return [];
    const { leaders, children } = this.environmentTrees();
    return leaders.flatMap((leader) => {
      const sizes = descendants(leader, children).map((pid) => statusFieldBytes(read(`/proc/${pid}/status`) ?? '', 'VmRSS') ?? 0);
      const largest = Math.max(0, ...sizes);
      return largest > 0 ? [largest] : [];
    });
  }

  /** The cloud's children that run the bootstrap, and every process's children (one pass over /proc). */
  private environmentTrees(): { leaders: number[]; children: Map<number, number[]> } {
    const children = new Map<number, number[]>();
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return { leaders: [], children };
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = read(`/proc/${entry}/stat`);
      const ppid = stat ? parentPid(stat) : undefined;
      if (ppid === undefined) continue;
      const siblings = children.get(ppid);
      if (siblings) siblings.push(Number(entry));
      else children.set(ppid, [Number(entry)]);
    }
    // A child between fork and exec still shows the parent's command line: it is looked at again next time.
    const leaders = (children.get(this.cloudPid ?? -1) ?? []).filter((pid) => (read(`/proc/${pid}/cmdline`) ?? '').includes('bootstrap.mjs'));
    return { leaders, children };
  }

  private sample(first: boolean): void {
    if (this.cloudPid === null || !this.procAvailable) return;
    this.cloud = this.record(this.cloudPid, this.cloud, first);
    const { leaders, children } = this.environmentTrees();
    for (const leader of leaders) {
      this.leaders.add(leader);
      for (const pid of descendants(leader, children)) {
        const sample = this.record(pid, this.functions.get(pid), first);
        if (sample) this.functions.set(pid, sample);
      }
    }
  }

  /** Reads one process's CPU ticks and peak RSS; a process born during the run counts its CPU from zero. */
  private record(pid: number, previous: ProcessSample | undefined, first: boolean): ProcessSample | undefined {
    const stat = read(`/proc/${pid}/stat`);
    const status = read(`/proc/${pid}/status`);
    const ticks = stat ? cpuTicks(stat) : undefined;
    const peak = status ? statusFieldBytes(status, 'VmHWM') : undefined;
    if (ticks === undefined) return previous;
    return {
      firstTicks: previous?.firstTicks ?? (first ? ticks : 0),
      lastTicks: ticks,
      peakBytes: Math.max(previous?.peakBytes ?? 0, peak ?? 0),
    };
  }
}

/** A process and everything under it, from a children map (bounded by the map: each pid is visited once). */
function descendants(root: number, children: Map<number, number[]>): number[] {
  const found: number[] = [];
  const seen = new Set<number>();
  const pending = [root];
  while (pending.length) {
    const pid = pending.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    found.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return found;
}
