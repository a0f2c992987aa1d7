// `local serve --cpu-share lambda` for real, on whatever this machine is: where a cgroup cpu controller is
// writable, each environment runs in a cgroup of its own whose quota is memory/1,769 of a CPU and the kernel
// throttles it; where none is (here made so by hiding /sys/fs/cgroup in a private mount namespace), the server
// refuses in one line and exits non-zero, and nothing runs at the host's CPU as if it were Lambda's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { probeCpuShare, quotaMicroseconds } from '../../../emulator/runtime/cpu-share.js';
import { runThumbctl, startLocalServe, THUMBCTL_BIN } from '../../helpers/thumbctl.js';
import { assertBuilt, fixtureDeployer } from '../reliability/support.js';

const stateDirs: string[] = [];
const newStateDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'thumbctl-cpu-share-'));
  stateDirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

/** Root may hide the cgroup hierarchy from one process: a private mount namespace with a tmpfs over it. */
const canHideCgroups = process.platform === 'linux' && process.geteuid?.() === 0 && spawnSync('unshare', ['--mount', 'true']).status === 0;

describe('local serve --cpu-share', () => {
  it('is lambda or host; anything else is a usage error (exit 2)', async () => {
    const result = await runThumbctl(['--state-dir', newStateDir(), 'local', 'serve', '--port', '0', '--cpu-share', 'half']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--cpu-share must be lambda or host, not "half"/);
  });

  it('refuses in one line, exit 1, where no cgroup cpu controller is writable', { skip: !canHideCgroups && 'needs root and unshare --mount to hide /sys/fs/cgroup' }, () => {
    assertBuilt();
    const script = 'mount -t tmpfs none /sys/fs/cgroup && exec "$@"';
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', script, 'sh', process.execPath, THUMBCTL_BIN, '--state-dir', newStateDir(), 'local', 'serve', '--port', '0', '--cpu-share', 'lambda'], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      timeout: 60_000,
    });
    assert.equal(result.status, 1, `${result.stdout}\n${result.stderr}`);
    assert.doesNotMatch(result.stdout, /local cloud ready/);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] ?? '', /--cpu-share lambda: this machine does not let thumbctl limit a process's CPU .*refused/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  it('bench --memory refuses a running local serve that gives functions the host CPU (exit 1, one line)', async () => {
    assertBuilt();
    const stateDir = newStateDir();
    const served = await startLocalServe(['--state-dir', stateDir, '--port', '0', '--json'], { env: { THUMBCTL_TARGET: 'local' } });
    try {
      const result = await runThumbctl(['--state-dir', stateDir, 'bench', '--memory', '256,512', '--count', '1'], { env: { THUMBCTL_TARGET: 'local' } });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /gives functions the host's full CPU; restart it with `thumbctl local serve --cpu-share lambda`/);
    } finally {
      await served.stop();
    }
  });

  it('bench --memory refuses where no cgroup cpu controller is writable (exit 1, one line)', { skip: !canHideCgroups && 'needs root and unshare --mount to hide /sys/fs/cgroup' }, () => {
    const script = 'mount -t tmpfs none /sys/fs/cgroup && exec "$@"';
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', script, 'sh', process.execPath, THUMBCTL_BIN, '--state-dir', newStateDir(), 'bench', '--memory', '256,512,1024,1769'], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', NO_COLOR: '1', THUMBCTL_TARGET: 'local' },
      timeout: 60_000,
    });
    assert.equal(result.status, 1, `${result.stdout}\n${result.stderr}`);
    assert.equal(result.stdout, '', 'no sweep table');
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /--cpu-share lambda: this machine does not let thumbctl limit a process's CPU .*refused/);
  });

  const probe = probeCpuShare();
  if (probe.ok) probe.limiter.close();
  it(
    'runs each environment in a cgroup of its own at memory/1,769 of a CPU, throttled by the kernel, removed at stop',
    { skip: !probe.ok && `no writable cgroup cpu controller here (${probe.ok ? '' : probe.reason}): the refusal is tested instead` },
    async () => {
      assertBuilt();
      const stateDir = newStateDir();
      const served = await startLocalServe(['--state-dir', stateDir, '--port', '0', '--json', '--cpu-share', 'lambda'], { env: { THUMBCTL_TARGET: 'local' } });
      try {
        assert.match(served.stdout(), /"cpuShare":"lambda"/);
        const base = /one cgroup per environment under (\S+)/.exec(readFileSync(join(stateDir, 'cloud.log'), 'utf8'))?.[1];
        assert.ok(base && existsSync(base), `the cloud log names the cgroup: ${base}`);
        const functions = fixtureDeployer(served.endpoint);
        try {
          await functions.create('cpu-share-echo', 'echo', 60);
          // CreateFunction's default memory, 128 MB: 7.2 ms of CPU per 100 ms; Node's start alone needs more.
          const answer = await functions.lambda.send(new InvokeCommand({ FunctionName: 'cpu-share-echo', Payload: Buffer.from('{"hello":1}') }));
          assert.equal(answer.FunctionError, undefined);
          const listing = spawnSync('ls', [base], { encoding: 'utf8' }).stdout.split('\n').filter((name) => name.startsWith('environment-'));
          assert.equal(listing.length, 1, `one environment cgroup: ${listing.join(', ')}`);
          const group = join(base, listing[0] as string);
          const quotaFile = existsSync(join(group, 'cpu.max')) ? 'cpu.max' : 'cpu.cfs_quota_us';
          assert.equal(readFileSync(join(group, quotaFile), 'utf8').trim().split(' ')[0], String(quotaMicroseconds(128)));
          const members = readFileSync(join(group, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean);
          assert.ok(members.length >= 2, `the environment's processes (init, runtime) are in its cgroup: ${members.join(', ')}`);
          const throttled = Number(/nr_throttled (\d+)/.exec(readFileSync(join(group, 'cpu.stat'), 'utf8'))?.[1]);
          assert.ok(throttled > 0, `the kernel throttled the environment (nr_throttled ${throttled})`);
        } finally {
          functions.destroy();
        }
        await served.stop();
        assert.equal(existsSync(base), false, 'the server removes its cgroups when it stops');
      } finally {
        await served.stop();
      }
    },
  );

  it(
    'bench --memory 256,512 sweeps at Lambda’s CPU share: a row per size, cost per 1,000 each, cheapest and fastest marked, none lost',
    { skip: !probe.ok && `no writable cgroup cpu controller here: the refusal is tested instead` },
    async () => {
      assertBuilt();
      const stateDir = newStateDir();
      const result = await runThumbctl(['--state-dir', stateDir, 'bench', '--memory', '256,512', '--count', '2', '--concurrency', '1', '--json'], { env: { THUMBCTL_TARGET: 'local' }, timeoutMs: 300_000 });
      assert.equal(result.code, 0, result.stderr);
      const sweep = result.json();
      assert.equal(sweep.cpuShare, 'lambda');
      assert.deepEqual(sweep.sweep.map((row: { memoryMb: number }) => row.memoryMb), [256, 512]);
      assert.equal(sweep.lost, 0);
      for (const run of sweep.runs) {
        assert.equal(run.cpuShare, 'lambda');
        assert.equal(run.cost.memoryMb, run.memoryMb, 'each run is costed at the memory the function ran with');
      }
      for (const row of sweep.sweep) assert.ok(row.costPer1000 > 0 && row.durationP50Ms > 0);
      assert.equal(sweep.sweep.filter((row: { cheapest: boolean }) => row.cheapest).length, 1);
      assert.equal(sweep.sweep.filter((row: { fastest: boolean }) => row.fastest).length, 1);
      assert.ok([256, 512].includes(sweep.cheapestMemoryMb));
    },
  );
});
