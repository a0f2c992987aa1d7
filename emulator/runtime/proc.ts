// What the containment layer reads from Linux's /proc: a process's start time (its identity across pid reuse),
// its descendants, its memory, which process holds one end of a loopback TCP connection, and which processes
// carry an environment's marker variable. Linux only: callers check PROC_AVAILABLE first. Nothing here
// signals or changes a process, and every scan is bounded (MAX_PROCESSES_PER_SCAN). Reads are synchronous on
// purpose where they are small (a status, a children list): /proc answers from kernel memory, never a disk, and a
// readFileSync costs a fraction of the thread-pool round trip; the TCP tables, which are not small, are read async.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';

export const PROC_AVAILABLE = process.platform === 'linux' && existsSync('/proc/self/stat');

/** No scan looks at more processes than this (a fork bomb must not turn one scan into seconds of work). */
export const MAX_PROCESSES_PER_SCAN = 4096;

/** What `/proc/<pid>/stat` says about a process (fields after the command name, which may hold anything). */
export interface ProcStat {
  state: string;
  ppid: number;
  pgid: number;
  /** Clock ticks since boot at which it started: with the pid, it names one process, never a recycled pid. */
  startTime: string;
}

export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // `pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  // priority nice num_threads itrealvalue starttime ...`; comm may contain spaces and `)`, so read after the last `)`.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTime = fields[19];
  if (!startTime) return undefined;
  return { state: fields[0] ?? '?', ppid: Number(fields[1]), pgid: Number(fields[2]), startTime };
}

export function startTimeOf(pid: number): string | undefined {
  return readStat(pid)?.startTime;
}

/** True while a process with this pid and start time exists (and is not a zombie: that one is already dead). */
export function isSameProcessAlive(pid: number, startTime: string): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z';
}

/** The NUL-separated command line of a process, or '' when it is gone. */
export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
}

let childrenFilesWork: boolean | undefined;

/**
 * Direct children of a process, from `/proc/<pid>/task/<tid>/children`: a child belongs to the thread that forked
 * it. Node forks from its main thread (and adopted orphans attach there too), so `everyThread: false` reads only
 * that one file; a worker thread's children need `everyThread` (a file per thread: node has about ten). On a
 * kernel without these files (CONFIG_PROC_CHILDREN off) it falls back to a bounded scan of every stat.
 */
export function childrenOf(pid: number, everyThread = true): number[] {
  childrenFilesWork ??= existsSync(`/proc/self/task/${process.pid}/children`);
  if (!childrenFilesWork) return scanChildren(pid);
  let tasks: string[];
  if (everyThread) {
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      return [];
    }
  } else tasks = [String(pid)];
  const children: number[] = [];
  for (const task of tasks) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${task}/children`, 'latin1');
    } catch {
      continue;
    }
    for (const child of text.split(' ')) if (child) children.push(Number(child));
  }
  return children;
}

function scanChildren(parent: number): number[] {
  const children: number[] = [];
  for (const pid of allPids()) if (readStat(pid)?.ppid === parent) children.push(pid);
  return children;
}

/** Every numeric entry of /proc, at most MAX_PROCESSES_PER_SCAN of them. */
export function allPids(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    pids.push(Number(entry));
    if (pids.length >= MAX_PROCESSES_PER_SCAN) break;
  }
  return pids;
}

/**
 * The process and all its descendants, breadth first (the root first), at most `limit` of them.
 * @param everyThread - false: only children forked by main threads (cheaper; see childrenOf)
 */
export function processTree(root: number, everyThread = true, limit = MAX_PROCESSES_PER_SCAN): number[] {
  const tree = [root];
  const seen = new Set(tree);
  for (let index = 0; index < tree.length && tree.length < limit; index += 1) {
    for (const child of childrenOf(tree[index]!, everyThread)) {
      if (seen.has(child)) continue;
      seen.add(child);
      tree.push(child);
      if (tree.length >= limit) break;
    }
  }
  return tree;
}

/** Kilobytes per page, for /proc/<pid>/statm (4 on most machines; 16 or 64 on some arm64 kernels). */
const pageKb = ((): number => {
  if (!PROC_AVAILABLE) return 4;
  try {
    const pages = Number(readFileSync('/proc/self/statm', 'latin1').split(' ')[1]);
    const rssKb = Number(/\nVmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'latin1'))?.[1]);
    const ratio = rssKb / pages;
    return [4, 16, 64].reduce((best, size) => (Math.abs(size - ratio) < Math.abs(best - ratio) ? size : best), 4);
  } catch {
    return 4;
  }
})();

/** Resident set now, in kB, from /proc/<pid>/statm (a few times cheaper to produce than `status`). */
export function residentKbOf(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]) * pageKb;
  } catch {
    return undefined;
  }
}

export interface ProcessStatus {
  /** The kernel's high-water mark of the resident set, kB. */
  hwmKb: number;
  /** Its pid in the innermost PID namespace it belongs to (its own pid when it is in ours). */
  innerPid: number;
}

export function statusOf(pid: number): ProcessStatus | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const nsPids = /\nNSpid:\s*([\d\s]+?)\n/.exec(status)?.[1]?.trim().split(/\s+/);
  return {
    hwmKb: Number(/\nVmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0),
    innerPid: Number(nsPids?.[nsPids.length - 1] ?? pid),
  };
}

/**
 * The inode of the socket at the other end of a loopback TCP connection our server accepted: the row of
 * /proc/net/tcp (or tcp6, for an IPv4-mapped client) whose local port is the client's and whose remote port is
 * ours. Undefined when no such row exists (the client is gone, or is not on this machine). Asynchronous and read
 * in chunks until the row is found: the kernel produces these tables by walking every bucket of the TCP hash
 * (about 5 ms of CPU for a 262,144-bucket table, whatever the number of connections), so the server must not
 * wait on it, and stopping at the row saves half of it on average.
 */
export async function peerSocketInode(serverPort: number, clientPort: number): Promise<number | undefined> {
  // `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...`
  const row = new RegExp(`^\\s*\\d+: ([0-9A-F]+):${hexPort(clientPort)} ([0-9A-F]+):${hexPort(serverPort)} (?:\\S+\\s+){6}(\\d+)`, 'gm');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let file;
    try {
      file = await open(table, 'r');
    } catch {
      continue;
    }
    try {
      const chunk = Buffer.alloc(TCP_TABLE_CHUNK_BYTES);
      let carried = '';
      for (let read = 0, total = 0; total < MAX_TCP_TABLE_BYTES; total += read) {
        ({ bytesRead: read } = await file.read(chunk, 0, chunk.length, null));
        if (read === 0) break;
        const text = carried + chunk.toString('latin1', 0, read);
        const lastNewline = text.lastIndexOf('\n');
        carried = text.slice(lastNewline + 1);
        for (const match of text.slice(0, lastNewline + 1).matchAll(row)) {
          if (!isLoopbackHex(match[1]!) || !isLoopbackHex(match[2]!)) continue;
          const inode = Number(match[3]);
          if (inode > 0) return inode;
        }
      }
    } catch {
      // Unreadable: treated as not found.
    } finally {
      await file.close();
    }
  }
  return undefined;
}

/** The TCP tables are read this much at a time... */
const TCP_TABLE_CHUNK_BYTES = 32 * 1024;
/** ... and no further than this (about 400,000 connections: beyond, the client is refused rather than waited for). */
const MAX_TCP_TABLE_BYTES = 64 * 1024 * 1024;

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/** 127.0.0.0/8 (`0100007F` little-endian), ::1, or ::ffff:127.x.x.x, as /proc/net/tcp(6) writes them. */
function isLoopbackHex(host: string): boolean {
  if (host.length === 8) return host.endsWith('7F');
  return host === '00000000000000000000000001000000' || (host.startsWith('0000000000000000FFFF0000') && host.endsWith('7F'));
}

/** True when one of the process's file descriptors is this socket. */
export function holdsSocket(pid: number, inode: number): boolean {
  const target = `socket:[${inode}]`;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return true;
    } catch {
      // Closed while we looked.
    }
  }
  return false;
}

/**
 * Processes whose initial environment holds `name=<one of values>`: those an environment started, wherever
 * they went (a double fork or setsid leaves the process tree, not the inherited environment). Only processes
 * of our own user are readable, which is all an environment can start. Bounded by MAX_PROCESSES_PER_SCAN.
 */
export function processesWithVariable(name: string, values: ReadonlySet<string>): number[] {
  if (values.size === 0) return [];
  const prefix = Buffer.from(`${name}=`);
  const found: number[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    for (let at = environ.indexOf(prefix); at >= 0; at = environ.indexOf(prefix, at + 1)) {
      if (at > 0 && environ[at - 1] !== 0) continue;
      const end = environ.indexOf(0, at);
      const value = environ.subarray(at + prefix.length, end < 0 ? environ.length : end).toString('latin1');
      if (values.has(value)) found.push(pid);
      break;
    }
  }
  return found;
}
