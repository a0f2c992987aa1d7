// `thumbctl local serve` as people run it (the compiled CLI in a child process): loopback by default, a loud
// warning when bound elsewhere, and --require-auth (keys from THUMBCTL_LOCAL_ACCESS_KEY_ID and
// THUMBCTL_LOCAL_SECRET_ACCESS_KEY) verified end to end: the SDK with the right key, the wrong key, and the
// whole demo, whose function signs its S3 calls with keys the local cloud issued to its environment.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { runThumbctl, startLocalServe } from '../../helpers/thumbctl.js';

const stateDirs: string[] = [];
const children: ChildProcess[] = [];

after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

function freshStateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'thumbctl-serve-'));
  stateDirs.push(dir);
  return dir;
}

interface Served {
  child: ChildProcess;
  endpoint: string;
  output(): { stdout: string; stderr: string };
  stop(): Promise<number | null>;
}

/** Starts `local serve` and resolves once it says where it is listening. */
async function serve(args: string[], env: Record<string, string | undefined> = {}): Promise<Served> {
  const served = await startLocalServe(args, {
    env: { THUMBCTL_LOCAL_ACCESS_KEY_ID: undefined, THUMBCTL_LOCAL_SECRET_ACCESS_KEY: undefined, ...env },
    timeoutMs: 20_000,
  });
  children.push(served.child);
  return {
    child: served.child,
    endpoint: served.endpoint,
    output: () => ({ stdout: served.stdout(), stderr: served.stderr() }),
    // SIGTERM only, and wait for the exit code: the tests expect a clean exit 0.
    stop: () => served.stop(Infinity),
  };
}

describe('thumbctl local serve', () => {
  it('binds loopback by default, without a warning', async () => {
    const served = await serve(['--port', '0', '--state-dir', freshStateDir()]);
    assert.match(served.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(served.output().stderr, /warning/);
    assert.equal(await served.stop(), 0);
  });

  it('warns loudly on stderr when bound to every interface', async () => {
    const served = await serve(['--host', '0.0.0.0', '--port', '0', '--state-dir', freshStateDir()]);
    assert.match(served.output().stderr, /warning: binding 0\.0\.0\.0: the local cloud checks no credentials, so anyone who can reach this address can read and change its data/);
    assert.doesNotMatch(served.output().stdout, /warning/, 'the warning is not mixed into the output');
    assert.equal(await served.stop(), 0);
  });

  it('refuses --require-auth without a configured key, as a usage error', async () => {
    const result = await runThumbctl(['local', 'serve', '--require-auth', '--port', '0', '--state-dir', freshStateDir()], {
      env: { THUMBCTL_LOCAL_ACCESS_KEY_ID: undefined, THUMBCTL_LOCAL_SECRET_ACCESS_KEY: undefined },
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--require-auth needs both THUMBCTL_LOCAL_ACCESS_KEY_ID and THUMBCTL_LOCAL_SECRET_ACCESS_KEY/);
  });

  it('refuses a --host that is not an address of this machine, in one line', async () => {
    const result = await runThumbctl(['local', 'serve', '--host', 'not-a-host.invalid', '--port', '0', '--state-dir', freshStateDir()]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^thumbctl: cannot listen on not-a-host\.invalid: not an address of this machine$/m);
    assert.doesNotMatch(result.stderr, /unexpected error|ENOTFOUND|\n\s+at /);
  });
});

describe('thumbctl local serve --require-auth', () => {
  const KEY = { accessKeyId: 'AKIALOCALSERVETEST01', secretAccessKey: 'CANARYSERVESECRET-9f3b2c7d1e' };
  const env = { THUMBCTL_LOCAL_ACCESS_KEY_ID: KEY.accessKeyId, THUMBCTL_LOCAL_SECRET_ACCESS_KEY: KEY.secretAccessKey };

  it('verifies signatures, and the whole demo works through it with the function\'s own issued keys', async () => {
    const stateDir = freshStateDir();
    const served = await serve(['--require-auth', '--host', '0.0.0.0', '--port', '0', '--state-dir', stateDir], env);
    try {
      assert.match(served.output().stderr, /warning: binding 0\.0\.0\.0: signatures are verified/);
      const right = new S3Client({ endpoint: served.endpoint, region: 'us-east-1', credentials: KEY, forcePathStyle: true, maxAttempts: 1 });
      const wrong = new S3Client({ endpoint: served.endpoint, region: 'us-east-1', credentials: { ...KEY, secretAccessKey: 'guess' }, forcePathStyle: true, maxAttempts: 1 });
      await right.send(new ListBucketsCommand({}));
      await assert.rejects(wrong.send(new ListBucketsCommand({})), { name: 'SignatureDoesNotMatch' });
      right.destroy();
      wrong.destroy();

      // thumbctl signs with the same variables; the function signs with the keys its environment was issued.
      const demo = await runThumbctl(['--state-dir', stateDir, 'demo'], { env, timeoutMs: 120_000 });
      assert.equal(demo.code, 0, `${demo.stdout}\n${demo.stderr}`);
      assert.match(demo.stdout, /canyon-400x400\.jpg\s+400x400/);
      const unsigned = await runThumbctl(['--state-dir', stateDir, 'status'], { env: { THUMBCTL_LOCAL_ACCESS_KEY_ID: undefined, THUMBCTL_LOCAL_SECRET_ACCESS_KEY: undefined } });
      assert.equal(unsigned.code, 1, 'without the key, thumbctl is refused too');
      assert.match(unsigned.stderr, /InvalidAccessKeyId|InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch/);

      for (const text of [served.output().stdout, served.output().stderr, demo.stdout, demo.stderr, unsigned.stdout, unsigned.stderr]) {
        assert.ok(!text.includes(KEY.secretAccessKey), 'the secret is never printed');
      }
      const log = join(stateDir, 'cloud.log');
      if (existsSync(log)) assert.ok(!readFileSync(log, 'utf8').includes(KEY.secretAccessKey), 'nor logged');
    } finally {
      assert.equal(await served.stop(), 0);
    }
  });
});
