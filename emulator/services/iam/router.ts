// IAM's wire side: reads Query-protocol requests (`Action=CreateRole&Version=2010-05-08&...`, POSTed or
// in the query string), calls the store, and writes IAM's XML. Output shapes are the SDK's own types.
// Policy documents go out percent-encoded as IAM sends them (uriEncode: RFC 3986), so `decodeURIComponent`
// in SDK callers and `unquote` in the CLI give back the exact text.
import type { AttachedPolicy, Policy, PolicyVersion, Role, RoleLastUsed } from '@aws-sdk/client-iam';
import { uriEncode } from '../../core/auth.js';
import type { Authorizer } from '../../core/authorize.js';
import type { ServiceRouter } from '../../core/http.js';
import { Constraint } from '../../core/constraints.js';
import { queryServiceRouter, type QueryOperation, type QueryParams } from '../../core/query-protocol.js';
import { NotImplemented, ValidationError } from './errors.js';
import type { IamStore, Page, PolicyRecord, RoleRecord, RoleTag } from './store.js';

export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

export function createIamRouter(store: IamStore, authorizer: Authorizer): ServiceRouter {
  return queryServiceRouter('iam', {
    namespace: IAM_NAMESPACE,
    operations: iamOperations(store),
    authorizer,
    // An operation we do not model answers 501 and names itself, instead of failing strangely.
    notImplemented: (action) => new NotImplemented(`IAM ${action}`),
  });
}

/**
 * What an operation on one role needs: the action on the role's ARN (its path included), as the Service
 * Authorization Reference lists it. IAM's denial names the role as `role <name>`; so do we.
 */
function onRole(store: IamStore, action: string, context?: (params: QueryParams) => Record<string, string>): QueryOperation['permissions'] {
  return (params) => {
    const roleName = params.required('RoleName');
    return [{ action, resource: store.roleArnFor(roleName), label: `role ${roleName}`, ...(context ? { context: context(params) } : {}) }];
  };
}

/** What an operation on one managed policy needs: the action on the policy's ARN. */
function onPolicy(action: string): QueryOperation['permissions'] {
  return (params) => [{ action, resource: params.required('PolicyArn') }];
}

/** Each operation: the permission it needs, then parameters in, the Result element's children out (undefined: no Result element). */
export function iamOperations(store: IamStore): Record<string, QueryOperation> {
  return {
    CreateRole: {
      permissions: (params) => {
        const roleArn = store.roleArnFor(params.required('RoleName'), params.get('Path') ?? '/');
        return [{ action: 'iam:CreateRole', resource: roleArn }];
      },
      run: (params) => {
        // Permissions boundaries are not modelled; refusing beats silently dropping a security control.
        if (params.has('PermissionsBoundary')) throw new NotImplemented('IAM CreateRole with PermissionsBoundary');
        const role = store.createRole({
          roleName: params.required('RoleName'),
          assumeRolePolicyDocument: params.required('AssumeRolePolicyDocument'),
          path: params.get('Path'),
          description: params.get('Description'),
          maxSessionDuration: params.integer('MaxSessionDuration'),
          tags: readTags(params, 'Tags'),
        });
        return { Role: roleShape(role, 'created') };
      },
    },
    GetRole: {
      permissions: onRole(store, 'iam:GetRole'),
      run: (params) => ({ Role: roleShape(store.getRole(params.required('RoleName')), 'full') }),
    },
    ListRoles: {
      // IAM scopes a listing by its path prefix: `arn:aws:iam::<account>:role/<prefix>`.
      permissions: (params) => [{ action: 'iam:ListRoles', resource: store.roleArnFor('', params.get('PathPrefix') ?? '/') }],
      run: (params) => {
        const page = store.listRoles({ pathPrefix: params.get('PathPrefix'), ...pageRequest(params) });
        return { Roles: page.items.map((role) => roleShape(role, 'listed')), ...pageTail(page) };
      },
    },
    UpdateRole: {
      permissions: onRole(store, 'iam:UpdateRole'),
      run: (params) => {
        store.updateRole(params.required('RoleName'), {
          description: params.get('Description'),
          maxSessionDuration: params.integer('MaxSessionDuration'),
        });
        return {};
      },
    },
    UpdateRoleDescription: {
      permissions: onRole(store, 'iam:UpdateRoleDescription'),
      run: (params) => {
        const role = store.updateRole(params.required('RoleName'), { description: params.required('Description') });
        return { Role: roleShape(role, 'full') };
      },
    },
    DeleteRole: {
      permissions: onRole(store, 'iam:DeleteRole'),
      run: (params) => {
        store.deleteRole(params.required('RoleName'));
        return undefined;
      },
    },
    UpdateAssumeRolePolicy: {
      permissions: onRole(store, 'iam:UpdateAssumeRolePolicy'),
      run: (params) => {
        store.updateAssumeRolePolicy(params.required('RoleName'), params.required('PolicyDocument'));
        return undefined;
      },
    },

    AttachRolePolicy: {
      // iam:PolicyARN lets a policy say which managed policies may be attached.
      permissions: onRole(store, 'iam:AttachRolePolicy', (params) => ({ 'iam:PolicyARN': params.required('PolicyArn') })),
      run: (params) => {
        store.attachRolePolicy(params.required('RoleName'), params.required('PolicyArn'));
        return undefined;
      },
    },
    DetachRolePolicy: {
      permissions: onRole(store, 'iam:DetachRolePolicy', (params) => ({ 'iam:PolicyARN': params.required('PolicyArn') })),
      run: (params) => {
        store.detachRolePolicy(params.required('RoleName'), params.required('PolicyArn'));
        return undefined;
      },
    },
    ListAttachedRolePolicies: {
      permissions: onRole(store, 'iam:ListAttachedRolePolicies'),
      run: (params) => {
        const page = store.listAttachedRolePolicies(params.required('RoleName'), { pathPrefix: params.get('PathPrefix'), ...pageRequest(params) });
        const attached: AttachedPolicy[] = page.items.map((policy) => ({ PolicyName: policy.policyName, PolicyArn: policy.policyArn }));
        return { AttachedPolicies: attached, ...pageTail(page) };
      },
    },

    PutRolePolicy: {
      permissions: onRole(store, 'iam:PutRolePolicy'),
      run: (params) => {
        store.putRolePolicy(params.required('RoleName'), params.required('PolicyName'), params.required('PolicyDocument'));
        return undefined;
      },
    },
    GetRolePolicy: {
      permissions: onRole(store, 'iam:GetRolePolicy'),
      run: (params) => {
        const policy = store.getRolePolicy(params.required('RoleName'), params.required('PolicyName'));
        return { RoleName: policy.roleName, PolicyName: policy.policyName, PolicyDocument: uriEncode(policy.document) };
      },
    },
    DeleteRolePolicy: {
      permissions: onRole(store, 'iam:DeleteRolePolicy'),
      run: (params) => {
        store.deleteRolePolicy(params.required('RoleName'), params.required('PolicyName'));
        return undefined;
      },
    },
    ListRolePolicies: {
      permissions: onRole(store, 'iam:ListRolePolicies'),
      run: (params) => {
        const page = store.listRolePolicies(params.required('RoleName'), pageRequest(params));
        return { PolicyNames: page.items, ...pageTail(page) };
      },
    },

    TagRole: {
      permissions: onRole(store, 'iam:TagRole'),
      run: (params) => {
        store.tagRole(params.required('RoleName'), readTags(params, 'Tags'));
        return undefined;
      },
    },
    UntagRole: {
      permissions: onRole(store, 'iam:UntagRole'),
      run: (params) => {
        store.untagRole(params.required('RoleName'), params.stringList('TagKeys'));
        return undefined;
      },
    },
    ListRoleTags: {
      permissions: onRole(store, 'iam:ListRoleTags'),
      run: (params) => {
        const page = store.listRoleTags(params.required('RoleName'), pageRequest(params));
        return { Tags: page.items, ...pageTail(page) };
      },
    },

    CreatePolicy: {
      permissions: (params) => [{ action: 'iam:CreatePolicy', resource: store.policyArnFor(params.required('PolicyName'), params.get('Path') ?? '/') }],
      run: (params) => {
        const policy = store.createPolicy({
          policyName: params.required('PolicyName'),
          policyDocument: params.required('PolicyDocument'),
          path: params.get('Path'),
          description: params.get('Description'),
          tags: readTags(params, 'Tags'),
        });
        return { Policy: policyShape(policy, 'created') };
      },
    },
    GetPolicy: {
      permissions: onPolicy('iam:GetPolicy'),
      run: (params) => ({ Policy: policyShape(store.getPolicy(params.required('PolicyArn')), 'full') }),
    },
    GetPolicyVersion: {
      permissions: onPolicy('iam:GetPolicyVersion'),
      run: (params) => {
        const version = store.getPolicyVersion(params.required('PolicyArn'), params.required('VersionId'));
        const shape: PolicyVersion = {
          Document: uriEncode(version.document),
          VersionId: version.versionId,
          IsDefaultVersion: version.isDefaultVersion,
          CreateDate: version.createDate,
        };
        return { PolicyVersion: shape };
      },
    },
    ListPolicyVersions: {
      permissions: onPolicy('iam:ListPolicyVersions'),
      run: (params) => {
        const policy = store.getPolicy(params.required('PolicyArn'));
        const version = store.getPolicyVersion(policy.arn, policy.defaultVersionId);
        const versions: PolicyVersion[] = [{ VersionId: version.versionId, IsDefaultVersion: true, CreateDate: version.createDate }];
        return { Versions: versions, IsTruncated: false };
      },
    },
    DeletePolicy: {
      permissions: onPolicy('iam:DeletePolicy'),
      run: (params) => {
        store.deletePolicy(params.required('PolicyArn'));
        return undefined;
      },
    },
    ListPolicies: {
      // ListPolicies has no resource type: only `"Resource": "*"` grants it. IAM's denial says `policy path /`.
      permissions: (params) => [{ action: 'iam:ListPolicies', resource: '*', label: `policy path ${params.get('PathPrefix') ?? '/'}` }],
      run: (params) => {
        const scope = params.get('Scope') ?? 'All';
        if (scope !== 'All' && scope !== 'AWS' && scope !== 'Local') {
          throw ValidationError.violated('scope', scope, Constraint.oneOf(['All', 'AWS', 'Local']));
        }
        const page = store.listPolicies({
          scope,
          onlyAttached: params.boolean('OnlyAttached'),
          pathPrefix: params.get('PathPrefix'),
          ...pageRequest(params),
        });
        return { Policies: page.items.map((policy) => policyShape(policy, 'listed')), ...pageTail(page) };
      },
    },
  };
}

/**
 * The Role structure in the element order IAM writes. CreateRole echoes the role without RoleLastUsed;
 * ListRoles leaves out Tags and RoleLastUsed (AWS documents that it does); GetRole has everything.
 */
function roleShape(role: RoleRecord, view: 'created' | 'listed' | 'full'): Role {
  const lastUsed: RoleLastUsed = role.lastUsed ? { LastUsedDate: role.lastUsed.date, Region: role.lastUsed.region } : {};
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: role.createDate,
    AssumeRolePolicyDocument: uriEncode(role.assumeRolePolicyDocument),
    Description: role.description,
    // CreateRole's answer leaves MaxSessionDuration out, as AWS's does.
    MaxSessionDuration: view === 'created' ? undefined : role.maxSessionDuration,
    Tags: view !== 'listed' && role.tags.length > 0 ? role.tags : undefined,
    RoleLastUsed: view === 'full' ? lastUsed : undefined,
  };
}

/** The Policy structure; CreatePolicy and ListPolicies leave out Description, as IAM does. */
function policyShape(policy: PolicyRecord, view: 'created' | 'listed' | 'full'): Policy {
  return {
    PolicyName: policy.policyName,
    PolicyId: policy.policyId,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: policy.defaultVersionId,
    AttachmentCount: policy.attachmentCount,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: view === 'full' ? policy.description : undefined,
    CreateDate: policy.createDate,
    UpdateDate: policy.updateDate,
    Tags: view !== 'listed' && policy.tags.length > 0 ? policy.tags : undefined,
  };
}

/** `Tags.member.N.Key` / `.Value`; both are required members of IAM's Tag. */
function readTags(params: QueryParams, prefix: string): RoleTag[] {
  return params.memberList(prefix).map((member) => {
    if (member.Key === undefined) throw ValidationError.missing('tags.X.member.key');
    if (member.Value === undefined) throw ValidationError.missing('tags.X.member.value');
    return { Key: member.Key, Value: member.Value };
  });
}

function pageRequest(params: QueryParams): { marker?: string; maxItems?: number } {
  return { marker: params.get('Marker'), maxItems: params.integer('MaxItems') };
}

/** IsTruncated always, Marker only when more follow: IAM's list shape. */
function pageTail(page: Page<unknown>): { IsTruncated: boolean; Marker?: string } {
  return page.marker === undefined ? { IsTruncated: false } : { IsTruncated: true, Marker: page.marker };
}
