// Function tags through the real SDK and the real aws CLI: Tags on CreateFunction, TagResource, ListTags (and
// GetFunction's Tags), UntagResource, and Lambda's refusals (the aws: prefix, over-long keys, more than 50 tags).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetFunctionCommand, ListTagsCommand, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-lambda';
import { awsJson } from '../../helpers/local-cloud.js';
import { createFixtureFunction, startLambdaCloud, type LambdaTestCloud } from './support.js';

let cloud: LambdaTestCloud;
before(async () => {
  cloud = await startLambdaCloud();
});
after(async () => {
  await cloud.close();
});

async function invalidParameter(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, 'InvalidParameterValueException');
    assert.equal(error.$metadata?.httpStatusCode, 400);
    assert.match(error.message, message);
    return true;
  });
}

describe('function tags through the SDK', () => {
  it('tags at creation, adds and replaces, lists, and removes', async () => {
    const fn = await createFixtureFunction(cloud, 'echo', { Tags: { 'thumbctl:stack': 'alice', 'thumbctl:managed': 'true' } });
    await cloud.lambda.send(new TagResourceCommand({ Resource: fn.FunctionArn, Tags: { 'thumbctl:stack': 'bob', team: 'a' } }));
    assert.deepEqual((await cloud.lambda.send(new ListTagsCommand({ Resource: fn.FunctionArn }))).Tags, { 'thumbctl:managed': 'true', 'thumbctl:stack': 'bob', team: 'a' });
    await cloud.lambda.send(new UntagResourceCommand({ Resource: fn.FunctionArn, TagKeys: ['team'] }));
    assert.deepEqual((await cloud.lambda.send(new GetFunctionCommand({ FunctionName: fn.FunctionName }))).Tags, { 'thumbctl:managed': 'true', 'thumbctl:stack': 'bob' });
  });

  it('refuses the aws: prefix, over-long keys and values, and a 51st tag', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    await invalidParameter(cloud.lambda.send(new TagResourceCommand({ Resource: fn.FunctionArn, Tags: { 'aws:cloudformation:stack-name': 'x' } })), /reserved/);
    await invalidParameter(cloud.lambda.send(new TagResourceCommand({ Resource: fn.FunctionArn, Tags: { ['k'.repeat(129)]: 'x' } })), /between 1 and 128/);
    await invalidParameter(cloud.lambda.send(new TagResourceCommand({ Resource: fn.FunctionArn, Tags: { k: 'v'.repeat(257) } })), /at most 256/);
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`k${index}`, 'v']));
    await cloud.lambda.send(new TagResourceCommand({ Resource: fn.FunctionArn, Tags: fifty }));
    await invalidParameter(cloud.lambda.send(new TagResourceCommand({ Resource: fn.FunctionArn, Tags: { one: 'more' } })), /exceeds resource tag limit/);
    await invalidParameter(createFixtureFunction(cloud, 'echo', { Tags: { 'AWS:x': '1' } }), /reserved/);
  });
});

describe('function tags through the aws CLI', () => {
  it('tags, lists and untags', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    await awsJson(cloud.endpoint, ['lambda', 'tag-resource', '--resource', fn.FunctionArn!, '--tags', 'thumbctl:managed=true,thumbctl:stack=carol']);
    assert.deepEqual((await awsJson(cloud.endpoint, ['lambda', 'list-tags', '--resource', fn.FunctionArn!])).Tags, { 'thumbctl:managed': 'true', 'thumbctl:stack': 'carol' });
    await awsJson(cloud.endpoint, ['lambda', 'untag-resource', '--resource', fn.FunctionArn!, '--tag-keys', 'thumbctl:stack']);
    assert.deepEqual((await awsJson(cloud.endpoint, ['lambda', 'list-tags', '--resource', fn.FunctionArn!])).Tags, { 'thumbctl:managed': 'true' });
  });
});
