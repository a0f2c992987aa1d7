// How an execution environment is fenced in, chosen once per server from what the machine allows: its own PID
// and mount namespace (`namespace`: a private /proc, and the kernel kills all of it when its init dies) or its
// own process group (`process-group`, where namespaces are refused), under a small `sh` init that kills it when
// the cloud's end of a private socket closes. It never changes the network namespace (functions reach the cloud
// on loopback) and uses no cgroups of its own (RELIABILITY.md, "Function containment", says why and what that leaves open);
// cpu-share.ts adds one per environment, for CPU time only, when `--cpu-share lambda` asks.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Socket } from 'node:net';
import { delimiter, join } from 'node:path';
import {
  commandLineOf,
  holdsSocket,
  isSameProcessAlive,
  peerSocketInode,
  PROC_AVAILABLE,
  processesWithVariable,
  processTree,
  readStat,
  residentKbOf,
  startTimeOf,
  statusOf,
} from './proc.js';

export type IsolationLevel = 'namespace' | 'process-group';
/** THUMBCTL_LOCAL_CONTAINMENT: `auto` (default) takes the best level the machine offers. */
export type ContainmentChoice = 'auto' | IsolationLevel;
export const CONTAINMENT_VARIABLE = 'THUMBCTL_LOCAL_CONTAINMENT';

/**
 * In the `process-group` level only, every environment's processes inherit this variable (its label), so the
 * ones that left the group and the tree (setsid plus a double fork) are still found and killed. A function can
 * scrub it from what it passes on; the namespace level needs no marker.
 */
export const ENVIRONMENT_MARKER = 'THUMBCTL_ENVIRONMENT_ID';

export interface Containment {
  readonly level: IsolationLevel;
  /** One line for the cloud's log: what is contained here and how. */
  readonly summary: string;
  /** `unshare` and its flags, for the namespace level. */
  readonly namespacePrefix: readonly string[];
  /** The init that runs the runtime (`/bin/sh`), or undefined where there is none (Windows). */
  readonly initShell: string | undefined;
  /** Whether /proc answers: process trees, memory of the whole group, and the Runtime API's peer check. */
  readonly procAvailable: boolean;
}

/**
 * PID 1 of the environment (or, in the process-group level, its group leader). fd 3 is a socket whose other end
 * only the local cloud holds: the watcher's `read` returns when the cloud closes it or dies, and then kills the
 * runtime (and, in a namespace, PID 1 exiting takes every other process along). When the runtime ends on its
 * own the init kills the watcher (its own child, so never a recycled pid) and exits with the runtime's status,
 * so the cloud sees how it ended; the runtime reports its own exit code on fd 3 as well, because `wait` folds
 * "killed by signal N" and "exit code 128+N" together. `$0` is the environment's label.
 */
function initScript(level: IsolationLevel): string {
  // Without a namespace nothing kills the processes that left the group when the cloud dies, so the watcher
  // hunts every process carrying the marker (the runtime included; twice, for what forked meanwhile), then
  // kills the group, itself last. It runs without the marker, so that it is not among the hunted.
  const watcher =
    level === 'namespace'
      ? '{ read -r _ <&3; kill -KILL "$runtime" 0; } >/dev/null 2>&1 &'
      : `env -u ${ENVIRONMENT_MARKER} /bin/sh -c '` +
        'read -r _ <&3; for pass in 1 2; do ' +
        `for f in $(grep -l -s -a -F "${ENVIRONMENT_MARKER}=$0" /proc/[0-9]*/environ); do p=\${f#/proc/}; kill -KILL "\${p%/environ}"; done; ` +
        `done; kill -KILL 0' "$0" >/dev/null 2>&1 &`;
  return ['"$@" &', 'runtime=$!', watcher, 'watcher=$!', 'printf "watcher %s\\n" "$watcher" >&3', 'wait "$runtime"', 'status=$?', 'kill -KILL "$watcher" 2>/dev/null', 'exit "$status"'].join('\n');
}

/** The unshare flag sets tried, best first: keep our uid where util-linux can (2.38+), else appear as root. */
const NAMESPACE_FLAG_SETS: readonly (readonly string[])[] = [
  ['--user', '--map-current-user', '--pid', '--fork', '--mount-proc', '--kill-child'],
  ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc', '--kill-child'],
  // Root where user namespaces are refused (some container runtimes): the PID and mount namespaces alone.
  ['--pid', '--fork', '--mount-proc', '--kill-child'],
];

const PROBE_TIMEOUT_MS = 5000;

const probes = new Map<ContainmentChoice, Promise<Containment>>();

/** The containment level for this process (probed once per choice, then cached). */
export function containmentFor(choice: ContainmentChoice): Promise<Containment> {
  let probe = probes.get(choice);
  if (!probe) {
    probe = probeContainment(choice);
    probes.set(choice, probe);
  }
  return probe;
}

/** Reads THUMBCTL_LOCAL_CONTAINMENT; anything but `namespace` or `process-group` means `auto` (the cloud log says so). */
export function readContainmentChoice(env: NodeJS.ProcessEnv = process.env): ContainmentChoice {
  const value = env[CONTAINMENT_VARIABLE];
  return value === 'namespace' || value === 'process-group' ? value : 'auto';
}

async function probeContainment(choice: ContainmentChoice): Promise<Containment> {
  const initShell = process.platform === 'win32' ? undefined : existsSync('/bin/sh') ? '/bin/sh' : undefined;
  const fallback = (why: string): Containment => ({
    level: 'process-group',
    summary:
      `process-group: each environment in its own process group and session${PROC_AVAILABLE ? ', memory summed over its process tree, strays found by a marker variable' : ''}; ` +
      `not isolated from other processes (${why})`,
    namespacePrefix: [],
    initShell,
    procAvailable: PROC_AVAILABLE,
  });
  if (choice === 'process-group') return fallback(`${CONTAINMENT_VARIABLE}=process-group`);
  if (process.platform !== 'linux') return fallback(`no PID namespaces on ${process.platform}`);
  if (!initShell) return fallback('no /bin/sh');
  const unshare = findExecutable('unshare');
  if (!unshare) return fallback('util-linux `unshare` not found');
  const failures: string[] = [];
  for (const flags of NAMESPACE_FLAG_SETS) {
    if (flags[0] !== '--user' && process.geteuid?.() !== 0) continue;
    const outcome = await probeNamespace(unshare, flags, initShell);
    if (outcome === true) {
      return {
        level: 'namespace',
        summary: `namespace: each environment in its own PID and mount namespace with a private /proc (${unshare} ${flags.join(' ')})`,
        namespacePrefix: [unshare, ...flags],
        initShell,
        procAvailable: true,
      };
    }
    failures.push(outcome);
  }
  return fallback(`unshare refused: ${failures[0] ?? 'no flag set applies'}`);
}

/** True when, under these flags, a shell is PID 1 and /proc shows only its own namespace; else why not. */
function probeNamespace(unshare: string, flags: readonly string[], shell: string): Promise<true | string> {
  return new Promise((resolve) => {
    execFile(
      unshare,
      [...flags, shell, '-c', 'test "$$" = 1 && exec cat /proc/1/cmdline'],
      { timeout: PROBE_TIMEOUT_MS, encoding: 'latin1', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
      (error, stdout, stderr) => {
        if (!error && stdout === 'cat\0/proc/1/cmdline\0') return resolve(true);
        const reason = String(stderr).trim().split('\n')[0] || (error ? error.message.split('\n')[0] : `unexpected /proc (${JSON.stringify(stdout.slice(0, 40))})`);
        resolve(reason ?? 'failed');
      },
    );
  });
}

function findExecutable(name: string): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const directory of directories) {
    if (!directory) continue;
    const candidate = join(directory, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

export interface ContainedProcessOptions {
  containment: Containment;
  /** The runtime's command line (node and its arguments); it gets fd 3 to report its exit code on. */
  command: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /**
   * A cgroup's `cgroup.procs` (cpu-share.ts): the spawned shell writes its own pid there and only then execs the
   * rest, so every process of the environment starts inside the cgroup (none runs a moment outside its limit).
   */
  cpuProcsFile?: string;
}

/** How a contained runtime ended, as if it had been spawned directly. */
export interface ContainedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How long a process list is reused by the memory watch before the tree is walked again (main threads only)... */
const TREE_REFRESH_MS = 100;
/** ... and before every thread's children are read too (a worker thread can fork; node has about ten threads). */
const FULL_TREE_REFRESH_MS = 1000;
/** Bytes of fd-3 reports kept; the init and the runtime write two short lines in an environment's life. */
const MAX_REPORT_BYTES = 1024;
/** SIGSTOP-and-look rounds before the final SIGKILL, when processes are hunted one by one. */
const FREEZE_ROUNDS = 4;

/**
 * One execution environment's processes: the runtime under its init, inside the chosen containment. Spawns,
 * measures (memory of the function's processes only, not of the init), answers "does this socket belong to
 * you" for the Runtime API, and kills the lot.
 */
export class ContainedProcess {
  readonly label = `thumbctl-environment-${randomBytes(8).toString('hex')}`;
  readonly child: ChildProcess;
  /** The spawned process (unshare, or the init): leader of the environment's process group and session. */
  readonly pid: number | undefined;
  /** Its /proc start time, so a recorded pid is never mistaken for a recycled one. */
  readonly startTime: string | undefined;
  private readonly containment: Containment;
  private reports = '';
  private reportedExitCode: number | undefined;
  private watcherInnerPid: number | undefined;
  private tree: number[] = [];
  private treeAt = 0;
  private fullTreeAt = 0;
  /** Pid in the environment's own PID namespace, per process seen (it never changes for a process). */
  private readonly innerPids = new Map<number, number>();
  private exited = false;

  constructor(options: ContainedProcessOptions) {
    this.containment = options.containment;
    const { file, args } = this.commandLine(options.command, options.cpuProcsFile);
    const env = { ...options.env };
    if (this.containment.level === 'process-group') env[ENVIRONMENT_MARKER] = this.label;
    this.child = spawn(file, args, {
      cwd: options.cwd,
      env,
      stdio: this.containment.initShell ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
      // Its own process group and session: Ctrl-C on `thumbctl local serve` (SIGINT to the terminal's foreground
      // group) must not kill a function mid-invocation while the cloud drains, and the group is what we kill.
      detached: true,
    });
    this.pid = this.child.pid;
    this.startTime = this.pid && PROC_AVAILABLE ? startTimeOf(this.pid) : undefined;
    this.child.once('exit', () => (this.exited = true));
    const reports = this.child.stdio[3] as Socket | null | undefined;
    if (reports) {
      reports.setEncoding('latin1');
      reports.on('data', (chunk: string) => this.readReports(chunk));
      reports.on('error', () => undefined);
    }
  }

  /** The exit as the runtime itself ended: the init's `128+N` turned back into signal N unless the runtime reported that code. */
  decodeExit(code: number | null, signal: NodeJS.Signals | null): ContainedExit {
    if (signal || code === null || !this.containment.initShell) return { code, signal };
    if (this.reportedExitCode === code || code <= 128) return { code, signal: null };
    const name = Object.entries(osConstants.signals).find(([, number]) => number === code - 128)?.[0] as NodeJS.Signals | undefined;
    return name ? { code: null, signal: name } : { code, signal: null };
  }

  /**
   * The environment's processes now: the spawned process and all its descendants (in a namespace, every process
   * in it, since orphans are adopted by its init). Empty without /proc. `maxAgeMs` lets the memory watch reuse a
   * recent walk, and read every thread's children only once a second (main threads' at each walk).
   */
  processes(maxAgeMs = 0): number[] {
    if (!this.containment.procAvailable || !this.pid || this.exited) return [];
    const now = Date.now();
    if (now - this.treeAt > maxAgeMs) {
      const everyThread = maxAgeMs === 0 || now - this.fullTreeAt > FULL_TREE_REFRESH_MS;
      this.tree = processTree(this.pid, everyThread);
      this.treeAt = now;
      if (everyThread) this.fullTreeAt = now;
    }
    return this.tree;
  }

  /**
   * Resident memory of the function's processes (the runtime and everything it started; not unshare, the init or
   * its watcher), in kB. Undefined without /proc.
   */
  memory(): number | undefined {
    if (!this.containment.procAvailable || !this.pid || this.exited) return undefined;
    let rssKb = 0;
    for (const pid of this.functionProcesses(TREE_REFRESH_MS)) rssKb += residentKbOf(pid) ?? 0;
    return rssKb;
  }

  /** The largest high-water mark of a single function process (catches a peak between two samples), in kB. */
  largestPeakKb(): number {
    let peakKb = 0;
    for (const pid of this.functionProcesses(0)) peakKb = Math.max(peakKb, statusOf(pid)?.hwmKb ?? 0);
    return peakKb;
  }

  private functionProcesses(maxAgeMs: number): number[] {
    if (!this.containment.procAvailable || !this.pid || this.exited) return [];
    return this.processes(maxAgeMs).filter((pid) => {
      if (pid === this.pid) return false;
      let innerPid = this.innerPids.get(pid);
      if (innerPid === undefined) {
        innerPid = statusOf(pid)?.innerPid;
        if (innerPid === undefined) return false;
        this.innerPids.set(pid, innerPid);
      }
      // In a namespace the init is PID 1 there; the watcher is whatever pid the init reported.
      if (this.containment.level === 'namespace' && innerPid === 1) return false;
      return innerPid !== this.watcherInnerPid;
    });
  }

  /**
   * True when the client end of a loopback TCP connection to `serverPort` from `clientPort` is a socket one of
   * this environment's processes holds. False when /proc cannot say (no peer check is possible there).
   */
  async ownsConnection(serverPort: number, clientPort: number): Promise<boolean> {
    if (!this.containment.procAvailable) return false;
    const inode = await peerSocketInode(serverPort, clientPort);
    if (inode === undefined) return false;
    return this.processes().some((pid) => holdsSocket(pid, inode));
  }

  /**
   * Kills every process of the environment, now (SIGKILL: Lambda gives no grace either). In a namespace,
   * killing the group takes unshare, the init and the runtime, and the init's death takes the rest. In a process
   * group, the processes that left it are hunted: descendants and marker carriers are stopped (so none can fork
   * meanwhile) and looked for again until no new one appears, then all are killed.
   */
  kill(): void {
    if (!this.pid) return;
    const live = !this.exited;
    if (this.containment.level === 'process-group' && this.containment.procAvailable) {
      killHunted(live ? this.pid : undefined, new Set([this.label]), this.pid);
    }
    // The group is ours while its leader lives (a zombie still holds its pid); once it is reaped the number
    // may be reused, so after the exit only hunted processes are killed. The leader itself is killed through
    // its handle too: where there are no process groups (Windows) that is all there is.
    if (live) {
      signalGroup(this.pid, 'SIGKILL');
      this.child.kill('SIGKILL');
    }
  }

  /** The record a later server needs to kill what this environment left behind if this server dies. */
  record(): { label: string; pid: number; startTime?: string; level: IsolationLevel } | undefined {
    if (!this.pid) return undefined;
    return { label: this.label, pid: this.pid, ...(this.startTime ? { startTime: this.startTime } : {}), level: this.containment.level };
  }

  private commandLine(command: readonly string[], cpuProcsFile?: string): { file: string; args: string[] } {
    const { initShell, namespacePrefix } = this.containment;
    if (!initShell) return { file: command[0]!, args: command.slice(1) };
    const init = [initShell, '-c', initScript(this.containment.level), this.label, ...command];
    const contained = this.containment.level === 'namespace' ? [...namespacePrefix, ...init] : init;
    // exec keeps the pid: the process that joined the cgroup is the one recorded, signalled and killed.
    const full = cpuProcsFile ? [initShell, '-c', 'echo "$$" > "$0" && exec "$@"', cpuProcsFile, ...contained] : contained;
    return { file: full[0]!, args: full.slice(1) };
  }

  private readReports(chunk: string): void {
    if (this.reports.length + chunk.length > MAX_REPORT_BYTES) return;
    this.reports += chunk;
    const lines = this.reports.split('\n');
    this.reports = lines.pop() ?? '';
    for (const line of lines) {
      const [what, value] = line.split(' ');
      const number = Number(value);
      if (!Number.isInteger(number)) continue;
      if (what === 'exit' && this.reportedExitCode === undefined) this.reportedExitCode = number;
      else if (what === 'watcher' && this.watcherInnerPid === undefined) this.watcherInnerPid = number;
    }
  }
}

function signalGroup(leader: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-leader, signal);
  } catch {
    // Already gone.
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Stops, then kills, the live tree under `root` (if given), every process carrying one of the marker values,
 * and every process in the group `group` found that way. Linux only (reads /proc).
 */
function killHunted(root: number | undefined, markers: ReadonlySet<string>, group: number | undefined): void {
  const hunted = new Map<number, string>();
  for (let round = 0; round < FREEZE_ROUNDS; round += 1) {
    const found = [...(root ? processTree(root) : []), ...processesWithVariable(ENVIRONMENT_MARKER, markers)];
    let fresh = 0;
    for (const pid of found) {
      if (pid === process.pid || hunted.has(pid)) continue;
      const stat = readStat(pid);
      if (!stat) continue;
      hunted.set(pid, stat.startTime);
      signalProcess(pid, 'SIGSTOP');
      fresh += 1;
    }
    if (fresh === 0) break;
  }
  let groupAlive = false;
  for (const [pid, startTime] of hunted) {
    if (!isSameProcessAlive(pid, startTime)) continue;
    if (group !== undefined && readStat(pid)?.pgid === group) groupAlive = true;
    signalProcess(pid, 'SIGKILL');
  }
  // A member of the group was among them, so the group number is still ours: sweep the rest of it too.
  if (group !== undefined && groupAlive) signalGroup(group, 'SIGKILL');
}

/**
 * Kills what environments of dead servers left behind: each recorded process still alive with its recorded
 * start time and label (its group with it), and, in the process-group level, every process still carrying one
 * of their markers. Returns how many records named a process still alive or marked processes were found.
 */
export function killLeftovers(records: readonly { label: string; pid: number; startTime?: string; level: IsolationLevel }[]): number {
  let killed = 0;
  const markers = new Set<string>();
  for (const record of records) {
    if (record.level === 'process-group') markers.add(record.label);
    if (!PROC_AVAILABLE) {
      // Without /proc the label on the command line is the identity (a recycled pid cannot carry it).
      if (commandLineFromPs(record.pid).includes(record.label)) {
        signalGroup(record.pid, 'SIGKILL');
        killed += 1;
      }
      continue;
    }
    if (record.startTime && isSameProcessAlive(record.pid, record.startTime) && commandLineOf(record.pid).includes(record.label)) {
      signalGroup(record.pid, 'SIGKILL');
      signalProcess(record.pid, 'SIGKILL');
      killed += 1;
    }
  }
  if (PROC_AVAILABLE && markers.size > 0) {
    const marked = processesWithVariable(ENVIRONMENT_MARKER, markers);
    killed += marked.length;
    killHunted(undefined, markers, undefined);
  }
  return killed;
}

function commandLineFromPs(pid: number): string {
  try {
    // Synchronous on purpose: it runs once per leftover record at start-up, before any environment exists.
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 });
  } catch {
    return '';
  }
}
