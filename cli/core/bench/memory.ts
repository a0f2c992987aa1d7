// Peak memory during a benchmark: the local cloud's process (this one when the cloud is embedded, else the
// `local serve` process) and its function environments (child processes running the Lambda bootstrap), read
// from /proc (VmHWM, the kernel's own high-water mark) every so often. Off Linux, only this process's maxRSS.
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

/** A `kB` field of /proc/<pid>/status (VmHWM, VmRSS) in bytes, or undefined. */
export function statusFieldBytes(status: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s*kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** The parent pid from /proc/<pid>/stat (the command name in parentheses may itself hold spaces and parens). */
export function parentPid(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Samples the cloud and its function environments until stopped. */
export class MemorySampler {
  private timer: NodeJS.Timeout | undefined;
  private cloudPeak = 0;
  private readonly functionPeaks = new Map<number, number>();
  /** Processes already found not to be function environments: not read again. */
  private readonly others = new Set<number>();
  private readonly procAvailable = process.platform === 'linux';

  constructor(
    private readonly cloudPid: number | null,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): MemoryReport {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    const cloudIsThisProcess = this.cloudPid === process.pid;
    let cloudPeakBytes: number | null = this.cloudPeak || null;
    // Off Linux (no /proc), this process's own high-water mark is all there is.
    if (cloudPeakBytes === null && cloudIsThisProcess) cloudPeakBytes = process.resourceUsage().maxRSS * 1024;
    const peaks = [...this.functionPeaks.values()];
    return {
      cloudPeakBytes,
      cloudPid: this.cloudPid,
      cloudIsThisProcess,
      functionPeakBytes: peaks.length ? Math.max(...peaks) : null,
      functionEnvironments: peaks.length,
    };
  }

  private sample(): void {
    if (this.cloudPid === null || !this.procAvailable) return;
    const status = read(`/proc/${this.cloudPid}/status`);
    const peak = status ? statusFieldBytes(status, 'VmHWM') : undefined;
    if (peak !== undefined) this.cloudPeak = Math.max(this.cloudPeak, peak);
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
      if (!this.functionPeaks.has(pid)) {
        const stat = read(`/proc/${entry}/stat`);
        if (!stat || parentPid(stat) !== this.cloudPid) {
          this.others.add(pid);
          continue;
        }
        // A child between fork and exec still shows the parent's command line: look again next time.
        if (!(read(`/proc/${entry}/cmdline`) ?? '').includes('bootstrap.mjs')) continue;
      }
      const childStatus = read(`/proc/${entry}/status`);
      const childPeak = childStatus ? statusFieldBytes(childStatus, 'VmHWM') : undefined;
      if (childPeak !== undefined) this.functionPeaks.set(pid, Math.max(this.functionPeaks.get(pid) ?? 0, childPeak));
    }
  }
}
