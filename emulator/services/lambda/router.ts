// Lambda's REST-JSON wire: one table of every Lambda operation by method and path (`/2015-03-31/functions/...`,
// the account-settings and tags paths), each implemented one with the IAM permission it needs and its handler;
// handlers read JSON bodies and Invoke's headers, call the store or the executor, and write AWS's responses.
// An operation in the table without a handler answers NotImplemented naming it; so does any other path.
import { isDiskFull } from '../../state/disk-space.js';
import type { Authorizer, Permission, Requirement } from '../../core/authorize.js';
import { AwsError, NotImplemented } from '../../core/errors.js';
import type { FaultInjector } from '../../core/faults.js';
import { decodeOrKeep, header, type ServiceRequest, type ServiceResponse, type ServiceRouter } from '../../core/http.js';
import { jsonErrorResponse, JsonFields, parseJsonBody, type JsonShape } from '../../core/json-protocol.js';
import { logTail } from '../../runtime/log-format.js';
import type { BlobStore } from '../../state/blobs.js';
import { Constraint } from '../../core/constraints.js';
import {
  InvalidRequestContentException,
  RequestEntityTooLargeException,
  ResourceConflictException,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException,
  ValidationException,
} from './errors.js';
import type { LambdaExecutor } from './executor.js';
import { InvokeResponseEventStream } from './response-stream.js';
import {
  MAX_CODE_REQUEST_BYTES,
  type CreateFunctionInput,
  type LambdaStore,
  type StoredFunction,
  type UpdateFunctionCodeInput,
  type UpdateFunctionConfigurationInput,
} from './store.js';
import { decodeClientContext, parseFunctionIdentifier } from './validation.js';
import { parseWithInlineZip } from './inline-zip.js';

/** AWS: 6 MB for a synchronous payload, 256 KB for an asynchronous one. */
export const MAX_SYNC_PAYLOAD_BYTES = 6_291_456;
export const MAX_ASYNC_PAYLOAD_BYTES = 262_144;

/** What the handlers work with. */
export interface LambdaDependencies {
  store: LambdaStore;
  executor: LambdaExecutor;
  /** Where function code is kept, for the code-download URL GetFunction hands out. */
  blobs: BlobStore;
  faults: FaultInjector;
  authorizer: Authorizer;
  log(message: string): void;
}

/** One call being answered: the request and the path segments the route captured (`name`, `arn`, `statementId`). */
export interface LambdaCall {
  request: ServiceRequest;
  params: Record<string, string>;
}

/** How routes name functions for IAM: this cloud's function ARNs. */
export interface FunctionArns {
  functionArn(name: string): string;
}

/** Where a Lambda operation is on the wire. */
interface LambdaOperation {
  operation: string;
  /** The HTTP method, or `*` for any. */
  method: string;
  /** Path segments: `:x` captures one (percent-decoded) as `params.x`, `*` matches any one, `**` any rest. */
  path: string;
}

/** An operation the local cloud implements: what IAM it needs and what it does. */
export interface LambdaRoute extends LambdaOperation {
  /** The IAM actions and resources the call needs, as the Service Authorization Reference lists them. */
  permissions(call: LambdaCall, arns: FunctionArns): Requirement;
  run(lambda: LambdaDependencies, call: LambdaCall): Promise<ServiceResponse> | ServiceResponse;
}

/**
 * Every Lambda operation: those with `run` are implemented, the others answer NotImplemented naming themselves.
 * The first entry that matches the method and path wins.
 */
const LAMBDA_API: readonly (LambdaRoute | LambdaOperation)[] = [
  {
    operation: 'ListFunctions',
    method: 'GET',
    path: '/2015-03-31/functions',
    permissions: () => [{ action: 'lambda:ListFunctions', resource: '*' }],
    run: (lambda, { request }) => listFunctions(lambda, request),
  },
  {
    operation: 'CreateFunction',
    method: 'POST',
    path: '/2015-03-31/functions',
    permissions: ({ request }, arns) => {
      const input = bodyOf(request);
      const name = typeof input.FunctionName === 'string' ? input.FunctionName : '';
      return [{ action: 'lambda:CreateFunction', resource: functionResource(name, null, arns) }, ...passRole(input.Role), ...readsCode(input.Code)];
    },
    run: async (lambda, { request }) => {
      if (request.body.length > MAX_CODE_REQUEST_BYTES) throw new RequestEntityTooLargeException(MAX_CODE_REQUEST_BYTES, 'CreateFunction');
      return json(201, await lambda.store.createFunction(parseCodeJson<CreateFunctionInput>(request, CREATE_FUNCTION_SHAPE, ['Code', 'ZipFile'])));
    },
  },
  {
    operation: 'GetFunction',
    method: 'GET',
    path: '/2015-03-31/functions/:name',
    permissions: onFunction('lambda:GetFunction'),
    run: ({ store }, call) => json(200, store.functionDetails(store.require(qualifiedName(store, call)))),
  },
  {
    operation: 'DeleteFunction',
    method: 'DELETE',
    path: '/2015-03-31/functions/:name',
    permissions: onFunction('lambda:DeleteFunction'),
    run: ({ store }, { request, params }) => {
      store.deleteFunction(params.name!, qualifierOf(request));
      return { status: 204 };
    },
  },
  {
    operation: 'GetFunctionConfiguration',
    method: 'GET',
    path: '/2015-03-31/functions/:name/configuration',
    permissions: onFunction('lambda:GetFunctionConfiguration'),
    run: ({ store }, call) => json(200, store.configuration(store.require(qualifiedName(store, call)))),
  },
  {
    operation: 'UpdateFunctionConfiguration',
    method: 'PUT',
    path: '/2015-03-31/functions/:name/configuration',
    permissions: (call, arns) => [...(onFunction('lambda:UpdateFunctionConfiguration')(call, arns) as Permission[]), ...passRole(bodyOf(call.request).Role)],
    run: ({ store }, { request, params }) =>
      json(200, store.updateFunctionConfiguration(params.name!, parseJson<UpdateFunctionConfigurationInput>(request, FUNCTION_SETTINGS_SHAPE))),
  },
  {
    operation: 'UpdateFunctionCode',
    method: 'PUT',
    path: '/2015-03-31/functions/:name/code',
    permissions: (call, arns) => [...(onFunction('lambda:UpdateFunctionCode')(call, arns) as Permission[]), ...readsCode(bodyOf(call.request))],
    run: async ({ store }, { request, params }) => {
      if (request.body.length > MAX_CODE_REQUEST_BYTES) throw new RequestEntityTooLargeException(MAX_CODE_REQUEST_BYTES, 'UpdateFunctionCode');
      return json(200, await store.updateFunctionCode(params.name!, parseCodeJson<UpdateFunctionCodeInput>(request, UPDATE_CODE_SHAPE, ['ZipFile'])));
    },
  },
  {
    operation: 'Invoke',
    method: 'POST',
    path: '/2015-03-31/functions/:name/invocations',
    permissions: onFunction('lambda:InvokeFunction'),
    run: (lambda, call) => invoke(lambda, call),
  },
  {
    // AWS authorises it as Invoke: lambda:InvokeFunction (there is no action of its own).
    operation: 'InvokeWithResponseStream',
    method: 'POST',
    path: '/2021-11-15/functions/:name/response-streaming-invocations',
    permissions: onFunction('lambda:InvokeFunction'),
    run: (lambda, call) => invokeWithResponseStream(lambda, call),
  },
  {
    operation: 'AddPermission',
    method: 'POST',
    path: '/2015-03-31/functions/:name/policy',
    permissions: onFunction('lambda:AddPermission'),
    run: ({ store }, { request, params }) => json(201, { Statement: store.addPermission(params.name!, parseJson(request, ADD_PERMISSION_SHAPE), qualifierOf(request)) }),
  },
  {
    operation: 'GetPolicy',
    method: 'GET',
    path: '/2015-03-31/functions/:name/policy',
    permissions: onFunction('lambda:GetPolicy'),
    run: ({ store }, { request, params }) => json(200, store.getPolicy(params.name!, qualifierOf(request))),
  },
  {
    operation: 'RemovePermission',
    method: 'DELETE',
    path: '/2015-03-31/functions/:name/policy/:statementId',
    permissions: onFunction('lambda:RemovePermission'),
    run: ({ store }, { request, params }) => {
      store.removePermission(params.name!, params.statementId!, request.query.get('RevisionId') ?? undefined, qualifierOf(request));
      return { status: 204 };
    },
  },
  {
    operation: 'GetAccountSettings',
    method: 'GET',
    path: '/2016-08-19/account-settings',
    permissions: () => [{ action: 'lambda:GetAccountSettings', resource: '*' }],
    run: ({ store }) => json(200, store.accountSettings()),
  },
  // The tagging operations name their resource by ARN, and are authorised on the ARN given.
  {
    operation: 'ListTags',
    method: 'GET',
    path: '/2017-03-31/tags/:arn',
    permissions: ({ params }) => [{ action: 'lambda:ListTags', resource: params.arn ?? '' }],
    run: ({ store }, { params }) => json(200, { Tags: store.listTags(params.arn!) }),
  },
  {
    operation: 'TagResource',
    method: 'POST',
    path: '/2017-03-31/tags/:arn',
    permissions: ({ params }) => [{ action: 'lambda:TagResource', resource: params.arn ?? '' }],
    run: ({ store }, { request, params }) => {
      const body = parseJson<{ Tags?: Record<string, string> }>(request, { Tags: 'stringMap' });
      store.tagResource(params.arn!, body.Tags ?? {});
      return { status: 204 };
    },
  },
  {
    operation: 'UntagResource',
    method: 'DELETE',
    path: '/2017-03-31/tags/:arn',
    permissions: ({ params }) => [{ action: 'lambda:UntagResource', resource: params.arn ?? '' }],
    run: ({ store }, { request, params }) => {
      if (!request.query.has('tagKeys')) throw ValidationException.violated('tagKeys', null, Constraint.notNull);
      store.untagResource(params.arn!, request.query.getAll('tagKeys'));
      return { status: 204 };
    },
  },

  // Not implemented. A function's sub-resources are matched under any API version.
  { operation: 'CreateAlias', method: 'POST', path: '/*/functions/:name/aliases' },
  { operation: 'ListAliases', method: 'GET', path: '/*/functions/:name/aliases' },
  { operation: 'GetAlias', method: 'GET', path: '/*/functions/:name/aliases/*/**' },
  { operation: 'UpdateAlias', method: 'PUT', path: '/*/functions/:name/aliases/*/**' },
  { operation: 'DeleteAlias', method: 'DELETE', path: '/*/functions/:name/aliases/*/**' },
  { operation: 'PublishVersion', method: 'POST', path: '/*/functions/:name/versions/**' },
  { operation: 'ListVersionsByFunction', method: 'GET', path: '/*/functions/:name/versions/**' },
  { operation: 'PutFunctionConcurrency', method: 'PUT', path: '/*/functions/:name/concurrency/**' },
  { operation: 'DeleteFunctionConcurrency', method: 'DELETE', path: '/*/functions/:name/concurrency/**' },
  { operation: 'GetFunctionConcurrency', method: 'GET', path: '/*/functions/:name/concurrency/**' },
  { operation: 'PutFunctionEventInvokeConfig', method: 'PUT', path: '/*/functions/:name/event-invoke-config' },
  { operation: 'UpdateFunctionEventInvokeConfig', method: 'POST', path: '/*/functions/:name/event-invoke-config' },
  { operation: 'GetFunctionEventInvokeConfig', method: 'GET', path: '/*/functions/:name/event-invoke-config' },
  { operation: 'DeleteFunctionEventInvokeConfig', method: 'DELETE', path: '/*/functions/:name/event-invoke-config' },
  { operation: 'ListFunctionEventInvokeConfigs', method: '*', path: '/*/functions/:name/event-invoke-config/*/**' },
  { operation: 'CreateFunctionUrlConfig', method: 'POST', path: '/*/functions/:name/url/**' },
  { operation: 'GetFunctionUrlConfig', method: 'GET', path: '/*/functions/:name/url/**' },
  { operation: 'UpdateFunctionUrlConfig', method: 'PUT', path: '/*/functions/:name/url/**' },
  { operation: 'DeleteFunctionUrlConfig', method: 'DELETE', path: '/*/functions/:name/url/**' },
  { operation: 'ListFunctionUrlConfigs', method: '*', path: '/*/functions/:name/urls/**' },
  { operation: 'PutProvisionedConcurrencyConfig', method: 'PUT', path: '/*/functions/:name/provisioned-concurrency/**' },
  { operation: 'GetProvisionedConcurrencyConfig', method: 'GET', path: '/*/functions/:name/provisioned-concurrency' },
  { operation: 'ListProvisionedConcurrencyConfigs', method: 'GET', path: '/*/functions/:name/provisioned-concurrency/*/**' },
  { operation: 'DeleteProvisionedConcurrencyConfig', method: 'DELETE', path: '/*/functions/:name/provisioned-concurrency/**' },
  { operation: 'PutFunctionCodeSigningConfig', method: 'PUT', path: '/*/functions/:name/code-signing-config/**' },
  { operation: 'GetFunctionCodeSigningConfig', method: 'GET', path: '/*/functions/:name/code-signing-config/**' },
  { operation: 'DeleteFunctionCodeSigningConfig', method: 'DELETE', path: '/*/functions/:name/code-signing-config/**' },
  { operation: 'InvokeAsync', method: '*', path: '/*/functions/:name/invoke-async/**' },
  { operation: 'PutFunctionRecursionConfig', method: 'PUT', path: '/*/functions/:name/recursion-config/**' },
  { operation: 'GetFunctionRecursionConfig', method: 'GET', path: '/*/functions/:name/recursion-config/**' },
  { operation: 'PutRuntimeManagementConfig', method: 'PUT', path: '/*/functions/:name/runtime-management-config/**' },
  { operation: 'GetRuntimeManagementConfig', method: 'GET', path: '/*/functions/:name/runtime-management-config/**' },
  { operation: 'CreateEventSourceMapping', method: 'POST', path: '/*/event-source-mappings' },
  { operation: 'ListEventSourceMappings', method: 'GET', path: '/*/event-source-mappings' },
  { operation: 'GetEventSourceMapping', method: 'GET', path: '/*/event-source-mappings/*/**' },
  { operation: 'UpdateEventSourceMapping', method: 'PUT', path: '/*/event-source-mappings/*/**' },
  { operation: 'DeleteEventSourceMapping', method: 'DELETE', path: '/*/event-source-mappings/*/**' },
  { operation: 'layer operations (PublishLayerVersion, GetLayerVersion, ListLayers, ...)', method: '*', path: '/2018-10-31/layers/**' },
  { operation: 'code signing configuration operations', method: '*', path: '/*/code-signing-configs/**' },
  { operation: 'capacity provider operations', method: '*', path: '/*/capacity-providers/**' },
];

const implemented = (entry: LambdaRoute | LambdaOperation): entry is LambdaRoute => 'run' in entry;

/** The operations the local cloud implements, for tests that check each declares its permission. */
export const LAMBDA_ROUTES: readonly LambdaRoute[] = LAMBDA_API.filter(implemented);

/** The entry a request takes, with its captured segments, or undefined. */
function matchOperation(method: string, parts: string[]): { entry: LambdaRoute | LambdaOperation; params: Record<string, string> } | undefined {
  for (const entry of LAMBDA_API) {
    if (entry.method !== '*' && entry.method !== method) continue;
    const params = matchPath(entry.path.split('/').slice(1), parts);
    if (params) return { entry, params };
  }
  return undefined;
}

function matchPath(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [index, segment] of pattern.entries()) {
    if (segment === '**') return params;
    const part = parts[index];
    if (part === undefined) return undefined;
    if (segment.startsWith(':')) params[segment.slice(1)] = part;
    else if (segment !== '*' && segment !== part) return undefined;
  }
  return pattern.length === parts.length ? params : undefined;
}

/** Lambda's router: the table above behind the throttling fault, IAM for role callers and REST-JSON errors. */
export function createLambdaRouter(lambda: LambdaDependencies): ServiceRouter {
  return {
    name: 'lambda',
    async handle(request: ServiceRequest): Promise<ServiceResponse> {
      try {
        const parts = request.rawPath.replace(/\/+$/, '').split('/').slice(1).map(decodeOrKeep);
        // Not an AWS operation: the URL GetFunction hands out as Code.Location. AWS's is a presigned S3 URL that
        // needs no IAM permission; ours names the code by its SHA-256, and only code a function uses is served.
        if (parts[0] === '2015-03-31' && parts[1] === 'code-download' && request.method === 'GET') return codeDownload(lambda, parts[2] ?? '');
        if (lambda.faults.shouldThrottle()) throw new TooManyRequestsException();
        const matched = matchOperation(request.method, parts);
        if (!matched) throw new NotImplemented(`Lambda ${request.method} ${request.rawPath}`);
        const { entry, params } = matched;
        if (!implemented(entry)) throw new NotImplemented(`Lambda ${entry.operation}`);
        const call: LambdaCall = { request, params };
        // Keys that stand for a role (a function's, an assumed role's): the call must be allowed by the role's policies.
        lambda.authorizer.check(request.caller, () => entry.permissions(call, lambda.store), entry.operation);
        return await entry.run(lambda, call);
      } catch (error) {
        if (error instanceof AwsError) return jsonErrorResponse('rest-json', error);
        // A full disk is the server's to answer (it knows where the disk is, and records that it is full).
        if (isDiskFull(error)) throw error;
        lambda.log(`lambda: internal error: ${(error as Error).stack ?? String(error)}`);
        return jsonErrorResponse('rest-json', new ServiceException(`The local cloud failed: ${(error as Error).message}`));
      }
    },
  };
}

// --- handlers -------------------------------------------------------------------------------------------

function qualifierOf(request: ServiceRequest): string | undefined {
  return request.query.get('Qualifier') ?? undefined;
}

/** The function a call names, its Qualifier parameter applied. */
function qualifiedName(store: LambdaStore, { request, params }: LambdaCall): string {
  return store.resolve(params.name!, qualifierOf(request));
}

function listFunctions({ store }: LambdaDependencies, request: ServiceRequest): ServiceResponse {
  const maxItemsText = request.query.get('MaxItems');
  const maxItems = maxItemsText === null ? 50 : Number(maxItemsText);
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10000) {
    throw ValidationException.violated('maxItems', maxItemsText, maxItems < 1 ? Constraint.minValue(1) : Constraint.maxValue(10000));
  }
  const page = store.list(request.query.get('Marker') ?? undefined, maxItems);
  return json(200, { Functions: page.functions, ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}) });
}

/** What Invoke and InvokeWithResponseStream both read from a call, checked as AWS checks it, in AWS's order. */
interface InvocationInput {
  invocationType: string;
  logType: string;
  clientContext: string | undefined;
  /** The function's name, its qualifier applied. */
  name: string;
  fn: StoredFunction;
  traceHeader: string | undefined;
}

function readInvocation({ store }: LambdaDependencies, call: LambdaCall, invocationTypes: readonly string[]): InvocationInput {
  const { request } = call;
  const invocationType = header(request, 'x-amz-invocation-type') ?? 'RequestResponse';
  if (!invocationTypes.includes(invocationType)) throw ValidationException.violated('invocationType', invocationType, Constraint.oneOf([...invocationTypes]));
  const logType = header(request, 'x-amz-log-type') ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') throw ValidationException.violated('logType', logType, Constraint.oneOf(['None', 'Tail']));
  const clientContext = decodeClientContext(header(request, 'x-amz-client-context'));
  const name = qualifiedName(store, call);
  const fn = store.require(name);
  const limit = invocationType === 'Event' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
  if (request.body.length > limit) throw new RequestEntityTooLargeException(limit, 'InvokeFunction');
  if (request.body.length > 0) {
    try {
      JSON.parse(request.body.toString('utf8'));
    } catch (error) {
      throw new InvalidRequestContentException(`Could not parse request body into json: Could not parse payload into json: ${(error as Error).message}`);
    }
  }
  // AWS refuses invocations of a Pending function with 409; so do we.
  if (Date.now() < fn.readyAt) throw ResourceConflictException.state('Pending');
  if (fn.createFailure !== undefined) throw ResourceConflictException.state('Failed');
  const traceHeader = header(request, 'x-amzn-trace-id') ?? header(request, 'x-amz-trace-id');
  return { invocationType, logType, clientContext, name, fn, traceHeader };
}

async function invoke(lambda: LambdaDependencies, call: LambdaCall): Promise<ServiceResponse> {
  const { request } = call;
  const { invocationType, logType, clientContext, name, fn, traceHeader } = readInvocation(lambda, call, ['Event', 'RequestResponse', 'DryRun']);
  const requestId = request.requestId;
  if (invocationType === 'DryRun') return { status: 204, headers: { 'x-amzn-requestid': requestId } };
  if (invocationType === 'Event') {
    lambda.executor.submit({ functionName: name, requestId, payload: request.body.length ? request.body.toString('utf8') : '{}', source: 'invoke', traceHeader });
    return { status: 202, headers: { 'x-amzn-requestid': requestId, 'content-length': 0 } };
  }
  const result = await lambda.executor.invoke(fn, {
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

/**
 * InvokeWithResponseStream: checked as Invoke is (its errors are plain HTTP errors, before anything runs), then
 * answered 200 at once with an event stream that carries the function's chunks as it writes them and ends with
 * InvokeComplete. A function that fails, times out or writes too much has already answered 200: the failure is
 * InvokeComplete's ErrorCode (the error's type) and ErrorDetails (its message). A function that is not a streaming
 * one answers whole, in one chunk, as on AWS.
 */
async function invokeWithResponseStream(lambda: LambdaDependencies, call: LambdaCall): Promise<ServiceResponse> {
  const { request } = call;
  const { invocationType, logType, clientContext, fn, traceHeader } = readInvocation(lambda, call, ['RequestResponse', 'DryRun']);
  const requestId = request.requestId;
  if (invocationType === 'DryRun') return { status: 204, headers: { 'x-amzn-requestid': requestId, 'x-amz-executed-version': '$LATEST' } };
  // What cannot run at all (a runtime the local cloud does not run) is refused before the stream opens.
  const runnable = await lambda.executor.prepare(fn);
  const events = new InvokeResponseEventStream();
  lambda.executor
    .invokePrepared(runnable, { requestId, payload: request.body, traceHeader, clientContext, responseStream: events.sink })
    .then(
      (result) => {
        if (!events.wroteChunks && !result.functionError) events.writeWhole(result.payload);
        events.complete({
          ...(result.functionError ? { ErrorCode: result.errorType ?? result.functionError, ErrorDetails: errorMessageOf(result.payload) } : {}),
          ...(logType === 'Tail' ? { LogResult: logTail(result.log) } : {}),
        });
      },
      (error: unknown) => {
        lambda.log(`lambda: internal error in a streamed invocation of ${fn.name}: ${(error as Error).stack ?? String(error)}`);
        events.complete({ ErrorCode: error instanceof AwsError ? error.code : 'ServiceException', ErrorDetails: (error as Error).message });
      },
    );
  return {
    status: 200,
    headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': requestId, 'x-amz-executed-version': '$LATEST' },
    body: events,
  };
}

/** The `errorMessage` of a function's error document, else the document's text. */
function errorMessageOf(payload: Buffer): string {
  const text = payload.toString('utf8');
  try {
    const message = (JSON.parse(text) as { errorMessage?: unknown } | null)?.errorMessage;
    if (typeof message === 'string') return message;
  } catch {
    // Not JSON: the text is the detail.
  }
  return text;
}

function codeDownload({ store, blobs }: LambdaDependencies, file: string): ServiceResponse {
  const digest = /^([0-9a-f]{64})\.zip$/.exec(file)?.[1];
  if (!digest || !store.codeIsReferenced(digest) || !blobs.has(digest)) return jsonErrorResponse('rest-json', ResourceNotFoundException.resource());
  return {
    status: 200,
    headers: { 'content-type': 'application/zip', 'content-length': blobs.size(digest) },
    body: blobs.stream(digest),
  };
}

// --- permissions ----------------------------------------------------------------------------------------

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
    return parseJsonBody(request.body, malformed);
  } catch {
    return {};
  }
}

// --- wire ----------------------------------------------------------------------------------------------

/** Lambda answers an unreadable body, or a member of the wrong JSON type, with InvalidRequestContentException. */
const malformed = (detail: string): AwsError => new InvalidRequestContentException(detail);

function json(status: number, body: unknown): ServiceResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * The JSON body, its members checked against `shape`; an unreadable body or a member of the wrong JSON type is
 * InvalidRequestContentException, as Lambda answers, before any rule of the store runs on it.
 */
function parseJson<T>(request: ServiceRequest, shape: JsonShape = {}): T {
  const input = parseJsonBody(request.body, malformed);
  new JsonFields(input, (detail) => malformed(`Could not parse request body into json: ${detail}`)).check(shape);
  return input as T;
}

/**
 * parseJson for a body that may carry a package inline (`zipPath`: ZipFile, or Code.ZipFile): a large one is read
 * by parseWithInlineZip, its package decoded once from the body's bytes (~11 MB of text per `thumbctl dev` save
 * otherwise decoded as UTF-8, copied by JSON.parse, then decoded from base64). Same answers as parseJson.
 */
function parseCodeJson<T>(request: ServiceRequest, shape: JsonShape, zipPath: readonly [...string[], 'ZipFile']): T {
  const inline = parseWithInlineZip(request.body, zipPath, (body) => parseJsonBody(body, malformed));
  if (!inline) return parseJson<T>(request, shape);
  new JsonFields(inline.input, (detail) => malformed(`Could not parse request body into json: ${detail}`)).check(shape);
  let holder = inline.input;
  for (const key of zipPath.slice(0, -1)) holder = holder[key] as Record<string, unknown>;
  holder.ZipFile = inline.zip;
  return inline.input as T;
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
