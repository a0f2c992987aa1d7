#!/usr/bin/env node
// Installs AWS's runtime interface client for test/integration/lambda/ric.test.ts into test/ric/node_modules, from
// thumbctl's cache when this same lock was built on this platform and Node.js major before: `npm ci` there compiles
// curl and aws-lambda-cpp twice (3.x and 4.x), minutes on two cores. It touches nothing outside test/ric and the
// cache's `ric/` folder, and never the project's own node_modules. Run: `npm run install:ric`.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCacheRoot } from '../emulator/runtime/node-cache.js';

const RIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'ric');
const MODULES = join(RIC_DIR, 'node_modules');
/** The installed clients and where each keeps its native part (3.x: dist/, 4.x: the package root). */
const CLIENTS = [
  { folder: 'aws-lambda-ric', native: 'dist/rapid-client.node' },
  { folder: 'aws-lambda-ric-v4', native: 'rapid-client.node' },
] as const;
/** Builds kept in the cache (other locks, platforms or Node.js majors); the oldest beyond this are removed. */
const MAX_CACHED_BUILDS = 3;
/** Lines of the build's log shown when it fails (the whole log stays on disk). */
const LOG_TAIL_LINES = 40;

/**
 * What a build depends on: the lock (versions and integrity), the manifest's dependencies and scripts (not its
 * prose), the platform, and the Node.js major compiled against.
 */
function cacheKey(): string {
  const manifest = JSON.parse(readFileSync(join(RIC_DIR, 'package.json'), 'utf8')) as { dependencies?: unknown; scripts?: unknown };
  const hash = createHash('sha256');
  hash.update(readFileSync(join(RIC_DIR, 'package-lock.json')));
  hash.update(JSON.stringify({ dependencies: manifest.dependencies, scripts: manifest.scripts }));
  return `${hash.digest('hex').slice(0, 16)}-${process.platform}-${process.arch}-node${process.versions.node.split('.')[0]}`;
}

/** Why the installed clients cannot run (missing, or a native part that does not load), or undefined when they can. */
function installProblem(modules: string): string | undefined {
  for (const client of CLIENTS) {
    const native = join(modules, client.folder, client.native);
    if (!existsSync(native)) return `${client.folder} has no native client (${client.native})`;
    // The native client reads AWS_LAMBDA_RUNTIME_API as it loads: load it in a child.
    const loaded = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(native)})`], {
      env: { PATH: process.env.PATH, AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    if (loaded.status !== 0) return `${client.folder}'s native client does not load: ${(loaded.stderr || String(loaded.error)).trim().split('\n')[0]}`;
  }
  return undefined;
}

/** `npm ci` in test/ric, its output in `logFile`; resolves with its exit code. */
function build(logFile: string): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const cores = String(availableParallelism());
  // RIC 3 runs curl's `make` without -j; node-gyp reads JOBS.
  env.MAKEFLAGS ??= `-j${cores}`;
  env.JOBS ??= cores;
  // node-gyp needs this Node.js's headers: take the ones installed beside it rather than download them from
  // nodejs.org (which a machine limited to the npm registry cannot reach).
  const nodePrefix = dirname(dirname(process.execPath));
  if (!env.npm_config_nodedir && existsSync(join(nodePrefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = nodePrefix;
  const log = createWriteStream(logFile);
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['ci', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: RIC_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('close', (code) => log.end(() => resolve(code ?? 1)));
  });
}

/** Keeps the newest MAX_CACHED_BUILDS builds (and no unfinished copy older than an hour). */
function prune(cacheDir: string): void {
  const entries = readdirSync(cacheDir)
    .map((name) => ({ name, path: join(cacheDir, name), mtime: statSync(join(cacheDir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  const finished = entries.filter((entry) => !entry.name.startsWith('.'));
  for (const entry of finished.slice(MAX_CACHED_BUILDS)) rmSync(entry.path, { recursive: true, force: true });
  for (const entry of entries.filter((e) => e.name.startsWith('.') && Date.now() - e.mtime > 3_600_000)) rmSync(entry.path, { recursive: true, force: true });
}

async function main(): Promise<number> {
  const key = cacheKey();
  const cacheDir = join(defaultCacheRoot(), 'ric');
  const cached = join(cacheDir, key);
  const started = Date.now();

  if (existsSync(join(cached, 'node_modules'))) {
    rmSync(MODULES, { recursive: true, force: true });
    cpSync(join(cached, 'node_modules'), MODULES, { recursive: true, verbatimSymlinks: true });
    const problem = installProblem(MODULES);
    if (!problem) {
      console.log(`install-ric: aws-lambda-ric restored from ${cached} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    console.log(`install-ric: the cached build at ${cached} cannot run (${problem}); building again`);
    rmSync(cached, { recursive: true, force: true });
  }

  mkdirSync(cacheDir, { recursive: true });
  const staging = join(cacheDir, `.${key}.${randomBytes(4).toString('hex')}`);
  mkdirSync(staging);
  const logFile = join(staging, 'build.log');
  console.log(`install-ric: building aws-lambda-ric 3.x and 4.x from source (curl, aws-lambda-cpp; minutes on two cores); log: ${logFile}`);
  const code = await build(logFile);
  const problem = code === 0 ? installProblem(MODULES) : `npm ci exited with ${code}`;
  if (problem) {
    const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
    console.error(`${tail}\ninstall-ric: the build failed: ${problem}. It needs cmake, make, g++, python3, autoconf, automake, libtool and xz (.ci/run installs them); whole log: ${logFile}`);
    return 1;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  // Copied whole, then renamed into place: another run never sees half a build. A concurrent run that stored
  // the same key first wins; ours is dropped.
  cpSync(MODULES, join(staging, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(staging, 'built.txt'), `built ${new Date().toISOString()} in ${seconds} s with ${process.version}\n`);
  try {
    renameSync(staging, cached);
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
  prune(cacheDir);
  console.log(`install-ric: built in ${seconds} s; cached at ${cached}`);
  return 0;
}

process.exitCode = await main();
