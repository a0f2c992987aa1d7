// Which service a request is for, decided the way LocalStack and moto do: the SigV4 credential scope
// first (header or presigned query, as credential.ts parsed it), then X-Amz-Target, then well-known paths and
// Query-protocol versions.
// Pure functions of the request head, so they are unit-tested without a server.
import type { IncomingHttpHeaders } from 'node:http';
import type { SigV4Credential } from './credential.js';
import type { CallerCredentials } from './http.js';

export const SERVICE_NAMES = ['s3', 'iam', 'sts', 'lambda', 'logs', 'xray', 's3control'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const SCOPE_ALIASES: Record<string, ServiceName> = {
  s3: 's3',
  iam: 'iam',
  sts: 'sts',
  lambda: 'lambda',
  logs: 'logs',
  xray: 'xray',
};

/** Lambda's REST paths start with the API version that introduced them (tags are `/2017-03-31/tags/<arn>`). */
const LAMBDA_PATH = /^\/(2015-03-31|2016-08-19|2017-03-31|2017-10-31|2018-10-31|2019-09-25|2019-09-30|2020-04-22|2020-06-30|2021-10-31|2021-11-15|2024-08-31)\//;

/**
 * Who signed the request, as routing and authorisation see it: the key, region and service of the one credential
 * credential.ts parsed (header or presigned query). Never read from the header again.
 */
export function callerOf(credential: SigV4Credential | undefined): CallerCredentials | undefined {
  if (credential === undefined) return undefined;
  return { accessKeyId: credential.accessKeyId, region: credential.scope.region, service: credential.scope.service };
}

export function pickService(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  caller: CallerCredentials | undefined,
  formBody: string | undefined,
  query?: URLSearchParams,
): ServiceName {
  // S3 Control signs as `s3` but is an API of its own: its paths start with its version and carry the account.
  if (isS3ControlRequest(path, headers, caller)) return 's3control';
  // Own properties only: a scope naming `constructor` or `__proto__` is no service, not Object's prototype.
  const fromScope = caller && Object.hasOwn(SCOPE_ALIASES, caller.service) ? SCOPE_ALIASES[caller.service] : undefined;
  if (fromScope) return fromScope;
  const target = typeof headers['x-amz-target'] === 'string' ? headers['x-amz-target'] : '';
  if (target.startsWith('Logs_')) return 'logs';
  if (LAMBDA_PATH.test(path)) return 'lambda';
  if (method === 'POST' && /^\/(TraceSegments|TraceSummaries|Traces|ServiceGraph|TraceGraph|TelemetryRecords|GetSamplingRules|SamplingTargets)$/.test(path)) {
    return 'xray';
  }
  // Query-protocol calls carry Version in a form body (POST) or in the query string (GET).
  const queryVersion = query?.get('Action') ? query.get('Version') : null;
  if (formBody !== undefined || queryVersion) {
    const version = queryVersion ?? new URLSearchParams(formBody).get('Version');
    if (version === '2011-06-15') return 'sts';
    if (version === '2010-05-08') return 'iam';
  }
  return 's3';
}

/**
 * An S3 Control request: `/v20180820/...` with an `x-amz-account-id` header (every S3 Control operation sends one;
 * S3 never does), unsigned or signed for `s3`. A bucket named `v20180820` is still S3 without that header.
 */
export function isS3ControlRequest(path: string, headers: IncomingHttpHeaders, caller: CallerCredentials | undefined): boolean {
  return path.startsWith('/v20180820/') && headers['x-amz-account-id'] !== undefined && (caller === undefined || caller.service === 's3');
}
