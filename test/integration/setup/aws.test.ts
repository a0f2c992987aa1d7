// The same setup / status / teardown cycle against a real AWS account, through the real CLI with
// --target aws. Runs only with THUMBCTL_TEST_TARGET=aws and credentials in the environment (it creates
// and deletes real, uniquely named resources); otherwise every test here is skipped, and says so.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetBucketTaggingCommand, GetObjectCommand, PutObjectCommand, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3';
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

  it('reports every resource present, each created by this stack (exit 0)', { skip, timeout: 120_000 }, async () => {
    const result = await thumbctl(['status']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.json().resources.filter((resource: { state: string }) => resource.state !== 'present'), []);
    assert.deepEqual(result.json().ownership.map((entry: { owner: string }) => entry.owner), ['created', 'created', 'created', 'created', 'created']);
  });

  it('passes doctor: no check fails (the runtime may warn of its deprecation date)', { skip, timeout: 300_000 }, async () => {
    const result = await thumbctl(['doctor', '--canary']);
    assert.equal(result.code, 0, result.stdout);
    assert.deepEqual(result.json().checks.filter((check: { status: string }) => check.status === 'fail'), []);
  });

  it('tears everything down, twice harmlessly', { skip, timeout: 300_000 }, async () => {
    const first = await thumbctl(['teardown', '--yes']);
    assert.equal(first.code, 0, first.stderr);
    const second = await thumbctl(['teardown', '--yes']);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(second.json().resources.filter((resource: { action: string }) => resource.action !== 'absent'), []);
  });
});

describe('ownership on real AWS', () => {
  const id = randomBytes(4).toString('hex');
  const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-aws-'));
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const existing = `thumbctl-test-${id}-existing`;
  const stack = `t${id}`;
  const names = ['--stack', stack, '--source-bucket', existing, '--region', region];
  const thumbctl = (args: string[]): Promise<ThumbctlResult> =>
    runThumbctl([...args, ...names, '--target', 'aws', '--state-dir', stateDir, '--json'], { timeoutMs: 600_000 });
  const s3 = onAws ? new S3Client({ region }) : undefined;

  after(async () => {
    if (onAws && s3) {
      await thumbctl(['teardown', '--yes']);
      await s3.send(new DeleteObjectCommand({ Bucket: existing, Key: 'precious.txt' })).catch(() => undefined);
      await s3.send(new DeleteBucketCommand({ Bucket: existing })).catch(() => undefined);
      s3.destroy();
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('refuses a bucket it did not create, adopts it on request, and teardown keeps it and its objects', { skip, timeout: 900_000 }, async () => {
    await s3!.send(new CreateBucketCommand({ Bucket: existing, ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }) }));
    await s3!.send(new PutObjectCommand({ Bucket: existing, Key: 'precious.txt', Body: 'keep me' }));

    const refused = await thumbctl(['setup']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`--adopt-bucket ${existing}`));

    const adopted = await thumbctl(['setup', '--adopt-bucket', existing]);
    assert.equal(adopted.code, 0, adopted.stderr);
    const tags = await s3!.send(new GetBucketTaggingCommand({ Bucket: existing }));
    assert.deepEqual(Object.fromEntries((tags.TagSet ?? []).map((tag) => [tag.Key, tag.Value])), { 'thumbctl:stack': stack, 'thumbctl:adopted': 'true' });

    const down = await thumbctl(['teardown', '--yes']);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(down.json().kept.map((entry: { name: string }) => entry.name), [existing]);
    const body = await s3!.send(new GetObjectCommand({ Bucket: existing, Key: 'precious.txt' }));
    assert.equal(await body.Body!.transformToString(), 'keep me');
  });
});
