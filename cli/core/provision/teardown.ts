// teardown: removes everything setup made, in the safe order — trigger (ours only; other notification
// configurations stay), permission, function, its log group, the role's policies, the role, then the
// buckets after emptying them (every version and delete marker). Whatever is already gone is `absent`, so
// running it twice is harmless. It does not ask for confirmation: the command does that.
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  type ObjectIdentifier,
} from '@aws-sdk/client-s3';
import { DeleteRoleCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { DeleteFunctionCommand, RemovePermissionCommand } from '@aws-sdk/client-lambda';
import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { UserError, silentReporter } from '../../output.js';
import type { ResolvedSettings } from '../settings.js';
import { provisionedNames, type ProvisionedNames, type ProvisionScope } from './target.js';
import { isError, lambdaChange, paceFor, retrying, type Pace, type ProvisionClients, type RetryRecord, type StepContext } from './aws.js';
import { bucketExists, observeNotifications } from './observe.js';
import { ACCESS_POLICY_NAME, MANAGED_POLICIES, managedPolicyArn } from './policies.js';
import { PERMISSION_STATEMENT_ID, isOurConfiguration, logGroupName, mergeNotifications, type ResourceType } from './plan.js';

export type TeardownType = ResourceType | 'log-group';

export interface TeardownResource {
  type: TeardownType;
  name: string;
  action: 'deleted' | 'absent';
  /** Buckets: how many object versions and delete markers were removed first. */
  objectsDeleted?: number;
}

export interface TeardownResult extends ProvisionedNames {
  resources: TeardownResource[];
  retries: RetryRecord[];
  durationMs: number;
}

export interface TeardownOptions extends ProvisionScope {
  endpoint?: string;
  pace?: Pace;
}

/** What teardown would remove, in order, for the confirmation prompt. */
export function teardownTargets(settings: ResolvedSettings): { type: TeardownType; name: string }[] {
  return [
    { type: 'trigger', name: settings.sourceBucket },
    { type: 'permission', name: PERMISSION_STATEMENT_ID },
    { type: 'function', name: settings.functionName },
    { type: 'log-group', name: logGroupName(settings.functionName) },
    { type: 'policy', name: ACCESS_POLICY_NAME },
    ...MANAGED_POLICIES.map((policy) => ({ type: 'policy' as const, name: policy.name })),
    { type: 'role', name: settings.roleName },
    { type: 'bucket', name: settings.thumbnailBucket },
    { type: 'bucket', name: settings.sourceBucket },
  ];
}

export async function teardown(options: TeardownOptions): Promise<TeardownResult> {
  const started = Date.now();
  const reporter = options.reporter ?? silentReporter;
  const context: StepContext = { clients: options.clients, reporter, pace: options.pace ?? paceFor(options.endpoint), retries: [] };
  const { settings } = options;
  const { s3, lambda, iam, logs } = options.clients;
  const resources: TeardownResource[] = [];

  /** Runs one deletion as a reported step; `gone` errors mean it was already absent. */
  const remove = async (type: TeardownType, name: string, label: string, run: () => Promise<'deleted' | 'absent'>, extra?: () => Partial<TeardownResource>): Promise<void> => {
    const step = reporter.step(`${label}`);
    try {
      const action = await run();
      const resource: TeardownResource = { type, name, action, ...extra?.() };
      resources.push(resource);
      const word = type === 'policy' && label.startsWith('Managed') ? 'detached' : 'deleted';
      const objects = resource.objectsDeleted ? ` (after removing ${resource.objectsDeleted} ${resource.objectsDeleted === 1 ? 'object' : 'objects'})` : '';
      if (action === 'deleted') step.succeed(`${label}: ${word}${objects}`);
      else step.done(`${label}: absent`);
    } catch (error) {
      step.fail(`${label}: failed`);
      throw error;
    }
  };
  const absentOn = (...codes: string[]) => (error: unknown): 'absent' => {
    if (isError(error, ...codes)) return 'absent';
    throw error;
  };

  await remove('trigger', settings.sourceBucket, `Trigger on ${settings.sourceBucket}`, () => removeTrigger(options.clients, settings.sourceBucket));

  await remove('permission', PERMISSION_STATEMENT_ID, 'Permission for S3', () =>
    lambdaChange(context, settings.functionName, 'removing the S3 invoke permission', () =>
      lambda.send(new RemovePermissionCommand({ FunctionName: settings.functionName, StatementId: PERMISSION_STATEMENT_ID })),
    ).then(() => 'deleted' as const, absentOn('ResourceNotFoundException')),
  );

  await remove('function', settings.functionName, `Function ${settings.functionName}`, () =>
    lambdaChange(context, settings.functionName, 'deleting the function', () => lambda.send(new DeleteFunctionCommand({ FunctionName: settings.functionName }))).then(
      () => 'deleted' as const,
      absentOn('ResourceNotFoundException'),
    ),
  );

  const logGroup = logGroupName(settings.functionName);
  await remove('log-group', logGroup, `Log group ${logGroup}`, () =>
    logs.send(new DeleteLogGroupCommand({ logGroupName: logGroup })).then(() => 'deleted' as const, absentOn('ResourceNotFoundException')),
  );

  const noRole = ['NoSuchEntity', 'NoSuchEntityException'];
  await remove('policy', ACCESS_POLICY_NAME, `Inline policy ${ACCESS_POLICY_NAME}`, () =>
    iam.send(new DeleteRolePolicyCommand({ RoleName: settings.roleName, PolicyName: ACCESS_POLICY_NAME })).then(() => 'deleted' as const, absentOn(...noRole)),
  );
  for (const policy of MANAGED_POLICIES) {
    await remove('policy', policy.name, `Managed policy ${policy.name}`, () =>
      iam
        .send(new DetachRolePolicyCommand({ RoleName: settings.roleName, PolicyArn: managedPolicyArn(policy, options.region) }))
        .then(() => 'deleted' as const, absentOn(...noRole)),
    );
  }
  await remove('role', settings.roleName, `Role ${settings.roleName}`, () =>
    iam.send(new DeleteRoleCommand({ RoleName: settings.roleName })).then(
      () => 'deleted' as const,
      (error: unknown) => {
        if (isError(error, 'DeleteConflict', 'DeleteConflictException')) {
          throw new UserError(`role ${settings.roleName} still has policies thumbctl did not attach; detach them and run teardown again`);
        }
        return absentOn(...noRole)(error);
      },
    ),
  );

  for (const bucket of [settings.thumbnailBucket, settings.sourceBucket]) {
    let objectsDeleted = 0;
    await remove(
      'bucket',
      bucket,
      `Bucket ${bucket}`,
      async () => {
        if (!(await bucketExists(options.clients, bucket))) return 'absent';
        // Objects can still arrive (a thumbnail being written): empty and delete again, a bounded number of times.
        await retrying(
          context,
          `deleting bucket ${bucket}`,
          async () => {
            objectsDeleted += await emptyBucket(options.clients, bucket);
            await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(absentOn('NoSuchBucket'));
          },
          { retryable: (error) => isError(error, 'BucketNotEmpty'), attempts: 3 },
        );
        return 'deleted';
      },
      () => (objectsDeleted ? { objectsDeleted } : {}),
    );
  }

  return {
    ...provisionedNames(options),
    resources,
    retries: context.retries,
    durationMs: Date.now() - started,
  };
}

/** Removes thumbctl's notification configurations from the bucket and keeps everyone else's. */
export async function removeTrigger(clients: Pick<ProvisionClients, 's3'>, bucket: string): Promise<'deleted' | 'absent'> {
  const existing = await observeNotifications(clients, bucket);
  if (!existing || !(existing.LambdaFunctionConfigurations ?? []).some(isOurConfiguration)) return 'absent';
  await clients.s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: mergeNotifications(existing, null) }));
  return 'deleted';
}

const MAX_PAGES = 100_000;

/**
 * Deletes every object version and delete marker (ListObjectVersions), then whatever a plain listing still
 * shows (ListObjectsV2: endpoints without versioning). Returns how many entries were deleted.
 */
export async function emptyBucket(clients: Pick<ProvisionClients, 's3'>, bucket: string): Promise<number> {
  const { s3 } = clients;
  let deleted = 0;
  try {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker, MaxKeys: 1000 }));
      const identifiers: ObjectIdentifier[] = [...(answer.Versions ?? []), ...(answer.DeleteMarkers ?? [])]
        .filter((entry) => entry.Key !== undefined)
        .map((entry) => ({ Key: entry.Key!, ...(entry.VersionId ? { VersionId: entry.VersionId } : {}) }));
      deleted += await deleteBatch(clients, bucket, identifiers);
      if (!answer.IsTruncated) break;
      keyMarker = answer.NextKeyMarker;
      versionIdMarker = answer.NextVersionIdMarker;
    }
  } catch (error) {
    if (!isError(error, 'NotImplemented', 'NoSuchBucket')) throw error;
  }
  let previous: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 })).catch((error: unknown) => {
      if (isError(error, 'NoSuchBucket')) return undefined;
      throw error;
    });
    const identifiers = (answer?.Contents ?? []).filter((entry) => entry.Key !== undefined).map((entry) => ({ Key: entry.Key! }));
    if (identifiers.length === 0) break;
    // Never loop on objects that do not go away.
    const listing = identifiers.map((identifier) => identifier.Key).join('\n');
    if (listing === previous) throw new UserError(`could not empty bucket ${bucket}: ${identifiers[0]!.Key} is still listed after being deleted`);
    previous = listing;
    deleted += await deleteBatch(clients, bucket, identifiers);
  }
  return deleted;
}

async function deleteBatch(clients: Pick<ProvisionClients, 's3'>, bucket: string, identifiers: ObjectIdentifier[]): Promise<number> {
  let deleted = 0;
  for (let start = 0; start < identifiers.length; start += 1000) {
    const batch = identifiers.slice(start, start + 1000);
    const answer = await clients.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
    const errors = answer.Errors ?? [];
    if (errors.length > 0) {
      const first = errors[0]!;
      throw new UserError(`could not empty bucket ${bucket}: ${first.Key}: ${first.Code ?? 'error'} ${first.Message ?? ''}`.trim());
    }
    deleted += batch.length;
  }
  return deleted;
}
