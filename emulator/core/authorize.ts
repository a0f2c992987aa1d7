// IAM enforcement for calls signed with credentials the local cloud issued to a function environment: the
// call is checked against the function role's policies (managed and inline), and refused with AccessDenied
// as AWS refuses it. Calls signed with any other key (the person's, the CLI's) keep full access, like the
// account's administrator. Routers ask; this decides; the IAM store evaluates.
import type { CloudContext } from './context.js';
import { AwsError } from './errors.js';
import type { CallerCredentials } from './http.js';

export interface Permission {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

/** AWS's words for a call no identity-based policy allows (or one explicitly denies). */
export class AccessDeniedError extends AwsError {
  constructor(principalArn: string, permission: Permission, explicit: boolean) {
    const because = explicit ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${permission.action} action`;
    super('AccessDenied', `User: ${principalArn} is not authorized to perform: ${permission.action} on resource: "${permission.resource}" ${because}`, 403);
  }
}

/**
 * Throws AccessDeniedError when the caller is a function environment whose role does not allow the call.
 * @param context - the cloud (its credential registry and IAM store)
 * @param caller - the request's credentials, from its SigV4 scope
 * @param permission - the action and resource the call needs
 */
export function authorize(context: CloudContext, caller: CallerCredentials | undefined, permission: Permission): void {
  if (!caller) return;
  const roleArn = context.credentials?.principalOf(caller.accessKeyId);
  if (!roleArn) return;
  const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  const decision = context.stores.iam?.evaluateRolePolicies(roleName, permission) ?? 'implicit-deny';
  if (decision === 'allow') return;
  const account = /^arn:aws:iam::(\d{12}):/.exec(roleArn)?.[1] ?? context.settings.accountId;
  throw new AccessDeniedError(`arn:aws:sts::${account}:assumed-role/${roleName}/${roleName}`, permission, decision === 'explicit-deny');
}
