// Log group tags through the real SDK and the real aws CLI: TagResource/UntagResource/ListTagsForResource by ARN,
// the older by-name operations, tags on CreateLogGroup, and AWS's refusals (the aws: prefix, 50 tags, no group).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  ListTagsForResourceCommand,
  ListTagsLogGroupCommand,
  TagLogGroupCommand,
  TagResourceCommand,
  UntagLogGroupCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { awsJson, runAws, startTestCloud, TEST_REGION, type TestCloud } from '../../helpers/local-cloud.js';

const ACCOUNT = '000000000000';
const arnOf = (group: string): string => `arn:aws:logs:${TEST_REGION}:${ACCOUNT}:log-group:${group}`;

let cloud: TestCloud;
let logs: CloudWatchLogsClient;

before(async () => {
  cloud = await startTestCloud();
  logs = new CloudWatchLogsClient({ ...cloud.clientConfig });
});
after(async () => {
  logs.destroy();
  await cloud.close();
});

async function rejectsWith(promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, name);
    assert.equal(error.$metadata?.httpStatusCode, 400);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('log group tags through the SDK', () => {
  it('creates a group with tags, and adds, replaces, lists and removes them by ARN', async () => {
    const group = '/tags/by-arn';
    await logs.send(new CreateLogGroupCommand({ logGroupName: group, tags: { 'thumbctl:stack': 'alice', team: 'a' } }));
    assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arnOf(group) }))).tags, { team: 'a', 'thumbctl:stack': 'alice' });

    await logs.send(new TagResourceCommand({ resourceArn: arnOf(group), tags: { team: 'b', 'thumbctl:managed': 'true' } }));
    assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arnOf(group) }))).tags, { team: 'b', 'thumbctl:managed': 'true', 'thumbctl:stack': 'alice' });

    await logs.send(new UntagResourceCommand({ resourceArn: arnOf(group), tagKeys: ['team', 'never-there'] }));
    assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arnOf(group) }))).tags, { 'thumbctl:managed': 'true', 'thumbctl:stack': 'alice' });
  });

  it('answers the older by-name operations the same', async () => {
    const group = '/tags/by-name';
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    assert.deepEqual((await logs.send(new ListTagsLogGroupCommand({ logGroupName: group }))).tags, {});
    await logs.send(new TagLogGroupCommand({ logGroupName: group, tags: { a: '1', b: '2' } }));
    await logs.send(new UntagLogGroupCommand({ logGroupName: group, tags: ['a'] }));
    assert.deepEqual((await logs.send(new ListTagsLogGroupCommand({ logGroupName: group }))).tags, { b: '2' });
  });

  it('forgets the tags with the group', async () => {
    const group = '/tags/recreated';
    await logs.send(new CreateLogGroupCommand({ logGroupName: group, tags: { old: 'yes' } }));
    await logs.send(new DeleteLogGroupCommand({ logGroupName: group }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arnOf(group) }))).tags, {});
  });

  it("refuses what AWS refuses: an unknown group, the aws: prefix, a 51st tag, another account's ARN", async () => {
    await rejectsWith(logs.send(new ListTagsForResourceCommand({ resourceArn: arnOf('/tags/none') })), 'ResourceNotFoundException', /log group does not exist/);
    await rejectsWith(logs.send(new TagResourceCommand({ resourceArn: arnOf('/tags/none'), tags: { a: '1' } })), 'ResourceNotFoundException');
    await rejectsWith(logs.send(new CreateLogGroupCommand({ logGroupName: '/tags/reserved', tags: { 'aws:x': '1' } })), 'InvalidParameterException', /\(\?!aws:\)/);
    await rejectsWith(logs.send(new ListTagsForResourceCommand({ logGroupName: '/tags/reserved' } as never)), 'InvalidParameterException');
    const group = '/tags/full';
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`k${index}`, 'v']));
    await logs.send(new CreateLogGroupCommand({ logGroupName: group, tags: fifty }));
    await rejectsWith(logs.send(new TagResourceCommand({ resourceArn: arnOf(group), tags: { one: 'more' } })), 'TooManyTagsException', /no more than 50 tags/);
    await rejectsWith(logs.send(new ListTagsForResourceCommand({ resourceArn: `arn:aws:logs:${TEST_REGION}:111122223333:log-group:${group}` })), 'ResourceNotFoundException');
    await rejectsWith(logs.send(new ListTagsForResourceCommand({ resourceArn: `${arnOf(group)}:*` })), 'ResourceNotFoundException');
  });
});

describe('log group tags through the aws CLI', () => {
  it('tags, lists and untags', async () => {
    const group = '/tags/cli';
    await awsJson(cloud.endpoint, ['logs', 'create-log-group', '--log-group-name', group, '--tags', 'thumbctl:stack=bob']);
    await awsJson(cloud.endpoint, ['logs', 'tag-resource', '--resource-arn', arnOf(group), '--tags', 'thumbctl:managed=true']);
    assert.deepEqual((await awsJson(cloud.endpoint, ['logs', 'list-tags-for-resource', '--resource-arn', arnOf(group)])).tags, { 'thumbctl:managed': 'true', 'thumbctl:stack': 'bob' });
    await awsJson(cloud.endpoint, ['logs', 'untag-resource', '--resource-arn', arnOf(group), '--tag-keys', 'thumbctl:stack']);
    assert.deepEqual((await awsJson(cloud.endpoint, ['logs', 'list-tags-log-group', '--log-group-name', group])).tags, { 'thumbctl:managed': 'true' });
    const missing = await runAws(cloud.endpoint, ['logs', 'list-tags-for-resource', '--resource-arn', arnOf('/tags/cli-none')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /ResourceNotFoundException/);
  });
});
