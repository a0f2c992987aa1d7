// Role tags through the real aws CLI (the SDK's side is in iam-sdk.test.ts): Tags on create-role, tag-role,
// list-role-tags, get-role's Tags, untag-role.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { awsJson, runAws, startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';

const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

let cloud: TestCloud;
before(async () => {
  cloud = await startTestCloud();
});
after(async () => {
  await cloud.close();
});

describe('role tags through the aws CLI', () => {
  it('tags at creation, adds, lists and removes', async () => {
    const aws = (...args: string[]) => awsJson<{ Tags?: unknown; Role?: { Tags?: unknown } }>(cloud.endpoint, args);
    await aws('iam', 'create-role', '--role-name', 'tagged-cli', '--assume-role-policy-document', TRUST, '--tags', 'Key=thumbctl:stack,Value=alice');
    await aws('iam', 'tag-role', '--role-name', 'tagged-cli', '--tags', 'Key=thumbctl:managed,Value=true');
    assert.deepEqual((await aws('iam', 'list-role-tags', '--role-name', 'tagged-cli')).Tags, [
      { Key: 'thumbctl:stack', Value: 'alice' },
      { Key: 'thumbctl:managed', Value: 'true' },
    ]);
    await aws('iam', 'untag-role', '--role-name', 'tagged-cli', '--tag-keys', 'thumbctl:stack');
    assert.deepEqual((await aws('iam', 'get-role', '--role-name', 'tagged-cli')).Role?.Tags, [{ Key: 'thumbctl:managed', Value: 'true' }]);
    const missing = await runAws(cloud.endpoint, ['iam', 'list-role-tags', '--role-name', 'no-such-role']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NoSuchEntity/);
  });
});
