// Lambda's REST-JSON wire: routes `/2015-03-31/functions/...` (and the account-settings and tags paths) to
// store operations, reads JSON bodies and Invoke's headers, and writes AWS's responses and errors. Anything
// the local cloud does not implement answers NotImplemented naming the operation.
import { isDiskFull } from '../../state/disk-space.js';
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

/** AWS: 6 MB for a synchronous payload, 256 KB for an asynchronous one. */
export const MAX_SYNC_PAYLOAD_BYTES = 6_291_456;
export const MAX_ASYNC_PAYLOAD_BYTES = 262_144;

type Handler = (request: ServiceRequest, params: string[]) => Promise<ServiceResponse> | ServiceResponse;

export class LambdaRouter implements ServiceRouter {
  readonly name = 'lambda';

  constructor(
    private readonly context: CloudContext,
    private readonly store: LambdaStore,
    private readonly invoker: LambdaInvoker,
    private readonly worker: AsyncInvokeWorker,
  ) {}

  async handle(request: ServiceRequest): Promise<ServiceResponse> {
    try {
      const parts = request.rawPath.replace(/\/+$/, '').split('/').slice(1).map(decodeOrKeep);
      if (parts[0] === '2015-03-31' && parts[1] === 'code-download' && request.method === 'GET') return this.codeDownload(parts[2] ?? '');
      if (this.context.faults.shouldThrottle()) throw tooManyRequests();
      const route = this.route(request.method, parts);
      if (!route) throw new NotImplementedError(`Lambda ${operationName(request.method, parts) ?? `${request.method} ${request.rawPath}`}`);
      return await route.handler(request, route.params);
    } catch (error) {
      if (error instanceof AwsError) return toRestJsonError(error);
      // A full disk is the server's to answer (it knows where the disk is, and records that it is full).
      if (isDiskFull(error)) throw error;
      this.context.log(`lambda: internal error: ${(error as Error).stack ?? String(error)}`);
      return toRestJsonError(serviceError(`The local cloud failed: ${(error as Error).message}`));
    }
  }

  private route(method: string, parts: string[]): { handler: Handler; params: string[] } | undefined {
    const [version, collection, name, sub, extra] = parts;
    const n = parts.length;
    if (version === '2015-03-31' && collection === 'functions') {
      if (n === 2 && method === 'GET') return { handler: (r) => this.listFunctions(r), params: [] };
      if (n === 2 && method === 'POST') return { handler: (r) => this.createFunction(r), params: [] };
      if (n === 3 && method === 'GET') return { handler: (r) => this.getFunction(r, name!), params: [] };
      if (n === 3 && method === 'DELETE') return { handler: (r) => this.deleteFunction(r, name!), params: [] };
      if (n === 4 && sub === 'configuration' && method === 'GET') return { handler: (r) => this.getConfiguration(r, name!), params: [] };
      if (n === 4 && sub === 'configuration' && method === 'PUT') return { handler: (r) => this.updateConfiguration(r, name!), params: [] };
      if (n === 4 && sub === 'code' && method === 'PUT') return { handler: (r) => this.updateCode(r, name!), params: [] };
      if (n === 4 && sub === 'invocations' && method === 'POST') return { handler: (r) => this.invoke(r, name!), params: [] };
      if (n === 4 && sub === 'policy' && method === 'POST') return { handler: (r) => this.addPermission(r, name!), params: [] };
      if (n === 4 && sub === 'policy' && method === 'GET') return { handler: (r) => this.getPolicy(r, name!), params: [] };
      if (n === 5 && sub === 'policy' && method === 'DELETE') return { handler: (r) => this.removePermission(r, name!, extra!), params: [] };
    }
    if (version === '2016-08-19' && collection === 'account-settings' && n === 2 && method === 'GET') {
      return { handler: () => json(200, this.store.accountSettings()), params: [] };
    }
    if (version === '2017-03-31' && collection === 'tags' && n === 3) {
      const arn = name!;
      if (method === 'GET') return { handler: () => json(200, { Tags: this.store.listTags(arn) }), params: [] };
      if (method === 'POST') {
        return {
          handler: (r) => {
            const body = parseJson<{ Tags?: Record<string, string> }>(r, { Tags: 'stringMap' });
            this.store.tagResource(arn, body.Tags ?? {});
            return { status: 204 };
          },
          params: [],
        };
      }
      if (method === 'DELETE') {
        return {
          handler: (r) => {
            this.store.untagResource(arn, r.query.getAll('tagKeys'));
            return { status: 204 };
          },
          params: [],
        };
      }
    }
    return undefined;
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
      clientContext: header(request, 'x-amz-client-context'),
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
