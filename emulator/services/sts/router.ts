// STS's wire side: Query-protocol requests in (`Action=AssumeRole&Version=2011-06-15&...`), STS's XML out,
// under its own namespace. The caller is whoever the SigV4 credential scope names; nothing is verified.
// Output shapes are the SDK's own types. PackedPolicySize is never reported (session policies are ignored).
import type { AssumedRoleUser, Credentials } from '@aws-sdk/client-sts';
import { AwsError } from '../../core/errors.js';
import type { ServiceRequest, ServiceResponse, ServiceRouter } from '../../core/http.js';
import { handleQueryRequest, QueryParams, queryErrorResponse, type QueryOperation } from '../../core/query-protocol.js';
import { NotImplementedError } from './errors.js';
import type { StsStore, TemporaryCredentials } from './store.js';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

type Operation = QueryOperation;

export class StsRouter implements ServiceRouter {
  readonly name = 'sts';
  private readonly operations: Record<string, Operation>;

  constructor(private readonly store: StsStore) {
    this.operations = this.buildOperations();
  }

  async handle(request: ServiceRequest): Promise<ServiceResponse> {
    // An operation we do not model answers 501 and names itself, instead of failing strangely.
    return handleQueryRequest(request, { namespace: STS_NAMESPACE, operations: this.operations, notImplemented: (action) => new NotImplementedError(`STS ${action}`) });
  }

  errorResponse(error: AwsError, request: ServiceRequest): ServiceResponse {
    return queryErrorResponse(error, STS_NAMESPACE, request.requestId);
  }

  private buildOperations(): Record<string, Operation> {
    const store = this.store;
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
}

function credentialsShape(credentials: TemporaryCredentials): Credentials {
  return {
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: credentials.expiration,
  };
}
