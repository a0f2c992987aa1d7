// The pure plan: desired vs actual for each resource, drift named, and the bucket notification merge
// that replaces only thumbctl's configurations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NotificationConfiguration } from '@aws-sdk/client-s3';
import { resolveSettings, withBucketDefaults } from '../../../../../cli/core/settings.js';
import {
  DESIRED_PUBLIC_ACCESS_BLOCK,
  desiredFunction,
  desiredPermission,
  desiredTrigger,
  driftSummary,
  functionArn,
  functionChanges,
  mergeNotifications,
  permissionFromPolicy,
  planAccessPolicy,
  planBucket,
  planFunction,
  planManagedPolicies,
  planPackage,
  planPermission,
  planRole,
  planTracing,
  planTrigger,
  roleArn,
  stateOf,
  triggerFromNotifications,
  triggerId,
} from '../../../../../cli/core/provision/plan.js';
import { buildAccessPolicy, buildTrustPolicy } from '../../../../../cli/core/provision/policies.js';

const identity = { account: '123456789012', region: 'us-east-1' };
const settings = withBucketDefaults(resolveSettings({}, {}), identity.account, identity.region);
const arn = functionArn(settings, identity);

describe('bucket plans', () => {
  it('creates a missing bucket', () => {
    const plan = planBucket('b', null);
    assert.equal(plan.change, 'create');
    assert.equal(stateOf(plan), 'absent');
  });

  it('leaves a private, encrypted bucket alone', () => {
    assert.equal(planBucket('b', { publicAccessBlock: { ...DESIRED_PUBLIC_ACCESS_BLOCK }, encryption: 'AES256' }).change, 'none');
  });

  it('accepts KMS encryption rather than downgrading it', () => {
    assert.equal(planBucket('b', { publicAccessBlock: { ...DESIRED_PUBLIC_ACCESS_BLOCK }, encryption: 'aws:kms' }).change, 'none');
  });

  it('names each drifted setting', () => {
    const plan = planBucket('b', { publicAccessBlock: { ...DESIRED_PUBLIC_ACCESS_BLOCK, BlockPublicPolicy: false }, encryption: null });
    assert.equal(plan.change, 'update');
    assert.equal(stateOf(plan), 'drifted');
    assert.deepEqual(plan.differences.map((difference) => difference.field), ['publicAccessBlock', 'encryption']);
  });
});

describe('IAM plans', () => {
  it('compares the trust policy structurally', () => {
    const trust = buildTrustPolicy();
    assert.equal(planRole(settings, { trustPolicy: JSON.parse(JSON.stringify(trust)) }).change, 'none');
    assert.equal(planRole(settings, { trustPolicy: { Version: '2012-10-17', Statement: [] } }).change, 'update');
  });

  it('updates the inline policy only when it says something else', () => {
    const document = buildAccessPolicy({ ...settings, region: identity.region });
    assert.equal(planAccessPolicy(settings, identity.region, { document }).change, 'none');
    assert.equal(planAccessPolicy(settings, identity.region, null).change, 'create');
    const other = buildAccessPolicy({ ...settings, sourceBucket: 'elsewhere', region: identity.region });
    assert.equal(planAccessPolicy(settings, identity.region, { document: other }).change, 'update');
  });

  it('attaches only the managed policies that are missing', () => {
    const plans = planManagedPolicies('us-east-1', ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
    assert.deepEqual(plans.map((plan) => [plan.name, plan.change]), [
      ['AWSLambdaBasicExecutionRole', 'none'],
      ['AWSXRayDaemonWriteAccess', 'create'],
    ]);
  });
});

describe('function plans', () => {
  const desired = desiredFunction(settings, identity, 'sha-1');

  it('wants 512 MB, 10 s, nodejs22.x, index.handler and the thumbnails bucket in the environment', () => {
    assert.equal(desired.memory, 512);
    assert.equal(desired.timeout, 10);
    assert.equal(desired.runtime, 'nodejs22.x');
    assert.equal(desired.handler, 'index.handler');
    assert.equal(desired.role, roleArn(settings, identity));
    assert.deepEqual(desired.environment, { THUMBNAIL_BUCKET: settings.thumbnailBucket, THUMBNAIL_FIT: 'cover', THUMBNAIL_MAX_SIZE: '4096' });
  });

  it('names drift: desired {memory: 512}, actual {memory: 256}', () => {
    const plan = planFunction(settings.functionName, desired, { ...desired, memory: 256, environment: { ...desired.environment } });
    assert.equal(stateOf(plan), 'drifted');
    assert.deepEqual(driftSummary(plan), { desired: { memory: 512 }, actual: { memory: 256 } });
    assert.deepEqual(functionChanges(plan), { code: false, configuration: true });
  });

  it('sends a new CodeSha256 or architecture through a code update only', () => {
    const plan = planFunction(settings.functionName, desired, { ...desired, codeSha256: 'sha-0', architecture: 'arm64' });
    assert.deepEqual(functionChanges(plan), { code: true, configuration: false });
  });

  it('is unchanged when everything matches, environment order included', () => {
    const reordered = { THUMBNAIL_MAX_SIZE: '4096', THUMBNAIL_FIT: 'cover', THUMBNAIL_BUCKET: settings.thumbnailBucket };
    assert.equal(planFunction(settings.functionName, desired, { ...desired, environment: reordered }).change, 'none');
  });

  describe('with variants', () => {
    const config = { variants: [{ name: 'thumb', size: '400x400' }, { name: 'card', size: '800x600', format: 'webp', quality: 75 }] };
    const withVariants = withBucketDefaults(resolveSettings({}, config), identity.account, identity.region);
    const wanted = desiredFunction(withVariants, identity, 'sha-1');

    it('deploys no THUMBNAIL_VARIANTS without variants, so an existing function has no drift', () => {
      assert.equal('THUMBNAIL_VARIANTS' in desired.environment, false);
    });

    it('deploys the canonical JSON of the variants, default fit and format written out', () => {
      assert.deepEqual(JSON.parse(wanted.environment.THUMBNAIL_VARIANTS!), [
        { name: 'thumb', size: '400x400', fit: 'cover', format: 'same' },
        { name: 'card', size: '800x600', fit: 'cover', format: 'webp', quality: 75 },
      ]);
    });

    it('names drift in the variants as `variants`, as lists of entries, fixed by a configuration update', () => {
      const plan = planFunction(withVariants.functionName, wanted, { ...wanted, environment: { ...desired.environment } });
      assert.equal(stateOf(plan), 'drifted');
      assert.deepEqual(plan.differences.map((difference) => difference.field), ['variants']);
      assert.deepEqual(plan.differences[0]!.actual, []);
      assert.deepEqual((plan.differences[0]!.desired as { name: string }[]).map((entry) => entry.name), ['thumb', 'card']);
      assert.deepEqual(functionChanges(plan), { code: false, configuration: true });
      const removed = planFunction(settings.functionName, desired, { ...desired, environment: { ...wanted.environment } });
      assert.deepEqual(removed.differences.map((difference) => difference.field), ['variants']);
      assert.deepEqual(removed.differences[0]!.desired, []);
    });

    it('sees the same list written by hand (other spacing, defaults left out) as no drift', () => {
      const byHand = '[ {"size": "400x400", "name": "thumb"}, {"name": "card", "size": "800x600", "format": "WEBP", "quality": 75} ]';
      assert.equal(planFunction(withVariants.functionName, wanted, { ...wanted, environment: { ...wanted.environment, THUMBNAIL_VARIANTS: byHand } }).change, 'none');
    });

    it('reads an entry without a fit with the function’s own THUMBNAIL_FIT', () => {
      const inside = withBucketDefaults(resolveSettings({ fit: 'inside' }, { variants: [{ name: 'thumb', size: '400x400' }] }), identity.account, identity.region);
      const wantedInside = desiredFunction(inside, identity, 'sha-1');
      const byHand = { ...wantedInside.environment, THUMBNAIL_VARIANTS: '[{"name":"thumb","size":"400x400"}]' };
      assert.equal(planFunction(inside.functionName, wantedInside, { ...wantedInside, environment: byHand }).change, 'none');
      const asCover = { ...wanted.environment, THUMBNAIL_VARIANTS: '[{"name":"thumb","size":"400x400"}]' };
      assert.equal(planFunction(inside.functionName, wantedInside, { ...wantedInside, environment: asCover }).change, 'update');
    });

    it('shows a deployed value the function would refuse as it is', () => {
      const plan = planFunction(withVariants.functionName, wanted, { ...wanted, environment: { ...wanted.environment, THUMBNAIL_VARIANTS: 'not json' } });
      assert.equal(plan.differences[0]!.actual, 'not json');
    });
  });

  it('tracks tracing and the package against the function', () => {
    assert.equal(planTracing('f', { mode: 'PassThrough' }).change, 'update');
    assert.equal(planTracing('f', { mode: 'Active' }).change, 'none');
    assert.equal(planTracing('f', null).change, 'create');
    assert.equal(planPackage('p', { codeSha256: 'a' }, 'a').change, 'none');
    assert.equal(planPackage('p', { codeSha256: 'a' }, 'b').change, 'update');
    assert.equal(planPackage('p', { codeSha256: 'a' }, null).change, 'create');
  });
});

describe('the S3 invoke permission', () => {
  const desired = desiredPermission(settings, identity);
  const policyText = (sourceArn: string, account: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Id: 'default',
      Statement: [
        { Sid: 'someone-else', Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'lambda:InvokeFunction', Resource: arn },
        {
          Sid: 'thumbctl-s3-invoke',
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: 'lambda:InvokeFunction',
          Resource: arn,
          Condition: { StringEquals: { 'AWS:SourceAccount': account }, ArnLike: { 'AWS:SourceArn': sourceArn } },
        },
      ],
    });

  it('is scoped by source ARN and source account', () => {
    assert.deepEqual(desired, {
      principal: 's3.amazonaws.com',
      action: 'lambda:InvokeFunction',
      sourceArn: `arn:aws:s3:::${settings.sourceBucket}`,
      sourceAccount: identity.account,
    });
  });

  it('finds our statement among others', () => {
    const actual = permissionFromPolicy(policyText(desired.sourceArn!, identity.account));
    assert.deepEqual(actual, desired);
    assert.equal(planPermission(desired, actual).change, 'none');
  });

  it('sees a statement scoped to another bucket as drift, and a missing one as absent', () => {
    const actual = permissionFromPolicy(policyText('arn:aws:s3:::other', identity.account));
    assert.equal(planPermission(desired, actual).change, 'update');
    assert.equal(permissionFromPolicy(JSON.stringify({ Statement: [] })), null);
    assert.equal(permissionFromPolicy(undefined), null);
    assert.equal(planPermission(desired, null).change, 'create');
  });
});

describe('the trigger', () => {
  const desired = desiredTrigger(settings, arn);
  const someoneElses = {
    Id: 'audit-log',
    LambdaFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:audit',
    Events: ['s3:ObjectRemoved:*' as const],
  };
  const queue = { Id: 'to-queue', QueueArn: 'arn:aws:sqs:us-east-1:123456789012:q', Events: ['s3:ObjectCreated:Put' as const] };

  it('has one configuration per suffix, upper-case forms included, with distinct ids', () => {
    const suffixes = desired.configurations.map((configuration) => configuration.suffix).sort();
    assert.deepEqual(suffixes, ['.AVIF', '.GIF', '.JPEG', '.JPG', '.PNG', '.WEBP', '.avif', '.gif', '.jpeg', '.jpg', '.png', '.webp']);
    const ids = new Set(desired.configurations.map((configuration) => configuration.id));
    assert.equal(ids.size, 12);
    assert.equal(triggerId('.jpg'), 'thumbctl-jpg');
    assert.equal(triggerId('.JPG'), 'thumbctl-JPG');
    for (const configuration of desired.configurations) assert.deepEqual(configuration.events, ['s3:ObjectCreated:*']);
  });

  it('merges ours in and keeps every unrelated configuration', () => {
    const existing: NotificationConfiguration = { LambdaFunctionConfigurations: [someoneElses], QueueConfigurations: [queue], EventBridgeConfiguration: {} };
    const merged = mergeNotifications(existing, desired);
    assert.deepEqual(merged.QueueConfigurations, [queue]);
    assert.deepEqual(merged.EventBridgeConfiguration, {});
    assert.deepEqual(merged.LambdaFunctionConfigurations![0], someoneElses);
    assert.equal(merged.LambdaFunctionConfigurations!.length, 13);
    const jpg = merged.LambdaFunctionConfigurations!.find((configuration) => configuration.Id === 'thumbctl-JPG');
    assert.deepEqual(jpg?.Filter, { Key: { FilterRules: [{ Name: 'suffix', Value: '.JPG' }] } });
    assert.equal(jpg?.LambdaFunctionArn, arn);
  });

  it('replaces stale configurations of ours rather than adding to them', () => {
    const stale = { Id: 'thumbctl-tiff', LambdaFunctionArn: arn, Events: ['s3:ObjectCreated:*' as const], Filter: { Key: { FilterRules: [{ Name: 'suffix' as const, Value: '.tiff' }] } } };
    const merged = mergeNotifications({ LambdaFunctionConfigurations: [stale, someoneElses] }, desired);
    assert.equal(merged.LambdaFunctionConfigurations!.some((configuration) => configuration.Id === 'thumbctl-tiff'), false);
    assert.equal(merged.LambdaFunctionConfigurations!.length, 13);
  });

  it('removes only ours when given nothing to put', () => {
    const merged = mergeNotifications(mergeNotifications({ LambdaFunctionConfigurations: [someoneElses], QueueConfigurations: [queue] }, desired), null);
    assert.deepEqual(merged, { LambdaFunctionConfigurations: [someoneElses], QueueConfigurations: [queue] });
    assert.deepEqual(mergeNotifications(null, null), {});
  });

  it('reads back what S3 returns (Suffix capitalised, any order) as unchanged', () => {
    const asS3Returns: NotificationConfiguration = {
      LambdaFunctionConfigurations: [
        someoneElses,
        ...[...mergeNotifications(null, desired).LambdaFunctionConfigurations!].reverse().map((configuration) => ({
          ...configuration,
          Filter: { Key: { FilterRules: configuration.Filter!.Key!.FilterRules!.map((rule) => ({ Name: 'Suffix' as unknown as 'suffix', Value: rule.Value })) } },
        })),
      ],
    };
    const actual = triggerFromNotifications(asS3Returns);
    assert.equal(planTrigger(settings.sourceBucket, desired, actual).change, 'none');
  });

  it('sees a missing suffix or another target as drift, and none of ours as absent', () => {
    const partial = mergeNotifications(null, { configurations: desired.configurations.slice(1) });
    assert.equal(planTrigger('b', desired, triggerFromNotifications(partial)).change, 'update');
    const elsewhere = mergeNotifications(null, { configurations: desired.configurations.map((configuration) => ({ ...configuration, functionArn: 'arn:other' })) });
    assert.equal(planTrigger('b', desired, triggerFromNotifications(elsewhere)).change, 'update');
    assert.equal(triggerFromNotifications({ LambdaFunctionConfigurations: [someoneElses] }), null);
    assert.equal(planTrigger('b', desired, null).change, 'create');
  });
});
