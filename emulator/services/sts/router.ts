// STS's wire side: Query-protocol requests in (`Action=AssumeRole&Version=2011-06-15&...`), STS's XML out,
// under its own namespace. The caller is whoever the SigV4 credential scope names (verified only under
// --require-auth); what a role caller may do is checked against its policies before an operation runs.
// Output shapes are the SDK's own types. PackedPolicySize is never reported (session policies are ignored).
import type { AssumedRoleUser, Credentials } from '@aws-sdk/client-sts';
import { identifyCaller, NO_PERMISSION_NEEDED, type Authorizer } from '../../core/authorize.js';
import type { CloudContext } from '../../core/context.js';
import type { ServiceRouter } from '../../core/http.js';
import { queryServiceRouter, type QueryOperation } from '../../core/query-protocol.js';
import { NotImplemented } from './errors.js';
import { refuseSessionCredentials, type StsStore, type TemporaryCredentials } from './store.js';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function createStsRouter(store: StsStore, context: CloudContext, authorizer: Authorizer): ServiceRouter {
  return queryServiceRouter('sts', {
    namespace: STS_NAMESPACE,
    operations: stsOperations(store, context),
    authorizer,
    // An operation we do not model answers 501 and names itself, instead of failing strangely.
    notImplemented: (action) => new NotImplemented(`STS ${action}`),
  });
}

/** Each operation: the permission it needs, then parameters in, the Result element's children out. */
export function stsOperations(store: StsStore, context: CloudContext): Record<string, QueryOperation> {
  return {
    GetCallerIdentity: {
      // AWS answers GetCallerIdentity for any valid key, whatever its policies say; so do we.
      permissions: () => NO_PERMISSION_NEEDED,
      run: (_params, request) => {
        const identity = store.getCallerIdentity(identifyCaller(context, request.caller));
        // AWS's element order: Arn, UserId, Account.
        return { Arn: identity.arn, UserId: identity.userId, Account: identity.account };
      },
    },
    AssumeRole: {
      // The caller's own policies must allow sts:AssumeRole on the role; the role's trust policy is the store's check.
      permissions: (params) => [{ action: 'sts:AssumeRole', resource: params.required('RoleArn') }],
      run: (params, request) => {
        const assumed = store.assumeRole({
          roleArn: params.required('RoleArn'),
          roleSessionName: params.required('RoleSessionName'),
          durationSeconds: params.integer('DurationSeconds'),
          region: request.region,
          caller: identifyCaller(context, request.caller),
        });
        const user: AssumedRoleUser = { Arn: assumed.assumedRoleUser.arn, AssumedRoleId: assumed.assumedRoleUser.assumedRoleId };
        return { AssumedRoleUser: user, Credentials: credentialsShape(assumed.credentials) };
      },
    },
    GetSessionToken: {
      // Session credentials (every role session) are refused before any policy is read, in the store.
      permissions: () => NO_PERMISSION_NEEDED,
      run: (params, request) => {
        const credentials = store.getSessionToken({
          durationSeconds: params.integer('DurationSeconds'),
          caller: identifyCaller(context, request.caller),
        });
        return { Credentials: credentialsShape(credentials) };
      },
    },
    GetFederationToken: {
      // Not modelled (federated users and their session policies), except AWS's first rule: session
      // credentials may not call it. Anyone else is told it is not implemented.
      permissions: () => NO_PERMISSION_NEEDED,
      run: (_params, request) => {
        refuseSessionCredentials(identifyCaller(context, request.caller), 'GetFederationToken');
        throw new NotImplemented('STS GetFederationToken');
      },
    },
  };
}

function credentialsShape(credentials: TemporaryCredentials): Credentials {
  return {
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: credentials.expiration,
  };
}
