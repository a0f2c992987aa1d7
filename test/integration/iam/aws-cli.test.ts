// IAM and STS through the real aws CLI: its Query serialiser, its XML parser, its decoding of policy
// documents and its error output must all accept what the local cloud sends.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { awsJson, awsOk, runAws, startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';

const TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

let cloud: TestCloud;
let workDir: string;

before(async () => {
  cloud = await startTestCloud();
  workDir = mkdtempSync(join(tmpdir(), 'thumbctl-iam-cli-'));
});

after(async () => {
  await cloud.close();
  rmSync(workDir, { recursive: true, force: true });
});

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

describe('aws iam', () => {
  it('creates a role from a file and prints the trust policy back as JSON', async () => {
    const roleName = uniqueName('cli');
    const file = join(workDir, `${roleName}.json`);
    writeFileSync(file, JSON.stringify(TRUST_POLICY, null, 2));

    const created = await awsJson<any>(cloud.endpoint, ['iam', 'create-role', '--role-name', roleName, '--assume-role-policy-document', `file://${file}`]);
    assert.equal(created.Role.RoleName, roleName);

    const fetched = await awsJson<any>(cloud.endpoint, ['iam', 'get-role', '--role-name', roleName]);
    const role = fetched.Role;
    assert.deepEqual(role.AssumeRolePolicyDocument, TRUST_POLICY, 'the CLI decodes the URL-encoded document into an object');
    assert.equal(role.Arn, `arn:aws:iam::000000000000:role/${roleName}`);
    assert.match(role.CreateDate, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
  });

  it('accepts an inline JSON trust policy and tags', async () => {
    const roleName = uniqueName('inline');
    await awsOk(cloud.endpoint, [
      'iam',
      'create-role',
      '--role-name',
      roleName,
      '--assume-role-policy-document',
      JSON.stringify(TRUST_POLICY),
      '--tags',
      'Key=app,Value=thumbctl',
    ]);
    const tags = await runAws(cloud.endpoint, ['iam', 'list-role-tags', '--role-name', roleName]);
    assert.deepEqual(JSON.parse(tags.stdout).Tags, [{ Key: 'app', Value: 'thumbctl' }]);
  });

  it('fails with NoSuchEntity for a missing role', async () => {
    const result = await runAws(cloud.endpoint, ['iam', 'get-role', '--role-name', uniqueName('missing')]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /NoSuchEntity/);
    assert.match(result.stderr, /cannot be found/);
  });

  it('attaches a managed policy and reads its document as JSON', async () => {
    const roleName = uniqueName('attach');
    await runAws(cloud.endpoint, ['iam', 'create-role', '--role-name', roleName, '--assume-role-policy-document', JSON.stringify(TRUST_POLICY)]);
    const arn = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
    await awsOk(cloud.endpoint, ['iam', 'attach-role-policy', '--role-name', roleName, '--policy-arn', arn]);
    const listed = await runAws(cloud.endpoint, ['iam', 'list-attached-role-policies', '--role-name', roleName]);
    assert.deepEqual(JSON.parse(listed.stdout).AttachedPolicies, [{ PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: arn }]);
    const version = await runAws(cloud.endpoint, ['iam', 'get-policy-version', '--policy-arn', arn, '--version-id', 'v1']);
    assert.equal(JSON.parse(version.stdout).PolicyVersion.Document.Statement[0].Resource, '*');
  });

  it('puts and reads an inline policy, and refuses to delete the role while it exists', async () => {
    const roleName = uniqueName('policy');
    await runAws(cloud.endpoint, ['iam', 'create-role', '--role-name', roleName, '--assume-role-policy-document', JSON.stringify(TRUST_POLICY)]);
    const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*' }] };
    await awsOk(cloud.endpoint, ['iam', 'put-role-policy', '--role-name', roleName, '--policy-name', 'read', '--policy-document', JSON.stringify(document)]);
    const got = await runAws(cloud.endpoint, ['iam', 'get-role-policy', '--role-name', roleName, '--policy-name', 'read']);
    assert.deepEqual(JSON.parse(got.stdout).PolicyDocument, document);
    const deleted = await runAws(cloud.endpoint, ['iam', 'delete-role', '--role-name', roleName]);
    assert.notEqual(deleted.code, 0);
    assert.match(deleted.stderr, /DeleteConflict/);
  });
});

describe('aws sts', () => {
  it('prints the local account from get-caller-identity', async () => {
    const identity = await awsJson<any>(cloud.endpoint, ['sts', 'get-caller-identity']);
    assert.equal(identity.Account, '000000000000');
    assert.equal(identity.Arn, 'arn:aws:iam::000000000000:root');
  });
});
