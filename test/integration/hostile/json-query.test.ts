// Fuzzes the JSON services (CloudWatch Logs' JSON 1.1, X-Ray's and Lambda's REST-JSON) and the Query services
// (IAM, STS) through the real HTTP server, then every service with wrong methods and junk Authorization
// headers. Bodies come from each service's own member names (with nasty values, policy documents, filter
// patterns and segment documents built from their grammars), mutations of them, and noise. Every answer is
// 2xx or an AWS error in that service's protocol; nothing reaches the server's catch-all.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CreateLogGroupCommand, CreateLogStreamCommand, CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { rawQueryPairs } from '../../../emulator/core/auth.js';
import { parseSigV4Credential } from '../../../emulator/core/credential.js';
import { callerOf, pickService } from '../../../emulator/core/routing.js';
import { assertProtocolError, countCase, fuzzRuns, fuzzSeed, reportCounts, scopeAuthorization, send, startHostileCloud, wirePath, formEncode, percentEncode, type HostileCloud, type RawResponse } from '../../helpers/hostile.js';
import { applyEdits, bodyFrom, edits, jsonObject, jsonValue, nastyText, PROTOCOL_OF } from './support.js';

let cloud: HostileCloud;
const GROUP = '/fuzz/group';
const STREAM = 'fuzz-stream';
const ROLE = 'fuzz-role';
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

before(async () => {
  cloud = await startHostileCloud();
  const logs = new CloudWatchLogsClient({ ...cloud.clientConfig });
  await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM }));
  logs.destroy();
  const iam = new IAMClient({ ...cloud.clientConfig });
  await iam.send(new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: TRUST }));
  iam.destroy();
});

after(async () => {
  reportCounts('json-query');
  await cloud.close();
});

/** Checks one answer and records it; returns it for further checks. */
function judge(label: string, response: RawResponse, protocol: Parameters<typeof assertProtocolError>[1], sent: unknown, method = 'POST'): RawResponse {
  countCase(`${label} ${response.status}`);
  // A head over 16 KiB (a long query string) is refused by node itself, before any service: 431, no body.
  if (response.status === 431) return response;
  // HEAD answers have no body in any protocol: the status is all there is to judge.
  if (method === 'HEAD') assert.ok(response.status < 500 || response.status === 501, `HEAD ${label} → ${response.status}`);
  else if (response.status >= 300) assertProtocolError(response, protocol, `${label} ${JSON.stringify(sent).slice(0, 300)}`);
  return response;
}

/** The caller the server routes by: the request's credential as the server parses it, none when it is malformed. */
function parsedCredential(headers: Record<string, string>, rawTarget: string) {
  try {
    return parseSigV4Credential(new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), [value]])), rawQueryPairs(rawTarget));
  } catch {
    return undefined;
  }
}

async function assertStillHealthy(): Promise<void> {
  assert.deepEqual(cloud.internalErrors(), []);
  await cloud.assertHealthy();
}

// ------------------------------------------------------------------------------------------------ grammars

/** Filter patterns assembled from the tokens of CloudWatch Logs' syntax (terms, JSON and space-delimited forms). */
const filterPattern = fc
  .array(
    fc.oneof(
      fc.constantFrom('{', '}', '$.', '$.level', '$.a.b[0]', '=', '!=', '>=', '<', '&&', '||', '(', ')', '"', '%', '[', ']', ',', '*', '?', '-', 'ERROR', 'NOT', 'IS', 'TRUE', 'NULL', 'EXISTS', 'w1', '...', '5', '-3.5', ' ', '%[a-z]+%', '%\\d{1,3}%'),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 12 },
  )
  .map((tokens) => tokens.join(''));

/** X-Ray filter expressions from its keywords. */
const xrayFilter = fc
  .array(
    fc.oneof(
      fc.constantFrom('service(', 'id(', 'edge(', '"api"', 'name:', ')', 'responsetime', 'duration', '>', '<', '=', '!=', '>=', 'AND', 'OR', 'NOT', '!', 'annotation.', 'annotation.k', 'http.status', 'http.url', 'error', 'fault', 'throttle', 'ok', '{', '}', 'groupname', 'CONTAINS', 'BEGINSWITH', '5', '0.5', ',', ' ', 'type:', 'AWS::Lambda::Function'),
      fc.string({ maxLength: 5 }),
    ),
    { maxLength: 10 },
  )
  .map((tokens) => tokens.join(''));

const TRACE_ID = '1-5f84c7a0-0123456789abcdef01234567';
const segmentDocument = fc
  .oneof(
    jsonObject(['name', 'id', 'trace_id', 'start_time', 'end_time', 'in_progress', 'subsegments', 'parent_id', 'type', 'error', 'fault', 'throttle', 'http', 'aws', 'annotations', 'metadata', 'origin', 'namespace', 'cause', 'request', 'response', 'status']),
    fc.record({
      name: nastyText,
      id: fc.oneof(fc.constant('0123456789abcdef'), fc.stringMatching(/^[0-9a-f]{16}$/), nastyText),
      trace_id: fc.oneof(fc.constant(TRACE_ID), nastyText),
      start_time: fc.oneof(fc.double(), fc.constant(Date.now() / 1000)),
      end_time: fc.option(fc.oneof(fc.double(), fc.constant(Date.now() / 1000 + 1))),
      subsegments: fc.option(fc.array(jsonValue, { maxLength: 3 })),
    }),
  )
  .map((document) => JSON.stringify(document));

/** IAM policy documents: structured, from the policy grammar's own words. */
const policyDocument = fc
  .oneof(
    jsonObject(['Version', 'Statement', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Service', 'AWS', 'Federated', 'Condition', 'Sid', 'StringEquals', 'ArnLike', 'Bool', 'aws:SourceArn']),
    fc.record({
      Version: fc.constantFrom('2012-10-17', '2008-10-17', 'x'),
      Statement: fc.array(
        fc.record({
          Effect: fc.constantFrom('Allow', 'Deny', 'allow', ''),
          Action: fc.oneof(fc.constantFrom('sts:AssumeRole', 's3:*', '*', 'a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b'), fc.array(nastyText, { maxLength: 3 })),
          Resource: fc.oneof(fc.constant('*'), nastyText),
          Principal: fc.oneof(fc.constant('*'), fc.record({ Service: fc.oneof(fc.constant('lambda.amazonaws.com'), nastyText) })),
        }),
        { maxLength: 3 },
      ),
    }),
  )
  .map((document) => JSON.stringify(document));

// ------------------------------------------------------------------------------------------------ JSON

const LOGS_OPERATIONS = [
  'CreateLogGroup', 'DeleteLogGroup', 'DescribeLogGroups', 'PutRetentionPolicy', 'DeleteRetentionPolicy', 'CreateLogStream', 'DeleteLogStream',
  'DescribeLogStreams', 'PutLogEvents', 'GetLogEvents', 'FilterLogEvents', 'StartLiveTail', 'StartQuery', '', '__proto__', 'constructor',
];
const LOGS_MEMBERS = [
  'logGroupName', 'logGroupNamePrefix', 'logGroupNamePattern', 'limit', 'nextToken', 'retentionInDays', 'logStreamName', 'logStreamNamePrefix', 'orderBy',
  'descending', 'logEvents', 'timestamp', 'message', 'logGroupIdentifier', 'startTime', 'endTime', 'startFromHead', 'logStreamNames', 'filterPattern', 'interleaved',
];

const logsBody = fc.oneof(
  bodyFrom(jsonObject(LOGS_MEMBERS).map((body) => JSON.stringify(body))),
  // Well-typed requests against the real group and stream, with hostile values where a rule must catch them.
  fc
    .record({
      logGroupName: fc.oneof(fc.constant(GROUP), nastyText),
      logStreamName: fc.oneof(fc.constant(STREAM), nastyText),
      logEvents: fc.array(fc.record({ timestamp: fc.oneof(fc.constant(Date.now()), fc.integer(), fc.double()), message: nastyText }), { maxLength: 4 }),
      filterPattern: filterPattern,
      limit: fc.oneof(fc.integer({ min: -5, max: 20_000 }), fc.double()),
      startTime: fc.integer(),
      nextToken: nastyText,
    })
    .map((body) => JSON.stringify(body)),
);

const XRAY_PATHS = ['/TraceSegments', '/TraceSummaries', '/Traces', '/ServiceGraph', '/TraceGraph', '/GetSamplingRules', '/SamplingTargets', '/TelemetryRecords', '/EncryptionConfig', '/CreateGroup', '/Nope', '/TraceSegments/', '/TraceSegments%2F..'];
const xrayBody = fc.oneof(
  bodyFrom(jsonObject(['TraceSegmentDocuments', 'StartTime', 'EndTime', 'TimeRangeType', 'FilterExpression', 'Sampling', 'NextToken', 'TraceIds', 'SamplingStatisticsDocuments', 'RuleName', 'GroupName']).map((body) => JSON.stringify(body))),
  fc
    .record({
      TraceSegmentDocuments: fc.array(segmentDocument, { maxLength: 3 }),
      StartTime: fc.oneof(fc.constant(Date.now() / 1000 - 60), fc.double(), nastyText),
      EndTime: fc.oneof(fc.constant(Date.now() / 1000), fc.double()),
      FilterExpression: xrayFilter,
      TraceIds: fc.array(fc.oneof(fc.constant(TRACE_ID), nastyText), { maxLength: 7 }),
      TimeRangeType: fc.constantFrom('TraceId', 'Event', 'Service', 'x'),
    })
    .map((body) => JSON.stringify(body)),
);

const LAMBDA_MEMBERS = [
  'FunctionName', 'Role', 'Runtime', 'Handler', 'Code', 'ZipFile', 'S3Bucket', 'S3Key', 'MemorySize', 'Timeout', 'Environment', 'Variables', 'TracingConfig', 'Mode',
  'Description', 'Publish', 'Architectures', 'PackageType', 'Action', 'Principal', 'SourceArn', 'SourceAccount', 'StatementId', 'Tags', 'RevisionId', 'EphemeralStorage',
  'Size', 'Layers', 'DeadLetterConfig', 'LoggingConfig', 'LogFormat',
];
const functionName = fc.oneof(fc.constantFrom('fuzz-missing', 'arn:aws:lambda:us-east-1:000000000000:function:fuzz-missing', '%2e%2e', '..', 'a:b:c:d:e:f:g:h'), nastyText.map(percentEncode));
const lambdaRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  path: fc.oneof(
    functionName.map((name) => `/2015-03-31/functions/${name}`),
    fc.tuple(functionName, fc.constantFrom('configuration', 'code', 'invocations', 'policy', 'aliases', 'versions', 'url', 'concurrency', 'event-invoke-config', 'nope')).map(([name, sub]) => `/2015-03-31/functions/${name}/${sub}`),
    fc.tuple(functionName, nastyText).map(([name, sid]) => `/2015-03-31/functions/${name}/policy/${percentEncode(sid)}`),
    fc.constantFrom('/2015-03-31/functions', '/2015-03-31/functions/', '/2016-08-19/account-settings', '/2015-03-31/event-source-mappings', '/2018-10-31/layers', '/2015-03-31/code-download/x.zip'),
    nastyText.map((arn) => `/2017-03-31/tags/${percentEncode(arn)}`),
  ),
  query: fc.constantFrom('', '?Qualifier=%24LATEST', '?MaxItems=0', '?MaxItems=abc', '?Marker=zzz', '?tagKeys=a&tagKeys=b', '?Qualifier='),
  body: bodyFrom(
    jsonObject(LAMBDA_MEMBERS)
      .chain((body) => fc.constantFrom(body, { ...body, Role: `arn:aws:iam::000000000000:role/${ROLE}`, FunctionName: 'fuzz-created', Runtime: 'nodejs22.x', Handler: 'index.handler' }))
      .map((body) => JSON.stringify(body)),
  ),
  invocationType: fc.constantFrom(undefined, 'Event', 'RequestResponse', 'DryRun', 'Bogus'),
});

describe('JSON protocols under fuzzing', () => {
  it('CloudWatch Logs (JSON 1.1): any target and body gets 2xx or a JSON 1.1 error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...LOGS_OPERATIONS), logsBody, fc.constantFrom('application/x-amz-json-1.1', 'application/json', 'text/plain'), async (operation, body, contentType) => {
        const response = await send(cloud.endpoint, {
          method: 'POST',
          path: '/',
          headers: { 'x-amz-target': `Logs_20140328.${operation}`, 'content-type': contentType, authorization: scopeAuthorization('logs') },
          body,
        });
        judge(`Logs.${operation || '(none)'}`, response, 'json-1.1', body);
      }),
      { numRuns: fuzzRuns(150), ...fuzzSeed() },
    );
    await assertStillHealthy();
  });

  it('X-Ray (REST-JSON): any path and body gets 2xx or a REST-JSON error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...XRAY_PATHS), fc.constantFrom('POST', 'GET'), xrayBody, async (path, method, body) => {
        // X-Ray is found by its paths for POST; other methods need the credential scope to get there.
        const response = await send(cloud.endpoint, {
          method,
          path,
          headers: { 'content-type': 'application/json', authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/xray/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000' },
          body,
        });
        judge(`XRay${path}`, response, 'rest-json', body);
      }),
      { numRuns: fuzzRuns(150), ...fuzzSeed() },
    );
    await assertStillHealthy();
  });

  it('Lambda (REST-JSON): any method, path and body gets 2xx or a REST-JSON error', async () => {
    await fc.assert(
      fc.asyncProperty(lambdaRequest, async (request) => {
        const response = await send(cloud.endpoint, {
          method: request.method,
          path: `${request.path}${request.query}`,
          headers: {
            'content-type': 'application/json',
            authorization: scopeAuthorization('lambda'),
            ...(request.invocationType ? { 'x-amz-invocation-type': request.invocationType } : {}),
          },
          body: request.method === 'GET' ? undefined : request.body,
        });
        judge(`Lambda ${request.method}`, response, 'rest-json', request, request.method);
      }),
      { numRuns: fuzzRuns(100), ...fuzzSeed() },
    );
    await assertStillHealthy();
  });

  it('Lambda (REST-JSON): a member of the wrong JSON type is InvalidRequestContentException (400), never a crash', async () => {
    const role = `arn:aws:iam::000000000000:role/${ROLE}`;
    const base = { FunctionName: 'typed', Runtime: 'nodejs22.x', Role: role, Handler: 'index.handler', Code: { ZipFile: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' } };
    const cases: [path: string, method: string, body: unknown][] = [
      ['/2015-03-31/functions', 'POST', { ...base, Architectures: 'arm64' }],
      ['/2015-03-31/functions', 'POST', { ...base, Handler: 12 }],
      ['/2015-03-31/functions', 'POST', { ...base, Code: { ZipFile: 5 } }],
      ['/2015-03-31/functions', 'POST', { ...base, Environment: { Variables: { A: 5 } } }],
      ['/2015-03-31/functions', 'POST', { ...base, MemorySize: '512' }],
      ['/2015-03-31/functions/typed/code', 'PUT', { ZipFile: 5 }],
      ['/2015-03-31/functions/typed/configuration', 'PUT', { Timeout: 'ten' }],
      ['/2015-03-31/functions/typed/policy', 'POST', { StatementId: 's', Action: 'lambda:InvokeFunction', Principal: 5 }],
    ];
    for (const [path, method, body] of cases) {
      const sent = JSON.stringify(body);
      const response = await send(cloud.endpoint, { method, path, headers: { 'content-type': 'application/json', authorization: scopeAuthorization('lambda') }, body: sent });
      judge(`Lambda ${method} ${path}`, response, 'rest-json', body, method);
      assert.equal(response.status, 400, `${method} ${path} ${sent}: ${response.body}`);
      assert.match(String(response.headers['x-amzn-errortype'] ?? response.body), /InvalidRequestContentException/, sent);
    }
    await assertStillHealthy();
  });
});

// ------------------------------------------------------------------------------------------------ Query

const IAM_ACTIONS = [
  'CreateRole', 'GetRole', 'ListRoles', 'UpdateRole', 'UpdateRoleDescription', 'DeleteRole', 'UpdateAssumeRolePolicy', 'AttachRolePolicy', 'DetachRolePolicy',
  'ListAttachedRolePolicies', 'PutRolePolicy', 'GetRolePolicy', 'DeleteRolePolicy', 'ListRolePolicies', 'TagRole', 'UntagRole', 'ListRoleTags', 'CreatePolicy',
  'GetPolicy', 'GetPolicyVersion', 'ListPolicyVersions', 'DeletePolicy', 'ListPolicies', 'CreateUser', 'hasOwnProperty', '__proto__', '',
];
const STS_ACTIONS = ['GetCallerIdentity', 'AssumeRole', 'GetSessionToken', 'AssumeRoleWithWebIdentity', 'DecodeAuthorizationMessage', 'toString'];
const QUERY_PARAMETERS = [
  'RoleName', 'AssumeRolePolicyDocument', 'Path', 'Description', 'MaxSessionDuration', 'PolicyArn', 'PolicyName', 'PolicyDocument', 'PathPrefix', 'Marker',
  'MaxItems', 'TagKeys.member.1', 'TagKeys.member.0', 'Tags.member.1.Key', 'Tags.member.1.Value', 'Tags.member.99999999999999999999.Key', 'Tags.member.1.__proto__',
  'PermissionsBoundary', 'VersionId', 'OnlyAttached', 'Scope', 'RoleArn', 'RoleSessionName', 'DurationSeconds', 'Policy', 'ExternalId', 'SerialNumber', 'TokenCode',
];
const queryValue = fc.oneof(
  nastyText,
  policyDocument,
  fc.constantFrom(ROLE, `arn:aws:iam::000000000000:role/${ROLE}`, 'arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess', '3600', '900', '43201', '/', '/a/', 'Local', 'AWS', 'true'),
);
const queryParameters = fc.array(fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...QUERY_PARAMETERS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }), queryValue), { maxLength: 6 });


describe('Query protocol under fuzzing', () => {
  for (const [service, version, actions] of [
    ['iam', '2010-05-08', IAM_ACTIONS],
    ['sts', '2011-06-15', STS_ACTIONS],
  ] as const) {
    it(`${service.toUpperCase()}: any action and parameters, POSTed or in the query string, get 2xx or an ErrorResponse`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...actions),
          queryParameters,
          fc.constantFrom('post', 'get', 'post-signed'),
          fc.option(edits, { freq: 4 }),
          async (action, parameters, style, mutation) => {
            let encoded = formEncode([['Action', action], ['Version', version], ...parameters]);
            if (mutation) encoded = applyEdits(encoded, mutation);
            // The router sees only signed requests (an unsigned Query call is refused before routing, which the
            // unsigned POST checks): a well-formed signature, unverified here, with the service's scope.
            const signed: Record<string, string> = style === 'post' ? {} : { authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}` };
            const response =
              style === 'get'
                ? await send(cloud.endpoint, { method: 'GET', path: wirePath(`/?${encoded}`), headers: signed })
                : await send(cloud.endpoint, { method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...signed }, body: encoded });
            // A mutated form may no longer say which service it is for; judge it by where the server sent it.
            const routed = pickService(style === 'get' ? 'GET' : 'POST', '/', {}, callerOf(parsedCredential(signed, style === 'get' ? wirePath(`/?${encoded}`) : '/')), style === 'get' ? undefined : encoded, style === 'get' ? new URL(`http://local${wirePath(`/?${encoded}`)}`).searchParams : undefined);
            judge(`${service.toUpperCase()}.${action || '(none)'}`, response, PROTOCOL_OF[routed], encoded);
          },
        ),
        { numRuns: fuzzRuns(150), ...fuzzSeed() },
      );
      await assertStillHealthy();
    });
  }
});

// ------------------------------------------------------------------------------------------------ methods and auth

const SERVICE_PATHS = ['/', '/fuzz-bucket', '/fuzz-bucket/key', '/2015-03-31/functions', '/2015-03-31/functions/x/invocations', '/TraceSegments', '/TraceSummaries', '/?Action=ListRoles&Version=2010-05-08', '/?Action=GetCallerIdentity&Version=2011-06-15'];
const authorization = fc.oneof(
  fc.constant(undefined),
  nastyText,
  fc
    .tuple(
      fc.oneof(fc.constantFrom('AWS4-HMAC-SHA256', 'AWS', 'Bearer', 'AWS4-HMAC-SHA512', ''), nastyText),
      fc.oneof(nastyText, fc.constantFrom('test', 'AKIAIOSFODNN7EXAMPLE', '')),
      fc.oneof(fc.constantFrom('20260101', '', '2026-01-01'), nastyText),
      fc.oneof(fc.constantFrom('us-east-1', '', 'mars-1'), nastyText),
      fc.oneof(fc.constantFrom('s3', 'iam', 'sts', 'lambda', 'logs', 'xray', 'execute-api', '__proto__', 'constructor', ''), nastyText),
      fc.oneof(fc.constantFrom('aws4_request', ''), nastyText),
      fc.option(nastyText),
    )
    .map(([scheme, key, date, region, service, terminator, rest]) => `${scheme} Credential=${key}/${date}/${region}/${service}/${terminator}${rest === null ? '' : `, ${rest}`}`),
);

describe('wrong methods and malformed Authorization headers', () => {
  it('answer every service in its own protocol, never with a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS', 'TRACE'),
        fc.constantFrom(...SERVICE_PATHS),
        authorization,
        fc.option(fc.constantFrom('Logs_20140328.DescribeLogGroups', 'Logs_20140328.Nope', 'Logs_', 'DynamoDB_20120810.ListTables')),
        fc.option(fc.oneof(nastyText, fc.constantFrom('X-Amz-Credential=test%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=1', 'X-Amz-Date=garbage&X-Amz-Expires=-5'))),
        async (method, path, auth, target, extraQuery) => {
          const fullPath = extraQuery === null ? path : `${path}${path.includes('?') ? '&' : '?'}${wirePath(extraQuery)}`;
          const headers: Record<string, string> = {};
          // Header values must be Latin-1 without CR/LF for node to send them; what node refuses no client can send either.
          if (auth !== undefined && /^[\t\x20-\x7e\x80-\xff]*$/.test(auth)) headers.authorization = auth;
          if (target !== null) headers['x-amz-target'] = target;
          const response = await send(cloud.endpoint, { method, path: fullPath, headers });
          const url = new URL(`http://local${fullPath}`);
          const service = pickService(method, url.pathname, headers, callerOf(parsedCredential(headers, fullPath)), undefined, url.searchParams);
          judge(`${method} ${service}`, response, PROTOCOL_OF[service], { method, fullPath, headers }, method);
        },
      ),
      { numRuns: fuzzRuns(200), ...fuzzSeed() },
    );
    await assertStillHealthy();
  });

  it('leave no trace in the cloud of a request that was refused', async () => {
    // A sanity check on the fuzzing itself: the bucket used above never existed.
    const response = await send(cloud.endpoint, { method: 'GET', path: `/fuzz-bucket-${randomBytes(3).toString('hex')}` });
    assert.equal(assertProtocolError(response, 's3'), 'NoSuchBucket');
  });
});
