// The whole picture at once: every resource observed (read-only calls, in parallel where they are
// independent), who owns each (ownership.ts: the resources' tags) and each planned against what the settings ask
// for. `setup --dry-run` and `status` are views of this survey; setup itself plans step by step because later
// steps depend on earlier ones.
import type { ResolvedSettings } from '../settings.js';
import type { ProvisionClients } from './aws.js';
import { observeAttachedPolicies, observeBucket, observeInlinePolicy, observePermission, observeRole, functionState } from './observe.js';
import { ACCESS_POLICY_NAME } from './policies.js';
import { adoptedTags, createdTags, describeKind, surveyOwnership, type OwnedKind, type OwnedResource, type Owner, type OwnershipDecision } from './ownership.js';
import {
  desiredFunction,
  desiredPermission,
  desiredTrigger,
  functionArn,
  planAccessPolicy,
  planBucket,
  planFunction,
  planManagedPolicies,
  planPackage,
  planPermission,
  planRole,
  planTracing,
  planTrigger,
  triggerFromNotifications,
  withOwnershipTags,
  type Identity,
  type ResourcePlan,
  type ResourceState,
} from './plan.js';
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';

/** Who owns one of the stack's five resources, as the setup, status and teardown documents list them (`ownership`). */
export interface OwnershipEntry {
  type: OwnedKind;
  name: string;
  /** As read: created (by this stack), adopted (by it), other-stack, untagged, absent. */
  owner: Owner;
  /** The stack its thumbctl:stack tag names, when another. */
  stack?: string;
  /** status: present (ours or adopted), absent, or drifted (setup would tag it, or refuses it). */
  state?: ResourceState;
  /** setup: created, claimed (tagged as made by an older thumbctl), adopted, unchanged, kept (left untagged), planned (dry run). */
  action?: 'created' | 'claimed' | 'adopted' | 'unchanged' | 'kept' | 'planned';
  /** Dry run: what setup would do. */
  change?: 'create' | 'claim' | 'adopt';
  /** The proof for a claim, or why something is not ours. */
  reason?: string;
}

export interface Survey {
  plans: ResourcePlan[];
  /** The function as it is, when it exists. */
  configuration: FunctionConfiguration | null;
  functionArn: string;
  roleArn: string;
  /** The five owned resources (buckets, role, function, log group) and who owns them. */
  ownership: OwnershipEntry[];
}

export function packageName(settings: Pick<ResolvedSettings, 'functionName' | 'architecture'>): string {
  return `${settings.functionName}-${settings.architecture}.zip`;
}

/**
 * Observes every resource and plans it; `codeSha256`/`packageBytes` describe the package setup would deploy.
 * @param decisions - setup's ownership decisions (a dry run): plans then show the tagging setup would do. Without
 * them (status), each resource is desired as created by this stack, or as adopted when its tags say so.
 */
export async function survey(
  clients: ProvisionClients,
  settings: ResolvedSettings,
  identity: Identity,
  packageInfo: { codeSha256: string; bytes: number },
  decisions?: readonly OwnershipDecision[],
): Promise<Survey> {
  const [source, thumbnails, role, inline, attached, owned] = await Promise.all([
    observeBucket(clients, settings.sourceBucket),
    observeBucket(clients, settings.thumbnailBucket),
    observeRole(clients, settings.roleName),
    observeInlinePolicy(clients, settings.roleName, ACCESS_POLICY_NAME),
    observeAttachedPolicies(clients, settings.roleName),
    surveyOwnership(clients, settings, identity),
  ]);
  const { configuration, notifications } = owned;
  const permission = configuration ? await observePermission(clients, settings.functionName) : null;

  const desired = desiredFunction(settings, identity, packageInfo.codeSha256);
  // A role found under a path (/service-role/...) has its own ARN; the function must name that one.
  if (role?.arn) desired.role = role.arn;
  const arn = configuration?.FunctionArn ?? functionArn(settings, identity);
  const actualFunction = configuration ? functionState(configuration) : null;

  const entryOf = (kind: OwnedKind, name: string): OwnedResource => owned.resources.find((entry) => entry.kind === kind && entry.name === name)!;
  const decisionOf = (entry: OwnedResource): OwnershipDecision | undefined => decisions?.find((decision) => decision.kind === entry.kind && decision.name === entry.name);
  /** The tags a resource should carry: setup's decision, else what its owner implies (adopted stays adopted). */
  const tagsWanted = (entry: OwnedResource): Record<string, string> => {
    const decision = decisionOf(entry);
    if (decision) return decision.action === 'leave' ? entry.tags : decision.desiredTags;
    return entry.owner === 'adopted' ? adoptedTags(settings.stack) : createdTags(settings.stack);
  };
  const adopted = (entry: OwnedResource): boolean => entry.owner === 'adopted' || decisionOf(entry)?.action === 'adopt';
  const owning = <P extends ResourcePlan>(resourcePlan: P, entry: OwnedResource): P => withOwnershipTags(resourcePlan, tagsWanted(entry), entry.tags);

  const sourceEntry = entryOf('bucket', settings.sourceBucket);
  const thumbnailEntry = entryOf('bucket', settings.thumbnailBucket);
  const plans: ResourcePlan[] = [
    owning(planBucket(settings.sourceBucket, source, { adopted: adopted(sourceEntry) }), sourceEntry),
    owning(planBucket(settings.thumbnailBucket, thumbnails, { adopted: adopted(thumbnailEntry) }), thumbnailEntry),
    owning(planRole(settings, role ? { trustPolicy: role.trustPolicy } : null), entryOf('role', settings.roleName)),
    planAccessPolicy(settings, identity.region, inline),
    ...planManagedPolicies(identity.region, role ? attached : null),
    planPackage(packageName(settings), { codeSha256: packageInfo.codeSha256, bytes: packageInfo.bytes }, actualFunction ? actualFunction.codeSha256 : null),
    owning(planFunction(settings.functionName, desired, actualFunction), entryOf('function', settings.functionName)),
    planTracing(settings.functionName, configuration ? { mode: configuration.TracingConfig?.Mode ?? 'PassThrough' } : null),
    planPermission(desiredPermission(settings, identity), permission),
    planTrigger(settings.sourceBucket, desiredTrigger(settings, arn), triggerFromNotifications(notifications)),
  ];
  return { plans, configuration, functionArn: arn, roleArn: desired.role, ownership: owned.resources.map((entry) => ownershipEntry(entry, decisionOf(entry))) };
}

/** One resource's line in the `ownership` list: its state for status, or what setup would do (a dry run). */
export function ownershipEntry(entry: OwnedResource, decision?: OwnershipDecision): OwnershipEntry {
  const base: OwnershipEntry = { type: entry.kind, name: entry.name, owner: entry.owner, ...(entry.taggedStack && entry.owner === 'other-stack' ? { stack: entry.taggedStack } : {}) };
  if (decision) {
    const change = ({ create: 'create', claim: 'claim', adopt: 'adopt' } as const)[decision.action as 'create' | 'claim' | 'adopt'];
    if (change) return { ...base, action: 'planned', change, ...(decision.legacyEvidence && change === 'claim' ? { reason: decision.legacyEvidence } : {}) };
    if (decision.action === 'leave') return { ...base, action: 'kept', reason: `${describeKind(entry)} was not created by thumbctl: left as it is, and kept by teardown` };
    return { ...base, action: 'unchanged' };
  }
  switch (entry.owner) {
    case 'absent':
      return { ...base, state: 'absent' };
    case 'created':
    case 'adopted':
      return { ...base, state: 'present' };
    case 'other-stack':
      return { ...base, state: 'drifted', reason: `belongs to thumbctl stack "${entry.taggedStack}"` };
    default:
      if (entry.legacyEvidence) return { ...base, state: 'drifted', reason: `made by thumbctl before it tagged what it creates (${entry.legacyEvidence}): thumbctl setup records it` };
      // A log group Lambda made before our function, or after it was deleted: logs still flow; teardown keeps it.
      if (entry.kind === 'log-group') return { ...base, state: 'present', reason: 'not created by thumbctl: teardown keeps it' };
      return { ...base, state: 'drifted', reason: `not created by thumbctl: setup refuses it${entry.kind === 'bucket' ? ` (adopt it with --adopt-bucket ${entry.name})` : ''}` };
  }
}
