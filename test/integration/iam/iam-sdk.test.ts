// IAM through the real AWS SDK v3 client against a real local cloud: roles, trust policies, managed and
// inline policies, tags, errors and the SDK's own waiter. Every test uses its own role names.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  IAMServiceException,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListRolesCommand,
  ListUsersCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  waitUntilRoleExists,
} from '@aws-sdk/client-iam';
import { startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';
import { trustsService } from '../../../emulator/services/iam/store.js';

const BASIC_EXECUTION = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
const XRAY_WRITE = 'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess';

/** Pretty-printed on purpose: IAM keeps the document's whitespace, and so must we. */
const LAMBDA_TRUST = JSON.stringify(
  { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
  null,
  2,
);
const READ_THUMBNAILS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::photos/*' }],
});

let cloud: TestCloud;
let iam: IAMClient;

before(async () => {
  cloud = await startTestCloud();
  iam = new IAMClient(cloud.clientConfig);
});

after(async () => {
  iam.destroy();
  await cloud.close();
});

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

async function createLambdaRole(prefix: string): Promise<string> {
  const roleName = uniqueName(prefix);
  await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: LAMBDA_TRUST }));
  return roleName;
}

/** Asserts the SDK raised this IAM error code with this status (and message, when given). */
async function rejectsWith(promise: Promise<unknown>, code: string, status: number, message?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof IAMServiceException, `expected an IAM error, got ${String(error)}`);
    assert.equal((error as IAMServiceException & { Code?: string }).Code ?? error.name, code);
    assert.equal(error.$metadata.httpStatusCode, status);
    if (message !== undefined) assert.equal(error.message, message);
    return true;
  });
}

describe('roles', () => {
  it('creates a role and gives back its trust policy URL-encoded, exactly as sent', async () => {
    const roleName = uniqueName('create');
    const created = await iam.send(
      new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: LAMBDA_TRUST, Path: '/thumbctl/', Description: 'Thumbnailer <role> & "friends"' }),
    );
    const role = created.Role!;
    assert.equal(role.RoleName, roleName);
    assert.equal(role.Path, '/thumbctl/');
    assert.equal(role.Arn, `arn:aws:iam::000000000000:role/thumbctl/${roleName}`);
    assert.match(role.RoleId ?? '', /^AROA[A-Z0-9]{17}$/);
    assert.ok(role.CreateDate instanceof Date);
    assert.notEqual(role.AssumeRolePolicyDocument, LAMBDA_TRUST, 'the SDK leaves the document URL-encoded');
    assert.equal(decodeURIComponent(role.AssumeRolePolicyDocument!), LAMBDA_TRUST);

    const fetched = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role!;
    assert.equal(decodeURIComponent(fetched.AssumeRolePolicyDocument!), LAMBDA_TRUST);
    assert.equal(fetched.Description, 'Thumbnailer <role> & "friends"');
    assert.equal(fetched.MaxSessionDuration, 3600);
    assert.equal(fetched.RoleId, role.RoleId);
    assert.deepEqual(fetched.RoleLastUsed, {});
    assert.equal(trustsService(decodeURIComponent(fetched.AssumeRolePolicyDocument!), 'lambda.amazonaws.com'), true);
  });

  it('refuses a second role of the same name with EntityAlreadyExists', async () => {
    const roleName = await createLambdaRole('dup');
    await rejectsWith(
      iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: LAMBDA_TRUST })),
      'EntityAlreadyExists',
      409,
      `Role with name ${roleName} already exists.`,
    );
  });

  it('answers NoSuchEntity for a role that does not exist', async () => {
    const roleName = uniqueName('ghost');
    await rejectsWith(iam.send(new GetRoleCommand({ RoleName: roleName })), 'NoSuchEntity', 404, `The role with name ${roleName} cannot be found.`);
    await rejectsWith(iam.send(new DeleteRoleCommand({ RoleName: roleName })), 'NoSuchEntity', 404);
  });

  it('refuses a trust policy that is not JSON, and a bad role name', async () => {
    await rejectsWith(
      iam.send(new CreateRoleCommand({ RoleName: uniqueName('bad'), AssumeRolePolicyDocument: '{"Version": ' })),
      'MalformedPolicyDocument',
      400,
      'This policy contains invalid Json',
    );
    await rejectsWith(iam.send(new CreateRoleCommand({ RoleName: 'bad name', AssumeRolePolicyDocument: LAMBDA_TRUST })), 'ValidationError', 400);
  });

  it('replaces the trust policy', async () => {
    const roleName = await createLambdaRole('trust');
    const edgeTrust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'] }, Action: 'sts:AssumeRole' }],
    });
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: edgeTrust }));
    const role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role!;
    assert.equal(decodeURIComponent(role.AssumeRolePolicyDocument!), edgeTrust);
    assert.equal(cloud.cloud.context.stores.iam?.roleTrustPolicy(role.Arn!), edgeTrust);
  });

  it('updates the description and maximum session duration', async () => {
    const roleName = await createLambdaRole('update');
    await iam.send(new UpdateRoleCommand({ RoleName: roleName, Description: 'now described', MaxSessionDuration: 7200 }));
    const role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role!;
    assert.equal(role.Description, 'now described');
    assert.equal(role.MaxSessionDuration, 7200);
  });

  it('lists roles under a path prefix', async () => {
    const path = `/${uniqueName('list')}/`;
    const names = [uniqueName('b'), uniqueName('a')];
    for (const name of names) await iam.send(new CreateRoleCommand({ RoleName: name, Path: path, AssumeRolePolicyDocument: LAMBDA_TRUST }));
    const listed = await iam.send(new ListRolesCommand({ PathPrefix: path }));
    assert.deepEqual(listed.Roles?.map((role) => role.RoleName), [...names].sort());
    assert.equal(listed.IsTruncated, false);
    assert.equal(decodeURIComponent(listed.Roles![0]!.AssumeRolePolicyDocument!), LAMBDA_TRUST);
  });

  it('pages through roles with Marker', async () => {
    const path = `/${uniqueName('page')}/`;
    for (let i = 0; i < 3; i++) await iam.send(new CreateRoleCommand({ RoleName: uniqueName(`p${i}`), Path: path, AssumeRolePolicyDocument: LAMBDA_TRUST }));
    const first = await iam.send(new ListRolesCommand({ PathPrefix: path, MaxItems: 2 }));
    assert.equal(first.Roles?.length, 2);
    assert.equal(first.IsTruncated, true);
    const second = await iam.send(new ListRolesCommand({ PathPrefix: path, MaxItems: 2, Marker: first.Marker }));
    assert.equal(second.Roles?.length, 1);
    assert.equal(second.IsTruncated, false);
  });

  it('deletes a role', async () => {
    const roleName = await createLambdaRole('delete');
    await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
    await rejectsWith(iam.send(new GetRoleCommand({ RoleName: roleName })), 'NoSuchEntity', 404);
  });

  it('lets the SDK waiter see a role appear', async () => {
    const roleName = uniqueName('waiter');
    const waiting = waitUntilRoleExists({ client: iam, maxWaitTime: 20, minDelay: 1, maxDelay: 1 }, { RoleName: roleName });
    setTimeout(() => void iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: LAMBDA_TRUST })), 200);
    const result = await waiting;
    assert.equal(result.state, 'SUCCESS');
  });
});

describe('managed policies', () => {
  it('attaches, lists and detaches AWS managed policies', async () => {
    const roleName = await createLambdaRole('attach');
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: BASIC_EXECUTION }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: XRAY_WRITE }));
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
    assert.deepEqual(attached.AttachedPolicies, [
      { PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: BASIC_EXECUTION },
      { PolicyName: 'AWSXRayDaemonWriteAccess', PolicyArn: XRAY_WRITE },
    ]);
    assert.equal(attached.IsTruncated, false);

    await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: BASIC_EXECUTION }));
    const remaining = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
    assert.deepEqual(remaining.AttachedPolicies?.map((policy) => policy.PolicyArn), [XRAY_WRITE]);
    await rejectsWith(iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: BASIC_EXECUTION })), 'NoSuchEntity', 404, `Policy ${BASIC_EXECUTION} was not found.`);
  });

  it('refuses an unknown managed policy ARN', async () => {
    const roleName = await createLambdaRole('unknown');
    const arn = 'arn:aws:iam::aws:policy/NoSuchThumbnailPolicy';
    await rejectsWith(iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn })), 'NoSuchEntity', 404, `Policy ${arn} does not exist or is not attachable.`);
  });

  it('answers NoSuchEntity when attaching to a missing role', async () => {
    const roleName = uniqueName('norole');
    await rejectsWith(iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: BASIC_EXECUTION })), 'NoSuchEntity', 404, `The role with name ${roleName} cannot be found.`);
  });

  it('describes AWS managed policies and serves their documents URL-encoded', async () => {
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: BASIC_EXECUTION }))).Policy!;
    assert.equal(policy.PolicyName, 'AWSLambdaBasicExecutionRole');
    assert.equal(policy.Path, '/service-role/');
    assert.equal(policy.IsAttachable, true);
    const version = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: BASIC_EXECUTION, VersionId: policy.DefaultVersionId }))).PolicyVersion!;
    assert.equal(version.IsDefaultVersion, true);
    const document = JSON.parse(decodeURIComponent(version.Document!));
    assert.deepEqual(document.Statement[0].Action, ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('creates, attaches and deletes a customer managed policy', async () => {
    const policyName = uniqueName('policy');
    const created = (await iam.send(new CreatePolicyCommand({ PolicyName: policyName, PolicyDocument: READ_THUMBNAILS }))).Policy!;
    assert.equal(created.Arn, `arn:aws:iam::000000000000:policy/${policyName}`);
    const roleName = await createLambdaRole('custom');
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: created.Arn }));
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: created.Arn }))).Policy?.AttachmentCount, 1);
    await rejectsWith(iam.send(new DeletePolicyCommand({ PolicyArn: created.Arn })), 'DeleteConflict', 409, 'Cannot delete a policy attached to entities.');
    await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: created.Arn }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: created.Arn }));
    await rejectsWith(iam.send(new GetPolicyCommand({ PolicyArn: created.Arn })), 'NoSuchEntity', 404);
  });
});

describe('inline policies', () => {
  it('puts, gets, lists and deletes an inline policy', async () => {
    const roleName = await createLambdaRole('inline');
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'read-thumbnails', PolicyDocument: READ_THUMBNAILS }));
    const fetched = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'read-thumbnails' }));
    assert.equal(fetched.RoleName, roleName);
    assert.equal(fetched.PolicyName, 'read-thumbnails');
    assert.equal(decodeURIComponent(fetched.PolicyDocument!), READ_THUMBNAILS);
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames, ['read-thumbnails']);

    await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: 'read-thumbnails' }));
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames, []);
    await rejectsWith(
      iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'read-thumbnails' })),
      'NoSuchEntity',
      404,
      'The role policy with name read-thumbnails cannot be found.',
    );
  });

  it('refuses a permissions policy with a principal', async () => {
    const roleName = await createLambdaRole('principal');
    await rejectsWith(
      iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'p', PolicyDocument: LAMBDA_TRUST })),
      'MalformedPolicyDocument',
      400,
      'Policy document should not specify a principal.',
    );
  });

  it('shares every document of a role with other services', async () => {
    const roleName = await createLambdaRole('documents');
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: BASIC_EXECUTION }));
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'read', PolicyDocument: READ_THUMBNAILS }));
    const documents = cloud.cloud.context.stores.iam?.rolePolicyDocuments(roleName) ?? [];
    assert.equal(documents.length, 2);
    assert.equal(documents[1], READ_THUMBNAILS);
    assert.ok(documents.every((document) => typeof JSON.parse(document) === 'object'));
  });
});

describe('deleting a role with policies', () => {
  it('refuses while policies are attached, then while inline policies exist', async () => {
    const roleName = await createLambdaRole('conflict');
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: BASIC_EXECUTION }));
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'read', PolicyDocument: READ_THUMBNAILS }));

    await rejectsWith(iam.send(new DeleteRoleCommand({ RoleName: roleName })), 'DeleteConflict', 409, 'Cannot delete entity, must detach all policies first.');
    await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: BASIC_EXECUTION }));
    await rejectsWith(iam.send(new DeleteRoleCommand({ RoleName: roleName })), 'DeleteConflict', 409, 'Cannot delete entity, must delete policies first.');
    await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: 'read' }));
    await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
    await rejectsWith(iam.send(new GetRoleCommand({ RoleName: roleName })), 'NoSuchEntity', 404);
  });
});

describe('tags', () => {
  it('tags at creation, adds, lists and removes tags', async () => {
    const roleName = uniqueName('tags');
    const created = await iam.send(
      new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: LAMBDA_TRUST, Tags: [{ Key: 'app', Value: 'thumbctl' }] }),
    );
    assert.deepEqual(created.Role?.Tags, [{ Key: 'app', Value: 'thumbctl' }]);

    await iam.send(new TagRoleCommand({ RoleName: roleName, Tags: [{ Key: 'stage', Value: 'dev' }, { Key: 'empty', Value: '' }] }));
    const listed = await iam.send(new ListRoleTagsCommand({ RoleName: roleName }));
    assert.deepEqual(listed.Tags, [
      { Key: 'app', Value: 'thumbctl' },
      { Key: 'stage', Value: 'dev' },
      { Key: 'empty', Value: '' },
    ]);
    assert.equal(listed.IsTruncated, false);

    await iam.send(new UntagRoleCommand({ RoleName: roleName, TagKeys: ['app', 'empty'] }));
    assert.deepEqual((await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.Tags, [{ Key: 'stage', Value: 'dev' }]);
  });

  it('refuses duplicate tag keys', async () => {
    const roleName = await createLambdaRole('duptags');
    await rejectsWith(
      iam.send(new TagRoleCommand({ RoleName: roleName, Tags: [{ Key: 'a', Value: '1' }, { Key: 'A', Value: '2' }] })),
      'InvalidInput',
      400,
      'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
    );
  });
});

describe('operations the local cloud does not model', () => {
  it('answers NotImplemented naming the operation', async () => {
    await assert.rejects(iam.send(new ListUsersCommand({})), (error: unknown) => {
      assert.ok(error instanceof IAMServiceException);
      assert.equal(error.name, 'NotImplemented');
      assert.equal(error.$metadata.httpStatusCode, 501);
      assert.match(error.message, /ListUsers/);
      assert.equal(error.$metadata.attempts, 1, 'a 501 is not retried');
      return true;
    });
  });
});

describe('state', () => {
  it('keeps roles, attachments and inline policies across a restart of the cloud', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-iam-restart-'));
    const roleName = uniqueName('restart');
    try {
      const first = await startTestCloud({ stateDir });
      const firstClient = new IAMClient(first.clientConfig);
      await firstClient.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: LAMBDA_TRUST, Tags: [{ Key: 'k', Value: 'v' }] }));
      await firstClient.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: BASIC_EXECUTION }));
      await firstClient.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'read', PolicyDocument: READ_THUMBNAILS }));
      firstClient.destroy();
      await first.close();

      const second = await startTestCloud({ stateDir });
      const secondClient = new IAMClient(second.clientConfig);
      try {
        const role = (await secondClient.send(new GetRoleCommand({ RoleName: roleName }))).Role!;
        assert.equal(decodeURIComponent(role.AssumeRolePolicyDocument!), LAMBDA_TRUST);
        assert.deepEqual(role.Tags, [{ Key: 'k', Value: 'v' }]);
        assert.equal((await secondClient.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies?.length, 1);
        assert.deepEqual((await secondClient.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames, ['read']);
      } finally {
        secondClient.destroy();
        await second.close();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
