// The shared cache of Node.js builds (<cache>/node/<version>-<platform>-<arch>/bin/node) and the index of the
// newest release of each major: reading it, and installing a release into it so that no process ever sees a
// half-installed build. Which release to want, and what to do without one, is node-runtimes.ts's business.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { promisify } from 'node:util';
import { downloadVerified, parseStableVersion, type DownloadOptions, type NodeRelease } from './npm-registry.js';

/** The node binary is ~125 MB; four times that is not one. */
export const MAX_BINARY_BYTES = 512 * 1024 * 1024;
/** An index file is a few hundred bytes per major. */
const MAX_INDEX_BYTES = 256 * 1024;
/** A lock older than this is left over by a process that died mid-install (no download takes that long: see DEFAULT_TIMEOUTS). */
const STALE_LOCK_MS = 20 * 60_000;
/** A temporary install directory older than this belongs to nobody any more. */
const STALE_TEMP_MS = 60 * 60_000;
const LOCK_POLL_MS = 200;

/**
 * thumbctl's cache directory, shared by every state directory and server on the machine: THUMBCTL_CACHE_DIR,
 * else $XDG_CACHE_HOME/thumbctl, else ~/.cache/thumbctl.
 */
export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.THUMBCTL_CACHE_DIR) return env.THUMBCTL_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'thumbctl');
}

/** Where the Node.js builds are: `<cache root>/node`. */
export function nodeCacheDir(cacheRoot: string): string {
  return join(cacheRoot, 'node');
}

export interface InstalledNode {
  version: string;
  dir: string;
  binary: string;
}

/** `22.23.5-linux-x64`: the one name an install directory may have (the version is checked, never taken raw). */
export function installDirName(version: string, platform: string, arch: string): string {
  if (!parseStableVersion(version)) throw new Error(`not a Node.js release version: ${JSON.stringify(version)}`);
  if (!/^[a-z0-9]+$/.test(platform) || !/^[a-z0-9]+$/.test(arch)) throw new Error(`not a platform: ${platform}-${arch}`);
  return `${version}-${platform}-${arch}`;
}

/** Every complete install for this platform, newest first. A directory appears only by rename, whole. */
export function installedNodes(nodeDir: string, platform: string, arch: string): InstalledNode[] {
  let names: string[];
  try {
    names = readdirSync(nodeDir);
  } catch {
    return [];
  }
  const suffix = `-${platform}-${arch}`;
  const found: InstalledNode[] = [];
  for (const name of names) {
    if (!name.endsWith(suffix)) continue;
    const version = name.slice(0, -suffix.length);
    if (!parseStableVersion(version) || name !== installDirName(version, platform, arch)) continue;
    const dir = join(nodeDir, name);
    const binary = join(dir, 'bin', 'node');
    if (!existsSync(join(dir, 'install.json')) || !existsSync(binary)) continue;
    found.push({ version, dir, binary });
  }
  return found.sort((a, b) => {
    const [x, y] = [parseStableVersion(a.version)!, parseStableVersion(b.version)!];
    return y[0] - x[0] || y[1] - x[1] || y[2] - x[2];
  });
}

/** What the registry said, and when: the newest release of each major of one binary package. */
export interface ReleaseIndex {
  registry: string;
  packageName: string;
  /** Epoch ms of the registry's answer. */
  fetchedAt: number;
  /** Keyed by major (`"22"`). */
  releases: Record<string, NodeRelease>;
}

function indexPath(nodeDir: string, packageName: string): string {
  if (!/^[a-z0-9-]+$/.test(packageName)) throw new Error(`not a binary package name: ${packageName}`);
  return join(nodeDir, `index-${packageName}.json`);
}

/** The stored index, or undefined when there is none or it is not one we wrote. */
export function readIndex(nodeDir: string, packageName: string): ReleaseIndex | undefined {
  const file = indexPath(nodeDir, packageName);
  try {
    if (statSync(file).size > MAX_INDEX_BYTES) return undefined;
    const index = JSON.parse(readFileSync(file, 'utf8')) as ReleaseIndex;
    if (typeof index.registry !== 'string' || index.packageName !== packageName || typeof index.fetchedAt !== 'number') return undefined;
    if (!index.releases || typeof index.releases !== 'object') return undefined;
    for (const release of Object.values(index.releases)) {
      if (typeof release?.version !== 'string' || !parseStableVersion(release.version)) return undefined;
      if (typeof release.integrity !== 'string' || typeof release.tarball !== 'string') return undefined;
    }
    return index;
  } catch {
    return undefined;
  }
}

/** Replaces the index whole (write aside, then rename): a reader sees the old one or the new one. */
export function writeIndex(nodeDir: string, index: ReleaseIndex): void {
  mkdirSync(nodeDir, { recursive: true });
  const file = indexPath(nodeDir, index.packageName);
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, JSON.stringify(index, null, 2));
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

export interface InstallOptions extends DownloadOptions {
  nodeDir: string;
  packageName: string;
  platform: string;
  arch: string;
  /** Says when this process waits for another one's install of the same release. */
  onWait?(message: string): void;
}

/**
 * Installs `release` into the cache, or finds it there. Concurrent installers (threads of this process or other
 * processes) take a lock file first, so one downloads while the others wait and then find it installed; the
 * install itself is a temporary directory renamed into place, so even without the lock no one could see half
 * of one. The download is checked against the registry's sha512 before anything is unpacked, and the binary
 * must run and say its version before it is moved in. On failure nothing is left behind.
 */
export async function installNode(release: NodeRelease, options: InstallOptions): Promise<InstalledNode & { downloaded: boolean }> {
  const { nodeDir, platform, arch } = options;
  const name = installDirName(release.version, platform, arch);
  const finalDir = join(nodeDir, name);
  const existing = (): (InstalledNode & { downloaded: false }) | undefined => {
    const found = installedNodes(nodeDir, platform, arch).find((node) => node.version === release.version);
    return found && { ...found, downloaded: false };
  };
  const already = existing();
  if (already) return already;
  mkdirSync(nodeDir, { recursive: true });
  const unlock = await acquireLock(join(nodeDir, `.${name}.lock`), options, () => existing() !== undefined);
  try {
    const installed = existing();
    if (installed) return installed;
    removeStaleTemporaries(nodeDir);
    const work = join(nodeDir, `.tmp-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(join(work, 'bin'), { recursive: true });
    try {
      const tarball = join(work, 'package.tgz');
      await downloadVerified(release, tarball, options.packageName, options);
      const binary = join(work, 'bin', 'node');
      await extractMember(tarball, 'package/bin/node', binary, MAX_BINARY_BYTES, options.signal);
      rmSync(tarball, { force: true });
      chmodSync(binary, 0o755);
      await checkRuns(binary, release.version, options.signal);
      writeFileSync(
        join(work, 'install.json'),
        JSON.stringify({ package: options.packageName, version: release.version, integrity: release.integrity, tarball: release.tarball, installedAt: new Date().toISOString() }, null, 2),
      );
      try {
        renameSync(work, finalDir);
      } catch (error) {
        // Another installer got there first (one that ignored or outlived our lock): theirs is as good as ours.
        const code = (error as NodeJS.ErrnoException).code;
        const theirs = existing();
        if ((code === 'ENOTEMPTY' || code === 'EEXIST') && theirs) {
          rmSync(work, { recursive: true, force: true });
          return theirs;
        }
        throw error;
      }
    } catch (error) {
      rmSync(work, { recursive: true, force: true });
      throw error;
    }
    return { version: release.version, dir: finalDir, binary: join(finalDir, 'bin', 'node'), downloaded: true };
  } finally {
    unlock();
  }
}

/**
 * Takes `lockFile` (created exclusively, holding our pid), waiting while a live process holds it. A lock whose
 * process is gone, or that is older than any install can take, is stale and broken. `done()` true while
 * waiting means the holder finished what we wanted: we stop waiting and take the lock only to check.
 */
async function acquireLock(lockFile: string, options: InstallOptions, done: () => boolean): Promise<() => void> {
  let announced = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, at: Date.now() }));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (isStaleLock(lockFile)) {
      try {
        unlinkSync(lockFile);
      } catch {
        /* someone else broke it first */
      }
      continue;
    }
    if (done()) return () => undefined;
    if (!announced) {
      announced = true;
      options.onWait?.(`waiting for another thumbctl process installing the same Node.js (${lockFile})`);
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

function isStaleLock(lockFile: string): boolean {
  try {
    const { mtimeMs } = statSync(lockFile);
    if (Date.now() - mtimeMs > STALE_LOCK_MS) return true;
    const { pid } = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid?: unknown };
    if (typeof pid !== 'number') return Date.now() - mtimeMs > 5_000; // being written, or garbage
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    // Gone between the two calls (released): not stale, just free.
    return false;
  }
}

function removeStaleTemporaries(nodeDir: string): void {
  let names: string[];
  try {
    names = readdirSync(nodeDir);
  } catch {
    return;
  }
  for (const name of names.filter((entry) => entry.startsWith('.tmp-')).slice(0, 100)) {
    try {
      if (Date.now() - statSync(join(nodeDir, name)).mtimeMs > STALE_TEMP_MS) rmSync(join(nodeDir, name), { recursive: true, force: true });
    } catch {
      /* removed by someone else */
    }
  }
}

/**
 * Writes one member of a .tgz to `destination` through `tar -xzO` (to stdout): tar itself creates no file, so
 * no name or link in the archive can put anything anywhere; we write the one file we named, at most `maxBytes`.
 * A member that is a link or a directory comes out empty and is refused.
 */
async function extractMember(tarball: string, member: string, destination: string, maxBytes: number, signal: AbortSignal | undefined): Promise<void> {
  const tar = spawn('tar', ['-xzOf', tarball, member], { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
  let stderr = '';
  tar.stderr.setEncoding('utf8');
  tar.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.once('error', reject);
    tar.once('close', (code) => resolve(code));
  });
  let bytes = 0;
  const bound = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(new Error(`${member} in the tarball is larger than ${maxBytes} bytes`));
      done(null, chunk);
    },
  });
  try {
    await pipeline(tar.stdout, bound, createWriteStream(destination, { mode: 0o700 }));
  } catch (error) {
    tar.kill('SIGKILL');
    await exited.catch(() => undefined);
    throw error;
  }
  const code = await exited;
  if (code !== 0) throw new Error(`tar could not extract ${member}: ${stderr.trim().split('\n')[0] || `exit ${code}`}`);
  if (bytes < 1024) throw new Error(`${member} in the tarball is not a program (${bytes} bytes; a link or a directory?)`);
}

/** The binary must start here and report the version it was downloaded as. */
async function checkRuns(binary: string, version: string, signal: AbortSignal | undefined): Promise<void> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(binary, ['--version'], {
      timeout: 30_000,
      encoding: 'utf8',
      maxBuffer: 64 * 1024,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      ...(signal ? { signal } : {}),
    }));
  } catch (error) {
    const reason = ((error as { stderr?: string }).stderr || (error as Error).message || '').trim().split('\n')[0];
    throw new Error(`the downloaded Node.js v${version} does not run on this machine: ${reason}`);
  }
  if (stdout.trim() !== `v${version}`) throw new Error(`the downloaded Node.js says it is ${stdout.trim().slice(0, 40) || 'nothing'}, not v${version}`);
}
