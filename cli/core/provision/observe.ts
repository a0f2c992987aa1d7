// Reads what is actually there, resource by resource, with read-only calls only. "Not found" is an
// answer (null), not an error; anything else (access denied, a bucket owned by someone else) is thrown.
// setup, status and `setup --dry-run` all observe through these functions, so they agree on what they see.
import { HeadBucketCommand, GetBucketEncryptionCommand, GetPublicAccessBlockCommand, GetBucketNotificationConfigurationCommand, type NotificationConfiguration } from '@aws-sdk/client-s3';
import { GetRoleCommand, GetRolePolicyCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, GetPolicyCommand, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import { UserError } from '../../output.js';
import { httpStatus, isError, type ProvisionClients } from './aws.js';
import { decodePolicyDocument } from './policies.js';
import { DESIRED_PUBLIC_ACCESS_BLOCK, permissionFromPolicy, type BucketState, type FunctionState, type PermissionState } from './plan.js';

/** True when the bucket exists and is ours; false when there is no such bucket. */
export async function bucketExists(clients: Pick<ProvisionClients, 's3'>, bucket: string): Promise<boolean> {
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    if (httpStatus(error) === 404 || isError(error, 'NotFound', 'NoSuchBucket')) return false;
    if (httpStatus(error) === 301 || isError(error, 'PermanentRedirect')) {
      throw new UserError(`bucket "${bucket}" exists in another region than --region; use that region or choose another bucket name`);
    }
    if (httpStatus(error) === 403 || isError(error, 'Forbidden', 'AccessDenied')) {
      throw new UserError(`bucket "${bucket}" exists but these credentials cannot use it (another account may own it); choose another name with --source-bucket / --thumbnail-bucket`);
    }
    throw error;
  }
}

export async function observeBucket(clients: Pick<ProvisionClients, 's3'>, bucket: string): Promise<BucketState | null> {
  if (!(await bucketExists(clients, bucket))) return null;
  let publicAccessBlock = { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false };
  try {
    const answer = await clients.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    const configuration = answer.PublicAccessBlockConfiguration ?? {};
    publicAccessBlock = Object.fromEntries(
      Object.keys(DESIRED_PUBLIC_ACCESS_BLOCK).map((key) => [key, Boolean(configuration[key as keyof typeof configuration])]),
    ) as typeof publicAccessBlock;
  } catch (error) {
    if (!isError(error, 'NoSuchPublicAccessBlockConfiguration')) throw error;
  }
  let encryption: string | null = null;
  try {
    const answer = await clients.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    encryption = answer.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? null;
  } catch (error) {
    if (!isError(error, 'ServerSideEncryptionConfigurationNotFoundError')) throw error;
  }
  return { publicAccessBlock, encryption };
}

/** The bucket's whole notification configuration; null when the bucket does not exist. */
export async function observeNotifications(clients: Pick<ProvisionClients, 's3'>, bucket: string): Promise<NotificationConfiguration | null> {
  try {
    const answer = await clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    const { $metadata: _metadata, ...configuration } = answer;
    return configuration;
  } catch (error) {
    if (isError(error, 'NoSuchBucket') || httpStatus(error) === 404) return null;
    throw error;
  }
}

export interface ObservedRole {
  arn: string;
  trustPolicy: ReturnType<typeof decodePolicyDocument>;
  /** Its tags (GetRole returns them). */
  tags: Record<string, string>;
  description?: string;
}

export async function observeRole(clients: Pick<ProvisionClients, 'iam'>, roleName: string): Promise<ObservedRole | null> {
  try {
    const answer = await clients.iam.send(new GetRoleCommand({ RoleName: roleName }));
    return {
      arn: answer.Role?.Arn ?? '',
      trustPolicy: decodePolicyDocument(answer.Role?.AssumeRolePolicyDocument),
      tags: Object.fromEntries((answer.Role?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
      ...(answer.Role?.Description === undefined ? {} : { description: answer.Role.Description }),
    };
  } catch (error) {
    if (isError(error, 'NoSuchEntity', 'NoSuchEntityException')) return null;
    throw error;
  }
}

/** The inline policy's document; null when the role or the policy does not exist. */
export async function observeInlinePolicy(clients: Pick<ProvisionClients, 'iam'>, roleName: string, policyName: string) {
  try {
    const answer = await clients.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    return { document: decodePolicyDocument(answer.PolicyDocument) };
  } catch (error) {
    if (isError(error, 'NoSuchEntity', 'NoSuchEntityException')) return null;
    throw error;
  }
}

/** ARNs of the managed policies attached to the role; null when there is no role. */
export async function observeAttachedPolicies(clients: Pick<ProvisionClients, 'iam'>, roleName: string): Promise<string[] | null> {
  const arns: string[] = [];
  let marker: string | undefined;
  try {
    for (let page = 0; page < 100; page++) {
      const answer = await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
      for (const policy of answer.AttachedPolicies ?? []) if (policy.PolicyArn) arns.push(policy.PolicyArn);
      if (!answer.IsTruncated || !answer.Marker) break;
      marker = answer.Marker;
    }
  } catch (error) {
    if (isError(error, 'NoSuchEntity', 'NoSuchEntityException')) return null;
    throw error;
  }
  return arns;
}

export async function observeFunction(clients: Pick<ProvisionClients, 'lambda'>, functionName: string): Promise<FunctionConfiguration | null> {
  try {
    const answer = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    const { $metadata: _metadata, ...configuration } = answer;
    return configuration;
  } catch (error) {
    if (isError(error, 'ResourceNotFoundException')) return null;
    throw error;
  }
}

/** A function configuration in the shape the plan compares. */
export function functionState(configuration: FunctionConfiguration): FunctionState {
  const environment = configuration.Environment?.Variables ?? {};
  return {
    runtime: configuration.Runtime ?? '',
    handler: configuration.Handler ?? '',
    memory: configuration.MemorySize ?? 0,
    timeout: configuration.Timeout ?? 0,
    architecture: configuration.Architectures?.[0] ?? 'x86_64',
    role: configuration.Role ?? '',
    environment: Object.fromEntries(Object.entries(environment).sort(([a], [b]) => (a < b ? -1 : 1))),
    codeSha256: configuration.CodeSha256 ?? '',
  };
}

/** Our statement in the function's resource policy; null when the function, its policy or the statement is absent. */
export async function observePermission(clients: Pick<ProvisionClients, 'lambda'>, functionName: string): Promise<PermissionState | null> {
  try {
    const answer = await clients.lambda.send(new GetPolicyCommand({ FunctionName: functionName }));
    return permissionFromPolicy(answer.Policy);
  } catch (error) {
    if (isError(error, 'ResourceNotFoundException')) return null;
    throw error;
  }
}
