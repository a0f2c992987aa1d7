// The same setup / status / teardown cycle against a real AWS account, through the real CLI with
// --target aws. Runs only with THUMBCTL_TEST_TARGET=aws and credentials in the environment (it creates
// and deletes real, uniquely named resources); otherwise every test here is skipped, and says so.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runThumbctl, type ThumbctlResult } from '../../helpers/thumbctl.js';

const onAws = process.env.THUMBCTL_TEST_TARGET === 'aws';
const skip = onAws ? false : 'set THUMBCTL_TEST_TARGET=aws with credentials to run against AWS';

describe('setup on real AWS', () => {
  const id = randomBytes(4).toString('hex');
  const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-aws-'));
  const names = [
    '--function-name', `thumbctl-test-${id}`,
    '--role-name', `thumbctl-test-${id}-role`,
    '--source-bucket', `thumbctl-test-${id}-source`,
    '--thumbnail-bucket', `thumbctl-test-${id}-thumbnails`,
  ];
  const thumbctl = (args: string[]): Promise<ThumbctlResult> =>
    runThumbctl([...args, ...names, '--target', 'aws', '--state-dir', stateDir, '--json'], { timeoutMs: 600_000 });

  after(async () => {
    if (onAws) await thumbctl(['teardown', '--yes']);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('creates everything, retrying what AWS needs time for', { skip, timeout: 600_000 }, async () => {
    const result = await thumbctl(['setup']);
    assert.equal(result.code, 0, result.stderr);
    const document = result.json();
    assert.equal(document.target, 'aws');
    assert.equal(document.tracing.mode, 'Active');
    assert.ok(document.resources.every((resource: { action: string }) => ['created', 'updated', 'unchanged'].includes(resource.action)));
  });

  it('changes nothing on a second run', { skip, timeout: 300_000 }, async () => {
    const result = await thumbctl(['setup']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.json().resources.filter((resource: { action: string }) => resource.action !== 'unchanged'), []);
  });

  it('reports every resource present', { skip, timeout: 120_000 }, async () => {
    const result = await thumbctl(['status']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.json().resources.filter((resource: { state: string }) => resource.state !== 'present'), []);
  });

  it('tears everything down, twice harmlessly', { skip, timeout: 300_000 }, async () => {
    const first = await thumbctl(['teardown', '--yes']);
    assert.equal(first.code, 0, first.stderr);
    const second = await thumbctl(['teardown', '--yes']);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(second.json().resources.filter((resource: { action: string }) => resource.action !== 'absent'), []);
  });
});
