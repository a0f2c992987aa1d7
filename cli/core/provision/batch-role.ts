// The IAM role S3 Batch Operations runs a backfill job as, made only when asked (`setup --batch-operations-role`,
// or `backfill --via batch-operations --create-role`): trusted by batchoperations.s3.amazonaws.com, allowed to read
// backfill manifests and write reports under their prefixes in the thumbnails bucket and to invoke the thumbnailer,
// nothing else. Observe, then create or correct; a second run with nothing changed makes no mutating call. Teardown
// removes it only when its policy serves the deployment being torn down.
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { Reporter } from '../../output.js';
import { errorCode } from '../../../shared/retry.js';
import { decodePolicyDocument, fillTemplate, partitionOf, samePolicy, type PolicyDocument } from './policies.js';

/** The role's default name (`--batch-role-name` overrides it). */
export const BATCH_ROLE_DEFAULT_NAME = 'thumbctl-batch-operations-role';
/** The name of the inline policy on it. */
export const BATCH_POLICY_NAME = 'thumbctl-backfill';

/** Where backfill keeps its files in the thumbnails bucket: the role may touch nothing else there. */
export const BACKFILL_PREFIXES = {
  manifests: 'thumbctl-backfill/manifests/',
  reports: 'thumbctl-backfill/reports/',
} as const;

/** Who may assume the role: S3 Batch Operations. */
export function buildBatchTrustPolicy(): PolicyDocument {
  return fillTemplate('batch-operations-trust-policy.json', {});
}

/** What the job may do: read its manifest, write its report, invoke the function. */
export function buildBatchAccessPolicy(names: { thumbnailBucket: string; functionArn: string; region: string }): PolicyDocument {
  return fillTemplate('batch-operations-access-policy.json', {
    Partition: partitionOf(names.region),
    ThumbnailBucket: names.thumbnailBucket,
    ManifestPrefix: BACKFILL_PREFIXES.manifests,
    ReportPrefix: BACKFILL_PREFIXES.reports,
    FunctionArn: names.functionArn,
  });
}

export interface BatchRoleResult {
  roleArn: string;
  /** True when the role did not exist and was made now (on AWS a new role takes a few seconds to be usable). */
  created: boolean;
  /** True when its trust or access policy was corrected. */
  updated: boolean;
}

/**
 * Makes the role, or brings its two policies back to what they should be.
 * @param names - the role's name, the thumbnails bucket, the function's ARN and the region
 */
export async function ensureBatchRole(iam: IAMClient, names: { roleName: string; thumbnailBucket: string; functionArn: string; region: string }, reporter: Reporter): Promise<BatchRoleResult> {
  const trust = buildBatchTrustPolicy();
  const access = buildBatchAccessPolicy(names);
  let role;
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: names.roleName }))).Role;
  } catch (error) {
    if (errorCode(error) !== 'NoSuchEntity') throw error;
  }
  let created = false;
  let updated = false;
  if (!role) {
    const step = reporter.step(`creating role ${names.roleName} for S3 Batch Operations`);
    role = (
      await iam.send(
        new CreateRoleCommand({
          RoleName: names.roleName,
          AssumeRolePolicyDocument: JSON.stringify(trust),
          Description: 'thumbctl backfill: S3 Batch Operations reads the manifest, invokes the thumbnailer, writes the report',
        }),
      )
    ).Role;
    step.succeed(`created role ${names.roleName} for S3 Batch Operations`);
    created = true;
  } else if (!samePolicy(decodePolicyDocument(role.AssumeRolePolicyDocument), trust)) {
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: names.roleName, PolicyDocument: JSON.stringify(trust) }));
    reporter.info(`role ${names.roleName}: trust policy set to S3 Batch Operations`);
    updated = true;
  }
  let current: PolicyDocument | undefined;
  if (!created) {
    try {
      current = decodePolicyDocument((await iam.send(new GetRolePolicyCommand({ RoleName: names.roleName, PolicyName: BATCH_POLICY_NAME }))).PolicyDocument);
    } catch (error) {
      if (errorCode(error) !== 'NoSuchEntity') throw error;
    }
  }
  if (!samePolicy(current, access)) {
    await iam.send(new PutRolePolicyCommand({ RoleName: names.roleName, PolicyName: BATCH_POLICY_NAME, PolicyDocument: JSON.stringify(access) }));
    if (!created) reporter.info(`role ${names.roleName}: access policy ${BATCH_POLICY_NAME} updated`);
    updated = updated || !created;
  }
  return { roleArn: role!.Arn!, created, updated };
}

/** The role's ARN when it exists, else undefined. */
export async function findRoleArn(iam: IAMClient, roleName: string): Promise<string | undefined> {
  try {
    return (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.Arn;
  } catch (error) {
    if (errorCode(error) === 'NoSuchEntity') return undefined;
    throw error;
  }
}

/**
 * Teardown's part: deletes the role's policy and the role when that policy lets it into `thumbnailBucket` (the role
 * has one name per account, so another deployment's role is left alone). Nothing when there is no such role.
 * @returns what was deleted, in order (empty when nothing was)
 */
export async function removeBatchRole(iam: IAMClient, names: { roleName: string; thumbnailBucket: string }): Promise<{ type: 'policy' | 'role'; name: string }[]> {
  let document: PolicyDocument | undefined;
  try {
    document = decodePolicyDocument((await iam.send(new GetRolePolicyCommand({ RoleName: names.roleName, PolicyName: BATCH_POLICY_NAME }))).PolicyDocument);
  } catch (error) {
    if (errorCode(error) === 'NoSuchEntity') return [];
    throw error;
  }
  const statements = document ? [document.Statement].flat() : [];
  const resources = statements.flatMap((statement) => [statement.Resource ?? []].flat());
  if (!resources.some((resource) => typeof resource === 'string' && resource.startsWith('arn:') && resource.includes(`:s3:::${names.thumbnailBucket}/`))) return [];
  await iam.send(new DeleteRolePolicyCommand({ RoleName: names.roleName, PolicyName: BATCH_POLICY_NAME }));
  const deleted: { type: 'policy' | 'role'; name: string }[] = [{ type: 'policy', name: BATCH_POLICY_NAME }];
  try {
    await iam.send(new DeleteRoleCommand({ RoleName: names.roleName }));
    deleted.push({ type: 'role', name: names.roleName });
  } catch (error) {
    // Someone attached more to it: the role is theirs now; its thumbctl policy is gone either way.
    if (errorCode(error) !== 'DeleteConflict' && errorCode(error) !== 'NoSuchEntity') throw error;
  }
  return deleted;
}
