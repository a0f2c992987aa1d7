// A full disk, handled as S3 would: on a 20 MB tmpfs state directory, writes that do not fit are refused with a
// 503 that says the local disk is full and where (and cloud.log says so too), leave no temporary file behind,
// and corrupt nothing stored before; deletes, aborts and reads keep working, so space can be freed through the
// API; and the cloud starts again on the full disk. Needs to mount a tmpfs (root on Linux); elsewhere the test
// is skipped and says why.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { assertBuilt, logsClient, s3Client, startServe, type ServeProcess } from '../reliability/support.js';

const MIB = 1024 * 1024;
let mountPoint: string | undefined;
let skipReason: string | undefined;

before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'thumbctl-disk-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status === 0) mountPoint = dir;
  else {
    skipReason = `cannot mount a 20 MB tmpfs here (${(mounted.stderr || mounted.error?.message || `exit ${mounted.status}`).trim()}): run as root on Linux to test a full disk`;
    rmSync(dir, { recursive: true, force: true });
  }
});

after(() => {
  if (!mountPoint) return;
  spawnSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const sha256 = (data: Buffer | Uint8Array): string => createHash('sha256').update(data).digest('hex');

function tempFiles(stateDir: string): string[] {
  const dir = join(stateDir, 'tmp');
  return existsSync(dir) ? readdirSync(dir) : [];
}

function cloudLog(stateDir: string): string {
  try {
    return readFileSync(join(stateDir, 'cloud.log'), 'utf8');
  } catch {
    return '';
  }
}

/** The status and S3 error code of a rejected call. */
function failure(error: unknown): { status?: number; code: string; message: string } {
  const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
  return { status: e.$metadata?.httpStatusCode, code: e.name, message: e.message };
}

/** PutObjects of `size` until one is refused; returns the refusal (and the keys stored on the way). */
async function fillUntilRefused(s3: S3Client, prefix: string, size: number): Promise<{ refusal: ReturnType<typeof failure>; stored: Map<string, string> }> {
  const stored = new Map<string, string>();
  for (let i = 0; i < 100; i++) {
    const body = randomBytes(size);
    try {
      await s3.send(new PutObjectCommand({ Bucket: 'full', Key: `${prefix}-${i}`, Body: body }));
      stored.set(`${prefix}-${i}`, sha256(body));
    } catch (error) {
      return { refusal: failure(error), stored };
    }
  }
  throw new Error('100 MiB went into a 20 MB disk');
}

async function readAll(s3: S3Client, objects: Map<string, string>): Promise<void> {
  for (const [key, digest] of objects) {
    const body = await (await s3.send(new GetObjectCommand({ Bucket: 'full', Key: key }))).Body!.transformToByteArray();
    assert.equal(sha256(body), digest, `${key} reads back intact`);
  }
}

describe('a full disk', () => {
  it('refuses writes with a 503 naming the disk, keeps deletes, aborts and reads working, and restarts', { timeout: 240_000 }, async (t) => {
    if (!mountPoint) {
      t.skip(skipReason);
      return;
    }
    assertBuilt();
    const stateDir = join(mountPoint, 'state');
    mkdirSync(stateDir);
    let serve: ServeProcess = await startServe(stateDir);
    let s3 = s3Client(serve.endpoint, 1);
    let logs: CloudWatchLogsClient | undefined;
    try {
      // Prepare: objects stored before the disk fills, and a multipart upload in progress.
      await s3.send(new CreateBucketCommand({ Bucket: 'full' }));
      const before = new Map<string, string>();
      for (let i = 0; i < 3; i++) {
        const body = randomBytes(MIB);
        await s3.send(new PutObjectCommand({ Bucket: 'full', Key: `before-${i}`, Body: body }));
        before.set(`before-${i}`, sha256(body));
      }
      logs = logsClient(serve.endpoint);
      await logs.send(new CreateLogGroupCommand({ logGroupName: '/full' }));
      await logs.send(new CreateLogStreamCommand({ logGroupName: '/full', logStreamName: 's' }));
      const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'full', Key: 'multi' }));
      await s3.send(new UploadPartCommand({ Bucket: 'full', Key: 'multi', UploadId: upload.UploadId, PartNumber: 1, Body: randomBytes(MIB) }));

      // Act: fill the disk with 1 MiB objects, then try an 8 MiB one (refused mid-body, streamed).
      const { refusal, stored } = await fillUntilRefused(s3, 'fill', MIB);
      const big = await s3.send(new PutObjectCommand({ Bucket: 'full', Key: 'big', Body: randomBytes(8 * MIB) })).then(
        () => undefined,
        (error: unknown) => failure(error),
      );

      // Assess: the refusals say what happened and where; nothing half-written is left.
      for (const answer of [refusal, big]) {
        assert.ok(answer, 'the 8 MiB upload was refused');
        assert.equal(answer.status, 503, JSON.stringify(answer));
        assert.match(answer.code, /^(ServiceUnavailable|SlowDown)$/);
        assert.match(answer.message, /disk is full/i);
        assert.ok(answer.message.includes(stateDir), `the message names the state directory: ${answer.message}`);
      }
      assert.deepEqual(tempFiles(stateDir), [], 'a failed write removes its temporary file');
      assert.match(cloudLog(stateDir), new RegExp(`disk is full.*${stateDir.replace(/[/\\-]/g, '\\$&')}`, 'i'));
      t.diagnostic(`refused after ${stored.size} MiB more: ${refusal.status} ${refusal.code}: ${refusal.message}`);
      const logsRefusal = await logs
        .send(new PutLogEventsCommand({ logGroupName: '/full', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'x'.repeat(200_000) }] }))
        .then(() => undefined, (error: unknown) => failure(error));
      assert.deepEqual(
        { status: logsRefusal?.status, code: logsRefusal?.code, full: /disk is full/.test(logsRefusal?.message ?? '') },
        { status: 503, code: 'ServiceUnavailableException', full: true },
        'another service refuses its writes the same way',
      );

      // Reads, deletes and aborts work on the full disk, and free space that writes can use again.
      await readAll(s3, before);
      await readAll(s3, stored);
      await s3.send(new AbortMultipartUploadCommand({ Bucket: 'full', Key: 'multi', UploadId: upload.UploadId }));
      for (const key of [...stored.keys()].slice(0, 4)) {
        await s3.send(new DeleteObjectCommand({ Bucket: 'full', Key: key }));
        stored.delete(key);
      }
      const again = randomBytes(MIB);
      await s3.send(new PutObjectCommand({ Bucket: 'full', Key: 'after-delete', Body: again }));
      stored.set('after-delete', sha256(again));

      // A restart on a full disk works, and finds everything.
      const refill = await fillUntilRefused(s3, 'refill', MIB);
      for (const [key, digest] of refill.stored) stored.set(key, digest);
      s3.destroy();
      logs.destroy();
      logs = undefined;
      await serve.kill9();
      serve = await startServe(stateDir);
      s3 = s3Client(serve.endpoint, 1);
      await readAll(s3, before);
      await readAll(s3, stored);
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'full' }));
      assert.equal(listed.KeyCount, before.size + stored.size);
      await s3.send(new DeleteObjectCommand({ Bucket: 'full', Key: 'before-0' }));
      assert.deepEqual(tempFiles(stateDir), []);
      t.diagnostic(cloudLog(stateDir).split('\n').filter((line) => /disk/.test(line)).join('\n'));
    } finally {
      s3.destroy();
      logs?.destroy();
      await serve.stop();
    }
  });
});
