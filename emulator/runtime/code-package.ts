// Deployment packages: checks a zip the way Lambda does (size limits, unzippable) plus what a local
// emulator must add (no entry may escape its folder, no symlinks, bounded entry count), and unpacks it once
// per digest into `<stateDir>/code/<sha256 hex>/`, atomically, sharing by hard link the files whose stored bytes
// are those of the package it replaces (an update that changes one file writes one file), its compile cache
// started from what compile-cache.ts carries. It never runs or interprets the code.
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, linkSync, lstatSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir, realpath, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { promisify } from 'node:util';
import { inflateRaw, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';

import { seedCompileCache, storedCompileCache } from './compile-cache.js';
import { defaultCacheRoot } from './node-cache.js';

/** AWS: 50 MB zipped for a direct upload. */
export const MAX_ZIPPED_BYTES = 50 * 1024 * 1024;
/** AWS: 250 MB unzipped, function and layers together. */
export const MAX_UNZIPPED_BYTES = 262_144_000;
/** Not an AWS quota (AWS has none we know of); bounds the work a hostile archive can cause. */
export const MAX_ENTRIES = 50_000;

/** The files Node.js compiles as modules (what a compile cache can hold an entry for). */
const MODULE_FILE = /\.(?:js|mjs|cjs)$/;

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

export interface CodePackageLimits {
  /** 50 MB for a direct upload; a package read from S3 is bounded by the unzipped limit only. */
  maxZippedBytes: number;
  maxUnzippedBytes: number;
  maxEntries: number;
}

export const DEFAULT_LIMITS: CodePackageLimits = { maxZippedBytes: MAX_ZIPPED_BYTES, maxUnzippedBytes: MAX_UNZIPPED_BYTES, maxEntries: MAX_ENTRIES };

/** Why a package was refused; the service turns `kind` into AWS's exact error. */
export class CodePackageError extends Error {
  constructor(
    readonly kind: 'not-a-zip' | 'too-large-zipped' | 'too-large-unzipped' | 'unsafe-entry',
    detail: string,
  ) {
    super(detail);
    this.name = 'CodePackageError';
  }
}

/**
 * Why an entry name is unsafe to extract, or undefined when it is fine. Rejects what could land outside
 * the extraction folder on any platform: `..` segments, absolute paths, backslashes, drive letters, NUL.
 */
export function unsafeEntryName(name: string): string | undefined {
  if (name.length === 0) return 'empty file name';
  if (name.includes('\0')) return 'NUL in file name';
  if (name.includes('\\')) return 'backslash in file name';
  if (name.startsWith('/') || isAbsolute(name)) return 'absolute path';
  if (/^[a-zA-Z]:/.test(name)) return 'drive letter';
  if (name.split('/').some((segment) => segment === '..')) return 'relative path escapes the folder';
  return undefined;
}

/** True when the entry's Unix mode (upper 16 bits of the external attributes) says symlink. */
export function isSymlinkEntry(entry: Pick<yauzl.Entry, 'externalFileAttributes' | 'versionMadeBy'>): boolean {
  const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
  return (mode & S_IFMT) === S_IFLNK;
}

function openZip(zip: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolvePromise, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true, decodeStrings: true }, (error, zipFile) => {
      if (error || !zipFile) reject(new CodePackageError('not-a-zip', error?.message ?? 'unreadable zip'));
      else resolvePromise(zipFile);
    });
  });
}

/**
 * Reads the central directory and refuses the package unless every entry is safe and the declared sizes fit.
 * Declared sizes are checked again while extracting (yauzl's validateEntrySizes), so a lying header fails too.
 * @param zip - the package bytes
 * @param overrides - limits other than AWS's defaults
 * @returns the declared unzipped size and entry count
 */
export async function inspectCodePackage(zip: Buffer, overrides: Partial<CodePackageLimits> = {}): Promise<{ unzippedBytes: number; entries: number }> {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  if (zip.length > limits.maxZippedBytes) throw new CodePackageError('too-large-zipped', `${zip.length} bytes zipped`);
  const zipFile = await openZip(zip);
  try {
    let unzippedBytes = 0;
    let entries = 0;
    await forEachEntry(zipFile, async (entry) => {
      entries += 1;
      if (entries > limits.maxEntries) throw new CodePackageError('unsafe-entry', `more than ${limits.maxEntries} entries`);
      checkEntry(entry);
      unzippedBytes += entry.uncompressedSize;
      if (unzippedBytes > limits.maxUnzippedBytes) throw new CodePackageError('too-large-unzipped', `${unzippedBytes} bytes unzipped`);
    });
    return { unzippedBytes, entries };
  } finally {
    zipFile.close();
  }
}

function checkEntry(entry: yauzl.Entry): void {
  const problem = unsafeEntryName(entry.fileName);
  if (problem) throw new CodePackageError('unsafe-entry', `${problem}: ${JSON.stringify(entry.fileName.slice(0, 200))}`);
  if (isSymlinkEntry(entry)) throw new CodePackageError('unsafe-entry', `symlink: ${JSON.stringify(entry.fileName.slice(0, 200))}`);
  if (entry.isEncrypted()) throw new CodePackageError('not-a-zip', `encrypted entry: ${entry.fileName.slice(0, 200)}`);
}

function forEachEntry(zipFile: yauzl.ZipFile, visit: (entry: yauzl.Entry) => Promise<void>): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      const message = (error as Error)?.message ?? String(error);
      // yauzl's own file-name checks run before ours; they refuse the same names.
      const unsafe = /^(absolute path|invalid relative path|invalid characters in fileName)/.test(message);
      reject(error instanceof CodePackageError ? error : new CodePackageError(unsafe ? 'unsafe-entry' : 'not-a-zip', message));
    };
    zipFile.on('error', fail);
    zipFile.on('end', () => {
      if (!failed) resolvePromise();
    });
    zipFile.on('entry', (entry: yauzl.Entry) => {
      visit(entry).then(() => {
        if (!failed) zipFile.readEntry();
      }, fail);
    });
    zipFile.readEntry();
  });
}

/**
 * Where a package with this digest is (or will be) unpacked. Named by the digest only, never by anything a
 * request chose.
 */
export function codeDirectory(stateDir: string, sha256Hex: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256Hex)) throw new Error(`not a sha256 digest: ${sha256Hex.slice(0, 80)}`);
  return join(stateDir, 'code', sha256Hex);
}

/**
 * Where V8's compiled code of a code folder's modules is kept between cold starts (bootstrap.mjs's
 * `--compile-cache`): beside the code folders, one per folder, so only environments of the same code share it and
 * it goes where that code goes. Never inside the folder: that is the function's LAMBDA_TASK_ROOT, as it uploaded it.
 */
export function compileCacheDirectory(codeFolder: string): string {
  return join(dirname(codeFolder), '.compile-cache', basename(codeFolder));
}

/** A package already unpacked (the one an update replaces): its zip and its folder, whose files an unpack may share. */
export interface UnpackedPackage {
  zip: Buffer;
  directory: string;
  /** Its file entries as its own unpack recorded them (UnpackResult.entries); read from `zip` again when absent. */
  entries?: ReadonlyMap<string, ShareableEntry>;
}

/** What an unpack did: the folder, and how many files it shared with the replaced package instead of writing. */
export interface UnpackResult {
  directory: string;
  written: number;
  shared: number;
  /**
   * The package's file entries by name, as the next update's `previous.entries`: keeping them saves that update a
   * walk of this zip. Absent when the folder was there already (nothing was unpacked).
   */
  entries?: Map<string, ShareableEntry>;
}

/**
 * Unpacks the package into its digest folder unless it is there already: into a temporary folder first,
 * then one rename, so a half-written folder is never used. Validates everything `inspectCodePackage` does.
 *
 * With `previous`, a file entry whose name, mode, date, CRC, sizes, method and stored (compressed) bytes are those
 * of an entry of the previous package is hard-linked from the previous folder instead of being inflated and
 * written: equal stored bytes inflate to equal files, so the new folder holds exactly the new package. The
 * previous file is linked only while it is still a regular file with the entry's size and date (every file is
 * given its entry's date, as Lambda's /var/task shows them): one the function rewrote in its folder is written
 * afresh. A link that fails (the previous folder is being released) falls back to writing. A shared file outlives
 * the folder it came from (a release unlinks one name; the other stays).
 * @returns the folder
 */
export async function unpackCodePackage(
  stateDir: string,
  sha256Hex: string,
  zip: Buffer,
  overrides: Partial<CodePackageLimits> = {},
  previous?: UnpackedPackage,
  options: UnpackOptions = {},
): Promise<string> {
  return (await unpackCodePackageReporting(stateDir, sha256Hex, zip, overrides, previous, options)).directory;
}

export interface UnpackOptions {
  /**
   * The caller has just passed this zip through inspectCodePackage with the same limits (as FunctionCode does before
   * storing it), so it is not walked a second time: each walk of a hundred entries costs 10-80 ms of the event loop.
   */
  inspected?: boolean;
}

/** unpackCodePackage, saying how many files it wrote and how many it shared. */
export async function unpackCodePackageReporting(
  stateDir: string,
  sha256Hex: string,
  zip: Buffer,
  overrides: Partial<CodePackageLimits> = {},
  previous?: UnpackedPackage,
  options: UnpackOptions = {},
): Promise<UnpackResult> {
  const target = codeDirectory(stateDir, sha256Hex);
  if (existsSync(target)) return { directory: target, written: 0, shared: 0 };
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  if (!options.inspected) await inspectCodePackage(zip, limits);
  const shareable = previous ? (previous.entries ?? (await previousEntries(previous).catch(() => undefined))) : undefined;
  const entries = new Map<string, ShareableEntry>();
  const codeRoot = join(stateDir, 'code');
  await mkdir(codeRoot, { recursive: true });
  // A package.json with no "type" above every package: module format and scope lookups stop here, as they
  // do at /var/task, instead of reaching a project's package.json around the state directory.
  const boundary = join(codeRoot, 'package.json');
  if (!existsSync(boundary)) await writeFile(boundary, '{}\n');
  const staging = join(codeRoot, `.staging-${sha256Hex.slice(0, 16)}-${randomBytes(6).toString('hex')}`);
  await mkdir(staging);
  const zipFile = await openZip(zip);
  const result: UnpackResult = { directory: target, written: 0, shared: 0 };
  /** The package's module files, and those of them shared with the previous package (their compiled code carries). */
  const modules: string[] = [];
  const sharedModules: string[] = [];
  // Folders made so far. Made and linked synchronously: each is one quick system call, and a package of a hundred
  // files made through the thread pool waited on it hundreds of times (100-250 ms under load, against a few).
  const folders = new Set<string>([staging]);
  const folder = (path: string): void => {
    if (folders.has(path)) return;
    mkdirSync(path, { recursive: true });
    folders.add(path);
  };
  try {
    let written = 0;
    const slice = new EventLoopSlice();
    await forEachEntry(zipFile, async (entry) => {
      checkEntry(entry);
      const destination = contained(staging, entry.fileName);
      if (entry.fileName.endsWith('/')) {
        folder(destination);
        return;
      }
      folder(dirname(destination));
      const recorded = shareableEntry(zip, entry);
      if (recorded) entries.set(entry.fileName, recorded);
      const executable = ((entry.externalFileAttributes >>> 16) & 0o111) !== 0;
      const modified = entry.getLastModDate();
      const isModule = MODULE_FILE.test(entry.fileName);
      if (isModule) modules.push(entry.fileName);
      if (shareable && previous && shareFile(previous, shareable, zip, entry, executable, modified, destination)) {
        if (isModule) sharedModules.push(entry.fileName);
        // Counted as if written: the unzipped bound is the package's, however its files arrive.
        written += entry.uncompressedSize;
        if (written > limits.maxUnzippedBytes) throw new CodePackageError('too-large-unzipped', `${written} bytes unzipped`);
        result.shared += 1;
        return;
      }
      // A name the zip holds twice may already be here as a link to the previous package's file: writing through
      // it would change that file under the old folder. Written as a new file instead ('wx' after the unlink).
      const mode = executable ? 0o755 : 0o644;
      const small = entry.uncompressedSize <= SMALL_ENTRY_BYTES;
      const whole = small ? wholeEntrySync(zip, entry) : await wholeEntry(zip, entry);
      if (whole) {
        written += whole.length;
        if (written > limits.maxUnzippedBytes) throw new CodePackageError('too-large-unzipped', `${written} bytes unzipped`);
        rmSync(destination, { force: true });
        if (small) {
          // Small files written synchronously, in slices of the event loop: through the thread pool each of their
          // four system calls waited its turn (a package of a hundred files: hundreds of waits, 100-500 ms under load).
          writeFileSync(destination, whole, { mode, flag: 'wx' });
          if (!Number.isNaN(modified.getTime())) utimesSync(destination, modified, modified);
          await slice.yieldIfDue();
        } else {
          await writeFile(destination, whole, { mode, flag: 'wx' });
          if (!Number.isNaN(modified.getTime())) await utimes(destination, modified, modified);
        }
        result.written += 1;
        return;
      }
      const source = await openEntry(zipFile, entry);
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          written += chunk.length;
          if (written > limits.maxUnzippedBytes) callback(new CodePackageError('too-large-unzipped', `${written} bytes unzipped`));
          else callback(null, chunk);
        },
      });
      rmSync(destination, { force: true });
      await pipeline(source, counter, createWriteStream(destination, { mode, flags: 'wx' }));
      if (!Number.isNaN(modified.getTime())) await utimes(destination, modified, modified);
      result.written += 1;
    });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  } finally {
    zipFile.close();
  }
  // Before the folder appears, so its first cold start finds them: the compiled code of the same package run from
  // another state directory, and of the files it shares with the package it replaces (compile-cache.ts).
  const realTarget = join(await realpath(codeRoot), sha256Hex);
  await seedCompileCache({
    folder: realTarget,
    cache: compileCacheDirectory(target),
    files: modules,
    store: storedCompileCache(defaultCacheRoot(), sha256Hex),
    ...(previous ? { previous: { folder: previous.directory, cache: compileCacheDirectory(previous.directory), files: sharedModules } } : {}),
  });
  try {
    await rename(staging, target);
  } catch (error) {
    // Another unpack of the same digest won the race: its folder has the same content.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(target)) throw error;
  }
  result.entries = entries;
  return result;
}

/**
 * The path of an entry inside `folder`. Belt and braces after unsafeEntryName: the resolved path must stay inside
 * the folder.
 */
function contained(folder: string, fileName: string): string {
  const destination = resolve(folder, fileName);
  if (destination !== folder && !destination.startsWith(folder + sep)) {
    throw new CodePackageError('unsafe-entry', `escapes the folder: ${fileName.slice(0, 200)}`);
  }
  return destination;
}

/** What an entry of the previous package must match to be shared. */
export interface ShareableEntry {
  executable: boolean;
  modifiedMs: number;
  lastModFileTime: number;
  lastModFileDate: number;
  crc32: number;
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  stored: Buffer;
}

/** The previous package's file entries by name (it was checked when it was accepted; its names are checked again). */
async function previousEntries(previous: UnpackedPackage): Promise<Map<string, ShareableEntry>> {
  const byName = new Map<string, ShareableEntry>();
  const zipFile = await openZip(previous.zip);
  try {
    await forEachEntry(zipFile, async (entry) => {
      if (entry.fileName.endsWith('/') || unsafeEntryName(entry.fileName) || isSymlinkEntry(entry) || entry.isEncrypted()) return;
      const shareable = shareableEntry(previous.zip, entry);
      if (shareable) byName.set(entry.fileName, shareable);
    });
  } finally {
    zipFile.close();
  }
  return byName;
}

/** What a file entry of `zip` must match in the next package to be shared; undefined when its bytes cannot be located. */
function shareableEntry(zip: Buffer, entry: yauzl.Entry): ShareableEntry | undefined {
  const stored = storedBytes(zip, entry);
  if (!stored) return undefined;
  return {
    executable: ((entry.externalFileAttributes >>> 16) & 0o111) !== 0,
    modifiedMs: entry.getLastModDate().getTime(),
    lastModFileTime: entry.lastModFileTime,
    lastModFileDate: entry.lastModFileDate,
    crc32: entry.crc32,
    compressionMethod: entry.compressionMethod,
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    stored,
  };
}

/** Links the previous package's copy of this entry into place when it is the same file; false when it must be written. */
function shareFile(
  previous: UnpackedPackage,
  shareable: ReadonlyMap<string, ShareableEntry>,
  zip: Buffer,
  entry: yauzl.Entry,
  executable: boolean,
  modified: Date,
  destination: string,
): boolean {
  const before = shareable.get(entry.fileName);
  if (!before || Number.isNaN(modified.getTime())) return false;
  if (
    before.executable !== executable ||
    before.lastModFileTime !== entry.lastModFileTime ||
    before.lastModFileDate !== entry.lastModFileDate ||
    before.crc32 !== entry.crc32 ||
    before.compressionMethod !== entry.compressionMethod ||
    before.compressedSize !== entry.compressedSize ||
    before.uncompressedSize !== entry.uncompressedSize
  ) {
    return false;
  }
  const stored = storedBytes(zip, entry);
  if (!stored || !stored.equals(before.stored)) return false;
  let source: string;
  try {
    source = contained(previous.directory, entry.fileName);
    // lstat, not stat: a symlink the function put in its folder is never followed, nor linked.
    const stats = lstatSync(source);
    if (!stats.isFile() || stats.size !== entry.uncompressedSize || stats.mtimeMs !== before.modifiedMs) return false;
    linkSync(source, destination);
    return true;
  } catch {
    return false;
  }
}

/**
 * An entry's stored bytes, located through its local header; undefined when the header is not where the central
 * directory says or the data would run past the archive (yauzl checks the same when it reads the entry).
 */
function storedBytes(zip: Buffer, entry: yauzl.Entry): Buffer | undefined {
  const header = entry.relativeOffsetOfLocalHeader;
  if (header + 30 > zip.length || zip.readUInt32LE(header) !== 0x04034b50) return undefined;
  const start = header + 30 + zip.readUInt16LE(header + 26) + zip.readUInt16LE(header + 28);
  const end = start + entry.compressedSize;
  return end <= zip.length ? zip.subarray(start, end) : undefined;
}

/** Entries up to this size are inflated in one piece (one thread-pool job) rather than streamed in 16 KB chunks. */
const WHOLE_ENTRY_BYTES = 64 * 1024 * 1024;
/** Entries up to this size are inflated and written on the event loop's thread, in slices (EventLoopSlice). */
const SMALL_ENTRY_BYTES = 256 * 1024;
const inflateRawWhole = promisify(inflateRaw);

/**
 * An entry's content in one piece, for a stored or deflated entry of at most WHOLE_ENTRY_BYTES; undefined for any
 * other (streamed instead). Inflating never yields more than the declared size, and yielding another size than it
 * is refused, as yauzl's validateEntrySizes refuses it when streaming.
 */
async function wholeEntry(zip: Buffer, entry: yauzl.Entry): Promise<Buffer | undefined> {
  const stored = wholeEntryBytes(zip, entry);
  if (!stored) return undefined;
  if (entry.compressionMethod === 0) return checkedSize(entry, stored);
  // One output piece of the declared size: zlib's 16 KB default makes each piece a trip through the thread pool.
  const options = { maxOutputLength: Math.max(1, entry.uncompressedSize), chunkSize: Math.max(64 * 1024, entry.uncompressedSize) };
  return checkedSize(entry, await inflateRawWhole(stored, options).catch((error: unknown) => refuseInflate(entry, error)));
}

/** wholeEntry for a small entry, inflated on this thread (well under a millisecond). */
function wholeEntrySync(zip: Buffer, entry: yauzl.Entry): Buffer | undefined {
  const stored = wholeEntryBytes(zip, entry);
  if (!stored) return undefined;
  if (entry.compressionMethod === 0) return checkedSize(entry, stored);
  try {
    return checkedSize(entry, inflateRawSync(stored, { maxOutputLength: Math.max(1, entry.uncompressedSize) }));
  } catch (error) {
    if (error instanceof CodePackageError) throw error;
    return refuseInflate(entry, error);
  }
}

/** The stored bytes of an entry wholeEntry can take (stored or deflated, at most WHOLE_ENTRY_BYTES), else undefined. */
function wholeEntryBytes(zip: Buffer, entry: yauzl.Entry): Buffer | undefined {
  if (entry.uncompressedSize > WHOLE_ENTRY_BYTES || (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)) return undefined;
  return storedBytes(zip, entry);
}

function checkedSize(entry: yauzl.Entry, content: Buffer): Buffer {
  if (content.length !== entry.uncompressedSize) throw new CodePackageError('not-a-zip', `${entry.fileName.slice(0, 200)}: holds ${content.length} bytes, declares ${entry.uncompressedSize}`);
  return content;
}

function refuseInflate(entry: yauzl.Entry, error: unknown): never {
  const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
  throw new CodePackageError('not-a-zip', tooLarge ? `${entry.fileName.slice(0, 200)}: inflates to more than its declared ${entry.uncompressedSize} bytes` : `${entry.fileName.slice(0, 200)}: ${(error as Error).message}`);
}

/** Synchronous work in slices: yields to the event loop once a slice has run this long, so requests keep being served. */
const SLICE_MS = 8;

class EventLoopSlice {
  private startedAt = performance.now();

  async yieldIfDue(): Promise<void> {
    if (performance.now() - this.startedAt < SLICE_MS) return;
    await new Promise((resolvePromise) => setImmediate(resolvePromise));
    this.startedAt = performance.now();
  }
}

function openEntry(zipFile: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolvePromise, reject) => {
    zipFile.openReadStream(entry, (error, stream) => {
      if (error || !stream) reject(new CodePackageError('not-a-zip', error?.message ?? 'unreadable entry'));
      else resolvePromise(stream);
    });
  });
}
