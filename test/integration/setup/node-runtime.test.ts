// setup and status on the local cloud, about the Node.js a function's runtime names: setup fetches it into the
// shared cache before deploying (from a stand-in npm registry here), and both say in one line when it cannot be had
// and the function will run on this machine's Node.js instead. Each test has its own state directory and cache.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { binaryPackageFor } from '../../../emulator/runtime/npm-registry.js';
import { closedPort, startFakeRegistry } from '../../helpers/fake-npm-registry.js';
import { runThumbctl, type ThumbctlResult } from '../../helpers/thumbctl.js';

const HOST_MAJOR = Number(process.versions.node.split('.')[0]);
/** A supported major other than the host's: what a download (or its fallback) is needed for. */
const OTHER_MAJOR = [22, 24, 20].find((candidate) => candidate !== HOST_MAJOR)!;
const RUNTIME = `nodejs${OTHER_MAJOR}.x`;
const directories: string[] = [];

function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  directories.push(dir);
  return dir;
}

after(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

function thumbctl(stateDir: string, args: string[], env: Record<string, string>): Promise<ThumbctlResult> {
  return runThumbctl([...args, '--state-dir', stateDir], { env: { THUMBCTL_LOCAL_FAULTS: undefined, ...env }, timeoutMs: 180_000 });
}

const warnings = (result: ThumbctlResult): string[] => result.stderr.split('\n').filter((line) => line.startsWith('warning:'));

describe('the Node.js of the function’s runtime, on the local cloud', () => {
  it('is fetched by setup into the cache before the function is deployed; status then has nothing to warn about', async () => {
    // Prepare
    const packageName = binaryPackageFor()!;
    const version = `${OTHER_MAJOR}.99.0`;
    const registry = await startFakeRegistry({ [packageName]: [{ version }] });
    const cacheDir = temporaryDir('thumbctl-setup-node-cache-');
    const stateDir = temporaryDir('thumbctl-setup-node-');
    const env = { THUMBCTL_CACHE_DIR: cacheDir, npm_config_registry: registry.url };
    try {
      // Act
      const setup = await thumbctl(stateDir, ['setup', '--runtime', RUNTIME], env);
      const status = await thumbctl(stateDir, ['status', '--runtime', RUNTIME], env);
      const again = await thumbctl(stateDir, ['setup', '--runtime', RUNTIME], env);

      // Assess
      assert.equal(setup.code, 0, setup.stderr);
      assert.match(setup.stderr, new RegExp(`Node\\.js v${version.replaceAll('.', '\\.')} for ${RUNTIME.replace('.', '\\.')} \\(downloaded\\)`));
      assert.deepEqual(warnings(setup), []);
      assert.equal(registry.tarballRequests().length, 1, 'downloaded once');
      assert.ok(readdirSync(join(cacheDir, 'node')).some((name) => name.includes(version)), 'installed in the cache');
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual(warnings(status), []);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, new RegExp(`Node\\.js v${version.replaceAll('.', '\\.')} for ${RUNTIME.replace('.', '\\.')} \\(cached\\)`));
      assert.equal(registry.tarballRequests().length, 1, 'not downloaded again');
    } finally {
      await registry.close();
    }
  });

  it('says in one warning, in setup and in status, that the function will run on this machine’s Node.js when none can be had', async () => {
    // Prepare: an empty cache and a registry that refuses every connection.
    const cacheDir = temporaryDir('thumbctl-setup-node-cache-');
    const stateDir = temporaryDir('thumbctl-setup-node-');
    const env = { THUMBCTL_CACHE_DIR: cacheDir, npm_config_registry: `http://127.0.0.1:${await closedPort()}/` };

    // Act
    const status = await thumbctl(stateDir, ['status', '--runtime', RUNTIME], env);
    const setup = await thumbctl(stateDir, ['setup', '--runtime', RUNTIME], env);

    // Assess
    const expected = new RegExp(
      `^warning: ${RUNTIME.replace('.', '\\.')} functions run on the host's Node\\.js ${process.version.replaceAll('.', '\\.')}: Node\\.js ${OTHER_MAJOR} is not in the cache \\(.*\\) and the npm registry is unreachable \\(.*ECONNREFUSED.*\\)$`,
    );
    // Nothing is deployed yet: status says so with exit 4 (absent), and still warns about the Node.js.
    assert.equal(status.code, 4, status.stderr);
    assert.equal(warnings(status).length, 1, status.stderr);
    assert.match(warnings(status)[0]!, expected);
    assert.equal(setup.code, 0, setup.stderr);
    assert.equal(warnings(setup).length, 1, setup.stderr);
    assert.match(warnings(setup)[0]!, expected);
    assert.equal(existsSync(join(cacheDir, 'node')) ? readdirSync(join(cacheDir, 'node')).filter((name) => !name.endsWith('.json')).length : 0, 0, 'nothing installed');
  });

  it('is this machine’s own when its major is the runtime’s: nothing fetched, nothing to warn about', async () => {
    const stateDir = temporaryDir('thumbctl-setup-node-');
    const env = { THUMBCTL_CACHE_DIR: temporaryDir('thumbctl-setup-node-cache-'), npm_config_registry: `http://127.0.0.1:${await closedPort()}/` };
    const setup = await thumbctl(stateDir, ['setup', '--runtime', `nodejs${HOST_MAJOR}.x`], env);
    assert.equal(setup.code, 0, setup.stderr);
    assert.match(setup.stderr, new RegExp(`Node\\.js ${process.version.replaceAll('.', '\\.')} for nodejs${HOST_MAJOR}\\.x \\(this machine's\\)`));
    assert.deepEqual(warnings(setup), []);
  });
});
