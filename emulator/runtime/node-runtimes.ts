// Which Node.js runs a function: the major its Lambda runtime names (nodejs22.x → Node.js 22), the host's own
// node when its major matches, else the official build from the npm registry kept in the shared cache
// (node-cache.ts); where none can be had, the host's with a one-line warning naming both versions. Also the
// flags Lambda's Node.js runtimes start with. It spawns nothing (environment.ts does).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../../shared/retry.js';
import { defaultCacheRoot, installDirName, installedNodes, installNode, nodeCacheDir, readIndex, writeIndex, type InstalledNode, type ReleaseIndex } from './node-cache.js';
import {
  binaryPackageFor,
  compareVersions,
  fetchReleases,
  parseStableVersion,
  registryFromEnv,
  registryUrl,
  type NodeRelease,
  type RegistryTimeouts,
} from './npm-registry.js';
import type { NodeCommand } from './types.js';

export type RuntimeSource = 'host' | 'cache' | 'download';

/** Which Node.js a runtime identifier gets here, and why. */
export interface RuntimeResolution {
  runtime: string;
  /** The major the runtime names (22 for nodejs22.x). */
  wantedMajor: number;
  /** The version that runs its functions: `v22.23.5`. */
  nodeVersion: string;
  /** `host`: this machine's node; `cache`: a build already downloaded; `download`: one fetched now (or, from describeRuntimeResolution, to be fetched at first use). */
  source: RuntimeSource;
  /** The node binary (for `download` from describeRuntimeResolution: where it will be). */
  binary: string;
  /** Set when its functions cannot run on their own major: `nodejs22.x functions run on the host's Node.js v20.20.2: <reason>`. */
  warning?: string;
}

export interface NodeDownloadProgress {
  runtime: string;
  packageName: string;
  /** `22.23.5` */
  version: string;
  bytes: number;
  total: number | undefined;
}

export interface NodeRuntimeOptions {
  /** thumbctl's cache directory (default: THUMBCTL_CACHE_DIR, else $XDG_CACHE_HOME/thumbctl, else ~/.cache/thumbctl). */
  cacheRoot?: string;
  /** Where THUMBCTL_CACHE_DIR, XDG_CACHE_HOME and npm_config_registry are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  arch?: string;
  /** The host's node (default: the one running this process). */
  host?: { version: string; binary: string };
  /** How long the registry's list of releases is trusted before it is asked again (default 24 h). */
  indexTtlMs?: number;
  timeouts?: Partial<RegistryTimeouts>;
  signal?: AbortSignal;
  /** Diagnostic lines: downloads, retries, waits, fallbacks. */
  log?(message: string): void;
  onProgress?(progress: NodeDownloadProgress): void;
  now?(): number;
  /** Overrides the retry backoff's sleep (tests). */
  sleep?(ms: number): Promise<void>;
}

/** New patch releases come out every few weeks; asking the registry once a day is plenty, and keeps cold starts offline. */
export const INDEX_TTL_MS = 24 * 60 * 60_000;

/** The Node.js major a Lambda runtime identifier names (`nodejs22.x` → 22), or undefined for any other runtime. */
export function wantedMajorOf(runtime: string): number | undefined {
  const match = /^nodejs(\d{1,3})\.x$/.exec(runtime);
  return match ? Number(match[1]) : undefined;
}

function majorOf(version: string): number {
  return parseStableVersion(version.replace(/^v/, ''))?.[0] ?? Number.NaN;
}

/**
 * What running `runtime` would take, without downloading anything (for `thumbctl status`): the host, a cached
 * build, or the release a first use would download. It may ask the registry for its list of releases (a small
 * request, at most once a day).
 */
export function describeRuntimeResolution(runtime: string, options: NodeRuntimeOptions = {}): Promise<RuntimeResolution> {
  return resolveNodeRuntime(runtime, options, false);
}

/** Like describeRuntimeResolution, but downloads and installs the build when it is missing (for `thumbctl setup`, with a progress line). */
export function provideNodeRuntime(runtime: string, options: NodeRuntimeOptions = {}): Promise<RuntimeResolution> {
  return resolveNodeRuntime(runtime, options, true);
}

async function resolveNodeRuntime(runtime: string, options: NodeRuntimeOptions, install: boolean): Promise<RuntimeResolution> {
  const wantedMajor = wantedMajorOf(runtime);
  if (wantedMajor === undefined) throw new Error(`${runtime} is not a Node.js runtime`);
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const host = options.host ?? { version: process.version, binary: process.execPath };
  const onHost = (reason?: string): RuntimeResolution => ({
    runtime,
    wantedMajor,
    nodeVersion: host.version,
    source: 'host',
    binary: host.binary,
    ...(reason ? { warning: `${runtime} functions run on the host's Node.js ${host.version}: ${reason}` } : {}),
  });
  const fromCache = (node: InstalledNode): RuntimeResolution => ({ runtime, wantedMajor, nodeVersion: `v${node.version}`, source: 'cache', binary: node.binary });

  if (majorOf(host.version) === wantedMajor) return onHost();
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const packageName = binaryPackageFor(platform, arch);
  if (!packageName) return onHost(`the npm registry has no official Node.js build for ${platform}-${arch}`);
  if (platform === 'linux' && platform === process.platform && isMusl()) return onHost('official Node.js builds need glibc, and this system uses musl');

  const nodeDir = nodeCacheDir(options.cacheRoot ?? defaultCacheRoot(env));
  const cached = installedNodes(nodeDir, platform, arch).filter((node) => majorOf(node.version) === wantedMajor);
  let index = readIndex(nodeDir, packageName);
  const configured = registryFromEnv(env);
  const age = index ? now() - index.fetchedAt : Number.POSITIVE_INFINITY;
  const fresh = index !== undefined && age >= 0 && age < (options.indexTtlMs ?? INDEX_TTL_MS) && (!configured || configured === index.registry);

  let release: NodeRelease | undefined;
  if (fresh) {
    release = index!.releases[String(wantedMajor)];
  } else {
    try {
      const registry = await registryUrl(env);
      const releases = await fetchReleases(registry, packageName, { ...registryOptions(options), onRetry: (message) => log(`${runtime}: ${message}`) });
      index = { registry, packageName, fetchedAt: now(), releases: Object.fromEntries([...releases].map(([major, found]) => [String(major), found])) } satisfies ReleaseIndex;
      try {
        writeIndex(nodeDir, index);
      } catch (error) {
        log(`${runtime}: could not record the registry's releases in ${nodeDir}: ${describeError(error)}`);
      }
      release = releases.get(wantedMajor);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const newest = cached[0];
      if (newest) {
        log(`${runtime}: the npm registry is unreachable (${describeError(error)}); using the cached Node.js v${newest.version}`);
        return fromCache(newest);
      }
      return onHost(`Node.js ${wantedMajor} is not in the cache (${nodeDir}) and the npm registry is unreachable (${describeError(error)})`);
    }
  }
  if (!release) {
    if (cached[0]) return fromCache(cached[0]);
    return onHost(`the npm registry lists no Node.js ${wantedMajor} release of ${packageName}`);
  }
  const exact = cached.find((node) => node.version === release.version);
  if (exact) return fromCache(exact);
  if (!install) {
    return { runtime, wantedMajor, nodeVersion: `v${release.version}`, source: 'download', binary: join(nodeDir, installDirName(release.version, platform, arch), 'bin', 'node') };
  }

  const started = now();
  log(`${runtime}: downloading Node.js v${release.version} (${packageName}) from ${release.tarball}`);
  try {
    const node = await installNode(release, {
      ...registryOptions(options),
      nodeDir,
      packageName,
      platform,
      arch,
      onRetry: (message) => log(`${runtime}: ${message}`),
      onWait: (message) => log(`${runtime}: ${message}`),
      onProgress: (progress) => options.onProgress?.({ runtime, packageName, version: release.version, ...progress }),
    });
    if (!node.downloaded) return fromCache(node); // another process installed it while we waited
    log(`${runtime}: Node.js v${node.version} installed in ${node.dir} (sha512 verified) in ${((now() - started) / 1000).toFixed(1)} s`);
    return { runtime, wantedMajor, nodeVersion: `v${node.version}`, source: 'download', binary: node.binary };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const reason = describeError(error);
    const newest = cached[0];
    if (newest) {
      log(`${runtime}: Node.js v${release.version} could not be installed (${reason}); using the cached Node.js v${newest.version}`);
      return fromCache(newest);
    }
    return onHost(`Node.js v${release.version} could not be installed: ${reason}`);
  }
}

function registryOptions(options: NodeRuntimeOptions): { signal?: AbortSignal; timeouts?: Partial<RegistryTimeouts>; sleep?: (ms: number) => Promise<void> } {
  return {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  };
}

let musl: boolean | undefined;

/** True on a musl libc (Alpine): the official builds are linked against glibc and would not start. */
function isMusl(): boolean {
  if (musl === undefined) {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    musl = header !== undefined && !header.glibcVersionRuntime;
  }
  return musl;
}

/**
 * The flags Lambda starts a runtime's node with. Lambda turns off two features newer Node.js releases enable by
 * default, to keep its runtimes stable: require(esm) on nodejs20.x and nodejs22.x, and ES module syntax
 * detection on nodejs22.x; naming the feature in the function's NODE_OPTIONS keeps it on ("Lambda detects this
 * override and removes the corresponding disable flag"). A flag the binary does not know (an older host) is
 * left out, as node would refuse to start.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html
 */
export function lambdaNodeArguments(runtime: string, nodeVersion: string, nodeOptions = ''): string[] {
  const major = wantedMajorOf(runtime);
  const version = nodeVersion.replace(/^v/, '');
  if (major === undefined || !parseStableVersion(version)) return [];
  const requested = new Set(nodeOptions.split(/\s+/).filter(Boolean));
  const knows = (since20: string, since: string): boolean => (majorOf(version) === 20 ? compareVersions(version, since20) >= 0 : compareVersions(version, since) >= 0);
  const args: string[] = [];
  if ((major === 20 || major === 22) && !requested.has('--experimental-require-module') && knows('20.17.0', '22.0.0')) args.push('--no-experimental-require-module');
  if (major === 22 && !requested.has('--experimental-detect-module') && knows('20.10.0', '21.1.0')) args.push('--no-experimental-detect-module');
  return args;
}

/** The command an environment of `fn` starts: its resolved binary and its runtime's flags. */
export function nodeCommandFor(resolution: RuntimeResolution, nodeOptions?: string): NodeCommand {
  return { binary: resolution.binary, args: lambdaNodeArguments(resolution.runtime, resolution.nodeVersion, nodeOptions) };
}

/** `Node.js v22.23.5: 12.3 of 49.3 MB`: one progress line for a terminal. */
export function describeProgress(progress: NodeDownloadProgress): string {
  const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1);
  return `downloading Node.js v${progress.version} for ${progress.runtime}: ${mb(progress.bytes)}${progress.total ? ` of ${mb(progress.total)}` : ''} MB`;
}

/** A failure is remembered this long, so an offline server does not ask the registry at every cold start, yet finds it again once back online. */
const FALLBACK_RETRY_MS = 5 * 60_000;

interface Entry {
  startedAt: number;
  promise: Promise<RuntimeResolution>;
  value?: RuntimeResolution;
}

/**
 * One server's resolutions, one per runtime identifier: the first use resolves (and, if need be, downloads)
 * and every later cold start reuses the answer. Concurrent first uses share one resolution. Never rejects:
 * anything unexpected becomes the host fallback with its warning.
 */
export class NodeRuntimes {
  private readonly entries = new Map<string, Entry>();
  private readonly settled = new Map<string, RuntimeResolution>();
  private readonly stopping = new AbortController();

  constructor(private readonly options: NodeRuntimeOptions = {}) {}

  resolve(runtime: string): Promise<RuntimeResolution> {
    const now = (this.options.now ?? Date.now)();
    const entry = this.entries.get(runtime);
    if (entry && (!entry.value || this.stillGood(entry, now))) return entry.promise;
    const log = (message: string): void => this.options.log?.(`lambda: ${message}`);
    const next: Entry = { startedAt: now, promise: Promise.resolve(undefined as never) };
    next.promise = provideNodeRuntime(runtime, { ...this.options, log, signal: this.stopping.signal })
      .catch((error: unknown): RuntimeResolution => {
        const host = this.options.host ?? { version: process.version, binary: process.execPath };
        const reason = this.stopping.signal.aborted ? 'the local cloud is stopping' : describeError(error);
        return { runtime, wantedMajor: wantedMajorOf(runtime) ?? 0, nodeVersion: host.version, source: 'host', binary: host.binary, warning: `${runtime} functions run on the host's Node.js ${host.version}: ${reason}` };
      })
      .then((value) => {
        next.value = value;
        this.settled.set(runtime, value);
        log(value.warning ?? `${runtime} functions run on Node.js ${value.nodeVersion} (${value.source === 'host' ? "the host's" : value.binary})`);
        return value;
      });
    this.entries.set(runtime, next);
    return next.promise;
  }

  /** The last settled resolution of `runtime` (what `resolve` gave), for code that cannot wait. */
  peek(runtime: string): RuntimeResolution | undefined {
    return this.settled.get(runtime);
  }

  /** Gives up downloads in progress (their temporary files are removed). */
  stop(): void {
    this.stopping.abort();
  }

  private stillGood(entry: Entry, now: number): boolean {
    const value = entry.value!;
    if (value.warning) return now - entry.startedAt < FALLBACK_RETRY_MS;
    // A cache emptied under a running server: resolve (and download) again rather than fail every spawn.
    return existsSync(value.binary);
  }
}
