// setup, status and teardown through the real CLI (the compiled dist/, run `npm run build` first), each
// test with its own state directory and so its own local cloud: the --json contracts, idempotence, the dry
// run, refusals with one clear line, fault injection, and a setup killed with kill -9 half-way.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildPackage } from '../../../cli/core/provision/package.js';
import { runThumbctl, THUMBCTL_BIN, type ThumbctlResult } from '../../helpers/thumbctl.js';

const RESOURCE_TYPES = ['bucket', 'bucket', 'role', 'policy', 'policy', 'policy', 'package', 'function', 'tracing', 'permission', 'trigger'];
const directories: string[] = [];

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'thumbctl-cli-'));
  directories.push(dir);
  return dir;
}

after(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

function thumbctl(dir: string, args: string[], env: Record<string, string | undefined> = {}): Promise<ThumbctlResult> {
  return runThumbctl([...args, '--state-dir', dir], { env: { THUMBCTL_LOCAL_FAULTS: undefined, ...env }, timeoutMs: 180_000 });
}

/** stderr without the AWS SDK's Node.js version notice, which is not ours. */
function ourStderr(result: ThumbctlResult): string[] {
  const notice = /NodeVersionSupportWarning|versions published after|will require node|To continue receiving|and security updates|More information can be found|--trace-warnings/;
  return result.stderr.split('\n').filter((line) => line.trim() !== '' && !notice.test(line));
}

function assertOneLine(result: ThumbctlResult, pattern: RegExp): void {
  const lines = ourStderr(result);
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

describe('thumbctl setup, status and teardown', () => {
  const dir = stateDir();

  it('sets everything up and prints the setup contract', async () => {
    const result = await thumbctl(dir, ['setup', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const document = result.json();
    for (const key of ['target', 'region', 'account', 'sourceBucket', 'thumbnailBucket', 'functionName', 'functionArn', 'roleName', 'resources', 'tracing', 'retries', 'durationMs']) {
      assert.ok(key in document, `missing ${key}`);
    }
    assert.equal(document.target, 'local');
    assert.equal(document.account, '000000000000');
    assert.equal(document.sourceBucket, 'thumbctl-source-000000000000-us-east-1');
    assert.equal(document.thumbnailBucket, 'thumbctl-thumbnails-000000000000-us-east-1');
    assert.deepEqual(document.resources.map((resource: { type: string }) => resource.type), RESOURCE_TYPES);
    for (const resource of document.resources) assert.ok(['created', 'updated', 'unchanged'].includes(resource.action), JSON.stringify(resource));
    assert.equal(document.resources.find((resource: { type: string }) => resource.type === 'function').action, 'created');
    assert.deepEqual(document.tracing.mode, 'Active');
    assert.ok(Array.isArray(document.retries));
    assert.equal(typeof document.durationMs, 'number');
    assert.ok(document.packageBytes <= 10 * 1024 * 1024, `package is ${document.packageBytes} bytes`);
  });

  it('changes nothing the second time', async () => {
    const result = await thumbctl(dir, ['setup', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const document = result.json();
    assert.deepEqual(document.resources.filter((resource: { action: string }) => resource.action !== 'unchanged'), []);
    assert.deepEqual(document.tracing, { mode: 'Active', attempts: 0 });
  });

  it('shows status as a table for people and as the status contract for scripts', async () => {
    const table = await thumbctl(dir, ['status']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^TYPE\s+NAME\s+STATE/m);
    assert.match(table.stdout, /512 MB, 10 s, tracing Active/);
    assert.match(table.stdout, /11 present, 0 drifted, 0 absent/);

    const result = await thumbctl(dir, ['status', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const document = result.json();
    assert.deepEqual(document.resources.map((resource: { type: string }) => resource.type), RESOURCE_TYPES);
    for (const resource of document.resources) {
      assert.equal(resource.state, 'present', JSON.stringify(resource));
      assert.ok('desired' in resource && 'actual' in resource);
    }
    assert.deepEqual({ memory: document.function.memory, timeout: document.function.timeout, tracing: document.function.tracing }, { memory: 512, timeout: 10, tracing: 'Active' });
  });

  it('names drift against the settings asked for', async () => {
    const result = await thumbctl(dir, ['status', '--json', '--memory', '1024']);
    const fn = result.json().resources.find((resource: { type: string }) => resource.type === 'function');
    assert.equal(fn.state, 'drifted');
    assert.deepEqual(fn.drift, [{ field: 'memory', desired: 1024, actual: 512 }]);
  });

  it('asks on a terminal, and deletes nothing without a yes', { skip: existsSync('/usr/bin/script') ? false : 'needs script(1) for a terminal' }, async () => {
    // script(1) gives thumbctl a pseudo-terminal; the answer "n" is typed into it.
    const answer = await new Promise<string>((resolve, reject) => {
      const child = spawn('/usr/bin/script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(THUMBCTL_BIN)} teardown --state-dir ${JSON.stringify(dir)}`, '/dev/null'], {
        env: { ...process.env, NO_COLOR: '1', THUMBCTL_TARGET: undefined },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.on('error', reject);
      child.on('close', () => resolve(output));
      child.stdin.end('n\n');
    });
    assert.match(answer, /Delete all of this\? \[y\/N\]/);
    assert.match(answer, /Nothing deleted/);
    const status = await thumbctl(dir, ['status', '--json']);
    assert.deepEqual(status.json().resources.filter((resource: { state: string }) => resource.state !== 'present'), []);
  });

  it('refuses to tear down without --yes when not on a terminal', async () => {
    const result = await thumbctl(dir, ['teardown']);
    assert.equal(result.code, 2);
    assertOneLine(result, /--yes/);
  });

  it('tears everything down, and a second time finds everything absent', async () => {
    const result = await thumbctl(dir, ['teardown', '--yes', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const document = result.json();
    assert.ok(document.resources.length >= 10);
    for (const resource of document.resources) assert.ok(['deleted', 'absent'].includes(resource.action), JSON.stringify(resource));
    assert.equal(document.resources.filter((resource: { action: string }) => resource.action === 'deleted').length >= 9, true);

    const again = await thumbctl(dir, ['teardown', '--yes', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(again.json().resources.filter((resource: { action: string }) => resource.action !== 'absent'), []);

    const status = await thumbctl(dir, ['status', '--json']);
    assert.deepEqual(status.json().resources.filter((resource: { state: string }) => resource.state !== 'absent'), []);
  });
});

describe('thumbctl setup --dry-run', () => {
  it('prints the plan and touches nothing', async () => {
    const dir = stateDir();
    const result = await thumbctl(dir, ['setup', '--dry-run', '--json']);
    // Everything would be created: a dry run that would change something exits 4.
    assert.equal(result.code, 4, result.stderr);
    const document = result.json();
    assert.equal(document.dryRun, true);
    assert.deepEqual(document.resources.map((resource: { type: string }) => resource.type), RESOURCE_TYPES);
    for (const resource of document.resources) {
      assert.equal(resource.action, 'planned');
      assert.equal(resource.change, 'create');
      assert.equal(resource.actual, null);
    }
    const status = await thumbctl(dir, ['status', '--json']);
    assert.deepEqual(status.json().resources.filter((resource: { state: string }) => resource.state !== 'absent'), [], 'no bucket, role or function exists');

    const text = await thumbctl(dir, ['setup', '--dry-run']);
    assert.match(text.stdout, /nothing was touched/);
    assert.match(text.stdout, /function\s+thumbctl-thumbnailer\s+planned\s+would be created/);
  });
});

describe('refusals', () => {
  it('refuses invalid settings with one line and exit code 2, before touching anything', async () => {
    for (const args of [
      ['--memory', '64'],
      ['--timeout', 'soon'],
      ['--source-bucket', 'same-name', '--thumbnail-bucket', 'same-name'],
      ['--architecture', 'sparc'],
      ['--source-bucket', 'Not_A_Bucket'],
    ]) {
      const dir = join(stateDir(), 'state');
      const result = await thumbctl(dir, ['setup', ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assertOneLine(result, /^thumbctl: /);
      assert.equal(existsSync(dir), false, 'no local cloud was started');
    }
  });

  it('refuses a package for another architecture than this machine on the local cloud, which could not run it', async () => {
    const other = process.arch === 'arm64' ? 'x86_64' : 'arm64';
    const dir = stateDir();
    const result = await thumbctl(dir, ['setup', '--architecture', other]);
    assert.equal(result.code, 2, result.stderr);
    assertOneLine(result, new RegExp(`--architecture ${other}: the local cloud runs functions on this machine .*--target aws`));
    const status = await thumbctl(dir, ['status', '--json']);
    assert.ok(status.json().resources.every((resource: { state: string }) => resource.state === 'absent'), 'nothing was created');
  });

  it('explains missing credentials or an unknown profile on AWS in one line', async () => {
    const home = stateDir();
    const result = await runThumbctl(['status', '--target', 'aws', '--profile', 'no-such-profile-xyz', '--state-dir', join(home, 'state')], {
      env: {
        HOME: home,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: join(home, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      },
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 1, result.stderr);
    assertOneLine(result, /no-such-profile-xyz/);
  });
});

describe('faults', () => {
  it('converges despite role propagation, a tracing toggle that does not stick, an update conflict and throttling', async () => {
    const dir = stateDir();
    const result = await thumbctl(dir, ['setup', '--json'], { THUMBCTL_LOCAL_FAULTS: 'role-propagation=2,tracing-toggle=1,update-conflict=1,throttle=0.05' });
    assert.equal(result.code, 0, result.stderr);
    const document = result.json();
    assert.equal(document.tracing.mode, 'Active');
    assert.ok(document.tracing.attempts >= 2, `tracing took ${document.tracing.attempts} attempts`);
    assert.ok(document.retries.length > 0);
    assert.ok(document.retries.some((retry: { reason: string }) => /cannot be assumed/.test(retry.reason)), 'the role retry is recorded');
    for (const retry of document.retries) {
      assert.equal(typeof retry.what, 'string');
      assert.equal(typeof retry.attempt, 'number');
      assert.equal(typeof retry.delayMs, 'number');
    }
    assert.match(result.stderr, /retrying/, 'retries are said out loud');

    const status = await thumbctl(dir, ['status', '--json']);
    assert.deepEqual(status.json().resources.filter((resource: { state: string }) => resource.state !== 'present'), []);
  });

  it('refuses a fault it does not know, or cannot read, as a usage error before touching anything', async () => {
    for (const [spec, pattern] of [
      ['role-propagaton=2', /unknown fault "role-propagaton"/],
      ['throttle', /cannot read "throttle" \(expected name=number\)/],
    ] as const) {
      const result = await thumbctl(stateDir(), ['status'], { THUMBCTL_LOCAL_FAULTS: spec });
      assert.equal(result.code, 2, result.stderr);
      assertOneLine(result, pattern);
    }
  });
});

describe('a setup killed half-way', () => {
  /** Starts setup and SIGKILLs it as soon as a stderr line matches `when`. */
  function setupKilledAt(dir: string, when: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [THUMBCTL_BIN, 'setup', '--state-dir', dir], {
        env: { ...process.env, CI: 'true', NO_COLOR: '1', THUMBCTL_TARGET: undefined, THUMBCTL_LOCAL_FAULTS: undefined },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      let killed = false;
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (!killed && when.test(stderr)) {
          killed = true;
          child.kill('SIGKILL');
        }
      });
      child.on('error', reject);
      child.on('close', (_code, signal) => {
        clearTimeout(timer);
        if (signal !== 'SIGKILL' || !killed) reject(new Error(`setup was not killed half-way (signal ${signal}):\n${stderr}`));
        else resolve(stderr);
      });
    });
  }

  async function finishes(dir: string): Promise<void> {
    const result = await thumbctl(dir, ['setup', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const status = await thumbctl(dir, ['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(status.json().resources.filter((resource: { state: string }) => resource.state !== 'present'), []);
  }

  it('is finished by the next run when killed after the role step', async () => {
    const dir = stateDir();
    await setupKilledAt(dir, /^✔ Role /m);
    await finishes(dir);
  });

  it('is finished by the next run when killed while the function is being created', async () => {
    const dir = stateDir();
    // A warm package cache: the kill lands in the function step, not in packaging.
    await buildPackage({ architecture: 'x86_64', cacheDir: join(dir, 'cache') });
    await setupKilledAt(dir, /^[✔•] Package /m);
    await finishes(dir);
  });
});
