// The execution environments a server has running, one small file each under <stateDir>/environments/, so
// that the next server on the same state directory can kill what a server that died by kill -9 left behind.
// A record names the environment's process by pid, start time and label (never a bare pid: pids are reused)
// and the server that owns it; records of a server still alive are left alone. Not a registry of live state:
// the pool is; a lost record only means one cleanup fewer.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { killLeftovers, type IsolationLevel } from './containment.js';
import { processIsAlive } from '../core/processes.js';
import { isSameProcessAlive, PROC_AVAILABLE, startTimeOf } from './proc.js';

export interface EnvironmentRecord {
  label: string;
  pid: number;
  startTime?: string;
  level: IsolationLevel;
  server: { pid: number; startTime?: string; instance: string };
}

/** Records read at start-up, at most (a state directory that collected more is cleaned over several starts). */
const MAX_RECORDS_PER_START = 1000;

/** Ledgers of servers running in this process: their records are never leftovers. */
const liveInstances = new Set<string>();
const serverStartTime = PROC_AVAILABLE ? startTimeOf(process.pid) : undefined;

export class EnvironmentLedger {
  private readonly directory: string;
  private readonly instance = randomBytes(6).toString('hex');

  constructor(stateDir: string) {
    this.directory = join(stateDir, 'environments');
    liveInstances.add(this.instance);
  }

  /** Writes an environment's record; a failure to write is reported, never thrown (it only costs a cleanup). */
  add(record: Omit<EnvironmentRecord, 'server'>, log: (message: string) => void): void {
    const full: EnvironmentRecord = { ...record, server: { pid: process.pid, ...(serverStartTime ? { startTime: serverStartTime } : {}), instance: this.instance } };
    try {
      mkdirSync(this.directory, { recursive: true });
      writeFileSync(this.fileOf(record.label), JSON.stringify(full));
    } catch (error) {
      log(`lambda: could not record environment ${record.label}: ${(error as Error).message}`);
    }
  }

  remove(label: string): void {
    rmSync(this.fileOf(label), { force: true });
  }

  /**
   * Kills the leftovers of environments whose server is gone (not this process's live servers, not another
   * live server's) and deletes their records. Returns what it did, for the cloud's log.
   */
  reapLeftovers(): { records: number; killed: number } {
    let names: string[];
    try {
      names = readdirSync(this.directory).filter((name) => name.endsWith('.json')).slice(0, MAX_RECORDS_PER_START);
    } catch {
      return { records: 0, killed: 0 };
    }
    const orphaned: EnvironmentRecord[] = [];
    for (const name of names) {
      const record = readRecord(join(this.directory, name));
      if (!record) {
        rmSync(join(this.directory, name), { force: true });
        continue;
      }
      if (ownerIsAlive(record.server)) continue;
      orphaned.push(record);
    }
    const killed = orphaned.length > 0 ? killLeftovers(orphaned) : 0;
    for (const record of orphaned) this.remove(record.label);
    return { records: orphaned.length, killed };
  }

  /** This server stops: its records are no longer protected as a live server's. */
  close(): void {
    liveInstances.delete(this.instance);
  }

  private fileOf(label: string): string {
    return join(this.directory, `${label}.json`);
  }
}

function ownerIsAlive(server: EnvironmentRecord['server']): boolean {
  if (server.pid === process.pid) return liveInstances.has(server.instance);
  if (PROC_AVAILABLE) return server.startTime !== undefined && isSameProcessAlive(server.pid, server.startTime);
  return processIsAlive(server.pid);
}

/** A record as written by `add`, or undefined for anything else (a file we did not write is not trusted). */
function readRecord(file: string): EnvironmentRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<EnvironmentRecord>;
    const { label, pid, level, server } = parsed;
    if (typeof label !== 'string' || !/^thumbctl-environment-[0-9a-f]{16}$/.test(label)) return undefined;
    if (!Number.isInteger(pid) || (pid as number) <= 1) return undefined;
    if (level !== 'namespace' && level !== 'process-group') return undefined;
    if (!server || !Number.isInteger(server.pid) || typeof server.instance !== 'string') return undefined;
    return parsed as EnvironmentRecord;
  } catch {
    return undefined;
  }
}
