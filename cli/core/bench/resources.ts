// What a benchmark costs the machine: peak memory and CPU time of the local cloud's process (this one when the
// cloud is embedded, else the `local serve` process) and of its function environments (child processes running
// the Lambda bootstrap), and of this process. Read from /proc (VmHWM, the kernel's own high-water mark; utime and
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

/** Samples the cloud and its function environments between start() and stop(). */
export class ResourceSampler {
  private timer: NodeJS.Timeout | undefined;
  private cloud: ProcessSample | undefined;
  private readonly functions = new Map<number, ProcessSample>();
  /** Processes already found not to be function environments: not read again. */
  private readonly others = new Set<number>();
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
    const environments = [...this.functions.values()];
    const ticksToMs = (ticks: number): number => (ticks * 1000) / TICKS_PER_SECOND;
    return {
      memory: {
        cloudPeakBytes,
        cloudPid: this.cloudPid,
        cloudIsThisProcess,
        functionPeakBytes: environments.length ? Math.max(...environments.map((e) => e.peakBytes)) : null,
        functionEnvironments: environments.length,
      },
      cpu: {
        clientMs: Math.round((client.user + client.system) / 1000),
        cloudMs: this.cloud && !cloudIsThisProcess ? ticksToMs(this.cloud.lastTicks - this.cloud.firstTicks) : null,
        functionsMs: this.procAvailable && this.cloudPid !== null ? ticksToMs(environments.reduce((sum, e) => sum + e.lastTicks - e.firstTicks, 0)) : null,
      },
    };
  }

  private sample(first: boolean): void {
    if (this.cloudPid === null || !this.procAvailable) return;
    this.cloud = this.record(this.cloudPid, this.cloud, first);
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      if (this.others.has(pid)) continue;
      if (!this.functions.has(pid)) {
        const stat = read(`/proc/${entry}/stat`);
        if (!stat || parentPid(stat) !== this.cloudPid) {
          this.others.add(pid);
          continue;
        }
        // A child between fork and exec still shows the parent's command line: look again next time.
        if (!(read(`/proc/${entry}/cmdline`) ?? '').includes('bootstrap.mjs')) continue;
      }
      const sample = this.record(pid, this.functions.get(pid), first);
      if (sample) this.functions.set(pid, sample);
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
