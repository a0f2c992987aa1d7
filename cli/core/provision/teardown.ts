// teardown: removes what this stack created, in the safe order — trigger, permission, function, its log group,
// the role's policies, the role, then the buckets after emptying them (every version and delete marker) — and
// nothing else. Ownership is read from the resources' own tags (ownership.ts): what carries this stack's created
// tag is deleted; a bucket this stack adopted loses only our notification configurations, our tags and, with
// deleteThumbnails, the thumbnails our function wrote; anything else is kept and listed with the reason (with
// force, what carries no thumbctl tag at all is deleted too; another stack's never is). Whatever is already gone
// is `absent`, so running it twice is harmless. It does not ask for confirmation: the command does that.
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  PutBucketTaggingCommand,
  DeleteBucketTaggingCommand,
  type ObjectIdentifier,
} from '@aws-sdk/client-s3';
import { DeleteRoleCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { DeleteFunctionCommand, RemovePermissionCommand } from '@aws-sdk/client-lambda';
import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { THUMBNAIL_METADATA } from '../../../function/config.js';
import { UserError, silentReporter } from '../../output.js';
import type { ResolvedSettings } from '../settings.js';
import { provisionedNames, type ProvisionedNames, type ProvisionScope } from './target.js';
import { isError, lambdaChange, paceFor, retrying, type Pace, type ProvisionClients, type RetryRecord, type StepContext } from './aws.js';
import { bucketExists, observeNotifications } from './observe.js';
import { decideTeardown, OWNERSHIP_TAGS, readBucketTags, surveyOwnership, type OwnedKind, type OwnedResource, type TeardownDecision } from './ownership.js';
import { ACCESS_POLICY_NAME, MANAGED_POLICIES, managedPolicyArn } from './policies.js';
import { BATCH_ROLE_DEFAULT_NAME, removeBatchRole } from './batch-role.js';
import { PERMISSION_STATEMENT_ID, functionArn, isOurConfiguration, logGroupName, mergeNotifications, type Identity, type ResourceType } from './plan.js';
import { ownershipEntry, type OwnershipEntry } from './survey.js';

export type TeardownType = ResourceType | 'log-group';

export interface TeardownResource {
  type: TeardownType;
  name: string;
  /** `kept`: not this stack's to delete (see reason). */
  action: 'deleted' | 'absent' | 'kept';
  /** Buckets: how many object versions and delete markers were removed first (or, from an adopted bucket, thumbnails). */
  objectsDeleted?: number;
  /** Why it was kept. */
  reason?: string;
}

export interface TeardownResult extends ProvisionedNames {
  resources: TeardownResource[];
  /** Everything kept, with the reason (the same entries as in resources). */
  kept: { type: TeardownType; name: string; reason: string }[];
  /** Who owned each of the buckets, the role, the function and its log group when teardown looked. */
  ownership: OwnershipEntry[];
  retries: RetryRecord[];
  durationMs: number;
}

export interface TeardownOptions extends ProvisionScope {
  endpoint?: string;
  pace?: Pace;
  /** Also delete what carries no thumbctl tag at all (never another stack's, never an adopted bucket). */
  force?: boolean;
  /** From an adopted thumbnails bucket, also delete the thumbnails this stack's function wrote (and nothing else). */
  deleteThumbnails?: boolean;
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

/** What teardown will do to each owned resource: read-only, for the prompt and for teardown itself. */
export interface TeardownPlan {
  resources: (OwnedResource & { decision: TeardownDecision })[];
  /** The function's ARN (ours to compare notification targets with). */
  functionArn: string;
}

export async function planTeardown(clients: ProvisionClients, settings: ResolvedSettings, identity: Identity, force = false): Promise<TeardownPlan> {
  const observed = await surveyOwnership(clients, settings, identity);
  return {
    resources: observed.resources.map((entry) => ({ ...entry, decision: decideTeardown(entry, force) })),
    functionArn: observed.configuration?.FunctionArn ?? functionArn(settings, identity),
  };
}

export async function teardown(options: TeardownOptions): Promise<TeardownResult> {
  const started = Date.now();
  const reporter = options.reporter ?? silentReporter;
  const context: StepContext = { clients: options.clients, reporter, pace: options.pace ?? paceFor(options.endpoint), retries: [] };
  const { settings } = options;
  const { s3, lambda, iam, logs } = options.clients;
  const identity: Identity = { account: options.account, region: options.region };
  const resources: TeardownResource[] = [];

  const plan = await planTeardown(options.clients, settings, identity, Boolean(options.force));
  const decisionOf = (kind: OwnedKind, name: string): TeardownDecision => plan.resources.find((entry) => entry.kind === kind && entry.name === name)!.decision;
  const functionDecision = decisionOf('function', settings.functionName);
  const roleDecision = decisionOf('role', settings.roleName);
  const sourceDecision = decisionOf('bucket', settings.sourceBucket);
  const deletesFunction = functionDecision.action === 'delete';

  /** Runs one deletion as a reported step; `gone` errors mean it was already absent; a kept resource says why. */
  const remove = async (type: TeardownType, name: string, label: string, run: () => Promise<'deleted' | 'absent' | { kept: string; objectsDeleted?: number }>, extra?: () => Partial<TeardownResource>): Promise<void> => {
    const step = reporter.step(`${label}`);
    try {
      const outcome = await run();
      const resource: TeardownResource =
        typeof outcome === 'string' ? { type, name, action: outcome, ...extra?.() } : { type, name, action: 'kept', reason: outcome.kept, ...(outcome.objectsDeleted ? { objectsDeleted: outcome.objectsDeleted } : {}) };
      resources.push(resource);
      const word = type === 'policy' && label.startsWith('Managed') ? 'detached' : 'deleted';
      const objects = resource.objectsDeleted ? ` (after removing ${resource.objectsDeleted} ${resource.objectsDeleted === 1 ? 'object' : 'objects'})` : '';
      if (resource.action === 'deleted') step.succeed(`${label}: ${word}${objects}`);
      else if (resource.action === 'kept') step.done(`${label}: kept, ${resource.reason}${resource.objectsDeleted ? ` (${resource.objectsDeleted} thumbnails removed)` : ''}`);
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
  /** A kept resource's outcome, or undefined when the decision is to delete it. */
  const keptBecause = (decision: TeardownDecision, what: string): { kept: string } | 'absent' | undefined => {
    if (decision.action === 'absent') return 'absent';
    if (decision.action === 'keep') return { kept: `${what} ${decision.reason}` };
    return undefined;
  };

  // Our notification configurations (those invoking this stack's function) go when that function goes or is gone,
  // or when the bucket is ours or adopted; they are the only thing teardown ever changes on a bucket it keeps.
  await remove('trigger', settings.sourceBucket, `Trigger on ${settings.sourceBucket}`, async () => {
    if (sourceDecision.action === 'absent') return 'absent';
    const bucketReleased = sourceDecision.action === 'delete' || sourceDecision.action === 'release';
    if (!deletesFunction && functionDecision.action !== 'absent' && !bucketReleased) return { kept: 'the function it invokes is kept, and so is its bucket' };
    return removeTrigger(options.clients, settings.sourceBucket, plan.functionArn);
  });

  await remove('permission', PERMISSION_STATEMENT_ID, 'Permission for S3', async () => {
    const kept = keptBecause(functionDecision, 'its function');
    if (kept) return kept;
    return lambdaChange(context, settings.functionName, 'removing the S3 invoke permission', () =>
      lambda.send(new RemovePermissionCommand({ FunctionName: settings.functionName, StatementId: PERMISSION_STATEMENT_ID })),
    ).then(() => 'deleted' as const, absentOn('ResourceNotFoundException'));
  });

  await remove('function', settings.functionName, `Function ${settings.functionName}`, async () => {
    const kept = keptBecause(functionDecision, 'it');
    if (kept) return kept;
    return lambdaChange(context, settings.functionName, 'deleting the function', () => lambda.send(new DeleteFunctionCommand({ FunctionName: settings.functionName }))).then(
      () => 'deleted' as const,
      absentOn('ResourceNotFoundException'),
    );
  });

  const logGroup = logGroupName(settings.functionName);
  await remove('log-group', logGroup, `Log group ${logGroup}`, async () => {
    const kept = keptBecause(decisionOf('log-group', logGroup), 'it');
    if (kept) return kept;
    return logs.send(new DeleteLogGroupCommand({ logGroupName: logGroup })).then(() => 'deleted' as const, absentOn('ResourceNotFoundException'));
  });

  const noRole = ['NoSuchEntity', 'NoSuchEntityException'];
  const roleKept = keptBecause(roleDecision, 'its role');
  await remove('policy', ACCESS_POLICY_NAME, `Inline policy ${ACCESS_POLICY_NAME}`, async () => {
    if (roleKept) return roleKept;
    return iam.send(new DeleteRolePolicyCommand({ RoleName: settings.roleName, PolicyName: ACCESS_POLICY_NAME })).then(() => 'deleted' as const, absentOn(...noRole));
  });
  for (const policy of MANAGED_POLICIES) {
    await remove('policy', policy.name, `Managed policy ${policy.name}`, async () => {
      if (roleKept) return roleKept;
      return iam
        .send(new DetachRolePolicyCommand({ RoleName: settings.roleName, PolicyArn: managedPolicyArn(policy, options.region) }))
        .then(() => 'deleted' as const, absentOn(...noRole));
    });
  }
  await remove('role', settings.roleName, `Role ${settings.roleName}`, async () => {
    const kept = keptBecause(roleDecision, 'it');
    if (kept) return kept;
    return iam.send(new DeleteRoleCommand({ RoleName: settings.roleName })).then(
      () => 'deleted' as const,
      (error: unknown) => {
        if (isError(error, 'DeleteConflict', 'DeleteConflictException')) {
          throw new UserError(`role ${settings.roleName} still has policies thumbctl did not attach; detach them and run teardown again`);
        }
        return absentOn(...noRole)(error);
      },
    );
  });

  // The S3 Batch Operations role, when setup or backfill was asked to make one for this deployment.
  // Listed only when there is one: most deployments never ask for it.
  const batchDeleted = await removeBatchRole(iam, { roleName: BATCH_ROLE_DEFAULT_NAME, thumbnailBucket: settings.thumbnailBucket });
  for (const { type, name } of batchDeleted) {
    resources.push({ type, name, action: 'deleted' });
    reporter.step(name).succeed(`${type === 'role' ? 'Role' : 'Inline policy'} ${name} (S3 Batch Operations): deleted`);
  }

  for (const bucket of [settings.thumbnailBucket, settings.sourceBucket]) {
    let objectsDeleted = 0;
    const decision = decisionOf('bucket', bucket);
    await remove(
      'bucket',
      bucket,
      `Bucket ${bucket}`,
      async () => {
        if (decision.action === 'release') {
          const thumbnails = bucket === settings.thumbnailBucket && options.deleteThumbnails ? await deleteThumbnailsWrittenBy(options.clients, bucket, settings.functionName) : 0;
          await releaseBucket(options.clients, bucket);
          const removed = bucket === settings.thumbnailBucket && options.deleteThumbnails ? `, and the ${thumbnails} thumbnails ${settings.functionName} wrote` : '';
          return { kept: `adopted by this stack: kept with its objects (only thumbctl's tags and trigger removed${removed})`, objectsDeleted: thumbnails };
        }
        const kept = keptBecause(decision, 'it');
        if (kept) return kept;
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
    kept: resources.filter((resource) => resource.action === 'kept').map((resource) => ({ type: resource.type, name: resource.name, reason: resource.reason ?? '' })),
    ownership: plan.resources.map((entry) => ownershipEntry(entry)),
    retries: context.retries,
    durationMs: Date.now() - started,
  };
}

/** Ends an adoption: thumbctl's tags come off the bucket (the owner's stay); nothing else is touched. */
async function releaseBucket(clients: Pick<ProvisionClients, 's3'>, bucket: string): Promise<void> {
  const tags = await readBucketTags(clients, bucket);
  if (tags === null) return;
  const remaining = Object.entries(tags).filter(([key]) => !Object.values(OWNERSHIP_TAGS).includes(key as never));
  if (remaining.length === Object.keys(tags).length) return;
  if (remaining.length === 0) await clients.s3.send(new DeleteBucketTaggingCommand({ Bucket: bucket }));
  else await clients.s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: remaining.map(([Key, Value]) => ({ Key, Value })) } }));
}

/** How many objects' metadata are read at once when looking for our thumbnails. */
const HEAD_CONCURRENCY = 8;

/**
 * Deletes, from a bucket thumbctl does not own, exactly the objects the function wrote: those whose metadata
 * names it (x-amz-meta-thumbctl-function). Current objects only; every other object stays.
 */
export async function deleteThumbnailsWrittenBy(clients: Pick<ProvisionClients, 's3'>, bucket: string, functionName: string): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000, ContinuationToken: token }));
    const keys = (answer.Contents ?? []).map((entry) => entry.Key).filter((key): key is string => key !== undefined);
    const ours: ObjectIdentifier[] = [];
    for (let start = 0; start < keys.length; start += HEAD_CONCURRENCY) {
      const heads = await Promise.all(
        keys.slice(start, start + HEAD_CONCURRENCY).map(async (key) => {
          try {
            const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
            return head.Metadata?.[THUMBNAIL_METADATA.writtenBy] === functionName ? key : undefined;
          } catch (error) {
            if (isError(error, 'NotFound', 'NoSuchKey')) return undefined;
            throw error;
          }
        }),
      );
      for (const key of heads) if (key !== undefined) ours.push({ Key: key });
    }
    deleted += await deleteBatch(clients, bucket, ours);
    if (!answer.IsTruncated || !answer.NextContinuationToken) break;
    token = answer.NextContinuationToken;
  }
  return deleted;
}

/**
 * Removes thumbctl's notification configurations from the bucket and keeps everyone else's.
 * @param functionArn - only configurations invoking this function are ours (another stack's stay); all of thumbctl's when omitted
 */
export async function removeTrigger(clients: Pick<ProvisionClients, 's3'>, bucket: string, functionArn?: string): Promise<'deleted' | 'absent'> {
  const existing = await observeNotifications(clients, bucket);
  const ours = (configuration: { Id?: string; LambdaFunctionArn?: string }): boolean => isOurConfiguration(configuration) && (functionArn === undefined || configuration.LambdaFunctionArn === functionArn);
  if (!existing || !(existing.LambdaFunctionConfigurations ?? []).some(ours)) return 'absent';
  const others = { ...existing, LambdaFunctionConfigurations: (existing.LambdaFunctionConfigurations ?? []).filter((configuration) => !ours(configuration)) };
  // mergeNotifications drops every thumbctl configuration; the others (another stack's included) are put back first.
  const merged = mergeNotifications({ ...existing, LambdaFunctionConfigurations: [] }, null);
  if (others.LambdaFunctionConfigurations.length) merged.LambdaFunctionConfigurations = others.LambdaFunctionConfigurations;
  await clients.s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: merged }));
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
