// Shared by the S3 Control tests: a local cloud with a function that answers Batch Operations tasks, a bucket
// for manifests and reports, a role the jobs run as, and the real SDK v3 S3ControlClient pointed at the cloud
// the way thumbctl points it (cli/core/clients.ts s3ControlConnection: `<account>.localhost` host names).
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, S3ControlClient, type CreateJobCommandInput, type JobDescriptor } from '@aws-sdk/client-s3-control';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { s3ControlConnection } from '../../../cli/core/clients.js';
import { AWS_CLI, TEST_CREDENTIALS, TEST_REGION, type CliResult } from '../../helpers/local-cloud.js';
import { createFixtureFunction, createRole, eventually, functionLogEvents, startLambdaCloud, type LambdaTestCloud } from '../lambda/support.js';
import type { LocalCloudOptions } from '../../../emulator/server.js';

export const ACCOUNT = '000000000000';

export const BATCH_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export interface JobsCloud extends LambdaTestCloud {
  s3: S3Client;
  control: S3ControlClient;
  bucket: string;
  functionName: string;
  functionArn: string;
  /** A role trusted by S3 Batch Operations that may read `manifests/`, write `reports/` and invoke the function. */
  jobRoleArn: string;
}

export async function startJobsCloud(options: Partial<LocalCloudOptions> = {}, existing?: { bucket: string; functionName: string; functionArn: string; jobRoleArn: string }): Promise<JobsCloud> {
  const cloud = await startLambdaCloud(options);
  const s3 = new S3Client({ ...cloud.clientConfig });
  const control = new S3ControlClient({ region: TEST_REGION, credentials: { ...TEST_CREDENTIALS }, ...s3ControlConnection(cloud.endpoint) });
  let names = existing;
  if (!names) {
    const bucket = `jobs-${randomUUID().slice(0, 8)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const fn = await createFixtureFunction(cloud, 'batch-answer', { Timeout: 10 });
    const jobRoleArn = await jobRole(cloud, bucket, fn.FunctionArn!, { read: true, write: true, invoke: true });
    names = { bucket, functionName: fn.FunctionName, functionArn: fn.FunctionArn!, jobRoleArn };
  }
  return {
    ...cloud,
    s3,
    control,
    ...names,
    async close() {
      s3.destroy();
      control.destroy();
      await cloud.close();
    },
  };
}

/** A role trusted by S3 Batch Operations (unless `trusted` is false) with the chosen permissions. */
export async function jobRole(cloud: LambdaTestCloud, bucket: string, functionArn: string, allow: { read: boolean; write: boolean; invoke: boolean; trusted?: boolean }): Promise<string> {
  const name = `batch-${randomUUID().slice(0, 8)}`;
  const trust = allow.trusted === false ? BATCH_TRUST_POLICY.replace('batchoperations.s3.amazonaws.com', 'lambda.amazonaws.com') : BATCH_TRUST_POLICY;
  const arn = await createRole(cloud.iam, name, trust);
  const statements = [
    ...(allow.read ? [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/manifests/*` }] : []),
    ...(allow.write ? [{ Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/reports/*` }] : []),
    ...(allow.invoke ? [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functionArn }] : []),
  ];
  if (statements.length > 0) {
    await cloud.iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'job', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
  }
  return arn;
}

/** Writes a manifest of these keys (URL-encoded, as Batch Operations wants) and returns its location. */
export async function putManifest(cloud: JobsCloud, keys: readonly string[], sourceBucket = 'source-bucket'): Promise<{ ObjectArn: string; ETag: string }> {
  const key = `manifests/${randomUUID()}.csv`;
  const body = keys.map((name) => `${sourceBucket},${encodeURIComponent(name).replace(/%2F/g, '/')}\n`).join('');
  const put = await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: key, Body: body }));
  return { ObjectArn: `arn:aws:s3:::${cloud.bucket}/${key}`, ETag: put.ETag! };
}

/** A CreateJob input for a LambdaInvoke job over `keys`, reporting under `reports/`; `overrides` replace members. */
export async function jobInput(cloud: JobsCloud, keys: readonly string[], overrides: Partial<CreateJobCommandInput> = {}): Promise<CreateJobCommandInput> {
  return {
    AccountId: ACCOUNT,
    ConfirmationRequired: false,
    Operation: { LambdaInvoke: { FunctionArn: cloud.functionArn, InvocationSchemaVersion: '2.0' } },
    Report: { Bucket: `arn:aws:s3:::${cloud.bucket}`, Format: 'Report_CSV_20180820', Enabled: true, Prefix: 'reports', ReportScope: 'AllTasks' },
    ClientRequestToken: randomUUID(),
    Manifest: { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: await putManifest(cloud, keys) },
    Priority: 10,
    RoleArn: cloud.jobRoleArn,
    ...overrides,
  };
}

export async function createJob(cloud: JobsCloud, keys: readonly string[], overrides: Partial<CreateJobCommandInput> = {}): Promise<string> {
  const { JobId } = await cloud.control.send(new CreateJobCommand(await jobInput(cloud, keys, overrides)));
  return JobId!;
}

export async function describe(cloud: JobsCloud, jobId: string): Promise<JobDescriptor> {
  return (await cloud.control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: jobId }))).Job!;
}

/** Polls DescribeJob until the job is in one of `statuses`. */
export async function jobIn(cloud: JobsCloud, jobId: string, statuses: readonly string[], timeoutMs = 30_000): Promise<JobDescriptor> {
  return eventually(async () => {
    const job = await describe(cloud, jobId);
    return statuses.includes(job.Status ?? '') ? job : undefined;
  }, timeoutMs, `job ${jobId} to reach ${statuses.join(' or ')}`);
}

export async function readObject(cloud: JobsCloud, key: string): Promise<string> {
  const object = await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.bucket, Key: key }));
  return object.Body!.transformToString();
}

/** The `task {...}` lines the batch-answer function logged, parsed. */
export async function taskLines(cloud: JobsCloud): Promise<{ key: string; bucket: string; version: string; userArguments: Record<string, string> | null }[]> {
  const events = await functionLogEvents(cloud, cloud.functionName);
  return events
    .map((event) => /task (\{.*\})/.exec(event.message ?? '')?.[1])
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line) as { key: string; bucket: string; version: string; userArguments: Record<string, string> | null });
}

/**
 * The real aws CLI against the cloud's S3 Control. The CLI, like the SDKs, sends S3 Control calls to
 * `<account>.<endpoint host>`; the system resolver knows no `*.localhost` names, so the CLI is given the cloud as its
 * HTTP proxy: it then sends each request, unchanged, to the cloud with the account-prefixed name in Host.
 */
export function runAwsS3Control(endpoint: string, args: string[]): Promise<CliResult> {
  const { port } = new URL(endpoint);
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: TEST_REGION,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    HTTP_PROXY: endpoint,
    http_proxy: endpoint,
  };
  return new Promise((resolve, reject) => {
    execFile(AWS_CLI, ['--endpoint-url', `http://localhost:${port}`, '--region', TEST_REGION, '--output', 'json', ...args], { env }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

export { eventually };
