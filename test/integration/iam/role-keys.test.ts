// Keys that stand for a role, attacked through the real SDK v3 clients (and once through the aws CLI), under
// --require-auth: a function's own keys (read from inside the function, as its code would) and keys STS
// AssumeRole hands out. Each may do exactly what its role's policies allow, in every service: no administrator
// keys from STS, no widening of its own policies, no code replaced, no denied object read through a copy, no
// log group deleted or trace written where denied; an explicit Deny wins everywhere.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CloudWatchLogsClient, CreateLogGroupCommand, DeleteLogGroupCommand, DescribeLogGroupsCommand, PutLogEventsCommand, CreateLogStreamCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetFederationTokenCommand, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { GetTraceSummariesCommand, PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';
import { zipFixture } from '../../fixtures/functions/build-zip.js';
import { runAws, TEST_CREDENTIALS } from '../../helpers/local-cloud.js';
import { createFixtureFunction, decodeJson, LAMBDA_TRUST_POLICY, startLambdaCloud, type LambdaTestCloud } from '../lambda/support.js';

const ACCOUNT = '000000000000';

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Real SDK clients signing with one set of keys. */
interface Clients {
  s3: S3Client;
  iam: IAMClient;
  sts: STSClient;
  lambda: LambdaClient;
  logs: CloudWatchLogsClient;
  xray: XRayClient;
}

let cloud: LambdaTestCloud;
let admin: Clients;
let opened: Clients[] = [];
/** The function under attack: its role (whose policy each test sets), its name, and its own keys. */
let fnRole: { name: string; arn: string; id: string };
let fnName: string;
let fnArn: string;
let fn: Clients;
let fnKeys: Keys;
/** Another function the role has no business with. */
let victimName: string;
let publicBucket: string;
let secretBucket: string;

function clientsFor(keys: Keys): Clients {
  const config = { ...cloud.clientConfig, credentials: keys, maxAttempts: 1 };
  const clients: Clients = {
    s3: new S3Client(config),
    iam: new IAMClient(config),
    sts: new STSClient(config),
    lambda: new LambdaClient(config),
    logs: new CloudWatchLogsClient(config),
    xray: new XRayClient(config),
  };
  opened.push(clients);
  return clients;
}

function keysOf(credentials: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined): Keys {
  return { accessKeyId: credentials!.AccessKeyId!, secretAccessKey: credentials!.SecretAccessKey!, sessionToken: credentials!.SessionToken! };
}

const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

type Statement = Record<string, unknown>;

/** Replaces the function role's only inline policy (as the administrator). */
async function allowFunction(...statements: Statement[]): Promise<void> {
  await admin.iam.send(
    new PutRolePolicyCommand({ RoleName: fnRole.name, PolicyName: 'under-test', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }),
  );
}

/** Creates a role (as the administrator) with a trust policy and an optional inline policy. */
async function createRole(trust: Statement[], ...statements: Statement[]): Promise<{ name: string; arn: string; id: string }> {
  const name = unique('rk');
  const role = (await admin.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: trust }) }))).Role!;
  if (statements.length > 0) {
    await admin.iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
  }
  return { name, arn: role.Arn!, id: role.RoleId! };
}

const trustAccount: Statement = { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' };
const trustLambda: Statement = { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' };
const trustRole = (arn: string): Statement => ({ Effect: 'Allow', Principal: { AWS: arn }, Action: 'sts:AssumeRole' });

interface Refusal {
  name: string;
  status: number;
  message?: RegExp;
}

/** The call fails with exactly this AWS error and HTTP status (and, when given, a message matching). */
async function refused(promise: Promise<unknown>, expected: Refusal): Promise<string> {
  let message = '';
  await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, expected.name, error.message);
    assert.equal(error.$metadata?.httpStatusCode, expected.status, `${expected.name} status`);
    if (expected.message) assert.match(error.message, expected.message);
    message = error.message;
    return true;
  });
  return message;
}

const assumedBy = (role: string, session: string): string => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`;
const noPolicyAllows = (action: string): RegExp => new RegExp(`is not authorized to perform: ${action.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} on resource: .* because no identity-based policy allows the ${action} action$`);
const explicitlyDenied = (action: string): RegExp => new RegExp(`is not authorized to perform: ${action} on resource: .* with an explicit deny in an identity-based policy$`);

before(async () => {
  cloud = await startLambdaCloud({ requireAuth: { ...TEST_CREDENTIALS } });
  admin = clientsFor(TEST_CREDENTIALS);
  publicBucket = unique('public');
  secretBucket = unique('secret');
  await admin.s3.send(new CreateBucketCommand({ Bucket: publicBucket }));
  await admin.s3.send(new CreateBucketCommand({ Bucket: secretBucket }));
  await admin.s3.send(new PutObjectCommand({ Bucket: secretBucket, Key: 'payroll.csv', Body: 'alice,100000' }));
  await admin.s3.send(new PutObjectCommand({ Bucket: publicBucket, Key: 'readme.txt', Body: 'hello' }));

  fnRole = await createRole([trustLambda]);
  const created = await createFixtureFunction(cloud, 'inspect', { Role: fnRole.arn });
  fnName = created.FunctionName;
  fnArn = created.FunctionArn!;
  victimName = (await createFixtureFunction(cloud, 'echo')).FunctionName;

  // The function's own keys, exactly as its code reads them from its environment.
  const answer = await admin.lambda.send(new InvokeCommand({ FunctionName: fnName, Payload: Buffer.from('{}') }));
  const env = (decodeJson(answer.Payload) as { env: Record<string, string> }).env;
  fnKeys = { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY!, sessionToken: env.AWS_SESSION_TOKEN! };
  fn = clientsFor(fnKeys);
});

after(async () => {
  for (const clients of opened) for (const client of Object.values(clients)) client.destroy();
  opened = [];
  await cloud.close();
});

beforeEach(async () => {
  // Each test starts from a role that may only read and write the public bucket.
  await allowFunction({ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `arn:aws:s3:::${publicBucket}/*` });
});

describe("a function's own keys", () => {
  it('are the role, in a session named after the function: GetCallerIdentity answers the assumed-role ARN', async () => {
    const identity = await fn.sts.send(new GetCallerIdentityCommand({}));

    assert.equal(identity.Arn, assumedBy(fnRole.name, fnName));
    assert.equal(identity.UserId, `${fnRole.id}:${fnName}`);
    assert.equal(identity.Account, ACCOUNT);
  });

  it('get no other keys from GetSessionToken or GetFederationToken, whatever the policy says', async () => {
    await allowFunction({ Effect: 'Allow', Action: 'sts:*', Resource: '*' });

    await refused(fn.sts.send(new GetSessionTokenCommand({})), { name: 'AccessDenied', status: 403, message: /^Cannot call GetSessionToken with session credentials$/ });
    await refused(fn.sts.send(new GetFederationTokenCommand({ Name: 'escape' })), {
      name: 'AccessDenied',
      status: 403,
      message: /^Cannot call GetFederationToken with session credentials$/,
    });
  });

  it('cannot assume a role whose trust policy does not allow them, even with sts:AssumeRole on everything', async () => {
    const powerful = await createRole([trustLambda, trustAccount], { Effect: 'Allow', Action: '*', Resource: '*' });
    await allowFunction({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' });

    // Trusting the account delegates to the caller's policies; trusting only Lambda lets no caller in.
    const lambdaOnly = await createRole([trustLambda], { Effect: 'Allow', Action: '*', Resource: '*' });
    const message = await refused(fn.sts.send(new AssumeRoleCommand({ RoleArn: lambdaOnly.arn, RoleSessionName: 'escape' })), { name: 'AccessDenied', status: 403 });
    assert.equal(message, `User: ${assumedBy(fnRole.name, fnName)} is not authorized to perform: sts:AssumeRole on resource: ${lambdaOnly.arn}`);

    // The account-trusting role can be assumed now that the policy allows it: the trust policy is what decided above.
    const assumed = await fn.sts.send(new AssumeRoleCommand({ RoleArn: powerful.arn, RoleSessionName: 'allowed' }));
    assert.equal(assumed.AssumedRoleUser?.Arn, assumedBy(powerful.name, 'allowed'));
  });

  it('cannot assume a role that trusts them unless their own policy allows sts:AssumeRole on it', async () => {
    const trusting = await createRole([trustRole(fnRole.arn)], { Effect: 'Allow', Action: '*', Resource: '*' });

    await refused(fn.sts.send(new AssumeRoleCommand({ RoleArn: trusting.arn, RoleSessionName: 'escape' })), {
      name: 'AccessDenied',
      status: 403,
      message: noPolicyAllows('sts:AssumeRole'),
    });
  });

  it('cannot widen their own role: IAM writes are refused and the role is unchanged', async () => {
    const wide = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    const trustEveryone = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] });

    const putMessage = await refused(fn.iam.send(new PutRolePolicyCommand({ RoleName: fnRole.name, PolicyName: 'mine', PolicyDocument: wide })), {
      name: 'AccessDenied',
      status: 403,
      message: noPolicyAllows('iam:PutRolePolicy'),
    });
    // IAM names an existing role as `role <name>` in its refusals.
    assert.equal(putMessage, `User: ${assumedBy(fnRole.name, fnName)} is not authorized to perform: iam:PutRolePolicy on resource: role ${fnRole.name} because no identity-based policy allows the iam:PutRolePolicy action`);
    await refused(fn.iam.send(new AttachRolePolicyCommand({ RoleName: fnRole.name, PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' })), {
      name: 'AccessDenied',
      status: 403,
      message: noPolicyAllows('iam:AttachRolePolicy'),
    });
    await refused(fn.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: fnRole.name, PolicyDocument: trustEveryone })), { name: 'AccessDenied', status: 403 });
    await refused(fn.iam.send(new DeleteRolePolicyCommand({ RoleName: fnRole.name, PolicyName: 'under-test' })), { name: 'AccessDenied', status: 403 });
    await refused(fn.iam.send(new CreateRoleCommand({ RoleName: unique('mine'), AssumeRolePolicyDocument: trustEveryone })), { name: 'AccessDenied', status: 403 });
    await refused(fn.iam.send(new CreatePolicyCommand({ PolicyName: unique('mine'), PolicyDocument: wide })), { name: 'AccessDenied', status: 403 });
    await refused(fn.iam.send(new ListRolesCommand({})), { name: 'AccessDenied', status: 403, message: noPolicyAllows('iam:ListRoles') });

    const inline = await admin.iam.send(new ListRolePoliciesCommand({ RoleName: fnRole.name }));
    assert.deepEqual(inline.PolicyNames, ['under-test']);
    const attached = await admin.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: fnRole.name }));
    assert.deepEqual(attached.AttachedPolicies, []);
    await refused(fn.s3.send(new GetObjectCommand({ Bucket: secretBucket, Key: 'payroll.csv' })), { name: 'AccessDenied', status: 403 });
  });

  it('cannot replace code, create, reconfigure, delete or invoke functions their policy does not name', async () => {
    await allowFunction({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArn });
    const before = (await admin.lambda.send(new GetFunctionCommand({ FunctionName: fnName }))).Configuration!;
    const zip = await zipFixture('echo');

    const message = await refused(fn.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: fnName, ZipFile: zip })), {
      name: 'AccessDeniedException',
      status: 403,
    });
    assert.equal(message, `User: ${assumedBy(fnRole.name, fnName)} is not authorized to perform: lambda:UpdateFunctionCode on resource: ${fnArn} because no identity-based policy allows the lambda:UpdateFunctionCode action`);
    await refused(fn.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fnName, Timeout: 60 })), { name: 'AccessDeniedException', status: 403 });
    const created = unique('planted');
    await refused(
      fn.lambda.send(new CreateFunctionCommand({ FunctionName: created, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: fnRole.arn, Code: { ZipFile: zip } })),
      { name: 'AccessDeniedException', status: 403, message: noPolicyAllows('lambda:CreateFunction') },
    );
    await refused(fn.lambda.send(new InvokeCommand({ FunctionName: victimName, Payload: Buffer.from('{}') })), {
      name: 'AccessDeniedException',
      status: 403,
      message: noPolicyAllows('lambda:InvokeFunction'),
    });
    await refused(fn.lambda.send(new DeleteFunctionCommand({ FunctionName: victimName })), { name: 'AccessDeniedException', status: 403 });
    await refused(
      fn.lambda.send(new AddPermissionCommand({ FunctionName: victimName, StatementId: 'open', Action: 'lambda:InvokeFunction', Principal: '*' })),
      { name: 'AccessDeniedException', status: 403 },
    );

    // What the policy names still works; nothing else changed.
    const own = await fn.lambda.send(new InvokeCommand({ FunctionName: fnName, Payload: Buffer.from('{"own":true}') }));
    assert.equal(own.FunctionError, undefined);
    const after = (await admin.lambda.send(new GetFunctionCommand({ FunctionName: fnName }))).Configuration!;
    assert.equal(after.CodeSha256, before.CodeSha256);
    assert.equal(after.Timeout, before.Timeout);
    await refused(admin.lambda.send(new GetFunctionCommand({ FunctionName: created })), { name: 'ResourceNotFoundException', status: 404 });
    await admin.lambda.send(new GetFunctionCommand({ FunctionName: victimName }));
  });

  it('need iam:PassRole on the role they hand to a new function, and code from S3 they may read', async () => {
    await allowFunction({ Effect: 'Allow', Action: 'lambda:CreateFunction', Resource: '*' });
    const zip = await zipFixture('echo');
    const powerful = await createRole([trustLambda], { Effect: 'Allow', Action: '*', Resource: '*' });

    await refused(
      fn.lambda.send(new CreateFunctionCommand({ FunctionName: unique('passed'), Runtime: 'nodejs22.x', Handler: 'index.handler', Role: powerful.arn, Code: { ZipFile: zip } })),
      { name: 'AccessDeniedException', status: 403, message: new RegExp(`iam:PassRole on resource: ${powerful.arn} because`) },
    );
    await admin.s3.send(new PutObjectCommand({ Bucket: secretBucket, Key: 'code.zip', Body: zip }));
    await allowFunction({ Effect: 'Allow', Action: 'lambda:CreateFunction', Resource: '*' }, { Effect: 'Allow', Action: 'iam:PassRole', Resource: fnRole.arn });
    await refused(
      fn.lambda.send(
        new CreateFunctionCommand({ FunctionName: unique('fromS3'), Runtime: 'nodejs22.x', Handler: 'index.handler', Role: fnRole.arn, Code: { S3Bucket: secretBucket, S3Key: 'code.zip' } }),
      ),
      { name: 'AccessDeniedException', status: 403, message: noPolicyAllows('s3:GetObject') },
    );

    // With both, creating a function is allowed: least privilege, not no privilege.
    const name = unique('allowed');
    const made = await fn.lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: fnRole.arn, Code: { ZipFile: zip } }));
    assert.equal(made.FunctionName, name);
  });

  it('cannot read a denied object by copying it, whole or as a part', async () => {
    const copy = await refused(fn.s3.send(new CopyObjectCommand({ Bucket: publicBucket, Key: 'stolen.csv', CopySource: `${secretBucket}/payroll.csv` })), {
      name: 'AccessDenied',
      status: 403,
    });
    assert.equal(copy, `User: ${assumedBy(fnRole.name, fnName)} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${secretBucket}/payroll.csv" because no identity-based policy allows the s3:GetObject action`);
    await refused(admin.s3.send(new HeadObjectCommand({ Bucket: publicBucket, Key: 'stolen.csv' })), { name: 'NotFound', status: 404 });

    const upload = await fn.s3.send(new CreateMultipartUploadCommand({ Bucket: publicBucket, Key: 'stolen-parts.csv' }));
    await refused(
      fn.s3.send(new UploadPartCopyCommand({ Bucket: publicBucket, Key: 'stolen-parts.csv', UploadId: upload.UploadId, PartNumber: 1, CopySource: `${secretBucket}/payroll.csv` })),
      { name: 'AccessDenied', status: 403, message: noPolicyAllows('s3:GetObject') },
    );
    // A version of the source is read with s3:GetObjectVersion.
    await allowFunction(
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `arn:aws:s3:::${publicBucket}/*` },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${secretBucket}/*` },
    );
    await refused(fn.s3.send(new CopyObjectCommand({ Bucket: publicBucket, Key: 'versioned.csv', CopySource: `${secretBucket}/payroll.csv?versionId=null` })), {
      name: 'AccessDenied',
      status: 403,
      message: noPolicyAllows('s3:GetObjectVersion'),
    });

    // A source the policy lets them read copies as before.
    const allowed = await fn.s3.send(new CopyObjectCommand({ Bucket: publicBucket, Key: 'copied.csv', CopySource: `${secretBucket}/payroll.csv` }));
    assert.ok(allowed.CopyObjectResult?.ETag);
  });

  it('delete only the keys their policy allows from a multi-object delete', async () => {
    await admin.s3.send(new PutObjectCommand({ Bucket: publicBucket, Key: 'scratch/a.txt', Body: 'a' }));
    await admin.s3.send(new PutObjectCommand({ Bucket: publicBucket, Key: 'kept/b.txt', Body: 'b' }));
    await allowFunction(
      { Effect: 'Allow', Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${publicBucket}/*` },
      { Effect: 'Deny', Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${publicBucket}/kept/*` },
    );

    const result = await fn.s3.send(new DeleteObjectsCommand({ Bucket: publicBucket, Delete: { Objects: [{ Key: 'scratch/a.txt' }, { Key: 'kept/b.txt' }] } }));

    assert.deepEqual(result.Deleted?.map((entry) => entry.Key), ['scratch/a.txt']);
    assert.deepEqual(result.Errors?.map((entry) => [entry.Key, entry.Code]), [['kept/b.txt', 'AccessDenied']]);
    await admin.s3.send(new HeadObjectCommand({ Bucket: publicBucket, Key: 'kept/b.txt' }));
    await refused(admin.s3.send(new HeadObjectCommand({ Bucket: publicBucket, Key: 'scratch/a.txt' })), { name: 'NotFound', status: 404 });
  });

  it('cannot delete log groups or put traces where denied, and may write where allowed', async () => {
    const group = `/aws/lambda/${victimName}`;
    await admin.logs.send(new CreateLogGroupCommand({ logGroupName: group })).catch((error: Error) => {
      if (error.name !== 'ResourceAlreadyExistsException') throw error;
    });
    await allowFunction({ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/app/*:*` });

    const message = await refused(fn.logs.send(new DeleteLogGroupCommand({ logGroupName: group })), { name: 'AccessDeniedException', status: 400 });
    // CloudWatch Logs evaluates a group's operations on `log-group:<name>:log-stream:`, and says so.
    assert.equal(message, `User: ${assumedBy(fnRole.name, fnName)} is not authorized to perform: logs:DeleteLogGroup on resource: arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${group}:log-stream: because no identity-based policy allows the logs:DeleteLogGroup action`);
    await refused(fn.logs.send(new DescribeLogGroupsCommand({})), { name: 'AccessDeniedException', status: 400, message: /on resource: arn:aws:logs:us-east-1:000000000000:log-group::log-stream: / });
    const groups = await admin.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }));
    assert.deepEqual(groups.logGroups?.map((entry) => entry.logGroupName), [group]);

    const now = Date.now() / 1000;
    const segment = JSON.stringify({ name: 'forged', id: '0123456789abcdef', trace_id: `1-${Math.floor(now).toString(16)}-0123456789abcdef01234567`, start_time: now - 1, end_time: now });
    await refused(fn.xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [segment] })), { name: 'AccessDeniedException', status: 403, message: noPolicyAllows('xray:PutTraceSegments') });
    await refused(fn.xray.send(new GetTraceSummariesCommand({ StartTime: new Date((now - 60) * 1000), EndTime: new Date(now * 1000) })), { name: 'AccessDeniedException', status: 403 });

    await admin.logs.send(new CreateLogGroupCommand({ logGroupName: '/app/thumbnails' })).catch(() => undefined);
    await fn.logs.send(new CreateLogStreamCommand({ logGroupName: '/app/thumbnails', logStreamName: 'worker-1' }));
    await fn.logs.send(new PutLogEventsCommand({ logGroupName: '/app/thumbnails', logStreamName: 'worker-1', logEvents: [{ timestamp: Date.now(), message: 'allowed' }] }));
  });

  it('meet an explicit Deny that wins over an Allow of everything, in every service', async () => {
    await allowFunction(
      { Effect: 'Allow', Action: '*', Resource: '*' },
      {
        Effect: 'Deny',
        Action: ['iam:PutRolePolicy', 'lambda:UpdateFunctionCode', 'logs:DeleteLogGroup', 'xray:PutTraceSegments', 'sts:AssumeRole', 's3:GetObject'],
        Resource: '*',
      },
    );
    const trusting = await createRole([trustAccount]);

    await refused(fn.iam.send(new PutRolePolicyCommand({ RoleName: fnRole.name, PolicyName: 'x', PolicyDocument: '{"Version":"2012-10-17","Statement":[]}' })), {
      name: 'AccessDenied',
      status: 403,
      message: explicitlyDenied('iam:PutRolePolicy'),
    });
    await refused(fn.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: fnName, ZipFile: await zipFixture('echo') })), {
      name: 'AccessDeniedException',
      status: 403,
      message: explicitlyDenied('lambda:UpdateFunctionCode'),
    });
    await refused(fn.logs.send(new DeleteLogGroupCommand({ logGroupName: '/aws/lambda/anything' })), { name: 'AccessDeniedException', status: 400, message: explicitlyDenied('logs:DeleteLogGroup') });
    await refused(fn.xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: ['{}'] })), { name: 'AccessDeniedException', status: 403, message: explicitlyDenied('xray:PutTraceSegments') });
    await refused(fn.sts.send(new AssumeRoleCommand({ RoleArn: trusting.arn, RoleSessionName: 'denied' })), { name: 'AccessDenied', status: 403, message: explicitlyDenied('sts:AssumeRole') });
    await refused(fn.s3.send(new GetObjectCommand({ Bucket: publicBucket, Key: 'readme.txt' })), { name: 'AccessDenied', status: 403, message: explicitlyDenied('s3:GetObject') });
    await refused(fn.s3.send(new CopyObjectCommand({ Bucket: publicBucket, Key: 'copy.txt', CopySource: `${publicBucket}/readme.txt` })), {
      name: 'AccessDenied',
      status: 403,
      message: explicitlyDenied('s3:GetObject'),
    });

    // Everything not denied is allowed.
    await fn.iam.send(new ListRolesCommand({}));
    await fn.s3.send(new ListBucketsCommand({}));
  });

  it('are refused by the aws CLI too, with its AccessDenied error', async () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });

    const result = await runAws(cloud.endpoint, ['iam', 'put-role-policy', '--role-name', fnRole.name, '--policy-name', 'cli', '--policy-document', policy], undefined, fnKeys);

    assert.notEqual(result.code, 0, result.stdout);
    assert.match(result.stderr, /\(AccessDenied\) when calling the PutRolePolicy operation: User: arn:aws:sts::000000000000:assumed-role\/.+ is not authorized to perform: iam:PutRolePolicy/);
    const inline = await admin.iam.send(new ListRolePoliciesCommand({ RoleName: fnRole.name }));
    assert.deepEqual(inline.PolicyNames, ['under-test']);
  });
});

describe('keys from STS AssumeRole', () => {
  it('are handed to the administrator only for roles whose trust policy allows the account', async () => {
    const lambdaOnly = await createRole([trustLambda]);
    const message = await refused(admin.sts.send(new AssumeRoleCommand({ RoleArn: lambdaOnly.arn, RoleSessionName: 'admin' })), { name: 'AccessDenied', status: 403 });
    assert.equal(message, `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: ${lambdaOnly.arn}`);

    const denying = await createRole([trustAccount, { Effect: 'Deny', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:RoleSessionName': 'blocked' } } }]);
    await refused(admin.sts.send(new AssumeRoleCommand({ RoleArn: denying.arn, RoleSessionName: 'blocked' })), { name: 'AccessDenied', status: 403 });
    const allowed = await admin.sts.send(new AssumeRoleCommand({ RoleArn: denying.arn, RoleSessionName: 'fine' }));
    assert.equal(allowed.AssumedRoleUser?.Arn, assumedBy(denying.name, 'fine'));
  });

  it("carry the role's limits, chain when both policy and trust allow, and get no session tokens", async () => {
    const second = await createRole([trustLambda], { Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' });
    const first = await createRole([trustAccount], { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: second.arn });
    // The second role trusts exactly the first role (a trust policy may only name roles that exist).
    await admin.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: second.name, PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [trustRole(first.arn)] }) }));
    const firstKeys = keysOf((await admin.sts.send(new AssumeRoleCommand({ RoleArn: first.arn, RoleSessionName: 'one' }))).Credentials);
    const asFirst = clientsFor(firstKeys);

    await refused(asFirst.s3.send(new ListBucketsCommand({})), { name: 'AccessDenied', status: 403, message: noPolicyAllows('s3:ListAllMyBuckets') });
    await refused(asFirst.sts.send(new GetSessionTokenCommand({})), { name: 'AccessDenied', status: 403, message: /^Cannot call GetSessionToken with session credentials$/ });
    const chained = await asFirst.sts.send(new AssumeRoleCommand({ RoleArn: second.arn, RoleSessionName: 'two' }));
    const asSecond = clientsFor(keysOf(chained.Credentials));

    assert.equal((await asSecond.sts.send(new GetCallerIdentityCommand({}))).Arn, assumedBy(second.name, 'two'));
    assert.equal((await asSecond.sts.send(new GetCallerIdentityCommand({}))).UserId, `${second.id}:two`);
    await asSecond.s3.send(new ListBucketsCommand({}));
    await refused(asSecond.s3.send(new CreateBucketCommand({ Bucket: unique('nope') })), { name: 'AccessDenied', status: 403, message: noPolicyAllows('s3:CreateBucket') });
    await refused(asSecond.iam.send(new ListRolesCommand({})), { name: 'AccessDenied', status: 403 });
    // The first role's sts:AssumeRole did not travel with the chain.
    await refused(asSecond.sts.send(new AssumeRoleCommand({ RoleArn: second.arn, RoleSessionName: 'three' })), { name: 'AccessDenied', status: 403 });
  });

  it('do not let a role the trust policy does not name chain in, whatever its own policy allows', async () => {
    const target = await createRole([trustLambda], { Effect: 'Allow', Action: '*', Resource: '*' });
    const named = await createRole([trustAccount]);
    await admin.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: target.name, PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [trustRole(named.arn)] }) }));
    const other = await createRole([trustAccount], { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' });
    const asOther = clientsFor(keysOf((await admin.sts.send(new AssumeRoleCommand({ RoleArn: other.arn, RoleSessionName: 'other' }))).Credentials));

    const message = await refused(asOther.sts.send(new AssumeRoleCommand({ RoleArn: target.arn, RoleSessionName: 'in' })), { name: 'AccessDenied', status: 403 });
    assert.equal(message, `User: ${assumedBy(other.name, 'other')} is not authorized to perform: sts:AssumeRole on resource: ${target.arn}`);
  });

  it("leave the administrator's own session tokens with full access", async () => {
    const token = await admin.sts.send(new GetSessionTokenCommand({}));
    const asAdmin = clientsFor(keysOf(token.Credentials));

    assert.equal((await asAdmin.sts.send(new GetCallerIdentityCommand({}))).Arn, `arn:aws:iam::${ACCOUNT}:root`);
    await asAdmin.iam.send(new ListRolesCommand({}));
    await asAdmin.s3.send(new GetObjectCommand({ Bucket: secretBucket, Key: 'payroll.csv' }));
  });
});
