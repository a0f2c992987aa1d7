// `--require-auth` through the real SDK clients and the real aws CLI: the configured key works for every
// service (header signatures, presigned URLs, aws-chunked uploads, temporary STS keys, keys issued to function
// environments); a wrong secret, an unknown key, a missing signature or a tampered presigned URL get each
// protocol's own AWS error. Fuzzed keys and prefixes check that our canonical request agrees with the SDK's.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, IAMClient, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand, LambdaClient, ListFunctionsCommand, ListTagsCommand } from '@aws-sdk/client-lambda';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { GetTraceSummariesCommand, PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';
import { TEST_CREDENTIALS, runAws } from '../../helpers/local-cloud.js';
import { assertProtocolError, countCase, fuzzRuns, fuzzSeed, reportCounts, send, startHostileCloud, type HostileCloud } from '../../helpers/hostile.js';

let cloud: HostileCloud;
let bucket: string;
let roleArn: string;

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
type Client = { send(command: unknown): Promise<unknown>; destroy(): void };

function clients(credentials: Credentials) {
  const config = { ...cloud.clientConfig, credentials, maxAttempts: 1 };
  return {
    s3: new S3Client(config),
    iam: new IAMClient(config),
    sts: new STSClient(config),
    logs: new CloudWatchLogsClient(config),
    xray: new XRayClient(config),
    lambda: new LambdaClient(config),
  };
}

function destroyAll(set: Record<string, Client>): void {
  for (const client of Object.values(set)) client.destroy();
}

async function expectError(promise: Promise<unknown>, name: string, status: number): Promise<void> {
  await assert.rejects(promise, (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, name);
    assert.equal(error.$metadata?.httpStatusCode, status, `${name} status`);
    return true;
  });
  countCase(`auth error ${name} ${status}`);
}

before(async () => {
  // The configured key is the helpers' test key, so the health checks (and runAws) sign with it.
  cloud = await startHostileCloud({ requireAuth: { ...TEST_CREDENTIALS } });
  bucket = `auth-${randomBytes(4).toString('hex')}`;
  const set = clients(TEST_CREDENTIALS);
  await set.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const role = await set.iam.send(
    new CreateRoleCommand({
      RoleName: `auth-role-${randomBytes(3).toString('hex')}`,
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] }),
    }),
  );
  roleArn = role.Role!.Arn!;
  // Keys of this role are checked against its policies: it may list log groups (which the tests below call).
  await set.iam.send(
    new PutRolePolicyCommand({
      RoleName: role.Role!.RoleName!,
      PolicyName: 'describe-logs',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:DescribeLogGroups', Resource: '*' }] }),
    }),
  );
  destroyAll(set);
});

after(async () => {
  reportCounts('auth');
  await cloud.close();
});

describe('--require-auth with the configured key', () => {
  it('serves every service through the SDK', async () => {
    const set = clients(TEST_CREDENTIALS);
    try {
      assert.equal(cloud.cloud.requiresAuth, true);
      await set.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain.txt', Body: 'plain' }));
      // A stream of unknown length goes out aws-chunked with a trailing checksum: its seed signature is checked.
      await set.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'streamed.txt', Body: Readable.from([Buffer.from('streamed '), Buffer.from('body')]), ContentLength: 13 }));
      const got = await set.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'streamed.txt' }));
      assert.equal(await got.Body!.transformToString(), 'streamed body');
      await set.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'nothing-here' }] } }));
      const upload = await set.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'multi/part file.bin' }));
      const part = await set.s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'multi/part file.bin', UploadId: upload.UploadId, PartNumber: 1, Body: 'one part' }));
      await set.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'multi/part file.bin', UploadId: upload.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }),
      );
      await set.iam.send(new ListRolesCommand({ PathPrefix: '/' }));
      assert.equal((await set.sts.send(new GetCallerIdentityCommand({}))).Account, '000000000000');
      await set.logs.send(new CreateLogGroupCommand({ logGroupName: `/auth/group-${randomBytes(3).toString('hex')}` }));
      await set.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/auth/' }));
      const now = Date.now() / 1000;
      await set.xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [JSON.stringify({ name: 'auth', id: '0123456789abcdef', trace_id: `1-${Math.floor(now).toString(16)}-0123456789abcdef01234567`, start_time: now - 1, end_time: now })] }));
      await set.xray.send(new GetTraceSummariesCommand({ StartTime: new Date((now - 60) * 1000), EndTime: new Date(now * 1000) }));
      await set.lambda.send(new ListFunctionsCommand({}));
      // Paths the SDK encodes (an ARN in the path, colons in a name): the double-encoded canonical URI must agree.
      await expectError(set.lambda.send(new ListTagsCommand({ Resource: 'arn:aws:lambda:us-east-1:000000000000:function:no-such' })), 'ResourceNotFoundException', 404);
      await expectError(set.lambda.send(new GetFunctionCommand({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:missing' })), 'ResourceNotFoundException', 404);
    } finally {
      destroyAll(set);
    }
    assert.deepEqual(cloud.internalErrors(), []);
  });

  it('agrees with the SDK on the canonical request for any key and prefix (fuzzed)', async () => {
    const set = clients(TEST_CREDENTIALS);
    try {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 20 }), async (key, prefix) => {
          countCase('signed fuzzed key');
          await set.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
          const object = await set.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          assert.equal(await object.Body!.transformToString(), key);
          await set.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, StartAfter: key, EncodingType: 'url', MaxKeys: 3 }));
          await set.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/${prefix.replace(/[^\w/.-]/g, '')}x` }));
        }),
        { numRuns: fuzzRuns(30), ...fuzzSeed() },
      );
    } finally {
      destroyAll(set);
    }
  });

  it('serves the aws CLI signing with the same key', async () => {
    const checks: [string[], RegExp][] = [
      [['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', 'multi/'], /part file\.bin/],
      [['s3', 'cp', '-', `s3://${bucket}/from cli/é+.txt`], /^$/],
      [['sts', 'get-caller-identity'], /000000000000/],
      [['iam', 'list-roles'], /auth-role-/],
      [['logs', 'describe-log-groups', '--log-group-name-prefix', '/auth/'], /logGroups/],
      [['lambda', 'list-functions'], /Functions/],
    ];
    for (const [args, expected] of checks) {
      const result = await runAws(cloud.endpoint, args, 'from the aws CLI');
      countCase(`aws cli ${args[0]} ${result.code}`);
      assert.equal(result.code, 0, `aws ${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, expected);
    }
  });
});

describe('--require-auth refuses', () => {
  it('a wrong secret, with each protocol\'s signature error', async () => {
    const set = clients({ accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' });
    try {
      await expectError(set.s3.send(new ListBucketsCommand({})), 'SignatureDoesNotMatch', 403);
      await expectError(set.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'x', Body: 'x' })), 'SignatureDoesNotMatch', 403);
      await expectError(set.iam.send(new ListRolesCommand({})), 'SignatureDoesNotMatch', 403);
      await expectError(set.sts.send(new GetCallerIdentityCommand({})), 'SignatureDoesNotMatch', 403);
      await expectError(set.logs.send(new DescribeLogGroupsCommand({})), 'InvalidSignatureException', 400);
      await expectError(set.xray.send(new GetTraceSummariesCommand({ StartTime: new Date(Date.now() - 60_000), EndTime: new Date() })), 'InvalidSignatureException', 403);
      await expectError(set.lambda.send(new ListFunctionsCommand({})), 'InvalidSignatureException', 403);
    } finally {
      destroyAll(set);
    }
  });

  it('an unknown access key, with each protocol\'s unknown-key error', async () => {
    const set = clients({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'whatever' });
    try {
      await expectError(set.s3.send(new ListBucketsCommand({})), 'InvalidAccessKeyId', 403);
      await expectError(set.iam.send(new ListRolesCommand({})), 'InvalidClientTokenId', 403);
      await expectError(set.sts.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
      await expectError(set.logs.send(new DescribeLogGroupsCommand({})), 'UnrecognizedClientException', 400);
      await expectError(set.xray.send(new GetTraceSummariesCommand({ StartTime: new Date(Date.now() - 60_000), EndTime: new Date() })), 'UnrecognizedClientException', 403);
      await expectError(set.lambda.send(new ListFunctionsCommand({})), 'UnrecognizedClientException', 403);
    } finally {
      destroyAll(set);
    }
  });

  it('unsigned requests, with each protocol\'s missing-token error', async () => {
    const s3 = await send(cloud.endpoint, { method: 'GET', path: `/${bucket}` });
    assert.equal(assertProtocolError(s3, 's3'), 'AccessDenied');
    const iam = await send(cloud.endpoint, { method: 'GET', path: '/?Action=ListRoles&Version=2010-05-08' });
    assert.equal(assertProtocolError(iam, 'query'), 'MissingAuthenticationToken');
    const logs = await send(cloud.endpoint, { method: 'POST', path: '/', headers: { 'x-amz-target': 'Logs_20140328.DescribeLogGroups', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    assert.equal(assertProtocolError(logs, 'json-1.1'), 'MissingAuthenticationTokenException');
    const lambda = await send(cloud.endpoint, { method: 'GET', path: '/2015-03-31/functions' });
    assert.equal(assertProtocolError(lambda, 'rest-json'), 'MissingAuthenticationTokenException');
    const garbage = await send(cloud.endpoint, { method: 'GET', path: '/', headers: { authorization: 'AWS test:c2lnbmF0dXJl' } });
    assert.equal(assertProtocolError(garbage, 's3'), 'InvalidRequest');
    const malformed = await send(cloud.endpoint, { method: 'GET', path: '/', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=test/2026/us-east-1/s3/aws4_request' } });
    assert.equal(assertProtocolError(malformed, 's3'), 'AuthorizationHeaderMalformed');
    countCase('unsigned refused');
  });

  it('a changed body under a signature (non-S3 services sign the body itself)', async () => {
    // Sign a real Logs request with the SDK, then replay it with another body.
    const captured: { headers?: Record<string, string>; body?: string } = {};
    const logs = new CloudWatchLogsClient({ ...cloud.clientConfig, maxAttempts: 1 });
    logs.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string>; body: string | Uint8Array };
        captured.headers = { ...request.headers };
        captured.body = typeof request.body === 'string' ? request.body : Buffer.from(request.body).toString('utf8');
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low' },
    );
    await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/auth/' }));
    logs.destroy();
    const replayed = await send(cloud.endpoint, { method: 'POST', path: '/', headers: { ...captured.headers, 'content-length': undefined }, body: captured.body!.replace('/auth/', '/else/') });
    assert.equal(assertProtocolError(replayed, 'json-1.1'), 'InvalidSignatureException');
    const honest = await send(cloud.endpoint, { method: 'POST', path: '/', headers: { ...captured.headers, 'content-length': undefined }, body: captured.body! });
    assert.equal(honest.status, 200, honest.body);
  });
});

describe('presigned URLs under --require-auth', () => {
  it('work as signed, and a tampered or expired one gets 403', async () => {
    const s3 = new S3Client({ ...cloud.clientConfig });
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'presigned.txt', Body: 'presigned body' }));
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'presigned.txt' }), { expiresIn: 300 });
      const ok = await fetch(url);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'presigned body');

      const signature = new URL(url).searchParams.get('X-Amz-Signature')!;
      const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
      const tampered = await fetch(url.replace(signature, flipped));
      assert.equal(tampered.status, 403);
      assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);

      const otherKey = await fetch(url.replace('presigned.txt', 'plain.txt'));
      assert.equal(otherKey.status, 403, 'a signature is for one key only');
      const longer = await fetch(url.replace('X-Amz-Expires=300', 'X-Amz-Expires=3000'));
      assert.equal(longer.status, 403, 'the expiry is signed');

      const expired = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'presigned.txt' }), { expiresIn: 60, signingDate: new Date(Date.now() - 3_600_000) });
      const late = await fetch(expired);
      assert.equal(late.status, 403);
      assert.match(await late.text(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);

      const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: 'via-url.txt' }), { expiresIn: 60 });
      assert.equal((await fetch(putUrl, { method: 'PUT', body: 'uploaded through a url' })).status, 200);
      const uploaded = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'via-url.txt' }));
      assert.equal(await uploaded.Body!.transformToString(), 'uploaded through a url');
      countCase('presigned checks');
    } finally {
      s3.destroy();
    }
  });
});

describe('keys the local cloud issued itself', () => {
  it('accepts STS temporary keys with their session token only', async () => {
    const sts = new STSClient({ ...cloud.clientConfig });
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'auth-test' }));
    const session = await sts.send(new GetSessionTokenCommand({}));
    sts.destroy();
    for (const issued of [assumed.Credentials!, session.Credentials!]) {
      const good = clients({ accessKeyId: issued.AccessKeyId!, secretAccessKey: issued.SecretAccessKey!, sessionToken: issued.SessionToken! });
      const noToken = clients({ accessKeyId: issued.AccessKeyId!, secretAccessKey: issued.SecretAccessKey! });
      const wrongToken = clients({ accessKeyId: issued.AccessKeyId!, secretAccessKey: issued.SecretAccessKey!, sessionToken: 'forged' });
      try {
        await good.sts.send(new GetCallerIdentityCommand({}));
        await good.logs.send(new DescribeLogGroupsCommand({}));
        await expectError(noToken.s3.send(new ListBucketsCommand({})), 'InvalidToken', 400);
        await expectError(noToken.sts.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
        await expectError(wrongToken.logs.send(new DescribeLogGroupsCommand({})), 'UnrecognizedClientException', 400);
      } finally {
        destroyAll(good);
        destroyAll(noToken);
        destroyAll(wrongToken);
      }
    }
  });

  it('accepts keys issued to function environments until they are revoked', async () => {
    const registry = cloud.cloud.context.credentials!;
    const issued = registry.issue({ accountId: '000000000000', roleArn, roleName: roleArn.slice(roleArn.lastIndexOf('/') + 1), roleId: undefined, sessionName: 'auth-fn' });
    assert.equal(registry.isIssuedCredential(issued.accessKeyId), true);
    const set = clients(issued);
    try {
      await set.sts.send(new GetCallerIdentityCommand({}));
      registry.revoke(issued.accessKeyId);
      assert.equal(registry.isIssuedCredential(issued.accessKeyId), false);
      await expectError(set.sts.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    } finally {
      destroyAll(set);
    }
  });
});
