// S3 Control on the wire: REST-XML under `/v20180820/`, the account in `x-amz-account-id` (and, from the SDKs, in
// the host name: `<account>.s3-control.<region>.amazonaws.com` at AWS, `<account>.localhost` here), signed as `s3`.
// An operation table maps method and path to the store; the router reads query members and XML bodies and writes
// AWS's XML results and wrapped errors. S3 Control operations we do not model answer NotImplemented naming them.
import { randomBytes } from 'node:crypto';
import type { CreateJobRequest, JobDescriptor, JobListDescriptor, JobOperation, S3Tag } from '@aws-sdk/client-s3-control';
import type { Authorizer, Requirement } from '../../core/authorize.js';
import { AwsError, NotImplemented } from '../../core/errors.js';
import type { FaultInjector } from '../../core/faults.js';
import { header, type ServiceRequest, type ServiceResponse, type ServiceRouter } from '../../core/http.js';
import { child, children, escapeXml, isNode, parseXml, text, XML_DECLARATION, type XmlNode } from '../s3/xml.js';
import { InvalidRequest, MalformedXML, MethodNotAllowed, s3ControlErrorResponse, TooManyRequestsException } from './errors.js';
import { BATCH_OPERATIONS_PRINCIPAL } from './runner.js';
import type { S3ControlStore } from './store.js';

export const S3CONTROL_NAMESPACE = 'http://awss3control.amazonaws.com/doc/2018-08-20/';
/** Every S3 Control path starts with the API version. */
export const S3CONTROL_PATH_PREFIX = '/v20180820/';

interface Call {
  request: ServiceRequest;
  accountId: string | undefined;
  /** The `{JobId}` of the path, when it has one. */
  jobId: string | undefined;
}

interface Route {
  operation: string;
  method: string;
  /** The path after `/v20180820/`, `{id}` standing for a job id. */
  path: string;
  /** What the operation needs from a role caller's policies (read only for role callers). */
  permissions?(call: Call, input: unknown): Requirement;
  /** Parses the body, when the operation has one (CreateJob). */
  parse?(call: Call): unknown;
  run?(store: S3ControlStore, call: Call, input: unknown): ServiceResponse;
}

/** The job the path names, as IAM sees it: `arn:aws:s3:<region>:<account>:job/<id>`. */
const onJob =
  (action: string) =>
  (call: Call): Requirement => [{ action, resource: `arn:aws:s3:${call.request.region}:${call.accountId ?? ''}:job/${call.jobId ?? ''}` }];

/** The operations on Batch Operations jobs, by method and path (from the service model); those without `run` are not modelled. */
const ROUTES: readonly Route[] = [
  {
    operation: 'CreateJob',
    method: 'POST',
    path: 'jobs',
    // Creating a job hands it a role: iam:PassRole on it, for S3 Batch Operations, as at AWS.
    permissions: (_call, input) => [
      { action: 's3:CreateJob', resource: '*' },
      ...(typeof (input as CreateJobRequest).RoleArn === 'string'
        ? [{ action: 'iam:PassRole', resource: (input as CreateJobRequest).RoleArn!, context: { 'iam:PassedToService': BATCH_OPERATIONS_PRINCIPAL } }]
        : []),
    ],
    parse: (call) => parseCreateJob(call),
    run: (store, call, input) => {
      const { jobId } = store.createJob(input as CreateJobRequest, call.request.region);
      return xmlResult('CreateJobResult', { JobId: jobId });
    },
  },
  {
    operation: 'ListJobs',
    method: 'GET',
    path: 'jobs',
    permissions: () => [{ action: 's3:ListJobs', resource: '*' }],
    run: (store, call) => {
      const query = call.request.query;
      const result = store.listJobs(call.accountId, {
        statuses: query.getAll('jobStatuses'),
        maxResults: integerParameter(query.get('maxResults'), 'maxResults'),
        ...(query.get('nextToken') !== null ? { nextToken: query.get('nextToken')! } : {}),
      });
      return xmlResult('ListJobsResult', { ...(result.nextToken !== undefined ? { NextToken: result.nextToken } : {}), Jobs: result.jobs satisfies JobListDescriptor[] });
    },
  },
  {
    operation: 'DescribeJob',
    method: 'GET',
    path: 'jobs/{id}',
    permissions: onJob('s3:DescribeJob'),
    run: (store, call) => xmlResult('DescribeJobResult', { Job: store.describeJob(call.accountId, call.jobId!) satisfies JobDescriptor }),
  },
  {
    operation: 'UpdateJobStatus',
    method: 'POST',
    path: 'jobs/{id}/status',
    permissions: onJob('s3:UpdateJobStatus'),
    run: (store, call) => {
      const query = call.request.query;
      const result = store.updateJobStatus(call.accountId, call.jobId!, query.get('requestedJobStatus') ?? undefined, query.get('statusUpdateReason') ?? undefined);
      return xmlResult('UpdateJobStatusResult', { JobId: result.jobId, Status: result.status, ...(result.reason !== undefined ? { StatusUpdateReason: result.reason } : {}) });
    },
  },
  {
    operation: 'UpdateJobPriority',
    method: 'POST',
    path: 'jobs/{id}/priority',
    permissions: onJob('s3:UpdateJobPriority'),
    run: (store, call) => {
      const result = store.updateJobPriority(call.accountId, call.jobId!, integerParameter(call.request.query.get('priority'), 'priority'));
      return xmlResult('UpdateJobPriorityResult', { JobId: result.jobId, Priority: result.priority });
    },
  },
  { operation: 'GetJobTagging', method: 'GET', path: 'jobs/{id}/tagging' },
  { operation: 'PutJobTagging', method: 'PUT', path: 'jobs/{id}/tagging' },
  { operation: 'DeleteJobTagging', method: 'DELETE', path: 'jobs/{id}/tagging' },
];

/** Every route, for tests that check each modelled operation declares its permission. */
export const S3CONTROL_ROUTES: readonly Route[] = ROUTES;

/** What the router works with. */
export interface S3ControlDependencies {
  store: S3ControlStore;
  authorizer: Authorizer;
  faults: FaultInjector;
}

export function createS3ControlRouter(deps: S3ControlDependencies): ServiceRouter {
  const errorResponse = (error: AwsError, request: ServiceRequest): ServiceResponse =>
    s3ControlErrorResponse(error, { method: request.method, requestId: request.requestId, hostId: randomBytes(24).toString('base64') });
  return {
    name: 's3control',
    async handle(request: ServiceRequest): Promise<ServiceResponse> {
      try {
        return dispatch(deps, request);
      } catch (error) {
        // Anything else is our bug: the server logs it and answers InternalError in this protocol's form.
        if (error instanceof AwsError) return errorResponse(error, request);
        throw error;
      }
    },
    errorResponse,
  };
}

function dispatch({ store, authorizer, faults }: S3ControlDependencies, request: ServiceRequest): ServiceResponse {
  const rest = request.path.startsWith(S3CONTROL_PATH_PREFIX) ? request.path.slice(S3CONTROL_PATH_PREFIX.length).replace(/\/+$/, '') : undefined;
  if (rest === undefined) throw MethodNotAllowed.request(request.method, request.path);
  const matched = matchRoute(request.method, rest);
  // Any other S3 Control operation (access points, Storage Lens, ...) is one we do not model.
  if (!matched) throw new NotImplemented(`S3 Control ${request.method} ${request.path}`);
  const { route, jobId } = matched;
  if (!route.run) throw new NotImplemented(`S3 Control ${route.operation}`);
  if (faults.shouldThrottle()) throw new TooManyRequestsException();
  const call: Call = { request, accountId: header(request, 'x-amz-account-id'), jobId };
  const input = route.parse?.(call);
  authorizer.check(request.caller, route.permissions ? () => route.permissions!(call, input) : undefined, route.operation);
  return route.run(store, call, input);
}

function matchRoute(method: string, rest: string): { route: Route; jobId?: string } | undefined {
  const segments = rest.split('/');
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const pattern = route.path.split('/');
    if (pattern.length !== segments.length) continue;
    let jobId: string | undefined;
    const matches = pattern.every((part, index) => {
      if (part === '{id}') {
        jobId = segments[index];
        return jobId !== '';
      }
      return part === segments[index];
    });
    if (matches) return { route, ...(jobId !== undefined ? { jobId } : {}) };
  }
  return undefined;
}

// ---------------------------------------------------------------- reading requests

function integerParameter(value: string | null, name: string): number | undefined {
  if (value === null) return undefined;
  if (!/^-?\d{1,12}$/.test(value)) throw new InvalidRequest(`Invalid ${name}: ${value.slice(0, 64)}`);
  return Number(value);
}

/** CreateJobRequest from its XML body: members as the service model names them, typed, or MalformedXML. */
function parseCreateJob(call: Call): CreateJobRequest {
  const document = parseXml(call.request.body);
  const root = child(document, 'CreateJobRequest');
  if (!root) throw new MalformedXML();
  const request: CreateJobRequest = {
    AccountId: call.accountId,
    Operation: parseOperation(child(root, 'Operation')),
    Report: parseReport(child(root, 'Report')),
    ClientRequestToken: text(root, 'ClientRequestToken'),
    Priority: integerMember(text(root, 'Priority')),
    RoleArn: text(root, 'RoleArn'),
  } as CreateJobRequest;
  const confirmation = booleanMember(text(root, 'ConfirmationRequired'));
  if (confirmation !== undefined) request.ConfirmationRequired = confirmation;
  const description = text(root, 'Description');
  if (description !== undefined) request.Description = description;
  const manifest = child(root, 'Manifest');
  if (manifest) {
    const spec = child(manifest, 'Spec');
    const location = child(manifest, 'Location');
    request.Manifest = {
      Spec: { Format: text(spec, 'Format') as 'S3BatchOperations_CSV_20180820', Fields: children(child(spec, 'Fields'), 'member').map(stringMember) as ('Bucket' | 'Key')[] },
      Location: {
        ObjectArn: text(location, 'ObjectArn') as string,
        ETag: text(location, 'ETag') as string,
        ...(text(location, 'ObjectVersionId') !== undefined ? { ObjectVersionId: text(location, 'ObjectVersionId') } : {}),
      },
    };
  }
  const tags = child(root, 'Tags');
  if (tags) request.Tags = children(tags, 'member').map((tag): S3Tag => ({ Key: text(tag, 'Key') as string, Value: text(tag, 'Value') ?? '' }));
  if (root.ManifestGenerator !== undefined) request.ManifestGenerator = {} as CreateJobRequest['ManifestGenerator'];
  return request;
}

function parseOperation(node: XmlNode | undefined): JobOperation {
  if (!node) return {};
  const operation: Record<string, unknown> = {};
  for (const name of Object.keys(node)) operation[name] = {};
  const lambda = child(node, 'LambdaInvoke');
  if (lambda) {
    const userArguments = child(lambda, 'UserArguments');
    operation.LambdaInvoke = {
      FunctionArn: text(lambda, 'FunctionArn'),
      ...(text(lambda, 'InvocationSchemaVersion') !== undefined ? { InvocationSchemaVersion: text(lambda, 'InvocationSchemaVersion') } : {}),
      ...(userArguments
        ? { UserArguments: Object.fromEntries(children(userArguments, 'entry').map((entry) => [text(entry, 'key') ?? '', text(entry, 'value') ?? ''])) }
        : {}),
    };
  }
  return operation as JobOperation;
}

function parseReport(node: XmlNode | undefined): CreateJobRequest['Report'] {
  if (!node) return undefined;
  const report: Record<string, unknown> = {};
  for (const member of ['Bucket', 'Format', 'Prefix', 'ReportScope', 'ExpectedBucketOwner']) {
    const value = text(node, member);
    if (value !== undefined) report[member] = value;
  }
  const enabled = booleanMember(text(node, 'Enabled'));
  if (enabled !== undefined) report.Enabled = enabled;
  return report as unknown as CreateJobRequest['Report'];
}

function stringMember(value: unknown): string {
  if (typeof value !== 'string') throw new MalformedXML();
  return value;
}

function booleanMember(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new MalformedXML();
}

function integerMember(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,12}$/.test(value.trim())) throw new MalformedXML();
  return Number(value.trim());
}

// ---------------------------------------------------------------- writing results

/** Members written as S3 Control's XML maps (`<entry><key/><value/></entry>`). */
const MAP_MEMBERS = new Set(['UserArguments']);

/** A result document: `<Root xmlns="...">members</Root>`, lists as `<member>` items, as the service model has them. */
function xmlResult(root: string, members: Record<string, unknown>): ServiceResponse {
  const body = `${XML_DECLARATION}<${root} xmlns="${S3CONTROL_NAMESPACE}">${Object.entries(members).map(([name, value]) => element(name, value)).join('')}</${root}>`;
  return { status: 200, headers: { 'content-type': 'application/xml', 'x-amz-id-2': randomBytes(24).toString('base64') }, body };
}

function element(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (Array.isArray(value)) return `<${name}>${value.map((item) => element('member', item)).join('')}</${name}>`;
  if (MAP_MEMBERS.has(name) && isNode(value)) {
    const entries = Object.entries(value).map(([key, item]) => `<entry><key>${escapeXml(key)}</key><value>${escapeXml(String(item))}</value></entry>`);
    return `<${name}>${entries.join('')}</${name}>`;
  }
  if (typeof value === 'object') return `<${name}>${Object.entries(value).map(([member, item]) => element(member, item)).join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}
