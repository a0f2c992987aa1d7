// IAM enforcement for calls signed with keys that stand for a role: keys the local cloud issued to function
// environments (the function's role; the session is named after the function) and temporary keys from STS
// AssumeRole. Each such call is checked against the role's identity-based policies, managed and inline, and
// refused with the protocol's own AccessDenied in AWS's words. Every other key (the configured one, any key in
// any-key mode, the administrator's GetSessionToken keys) keeps full access, like the account's administrator.
// Routers declare what each operation needs (an action and resource per operation, in their operation tables);
// this module decides; the IAM store evaluates. An operation that declares nothing is refused to role callers.
// Not modelled: resource-based policies, SCPs, permission boundaries, session policies.
import type { CloudContext } from './context.js';
import { AwsError } from './errors.js';
import type { CallerCredentials } from './http.js';
import type { ServiceName } from './routing.js';

/** One thing a call needs: `s3:GetObject` on `arn:aws:s3:::bucket/key`, with its condition keys. */
export interface Permission {
  action: string;
  /** The resource as IAM evaluates it: an ARN, or `*` for actions without a resource type. */
  resource: string;
  /**
   * How AWS names the resource in its denial message, when not the bare ARN: S3 quotes it
   * (`"arn:aws:s3:::b/k"`), IAM writes `role <name>` for operations on an existing role.
   */
  label?: string;
  /** Condition keys of the request (`iam:PolicyARN`, `s3:versionid`); the aws: global keys are added here. */
  context?: Record<string, string | string[]>;
}

/** The operations AWS lets any signed caller make without a policy (GetCallerIdentity is the example). */
export const NO_PERMISSION_NEEDED = 'no-permission-needed' as const;

/**
 * What one operation needs from a role caller's policies: every permission, checked in order (CopyObject needs
 * s3:PutObject on the target and s3:GetObject on the source), or {@link NO_PERMISSION_NEEDED}.
 */
export type Requirement = readonly Permission[] | typeof NO_PERMISSION_NEEDED;

/** A role session: whom keys that stand for a role act as. */
export interface RoleSession {
  accountId: string;
  /** The role's ARN, path included (`arn:aws:iam::<account>:role/service-role/name`). */
  roleArn: string;
  roleName: string;
  /**
   * The role's unique id (`AROA...`) when the session began: a role deleted and created again under the same
   * name is another role, and allows this session nothing. Undefined: not pinned, the role of that name.
   */
  roleId: string | undefined;
  /** The function's name for a function environment, the RoleSessionName for AssumeRole. */
  sessionName: string;
}

/** Who is calling, as far as authorisation is concerned. */
export type CallerPrincipal =
  | {
      kind: 'administrator';
      accessKeyId: string | undefined;
      /** True for temporary keys STS handed the administrator (GetSessionToken): AWS's "session credentials". */
      sessionCredentials: boolean;
    }
  | { kind: 'role'; accessKeyId: string; session: RoleSession };

/** `arn:aws:sts::<account>:assumed-role/<role>/<session>`: the ARN carries no role path, as at AWS. */
export function assumedRoleArn(session: RoleSession): string {
  return `arn:aws:sts::${session.accountId}:assumed-role/${session.roleName}/${session.sessionName}`;
}

/** `<roleId>:<session>`, GetCallerIdentity's UserId for a role session. */
export function assumedRoleUserId(session: RoleSession): string {
  return `${session.roleId ?? session.roleName}:${session.sessionName}`;
}

/** The role name at the end of a role ARN (after its path). */
export function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

/**
 * Who signed a request: a role session for keys issued to a function environment or by STS AssumeRole, else
 * the account's administrator. Keys that are not `ASIA...` can be neither, so they cost no lookup.
 * @param context - the cloud (its credential registry and STS store)
 * @param caller - the request's credential scope
 */
export function identifyCaller(context: CloudContext, caller: CallerCredentials | undefined): CallerPrincipal {
  const accessKeyId = caller?.accessKeyId;
  if (accessKeyId === undefined || !accessKeyId.startsWith('ASIA')) return { kind: 'administrator', accessKeyId, sessionCredentials: false };
  const functionSession = context.credentials?.sessionOf(accessKeyId);
  if (functionSession) return { kind: 'role', accessKeyId, session: functionSession };
  const issued = context.stores.sts?.sessionOf(accessKeyId);
  if (issued?.kind === 'role') return { kind: 'role', accessKeyId, session: issued.session };
  return { kind: 'administrator', accessKeyId, sessionCredentials: issued?.kind === 'session-token' };
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

/**
 * Evaluates one permission for a role session: the role's policies as they are now. A session whose role has
 * since been deleted (or deleted and created again: a new role id) is allowed nothing, as at AWS.
 */
export function decideForRole(context: CloudContext, session: RoleSession, permission: Permission, region?: string): Decision {
  const iam = context.stores.iam;
  const role = iam?.roleByName(session.roleName);
  if (!iam || !role || (session.roleId !== undefined && role.roleId !== session.roleId)) return 'implicit-deny';
  const globalKeys: Record<string, string> = {
    'aws:PrincipalArn': role.arn,
    'aws:PrincipalAccount': session.accountId,
    'aws:PrincipalType': 'AssumedRole',
    'aws:userid': assumedRoleUserId(session),
    ...(region !== undefined ? { 'aws:RequestedRegion': region } : {}),
  };
  return iam.evaluateRolePolicies(role.roleName, { ...permission, context: { ...globalKeys, ...permission.context } });
}

/** AWS's wording of a refusal: which principal, which action, which resource, and why. */
export function accessDeniedMessage(principalArn: string, permission: Permission, decision: 'explicit-deny' | 'implicit-deny'): string {
  const because =
    decision === 'explicit-deny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${permission.action} action`;
  return `User: ${principalArn} is not authorized to perform: ${permission.action} on resource: ${permission.label ?? permission.resource} ${because}`;
}

/**
 * Each protocol's AccessDenied: S3, S3 Control and the Query services (IAM, STS) `AccessDenied` 403; the JSON services
 * `AccessDeniedException`, which Lambda and X-Ray answer with 403 and CloudWatch Logs (JSON 1.1) with 400.
 * AWS answers these codes and statuses; so do we.
 */
export function accessDeniedError(service: ServiceName, message: string): AwsError {
  switch (service) {
    case 's3':
    case 's3control':
    case 'iam':
    case 'sts':
      return new AwsError('AccessDenied', message, 403);
    case 'logs':
      return new AwsError('AccessDeniedException', message, 400);
    case 'lambda':
    case 'xray':
      return new AwsError('AccessDeniedException', message, 403);
  }
}

/** One service's gate: the routers call `check` once per operation, with what the operation's table entry declares. */
export class Authorizer {
  constructor(
    private readonly context: CloudContext,
    private readonly service: ServiceName,
  ) {}

  /**
   * Throws the protocol's AccessDenied unless the caller may make this call. The administrator may make any
   * call; a role session needs every permission of the requirement. An operation without a requirement is
   * refused to role sessions (fail closed), naming `<service>:<operation>` on `*`.
   * @param caller - the request's credential scope
   * @param requirement - what the operation's table entry declares (read only for role sessions, so the
   *   administrator's calls fail, if at all, exactly as before), or undefined when it declares nothing
   * @param operation - the AWS operation, e.g. `PutRolePolicy`
   */
  check(caller: CallerCredentials | undefined, requirement: (() => Requirement | undefined) | undefined, operation: string): void {
    const principal = identifyCaller(this.context, caller);
    if (principal.kind !== 'role') return;
    const declared = requirement?.();
    if (declared === NO_PERMISSION_NEEDED) return;
    const permissions = declared ?? [{ action: `${this.service}:${operation}`, resource: '*' }];
    for (const permission of permissions) this.require(principal.session, permission, caller?.region);
  }

  /**
   * The decision for one permission, for operations that authorise part by part (DeleteObjects, key by key).
   * @returns 'allow' for the administrator
   */
  decide(caller: CallerCredentials | undefined, permission: Permission): Decision {
    const principal = identifyCaller(this.context, caller);
    return principal.kind === 'role' ? decideForRole(this.context, principal.session, permission, caller?.region) : 'allow';
  }

  private require(session: RoleSession, permission: Permission, region: string | undefined): void {
    const decision = decideForRole(this.context, session, permission, region);
    if (decision !== 'allow') throw accessDeniedError(this.service, accessDeniedMessage(assumedRoleArn(session), permission, decision));
  }
}
