// Large bodies are streamed, not held: concurrent PutObject and UploadPart bodies go to a temporary blob file
// while they are hashed and checked, and CompleteMultipartUpload assembles its object part by part on disk.
// The server (its own `local serve` process) must stay within a bound far below what it is sent, and every
// object must read back byte for byte.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { scopeAuthorization } from '../../helpers/hostile.js';
import { clientConfigFor } from '../../helpers/local-cloud.js';
import { LAMBDA_TRUST_POLICY } from '../lambda/support.js';
import { assertBuilt, s3Client, startServe, type ServeProcess } from '../reliability/support.js';

const MIB = 1024 * 1024;
/** What the server may grow by while receiving several hundred MiB (RELIABILITY.md). */
const RSS_BOUND_MB = 150;

let stateDir: string;
let serve: ServeProcess;
let s3: S3Client;

before(async () => {
  assertBuilt();
  stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-large-'));
  serve = await startServe(stateDir);
  s3 = s3Client(serve.endpoint, 1);
  await s3.send(new CreateBucketCommand({ Bucket: 'large' }));
});

after(async () => {
  s3?.destroy();
  await serve?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

/** Runs `work` while sampling the server's RSS; returns the peak above the RSS before it started. */
async function peakGrowthMb(work: () => Promise<void>): Promise<number> {
  const idle = rssMb(serve.pid);
  let peak = idle;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, rssMb(serve.pid));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  try {
    await work();
  } finally {
    done = true;
    await sampler;
  }
  return Math.round(peak - idle);
}

/** A body unique to `seed`, cheap to make: one shared block with the seed written through it. */
function body(size: number, seed: number): Buffer {
  const data = Buffer.alloc(size, seed);
  for (let offset = 0; offset < size; offset += 4096) data.writeUInt32BE((seed * 7919 + offset) >>> 0, offset);
  return data;
}

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function readBack(key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: 'large', Key: key }));
  const hash = createHash('sha256');
  for await (const chunk of object.Body as Readable) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('large request bodies', () => {
  it('refuses a body a service would have to hold whole past its cap (16 MiB for Logs), before reading it', { timeout: 60_000 }, async () => {
    const response = await fetch(serve.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'Logs_20140328.PutLogEvents', 'content-type': 'application/x-amz-json-1.1', authorization: scopeAuthorization('logs') },
      body: Buffer.alloc(17 * MIB, 0x20),
    });
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { __type?: string }).__type, 'RequestEntityTooLargeException');
  });

  it(`six concurrent 64 MiB PutObjects (plain and aws-chunked): server grows less than ${RSS_BOUND_MB} MB, objects intact`, { timeout: 180_000 }, async (t) => {
    const bodies = Array.from({ length: 6 }, (_, i) => body(64 * MIB, i + 1));
    const growth = await peakGrowthMb(async () => {
      await Promise.all(
        bodies.map(async (data, i) => {
          // Half as a Buffer (Content-Length, a CRC32 header), half as a stream (aws-chunked with a trailing checksum).
          const Body = i % 2 === 0 ? data : Readable.from([data.subarray(0, 32 * MIB), data.subarray(32 * MIB)]);
          const put = await s3.send(new PutObjectCommand({ Bucket: 'large', Key: `put-${i}`, Body, ContentLength: data.length }));
          assert.equal(put.ETag, `"${md5(data)}"`);
        }),
      );
    });
    t.diagnostic(`server RSS grew ${growth} MB while receiving ${6 * 64} MiB`);
    assert.ok(growth < RSS_BOUND_MB, `server RSS grew ${growth} MB`);
    for (const [i, data] of bodies.entries()) assert.equal(await readBack(`put-${i}`), sha256(data), `put-${i} reads back whole`);
  });

  it(`a multipart upload of 4 x 40 MiB parts, uploaded concurrently and completed: server grows less than ${RSS_BOUND_MB} MB`, { timeout: 180_000 }, async (t) => {
    const parts = Array.from({ length: 4 }, (_, i) => body(40 * MIB, 50 + i));
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'large', Key: 'multi', ChecksumAlgorithm: 'CRC32' }));
    let etags: string[] = [];
    const growth = await peakGrowthMb(async () => {
      const uploaded = await Promise.all(
        parts.map((data, i) => s3.send(new UploadPartCommand({ Bucket: 'large', Key: 'multi', UploadId: upload.UploadId, PartNumber: i + 1, Body: data, ChecksumAlgorithm: 'CRC32' }))),
      );
      etags = uploaded.map((part) => part.ETag!);
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'large',
          Key: 'multi',
          UploadId: upload.UploadId,
          MultipartUpload: { Parts: uploaded.map((part, i) => ({ PartNumber: i + 1, ETag: part.ETag!, ChecksumCRC32: part.ChecksumCRC32! })) },
        }),
      );
    });
    t.diagnostic(`server RSS grew ${growth} MB while receiving and assembling ${4 * 40} MiB`);
    assert.deepEqual(etags, parts.map((data) => `"${md5(data)}"`));
    assert.ok(growth < RSS_BOUND_MB, `server RSS grew ${growth} MB`);
    assert.equal(await readBack('multi'), sha256(Buffer.concat(parts)));
  });

  it('CreateFunction refuses an S3 object larger than any package can be, without reading it', { timeout: 180_000 }, async (t) => {
    // Prepare: a 264 MiB object (two parts), more than the 262,144,000 bytes a package may unzip to.
    const part = Buffer.alloc(132 * MIB, 7);
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'large', Key: 'huge.zip' }));
    const parts = [];
    for (const PartNumber of [1, 2]) parts.push({ PartNumber, ETag: (await s3.send(new UploadPartCommand({ Bucket: 'large', Key: 'huge.zip', UploadId: upload.UploadId, PartNumber, Body: part }))).ETag! });
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'large', Key: 'huge.zip', UploadId: upload.UploadId, MultipartUpload: { Parts: parts } }));
    const iam = new IAMClient(clientConfigFor(serve.endpoint));
    const lambda = new LambdaClient({ ...clientConfigFor(serve.endpoint), maxAttempts: 1 });
    try {
      const role = await iam.send(new CreateRoleCommand({ RoleName: 'large-code-role', AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY }));

      // Act
      let refusal: { name?: string; message?: string } | undefined;
      const growth = await peakGrowthMb(async () => {
        refusal = await lambda
          .send(new CreateFunctionCommand({ FunctionName: 'large-code', Role: role.Role!.Arn!, Runtime: 'nodejs20.x', Handler: 'index.handler', Code: { S3Bucket: 'large', S3Key: 'huge.zip' } }))
          .then(() => undefined, (error: Error) => error);
      });

      // Assess
      t.diagnostic(`server RSS grew ${growth} MB`);
      assert.equal(refusal?.name, 'InvalidParameterValueException');
      assert.match(refusal?.message ?? '', /Unzipped size must be smaller than 262144000 bytes/);
      assert.ok(growth < RSS_BOUND_MB, `server RSS grew ${growth} MB`);
    } finally {
      iam.destroy();
      lambda.destroy();
    }
  });
});
