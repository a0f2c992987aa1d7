// setup: brings every resource to its desired state, in dependency order, touching only what differs —
// a second run with nothing changed makes no mutating call. First it reads who owns each resource (ownership.ts)
// and refuses, before touching anything, to take over what it did not make; what it creates carries the ownership
// tags from birth. Each step observes, plans (plan.ts) and applies, reporting through the Reporter; AWS's
// eventual-consistency quirks are retried a bounded number of times and recorded. It knows nothing of the terminal
// and returns the result document `setup --json` prints.
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketTaggingCommand,
  PutBucketNotificationConfigurationCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { AttachRolePolicyCommand, CreateRoleCommand, PutRolePolicyCommand, TagRoleCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateLogGroupCommand, TagResourceCommand as TagLogGroupResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  RemovePermissionCommand,
  TagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type Architecture as LambdaArchitecture,
  type FunctionConfiguration,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { ExitCode, formatBytes, UserError, silentReporter, type Reporter, type StepHandle } from '../../output.js';
import type { ResolvedSettings } from '../settings.js';
import { provisionedNames, type ProvisionedNames, type ProvisionScope } from './target.js';
import {
  isConflict,
  isError,
  isRoleNotReady,
  lambdaChange,
  paceFor,
  retrying,
  waitBucket,
  waitFunctionActive,
  waitFunctionUpdated,
  waitRole,
  type Pace,
  type RetryRecord,
  type StepContext,
} from './aws.js';
import { buildPackage, NPM_ARCH, sharedPackageCacheDir, type DeploymentPackage } from './package.js';
import { observeAttachedPolicies, observeBucket, observeFunction, observeInlinePolicy, observeNotifications, observePermission, observeRole, functionState } from './observe.js';
import { ACCESS_POLICY_NAME, bucketArn } from './policies.js';
import {
  createdTags,
  decideSetup,
  describeKind,
  FUNCTION_DESCRIPTION,
  logGroupArn,
  OWNERSHIP_TAGS,
  ownerOf,
  readBucketTags,
  readFunctionTags,
  readLogGroupTags,
  ROLE_DESCRIPTION,
  surveyOwnership,
  type OwnershipDecision,
} from './ownership.js';
import {
  DESIRED_BUCKET,
  PERMISSION_STATEMENT_ID,
  desiredFunction,
  desiredPermission,
  desiredTrigger,
  functionArn as functionArnOf,
  functionChanges,
  logGroupName,
  mergeNotifications,
  planAccessPolicy,
  planBucket,
  planFunction,
  planManagedPolicies,
  planPermission,
  planRole,
  planTrigger,
  triggerFromNotifications,
  type Difference,
  type Identity,
  type ResourcePlan,
  type ResourceType,
} from './plan.js';
import { packageName, survey, type OwnershipEntry } from './survey.js';
import { provideLocalNodeRuntime } from '../local-cloud.js';

export type SetupAction = 'created' | 'updated' | 'unchanged' | 'planned';

export interface SetupResource {
  type: ResourceType;
  name: string;
  action: SetupAction;
  /** What differed (updated resources; planned updates). */
  changes?: Difference[];
  /** Dry runs only: what setup would create or change, desired against actual. */
  change?: 'create' | 'update';
  desired?: unknown;
  actual?: unknown;
}

export interface SetupResult extends ProvisionedNames {
  functionArn: string;
  roleArn: string;
  dryRun: boolean;
  resources: SetupResource[];
  tracing: { mode: string; attempts: number };
  retries: RetryRecord[];
  packageBytes: number;
  codeSha256: string;
  /** Who owns each of the buckets, the role, the function and its log group, and what setup did (or would do) about it. */
  ownership: OwnershipEntry[];
  durationMs: number;
}

export interface SetupOptions extends ProvisionScope {
  /** Existing buckets without thumbctl's tags to use anyway, recorded as adopted: teardown keeps them and their objects. */
  adoptBuckets?: readonly string[];
  /** The endpoint in use (undefined for AWS); picks the pace when `pace` is not given. */
  endpoint?: string;
  dryRun?: boolean;
  /** Where built packages are cached (usually <state-dir>/cache). */
  cacheDir?: string;
  pace?: Pace;
  /** How many times to set active tracing before giving up (default 5). */
  tracingAttempts?: number;
  /** A package to deploy instead of building one (tests). */
  package?: DeploymentPackage;
  /**
   * The function runs in a local cloud on this machine (embedded, or a `local serve` of the state directory): make
   * sure the Node.js its runtime names is here before deploying, so its first cold start does not download it.
   */
  localNodeRuntime?: boolean;
}

export async function setup(options: SetupOptions): Promise<SetupResult> {
  const started = Date.now();
  const reporter = options.reporter ?? silentReporter;
  const context: StepContext = { clients: options.clients, reporter, pace: options.pace ?? paceFor(options.endpoint), retries: [] };
  const { settings } = options;
  const identity: Identity = { account: options.account, region: options.region };
  // The local cloud runs functions as processes on this machine: a package built for another architecture would
  // deploy fine and then fail every invocation with sharp's loader error. Say so now.
  const hostArchitecture = Object.entries(NPM_ARCH).find(([, npm]) => npm === process.arch)?.[0];
  if (options.target === 'local' && settings.architecture !== hostArchitecture) {
    throw new UserError(
      `--architecture ${settings.architecture}: the local cloud runs functions on this machine (${hostArchitecture ?? process.arch}); deploy ${settings.architecture} with --target aws`,
      ExitCode.usage,
    );
  }

  const result: SetupResult = {
    ...provisionedNames(options, functionArnOf(settings, identity)),
    roleArn: '',
    dryRun: Boolean(options.dryRun),
    resources: [],
    tracing: { mode: 'PassThrough', attempts: 0 },
    retries: context.retries,
    packageBytes: 0,
    codeSha256: '',
    ownership: [],
    durationMs: 0,
  };

  // Who owns what, before anything is touched: a refusal here leaves everything as it was.
  // A refusal is the command's one line (no failed step before it): decided before the step is reported.
  const owned = decideSetup((await surveyOwnership(options.clients, settings, identity)).resources, settings.stack, options.adoptBuckets ?? []);
  const notes = owned.filter((decision) => decision.action !== 'keep' && decision.action !== 'create').map((decision) => `${describeKind(decision)} ${decision.name} ${decision.action === 'leave' ? 'left untagged' : `to ${decision.action}`}`);
  reporter.step('Ownership').done(`Ownership (stack ${settings.stack})${notes.length ? `: ${notes.join(', ')}` : ''}`);
  const decisionFor = (kind: OwnershipDecision['kind'], name: string): OwnershipDecision => owned.find((decision) => decision.kind === kind && decision.name === name)!;
  for (const decision of owned) {
    if (decision.action === 'leave') reporter.warn(`${describeKind(decision)} ${decision.name} was not created by thumbctl (no thumbctl tags): setup leaves it as it is and teardown will keep it`);
  }

  if (options.dryRun) {
    const deployment = await packageStep(context, options, result);
    const found = await survey(options.clients, settings, identity, { codeSha256: deployment.codeSha256, bytes: deployment.bytes }, owned);
    result.functionArn = found.functionArn;
    result.roleArn = found.roleArn;
    result.ownership = found.ownership;
    result.resources = found.plans.map(plannedResource);
    result.tracing = { mode: found.configuration?.TracingConfig?.Mode ?? 'PassThrough', attempts: 0 };
    result.durationMs = Date.now() - started;
    return result;
  }

  // Built before anything is touched: a function directory that does not build stops setup with nothing created.
  const deployment = await packageStep(context, options, result);
  const ownership = new Map<OwnershipDecision, OwnershipEntry['action']>();
  result.resources.push(...(await bucketsStep(context, settings, options.region, [decisionFor('bucket', settings.sourceBucket), decisionFor('bucket', settings.thumbnailBucket)], ownership)));
  const role = await roleStep(context, settings, options.region, decisionFor('role', settings.roleName), ownership);
  result.roleArn = role.roleArn;
  result.resources.push(...role.resources);
  result.resources.push({ type: 'package', name: packageName(settings), action: deployment.fromCache ? 'unchanged' : 'created' });
  if (options.localNodeRuntime) await nodeRuntimeStep(context, settings.runtime);
  const fn = await functionStep(context, settings, identity, role.roleArn, deployment, decisionFor('function', settings.functionName), ownership);
  result.resources.push(fn.resource);
  result.functionArn = fn.configuration.FunctionArn ?? result.functionArn;
  await logGroupStep(context, settings, identity, decisionFor('log-group', logGroupName(settings.functionName)), ownership);
  result.ownership = owned.map((decision) => setupOwnershipEntry(decision, ownership.get(decision) ?? 'unchanged'));
  const tracing = await tracingStep(context, settings.functionName, fn.configuration, options.tracingAttempts ?? 5, fn.resource.action === 'created');
  result.tracing = { mode: tracing.mode, attempts: tracing.attempts };
  result.resources.push(tracing.resource);
  result.resources.push(await permissionStep(context, settings, identity));
  result.resources.push(await triggerStep(context, settings, result.functionArn));
  result.durationMs = Date.now() - started;
  return result;
}

/** The ownership line of one resource after setup. */
function setupOwnershipEntry(decision: OwnershipDecision, action: OwnershipEntry['action']): OwnershipEntry {
  const owner = decision.action === 'leave' ? 'untagged' : decision.desiredTags[OWNERSHIP_TAGS.adopted] === 'true' ? 'adopted' : 'created';
  const reason = action === 'claimed' ? decision.legacyEvidence : action === 'kept' ? `${describeKind(decision)} was not created by thumbctl: left as it is, and kept by teardown` : undefined;
  return { type: decision.kind, name: decision.name, owner, action, ...(reason ? { reason } : {}) };
}

/** How setup ended up with each resource: `created` it, `claimed` it (tags only), `adopted` it, left it `unchanged`, or `kept` it untagged. */
function ownershipAction(decision: OwnershipDecision): OwnershipEntry['action'] {
  return ({ create: 'created', claim: 'claimed', adopt: 'adopted', keep: 'unchanged', leave: 'kept' } as const)[decision.action];
}

/** The tags as each API takes them. */
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** Puts our tags on an existing bucket, keeping its owner's (PutBucketTagging replaces the whole set). */
async function tagBucket(context: StepContext, bucket: string, tags: Record<string, string>): Promise<void> {
  const current = (await readBucketTags(context.clients, bucket)) ?? {};
  await context.clients.s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tagList({ ...current, ...tags }) } }));
}

/** A tags difference for the result, when setup claimed or adopted an existing resource. */
function tagChanges(decision: OwnershipDecision): Difference[] {
  return [{ field: 'tags', desired: decision.desiredTags, actual: Object.fromEntries(Object.entries(decision.tags).filter(([key]) => key.startsWith('thumbctl:'))) }];
}

/** An existing resource's outcome, with the tags setup put on it (a claim or an adoption) counted as an update. */
function withTagging(resource: SetupResource, decision: OwnershipDecision): SetupResource {
  if (decision.action !== 'claim' && decision.action !== 'adopt') return resource;
  return { ...resource, action: 'updated', changes: [...(resource.changes ?? []), ...tagChanges(decision)] };
}

function plannedResource(resourcePlan: ResourcePlan): SetupResource {
  const base = { type: resourcePlan.type, name: resourcePlan.name };
  if (resourcePlan.change === 'none') return { ...base, action: 'unchanged' };
  return {
    ...base,
    action: 'planned',
    change: resourcePlan.change,
    desired: resourcePlan.desired,
    actual: resourcePlan.actual,
    ...(resourcePlan.differences.length ? { changes: resourcePlan.differences } : {}),
  };
}

function outcome(resourcePlan: ResourcePlan): SetupResource {
  const action: SetupAction = resourcePlan.change === 'create' ? 'created' : resourcePlan.change === 'update' ? 'updated' : 'unchanged';
  return { type: resourcePlan.type, name: resourcePlan.name, action, ...(resourcePlan.change === 'update' ? { changes: resourcePlan.differences } : {}) };
}

/** Runs one reported step: a spinner while it works, ✔ when it changed something, • when nothing changed. */
async function reportedStep<T>(reporter: Reporter, text: string, body: (step: StepHandle) => Promise<{ value: T; summary: string; changed: boolean }>): Promise<T> {
  const step = reporter.step(text);
  try {
    const { value, summary, changed } = await body(step);
    if (changed) step.succeed(summary);
    else step.done(summary);
    return value;
  } catch (error) {
    // A usage error (a function that does not build) is one line, the command's; others get the step's ✖ too.
    if (error instanceof UserError && error.exitCode === ExitCode.usage) step.cancel();
    else step.fail(`${text}: failed`);
    throw error;
  }
}

function describeActions(resources: SetupResource[]): string {
  return resources.map((resource) => `${resource.name} ${resource.action}`).join(', ');
}

const changed = (resources: SetupResource[]): boolean => resources.some((resource) => resource.action !== 'unchanged');

// ---- 1. buckets -----------------------------------------------------------------------------------------

async function bucketsStep(
  context: StepContext,
  settings: ResolvedSettings,
  region: string,
  decisions: OwnershipDecision[],
  ownership: Map<OwnershipDecision, OwnershipEntry['action']>,
): Promise<SetupResource[]> {
  return reportedStep(context.reporter, 'Buckets', async (step) => {
    step.update(`Buckets: ${settings.sourceBucket}, ${settings.thumbnailBucket}`);
    // Independent of each other: both at once.
    const resources = await Promise.all(decisions.map((decision) => ensureBucket(context, decision, region, settings.stack, ownership)));
    return { value: resources, summary: `Buckets: ${describeActions(resources)}`, changed: changed(resources) };
  });
}

async function ensureBucket(
  context: StepContext,
  decision: OwnershipDecision,
  region: string,
  stack: string,
  ownership: Map<OwnershipDecision, OwnershipEntry['action']>,
): Promise<SetupResource> {
  const { s3 } = context.clients;
  const bucket = decision.name;
  let actual = await observeBucket(context.clients, bucket);
  let created = false;
  if (!actual) {
    try {
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          CreateBucketConfiguration: {
            // us-east-1 is the one region that takes no LocationConstraint (and rejects its own name).
            ...(region === 'us-east-1' ? {} : { LocationConstraint: region as BucketLocationConstraint }),
            // Tagged from birth: no moment exists where the bucket is ours but says otherwise.
            Tags: tagList(createdTags(stack)),
          },
        }),
      );
      created = true;
    } catch (error) {
      if (isError(error, 'BucketAlreadyExists')) throw new UserError(`bucket name "${bucket}" is taken by another account; choose another with --source-bucket / --thumbnail-bucket`);
      if (!isError(error, 'BucketAlreadyOwnedByYou')) throw error;
    }
    await waitBucket(context, bucket);
    const tags = (await readBucketTags(context.clients, bucket)) ?? {};
    if (created && ownerOf(tags, stack).owner !== 'created') {
      // An endpoint that ignores CreateBucket's tags (an older S3 clone): the bucket is ours, so say so now.
      await tagBucket(context, bucket, createdTags(stack));
    } else if (!created && ownerOf(tags, stack).owner !== 'created') {
      // Someone made it between our look and our create: not ours.
      throw new UserError(`bucket "${bucket}" appeared while setup ran and thumbctl did not create it: run setup again to see who owns it`);
    }
    // New buckets on AWS already block public access and encrypt with SSE-S3; look before writing.
    actual = await observeBucket(context.clients, bucket);
    if (!actual) throw new UserError(`bucket ${bucket} was created but cannot be found`);
  } else if (decision.action === 'claim' || decision.action === 'adopt') {
    await tagBucket(context, bucket, decision.desiredTags);
  }
  ownership.set(decision, created ? 'created' : ownershipAction(decision));
  // An adopted bucket's public access and encryption are its owner's business: setup leaves them as they are.
  const adopted = decision.action === 'adopt' || decision.owner === 'adopted';
  const bucketPlan = planBucket(bucket, actual, { adopted });
  for (const difference of bucketPlan.differences) {
    if (difference.field === 'publicAccessBlock') {
      await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { ...DESIRED_BUCKET.publicAccessBlock } }));
    } else if (difference.field === 'encryption') {
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        }),
      );
    }
  }
  if (created) return { type: 'bucket', name: bucket, action: 'created' };
  return withTagging(outcome(bucketPlan), decision);
}

// ---- 2. the role and its policies -----------------------------------------------------------------------

async function roleStep(
  context: StepContext,
  settings: ResolvedSettings,
  region: string,
  decision: OwnershipDecision,
  ownership: Map<OwnershipDecision, OwnershipEntry['action']>,
): Promise<{ roleArn: string; resources: SetupResource[] }> {
  return reportedStep(context.reporter, `Role ${settings.roleName}`, async (step) => {
    const { iam } = context.clients;
    const resources: SetupResource[] = [];
    let role = await observeRole(context.clients, settings.roleName);
    const rolePlan = planRole(settings, role ? { trustPolicy: role.trustPolicy } : null);
    let roleCreated = false;
    if (rolePlan.change === 'create') {
      try {
        const answer = await iam.send(
          new CreateRoleCommand({
            RoleName: settings.roleName,
            AssumeRolePolicyDocument: JSON.stringify(rolePlan.desired.trustPolicy),
            Description: ROLE_DESCRIPTION,
            Tags: tagList(createdTags(settings.stack)),
          }),
        );
        role = { arn: answer.Role?.Arn ?? '', trustPolicy: rolePlan.desired.trustPolicy, tags: createdTags(settings.stack) };
        roleCreated = true;
      } catch (error) {
        if (!isError(error, 'EntityAlreadyExists', 'EntityAlreadyExistsException')) throw error;
      }
      await waitRole(context, settings.roleName);
      role = (await observeRole(context.clients, settings.roleName)) ?? role;
      if (!roleCreated && (!role || ownerOf(role.tags, settings.stack).owner !== 'created')) {
        throw new UserError(`role "${settings.roleName}" appeared while setup ran and thumbctl did not create it: run setup again to see who owns it`);
      }
    }
    if (decision.action === 'claim') {
      await context.clients.iam.send(new TagRoleCommand({ RoleName: settings.roleName, Tags: tagList(decision.desiredTags) }));
    }
    ownership.set(decision, roleCreated ? 'created' : ownershipAction(decision));
    if (rolePlan.change === 'update') {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: settings.roleName, PolicyDocument: JSON.stringify(rolePlan.desired.trustPolicy) }));
    }
    if (!role?.arn) throw new UserError(`role ${settings.roleName} has no ARN`);
    resources.push(roleCreated ? { type: 'role', name: settings.roleName, action: 'created' } : withTagging(outcome(rolePlan), decision));

    step.update(`Role ${settings.roleName}: policies`);
    const [inline, attached] = roleCreated
      ? [null, []]
      : await Promise.all([observeInlinePolicy(context.clients, settings.roleName, ACCESS_POLICY_NAME), observeAttachedPolicies(context.clients, settings.roleName)]);
    const inlinePlan = planAccessPolicy(settings, region, inline);
    if (inlinePlan.change !== 'none') {
      await iam.send(new PutRolePolicyCommand({ RoleName: settings.roleName, PolicyName: ACCESS_POLICY_NAME, PolicyDocument: JSON.stringify(inlinePlan.desired.document) }));
    }
    resources.push(outcome(inlinePlan));

    for (const managedPlan of planManagedPolicies(region, attached ?? [])) {
      if (managedPlan.change === 'create') await iam.send(new AttachRolePolicyCommand({ RoleName: settings.roleName, PolicyArn: managedPlan.desired.arn }));
      resources.push(outcome(managedPlan));
    }
    const policies = resources.slice(1).map((resource, index) => `${resource.name} ${index > 0 && resource.action === 'created' ? 'attached' : resource.action}`);
    const summary = `Role ${settings.roleName} ${resources[0]!.action}; policies: ${policies.join(', ')}`;
    return { value: { roleArn: role.arn, resources }, summary, changed: changed(resources) };
  });
}

// ---- 3. the package (built before step 1: nothing is touched for a function that does not build) --------

async function packageStep(context: StepContext, options: SetupOptions, result: SetupResult): Promise<DeploymentPackage> {
  return reportedStep(context.reporter, 'Package', async (step) => {
    const started = Date.now();
    const deployment =
      options.package ??
      (await buildPackage({
        architecture: options.settings.architecture,
        cacheDir: options.cacheDir,
        ...(options.cacheDir ? { sharedCacheDir: sharedPackageCacheDir() } : {}),
        sourceDir: options.settings.functionDir,
        progress: (text) => step.update(`Package: ${text}`),
      }));
    result.packageBytes = deployment.bytes;
    result.codeSha256 = deployment.codeSha256;
    const how = deployment.fromCache ? 'cached' : `built in ${((Date.now() - started) / 1000).toFixed(1)} s`;
    return { value: deployment, summary: `Package ${packageName(options.settings)}: ${formatBytes(deployment.bytes)}, ${options.settings.architecture} (${how})`, changed: !deployment.fromCache };
  });
}

// ---- 3b. the Node.js the local cloud runs the function on -----------------------------------------------

async function nodeRuntimeStep(context: StepContext, runtime: string): Promise<void> {
  const warnings: string[] = [];
  await reportedStep(context.reporter, `Node.js for ${runtime}`, async (step) => {
    const node = await provideLocalNodeRuntime(runtime, (progress) => step.update(`Node.js for ${runtime}: ${progress}`));
    if (node.warning) warnings.push(node.warning);
    const where = { host: "this machine's", cache: 'cached', download: 'downloaded' }[node.source ?? 'host'];
    const summary = node.nodeVersion ? `Node.js ${node.nodeVersion} for ${runtime} (${where})` : `Node.js for ${runtime}: unknown`;
    return { value: undefined, summary, changed: node.source === 'download' };
  });
  // After the step's own line, so the warning is not overwritten by its spinner.
  for (const warning of warnings) context.reporter.warn(warning);
}

// ---- 4. the function ------------------------------------------------------------------------------------

async function functionStep(
  context: StepContext,
  settings: ResolvedSettings,
  identity: Identity,
  roleArn: string,
  deployment: DeploymentPackage,
  decision: OwnershipDecision,
  ownership: Map<OwnershipDecision, OwnershipEntry['action']>,
): Promise<{ resource: SetupResource; configuration: FunctionConfiguration }> {
  return reportedStep(context.reporter, `Function ${settings.functionName}`, async (step) => {
    const { lambda } = context.clients;
    const name = settings.functionName;
    const desired = desiredFunction(settings, identity, deployment.codeSha256);
    desired.role = roleArn;

    let configuration = await observeFunction(context.clients, name);
    if (!configuration) {
      step.update(`Function ${name}: creating`);
      try {
        await retrying(
          context,
          'creating the function',
          () =>
            lambda.send(
              new CreateFunctionCommand({
                FunctionName: name,
                Runtime: desired.runtime as Runtime,
                Handler: desired.handler,
                Role: roleArn,
                Code: { ZipFile: deployment.zip },
                MemorySize: desired.memory,
                Timeout: desired.timeout,
                Architectures: [desired.architecture as LambdaArchitecture],
                Environment: { Variables: desired.environment },
                Description: FUNCTION_DESCRIPTION,
                Tags: createdTags(settings.stack),
                Publish: false,
              }),
            ),
          { retryable: isRoleNotReady, attempts: 8 },
        );
        step.update(`Function ${name}: waiting for it to become active`);
        await waitFunctionActive(context, name);
        configuration = await observeFunction(context.clients, name);
        if (!configuration) throw new UserError(`function ${name} was created but cannot be found`);
        ownership.set(decision, 'created');
        return { value: { resource: { type: 'function', name, action: 'created' }, configuration }, summary: `Function ${name} created (${desired.memory} MB, ${desired.timeout} s, ${desired.runtime}, ${desired.architecture})`, changed: true };
      } catch (error) {
        // Created by a run we cannot see (a concurrent one): carry on as an update if it carries our tags.
        if (!isConflict(error) || !/exist/i.test((error as Error).message)) throw error;
        configuration = await observeFunction(context.clients, name);
        if (!configuration) throw error;
        if (ownerOf(await readFunctionTags(context.clients, configuration.FunctionArn ?? ''), settings.stack).owner !== 'created') {
          throw new UserError(`function "${name}" appeared while setup ran and thumbctl did not create it: run setup again to see who owns it`);
        }
      }
    } else if (decision.action === 'claim') {
      await lambda.send(new TagResourceCommand({ Resource: configuration.FunctionArn, Tags: decision.desiredTags }));
    }
    if (!ownership.has(decision)) ownership.set(decision, ownershipAction(decision));

    // A previous run may have left the function mid-change (killed half-way): let that settle first.
    if (configuration.State === 'Pending') await waitFunctionActive(context, name);
    if (configuration.LastUpdateStatus === 'InProgress') await waitFunctionUpdated(context, name);
    if (configuration.State === 'Pending' || configuration.LastUpdateStatus === 'InProgress') configuration = (await observeFunction(context.clients, name)) ?? configuration;

    const functionPlan = planFunction(name, desired, functionState(configuration));
    const needs = functionChanges(functionPlan);
    if (needs.code) {
      step.update(`Function ${name}: updating code`);
      await lambdaChange(context, name, 'updating the function code', () =>
        lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: deployment.zip, Architectures: [desired.architecture as LambdaArchitecture], Publish: false })),
      );
      await waitFunctionUpdated(context, name);
    }
    if (needs.configuration) {
      step.update(`Function ${name}: updating configuration`);
      await retrying(
        context,
        'updating the function configuration',
        () =>
          lambdaChange(context, name, 'updating the function configuration', () =>
            lambda.send(
              new UpdateFunctionConfigurationCommand({
                FunctionName: name,
                Runtime: desired.runtime as Runtime,
                Handler: desired.handler,
                Role: roleArn,
                MemorySize: desired.memory,
                Timeout: desired.timeout,
                Environment: { Variables: desired.environment },
              }),
            ),
          ),
        { retryable: isRoleNotReady, attempts: 8 },
      );
      await waitFunctionUpdated(context, name);
    }
    if (needs.code || needs.configuration) configuration = (await observeFunction(context.clients, name)) ?? configuration;
    const fields = functionPlan.differences.map((difference) => difference.field).join(', ');
    const resource = withTagging(outcome(functionPlan), decision);
    const summary = resource.action === 'unchanged' ? `Function ${name} unchanged` : `Function ${name} updated (${(resource.changes ?? []).map((difference) => difference.field).join(', ')})`;
    return { value: { resource, configuration }, summary, changed: resource.action !== 'unchanged' };
  });
}

// ---- 4b. the function's log group -----------------------------------------------------------------------

/**
 * Lambda makes `/aws/lambda/<function>` itself on the first invocation, untagged; setup makes it first, tagged, so
 * teardown knows it is ours. One that was there before and is not provably ours is left alone (and kept).
 */
async function logGroupStep(context: StepContext, settings: ResolvedSettings, identity: Identity, decision: OwnershipDecision, ownership: Map<OwnershipDecision, OwnershipEntry['action']>): Promise<void> {
  const name = decision.name;
  await reportedStep(context.reporter, `Log group ${name}`, async () => {
    const { logs } = context.clients;
    const action = ownershipAction(decision);
    if (decision.action === 'create') {
      try {
        await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: createdTags(settings.stack) }));
      } catch (error) {
        if (!isError(error, 'ResourceAlreadyExistsException')) throw error;
        // Made meanwhile, by Lambda for our function (ours, then) or by another run of ours.
        const tags = (await readLogGroupTags(context.clients, name, identity)) ?? {};
        if (ownerOf(tags, settings.stack).owner !== 'created') await logs.send(new TagLogGroupResourceCommand({ resourceArn: logGroupArn(name, identity), tags: createdTags(settings.stack) }));
      }
    } else if (decision.action === 'claim') {
      await logs.send(new TagLogGroupResourceCommand({ resourceArn: logGroupArn(name, identity), tags: decision.desiredTags }));
    }
    ownership.set(decision, action);
    const changedIt = action === 'created' || action === 'claimed';
    return { value: undefined, summary: `Log group ${name}: ${action}`, changed: changedIt };
  });
}

// ---- 5. active tracing ----------------------------------------------------------------------------------

/** An update of the tracing mode that read back as something else: worth another attempt. */
class TracingDidNotStick extends Error {}

async function tracingStep(
  context: StepContext,
  name: string,
  configuration: FunctionConfiguration,
  maxAttempts: number,
  functionCreated: boolean,
): Promise<{ mode: string; attempts: number; resource: SetupResource }> {
  return reportedStep(context.reporter, 'Active tracing', async (step) => {
    const resource = (action: SetupResource['action']): SetupResource => ({ type: 'tracing', name, action });
    let mode: string = configuration.TracingConfig?.Mode ?? 'PassThrough';
    if (mode === 'Active') return { value: { mode, attempts: 0, resource: resource('unchanged') }, summary: 'Active tracing already on', changed: false };
    try {
      const attempts = await retrying(
        context,
        'verifying active tracing',
        async (attempt) => {
          step.update(`Active tracing: attempt ${attempt}`);
          await lambdaChange(context, name, 'enabling active tracing', () =>
            context.clients.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, TracingConfig: { Mode: 'Active' } })),
          );
          await waitFunctionUpdated(context, name);
          // Read it back: the setting does not always stick the first time (the course demo's "click it again").
          mode = (await observeFunction(context.clients, name))?.TracingConfig?.Mode ?? 'PassThrough';
          if (mode !== 'Active') throw new TracingDidNotStick(`TracingConfig.Mode read back as ${mode} after the update`);
          return attempt;
        },
        {
          retryable: (error) => error instanceof TracingDidNotStick,
          attempts: maxAttempts,
          warning: (event) => `${event.what}: attempt ${event.attempt} did not stick (${event.reason}); trying again in ${event.delayMs} ms`,
        },
      );
      const summary = `Active tracing on${attempts > 1 ? ` (took ${attempts} attempts)` : ''}`;
      return { value: { mode, attempts, resource: resource(functionCreated ? 'created' : 'updated') }, summary, changed: true };
    } catch (error) {
      if (error instanceof TracingDidNotStick) throw new UserError(`active tracing did not stick after ${maxAttempts} attempts (TracingConfig.Mode is still ${mode})`);
      throw error;
    }
  });
}

// ---- 6. the permission for S3 ---------------------------------------------------------------------------

async function permissionStep(context: StepContext, settings: ResolvedSettings, identity: Identity): Promise<SetupResource> {
  return reportedStep(context.reporter, 'Permission for S3 to invoke the function', async () => {
    const name = settings.functionName;
    const desired = desiredPermission(settings, identity);
    const permissionPlan = planPermission(desired, await observePermission(context.clients, name));
    if (permissionPlan.change === 'update') {
      await lambdaChange(context, name, 'replacing the S3 invoke permission', async () => {
        try {
          return await context.clients.lambda.send(new RemovePermissionCommand({ FunctionName: name, StatementId: PERMISSION_STATEMENT_ID }));
        } catch (error) {
          if (isError(error, 'ResourceNotFoundException')) return undefined;
          throw error;
        }
      });
    }
    if (permissionPlan.change !== 'none') {
      await lambdaChange(context, name, 'adding the S3 invoke permission', async () => {
        try {
          return await context.clients.lambda.send(
            new AddPermissionCommand({
              FunctionName: name,
              StatementId: PERMISSION_STATEMENT_ID,
              Action: 'lambda:InvokeFunction',
              Principal: 's3.amazonaws.com',
              SourceArn: bucketArn(settings.sourceBucket, identity.region),
              SourceAccount: identity.account,
            }),
          );
        } catch (error) {
          // "The statement id (...) provided already exists": another run added it meanwhile.
          if (isConflict(error) && /already exists/i.test((error as Error).message)) return undefined;
          throw error;
        }
      });
    }
    const resource = outcome(permissionPlan);
    return { value: resource, summary: `Permission ${PERMISSION_STATEMENT_ID} for s3.amazonaws.com from ${settings.sourceBucket}: ${resource.action}`, changed: resource.action !== 'unchanged' };
  });
}

// ---- 7. the trigger -------------------------------------------------------------------------------------

async function triggerStep(context: StepContext, settings: ResolvedSettings, targetArn: string): Promise<SetupResource> {
  return reportedStep(context.reporter, `Trigger on ${settings.sourceBucket}`, async () => {
    const existing = await observeNotifications(context.clients, settings.sourceBucket);
    if (existing === null) throw new UserError(`bucket ${settings.sourceBucket} disappeared during setup`);
    const desired = desiredTrigger(settings, targetArn);
    const triggerPlan = planTrigger(settings.sourceBucket, desired, triggerFromNotifications(existing));
    if (triggerPlan.change !== 'none') {
      const merged = mergeNotifications(existing, desired);
      await retrying(
        context,
        'putting the bucket notification',
        () => context.clients.s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: settings.sourceBucket, NotificationConfiguration: merged })),
        // S3 checks it may invoke the function; a permission added a moment ago may not be visible to it yet.
        { retryable: (error) => isError(error, 'InvalidArgument') && /unable to validate/i.test((error as Error).message), attempts: 6 },
      );
    }
    const resource = outcome(triggerPlan);
    const suffixes = settings.suffixes.join(' ');
    return { value: resource, summary: `Trigger on s3://${settings.sourceBucket} (${suffixes}): ${resource.action}`, changed: resource.action !== 'unchanged' };
  });
}
