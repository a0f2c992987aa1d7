// The resource plan: for each resource thumbctl manages, what we want (desired) against what is there
// (actual), and the change that would close the gap. Pure: no AWS calls, no terminal. setup applies these
// plans one step at a time, `setup --dry-run` prints them, and status reports them as present/absent/drifted.
import type { LambdaFunctionConfiguration, NotificationConfiguration } from '@aws-sdk/client-s3';
import { ENV_VARS } from '../../../function/config.js';
import { parseVariantsJson, variantsToJson, type VariantEntry } from '../../../function/variants.js';
import type { ResolvedSettings } from '../settings.js';
import {
  ACCESS_POLICY_NAME,
  MANAGED_POLICIES,
  bucketArn,
  buildAccessPolicy,
  buildTrustPolicy,
  managedPolicyArn,
  partitionOf,
  samePolicy,
  stableJson,
  type PolicyDocument,
} from './policies.js';

export const RESOURCE_TYPES = ['bucket', 'role', 'policy', 'package', 'function', 'tracing', 'permission', 'trigger'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** What a plan would do to close the gap between desired and actual. */
export type Change = 'create' | 'update' | 'none';

/** One field that differs, named so people and scripts can see the drift. */
export interface Difference {
  field: string;
  desired: unknown;
  actual: unknown;
}

export interface ResourcePlan<D = unknown, A = unknown> {
  type: ResourceType;
  name: string;
  desired: D;
  /** null when the resource does not exist. */
  actual: A | null;
  change: Change;
  differences: Difference[];
}

/** Statement id of the permission that lets S3 invoke the function. */
export const PERMISSION_STATEMENT_ID = 'thumbctl-s3-invoke';
/** Every bucket notification configuration thumbctl owns has an Id with this prefix; others are never touched. */
export const TRIGGER_ID_PREFIX = 'thumbctl-';
export const TRIGGER_EVENTS = ['s3:ObjectCreated:*'] as const;
/** The handler string of the bundled function (index.mjs exporting `handler`). */
export const FUNCTION_HANDLER = 'index.handler';

function plan<D, A>(type: ResourceType, name: string, desired: D, actual: A | null, differences: Difference[]): ResourcePlan<D, A> {
  const change: Change = actual === null ? 'create' : differences.length > 0 ? 'update' : 'none';
  return { type, name, desired, actual, change, differences: actual === null ? [] : differences };
}

function differ(field: string, desired: unknown, actual: unknown): Difference[] {
  return stableJson(desired) === stableJson(actual) ? [] : [{ field, desired, actual }];
}

// ---- names and ARNs -------------------------------------------------------------------------------------

export interface Identity {
  account: string;
  region: string;
}

export function roleArn(settings: Pick<ResolvedSettings, 'roleName'>, identity: Identity): string {
  return `arn:${partitionOf(identity.region)}:iam::${identity.account}:role/${settings.roleName}`;
}

export function functionArn(settings: Pick<ResolvedSettings, 'functionName'>, identity: Identity): string {
  return `arn:${partitionOf(identity.region)}:lambda:${identity.region}:${identity.account}:function:${settings.functionName}`;
}

/** Where Lambda writes a function's logs. */
export function logGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

// ---- buckets --------------------------------------------------------------------------------------------

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export interface BucketState {
  publicAccessBlock: PublicAccessBlock;
  /** The default encryption algorithm (AES256, aws:kms, ...), or null for none. */
  encryption: string | null;
}

export const DESIRED_PUBLIC_ACCESS_BLOCK: PublicAccessBlock = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

export const DESIRED_BUCKET: BucketState = { publicAccessBlock: DESIRED_PUBLIC_ACCESS_BLOCK, encryption: 'AES256' };

/** Encryption counts as in place when it is SSE-S3 or stronger (KMS): setup never downgrades someone's KMS. */
export function encryptionSatisfied(actual: string | null): boolean {
  return actual === 'AES256' || (actual !== null && actual.startsWith('aws:kms'));
}

/**
 * @param options.adopted - a bucket thumbctl adopted: its public access and encryption settings are its owner's,
 * so they are desired as they are (setup never changes them; only our trigger and tags go on it)
 */
export function planBucket(name: string, actual: BucketState | null, options: { adopted?: boolean } = {}): ResourcePlan<BucketState, BucketState> {
  const differences: Difference[] = [];
  if (actual && options.adopted) return plan('bucket', name, actual, actual, []);
  if (actual) {
    differences.push(...differ('publicAccessBlock', DESIRED_BUCKET.publicAccessBlock, actual.publicAccessBlock));
    if (!encryptionSatisfied(actual.encryption)) differences.push({ field: 'encryption', desired: DESIRED_BUCKET.encryption, actual: actual.encryption });
  }
  return plan('bucket', name, DESIRED_BUCKET, actual, differences);
}

// ---- IAM ------------------------------------------------------------------------------------------------

export interface RoleState {
  trustPolicy: PolicyDocument | undefined;
}

export function planRole(settings: Pick<ResolvedSettings, 'roleName'>, actual: RoleState | null, templates?: string): ResourcePlan<RoleState, RoleState> {
  const desired: RoleState = { trustPolicy: buildTrustPolicy(templates) };
  const differences: Difference[] = [];
  if (actual && !samePolicy(desired.trustPolicy, actual.trustPolicy)) differences.push({ field: 'trustPolicy', desired: desired.trustPolicy, actual: actual.trustPolicy });
  return plan('role', settings.roleName, desired, actual, differences);
}

export interface InlinePolicyState {
  document: PolicyDocument | undefined;
}

export function planAccessPolicy(settings: ResolvedSettings, region: string, actual: InlinePolicyState | null, templates?: string): ResourcePlan<InlinePolicyState, InlinePolicyState> {
  const desired: InlinePolicyState = { document: buildAccessPolicy({ sourceBucket: settings.sourceBucket, thumbnailBucket: settings.thumbnailBucket, region }, templates) };
  const differences: Difference[] = [];
  if (actual && !samePolicy(desired.document, actual.document)) differences.push({ field: 'document', desired: desired.document, actual: actual.document });
  return plan('policy', ACCESS_POLICY_NAME, desired, actual, differences);
}

export interface AttachmentState {
  arn: string;
  attached: boolean;
}

/** One plan per managed policy the role needs; `attachedArns` is what ListAttachedRolePolicies says (null: no role). */
export function planManagedPolicies(region: string, attachedArns: readonly string[] | null): ResourcePlan<AttachmentState, AttachmentState>[] {
  return MANAGED_POLICIES.map((policy) => {
    const arn = managedPolicyArn(policy, region);
    const attached = attachedArns !== null && attachedArns.includes(arn);
    return plan('policy', policy.name, { arn, attached: true }, attached ? { arn, attached: true } : null, []);
  });
}

// ---- the function ---------------------------------------------------------------------------------------

export interface FunctionState {
  runtime: string;
  handler: string;
  memory: number;
  timeout: number;
  architecture: string;
  role: string;
  environment: Record<string, string>;
  codeSha256: string;
}

/** Fields that change through UpdateFunctionCode; every other field goes through UpdateFunctionConfiguration. */
export const CODE_FIELDS: readonly (keyof FunctionState)[] = ['codeSha256', 'architecture'];

export function functionEnvironment(settings: ResolvedSettings): Record<string, string> {
  return {
    [ENV_VARS.thumbnailBucket]: settings.thumbnailBucket,
    [ENV_VARS.fit]: settings.fit,
    [ENV_VARS.maxSide]: String(settings.maxSize),
    // Only when there are variants: a function deployed before variants existed has no drift without them.
    ...(settings.variants.length > 0 ? { [ENV_VARS.variants]: variantsToJson(settings.variants) } : {}),
  };
}

export function desiredFunction(settings: ResolvedSettings, identity: Identity, codeSha256: string): FunctionState {
  return {
    runtime: settings.runtime,
    handler: FUNCTION_HANDLER,
    memory: settings.memory,
    timeout: settings.timeout,
    architecture: settings.architecture,
    role: roleArn(settings, identity),
    environment: functionEnvironment(settings),
    codeSha256,
  };
}

export function planFunction(name: string, desired: FunctionState, actual: FunctionState | null): ResourcePlan<FunctionState, FunctionState> {
  const differences: Difference[] = [];
  if (actual) {
    for (const field of Object.keys(desired) as (keyof FunctionState)[]) {
      if (field === 'environment') differences.push(...environmentDifferences(desired.environment, actual.environment));
      else differences.push(...differ(field, desired[field], actual[field]));
    }
  }
  return plan('function', name, desired, actual, differences);
}

/**
 * The environment's drift, with the variants named on their own (`variants`, as lists of entries) rather than hidden
 * in "environment differs"; the rest of the variables compare as one `environment` field. Fixing either is the same
 * UpdateFunctionConfiguration with the whole desired environment.
 */
function environmentDifferences(desired: Record<string, string>, actual: Record<string, string>): Difference[] {
  const { [ENV_VARS.variants]: desiredVariants, ...desiredRest } = desired;
  const { [ENV_VARS.variants]: actualVariants, ...actualRest } = actual;
  return [
    ...differ('environment', desiredRest, actualRest),
    ...differ('variants', variantEntries(desiredVariants, desired[ENV_VARS.fit]), variantEntries(actualVariants, actual[ENV_VARS.fit])),
  ];
}

/**
 * THUMBNAIL_VARIANTS as the entries it holds (`[]` when unset), in canonical form so that a list written by hand
 * compares equal to the same list written by setup; text the function would refuse is returned as it is.
 */
export function variantEntries(text: string | undefined, fit: string | undefined): VariantEntry[] | string {
  if (text === undefined || text.trim() === '') return [];
  // An entry without a fit takes the function's THUMBNAIL_FIT. The bounds were checked when the list was configured;
  // here only its meaning matters, so no maximum side is imposed.
  const defaultFit = fit?.trim().toLowerCase() === 'inside' ? 'inside' : 'cover';
  const parsed = parseVariantsJson(text, { maxSide: Number.MAX_SAFE_INTEGER, defaultFit });
  return parsed.ok ? (JSON.parse(variantsToJson(parsed.variants)) as VariantEntry[]) : text;
}

/** Splits a function plan's differences into what UpdateFunctionCode and UpdateFunctionConfiguration fix. */
export function functionChanges(functionPlan: ResourcePlan<FunctionState, FunctionState>): { code: boolean; configuration: boolean } {
  const fields = functionPlan.differences.map((difference) => difference.field as keyof FunctionState);
  return {
    code: fields.some((field) => CODE_FIELDS.includes(field)),
    configuration: fields.some((field) => !CODE_FIELDS.includes(field)),
  };
}

export interface PackageState {
  codeSha256: string;
  bytes?: number;
}

/** The package is "there" when the function runs exactly this zip; `deployed` is the function's CodeSha256. */
export function planPackage(name: string, desired: PackageState, deployed: string | null): ResourcePlan<PackageState, PackageState> {
  const actual = deployed === null ? null : { codeSha256: deployed };
  return plan('package', name, desired, actual, actual ? differ('codeSha256', desired.codeSha256, actual.codeSha256) : []);
}

export interface TracingState {
  mode: string;
}

/** Tracing exists only with the function: `actual` is null when there is no function. */
export function planTracing(name: string, actual: TracingState | null): ResourcePlan<TracingState, TracingState> {
  const desired = { mode: 'Active' };
  return plan('tracing', name, desired, actual, actual ? differ('mode', desired.mode, actual.mode) : []);
}

// ---- the permission -------------------------------------------------------------------------------------

export interface PermissionState {
  principal: string | undefined;
  action: string | undefined;
  sourceArn: string | undefined;
  sourceAccount: string | undefined;
}

export function desiredPermission(settings: ResolvedSettings, identity: Identity): PermissionState {
  return {
    principal: 's3.amazonaws.com',
    action: 'lambda:InvokeFunction',
    sourceArn: bucketArn(settings.sourceBucket, identity.region),
    sourceAccount: identity.account,
  };
}

/** Reads our statement out of a function's resource policy (GetPolicy's `Policy` text); null when absent. */
export function permissionFromPolicy(policyText: string | undefined, statementId = PERMISSION_STATEMENT_ID): PermissionState | null {
  if (!policyText) return null;
  let policy: { Statement?: unknown };
  try {
    policy = JSON.parse(policyText) as { Statement?: unknown };
  } catch {
    return null;
  }
  const statements = Array.isArray(policy.Statement) ? policy.Statement : policy.Statement ? [policy.Statement] : [];
  const statement = (statements as Record<string, any>[]).find((candidate) => candidate?.Sid === statementId);
  if (!statement) return null;
  const first = (value: unknown): string | undefined => (Array.isArray(value) ? (value[0] as string | undefined) : typeof value === 'string' ? value : undefined);
  const principal = typeof statement.Principal === 'string' ? statement.Principal : first(statement.Principal?.Service);
  const condition = (statement.Condition ?? {}) as Record<string, Record<string, unknown>>;
  const conditionValue = (operators: string[], key: string): string | undefined => {
    for (const operator of operators) {
      const block = condition[operator];
      if (!block) continue;
      const match = Object.entries(block).find(([name]) => name.toLowerCase() === key.toLowerCase());
      if (match) return first(match[1]);
    }
    return undefined;
  };
  return {
    principal,
    action: first(statement.Action),
    sourceArn: conditionValue(['ArnLike', 'ArnEquals', 'StringEquals', 'StringLike'], 'AWS:SourceArn'),
    sourceAccount: conditionValue(['StringEquals', 'StringLike'], 'AWS:SourceAccount'),
  };
}

export function planPermission(desired: PermissionState, actual: PermissionState | null): ResourcePlan<PermissionState, PermissionState> {
  const differences: Difference[] = [];
  if (actual) for (const field of Object.keys(desired) as (keyof PermissionState)[]) differences.push(...differ(field, desired[field], actual[field]));
  return plan('permission', PERMISSION_STATEMENT_ID, desired, actual, differences);
}

// ---- the trigger ----------------------------------------------------------------------------------------

/** One of our notification configurations, in a form that compares regardless of how S3 spells it. */
export interface TriggerConfiguration {
  id: string;
  functionArn: string;
  events: string[];
  suffix: string;
}

export interface TriggerState {
  configurations: TriggerConfiguration[];
}

/** The Id of our configuration for one suffix: `.jpg` → `thumbctl-jpg`, `.JPG` → `thumbctl-JPG`. */
export function triggerId(suffix: string): string {
  return `${TRIGGER_ID_PREFIX}${suffix.replace(/^\./, '').replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export function isOurConfiguration(configuration: { Id?: string }): boolean {
  return Boolean(configuration.Id?.startsWith(TRIGGER_ID_PREFIX));
}

export function desiredTrigger(settings: ResolvedSettings, targetArn: string): TriggerState {
  const configurations = settings.suffixes.map((suffix) => ({ id: triggerId(suffix), functionArn: targetArn, events: [...TRIGGER_EVENTS], suffix }));
  return { configurations: sortConfigurations(configurations) };
}

function sortConfigurations(configurations: TriggerConfiguration[]): TriggerConfiguration[] {
  return [...configurations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Our configurations as they stand on the bucket (normalised); null when the bucket has none of ours. */
export function triggerFromNotifications(notifications: NotificationConfiguration | null): TriggerState | null {
  const ours = (notifications?.LambdaFunctionConfigurations ?? []).filter(isOurConfiguration);
  if (ours.length === 0) return null;
  return {
    configurations: sortConfigurations(
      ours.map((configuration) => {
        const rules = configuration.Filter?.Key?.FilterRules ?? [];
        // S3 answers `Suffix` although it accepts `suffix`: names compare case-insensitively.
        const suffixRule = rules.find((rule) => rule.Name?.toLowerCase() === 'suffix');
        return {
          id: configuration.Id ?? '',
          functionArn: configuration.LambdaFunctionArn ?? '',
          events: [...(configuration.Events ?? [])].map(String).sort(),
          suffix: rules.length === 1 && suffixRule ? (suffixRule.Value ?? '') : stableJson(rules),
        };
      }),
    ),
  };
}

export function planTrigger(bucket: string, desired: TriggerState, actual: TriggerState | null): ResourcePlan<TriggerState, TriggerState> {
  return plan('trigger', bucket, desired, actual, actual ? differ('configurations', desired.configurations, actual.configurations) : []);
}

function toLambdaConfiguration(configuration: TriggerConfiguration): LambdaFunctionConfiguration {
  return {
    Id: configuration.id,
    LambdaFunctionArn: configuration.functionArn,
    Events: configuration.events as LambdaFunctionConfiguration['Events'],
    Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: configuration.suffix }] } },
  };
}

/**
 * The bucket's notification configuration with ours replaced by `desired` (or removed, when `desired` is
 * null) and everything else — other Lambda configurations, queues, topics, EventBridge — kept as it was.
 */
export function mergeNotifications(existing: NotificationConfiguration | null, desired: TriggerState | null): NotificationConfiguration {
  const merged: NotificationConfiguration = {};
  const others = (existing?.LambdaFunctionConfigurations ?? []).filter((configuration) => !isOurConfiguration(configuration));
  const lambdas = [...others, ...(desired?.configurations ?? []).map(toLambdaConfiguration)];
  if (existing?.TopicConfigurations?.length) merged.TopicConfigurations = existing.TopicConfigurations;
  if (existing?.QueueConfigurations?.length) merged.QueueConfigurations = existing.QueueConfigurations;
  if (lambdas.length) merged.LambdaFunctionConfigurations = lambdas;
  if (existing?.EventBridgeConfiguration) merged.EventBridgeConfiguration = existing.EventBridgeConfiguration;
  return merged;
}

// ---- ownership tags -----------------------------------------------------------------------------------------

/** Only the tags that record ownership (`thumbctl:*`): the owner's own tags are none of our business. */
export function ownershipTagsOf(tags: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => key.startsWith('thumbctl:')).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * The plan of an existing resource with its ownership tags compared too: `desired.tags` against `actual.tags`
 * (thumbctl's keys only), a `tags` difference when they differ. Absent resources are created with the tags.
 */
export function withOwnershipTags<P extends ResourcePlan>(resourcePlan: P, desiredTags: Readonly<Record<string, string>>, actualTags: Readonly<Record<string, string>>): P {
  const desired = { ...(resourcePlan.desired as object), tags: ownershipTagsOf(desiredTags) };
  if (resourcePlan.actual === null) return { ...resourcePlan, desired };
  const actual = { ...(resourcePlan.actual as object), tags: ownershipTagsOf(actualTags) };
  const differences = [...resourcePlan.differences, ...differ('tags', desired.tags, actual.tags)];
  return { ...resourcePlan, desired, actual, differences, change: differences.length > 0 ? 'update' : 'none' };
}

// ---- presenting plans -----------------------------------------------------------------------------------

export type ResourceState = 'present' | 'absent' | 'drifted';

export function stateOf(resourcePlan: Pick<ResourcePlan, 'change'>): ResourceState {
  return resourcePlan.change === 'create' ? 'absent' : resourcePlan.change === 'update' ? 'drifted' : 'present';
}

/** Desired and actual narrowed to what differs, for a readable "desired {memory: 512}, actual {memory: 256}". */
export function driftSummary(resourcePlan: Pick<ResourcePlan, 'differences'>): { desired: Record<string, unknown>; actual: Record<string, unknown> } {
  const desired: Record<string, unknown> = {};
  const actual: Record<string, unknown> = {};
  for (const difference of resourcePlan.differences) {
    desired[difference.field] = difference.desired;
    actual[difference.field] = difference.actual;
  }
  return { desired, actual };
}
