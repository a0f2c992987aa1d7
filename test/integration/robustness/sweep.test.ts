// The sweep on start: kill -9 of `local serve` in the middle of uploads leaves temporary files and blobs no
// metadata names (a blob renamed into place whose row never committed, a released blob whose unlink never ran).
// The next start removes them, under the state directory's lock, says so in cloud.log, and keeps every blob an
// object or an in-progress multipart upload still uses.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { assertBuilt, cloudLog, s3Client, startServe } from '../reliability/support.js';

const ROUNDS = 3;
const stateDirs: string[] = [];
after(() => {
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
}

/** Uploads that are under way when the kill lands: large single PUTs and multipart parts, never awaited. */
function startUploads(s3: S3Client, round: number, uploadId: string): Promise<unknown>[] {
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < 4; i++) {
    pending.push(s3.send(new PutObjectCommand({ Bucket: 'sweep', Key: `big-${round}-${i}`, Body: randomBytes(12 * 1024 * 1024) })).catch(() => undefined));
    pending.push(
      s3.send(new UploadPartCommand({ Bucket: 'sweep', Key: 'multi', UploadId: uploadId, PartNumber: 10 + round * 4 + i, Body: randomBytes(6 * 1024 * 1024) })).catch(() => undefined),
    );
  }
  return pending;
}

describe('the sweep on start', () => {
  it(`removes temp files and unreferenced blobs after ${ROUNDS} kill -9 rounds mid-upload, and keeps every referenced blob`, { timeout: 300_000 }, async (t) => {
    assertBuilt();
    const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-sweep-'));
    stateDirs.push(stateDir);
    const stored = new Map<string, string>();
    let uploadId = '';
    const plantedBlobs: string[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const serve = await startServe(stateDir);
      const s3 = s3Client(serve.endpoint, 1);
      try {
        if (round === 0) {
          await s3.send(new CreateBucketCommand({ Bucket: 'sweep' }));
          uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: 'sweep', Key: 'multi' }))).UploadId!;
          await s3.send(new UploadPartCommand({ Bucket: 'sweep', Key: 'multi', UploadId: uploadId, PartNumber: 1, Body: Buffer.alloc(5 * 1024 * 1024, 7) }));
        }
        // Acknowledged objects of this round: they must survive every sweep.
        for (let i = 0; i < 3; i++) {
          const body = randomBytes(i === 0 ? 2 * 1024 * 1024 : 50_000);
          await s3.send(new PutObjectCommand({ Bucket: 'sweep', Key: `kept-${round}-${i}`, Body: body }));
          stored.set(`kept-${round}-${i}`, sha256(body));
        }
        // Act: kill -9 while large bodies are arriving.
        const pending = startUploads(s3, round, uploadId);
        await new Promise((resolve) => setTimeout(resolve, 150 + round * 100));
        await serve.kill9();
        await Promise.all(pending);
      } finally {
        s3.destroy();
        await serve.kill9();
      }
      // What a kill -9 can leave between a blob's rename and its row's commit (or a row's delete and its blob's
      // unlink), planted so every round has some whatever the kill's timing: a blob nothing names and a temp file.
      const orphan = randomBytes(1000);
      const digest = sha256(orphan);
      mkdirSync(join(stateDir, 'blobs', digest.slice(0, 2)), { recursive: true });
      writeFileSync(join(stateDir, 'blobs', digest.slice(0, 2), digest), orphan);
      plantedBlobs.push(digest);
      mkdirSync(join(stateDir, 'tmp'), { recursive: true });
      writeFileSync(join(stateDir, 'tmp', `${digest}.${randomBytes(6).toString('hex')}`), orphan.subarray(0, 500));
    }

    // Act: a clean start.
    const serve = await startServe(stateDir);
    const s3 = s3Client(serve.endpoint);
    try {
      // Assess: nothing temporary left, no planted orphan left, and a line in cloud.log that counts them.
      assert.deepEqual(filesUnder(join(stateDir, 'tmp')), [], 'no temp file survives a start');
      for (const digest of plantedBlobs) assert.equal(existsSync(join(stateDir, 'blobs', digest.slice(0, 2), digest)), false, `orphan blob ${digest} removed`);
      const sweepLines = cloudLog(stateDir).filter((line) => /sweep/.test(line));
      t.diagnostic(sweepLines.join('\n'));
      assert.ok(sweepLines.some((line) => /removed \d+ temporary files? .*\d+ unreferenced blobs?/.test(line)), sweepLines.join('\n'));
      // Every acknowledged object reads back whole, and the upload's acknowledged part is still there.
      for (const [key, digest] of stored) {
        const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'sweep', Key: key }))).Body!.transformToByteArray());
        assert.equal(sha256(body), digest, `${key} intact`);
      }
      const parts = await s3.send(new ListPartsCommand({ Bucket: 'sweep', Key: 'multi', UploadId: uploadId }));
      assert.ok(parts.Parts?.some((part) => part.PartNumber === 1 && part.Size === 5 * 1024 * 1024), 'the in-progress upload keeps its part');
      // Every blob left is one the metadata names: as many blobs as distinct bodies stored (objects and parts).
      const blobCount = filesUnder(join(stateDir, 'blobs')).filter((file) => statSync(file).isFile()).length;
      const expected = new Set([...stored.values()]).size + (parts.Parts?.length ?? 0) + (await bigObjectsStored(s3));
      assert.equal(blobCount, expected, 'no unreferenced blob left');
    } finally {
      s3.destroy();
      await serve.stop();
    }
  });
});

/** The interrupted big PUTs that were acknowledged before the kill (each its own blob). */
async function bigObjectsStored(s3: S3Client): Promise<number> {
  let count = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < 4; i++) {
      try {
        await s3.send(new HeadObjectCommand({ Bucket: 'sweep', Key: `big-${round}-${i}` }));
        count++;
      } catch {
        // Not acknowledged before the kill: no object.
      }
    }
  }
  return count;
}
