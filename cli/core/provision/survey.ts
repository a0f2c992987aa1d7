// The whole picture at once: every resource observed (read-only calls, in parallel where they are
// independent) and planned against what the settings ask for. `setup --dry-run` and `status` are views
// of this survey; setup itself plans step by step because later steps depend on earlier ones.
import type { ResolvedSettings } from '../settings.js';
import type { ProvisionClients } from './aws.js';
import { observeAttachedPolicies, observeBucket, observeFunction, observeInlinePolicy, observeNotifications, observePermission, observeRole, functionState } from './observe.js';
import { ACCESS_POLICY_NAME } from './policies.js';
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
  type Identity,
  type ResourcePlan,
} from './plan.js';
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';

export interface Survey {
  plans: ResourcePlan[];
  /** The function as it is, when it exists. */
  configuration: FunctionConfiguration | null;
  functionArn: string;
  roleArn: string;
}

export function packageName(settings: Pick<ResolvedSettings, 'functionName' | 'architecture'>): string {
  return `${settings.functionName}-${settings.architecture}.zip`;
}

/** Observes every resource and plans it; `codeSha256`/`packageBytes` describe the package setup would deploy. */
export async function survey(
  clients: ProvisionClients,
  settings: ResolvedSettings,
  identity: Identity,
  packageInfo: { codeSha256: string; bytes: number },
): Promise<Survey> {
  const [source, thumbnails, role, inline, attached, configuration] = await Promise.all([
    observeBucket(clients, settings.sourceBucket),
    observeBucket(clients, settings.thumbnailBucket),
    observeRole(clients, settings.roleName),
    observeInlinePolicy(clients, settings.roleName, ACCESS_POLICY_NAME),
    observeAttachedPolicies(clients, settings.roleName),
    observeFunction(clients, settings.functionName),
  ]);
  const [permission, notifications] = await Promise.all([
    configuration ? observePermission(clients, settings.functionName) : null,
    source ? observeNotifications(clients, settings.sourceBucket) : null,
  ]);

  const desired = desiredFunction(settings, identity, packageInfo.codeSha256);
  // A role found under a path (/service-role/...) has its own ARN; the function must name that one.
  if (role?.arn) desired.role = role.arn;
  const arn = configuration?.FunctionArn ?? functionArn(settings, identity);
  const actualFunction = configuration ? functionState(configuration) : null;

  const plans: ResourcePlan[] = [
    planBucket(settings.sourceBucket, source),
    planBucket(settings.thumbnailBucket, thumbnails),
    planRole(settings, role ? { trustPolicy: role.trustPolicy } : null),
    planAccessPolicy(settings, identity.region, inline),
    ...planManagedPolicies(identity.region, role ? attached : null),
    planPackage(packageName(settings), { codeSha256: packageInfo.codeSha256, bytes: packageInfo.bytes }, actualFunction ? actualFunction.codeSha256 : null),
    planFunction(settings.functionName, desired, actualFunction),
    planTracing(settings.functionName, configuration ? { mode: configuration.TracingConfig?.Mode ?? 'PassThrough' } : null),
    planPermission(desiredPermission(settings, identity), permission),
    planTrigger(settings.sourceBucket, desiredTrigger(settings, arn), triggerFromNotifications(notifications)),
  ];
  return { plans, configuration, functionArn: arn, roleArn: desired.role };
}
