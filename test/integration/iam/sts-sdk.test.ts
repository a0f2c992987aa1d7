// STS through the real AWS SDK v3 client: who the caller is, and temporary credentials from AssumeRole
// and GetSessionToken that the local cloud recognises when they come back.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand, STSClient, STSServiceException, type Credentials } from '@aws-sdk/client-sts';
import { startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';

// AssumeRole evaluates the trust policy: these roles trust Lambda and the account (whose administrator the tests are).
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com', AWS: 'arn:aws:iam::000000000000:root' }, Action: 'sts:AssumeRole' }],
});

let cloud: TestCloud;
let sts: STSClient;
let iam: IAMClient;

before(async () => {
  cloud = await startTestCloud();
  sts = new STSClient(cloud.clientConfig);
  iam = new IAMClient(cloud.clientConfig);
});

after(async () => {
  sts.destroy();
  iam.destroy();
  await cloud.close();
});

async function createRole(maxSessionDuration?: number): Promise<{ roleName: string; arn: string; roleId: string }> {
  const roleName = `sts-${randomUUID().slice(0, 8)}`;
  const role = (await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST, MaxSessionDuration: maxSessionDuration }))).Role!;
  return { roleName, arn: role.Arn!, roleId: role.RoleId! };
}

function clientWith(credentials: Credentials): STSClient {
  return new STSClient({
    ...cloud.clientConfig,
    credentials: { accessKeyId: credentials.AccessKeyId!, secretAccessKey: credentials.SecretAccessKey!, sessionToken: credentials.SessionToken! },
  });
}

describe('GetCallerIdentity', () => {
  it('answers the local account and root, with the access key as UserId', async () => {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Account, '000000000000');
    assert.equal(identity.Arn, 'arn:aws:iam::000000000000:root');
    assert.equal(identity.UserId, 'test');
  });

  it('answers a configured account id', async () => {
    const other = await startTestCloud({ accountId: '111122223333' });
    const client = new STSClient(other.clientConfig);
    try {
      assert.equal((await client.send(new GetCallerIdentityCommand({}))).Account, '111122223333');
    } finally {
      client.destroy();
      await other.close();
    }
  });
});

describe('AssumeRole', () => {
  it('hands out ASIA credentials for an existing role and knows them afterwards', async () => {
    const role = await createRole();
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 'thumbnailer', DurationSeconds: 900 }));
    const credentials = assumed.Credentials!;
    assert.match(credentials.AccessKeyId!, /^ASIA[A-Z0-9]{16}$/);
    assert.ok(credentials.SecretAccessKey && credentials.SessionToken);
    const lifetime = credentials.Expiration!.getTime() - Date.now();
    assert.ok(lifetime > 880_000 && lifetime <= 900_000, `expires in ${lifetime} ms`);
    assert.equal(assumed.AssumedRoleUser?.Arn, `arn:aws:sts::000000000000:assumed-role/${role.roleName}/thumbnailer`);
    assert.equal(assumed.AssumedRoleUser?.AssumedRoleId, `${role.roleId}:thumbnailer`);

    const asRole = clientWith(credentials);
    try {
      const identity = await asRole.send(new GetCallerIdentityCommand({}));
      assert.equal(identity.Arn, assumed.AssumedRoleUser?.Arn);
      assert.equal(identity.UserId, assumed.AssumedRoleUser?.AssumedRoleId);
    } finally {
      asRole.destroy();
    }
    const lastUsed = (await iam.send(new GetRoleCommand({ RoleName: role.roleName }))).Role?.RoleLastUsed;
    assert.equal(lastUsed?.Region, 'us-east-1');
    assert.ok(lastUsed?.LastUsedDate instanceof Date);
  });

  it('answers AccessDenied for a role that does not exist', async () => {
    const arn = `arn:aws:iam::000000000000:role/missing-${randomUUID().slice(0, 8)}`;
    await assert.rejects(sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 's1' })), (error: unknown) => {
      assert.ok(error instanceof STSServiceException);
      assert.equal(error.name, 'AccessDenied');
      assert.equal(error.$metadata.httpStatusCode, 403);
      assert.equal(error.message, `User: arn:aws:iam::000000000000:root is not authorized to perform: sts:AssumeRole on resource: ${arn}`);
      return true;
    });
  });

  it("refuses a duration beyond the role's maximum", async () => {
    const role = await createRole();
    await assert.rejects(sts.send(new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 's1', DurationSeconds: 7200 })), (error: unknown) => {
      assert.ok(error instanceof STSServiceException);
      assert.equal(error.name, 'ValidationError');
      assert.equal(error.message, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
      return true;
    });
  });

  it('refuses a session name IAM would not accept', async () => {
    const role = await createRole();
    await assert.rejects(sts.send(new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 'has space' })), { name: 'ValidationError' });
  });
});

describe('GetSessionToken', () => {
  it('hands out credentials that keep the caller identity', async () => {
    const token = await sts.send(new GetSessionTokenCommand({ DurationSeconds: 3600 }));
    assert.match(token.Credentials?.AccessKeyId ?? '', /^ASIA/);
    const withToken = clientWith(token.Credentials!);
    try {
      const identity = await withToken.send(new GetCallerIdentityCommand({}));
      assert.equal(identity.Arn, 'arn:aws:iam::000000000000:root');
      await assert.rejects(withToken.send(new GetSessionTokenCommand({})), { name: 'AccessDenied' });
    } finally {
      withToken.destroy();
    }
  });
});
