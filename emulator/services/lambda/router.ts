// Lambda's REST-JSON wire: routes `/2015-03-31/functions/...` (and the account-settings and tags paths) to
// store operations, reads JSON bodies and Invoke's headers, and writes AWS's responses and errors. Anything
// the local cloud does not implement answers NotImplemented naming the operation.
import { Authorizer, type Permission, type Requirement } from '../../core/authorize.js';
import { AwsError, NotImplementedError } from '../../core/errors.js';
import type { CloudContext } from '../../core/context.js';
import { decodeOrKeep, header, type ServiceRequest, type ServiceResponse, type ServiceRouter } from '../../core/http.js';
import { JsonFields, parseJsonBody, type JsonShape } from '../../core/json-protocol.js';
import { logTail } from '../../runtime/log-format.js';
import {
  invalidRequestContent,
  requestTooLarge,
  resourceNotFound,
  serviceError,
  stateConflict,
  toRestJsonError,
  tooManyRequests,
  validationErrors,
} from './errors.js';
import type { LambdaInvoker } from './invoker.js';
import type { AsyncInvokeWorker } from './queue.js';
import {
  MAX_CODE_REQUEST_BYTES,
  type CreateFunctionInput,
  type LambdaStore,
  type UpdateFunctionCodeInput,
  type UpdateFunctionConfigurationInput,
} from './store.js';
import { decodeClientContext, parseFunctionIdentifier } from './validation.js';

/** AWS: 6 MB for a synchronous payload, 256 KB for an asynchronous one. */
export const MAX_SYNC_PAYLOAD_BYTES = 6_291_456;
export const MAX_ASYNC_PAYLOAD_BYTES = 262_144;

/** One call being answered: the request and the path segments the route captured (`name`, `arn`, `statementId`). */
interface LambdaCall {
  request: ServiceRequest;
  params: Record<string, string>;
}

type Handler = (call: LambdaCall) => Promise<ServiceResponse> | ServiceResponse;

/** How routes name functions for IAM: this cloud's function ARNs. */
export interface FunctionArns {
  functionArn(name: string): string;
}

/** Every Lambda operation the local cloud implements: where it is on the wire and what IAM it needs. */
export interface LambdaRoute {
  operation: LambdaOperation;
  method: string;
  /** Path segments; `:x` captures a segment (percent-decoded) as `params.x`. */
  path: readonly string[];
  /** The IAM actions and resources the call needs, as the Service Authorization Reference lists them. */
  permissions(call: LambdaCall, arns: FunctionArns): Requirement;
}

type LambdaOperation =
  | 'ListFunctions'
  | 'CreateFunction'
  | 'GetFunction'
  | 'DeleteFunction'
  | 'GetFunctionConfiguration'
  | 'UpdateFunctionConfiguration'
  | 'UpdateFunctionCode'
  | 'Invoke'
  | 'AddPermission'
  | 'GetPolicy'
  | 'RemovePermission'
  | 'GetAccountSettings'
  | 'ListTags'
  | 'TagResource'
  | 'UntagResource';

const FUNCTIONS = ['2015-03-31', 'functions'] as const;

/**
 * A function operation's resource: the function's ARN, qualified (`:$LATEST`) when the call names a
 * qualifier, as Lambda authorises it (a policy on the unqualified ARN does not cover qualified calls).
 */
function onFunction(action: string): LambdaRoute['permissions'] {
  return ({ request, params }, arns) => [{ action, resource: functionResource(params.name ?? '', request.query.get('Qualifier'), arns) }];
}

function functionResource(identifier: string, qualifierParameter: string | null, arns: FunctionArns): string {
  let name = identifier;
  let qualifier = qualifierParameter ?? undefined;
  try {
    const parsed = parseFunctionIdentifier(identifier);
    name = parsed.name;
    qualifier ??= parsed.qualifier;
  } catch {
    // Not a function name at all: the operation answers its own ValidationException; the ARN says what was sent.
  }
  return `${arns.functionArn(name)}${qualifier !== undefined ? `:${qualifier}` : ''}`;
}

/** Passing a role to Lambda needs iam:PassRole on it, for lambda.amazonaws.com. */
function passRole(role: unknown): Permission[] {
  return typeof role === 'string' ? [{ action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }] : [];
}

/** Code taken from S3 is read with the caller's permissions: s3:GetObject (or GetObjectVersion) on the object. */
function readsCode(code: unknown): Permission[] {
  if (typeof code !== 'object' || code === null) return [];
  const { S3Bucket: bucket, S3Key: key, S3ObjectVersion: version } = code as Record<string, unknown>;
  if (typeof bucket !== 'string' || typeof key !== 'string') return [];
  const resource = `arn:aws:s3:::${bucket}/${key}`;
  return [{ action: typeof version === 'string' ? 's3:GetObjectVersion' : 's3:GetObject', resource }];
}

/** The request body as JSON, for permissions that read it (unreadable or too large: the operation answers its own error). */
function bodyOf(request: ServiceRequest): Record<string, unknown> {
  if (request.body.length > MAX_CODE_REQUEST_BYTES) return {};
  try {
    return parseJsonBody(request.body, (detail) => invalidRequestContent(detail));
  } catch {
    return {};
  }
}

export const LAMBDA_ROUTES: readonly LambdaRoute[] = [
  { operation: 'ListFunctions', method: 'GET', path: FUNCTIONS, permissions: () => [{ action: 'lambda:ListFunctions', resource: '*' }] },
  {
    operation: 'CreateFunction',
    method: 'POST',
    path: FUNCTIONS,
    permissions: ({ request }, arns) => {
      const input = bodyOf(request);
      const name = typeof input.FunctionName === 'string' ? input.FunctionName : '';
      return [{ action: 'lambda:CreateFunction', resource: functionResource(name, null, arns) }, ...passRole(input.Role), ...readsCode(input.Code)];
    },
  },
  { operation: 'GetFunction', method: 'GET', path: [...FUNCTIONS, ':name'], permissions: onFunction('lambda:GetFunction') },
  { operation: 'DeleteFunction', method: 'DELETE', path: [...FUNCTIONS, ':name'], permissions: onFunction('lambda:DeleteFunction') },
  { operation: 'GetFunctionConfiguration', method: 'GET', path: [...FUNCTIONS, ':name', 'configuration'], permissions: onFunction('lambda:GetFunctionConfiguration') },
  {
    operation: 'UpdateFunctionConfiguration',
    method: 'PUT',
    path: [...FUNCTIONS, ':name', 'configuration'],
    permissions: (call, arns) => [...(onFunction('lambda:UpdateFunctionConfiguration')(call, arns) as Permission[]), ...passRole(bodyOf(call.request).Role)],
  },
  {
    operation: 'UpdateFunctionCode',
    method: 'PUT',
    path: [...FUNCTIONS, ':name', 'code'],
    permissions: (call, arns) => [...(onFunction('lambda:UpdateFunctionCode')(call, arns) as Permission[]), ...readsCode(bodyOf(call.request))],
  },
  { operation: 'Invoke', method: 'POST', path: [...FUNCTIONS, ':name', 'invocations'], permissions: onFunction('lambda:InvokeFunction') },
  { operation: 'AddPermission', method: 'POST', path: [...FUNCTIONS, ':name', 'policy'], permissions: onFunction('lambda:AddPermission') },
  { operation: 'GetPolicy', method: 'GET', path: [...FUNCTIONS, ':name', 'policy'], permissions: onFunction('lambda:GetPolicy') },
  { operation: 'RemovePermission', method: 'DELETE', path: [...FUNCTIONS, ':name', 'policy', ':statementId'], permissions: onFunction('lambda:RemovePermission') },
  { operation: 'GetAccountSettings', method: 'GET', path: ['2016-08-19', 'account-settings'], permissions: () => [{ action: 'lambda:GetAccountSettings', resource: '*' }] },
  // The tagging operations name their resource by ARN, and are authorised on the ARN given.
  { operation: 'ListTags', method: 'GET', path: ['2017-03-31', 'tags', ':arn'], permissions: ({ params }) => [{ action: 'lambda:ListTags', resource: params.arn ?? '' }] },
  { operation: 'TagResource', method: 'POST', path: ['2017-03-31', 'tags', ':arn'], permissions: ({ params }) => [{ action: 'lambda:TagResource', resource: params.arn ?? '' }] },
  { operation: 'UntagResource', method: 'DELETE', path: ['2017-03-31', 'tags', ':arn'], permissions: ({ params }) => [{ action: 'lambda:UntagResource', resource: params.arn ?? '' }] },
];

/** The route a request takes, with its captured segments, or undefined. */
function matchRoute(method: string, parts: string[]): { route: LambdaRoute; params: Record<string, string> } | undefined {
  for (const route of LAMBDA_ROUTES) {
    if (route.method !== method || route.path.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = route.path.every((segment, index) => {
      if (segment.startsWith(':')) {
        params[segment.slice(1)] = parts[index]!;
        return true;
      }
      return segment === parts[index];
    });
    if (matches) return { route, params };
  }
  return undefined;
}

export class LambdaRouter implements ServiceRouter {
  readonly name = 'lambda';
  private readonly authorizer: Authorizer;
  private readonly handlers: Record<LambdaOperation, Handler>;

  constructor(
    private readonly context: CloudContext,
    private readonly store: LambdaStore,
    private readonly invoker: LambdaInvoker,
    private readonly worker: AsyncInvokeWorker,
  ) {
    this.authorizer = new Authorizer(context, 'lambda');
    this.handlers = {
      ListFunctions: ({ request }) => this.listFunctions(request),
      CreateFunction: ({ request }) => this.createFunction(request),
      GetFunction: ({ request, params }) => this.getFunction(request, params.name!),
      DeleteFunction: ({ request, params }) => this.deleteFunction(request, params.name!),
      GetFunctionConfiguration: ({ request, params }) => this.getConfiguration(request, params.name!),
      UpdateFunctionConfiguration: ({ request, params }) => this.updateConfiguration(request, params.name!),
      UpdateFunctionCode: ({ request, params }) => this.updateCode(request, params.name!),
      Invoke: ({ request, params }) => this.invoke(request, params.name!),
      AddPermission: ({ request, params }) => this.addPermission(request, params.name!),
      GetPolicy: ({ request, params }) => this.getPolicy(request, params.name!),
      RemovePermission: ({ request, params }) => this.removePermission(request, params.name!, params.statementId!),
      GetAccountSettings: () => json(200, this.store.accountSettings()),
      ListTags: ({ params }) => json(200, { Tags: this.store.listTags(params.arn!) }),
      TagResource: ({ request, params }) => {
        const body = parseJson<{ Tags?: Record<string, string> }>(request, { Tags: 'stringMap' });
        this.store.tagResource(params.arn!, body.Tags ?? {});
        return { status: 204 };
      },
      UntagResource: ({ request, params }) => {
        this.store.untagResource(params.arn!, request.query.getAll('tagKeys'));
        return { status: 204 };
      },
    };
  }

  async handle(request: ServiceRequest): Promise<ServiceResponse> {
    try {
      const parts = request.rawPath.replace(/\/+$/, '').split('/').slice(1).map(decodeOrKeep);
      // Not an AWS operation: the URL GetFunction hands out as Code.Location. AWS's is a presigned S3 URL that
      // needs no IAM permission; ours names the code by its SHA-256, and only code a function uses is served.
      if (parts[0] === '2015-03-31' && parts[1] === 'code-download' && request.method === 'GET') return this.codeDownload(parts[2] ?? '');
      if (this.context.faults.shouldThrottle()) throw tooManyRequests();
      const matched = matchRoute(request.method, parts);
      if (!matched) throw new NotImplementedError(`Lambda ${operationName(request.method, parts) ?? `${request.method} ${request.rawPath}`}`);
      const call: LambdaCall = { request, params: matched.params };
      // Keys that stand for a role (a function's, an assumed role's): the call must be allowed by the role's policies.
      this.authorizer.check(request.caller, () => matched.route.permissions(call, this.store), matched.route.operation);
      return await this.handlers[matched.route.operation](call);
    } catch (error) {
      if (error instanceof AwsError) return toRestJsonError(error);
      this.context.log(`lambda: internal error: ${(error as Error).stack ?? String(error)}`);
      return toRestJsonError(serviceError(`The local cloud failed: ${(error as Error).message}`));
    }
  }

  // --- functions ------------------------------------------------------------------------------------------

  private async createFunction(request: ServiceRequest): Promise<ServiceResponse> {
    if (request.body.length > MAX_CODE_REQUEST_BYTES) throw requestTooLarge(MAX_CODE_REQUEST_BYTES, 'CreateFunction');
    return json(201, await this.store.createFunction(parseJson<CreateFunctionInput>(request, CREATE_FUNCTION_SHAPE)));
  }

  private getFunction(request: ServiceRequest, identifier: string): ServiceResponse {
    const name = this.store.resolve(identifier, request.query.get('Qualifier') ?? undefined);
    return json(200, this.store.functionDetails(this.store.require(name)));
  }

  private getConfiguration(request: ServiceRequest, identifier: string): ServiceResponse {
    const name = this.store.resolve(identifier, request.query.get('Qualifier') ?? undefined);
    return json(200, this.store.configuration(this.store.require(name)));
  }

  private listFunctions(request: ServiceRequest): ServiceResponse {
    const maxItemsText = request.query.get('MaxItems');
    const maxItems = maxItemsText === null ? 50 : Number(maxItemsText);
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10000) {
      throw validationErrors([`Value '${maxItemsText}' at 'maxItems' failed to satisfy constraint: Member must have value ${maxItems < 1 ? 'greater than or equal to 1' : 'less than or equal to 10000'}`]);
    }
    const page = this.store.list(request.query.get('Marker') ?? undefined, maxItems);
    return json(200, { Functions: page.functions, ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}) });
  }

  private async updateCode(request: ServiceRequest, identifier: string): Promise<ServiceResponse> {
    if (request.body.length > MAX_CODE_REQUEST_BYTES) throw requestTooLarge(MAX_CODE_REQUEST_BYTES, 'UpdateFunctionCode');
    return json(200, await this.store.updateFunctionCode(identifier, parseJson<UpdateFunctionCodeInput>(request, UPDATE_CODE_SHAPE)));
  }

  private updateConfiguration(request: ServiceRequest, identifier: string): ServiceResponse {
    return json(200, this.store.updateFunctionConfiguration(identifier, parseJson<UpdateFunctionConfigurationInput>(request, FUNCTION_SETTINGS_SHAPE)));
  }

  private deleteFunction(request: ServiceRequest, identifier: string): ServiceResponse {
    this.store.deleteFunction(identifier, request.query.get('Qualifier') ?? undefined);
    return { status: 204 };
  }

  // --- permissions ----------------------------------------------------------------------------------------

  private addPermission(request: ServiceRequest, identifier: string): ServiceResponse {
    const statement = this.store.addPermission(identifier, parseJson(request, ADD_PERMISSION_SHAPE), request.query.get('Qualifier') ?? undefined);
    return json(201, { Statement: statement });
  }

  private getPolicy(request: ServiceRequest, identifier: string): ServiceResponse {
    return json(200, this.store.getPolicy(identifier, request.query.get('Qualifier') ?? undefined));
  }

  private removePermission(request: ServiceRequest, identifier: string, statementId: string): ServiceResponse {
    this.store.removePermission(identifier, statementId, request.query.get('RevisionId') ?? undefined, request.query.get('Qualifier') ?? undefined);
    return { status: 204 };
  }

  // --- invoking -------------------------------------------------------------------------------------------

  private async invoke(request: ServiceRequest, identifier: string): Promise<ServiceResponse> {
    const invocationType = header(request, 'x-amz-invocation-type') ?? 'RequestResponse';
    if (!['RequestResponse', 'Event', 'DryRun'].includes(invocationType)) {
      throw validationErrors([`Value '${invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`]);
    }
    const logType = header(request, 'x-amz-log-type') ?? 'None';
    if (logType !== 'None' && logType !== 'Tail') {
      throw validationErrors([`Value '${logType}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]`]);
    }
    const clientContext = decodeClientContext(header(request, 'x-amz-client-context'));
    const name = this.store.resolve(identifier, request.query.get('Qualifier') ?? undefined);
    const fn = this.store.require(name);
    const limit = invocationType === 'Event' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
    if (request.body.length > limit) throw requestTooLarge(limit, 'InvokeFunction');
    if (request.body.length > 0) {
      try {
        JSON.parse(request.body.toString('utf8'));
      } catch (error) {
        throw invalidRequestContent(`Could not parse request body into json: Could not parse payload into json: ${(error as Error).message}`);
      }
    }
    // AWS refuses invocations of a Pending function with 409; so do we.
    if (Date.now() < fn.readyAt) throw stateConflict('Pending');
    const requestId = request.requestId;
    if (invocationType === 'DryRun') return { status: 204, headers: { 'x-amzn-requestid': requestId } };
    const traceHeader = header(request, 'x-amzn-trace-id') ?? header(request, 'x-amz-trace-id');
    if (invocationType === 'Event') {
      this.store.enqueue({ functionName: name, requestId, payload: request.body.length ? request.body.toString('utf8') : '{}', source: 'invoke', traceHeader });
      this.worker.wake();
      return { status: 202, headers: { 'x-amzn-requestid': requestId, 'content-length': 0 } };
    }
    const result = await this.invoker.invoke(fn, {
      requestId,
      payload: request.body,
      traceHeader,
      clientContext,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      'x-amz-executed-version': '$LATEST',
      'x-amzn-trace-id': `root=${result.traceId};sampled=${fn.tracingMode === 'Active' ? 1 : 0}`,
    };
    if (result.functionError) headers['x-amz-function-error'] = result.functionError;
    if (logType === 'Tail') headers['x-amz-log-result'] = logTail(result.log);
    return { status: 200, headers, body: result.payload };
  }

  private async codeDownload(file: string): Promise<ServiceResponse> {
    const digest = /^([0-9a-f]{64})\.zip$/.exec(file)?.[1];
    if (!digest || !this.store.codeIsReferenced(digest) || !this.context.blobs.has(digest)) {
      return toRestJsonError(resourceNotFound());
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/zip', 'content-length': this.context.blobs.size(digest) },
      body: this.context.blobs.stream(digest),
    };
  }
}

function json(status: number, body: unknown): ServiceResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * The JSON body, its members checked against `shape`; an unreadable body or a member of the wrong JSON type is
 * InvalidRequestContentException, as Lambda answers, before any rule of the store runs on it.
 */
function parseJson<T>(request: ServiceRequest, shape: JsonShape = {}): T {
  const malformed = (detail: string): AwsError => invalidRequestContent(detail);
  const input = parseJsonBody(request.body, malformed);
  new JsonFields(input, (detail) => malformed(`Could not parse request body into json: ${detail}`)).check(shape);
  return input as T;
}

// The members of each input the store reads, by JSON type (@aws-sdk/client-lambda's input shapes).
const FUNCTION_SETTINGS_SHAPE: JsonShape = {
  Role: 'string',
  Handler: 'string',
  Description: 'string',
  Runtime: 'string',
  Timeout: 'integer',
  MemorySize: 'integer',
  Environment: { Variables: 'stringMap' },
  TracingConfig: { Mode: 'string' },
  EphemeralStorage: { Size: 'integer' },
  LoggingConfig: { LogFormat: 'string', ApplicationLogLevel: 'string', SystemLogLevel: 'string', LogGroup: 'string' },
  Layers: 'stringList',
  RevisionId: 'string',
};
const CODE_SHAPE: JsonShape = { ZipFile: 'string', S3Bucket: 'string', S3Key: 'string', S3ObjectVersion: 'string', ImageUri: 'string' };
const CREATE_FUNCTION_SHAPE: JsonShape = {
  ...FUNCTION_SETTINGS_SHAPE,
  FunctionName: 'string',
  Code: CODE_SHAPE,
  Architectures: 'stringList',
  Tags: 'stringMap',
  Publish: 'boolean',
  PackageType: 'string',
};
const UPDATE_CODE_SHAPE: JsonShape = { ...CODE_SHAPE, Architectures: 'stringList', Publish: 'boolean', DryRun: 'boolean', RevisionId: 'string' };
const ADD_PERMISSION_SHAPE: JsonShape = {
  StatementId: 'string',
  Action: 'string',
  Principal: 'string',
  SourceArn: 'string',
  SourceAccount: 'string',
  EventSourceToken: 'string',
  PrincipalOrgID: 'string',
  FunctionUrlAuthType: 'string',
  RevisionId: 'string',
};

/** The AWS operation a request would be, for NotImplemented messages (Lambda's REST paths). */
export function operationName(method: string, parts: string[]): string | undefined {
  const [version, collection, , sub, extra] = parts;
  const n = parts.length;
  const pick = (table: Record<string, string>): string | undefined => table[method];
  if (collection === 'functions' && n >= 4) {
    switch (sub) {
      case 'aliases':
        return n === 4 ? pick({ POST: 'CreateAlias', GET: 'ListAliases' }) : pick({ GET: 'GetAlias', PUT: 'UpdateAlias', DELETE: 'DeleteAlias' });
      case 'versions':
        return pick({ POST: 'PublishVersion', GET: 'ListVersionsByFunction' });
      case 'concurrency':
        return pick({ PUT: 'PutFunctionConcurrency', DELETE: 'DeleteFunctionConcurrency', GET: 'GetFunctionConcurrency' });
      case 'event-invoke-config':
        return n === 4
          ? pick({ PUT: 'PutFunctionEventInvokeConfig', POST: 'UpdateFunctionEventInvokeConfig', GET: 'GetFunctionEventInvokeConfig', DELETE: 'DeleteFunctionEventInvokeConfig' })
          : 'ListFunctionEventInvokeConfigs';
      case 'url':
        return pick({ POST: 'CreateFunctionUrlConfig', GET: 'GetFunctionUrlConfig', PUT: 'UpdateFunctionUrlConfig', DELETE: 'DeleteFunctionUrlConfig' });
      case 'urls':
        return 'ListFunctionUrlConfigs';
      case 'provisioned-concurrency':
        return pick({ PUT: 'PutProvisionedConcurrencyConfig', GET: extra === undefined ? 'GetProvisionedConcurrencyConfig' : 'ListProvisionedConcurrencyConfigs', DELETE: 'DeleteProvisionedConcurrencyConfig' });
      case 'code-signing-config':
        return pick({ PUT: 'PutFunctionCodeSigningConfig', GET: 'GetFunctionCodeSigningConfig', DELETE: 'DeleteFunctionCodeSigningConfig' });
      case 'invoke-async':
        return 'InvokeAsync';
      case 'response-streaming-invocations':
        return 'InvokeWithResponseStream';
      case 'recursion-config':
        return pick({ PUT: 'PutFunctionRecursionConfig', GET: 'GetFunctionRecursionConfig' });
      case 'runtime-management-config':
        return pick({ PUT: 'PutRuntimeManagementConfig', GET: 'GetRuntimeManagementConfig' });
      default:
        return undefined;
    }
  }
  if (collection === 'event-source-mappings') {
    return n === 2 ? pick({ POST: 'CreateEventSourceMapping', GET: 'ListEventSourceMappings' }) : pick({ GET: 'GetEventSourceMapping', PUT: 'UpdateEventSourceMapping', DELETE: 'DeleteEventSourceMapping' });
  }
  if (collection === 'layers') return version === '2018-10-31' ? 'layer operations (PublishLayerVersion, GetLayerVersion, ListLayers, ...)' : undefined;
  if (collection === 'code-signing-configs') return 'code signing configuration operations';
  if (collection === 'capacity-providers') return 'capacity provider operations';
  return undefined;
}
