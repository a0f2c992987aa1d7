// The documented size limits that are not framing (those are in framing.test.ts): CloudWatch Logs' event and
// batch sizes, S3's key length and part numbers, as AWS words them, through the real SDK clients.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { startHostileCloud, type HostileCloud } from '../../helpers/hostile.js';

let cloud: HostileCloud;
let logs: CloudWatchLogsClient;
let s3: S3Client;

before(async () => {
  cloud = await startHostileCloud();
  logs = new CloudWatchLogsClient({ ...cloud.clientConfig, maxAttempts: 1 });
  s3 = new S3Client({ ...cloud.clientConfig, maxAttempts: 1 });
  await logs.send(new CreateLogGroupCommand({ logGroupName: '/limits' }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: '/limits', logStreamName: 's' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'limits-bucket' }));
});

after(async () => {
  logs.destroy();
  s3.destroy();
  await cloud.close();
});

describe('CloudWatch Logs sizes', () => {
  const put = (messages: string[]) =>
    logs.send(new PutLogEventsCommand({ logGroupName: '/limits', logStreamName: 's', logEvents: messages.map((message) => ({ timestamp: Date.now(), message })) }));

  it('takes an event of exactly 256 KB with its 26 bytes of overhead, and refuses one byte more', async () => {
    await put(['a'.repeat(262_144 - 26)]);
    await assert.rejects(put(['a'.repeat(262_144 - 25)]), { name: 'InvalidParameterException', message: 'Log event too large: 262145 bytes exceeds limit of 262144' });
    // UTF-8 bytes count, not characters.
    await assert.rejects(put(['é'.repeat(131_060)]), { name: 'InvalidParameterException', message: /^Log event too large: 262146 bytes/ });
  });

  it('refuses a batch over 1 MB', async () => {
    await assert.rejects(put(Array.from({ length: 5 }, () => 'b'.repeat(250_000))), { name: 'InvalidParameterException', message: 'Upload too large: 1250130 bytes exceeds limit of 1048576' });
    await put(Array.from({ length: 4 }, () => 'b'.repeat(250_000)));
  });
});

describe('S3 sizes', () => {
  it('refuses keys over 1,024 bytes and part numbers outside 1-10,000', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'limits-bucket', Key: 'k'.repeat(1024), Body: 'x' }));
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: 'limits-bucket', Key: 'k'.repeat(1025), Body: 'x' })), { name: 'KeyTooLongError' });
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'limits-bucket', Key: 'parts' }));
    for (const partNumber of [0, 10_001]) {
      await assert.rejects(s3.send(new UploadPartCommand({ Bucket: 'limits-bucket', Key: 'parts', UploadId: upload.UploadId, PartNumber: partNumber, Body: 'x' })), { name: 'InvalidArgument' });
    }
  });
});
