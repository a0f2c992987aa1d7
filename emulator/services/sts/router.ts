// STS's wire side: Query-protocol requests in (`Action=AssumeRole&Version=2011-06-15&...`), STS's XML out,
// under its own namespace. The caller is whoever the SigV4 credential scope names; nothing is verified.
// Output shapes are the SDK's own types. PackedPolicySize is never reported (session policies are ignored).
import type { AssumedRoleUser, Credentials } from '@aws-sdk/client-sts';
import { AwsError } from '../../core/errors.js';
import type { ServiceRequest, ServiceResponse, ServiceRouter } from '../../core/http.js';
import { MissingActionError, QueryParams, queryErrorResponse, queryResultResponse } from '../../core/query-protocol.js';
import { NotImplementedError } from './errors.js';
import type { StsStore, TemporaryCredentials } from './store.js';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

type Operation = (params: QueryParams, request: ServiceRequest) => object | undefined;

export class StsRouter implements ServiceRouter {
  readonly name = 'sts';
  private readonly operations: Record<string, Operation>;

  constructor(private readonly store: StsStore) {
    this.operations = this.buildOperations();
  }

  async handle(request: ServiceRequest): Promise<ServiceResponse> {
    try {
      const params = QueryParams.fromRequest(request);
      const action = params.action;
      if (!action) throw new MissingActionError();
      const operation = Object.hasOwn(this.operations, action) ? this.operations[action] : undefined;
      if (!operation) throw new NotImplementedError(`STS ${action}`);
      return queryResultResponse({ action, namespace: STS_NAMESPACE, requestId: request.requestId, result: operation(params, request) });
    } catch (error) {
      if (error instanceof AwsError) return queryErrorResponse(error, STS_NAMESPACE, request.requestId);
      throw error;
    }
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
