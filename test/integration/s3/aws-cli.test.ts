// S3 through the real aws CLI against a real local cloud: the high-level `aws s3` commands people type
// (mb, cp small and multipart-sized, ls, rm, rb) and an `s3api` call S3 must refuse. The SDK sets up and
// checks what the CLI is not under test for (each CLI run costs a second or two). Own buckets per test.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { awsOk, runAws } from '../../helpers/local-cloud.js';
import { bucketName, expectS3Error, startS3Cloud, type S3TestCloud } from './support.js';

let cloud: S3TestCloud;
let s3: S3Client;
let workDir: string;

before(async () => {
  cloud = await startS3Cloud();
  s3 = cloud.s3;
  workDir = mkdtempSync(join(tmpdir(), 'thumbctl-s3-cli-'));
});

after(async () => {
  await cloud?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const aws = (...args: string[]): Promise<string> => awsOk(cloud.endpoint, args);

describe('aws s3', () => {
  it('makes a bucket, copies small and multipart files in and out, lists, removes and deletes it', async () => {
    const bucket = bucketName('cli');
    const small = join(workDir, 'small.txt');
    const large = join(workDir, 'large.bin');
    const largeBody = randomBytes(9 * 1024 * 1024 + 123);
    writeFileSync(small, 'hello from the aws cli\n');
    writeFileSync(large, largeBody);

    await aws('s3', 'mb', `s3://${bucket}`);
    await aws('s3', 'cp', small, `s3://${bucket}/docs/small file.txt`);
    await aws('s3', 'cp', large, `s3://${bucket}/big/large.bin`);
    const topLevel = await aws('s3', 'ls', `s3://${bucket}/`);
    const inDocs = await aws('s3', 'ls', `s3://${bucket}/docs/`);
    const streamed = await aws('s3', 'cp', `s3://${bucket}/docs/small file.txt`, '-');
    const downloaded = join(workDir, 'downloaded.bin');
    await aws('s3', 'cp', `s3://${bucket}/big/large.bin`, downloaded);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big/large.bin' }));

    assert.match(topLevel, /PRE big\//);
    assert.match(topLevel, /PRE docs\//);
    assert.match(inDocs, /\s23 small file\.txt/);
    assert.equal(streamed, 'hello from the aws cli\n');
    assert.ok(readFileSync(downloaded).equals(largeBody), 'the multipart upload round-trips byte for byte');
    assert.equal(head.ContentLength, largeBody.length);
    // The CLI uploads 9 MB as an 8 MiB part and the rest.
    const partSize = 8 * 1024 * 1024;
    const partMd5s = [largeBody.subarray(0, partSize), largeBody.subarray(partSize)].map((part) => createHash('md5').update(part).digest());
    assert.equal(head.ETag, `"${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-2"`);

    await aws('s3', 'rm', `s3://${bucket}/docs/small file.txt`);
    await aws('s3', 'rm', `s3://${bucket}`, '--recursive');
    await aws('s3', 'rb', `s3://${bucket}`);
    await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: bucket })), 'NotFound', 404);
  });

  it('exits non-zero for a missing object and for a bucket that is not empty', async () => {
    const bucket = bucketName('cli-errors');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }));

    const missingKey = await runAws(cloud.endpoint, ['s3', 'cp', `s3://${bucket}/nope`, '-']);
    const notEmpty = await runAws(cloud.endpoint, ['s3', 'rb', `s3://${bucket}`]);

    assert.notEqual(missingKey.code, 0);
    assert.match(missingKey.stderr, /404|Not Found/);
    assert.notEqual(notEmpty.code, 0);
    assert.match(notEmpty.stderr, /BucketNotEmpty/);
  });
});

describe('aws s3api', () => {
  it('refuses a notification configuration for a function that does not admit S3', async () => {
    const bucket = bucketName('cli-notify');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const configuration = {
      LambdaFunctionConfigurations: [
        { Id: 'thumbs', LambdaFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:missing', Events: ['s3:ObjectCreated:*'] },
      ],
    };

    const result = await runAws(cloud.endpoint, ['s3api', 'put-bucket-notification-configuration', '--bucket', bucket, '--notification-configuration', JSON.stringify(configuration)]);

    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /InvalidArgument/);
    assert.match(result.stderr, /Unable to validate the following destination configurations/);
  });
});
