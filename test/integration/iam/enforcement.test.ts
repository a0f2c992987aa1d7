// IAM, enforced: the real thumbnailer, deployed by setup, runs with keys that stand for its role. Setup's
// least-privilege policy must be enough, and a role without s3:PutObject on the thumbnails bucket must fail
// exactly as on AWS (AccessDenied), while the person's own keys keep full access.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { DeleteRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { decideForRole } from '../../../emulator/core/authorize.js';
import { setup } from '../../../cli/core/provision/setup.js';
import { ACCESS_POLICY_NAME, buildAccessPolicy } from '../../../cli/core/provision/policies.js';
import type { ResolvedSettings } from '../../../cli/core/settings.js';
import { identity, PACKAGE_CACHE, startSetupCloud, uniqueSettings, type SetupCloud } from '../setup/support.js';

const fast = { retryInitialMs: 50, retryMaxMs: 500, waitMinDelay: 0.05, waitMaxDelay: 0.5, waitMaxTime: 60 };

let cloud: SetupCloud;
let settings: ResolvedSettings;
let photo: Buffer;

before(async () => {
  cloud = await startSetupCloud();
  settings = uniqueSettings('iam');
  await setup({ clients: cloud.clients, settings, ...identity, target: 'local', endpoint: cloud.test.endpoint, cacheDir: PACKAGE_CACHE, pace: fast });
  photo = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c0603a' } }).jpeg().toBuffer();
});
after(() => cloud.close());

/** setup's own least-privilege policy for these buckets. */
function accessPolicy(): { Statement: { Action: unknown }[] } {
  return buildAccessPolicy({ sourceBucket: settings.sourceBucket, thumbnailBucket: settings.thumbnailBucket, region: identity.region }) as unknown as { Statement: { Action: unknown }[] };
}

/** Runs the function on a real S3 event for a freshly uploaded photo, synchronously, and returns its answer. */
async function thumbnail(key: string): Promise<{ functionError?: string; payload: string }> {
  await cloud.clients.s3.send(new PutObjectCommand({ Bucket: settings.sourceBucket, Key: key, Body: photo, ContentType: 'image/jpeg' }));
  const event = {
    Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: settings.sourceBucket }, object: { key } } }],
  };
  const answer = await cloud.clients.lambda.send(new InvokeCommand({ FunctionName: settings.functionName, Payload: Buffer.from(JSON.stringify(event)) }));
  return { functionError: answer.FunctionError, payload: Buffer.from(answer.Payload ?? []).toString('utf8') };
}

describe('IAM enforcement on function credentials', () => {
  it("lets the function do its work with exactly setup's least-privilege policy", async () => {
    const result = await thumbnail('allowed-32x32.jpg');

    assert.equal(result.functionError, undefined, result.payload);
    const made = await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: settings.thumbnailBucket, Key: 'allowed-32x32.jpg' }));
    assert.equal(made.ContentType, 'image/jpeg');
  });

  it('fails with AccessDenied, as on AWS, when the role lacks s3:PutObject on the thumbnails bucket', async () => {
    // Prepare: only the read half of the access policy.
    const readOnly = accessPolicy();
    readOnly.Statement = readOnly.Statement.filter((statement) => statement.Action !== 's3:PutObject');
    await cloud.clients.iam.send(new PutRolePolicyCommand({ RoleName: settings.roleName, PolicyName: ACCESS_POLICY_NAME, PolicyDocument: JSON.stringify(readOnly) }));
    try {
      // Act
      const result = await thumbnail('denied-32x32.jpg');

      // Assess: the function's PutObject was refused; it is transient to the function, so it throws.
      assert.equal(result.functionError, 'Unhandled', result.payload);
      assert.match(result.payload, /AccessDenied|not authorized to perform: s3:PutObject/);
      await assert.rejects(cloud.clients.s3.send(new HeadObjectCommand({ Bucket: settings.thumbnailBucket, Key: 'denied-32x32.jpg' })), { name: 'NotFound' });
    } finally {
      await cloud.clients.iam.send(
        new PutRolePolicyCommand({ RoleName: settings.roleName, PolicyName: ACCESS_POLICY_NAME, PolicyDocument: JSON.stringify(accessPolicy()) }),
      );
    }
  });

  it('refuses every call once the role has no policies at all', async () => {
    await cloud.clients.iam.send(new DeleteRolePolicyCommand({ RoleName: settings.roleName, PolicyName: ACCESS_POLICY_NAME }));
    try {
      const result = await thumbnail('nothing-32x32.jpg');
      assert.equal(result.functionError, 'Unhandled', result.payload);
      assert.match(result.payload, /AccessDenied|not authorized to perform: s3:GetObject/);
    } finally {
      await cloud.clients.iam.send(
        new PutRolePolicyCommand({ RoleName: settings.roleName, PolicyName: ACCESS_POLICY_NAME, PolicyDocument: JSON.stringify(accessPolicy()) }),
      );
    }
  });

  it("lets Lambda write the function's logs and trace segments with the role, and allows nothing else", () => {
    // On AWS the Lambda service and the X-Ray daemon write these with the role's keys (here the runtime and the
    // UDP daemon write them directly): setup's managed policies must allow exactly that.
    const context = cloud.test.cloud.context;
    const role = context.stores.iam!.roleByName(settings.roleName)!;
    const session = { accountId: '000000000000', roleArn: role.arn, roleName: role.roleName, roleId: role.roleId, sessionName: settings.functionName };
    const group = `arn:aws:logs:${identity.region}:000000000000:log-group:/aws/lambda/${settings.functionName}:log-stream:`;
    const needed: [string, string][] = [
      ['logs:CreateLogGroup', group],
      ['logs:CreateLogStream', `${group}2026/01/01/[$LATEST]0123456789abcdef`],
      ['logs:PutLogEvents', `${group}2026/01/01/[$LATEST]0123456789abcdef`],
      ['xray:PutTraceSegments', '*'],
      ['xray:PutTelemetryRecords', '*'],
    ];
    for (const [action, resource] of needed) assert.equal(decideForRole(context, session, { action, resource }), 'allow', action);
    const beyond: [string, string][] = [
      ['s3:GetObject', `arn:aws:s3:::${settings.thumbnailBucket}/a.jpg`],
      ['s3:PutObject', `arn:aws:s3:::${settings.sourceBucket}/a.jpg`],
      ['iam:PutRolePolicy', role.arn],
      ['lambda:UpdateFunctionCode', `arn:aws:lambda:${identity.region}:000000000000:function:${settings.functionName}`],
      ['logs:DeleteLogGroup', group],
      ['sts:AssumeRole', role.arn],
    ];
    for (const [action, resource] of beyond) assert.equal(decideForRole(context, session, { action, resource }), 'implicit-deny', action);
  });

  it("keeps full access for the person's own keys", async () => {
    // The test's own client wrote into the source bucket above and reads the thumbnails bucket: no policy was needed.
    await cloud.clients.s3.send(new PutObjectCommand({ Bucket: settings.thumbnailBucket, Key: 'by-hand.txt', Body: 'x' }));
    const head = await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: settings.thumbnailBucket, Key: 'by-hand.txt' }));
    assert.equal(head.ContentLength, 1);
  });
});
