// STS's wire side: Query-protocol requests in (`Action=AssumeRole&Version=2011-06-15&...`), STS's XML out,
// under its own namespace. The caller is whoever the SigV4 credential scope names; nothing is verified.
// Output shapes are the SDK's own types. PackedPolicySize is never reported (session policies are ignored).
import type { AssumedRoleUser, Credentials } from '@aws-sdk/client-sts';
import type { ServiceRouter } from '../../core/http.js';
import { queryServiceRouter, type QueryOperation } from '../../core/query-protocol.js';
import { NotImplementedError } from './errors.js';
import type { StsStore, TemporaryCredentials } from './store.js';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function createStsRouter(store: StsStore): ServiceRouter {
  return queryServiceRouter('sts', {
    namespace: STS_NAMESPACE,
    operations: stsOperations(store),
    // An operation we do not model answers 501 and names itself, instead of failing strangely.
    notImplemented: (action) => new NotImplementedError(`STS ${action}`),
  });
}

function stsOperations(store: StsStore): Record<string, QueryOperation> {
  return {
    GetCallerIdentity: (_params, request) => {
      const identity = store.getCallerIdentity(request.caller?.accessKeyId);
      // AWS's element order: Arn, UserId, Account.
      return { Arn: identity.arn, UserId: identity.userId, Account: identity.account };
    },
    AssumeRole: (params, request) => {
      const assumed = store.assumeRole({
        roleArn: params.required('RoleArn'),
        roleSessionName: params.required('RoleSessionName'),
        durationSeconds: params.integer('DurationSeconds'),
        region: request.region,
        callerAccessKeyId: request.caller?.accessKeyId,
      });
      const user: AssumedRoleUser = { Arn: assumed.assumedRoleUser.arn, AssumedRoleId: assumed.assumedRoleUser.assumedRoleId };
      return { AssumedRoleUser: user, Credentials: credentialsShape(assumed.credentials) };
    },
    GetSessionToken: (params, request) => {
      const credentials = store.getSessionToken({
        durationSeconds: params.integer('DurationSeconds'),
        callerAccessKeyId: request.caller?.accessKeyId,
      });
      return { Credentials: credentialsShape(credentials) };
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
