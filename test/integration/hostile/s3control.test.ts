// Fuzzes S3 Control through the real HTTP server: CreateJob bodies (structured documents of its own vocabulary,
// shaped requests with hostile values, mutations, noise), the query members of ListJobs, UpdateJobStatus and
// UpdateJobPriority, job ids in the path, and any method on its paths. The server must answer 2xx or an S3 Control
// ErrorResponse (never a 500, never a stack); a job it accepted must be described back as XML the SDK parses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DescribeJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { XMLValidator } from 'fast-xml-parser';
import { s3ControlConnection } from '../../../cli/core/clients.js';
import { assertProtocolError, countCase, fuzzRuns, fuzzSeed, percentEncode, reportCounts, scopeAuthorization, send, startHostileCloud, wirePath, type HostileCloud } from '../../helpers/hostile.js';
import { TEST_CREDENTIALS, TEST_REGION } from '../../helpers/local-cloud.js';
import { pickService } from '../../../emulator/core/routing.js';
import { MAX_BUFFERED_BODY_BYTES } from '../../../emulator/server.js';
import { bodyFrom, nastyText, PROTOCOL_OF, xmlDocument } from './support.js';

let cloud: HostileCloud;
let control: S3ControlClient;
const ACCOUNT = '000000000000';
const NAMESPACE = 'http://awss3control.amazonaws.com/doc/2018-08-20/';
const HEADERS = { 'x-amz-account-id': ACCOUNT, authorization: scopeAuthorization('s3') };

before(async () => {
  cloud = await startHostileCloud();
  control = new S3ControlClient({ region: TEST_REGION, credentials: { ...TEST_CREDENTIALS }, ...s3ControlConnection(cloud.endpoint) });
});

after(async () => {
  reportCounts('s3control');
  control.destroy();
  await cloud.close();
});

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const VOCABULARY = [
  'Operation', 'LambdaInvoke', 'FunctionArn', 'InvocationSchemaVersion', 'UserArguments', 'entry', 'key', 'value', 'S3PutObjectTagging',
  'Report', 'Bucket', 'Format', 'Enabled', 'Prefix', 'ReportScope', 'Priority', 'RoleArn', 'ConfirmationRequired', 'ClientRequestToken',
  'Manifest', 'Spec', 'Fields', 'member', 'Location', 'ObjectArn', 'ETag', 'ObjectVersionId', 'Description', 'Tags', 'Key', 'Value', 'ManifestGenerator',
];
const maybe = (arbitrary: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.oneof(arbitrary, nastyText);

/** A CreateJob of the right shape whose values are often hostile: the success path gets fuzzed too. */
const shapedCreateJob = fc
  .record({
    functionArn: maybe(fc.constantFrom('arn:aws:lambda:us-east-1:000000000000:function:f', 'f', 'function:f:$LATEST')),
    schema: fc.option(maybe(fc.constantFrom('1.0', '2.0'))),
    userArguments: fc.option(fc.array(fc.tuple(nastyText, nastyText), { maxLength: 12 })),
    enabled: maybe(fc.constantFrom('true', 'false')),
    reportBucket: maybe(fc.constant('arn:aws:s3:::reports')),
    scope: maybe(fc.constantFrom('AllTasks', 'FailedTasksOnly')),
    priority: maybe(fc.constantFrom('0', '10', '-1', '2147483648', '1.5', '99999999999999')),
    role: maybe(fc.constant('arn:aws:iam::000000000000:role/r')),
    token: maybe(fc.uuid()),
    fields: fc.array(maybe(fc.constantFrom('Bucket', 'Key', 'VersionId', 'Ignore')), { maxLength: 4 }),
    objectArn: maybe(fc.constant('arn:aws:s3:::manifests/m.csv')),
    etag: maybe(fc.constant('"0123"')),
    confirmation: fc.option(maybe(fc.constantFrom('true', 'false'))),
  })
  .map(
    (job) =>
      `<CreateJobRequest xmlns="${NAMESPACE}"><Operation><LambdaInvoke><FunctionArn>${escape(job.functionArn)}</FunctionArn>` +
      `${job.schema === null ? '' : `<InvocationSchemaVersion>${escape(job.schema)}</InvocationSchemaVersion>`}` +
      `${job.userArguments === null ? '' : `<UserArguments>${job.userArguments.map(([key, value]) => `<entry><key>${escape(key)}</key><value>${escape(value)}</value></entry>`).join('')}</UserArguments>`}` +
      `</LambdaInvoke></Operation><Report><Enabled>${escape(job.enabled)}</Enabled><Bucket>${escape(job.reportBucket)}</Bucket><Format>Report_CSV_20180820</Format><ReportScope>${escape(job.scope)}</ReportScope></Report>` +
      `<Priority>${escape(job.priority)}</Priority><RoleArn>${escape(job.role)}</RoleArn><ClientRequestToken>${escape(job.token)}</ClientRequestToken>` +
      `${job.confirmation === null ? '' : `<ConfirmationRequired>${escape(job.confirmation)}</ConfirmationRequired>`}` +
      `<Manifest><Spec><Format>S3BatchOperations_CSV_20180820</Format><Fields>${job.fields.map((field) => `<member>${escape(field)}</member>`).join('')}</Fields></Spec>` +
      `<Location><ObjectArn>${escape(job.objectArn)}</ObjectArn><ETag>${escape(job.etag)}</ETag></Location></Manifest></CreateJobRequest>`,
  );

describe('S3 Control under fuzzing', () => {
  it('CreateJob: every body gets 2xx or an S3 Control error, and an accepted job is described back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(bodyFrom(xmlDocument(['CreateJobRequest'], VOCABULARY, NAMESPACE)), shapedCreateJob), async (body) => {
        const response = await send(cloud.endpoint, { method: 'POST', path: '/v20180820/jobs', headers: { ...HEADERS, 'content-type': 'application/xml' }, body });
        countCase(`CreateJob ${response.status}`);
        if (response.status === 200) {
          assert.equal(XMLValidator.validate(response.body), true, response.body.slice(0, 300));
          const jobId = /<JobId>([^<]+)<\/JobId>/.exec(response.body)?.[1];
          assert.ok(jobId, response.body);
          const { Job } = await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: jobId }));
          assert.equal(Job?.JobId, jobId);
        } else {
          assertProtocolError(response, 's3-control', `CreateJob ${JSON.stringify(body).slice(0, 300)}`);
        }
      }),
      { numRuns: fuzzRuns(60), ...fuzzSeed() },
    );
    assert.deepEqual(cloud.internalErrors(), []);
    await cloud.assertHealthy();
  });

  it('query members, job ids and methods: 2xx or an S3 Control error, never a 500', async () => {
    const paths = ['/v20180820/jobs', '/v20180820/jobs/', '/v20180820/jobs/{id}', '/v20180820/jobs/{id}/status', '/v20180820/jobs/{id}/priority', '/v20180820/jobs/{id}/tagging', '/v20180820/accesspoint', '/v20180820/'];
    const parameters = ['jobStatuses', 'maxResults', 'nextToken', 'requestedJobStatus', 'statusUpdateReason', 'priority'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH'),
        fc.constantFrom(...paths),
        fc.oneof(nastyText, fc.uuid(), fc.constantFrom('abcde', '../..', '%00')),
        fc.array(fc.tuple(fc.constantFrom(...parameters), fc.oneof(nastyText, fc.constantFrom('Cancelled', 'Ready', 'Active', '5', '-1', '1001')))),
        async (method, template, id, query) => {
          const path = wirePath(template.replace('{id}', id));
          const search = query.map(([name, value]) => `${name}=${percentEncode(value)}`).join('&');
          const response = await send(cloud.endpoint, { method, path: search ? `${path}?${search}` : path, headers: HEADERS });
          countCase(`${method} ${template} ${response.status}`);
          // `..` segments are resolved before routing: a path that leaves /v20180820/ is S3's to answer.
          const routed = pickService(method, new URL(`http://local${path}`).pathname, HEADERS, { accessKeyId: 'test', region: TEST_REGION, service: 's3' }, undefined);
          if (response.status >= 200 && response.status < 300) {
            if (response.body !== '') assert.equal(XMLValidator.validate(response.body), true, response.body.slice(0, 300));
          } else {
            assertProtocolError(response, PROTOCOL_OF[routed], `${method} ${path}?${search}`);
          }
        },
      ),
      { numRuns: fuzzRuns(150), ...fuzzSeed() },
    );
    assert.deepEqual(cloud.internalErrors(), []);
    await cloud.assertHealthy();
  });

  it('a CreateJob body past its bound: EntityTooLarge in S3 Control’s error form', async () => {
    // Prepare: a well-formed document padded just past the 1 MiB S3 Control reads whole
    const head = `<CreateJobRequest xmlns="${NAMESPACE}"><Description>`;
    const tail = '</Description></CreateJobRequest>';
    const body = head + 'x'.repeat(MAX_BUFFERED_BODY_BYTES.s3control + 1 - head.length - tail.length) + tail;

    // Act
    const response = await send(cloud.endpoint, { method: 'POST', path: '/v20180820/jobs', headers: HEADERS, body });

    // Assess
    assert.equal(response.status, 400, response.body.slice(0, 300));
    assert.match(response.body, /^<\?xml[^>]*>\s*<ErrorResponse><Error><Code>EntityTooLarge<\/Code>/);
    assert.deepEqual(cloud.internalErrors(), []);
    await cloud.assertHealthy();
  });
});
