// The provisioning core against a real local cloud, checked with real SDK calls: setup creates every resource
// with the settings asked for, a second run changes nothing, status sees drift, teardown removes only what is
// ours (twice, harmlessly), and a dry run touches nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  GetBucketEncryptionCommand,
  GetBucketNotificationConfigurationCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  type LambdaFunctionConfiguration,
} from '@aws-sdk/client-s3';
import { GetRoleCommand, GetRolePolicyCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { AddPermissionCommand, CreateFunctionCommand, GetFunctionConfigurationCommand, GetPolicyCommand, UpdateFunctionConfigurationCommand, waitUntilFunctionActiveV2, waitUntilFunctionUpdatedV2 } from '@aws-sdk/client-lambda';
import { setup, type SetupResult } from '../../../cli/core/provision/setup.js';
import { status } from '../../../cli/core/provision/status.js';
import { removeTrigger, teardown } from '../../../cli/core/provision/teardown.js';
import { buildAccessPolicy, decodePolicyDocument, samePolicy } from '../../../cli/core/provision/policies.js';
import type { ResolvedSettings } from '../../../cli/core/settings.js';
import { identity, isReadOnly, PACKAGE_CACHE, recordCommands, startSetupCloud, uniqueSettings, type SetupCloud } from './support.js';

const fast = { retryInitialMs: 50, retryMaxMs: 500, waitMinDelay: 0.05, waitMaxDelay: 0.5, waitMaxTime: 60 };

function runSetup(cloud: SetupCloud, settings: ResolvedSettings, extra: { dryRun?: boolean } = {}): Promise<SetupResult> {
  return setup({ clients: cloud.clients, settings, ...identity, target: 'local', endpoint: cloud.test.endpoint, cacheDir: PACKAGE_CACHE, pace: fast, ...extra });
}

function runStatus(cloud: SetupCloud, settings: ResolvedSettings) {
  return status({ clients: cloud.clients, settings, ...identity, target: 'local', cacheDir: PACKAGE_CACHE });
}

function runTeardown(cloud: SetupCloud, settings: ResolvedSettings) {
  return teardown({ clients: cloud.clients, settings, ...identity, target: 'local', endpoint: cloud.test.endpoint, pace: fast });
}

const actions = (result: { resources: { type: string; name: string; action: string }[] }) => result.resources.map((resource) => `${resource.type}:${resource.name}:${resource.action}`);

describe('setup against the local cloud', () => {
  let cloud: SetupCloud;
  let settings: ResolvedSettings;
  let first: SetupResult;
  const unrelated: LambdaFunctionConfiguration = {
    Id: 'audit-deletions',
    LambdaFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:audit-fn`,
    Events: ['s3:ObjectRemoved:*'],
  };

  before(async () => {
    cloud = await startSetupCloud();
    settings = uniqueSettings('core');
  });
  after(async () => {
    await cloud?.close();
  });

  it('creates every resource on a fresh cloud', async () => {
    first = await runSetup(cloud, settings);
    assert.deepEqual(
      first.resources.map((resource) => resource.type),
      ['bucket', 'bucket', 'role', 'policy', 'policy', 'policy', 'package', 'function', 'tracing', 'permission', 'trigger'],
    );
    for (const resource of first.resources) {
      if (resource.type !== 'package') assert.equal(resource.action, 'created', `${resource.type} ${resource.name}`);
    }
    assert.equal(first.tracing.mode, 'Active');
    assert.ok(first.tracing.attempts >= 1);
    assert.equal(first.functionArn, `arn:aws:lambda:us-east-1:000000000000:function:${settings.functionName}`);
    assert.ok(first.packageBytes > 0 && first.packageBytes <= 10 * 1024 * 1024, `package is ${first.packageBytes} bytes`);
  });

  it('makes both buckets private and encrypted', async () => {
    for (const bucket of [settings.sourceBucket, settings.thumbnailBucket]) {
      await cloud.clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
      const block = await cloud.clients.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
      assert.deepEqual(block.PublicAccessBlockConfiguration, { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
      const encryption = await cloud.clients.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
      assert.equal(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm, 'AES256');
    }
  });

  it('gives the role a Lambda trust policy, the least-privilege policy and the two managed policies', async () => {
    const role = await cloud.clients.iam.send(new GetRoleCommand({ RoleName: settings.roleName }));
    const trust = decodePolicyDocument(role.Role?.AssumeRolePolicyDocument);
    assert.match(JSON.stringify(trust), /lambda\.amazonaws\.com/);
    const inline = await cloud.clients.iam.send(new GetRolePolicyCommand({ RoleName: settings.roleName, PolicyName: 'thumbctl-access' }));
    assert.ok(samePolicy(decodePolicyDocument(inline.PolicyDocument), buildAccessPolicy({ ...settings, region: identity.region })));
    const attached = await cloud.clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: settings.roleName }));
    assert.deepEqual((attached.AttachedPolicies ?? []).map((policy) => policy.PolicyName).sort(), ['AWSLambdaBasicExecutionRole', 'AWSXRayDaemonWriteAccess']);
  });

  it('configures the function: 512 MB, 10 s, nodejs22.x, active tracing, the thumbnails bucket in its environment', async () => {
    const configuration = await cloud.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: settings.functionName }));
    assert.equal(configuration.MemorySize, 512);
    assert.equal(configuration.Timeout, 10);
    assert.equal(configuration.Runtime, 'nodejs22.x');
    assert.equal(configuration.Handler, 'index.handler');
    assert.deepEqual(configuration.Architectures, ['x86_64']);
    assert.equal(configuration.TracingConfig?.Mode, 'Active');
    assert.equal(configuration.Role, role(settings));
    assert.equal(configuration.CodeSha256, first.codeSha256);
    assert.deepEqual(configuration.Environment?.Variables, { THUMBNAIL_BUCKET: settings.thumbnailBucket, THUMBNAIL_FIT: 'cover', THUMBNAIL_MAX_SIZE: '4096' });
  });

  it('lets only S3, from the source bucket in this account, invoke the function', async () => {
    const policy = JSON.parse((await cloud.clients.lambda.send(new GetPolicyCommand({ FunctionName: settings.functionName }))).Policy ?? '{}') as { Statement: any[] };
    const statement = policy.Statement.find((candidate) => candidate.Sid === 'thumbctl-s3-invoke');
    assert.ok(statement, 'our statement is there');
    assert.deepEqual(statement.Principal, { Service: 's3.amazonaws.com' });
    assert.equal(statement.Action, 'lambda:InvokeFunction');
    assert.equal(JSON.stringify(statement.Condition).includes(`arn:aws:s3:::${settings.sourceBucket}`), true);
    assert.equal(JSON.stringify(statement.Condition).includes('000000000000'), true);
  });

  it('triggers on each suffix, upper-case forms included', async () => {
    const notifications = await cloud.clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: settings.sourceBucket }));
    const ours = (notifications.LambdaFunctionConfigurations ?? []).filter((configuration) => configuration.Id?.startsWith('thumbctl-'));
    const suffixes = ours.map((configuration) => configuration.Filter?.Key?.FilterRules?.[0]?.Value).sort();
    assert.deepEqual(suffixes, ['.AVIF', '.GIF', '.JPEG', '.JPG', '.PNG', '.WEBP', '.avif', '.gif', '.jpeg', '.jpg', '.png', '.webp']);
    for (const configuration of ours) {
      assert.deepEqual(configuration.Events, ['s3:ObjectCreated:*']);
      assert.equal(configuration.LambdaFunctionArn, first.functionArn);
    }
  });

  it('changes nothing on a second run: every resource unchanged, same revision, same policy', async () => {
    const before = await cloud.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: settings.functionName }));
    const policyBefore = await cloud.clients.iam.send(new GetRolePolicyCommand({ RoleName: settings.roleName, PolicyName: 'thumbctl-access' }));
    const sent = recordCommands(cloud.clients);
    const second = await runSetup(cloud, settings);
    assert.deepEqual(
      second.resources.filter((resource) => resource.action !== 'unchanged'),
      [],
      'every resource unchanged',
    );
    assert.ok(sent.length > 0);
    assert.deepEqual(sent.filter((command) => !isReadOnly(command)), [], 'no mutating call');
    sent.length = 0;
    assert.equal(second.tracing.attempts, 0);
    assert.deepEqual(second.retries, []);
    const afterwards = await cloud.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: settings.functionName }));
    assert.equal(afterwards.RevisionId, before.RevisionId);
    assert.equal(afterwards.LastModified, before.LastModified);
    const policyAfter = await cloud.clients.iam.send(new GetRolePolicyCommand({ RoleName: settings.roleName, PolicyName: 'thumbctl-access' }));
    assert.equal(policyAfter.PolicyDocument, policyBefore.PolicyDocument);
  });

  it('reports every resource present', async () => {
    const result = await runStatus(cloud, settings);
    assert.deepEqual(result.resources.filter((resource) => resource.state !== 'present').map((resource) => `${resource.type}:${resource.name}:${resource.state}`), []);
    assert.deepEqual(result.function && { memory: result.function.memory, timeout: result.function.timeout, tracing: result.function.tracing }, { memory: 512, timeout: 10, tracing: 'Active' });
  });

  it('names drift: memory changed behind its back shows desired 512, actual 256', async () => {
    await cloud.clients.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: settings.functionName, MemorySize: 256 }));
    await waitUntilFunctionUpdatedV2({ client: cloud.clients.lambda, minDelay: 0.05, maxDelay: 0.5, maxWaitTime: 30 }, { FunctionName: settings.functionName });
    const result = await runStatus(cloud, settings);
    const fn = result.resources.find((resource) => resource.type === 'function')!;
    assert.equal(fn.state, 'drifted');
    assert.deepEqual(fn.drift, [{ field: 'memory', desired: 512, actual: 256 }]);
    assert.equal((fn.desired as { memory: number }).memory, 512);
    assert.equal((fn.actual as { memory: number }).memory, 256);
    assert.equal(result.function?.memory, 256);
    assert.equal(result.summary.drifted, 1);
  });

  it('puts the drift right, touching only the function', async () => {
    const result = await runSetup(cloud, settings);
    const changed = result.resources.filter((resource) => resource.action !== 'unchanged');
    assert.deepEqual(changed.map((resource) => [resource.type, resource.action, resource.changes?.map((change) => change.field)]), [['function', 'updated', ['memory']]]);
    const configuration = await cloud.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: settings.functionName }));
    assert.equal(configuration.MemorySize, 512);
  });

  it('keeps an unrelated notification configuration through setup', async () => {
    const current = await cloud.clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: settings.sourceBucket }));
    const { $metadata: _ignored, ...configuration } = current;
    await createFunction(cloud, 'audit-fn', role(settings), settings.sourceBucket);
    await cloud.clients.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: settings.sourceBucket,
        NotificationConfiguration: { ...configuration, LambdaFunctionConfigurations: [...(configuration.LambdaFunctionConfigurations ?? []), unrelated] },
      }),
    );
    // A new suffix makes setup rewrite the notification configuration.
    const widened = { ...settings, suffixes: [...settings.suffixes, '.tif', '.TIF'] };
    const result = await runSetup(cloud, widened);
    assert.equal(result.resources.find((resource) => resource.type === 'trigger')?.action, 'updated');
    const after = await cloud.clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: settings.sourceBucket }));
    const ids = (after.LambdaFunctionConfigurations ?? []).map((configuration) => configuration.Id);
    assert.ok(ids.includes('audit-deletions'), 'the unrelated configuration survived');
    assert.ok(ids.includes('thumbctl-tif') && ids.includes('thumbctl-TIF'));
    assert.equal(ids.length, 15);
  });

  it('tears everything down in the safe order, emptying the buckets', async () => {
    await cloud.clients.s3.send(new PutObjectCommand({ Bucket: settings.thumbnailBucket, Key: 'photo-10x10.jpg', Body: 'not really a jpeg' }));
    const result = await runTeardown(cloud, settings);
    assert.deepEqual(actions(result), [
      `trigger:${settings.sourceBucket}:deleted`,
      'permission:thumbctl-s3-invoke:deleted',
      `function:${settings.functionName}:deleted`,
      // The function never ran here, so it may never have written a log group.
      result.resources[3]!.action === 'deleted' ? `log-group:/aws/lambda/${settings.functionName}:deleted` : `log-group:/aws/lambda/${settings.functionName}:absent`,
      'policy:thumbctl-access:deleted',
      'policy:AWSLambdaBasicExecutionRole:deleted',
      'policy:AWSXRayDaemonWriteAccess:deleted',
      `role:${settings.roleName}:deleted`,
      `bucket:${settings.thumbnailBucket}:deleted`,
      `bucket:${settings.sourceBucket}:deleted`,
    ]);
    assert.equal(result.resources.find((resource) => resource.name === settings.thumbnailBucket)?.objectsDeleted, 1);
  });

  it('finds everything absent afterwards', async () => {
    const result = await runStatus(cloud, settings);
    assert.deepEqual(result.resources.filter((resource) => resource.state !== 'absent').map((resource) => `${resource.type}:${resource.name}`), []);
    assert.equal(result.function, null);
  });

  it('is harmless the second time: everything absent', async () => {
    const result = await runTeardown(cloud, settings);
    assert.deepEqual(result.resources.filter((resource) => resource.action !== 'absent').map((resource) => `${resource.type}:${resource.name}`), []);
  });
});

describe('teardown with someone else on the bucket', () => {
  let cloud: SetupCloud;
  before(async () => {
    cloud = await startSetupCloud();
  });
  after(async () => {
    await cloud?.close();
  });

  it('removes only our notification configurations when the source bucket is shared', async () => {
    const settings = uniqueSettings('shared');
    await runSetup(cloud, settings);
    await createFunction(cloud, 'someone-elses-fn', role(settings), settings.sourceBucket);
    const current = await cloud.clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: settings.sourceBucket }));
    const { $metadata: _ignored, ...configuration } = current;
    const theirs: LambdaFunctionConfiguration = { Id: 'theirs', LambdaFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:someone-elses-fn', Events: ['s3:ObjectRemoved:*'] };
    await cloud.clients.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: settings.sourceBucket,
        NotificationConfiguration: { ...configuration, LambdaFunctionConfigurations: [...(configuration.LambdaFunctionConfigurations ?? []), theirs] },
      }),
    );
    assert.equal(await removeTrigger(cloud.clients, settings.sourceBucket), 'deleted');
    const left = await cloud.clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: settings.sourceBucket }));
    assert.deepEqual((left.LambdaFunctionConfigurations ?? []).map((item) => item.Id), ['theirs']);
    assert.equal(await removeTrigger(cloud.clients, settings.sourceBucket), 'absent');
    const result = await runTeardown(cloud, settings);
    assert.equal(result.resources.find((resource) => resource.type === 'bucket' && resource.name === settings.sourceBucket)?.action, 'deleted');
  });
});

describe('setup --dry-run', () => {
  let cloud: SetupCloud;
  before(async () => {
    cloud = await startSetupCloud();
  });
  after(async () => {
    await cloud?.close();
  });

  it('plans every resource and touches nothing', async () => {
    const settings = uniqueSettings('dry');
    const sent = recordCommands(cloud.clients);
    const result = await runSetup(cloud, settings, { dryRun: true });
    assert.deepEqual(sent.filter((command) => !isReadOnly(command)), [], 'no mutating call');
    assert.equal(result.dryRun, true);
    assert.ok(result.resources.every((resource) => resource.action === 'planned' && resource.change === 'create'), JSON.stringify(actions(result)));
    const fn = result.resources.find((resource) => resource.type === 'function')!;
    assert.equal((fn.desired as { memory: number }).memory, 512);
    assert.equal(fn.actual, null);
    await assert.rejects(cloud.clients.s3.send(new HeadBucketCommand({ Bucket: settings.sourceBucket })), (error: Error) => error.name === 'NotFound');
    const statusAfter = await runStatus(cloud, settings);
    assert.ok(statusAfter.resources.every((resource) => resource.state === 'absent'));
  });

  it('shows desired against actual for what would change', async () => {
    const settings = uniqueSettings('dry-drift');
    await runSetup(cloud, settings);
    const result = await runSetup(cloud, { ...settings, memory: 1024 }, { dryRun: true });
    const planned = result.resources.filter((resource) => resource.action === 'planned');
    assert.deepEqual(planned.map((resource) => [resource.type, resource.change, resource.changes]), [['function', 'update', [{ field: 'memory', desired: 1024, actual: 512 }]]]);
    const configuration = await cloud.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: settings.functionName }));
    assert.equal(configuration.MemorySize, 512, 'nothing was changed');
  });
});

function role(settings: ResolvedSettings): string {
  return `arn:aws:iam::000000000000:role/${settings.roleName}`;
}

/** Another function (not ours, invokable by S3 from the bucket) for notification configurations that must survive. */
async function createFunction(cloud: SetupCloud, name: string, roleArn: string, bucket: string): Promise<void> {
  const { zipDeterministic } = await import('../../../cli/core/provision/package.js');
  const zip = await zipDeterministic([{ name: 'index.mjs', data: Buffer.from('export const handler = async () => ({});'), mode: 0o644 }]);
  await cloud.clients.lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: roleArn, Code: { ZipFile: zip } }));
  await waitUntilFunctionActiveV2({ client: cloud.clients.lambda, minDelay: 0.05, maxDelay: 0.5, maxWaitTime: 30 }, { FunctionName: name });
  await cloud.clients.lambda.send(
    new AddPermissionCommand({ FunctionName: name, StatementId: 's3', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: `arn:aws:s3:::${bucket}` }),
  );
}
