// Bucket tagging through the real SDK and the real aws CLI: the whole set replaced on each put, NoSuchTagSet
// when there is none, and AWS's InvalidTag refusals (duplicates, lengths, the aws: prefix, more than 50).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, DeleteBucketTaggingCommand, GetBucketTaggingCommand, HeadBucketCommand, PutBucketTaggingCommand } from '@aws-sdk/client-s3';
import { awsJson, runAws } from '../../helpers/local-cloud.js';
import { bucketName, startS3Cloud, type S3TestCloud } from './support.js';

let cloud: S3TestCloud;
before(async () => {
  cloud = await startS3Cloud();
});
after(async () => {
  await cloud.close();
});

async function invalidTag(tags: { Key: string; Value: string }[], message: RegExp): Promise<void> {
  const bucket = await cloud.newBucket('tag-refused');
  await assert.rejects(cloud.s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tags } })), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, 'InvalidTag');
    assert.equal(error.$metadata?.httpStatusCode, 400);
    assert.match(error.message, message);
    return true;
  });
}

describe('bucket tagging through the SDK', () => {
  it('answers NoSuchTagSet until tags are put, replaces the whole set on each put, and deletes it', async () => {
    const bucket = await cloud.newBucket('tagging');
    await assert.rejects(cloud.s3.send(new GetBucketTaggingCommand({ Bucket: bucket })), { name: 'NoSuchTagSet' });
    await cloud.s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'thumbctl:stack', Value: 'alice' }, { Key: 'team', Value: 'a' }] } }));
    await cloud.s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'thumbctl:adopted', Value: 'true' }] } }));
    assert.deepEqual((await cloud.s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet, [{ Key: 'thumbctl:adopted', Value: 'true' }]);
    await cloud.s3.send(new DeleteBucketTaggingCommand({ Bucket: bucket }));
    await assert.rejects(cloud.s3.send(new GetBucketTaggingCommand({ Bucket: bucket })), { name: 'NoSuchTagSet' });
  });

  it("takes tags at creation (CreateBucketConfiguration's Tags), and refuses bad ones before making the bucket", async () => {
    const bucket = bucketName('tagged-at-birth');
    await cloud.s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { Tags: [{ Key: 'thumbctl:managed', Value: 'true' }] } }));
    assert.deepEqual((await cloud.s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet, [{ Key: 'thumbctl:managed', Value: 'true' }]);
    const refused = bucketName('refused-at-birth');
    await assert.rejects(cloud.s3.send(new CreateBucketCommand({ Bucket: refused, CreateBucketConfiguration: { Tags: [{ Key: 'aws:x', Value: '1' }] } })), { name: 'InvalidTag' });
    await assert.rejects(cloud.s3.send(new HeadBucketCommand({ Bucket: refused })), { name: 'NotFound' });
  });

  it('refuses duplicate keys, over-long keys and values, the aws: prefix and a 51st tag with InvalidTag', async () => {
    await invalidTag([{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }], /multiple Tags with the same key/);
    await invalidTag([{ Key: 'k'.repeat(129), Value: '1' }], /TagKey you have provided is invalid/);
    await invalidTag([{ Key: 'k', Value: 'v'.repeat(257) }], /TagValue you have provided is invalid/);
    await invalidTag([{ Key: 'aws:cloudformation:stack-name', Value: 'x' }], /System tags cannot be added/);
    await invalidTag(Array.from({ length: 51 }, (_, index) => ({ Key: `k${index}`, Value: 'v' })), /cannot be greater than 50/);
  });
});

describe('bucket tagging through the aws CLI', () => {
  it('puts and gets a tag set', async () => {
    const bucket = await cloud.newBucket('tagging-cli');
    await awsJson(cloud.endpoint, ['s3api', 'put-bucket-tagging', '--bucket', bucket, '--tagging', 'TagSet=[{Key=thumbctl:managed,Value=true}]']);
    assert.deepEqual((await awsJson(cloud.endpoint, ['s3api', 'get-bucket-tagging', '--bucket', bucket])).TagSet, [{ Key: 'thumbctl:managed', Value: 'true' }]);
    await awsJson(cloud.endpoint, ['s3api', 'delete-bucket-tagging', '--bucket', bucket]);
    const none = await runAws(cloud.endpoint, ['s3api', 'get-bucket-tagging', '--bucket', bucket]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /NoSuchTagSet/);
  });
});
