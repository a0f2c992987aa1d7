// Who owns each resource a stack names, read from the resources' own tags: the record travels with the resource,
// so teardown decides the same from any machine. Created by this stack (`thumbctl:managed=true` and
// `thumbctl:stack=<stack>`), adopted by it (`thumbctl:adopted=true`: used, never deleted), another stack's, or nobody's
// (no thumbctl tags). The decisions are pure functions of what was read: setup creates with the tags, adopts a bucket
// only when asked (--adopt-bucket), records ownership of what an older thumbctl provably made (see legacyEvidence),
// and refuses everything else; teardown deletes only what this stack created (or, with --force, also what carries
// no thumbctl tag). This module reads; the cores apply.
import { GetBucketTaggingCommand, type NotificationConfiguration } from '@aws-sdk/client-s3';
import { ListTagsCommand, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import { ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ENV_VARS } from '../../../function/config.js';
import { ExitCode, UserError } from '../../output.js';
import { defaultBucketNames, DEFAULT_STACK, type ResolvedSettings } from '../settings.js';
import { httpStatus, isError, type ProvisionClients } from './aws.js';
import { observeFunction, observeNotifications, observeRole } from './observe.js';
import { functionArn, isOurConfiguration, logGroupName, type Identity } from './plan.js';
import { partitionOf } from './policies.js';

/** The tags that record ownership. */
export const OWNERSHIP_TAGS = { stack: 'thumbctl:stack', managed: 'thumbctl:managed', adopted: 'thumbctl:adopted' } as const;

/**
 * What thumbctl has always written as the role's and the function's Description at creation (and never changes
 * afterwards): an untagged role or function carrying exactly this was made by an older thumbctl.
 */
export const ROLE_DESCRIPTION = 'Runs the thumbctl thumbnailer (managed by thumbctl)';
export const FUNCTION_DESCRIPTION = 'thumbctl thumbnailer: S3 upload in, thumbnail out';

export type OwnedKind = 'bucket' | 'role' | 'function' | 'log-group';

/**
 * `created`: this stack made it. `adopted`: this stack uses it and keeps it. `other-stack`: tagged for another
 * stack. `untagged`: no thumbctl tag (someone else's, or made by a thumbctl that did not tag yet). `absent`.
 */
export type Owner = 'created' | 'adopted' | 'other-stack' | 'untagged' | 'absent';

export interface OwnedResource {
  kind: OwnedKind;
  name: string;
  /** Buckets: which of the two it is. */
  purpose?: 'source' | 'thumbnails';
  owner: Owner;
  /** The stack its thumbctl:stack tag names, when it has one. */
  taggedStack?: string;
  /** Its tags as read (empty when absent). */
  tags: Record<string, string>;
  /** Untagged only: proof that an older thumbctl made it for this stack (what the proof is), else undefined. */
  legacyEvidence?: string;
}

/** The tags setup writes on what it creates. */
export function createdTags(stack: string): Record<string, string> {
  return { [OWNERSHIP_TAGS.stack]: stack, [OWNERSHIP_TAGS.managed]: 'true' };
}

/** The tags setup writes on a bucket it adopts. */
export function adoptedTags(stack: string): Record<string, string> {
  return { [OWNERSHIP_TAGS.stack]: stack, [OWNERSHIP_TAGS.adopted]: 'true' };
}

/** What the tags say about who owns a resource that exists. */
export function ownerOf(tags: Readonly<Record<string, string>>, stack: string): { owner: Exclude<Owner, 'absent'>; taggedStack?: string } {
  const taggedStack = tags[OWNERSHIP_TAGS.stack];
  const managed = tags[OWNERSHIP_TAGS.managed] === 'true';
  const adopted = tags[OWNERSHIP_TAGS.adopted] === 'true';
  if (taggedStack !== undefined && taggedStack !== stack) return { owner: 'other-stack', taggedStack };
  if (taggedStack === stack && managed) return { owner: 'created', taggedStack };
  if (taggedStack === stack && adopted) return { owner: 'adopted', taggedStack };
  return { owner: 'untagged', ...(taggedStack === undefined ? {} : { taggedStack }) };
}

// ---- reading ------------------------------------------------------------------------------------------------

/** A bucket's tags; null when there is no such bucket. */
export async function readBucketTags(clients: Pick<ProvisionClients, 's3'>, bucket: string): Promise<Record<string, string> | null> {
  try {
    const answer = await clients.s3.send(new GetBucketTaggingCommand({ Bucket: bucket }));
    return Object.fromEntries((answer.TagSet ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  } catch (error) {
    // S3 answers a bucket without tags with NoSuchTagSet (404), a missing bucket with NoSuchBucket.
    if (isError(error, 'NoSuchTagSet')) return {};
    if (isError(error, 'NoSuchBucket') || httpStatus(error) === 404) return null;
    throw error;
  }
}

export async function readFunctionTags(clients: Pick<ProvisionClients, 'lambda'>, arn: string): Promise<Record<string, string>> {
  const answer = await clients.lambda.send(new ListTagsCommand({ Resource: arn }));
  return { ...(answer.Tags ?? {}) };
}

/** The log group's ARN as the tagging operations take it (no trailing `:*`). */
export function logGroupArn(name: string, identity: Identity): string {
  return `arn:${partitionOf(identity.region)}:logs:${identity.region}:${identity.account}:log-group:${name}`;
}

/** A log group's tags; null when there is no such group. */
export async function readLogGroupTags(clients: Pick<ProvisionClients, 'logs'>, name: string, identity: Identity): Promise<Record<string, string> | null> {
  try {
    const answer = await clients.logs.send(new ListTagsForResourceCommand({ resourceArn: logGroupArn(name, identity) }));
    return { ...(answer.tags ?? {}) };
  } catch (error) {
    if (isError(error, 'ResourceNotFoundException')) return null;
    throw error;
  }
}

/** What the survey saw besides tags, for the legacy evidence (and for callers that need it again). */
export interface OwnershipObservation {
  resources: OwnedResource[];
  /** The function's configuration, when it exists. */
  configuration: FunctionConfiguration | null;
  /** The source bucket's notification configuration, when the bucket exists. */
  notifications: NotificationConfiguration | null;
}

/**
 * Reads who owns each of the stack's five resources (source bucket, thumbnails bucket, role, function, log group),
 * in that order, with read-only calls.
 */
export async function surveyOwnership(clients: ProvisionClients, settings: ResolvedSettings, identity: Identity): Promise<OwnershipObservation> {
  const logGroup = logGroupName(settings.functionName);
  const [sourceTags, thumbnailTags, role, configuration, logGroupTags] = await Promise.all([
    readBucketTags(clients, settings.sourceBucket),
    readBucketTags(clients, settings.thumbnailBucket),
    observeRole(clients, settings.roleName),
    observeFunction(clients, settings.functionName),
    readLogGroupTags(clients, logGroup, identity),
  ]);
  const [functionTags, notifications] = await Promise.all([
    configuration ? readFunctionTags(clients, configuration.FunctionArn ?? functionArn(settings, identity)) : null,
    sourceTags ? observeNotifications(clients, settings.sourceBucket) : null,
  ]);

  const resource = (kind: OwnedKind, name: string, tags: Record<string, string> | null, purpose?: OwnedResource['purpose']): OwnedResource => ({
    kind,
    name,
    ...(purpose ? { purpose } : {}),
    ...(tags === null ? { owner: 'absent' as const } : ownerOf(tags, settings.stack)),
    tags: tags ?? {},
  });
  const resources = [
    resource('bucket', settings.sourceBucket, sourceTags, 'source'),
    resource('bucket', settings.thumbnailBucket, thumbnailTags, 'thumbnails'),
    resource('role', settings.roleName, role ? role.tags : null),
    resource('function', settings.functionName, functionTags),
    resource('log-group', logGroup, logGroupTags),
  ];
  addLegacyEvidence(resources, { settings, identity, roleDescription: role?.description, configuration, notifications });
  return { resources, configuration, notifications };
}

/**
 * Marks the untagged resources an older thumbctl (before tags) provably made for this stack, with the proof:
 * - the role and the function: the Description thumbctl writes at creation, exactly;
 * - the log group: it is the log group of a function proven (or tagged) ours;
 * - a bucket: its name is the default thumbctl always derived (stack `thumbctl`, this account and region) and
 *   thumbctl's own wiring points at it from a function proven ours: our trigger on the source bucket invokes that
 *   function; the function writes to the thumbnails bucket. A bucket named explicitly never qualifies.
 */
export function addLegacyEvidence(
  resources: OwnedResource[],
  seen: { settings: ResolvedSettings; identity: Identity; roleDescription: string | undefined; configuration: FunctionConfiguration | null; notifications: NotificationConfiguration | null },
): void {
  const { settings, identity, configuration, notifications } = seen;
  const byKind = (kind: OwnedKind, purpose?: OwnedResource['purpose']) => resources.find((entry) => entry.kind === kind && entry.purpose === purpose);
  const untagged = (entry: OwnedResource | undefined): entry is OwnedResource => entry !== undefined && entry.owner === 'untagged' && entry.taggedStack === undefined;

  const role = byKind('role');
  if (untagged(role) && seen.roleDescription === ROLE_DESCRIPTION) role.legacyEvidence = `its description is thumbctl's ("${ROLE_DESCRIPTION}")`;
  const fn = byKind('function');
  if (untagged(fn) && configuration?.Description === FUNCTION_DESCRIPTION) fn.legacyEvidence = `its description is thumbctl's ("${FUNCTION_DESCRIPTION}")`;
  const functionOurs = fn !== undefined && (fn.owner === 'created' || fn.legacyEvidence !== undefined);

  const logGroup = byKind('log-group');
  if (untagged(logGroup) && functionOurs) logGroup.legacyEvidence = `it is the log group of function ${settings.functionName}, which thumbctl made`;

  if (!functionOurs || settings.stack !== DEFAULT_STACK || !configuration) return;
  const defaults = defaultBucketNames(DEFAULT_STACK, identity.account, identity.region);
  const source = byKind('bucket', 'source');
  const ourArn = configuration.FunctionArn ?? functionArn(settings, identity);
  const triggered = (notifications?.LambdaFunctionConfigurations ?? []).some((entry) => isOurConfiguration(entry) && entry.LambdaFunctionArn === ourArn);
  if (untagged(source) && source.name === defaults.sourceBucket && triggered) {
    source.legacyEvidence = "its name is thumbctl's default and thumbctl's trigger on it invokes the function thumbctl made";
  }
  const thumbnails = byKind('bucket', 'thumbnails');
  if (untagged(thumbnails) && thumbnails.name === defaults.thumbnailBucket && configuration.Environment?.Variables?.[ENV_VARS.thumbnailBucket] === thumbnails.name) {
    thumbnails.legacyEvidence = "its name is thumbctl's default and the function thumbctl made writes its thumbnails there";
  }
}

// ---- setup's decisions --------------------------------------------------------------------------------------

/**
 * What setup does about a resource's ownership: `create` it with our tags, `keep` it as it is ours (or adopted by
 * us), `claim` it (tag it as created: an older thumbctl provably made it), `adopt` it (a bucket named by
 * --adopt-bucket), or `leave` it untagged (a log group that was there before our function: kept by teardown).
 */
export type OwnershipAction = 'create' | 'keep' | 'claim' | 'adopt' | 'leave';

export interface OwnershipDecision extends OwnedResource {
  action: OwnershipAction;
  /** The tags the resource should carry afterwards (none for `leave`). */
  desiredTags: Record<string, string>;
}

/**
 * Decides setup's action for each resource, or refuses (one line naming the resource and the way out) when
 * setup would otherwise take over something it did not make.
 * @param adoptBuckets - the buckets named by --adopt-bucket
 * @throws UserError (exit 2) for a resource setup must not take over; nothing has been touched
 */
export function decideSetup(resources: readonly OwnedResource[], stack: string, adoptBuckets: readonly string[] = []): OwnershipDecision[] {
  const bucketNames = resources.filter((entry) => entry.kind === 'bucket').map((entry) => entry.name);
  for (const name of adoptBuckets) {
    if (!bucketNames.includes(name)) throw new UserError(`--adopt-bucket ${name} names neither the source bucket nor the thumbnails bucket (${bucketNames.join(', ')})`, ExitCode.usage);
    const bucket = resources.find((entry) => entry.kind === 'bucket' && entry.name === name)!;
    if (bucket.owner === 'absent') throw new UserError(`--adopt-bucket ${name}: there is no such bucket to adopt (setup creates it when absent: leave out --adopt-bucket)`, ExitCode.usage);
  }

  const otherStack = resources.find((entry) => entry.owner === 'other-stack');
  if (otherStack) {
    throw new UserError(
      `${describeKind(otherStack)} "${otherStack.name}" belongs to thumbctl stack "${otherStack.taggedStack}" (tag ${OWNERSHIP_TAGS.stack}=${otherStack.taggedStack}): run with --stack ${otherStack.taggedStack}, or choose another name`,
      ExitCode.usage,
    );
  }
  const foreignBuckets = resources.filter((entry) => entry.kind === 'bucket' && entry.owner === 'untagged' && !entry.legacyEvidence && !adoptBuckets.includes(entry.name));
  if (foreignBuckets.length > 0) {
    const names = foreignBuckets.map((entry) => `"${entry.name}"`).join(' and ');
    const flags = foreignBuckets.map((entry) => `--adopt-bucket ${entry.name}`).join(' ');
    throw new UserError(
      `${foreignBuckets.length > 1 ? 'buckets' : 'bucket'} ${names} ${foreignBuckets.length > 1 ? 'exist' : 'exists'} but thumbctl did not create ${foreignBuckets.length > 1 ? 'them' : 'it'} (no ${OWNERSHIP_TAGS.managed} tag): to use ${foreignBuckets.length > 1 ? 'them' : 'it'} and keep ${foreignBuckets.length > 1 ? 'them' : 'it'}, objects and all, through teardown, run setup again with ${flags}`,
      ExitCode.usage,
    );
  }
  for (const kind of ['role', 'function'] as const) {
    const entry = resources.find((candidate) => candidate.kind === kind);
    if (entry && entry.owner === 'untagged' && !entry.legacyEvidence) {
      const flag = kind === 'role' ? '--role-name' : '--function-name';
      throw new UserError(
        `${kind} "${entry.name}" exists but thumbctl did not create it (no ${OWNERSHIP_TAGS.managed} tag), and thumbctl will not change or delete a ${kind} it did not make: choose another name with ${flag} or --stack`,
        ExitCode.usage,
      );
    }
  }

  return resources.map((entry): OwnershipDecision => {
    const adopting = entry.kind === 'bucket' && adoptBuckets.includes(entry.name);
    switch (entry.owner) {
      case 'absent':
        return { ...entry, action: 'create', desiredTags: createdTags(stack) };
      case 'created':
        return { ...entry, action: 'keep', desiredTags: createdTags(stack) };
      case 'adopted':
        return { ...entry, action: 'keep', desiredTags: adoptedTags(stack) };
      default:
        // Untagged: adopted on request (a bucket made by an older thumbctl too: asking to keep it wins), claimed on proof.
        if (adopting) return { ...entry, action: 'adopt', desiredTags: adoptedTags(stack) };
        if (entry.legacyEvidence) return { ...entry, action: 'claim', desiredTags: createdTags(stack) };
        return { ...entry, action: 'leave', desiredTags: {} };
    }
  });
}

/** `bucket`, `role`, `function`, `log group`. */
export function describeKind(entry: Pick<OwnedResource, 'kind'>): string {
  return entry.kind === 'log-group' ? 'log group' : entry.kind;
}

// ---- teardown's decisions -----------------------------------------------------------------------------------

/**
 * `delete`: ours (or untagged, with --force). `release`: adopted by this stack: only our notification
 * configurations, our tags and (on request) the thumbnails our function wrote go. `keep`: not ours, with the reason.
 */
export type TeardownDecision = { action: 'delete' | 'absent' | 'release' } | { action: 'keep'; reason: string };

export function decideTeardown(entry: OwnedResource, force: boolean): TeardownDecision {
  switch (entry.owner) {
    case 'absent':
      return { action: 'absent' };
    case 'created':
      return { action: 'delete' };
    case 'adopted':
      return { action: 'release' };
    case 'other-stack':
      return { action: 'keep', reason: `belongs to thumbctl stack "${entry.taggedStack}"` };
    default:
      if (force) return { action: 'delete' };
      return {
        action: 'keep',
        reason: entry.legacyEvidence
          ? `carries no thumbctl tag (made before thumbctl tagged what it creates: run thumbctl setup once to record it, or teardown --force)`
          : 'not created by thumbctl: it carries no thumbctl tag (teardown --force deletes it anyway)',
      };
  }
}
