// Carries V8's compiled code of a function's modules (Node.js 22's compile cache, bootstrap.mjs `--compile-cache`)
// from one code folder to another holding the same files: to a new package's folder from the one it replaces (the
// files an update left unchanged), and between state directories through a machine-wide store per package digest.
// Node.js names each entry by its module's path, so a folder at a new path would otherwise start with nothing.
// It never makes or reads an entry's contents: Node.js and V8 check each against the module's source as they load
// it, and reject one that does not match, so an entry carried wrongly is a miss, never wrong code.
import { randomBytes } from 'node:crypto';
import { constants, copyFileSync, existsSync, linkSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdir, readdir, realpath, rename, rm, stat, utimes } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32 } from 'node:zlib';

/** The folder a store's entries are named for: Lambda's LAMBDA_TASK_ROOT (no code ever runs from it here). */
const STORE_FOLDER = '/var/task';
/** Package digests whose compiled code the machine-wide store keeps (the least recently used go first). */
export const STORED_PACKAGES_KEPT = 8;
/** A store being written for longer than this belongs to a server that died. */
const STALE_STAGING_MS = 60 * 60_000;
/** Files of a folder looked at when carrying its entries; a package with more carries only these. */
const MAX_FILES = 5_000;
/** The files Node.js compiles as modules, whose entries can exist. */
const MODULE_FILE = /\.(?:js|mjs|cjs)$/;

/** Node.js's two kinds of entry: CommonJS named by the file's path, an ES module by its file: URL. */
const ENTRY_KINDS = [
  { type: 0, name: (path: string) => path },
  { type: 1, name: (path: string) => pathToFileURL(path).href },
] as const;

/**
 * The name Node.js 22 gives a module's entry in a compile cache directory: the CRC-32 of its kind (one byte) then
 * its path or URL, as eight hex digits. A Node.js that names them otherwise only misses what was carried.
 */
export function compileCacheEntryName(type: number, moduleName: string): string {
  return crc32(moduleName, crc32(Buffer.from([type]))).toString(16).padStart(8, '0');
}

/** The machine-wide store for a package digest: `<cache root>/compile-cache/<digest>`. */
export function storedCompileCache(cacheRoot: string, sha256Hex: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256Hex)) throw new Error(`not a sha256 digest: ${sha256Hex.slice(0, 80)}`);
  return join(cacheRoot, 'compile-cache', sha256Hex);
}

/**
 * Carries the entries `fromCache` holds for `files` (paths relative to the folders) as compiled at `fromFolder`
 * into `toCache`, named for the same files at `toFolder`. An entry `toCache` already has stays. Each Node.js
 * version's subfolder (`v22.23.5-x64-…`) is carried as it is. An entry is hard-linked where it can be (copying
 * a package's ~1 MB of entries took 50-200 ms on this machine's busy disk, linking them under 1 ms): Node.js
 * replaces an entry it refreshes (a new file renamed over the name) rather than writing into it, and one that
 * did write into a shared entry would only make it stale, which Node.js rejects. Synchronous: each is one quick
 * system call, and through the thread pool they waited on it dozens of times in the middle of an unpack.
 * @returns how many entries were carried
 */
export function carryCompileCache(from: { folder: string; cache: string }, to: { folder: string; cache: string }, files: readonly string[]): number {
  let copied = 0;
  for (const version of readdirOrNone(from.cache)) {
    const source = join(from.cache, version);
    const present = new Set(readdirOrNone(source));
    if (present.size === 0) continue;
    const destination = join(to.cache, version);
    let made = false;
    for (const file of files) {
      for (const kind of ENTRY_KINDS) {
        const entry = compileCacheEntryName(kind.type, kind.name(join(from.folder, file)));
        if (!present.has(entry)) continue;
        if (!made) mkdirSync(destination, { recursive: true });
        made = true;
        if (linkOrCopy(join(source, entry), join(destination, compileCacheEntryName(kind.type, kind.name(join(to.folder, file)))))) copied += 1;
      }
    }
  }
  return copied;
}

/** Links `from` as `to`, or copies it where it cannot (another file system); false when `to` is there already. */
function linkOrCopy(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
  }
  try {
    copyFileSync(from, to, constants.COPYFILE_EXCL);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readdirOrNone(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** The module files under `folder`, relative to it (at most MAX_FILES; symlinks are not followed). */
export async function moduleFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    if (files.length >= MAX_FILES) break;
    if (entry.isFile() && MODULE_FILE.test(entry.name)) files.push(relative(folder, join(entry.parentPath ?? entry.path, entry.name)).split(sep).join('/'));
  }
  return files;
}

/**
 * Fills a new code folder's compile cache before its first cold start: from the machine-wide store of its digest
 * (another state directory ran this package), then from the package it replaces for the files they share.
 * Best effort: a failure leaves the cache as it was (the cold start compiles what is missing). `folder` is the
 * folder's real path (Node.js names ES modules by it), which need not exist yet.
 */
export async function seedCompileCache(options: {
  folder: string;
  cache: string;
  files: readonly string[];
  store?: string;
  previous?: { folder: string; cache: string; files: readonly string[] };
}): Promise<number> {
  let copied = 0;
  try {
    const folder = options.folder;
    if (options.store && existsSync(options.store)) {
      copied += carryCompileCache({ folder: STORE_FOLDER, cache: options.store }, { folder, cache: options.cache }, options.files);
      const now = new Date();
      await utimes(options.store, now, now).catch(() => undefined);
    }
    if (options.previous && options.previous.files.length > 0) {
      const previousFolder = await realpath(options.previous.folder).catch(() => undefined);
      if (previousFolder) copied += carryCompileCache({ folder: previousFolder, cache: options.previous.cache }, { folder, cache: options.cache }, options.previous.files);
    }
  } catch {
    /* nothing carried: the cold start compiles */
  }
  return copied;
}

/**
 * Keeps what a code folder's first cold start compiled in the machine-wide store for its digest, for each Node.js
 * version and V8 flags (one subfolder each: Node.js names it by both, and MemorySize sets the heap flags) that the
 * store has not got yet: written beside it and renamed into place, so a reader never sees half of one, and the least
 * recently used stores beyond STORED_PACKAGES_KEPT are removed. Best effort.
 */
export async function storeCompileCache(options: { folder: string; cache: string; store: string }): Promise<number> {
  // Nothing compiled (a runtime without the compile cache, or a custom one): nothing to look for in the folder.
  const missing = (await readdir(options.cache).catch(() => [])).filter((version) => !existsSync(join(options.store, version)));
  if (missing.length === 0) return 0;
  const staging = `${options.store}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const folder = await realpath(options.folder);
    carryCompileCache({ folder, cache: options.cache }, { folder: STORE_FOLDER, cache: staging }, await moduleFiles(folder));
    let stored = 0;
    for (const version of missing) {
      const entries = readdirOrNone(join(staging, version)).length;
      if (entries === 0) continue;
      await mkdir(options.store, { recursive: true });
      // Another server may have stored the same version first: its entries are as good.
      if (await rename(join(staging, version), join(options.store, version)).then(() => true, () => false)) stored += entries;
    }
    if (stored > 0) {
      const now = new Date();
      await utimes(options.store, now, now).catch(() => undefined);
      await pruneStores(join(options.store, '..'));
    }
    return stored;
  } catch {
    return 0;
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Removes the least recently used stores beyond STORED_PACKAGES_KEPT, and what a server that died while storing left. */
async function pruneStores(root: string): Promise<void> {
  const names = await readdir(root).catch(() => []);
  const now = Date.now();
  for (const name of names.filter((entry) => entry.endsWith('.tmp'))) {
    const at = (await stat(join(root, name)).catch(() => undefined))?.mtimeMs;
    if (at !== undefined && now - at > STALE_STAGING_MS) await rm(join(root, name), { recursive: true, force: true }).catch(() => undefined);
  }
  const stores = names.filter((name) => /^[0-9a-f]{64}$/.test(name));
  if (stores.length <= STORED_PACKAGES_KEPT) return;
  const dated = await Promise.all(stores.map(async (name) => ({ name, at: (await stat(join(root, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.at - a.at);
  for (const { name } of dated.slice(STORED_PACKAGES_KEPT)) await rm(join(root, name), { recursive: true, force: true }).catch(() => undefined);
}
