// Deployment packages: checks a zip the way Lambda does (size limits, unzippable) plus what a local
// emulator must add (no entry may escape its folder, no symlinks, bounded entry count), and unpacks it once
// per digest into `<stateDir>/code/<sha256 hex>/`, atomically. It never runs or interprets the code.
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import yauzl from 'yauzl';

/** AWS: 50 MB zipped for a direct upload. */
export const MAX_ZIPPED_BYTES = 50 * 1024 * 1024;
/** AWS: 250 MB unzipped, function and layers together. */
export const MAX_UNZIPPED_BYTES = 262_144_000;
/** Not an AWS quota (AWS has none we know of); bounds the work a hostile archive can cause. */
export const MAX_ENTRIES = 50_000;

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

/**
 * Unpacks the package into its digest folder unless it is there already: into a temporary folder first,
 * then one rename, so a half-written folder is never used. Validates everything `inspectCodePackage` does.
 * @returns the folder
 */
export async function unpackCodePackage(
  stateDir: string,
  sha256Hex: string,
  zip: Buffer,
  overrides: Partial<CodePackageLimits> = {},
): Promise<string> {
  const target = codeDirectory(stateDir, sha256Hex);
  if (existsSync(target)) return target;
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  await inspectCodePackage(zip, limits);
  const codeRoot = join(stateDir, 'code');
  await mkdir(codeRoot, { recursive: true });
  // A package.json with no "type" above every package: module format and scope lookups stop here, as they
  // do at /var/task, instead of reaching a project's package.json around the state directory.
  const boundary = join(codeRoot, 'package.json');
  if (!existsSync(boundary)) await writeFile(boundary, '{}\n');
  const staging = join(codeRoot, `.staging-${sha256Hex.slice(0, 16)}-${randomBytes(6).toString('hex')}`);
  await mkdir(staging);
  const zipFile = await openZip(zip);
  try {
    let written = 0;
    await forEachEntry(zipFile, async (entry) => {
      checkEntry(entry);
      const destination = resolve(staging, entry.fileName);
      // Belt and braces after unsafeEntryName: the resolved path must stay inside the staging folder.
      if (destination !== staging && !destination.startsWith(staging + sep)) {
        throw new CodePackageError('unsafe-entry', `escapes the folder: ${entry.fileName.slice(0, 200)}`);
      }
      if (entry.fileName.endsWith('/')) {
        await mkdir(destination, { recursive: true });
        return;
      }
      await mkdir(dirname(destination), { recursive: true });
      const mode = (entry.externalFileAttributes >>> 16) & 0o111 ? 0o755 : 0o644;
      const source = await openEntry(zipFile, entry);
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          written += chunk.length;
          if (written > limits.maxUnzippedBytes) callback(new CodePackageError('too-large-unzipped', `${written} bytes unzipped`));
          else callback(null, chunk);
        },
      });
      await pipeline(source, counter, createWriteStream(destination, { mode }));
    });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  } finally {
    zipFile.close();
  }
  try {
    await rename(staging, target);
  } catch (error) {
    // Another unpack of the same digest won the race: its folder has the same content.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(target)) throw error;
  }
  return target;
}

function openEntry(zipFile: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolvePromise, reject) => {
    zipFile.openReadStream(entry, (error, stream) => {
      if (error || !stream) reject(new CodePackageError('not-a-zip', error?.message ?? 'unreadable entry'));
      else resolvePromise(stream);
    });
  });
}
