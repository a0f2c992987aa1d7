// Buckets through the real AWS SDK v3 S3 client against a real local cloud: create/head/list/delete
// and their errors, location, public access block, default encryption, tagging, the operations we do
// not implement, and virtual-host style addressing. Every test uses its own buckets.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketTaggingCommand,
  DeletePublicAccessBlockCommand,
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketAclCommand,
  PutBucketEncryptionCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  DeleteObjectCommand,
} from '@aws-sdk/client-s3';
import { bucketName, errorCode, expectS3Error, startS3Cloud, type S3TestCloud } from './support.js';
import { scopeAuthorization } from '../../helpers/hostile.js';

let cloud: S3TestCloud;
let s3: S3Client;

before(async () => {
  cloud = await startS3Cloud();
  s3 = cloud.s3;
});

after(async () => {
  await cloud?.close();
});

describe('bucket lifecycle', () => {
  it('pages ListBuckets by MaxBuckets and ContinuationToken, with no token on the last page (ceph\'s test_list_buckets_paginated, on one fresh account)', async () => {
    const fresh = await startS3Cloud();
    try {
      const page = (token?: string) => fresh.s3.send(new ListBucketsCommand({ MaxBuckets: 1, ...(token ? { ContinuationToken: token } : {}) }));
      let listed = await page();
      assert.deepEqual([listed.Buckets?.length ?? 0, listed.ContinuationToken], [0, undefined]);
      const first = await fresh.newBucket('page-a');
      listed = await page();
      assert.deepEqual([listed.Buckets?.map((bucket) => bucket.Name), listed.ContinuationToken], [[first], undefined]);
      const second = await fresh.newBucket('page-b');
      listed = await page();
      assert.deepEqual(listed.Buckets?.map((bucket) => bucket.Name), [first]);
      assert.ok(listed.ContinuationToken, 'a token while buckets remain');
      listed = await page(listed.ContinuationToken);
      assert.deepEqual([listed.Buckets?.map((bucket) => bucket.Name), listed.ContinuationToken], [[second], undefined]);
    } finally {
      await fresh.close();
    }
  });

  it('creates, heads, lists and deletes a bucket', async () => {
    const bucket = bucketName('lifecycle');

    const created = await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const head = await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    const listed = await s3.send(new ListBucketsCommand({}));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    const afterDelete = await s3.send(new ListBucketsCommand({}));

    assert.equal(created.Location, `/${bucket}`);
    assert.equal(head.BucketRegion, 'us-east-1');
    const entry = listed.Buckets?.find((candidate) => candidate.Name === bucket);
    assert.ok(entry?.CreationDate instanceof Date);
    assert.ok(listed.Owner?.ID);
    assert.equal(afterDelete.Buckets?.some((candidate) => candidate.Name === bucket), false);
    await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: bucket })), 'NotFound', 404);
  });

  it('answers 200 to re-creating an owned bucket in us-east-1, as S3 does', async () => {
    const bucket = bucketName('recreate');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    const again = await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    assert.equal(again.$metadata.httpStatusCode, 200);
  });

  it('refuses re-creating an owned bucket elsewhere with BucketAlreadyOwnedByYou', async () => {
    const west = new S3Client({ ...cloud.clientConfig, region: 'eu-west-1' });
    const bucket = bucketName('recreate-eu');
    try {
      await west.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
      const location = await west.send(new GetBucketLocationCommand({ Bucket: bucket }));

      assert.equal(location.LocationConstraint, 'eu-west-1');
      await expectS3Error(
        west.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
        'BucketAlreadyOwnedByYou',
        409,
      );
      // The SDK adds the constraint itself outside us-east-1, so leave it out on the wire directly.
      const unconstrained = await fetch(`${cloud.endpoint}/${bucketName('no-constraint')}`, {
        method: 'PUT',
        headers: { authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000' },
      });
      assert.equal(unconstrained.status, 400);
      assert.equal(errorCode(await unconstrained.text()), 'IllegalLocationConstraintException');
    } finally {
      west.destroy();
    }
  });

  it('reports us-east-1 as an empty location constraint', async () => {
    const bucket = bucketName('location');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    const location = await s3.send(new GetBucketLocationCommand({ Bucket: bucket }));

    assert.equal(location.LocationConstraint, undefined);
  });

  it('refuses invalid bucket names with InvalidBucketName', async () => {
    for (const name of ['ab', 'Upper-Case', 'under_score', '192.168.0.1', 'xn--punycode', 'ends-s3alias', 'double..dot']) {
      const response = await fetch(`${cloud.endpoint}/${name}`, { method: 'PUT', headers: { authorization: scopeAuthorization('s3') } });
      assert.equal(response.status, 400, name);
      assert.equal(errorCode(await response.text()), 'InvalidBucketName', name);
    }
    // The SDK refuses some of these itself, so check the one it lets through end to end too.
    await expectS3Error(s3.send(new CreateBucketCommand({ Bucket: 'xn--abc' })), 'InvalidBucketName', 400);
  });

  it('refuses deleting a bucket that still holds objects with BucketNotEmpty', async () => {
    const bucket = bucketName('not-empty');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }));

    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: bucket })), 'BucketNotEmpty', 409);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  });

  it('answers NoSuchBucket for operations on a missing bucket', async () => {
    const missing = bucketName('missing');

    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: missing })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: missing, Key: 'k', Body: 'v' })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new GetBucketLocationCommand({ Bucket: missing })), 'NoSuchBucket', 404);
  });

  it('serialises errors as S3 XML with a Resource and RequestId', async () => {
    const missing = bucketName('xml-error');

    const response = await fetch(`${cloud.endpoint}/${missing}/some/key`);
    const body = await response.text();

    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'application/xml');
    assert.match(body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchBucket<\/Code><Message>The specified bucket does not exist<\/Message>/);
    assert.match(body, new RegExp(`<BucketName>${missing}</BucketName>`));
    assert.match(body, new RegExp(`<Resource>/${missing}/some/key</Resource>`));
    assert.match(body, new RegExp(`<RequestId>${response.headers.get('x-amz-request-id')}</RequestId>`));
  });
});

describe('bucket configurations', () => {
  it('starts with all public access blocked, and round-trips changes', async () => {
    const bucket = bucketName('pab');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    const initial = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: true, RestrictPublicBuckets: false },
      }),
    );
    const changed = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));

    assert.deepEqual(initial.PublicAccessBlockConfiguration, { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    assert.deepEqual(changed.PublicAccessBlockConfiguration, { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: true, RestrictPublicBuckets: false });
    await expectS3Error(s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })), 'NoSuchPublicAccessBlockConfiguration', 404);
  });

  it('reports SSE-S3 by default, round-trips KMS encryption, and returns to the default on delete', async () => {
    const bucket = bucketName('encryption');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    const initial = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/thumbs' }, BucketKeyEnabled: true }],
        },
      }),
    );
    const changed = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket }));
    const reset = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));

    assert.deepEqual(initial.ServerSideEncryptionConfiguration?.Rules, [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }]);
    assert.deepEqual(changed.ServerSideEncryptionConfiguration?.Rules, [
      { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/thumbs' }, BucketKeyEnabled: true },
    ]);
    assert.deepEqual(reset.ServerSideEncryptionConfiguration?.Rules, initial.ServerSideEncryptionConfiguration?.Rules);
  });

  it('round-trips bucket tags and answers NoSuchTagSet without them', async () => {
    const bucket = bucketName('tagging');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    await expectS3Error(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })), 'NoSuchTagSet', 404);
    await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'app', Value: 'thumbctl' }, { Key: 'env', Value: 'local & dev' }] } }));
    const tags = await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }));
    await s3.send(new DeleteBucketTaggingCommand({ Bucket: bucket }));

    assert.deepEqual(tags.TagSet, [
      { Key: 'app', Value: 'thumbctl' },
      { Key: 'env', Value: 'local & dev' },
    ]);
    await expectS3Error(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })), 'NoSuchTagSet', 404);
    await expectS3Error(
      s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] } })),
      'InvalidTag',
      400,
    );
  });

  it('refuses malformed configuration XML with MalformedXML', async () => {
    const bucket = bucketName('malformed');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    const response = await fetch(`${cloud.endpoint}/${bucket}?tagging`, { method: 'PUT', body: '<Tagging><TagSet>', headers: { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==', authorization: scopeAuthorization('s3') } });

    assert.equal(response.status, 400);
  });
});

describe('unimplemented operations', () => {
  it('answers NotImplemented (501) and names the operation', async () => {
    const bucket = bucketName('not-implemented');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    await expectS3Error(s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'private' })), 'NotImplemented', 501);
    await expectS3Error(s3.send(new GetBucketAclCommand({ Bucket: bucket })), 'NotImplemented', 501);
    const lifecycle = (await expectS3Error(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })), 'NotImplemented', 501)) as { message: string };
    const raw = await fetch(`${cloud.endpoint}/${bucket}?acl`, { method: 'PUT', headers: { authorization: scopeAuthorization('s3') } });

    assert.match(lifecycle.message, /GetBucketLifecycleConfiguration/);
    assert.match(await raw.text(), /<Message>The local cloud does not implement PutBucketAcl<\/Message>/);
  });
});

describe('virtual-host style', () => {
  it('reads the bucket from a <bucket>.localhost Host header', async () => {
    const bucket = bucketName('vhost');
    const port = new URL(cloud.endpoint).port;
    // *.localhost is loopback (RFC 6761), but not every resolver knows it; this agent resolves it so.
    const lookup = (_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    };
    const httpAgent = new Agent({ lookup: lookup as never });
    const virtual = new S3Client({ ...cloud.clientConfig, endpoint: `http://localhost:${port}`, forcePathStyle: false, requestHandler: { httpAgent } });
    try {
      // The SDK puts the bucket in the host name: Host is <bucket>.localhost:<port>.
      await virtual.send(new CreateBucketCommand({ Bucket: bucket }));
      await virtual.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/k', Body: 'virtual' }));
      const viaPath = await fetch(`${cloud.endpoint}/${bucket}/dir/k`);

      assert.equal(await viaPath.text(), 'virtual');
    } finally {
      virtual.destroy();
      httpAgent.destroy();
    }
  });
});
