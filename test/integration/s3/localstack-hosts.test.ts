// Tools written for LocalStack address S3 as `<bucket>.s3.localhost.localstack.cloud:<port>` (virtual hosts). The
// real SDK, given LocalStack's S3 endpoint and left to its default (virtual-host) addressing, works unchanged. The
// name is public DNS pointing at 127.0.0.1; this machine may have no DNS, so the test resolves it the same way.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startTestCloud, TEST_CREDENTIALS, TEST_REGION, type TestCloud } from '../../helpers/local-cloud.js';
import { bucketName } from './support.js';

/** Resolves LocalStack's names to loopback, as public DNS does; anything else is not this test's business. */
const lookup: LookupFunction = (hostname, options, callback) => {
  const host = String(hostname);
  if (host !== 'localhost.localstack.cloud' && !host.endsWith('.localhost.localstack.cloud')) {
    (callback as (error: Error) => void)(new Error(`unexpected lookup of ${host}`));
    return;
  }
  if ((options as { all?: boolean }).all) (callback as (error: null, addresses: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else (callback as (error: null, address: string, family: number) => void)(null, '127.0.0.1', 4);
};

let cloud: TestCloud;
let s3: S3Client;
const hosts: string[] = [];

before(async () => {
  cloud = await startTestCloud();
  const port = new URL(cloud.endpoint).port;
  s3 = new S3Client({
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
    endpoint: `http://s3.localhost.localstack.cloud:${port}`,
    forcePathStyle: false,
    requestHandler: { httpAgent: new Agent({ lookup } as ConstructorParameters<typeof Agent>[0]) },
  });
  s3.middlewareStack.add(
    (next) => async (args) => {
      hosts.push(String((args.request as { hostname?: string }).hostname));
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordHost' },
  );
});
after(async () => {
  s3.destroy();
  await cloud.close();
});

describe("LocalStack's S3 virtual hosts", () => {
  it('create a bucket, put, list and get an object through <bucket>.s3.localhost.localstack.cloud', async () => {
    const bucket = bucketName('localstack-style');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/photo-1x1.jpg', Body: 'bytes' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    assert.deepEqual(listed.Contents?.map((entry) => entry.Key), ['dir/photo-1x1.jpg']);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/photo-1x1.jpg' }));
    assert.equal(await got.Body?.transformToString(), 'bytes');
    assert.ok(hosts.length >= 4);
    assert.deepEqual([...new Set(hosts)], [`${bucket}.s3.localhost.localstack.cloud`], 'the SDK addressed the bucket by virtual host');
  });
});
