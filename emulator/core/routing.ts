// Which service a request is for, decided the way LocalStack and moto do: the SigV4 credential scope
// first (header or presigned query), then X-Amz-Target, then well-known paths and Query-protocol versions.
// Pure functions of the request head, so they are unit-tested without a server.
import type { IncomingHttpHeaders } from 'node:http';
import type { CallerCredentials } from './http.js';

export const SERVICE_NAMES = ['s3', 'iam', 'sts', 'lambda', 'logs', 'xray'] as const;
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

/** Reads `Credential=AKID/20260101/us-east-1/s3/aws4_request` from a header or a presigned URL. */
export function parseCredentialScope(headers: IncomingHttpHeaders, query: URLSearchParams): CallerCredentials | undefined {
  const authorization = typeof headers.authorization === 'string' ? headers.authorization : '';
  const fromHeader = /Credential=([^,\s]+)/.exec(authorization)?.[1];
  const credential = fromHeader ?? query.get('X-Amz-Credential') ?? undefined;
  if (!credential) return undefined;
  const [accessKeyId, , region, service] = credential.split('/');
  if (!accessKeyId || !region || !service) return undefined;
  return { accessKeyId, region, service };
}

export function pickService(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  caller: CallerCredentials | undefined,
  formBody: string | undefined,
  query?: URLSearchParams,
): ServiceName {
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
