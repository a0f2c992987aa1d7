// The deployment package: a function directory's handler.ts (the bundled function/, or one made by `thumbctl
// eject`) bundled by thumbctl's esbuild into index.mjs, plus sharp and its libvips binaries for linux and the
// chosen architecture, zipped deterministically (sorted entries, fixed dates and modes, no symlinks) so the same
// inputs always give the same CodeSha256. Built zips are cached by a cheap hash of their inputs, in the state
// directory and in thumbctl's cache shared by every state directory on the machine (a fresh state directory then
// copies the zip instead of bundling and zipping it again, seconds). It does not upload anything and never prints.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { builtinModules, createRequire } from 'node:module';
import { promisify } from 'node:util';
import type { BuildFailure, BuildOptions, BuildResult, Message, Plugin } from 'esbuild';
import { ExitCode, formatBytes, UserError } from '../../output.js';
import { writeFileAtomic } from '../fs.js';
import type { Architecture } from '../settings.js';
import { FUNCTION_HANDLER } from './plan.js';
import { functionDir, packageRoot } from '../paths.js';
import { defaultCacheRoot } from '../../../emulator/runtime/node-cache.js';

const execFileAsync = promisify(execFile);

/** Bump when the package layout changes, so cached zips from older thumbctl versions are not reused. */
export const PACKAGE_FORMAT = 8;
/** Every entry's timestamp: the earliest a zip can hold, so nothing about the build machine leaks in. */
export const ZIP_DATE = new Date(Date.UTC(1980, 0, 1, 0, 0, 0));
/** What the handler string `index.handler` loads. */
export const BUNDLE_FILE = 'index.mjs';
/** Where the bundle's lazily imported parts go (see bundleHandler). */
export const CHUNK_DIR = 'chunks';
/** Direct-upload limit for ZipFile is 50 MB; we aim far lower. */
export const MAX_ZIP_BYTES = 50 * 1024 * 1024;
/** Zips kept per architecture in the shared cache: several thumbctl versions or checkouts may use it at once. */
export const SHARED_ZIPS_KEPT = 4;

/** Where built zips are shared between state directories: `<thumbctl's cache root>/packages`. */
export function sharedPackageCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultCacheRoot(env), 'packages');
}

// The bundle is ESM; bundled CommonJS code (the AWS SDK, Powertools) still calls require() for Node built-ins.
const BANNER = "import { createRequire as __thumbctlCreateRequire } from 'node:module'; const require = __thumbctlCreateRequire(import.meta.url);";

/**
 * An esbuild plugin: the bundle's ES-module imports of Node.js built-ins (the SDK's `import { Agent } from "http"`)
 * become `require()` calls. An ES import of a built-in makes Node build its ES module facade, which reads every
 * export, lazy getters included: `node:http`'s load undici (its fetch and WebSocket), ~35 ms of a cold start on
 * Node.js 22 against ~6 ms through require (BENCHMARKS.md). Same module object either way. `node:module` stays an
 * import: the banner needs it to make `require`.
 */
const BUILTINS_THROUGH_REQUIRE: Plugin = {
  name: 'builtins-through-require',
  setup(build) {
    const names = builtinModules.filter((name) => !name.startsWith('_') && name !== 'module');
    const filter = new RegExp(`^(node:)?(${names.map((name) => name.replace(/[/]/g, '\\/')).join('|')})$`);
    build.onResolve({ filter }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import' ? { path: args.path.replace(/^node:/, ''), namespace: 'builtin-through-require' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
  },
};
/** The function's entry point in its directory. */
export const FUNCTION_ENTRY = 'handler.ts';
/**
 * The npm packages the function imports: sharp ships as files beside the bundle, the others are bundled.
 * An ejected function's package.json pins them to the versions installed with thumbctl.
 */
export const FUNCTION_PACKAGES = ['sharp', '@aws-sdk/client-s3', '@aws-lambda-powertools/logger', '@aws-lambda-powertools/tracer'] as const;
/** Bounds on a function directory's inputs hash (it reads every file but node_modules and dot-files). */
export const FUNCTION_DIR_LIMITS = { files: 2000, bytes: 64 * 1024 * 1024 } as const;

/** sharp's native parts: the npm arch name for a Lambda architecture. */
export const NPM_ARCH: Record<Architecture, string> = { x86_64: 'x64', arm64: 'arm64' };

export interface PackageOptions {
  architecture: Architecture;
  /** Where built zips and fetched binaries are kept (usually <state-dir>/cache); no caching without it. */
  cacheDir?: string;
  /**
   * Where built zips are also kept for every state directory on the machine (usually sharedPackageCacheDir()); a
   * zip found there is copied into cacheDir instead of being built. None without it.
   */
  sharedCacheDir?: string;
  /** The thumbctl package root (default: found from this module). */
  root?: string;
  /** The function's directory, with handler.ts (default: the bundled function, <root>/function). */
  sourceDir?: string;
  /** Says what is happening (bundling, fetching binaries, zipping). */
  progress?(text: string): void;
}

export interface DeploymentPackage {
  zip: Buffer;
  /** Base64 SHA-256 of the zip: what Lambda reports as CodeSha256. */
  codeSha256: string;
  bytes: number;
  entries: number;
  /** True when the zip came from the cache rather than a fresh build. */
  fromCache: boolean;
  /** Hash of the inputs (cache key). */
  inputsHash: string;
  handler: string;
  architecture: Architecture;
  /** Where the cached zip lives, if cached. */
  path?: string;
}

export interface ZipEntry {
  name: string;
  data: Buffer;
  mode: number;
}

/**
 * Where a function's sources are and how they resolve. The bundled function (thumbctl's function/) is packaged
 * exactly as it always was. A function directory resolves each import from its own node_modules when installed
 * there, else from thumbctl's installation, so it builds before (and without) an `npm install` of its own.
 */
export interface FunctionSource {
  /** The directory holding handler.ts. */
  dir: string;
  /** thumbctl's installation: its esbuild bundles every function. */
  root: string;
  /** True for thumbctl's own function/. */
  bundled: boolean;
}

export function functionSource(options: { root?: string; sourceDir?: string } = {}): FunctionSource {
  const root = options.root ?? packageRoot();
  const bundledDir = options.root ? join(options.root, 'function') : functionDir();
  const dir = resolve(options.sourceDir ?? bundledDir);
  return { dir, root, bundled: dir === resolve(bundledDir) };
}

/** Builds (or takes from the cache) the deployment package for one architecture. */
export async function buildPackage(options: PackageOptions): Promise<DeploymentPackage> {
  const source = functionSource(options);
  const { root, dir: sourceDir } = source;
  checkFunctionDirectory(source);
  const inputsHash = packageInputsHash(root, sourceDir, options.architecture);
  const cachePath = options.cacheDir ? join(options.cacheDir, zipName(options.architecture, inputsHash)) : undefined;

  if (cachePath && existsSync(cachePath)) {
    const zip = readFileSync(cachePath);
    const index = readEntryCount(cachePath);
    return describe(zip, { fromCache: true, inputsHash, architecture: options.architecture, path: cachePath, entries: index });
  }
  const sharedPath = options.sharedCacheDir ? join(options.sharedCacheDir, zipName(options.architecture, inputsHash)) : undefined;
  const shared = sharedPath ? readCachedZip(sharedPath) : undefined;
  if (shared && sharedPath) {
    // Touched, so that pruning (oldest first) keeps the zips in use.
    touch(sharedPath);
    if (cachePath && options.cacheDir) await storeZip(options.cacheDir, cachePath, options.architecture, shared.zip, shared.entries);
    return describe(shared.zip, { fromCache: true, inputsHash, architecture: options.architecture, path: cachePath ?? sharedPath, entries: shared.entries });
  }

  options.progress?.(`bundling ${source.bundled ? 'function/handler.ts' : relative(process.cwd(), join(sourceDir, FUNCTION_ENTRY)) || FUNCTION_ENTRY}`);
  const bundle = await bundleHandler(root, sourceDir);
  const entries = [...bundleEntries(bundle), ...(await dependencyEntries(source, options.architecture, options.cacheDir, options.progress))];
  options.progress?.(`zipping ${entries.length} files`);
  const zip = await zipDeterministic(entries);
  if (zip.length > MAX_ZIP_BYTES) {
    throw new UserError(`the deployment package is ${formatBytes(zip.length)}, over Lambda's ${formatBytes(MAX_ZIP_BYTES)} upload limit`);
  }

  if (cachePath && options.cacheDir) await storeZip(options.cacheDir, cachePath, options.architecture, zip, entries.length);
  if (sharedPath && options.sharedCacheDir) {
    try {
      await storeZip(options.sharedCacheDir, sharedPath, options.architecture, zip, entries.length, SHARED_ZIPS_KEPT);
    } catch {
      // The shared cache only saves time: one that cannot be written (read-only home, full disk) costs a rebuild later.
    }
  }
  return describe(zip, { fromCache: false, inputsHash, architecture: options.architecture, path: cachePath, entries: entries.length });
}

/** The bundle's files as zip entries. */
export function bundleEntries(bundle: readonly BundleFile[]): ZipEntry[] {
  return bundle.map((file) => ({ name: file.name, data: file.data, mode: 0o644 }));
}

/**
 * sharp and what it needs at run time, as zip entries under node_modules/ (the same for every build of a directory).
 * A pure JavaScript dependency's entry is replaced by one file (singleFileEntry).
 */
export async function dependencyEntries(source: FunctionSource, architecture: Architecture, cacheDir: string | undefined, progress?: (text: string) => void): Promise<ZipEntry[]> {
  const dependencies = await runtimeDependencies(source.root, architecture, cacheDir, progress, source.bundled ? [source.root] : [source.dir, source.root]);
  const entries: ZipEntry[] = [];
  for (const dependency of dependencies) {
    const prefix = `node_modules/${dependency.name}`;
    const files = packageFiles(dependency.dir, prefix);
    const single = await singleFileEntry(dependency, files);
    entries.push(...(single ? files.map((file) => (file.name === single.name ? single : file)) : files));
  }
  return entries;
}

/**
 * The entry file of a pure JavaScript dependency of sharp (semver, detect-libc) as one file: esbuild's CommonJS
 * bundle of it, written where `require('<name>')` finds it. semver alone is ~50 modules, and every cold start
 * resolved, read and wrapped each one before sharp could load: `require('sharp')` ~105 → ~75 ms p50 here
 * (BENCHMARKS.md). Its other files stay, for code that requires a subpath. Undefined (shipped as it is) for a
 * package with native files, with an `exports` map (its entry is not simply `main`), or of a single module; and
 * for sharp itself, whose loader requires its binary by a computed path.
 */
export async function singleFileEntry(dependency: RuntimeDependency, files: readonly ZipEntry[]): Promise<ZipEntry | undefined> {
  if (dependency.name === 'sharp' || files.some((file) => isNative(file.name))) return undefined;
  if (readManifest(dependency.dir).exports !== undefined) return undefined;
  const modules = files.filter((file) => /\.(c?js|json)$/.test(file.name) && !file.name.endsWith('/package.json'));
  if (modules.length < 2) return undefined;
  let entryPath: string;
  try {
    entryPath = createRequire(join(dependency.dir, 'package.json')).resolve(dependency.dir);
  } catch {
    return undefined;
  }
  const name = `node_modules/${dependency.name}/${relative(dependency.dir, entryPath).split(sep).join('/')}`;
  const original = files.find((file) => file.name === name);
  if (!original || !/\.c?js$/.test(name)) return undefined;
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entryPath],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    // Only the package's own modules go in: whatever it requires from elsewhere is still required at run time.
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  const data = result.outputFiles[0]?.contents;
  if (!data) return undefined;
  // The package's licence travels with it (its LICENSE file is shipped); the bundle keeps the notice at the top.
  const notice = `/* ${dependency.name} ${dependency.version}, bundled into one file by thumbctl; see LICENSE beside it. */\n`;
  return { name, data: Buffer.concat([Buffer.from(notice), Buffer.from(data)]), mode: original.mode };
}

/** A function directory that is not there, or has no handler.ts, is a usage error said before any work. */
export function checkFunctionDirectory(source: FunctionSource): void {
  if (source.bundled) return;
  const stats = statSync(source.dir, { throwIfNoEntry: false });
  if (!stats) throw new UserError(`the function directory ${source.dir} does not exist (make one with \`thumbctl eject\`, or fix functionDir in the config file)`, ExitCode.usage);
  if (!stats.isDirectory()) throw new UserError(`the function directory ${source.dir} is not a directory`, ExitCode.usage);
  if (!existsSync(join(source.dir, FUNCTION_ENTRY))) throw new UserError(`the function directory ${source.dir} has no ${FUNCTION_ENTRY} (the function's entry point)`, ExitCode.usage);
}

function describe(zip: Buffer, rest: Pick<DeploymentPackage, 'fromCache' | 'inputsHash' | 'architecture' | 'path' | 'entries'>): DeploymentPackage {
  return { zip, codeSha256: createHash('sha256').update(zip).digest('base64'), bytes: zip.length, handler: FUNCTION_HANDLER, ...rest };
}

function zipName(architecture: Architecture, inputsHash: string): string {
  return `package-${architecture}-${inputsHash.slice(0, 24)}.zip`;
}

/**
 * Writes a zip and its entry count into a cache directory, then prunes the architecture's other zips there down
 * to `kept - 1` (the most recently used first; never another build's .tmp). The state directory keeps only the
 * one just built; the shared cache keeps a few, for other versions or checkouts of thumbctl on the machine.
 */
async function storeZip(dir: string, path: string, architecture: Architecture, zip: Buffer, entries: number, kept = 1): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const current = basename(path);
  const others = readdirSync(dir)
    .filter((name) => name.startsWith(`package-${architecture}-`) && name.endsWith('.zip') && name !== current)
    .map((name) => ({ name, used: mtimeOf(join(dir, name)) }))
    .sort((a, b) => b.used - a.used);
  for (const { name } of others.slice(Math.max(0, kept - 1))) {
    rmSync(join(dir, name), { force: true });
    rmSync(join(dir, `${name}.json`), { force: true });
  }
  // Written aside and renamed: a reader never sees half a zip. The count first: a zip present has its count.
  await writeFileAtomic(`${path}.json`, JSON.stringify({ entries }));
  await writeFileAtomic(path, zip);
}

/** A cached zip and its entry count, or undefined when it is not there (or was pruned by another process meanwhile). */
function readCachedZip(path: string): { zip: Buffer; entries: number } | undefined {
  try {
    return { zip: readFileSync(path), entries: readEntryCount(path) };
  } catch {
    return undefined;
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function touch(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // Only the pruning order depends on it.
  }
}

function readEntryCount(cachePath: string): number {
  try {
    return (JSON.parse(readFileSync(`${cachePath}.json`, 'utf8')) as { entries: number }).entries;
  } catch {
    return 0;
  }
}

/**
 * A cheap fingerprint of everything that goes into the zip: the function sources (content), the versions of
 * the packages it bundles and ships, the installed tree's lock file (size and mtime), esbuild's version, the
 * architecture and the package format. Reading a few small files: milliseconds. The bundled function's sources
 * are its top-level .ts files; a function directory's are all its files but node_modules and dot-files (it may
 * import JSON or a subfolder), and its own node_modules and lock file count too.
 */
export function packageInputsHash(root: string, sourceDir: string, architecture: Architecture): string {
  const source = functionSource({ root, sourceDir });
  const hash = createHash('sha256');
  hash.update(`format ${PACKAGE_FORMAT}\narch ${architecture}\n`);
  if (source.bundled) {
    for (const name of readdirSync(sourceDir).filter((file) => file.endsWith('.ts')).sort()) {
      hash.update(`file ${name}\n`).update(readFileSync(join(sourceDir, name))).update('\n');
    }
  } else {
    hashDirectory(hash, source.dir);
  }
  for (const name of ['esbuild', ...FUNCTION_PACKAGES]) {
    if (source.bundled) {
      const dir = findPackageDir(name, root);
      hash.update(`dep ${name} ${dir ? readManifest(dir).version ?? '?' : 'missing'}\n`);
    } else {
      // Where it resolves matters as much as its version: installing it in the directory changes the package.
      const dir = name === 'esbuild' ? findPackageDir(name, root) : resolvePackageDir(name, [source.dir, root]);
      hash.update(`dep ${name} ${dir ? `${readManifest(dir).version ?? '?'} ${dir}` : 'missing'}\n`);
    }
  }
  const lockRoots = source.bundled ? [root] : [source.dir, root];
  for (const lockRoot of lockRoots) {
    for (const lock of ['node_modules/.package-lock.json', 'package-lock.json']) {
      const path = join(lockRoot, lock);
      if (existsSync(path)) {
        const stats = statSync(path);
        hash.update(`lock ${source.bundled ? lock : path} ${stats.size} ${stats.mtimeMs}\n`);
      }
    }
  }
  return hash.digest('hex');
}

/** Every file under `dir` but node_modules and dot-files, names and contents, in a fixed order; bounded. */
function hashDirectory(hash: ReturnType<typeof createHash>, dir: string): void {
  let files = 0;
  let bytes = 0;
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        files += 1;
        const data = readFileSync(path);
        bytes += data.length;
        if (files > FUNCTION_DIR_LIMITS.files || bytes > FUNCTION_DIR_LIMITS.bytes) {
          throw new UserError(
            `the function directory ${dir} holds more than ${FUNCTION_DIR_LIMITS.files} files or ${formatBytes(FUNCTION_DIR_LIMITS.bytes)} outside node_modules: is it the right directory?`,
            ExitCode.usage,
          );
        }
        hash.update(`file ${relative(dir, path).split(sep).join('/')}\n`).update(data).update('\n');
      }
    }
  };
  walk(dir);
}

/** One file of the bundled handler, named by its path inside the package. */
export interface BundleFile {
  name: string;
  data: Buffer;
}

/**
 * esbuild: minified ESM for Node 20+, sharp left outside (it ships as files next to it). The entry is
 * BUNDLE_FILE; what the SDK only imports on demand (the credential providers Lambda never reaches: SSO, STS,
 * INI files, login; the event-stream and user-agent parsers) goes to CHUNK_DIR and is never read at a cold start.
 * Half the code to compile: init ~12 ms shorter (BENCHMARKS.md). Chunk names carry their content hash, so
 * the same sources give the same files.
 */
export async function bundleHandler(root: string, sourceDir: string): Promise<BundleFile[]> {
  const esbuild = await import('esbuild');
  const source = functionSource({ root, sourceDir });
  const entry = join(source.dir, FUNCTION_ENTRY);
  if (!existsSync(entry)) throw new UserError(`the function source is missing: ${entry}`, ExitCode.usage);
  const options = bundleOptions(source);
  try {
    return bundleFiles(await esbuild.build(options), options);
  } catch (error) {
    throw bundleError(error, options);
  }
}

/**
 * esbuild's options for a function: the same for a one-off build and for `dev`'s incremental context. A function
 * directory is its own working directory, and whatever its node_modules do not hold is looked up in thumbctl's
 * (and the folders above it, where a package manager may have hoisted it).
 */
export function bundleOptions(source: FunctionSource): BuildOptions & { write: false; outdir: string; absWorkingDir: string } {
  const entry = join(source.dir, FUNCTION_ENTRY);
  return {
    entryPoints: { [BUNDLE_FILE.replace(/\.mjs$/, '')]: entry },
    absWorkingDir: source.bundled ? source.root : source.dir,
    ...(source.bundled ? {} : { nodePaths: nodeModulesAbove(source.root) }),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    splitting: true,
    chunkNames: `${CHUNK_DIR}/[name]-[hash]`,
    outExtension: { '.js': '.mjs' },
    minify: true,
    legalComments: 'none',
    sourcemap: false,
    external: ['sharp'],
    // The SDK's ES module builds, not its CommonJS `main`: one file per package there, which cannot be
    // tree-shaken. A fifth smaller bundle and a cold start ~30 ms shorter (BENCHMARKS.md).
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    plugins: [BUILTINS_THROUGH_REQUIRE],
    write: false,
    logLevel: 'silent',
    outdir: join(source.root, '.bundle'),
  };
}

/** Every node_modules folder from `dir` up to the file system's root, nearest first (Node's own search order). */
function nodeModulesAbove(dir: string): string[] {
  const folders: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    folders.push(join(current, 'node_modules'));
    if (dirname(current) === current) return folders;
  }
}

/** The files of a build, named by their path in the package, sorted. */
export function bundleFiles(result: Pick<BuildResult, 'outputFiles'>, options: { outdir: string }): BundleFile[] {
  const files = (result.outputFiles ?? []).map((file) => ({ name: relative(options.outdir, file.path).split(sep).join('/'), data: Buffer.from(file.contents) }));
  if (!files.some((file) => file.name === BUNDLE_FILE)) throw new Error(`esbuild produced no ${BUNDLE_FILE}`);
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A build that failed: the bundler's first error, where it is and the source line it points at. */
export class BundleError extends UserError {
  constructor(
    message: string,
    /** `file:line:column` (column counted from 1, as editors do), relative to the working directory; undefined when esbuild gave none. */
    readonly location: string | undefined,
    /** The bundler's own text. */
    readonly text: string,
    /** The source line the error points at, when there is one. */
    readonly lineText: string | undefined,
  ) {
    super(message, ExitCode.usage);
    this.name = 'BundleError';
  }
}

/** esbuild's failure as one line, `file:line:col message`; anything else as it came. */
export function bundleError(error: unknown, options: { absWorkingDir: string }, cwd = process.cwd()): BundleError {
  const first: Message | undefined = (error as Partial<BuildFailure>).errors?.[0];
  if (!first) return new BundleError(`bundling the function failed: ${(error as Error).message}`, undefined, (error as Error).message, undefined);
  const where = first.location;
  if (!where) return new BundleError(`bundling the function failed: ${first.text}`, undefined, first.text, undefined);
  // Relative to where the command runs when below it (an editor or terminal opens it), else absolute.
  const absolute = resolve(options.absWorkingDir, where.file);
  const below = relative(cwd, absolute);
  const file = below && !below.startsWith('..') && !isAbsolute(below) ? below : absolute;
  const location = `${file}:${where.line}:${where.column + 1}`;
  return new BundleError(`${location}: ${first.text}`, location, first.text, where.lineText || undefined);
}

// ---- sharp and its dependencies -------------------------------------------------------------------------

interface Manifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  main?: string;
  exports?: unknown;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** Node's resolution: the nearest node_modules/<name> at or above `from`. */
export function findPackageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', ...name.split('/'));
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/** The first of `roots` from which Node would resolve `name`. */
export function resolvePackageDir(name: string, roots: readonly string[]): string | undefined {
  for (const root of roots) {
    const dir = findPackageDir(name, root);
    if (dir) return dir;
  }
  return undefined;
}

/** The optional dependencies worth shipping: sharp's binaries for linux (glibc) on this architecture. */
export function isWantedBinary(name: string, architecture: Architecture): boolean {
  const arch = NPM_ARCH[architecture];
  return name === `@img/sharp-linux-${arch}` || name === `@img/sharp-libvips-linux-${arch}`;
}

export interface RuntimeDependency {
  name: string;
  version: string;
  dir: string;
}

/**
 * sharp and everything it needs at run time, resolved the way Node would from the thumbctl package:
 * regular dependencies recursively, optional ones only when they are the linux binaries for this
 * architecture. Binaries not installed locally (arm64 on an x64 machine) are fetched with `npm pack`.
 */
export async function runtimeDependencies(
  root: string,
  architecture: Architecture,
  cacheDir: string | undefined,
  progress?: (text: string) => void,
  /** Where sharp itself is looked for, in order (a function directory's node_modules first, then thumbctl's). */
  searchFrom: readonly string[] = [root],
): Promise<RuntimeDependency[]> {
  const found = new Map<string, RuntimeDependency>();
  const queue: { name: string; range: string; from: readonly string[]; optional: boolean }[] = [{ name: 'sharp', range: '*', from: searchFrom, optional: false }];
  while (queue.length > 0) {
    const { name, range, from, optional } = queue.shift()!;
    let dir = resolvePackageDir(name, from);
    if (dir && optional && range !== '*' && readManifest(dir).version !== range) dir = undefined;
    if (!dir && optional) dir = await fetchBinaryPackage(name, range, cacheDir, progress);
    if (!dir) throw new UserError(`cannot package the function: ${name} is not installed (run npm install in ${root})`);
    const manifest = readManifest(dir);
    const version = manifest.version ?? '0.0.0';
    const known = found.get(name);
    if (known) {
      if (known.version !== version) throw new UserError(`cannot package the function: it needs ${name} ${known.version} and ${version} at once`);
      continue;
    }
    found.set(name, { name, version, dir });
    for (const [dependency, dependencyRange] of Object.entries(manifest.dependencies ?? {})) queue.push({ name: dependency, range: dependencyRange, from: [dir], optional: false });
    for (const [dependency, dependencyRange] of Object.entries(manifest.optionalDependencies ?? {})) {
      if (isWantedBinary(dependency, architecture)) queue.push({ name: dependency, range: dependencyRange, from: [dir], optional: true });
    }
  }
  for (const arch of [NPM_ARCH[architecture]]) {
    for (const binary of [`@img/sharp-linux-${arch}`, `@img/sharp-libvips-linux-${arch}`]) {
      if (!found.has(binary)) throw new UserError(`cannot package the function: sharp does not list ${binary}`);
    }
  }
  return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `npm pack <name>@<version>` into the cache and unpack it there; one clear error if that fails. */
async function fetchBinaryPackage(name: string, version: string, cacheDir: string | undefined, progress?: (text: string) => void): Promise<string> {
  const base = join(cacheDir ?? join(tmpdir(), 'thumbctl-cache'), 'npm', `${name.replace('/', '+')}@${version}`);
  const unpacked = join(base, 'package');
  if (existsSync(join(unpacked, 'package.json'))) return unpacked;
  progress?.(`fetching ${name}@${version} with npm pack`);
  const work = `${base}.${process.pid}.tmp`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const { stdout } = await execFileAsync(npm, ['pack', `${name}@${version}`, '--pack-destination', work, '--silent'], { timeout: 120_000 });
    const tarball = stdout.trim().split('\n').pop()?.trim();
    if (!tarball) throw new Error('npm pack printed no file name');
    await execFileAsync('tar', ['-xzf', join(work, tarball), '-C', work], { timeout: 120_000 });
    rmSync(base, { recursive: true, force: true });
    mkdirSync(dirname(base), { recursive: true });
    renameSync(work, base);
    return unpacked;
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    const reason = ((error as { stderr?: string }).stderr || (error as Error).message || '').trim().split('\n')[0];
    throw new UserError(`cannot fetch ${name}@${version} for the arm64 package (npm pack failed: ${reason}); install it with \`npm install --no-save --cpu=arm64 --os=linux ${name}@${version}\` or use --architecture x86_64`, ExitCode.failure);
  }
}

// Sources, headers, type declarations and docs are not needed at run time.
const SKIPPED_FILE = /(\.d\.[cm]?ts|\.(md|markdown|map|h|hpp|c|cc|cpp|gyp|gypi|ts))$/i;

/** Every file of a package directory, symlinks followed into real files, as zip entries under `prefix`. */
export function packageFiles(dir: string, prefix: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  const walk = (current: string): void => {
    const real = realpathSync(current);
    if (seen.has(real)) return;
    seen.add(real);
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      const linkStats = lstatSync(path);
      const stats = linkStats.isSymbolicLink() ? statSync(path) : linkStats;
      if (stats.isDirectory()) {
        if (name === 'node_modules') continue;
        walk(path);
      } else if (stats.isFile()) {
        if (SKIPPED_FILE.test(name)) continue;
        const entryName = `${prefix}/${relative(dir, path).split(sep).join('/')}`;
        entries.push({ name: entryName, data: readFileSync(path), mode: isNative(name) ? 0o755 : 0o644 });
      }
    }
  };
  walk(dir);
  return entries;
}

function isNative(name: string): boolean {
  return name.endsWith('.node') || /\.so(\.\d+)*$/.test(name);
}

/**
 * A zip whose bytes depend only on the entries: sorted by name, every entry dated ZIP_DATE with its given
 * mode, files only (no directory or symlink entries).
 * @param options.store - no compression: for `dev` on the local cloud, where deflating sharp's 20 MB on every
 *   save costs about a second and the bytes only cross loopback
 */
export async function zipDeterministic(entries: readonly ZipEntry[], options: { store?: boolean } = {}): Promise<Buffer> {
  const { ZipArchive } = await import('archiver');
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let index = 1; index < sorted.length; index++) {
    if (sorted[index]!.name === sorted[index - 1]!.name) throw new Error(`duplicate zip entry ${sorted[index]!.name}`);
  }
  const archive = new ZipArchive(options.store ? { store: true } : { zlib: { level: 6 } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    archive.on('data', (chunk: Buffer) => chunks.push(chunk));
    archive.on('error', reject);
    archive.on('warning', reject);
    archive.on('end', () => resolve(Buffer.concat(chunks)));
  });
  for (const entry of sorted) archive.append(entry.data, { name: entry.name, date: ZIP_DATE, mode: entry.mode });
  await archive.finalize();
  return done;
}
