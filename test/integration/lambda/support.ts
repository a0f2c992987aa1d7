// Shared setup of the Lambda integration tests: a local cloud with fast Lambda tuning, real SDK clients,
// an execution role created through the real IAM API, and fixture functions created and waited for.
import { randomUUID } from 'node:crypto';
import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  LambdaClient,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type CreateFunctionCommandInput,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import type { LocalCloudOptions } from '../../../emulator/server.js';
import type { LambdaTuning, SettingsWithLambdaTuning } from '../../../emulator/runtime/tuning.js';
import { startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';
import { zipFixture } from '../../fixtures/functions/build-zip.js';

export { eventually } from '../../helpers/eventually.js';

export const LAMBDA_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export interface LambdaTestCloud extends TestCloud {
  lambda: LambdaClient;
  iam: IAMClient;
  logs: CloudWatchLogsClient;
  /** An execution role trusting lambda.amazonaws.com. */
  roleArn: string;
}

/**
 * A local cloud for Lambda tests: short state delays and retry backoff.
 * @param options - cloud options (faults, ...)
 * @param tuning - Lambda runtime tuning for this cloud
 */
export async function startLambdaCloud(options: Partial<LocalCloudOptions> = {}, tuning: Partial<LambdaTuning> = {}): Promise<LambdaTestCloud> {
  const cloud = await startTestCloud({ stateDelayMs: 50, ...options });
  (cloud.cloud.context.settings as SettingsWithLambdaTuning).lambda = { retryDelaysMs: [50, 100], ...tuning };
  const lambda = new LambdaClient({ ...cloud.clientConfig });
  const iam = new IAMClient({ ...cloud.clientConfig });
  const logs = new CloudWatchLogsClient({ ...cloud.clientConfig });
  const roleArn = await createRole(iam, `lambda-test-${randomUUID().slice(0, 8)}`, LAMBDA_TRUST_POLICY);
  return {
    ...cloud,
    lambda,
    iam,
    logs,
    roleArn,
    async close() {
      lambda.destroy();
      iam.destroy();
      logs.destroy();
      await cloud.close();
    },
  };
}

export async function createRole(iam: IAMClient, roleName: string, trustPolicy: string): Promise<string> {
  const created = await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trustPolicy }));
  return created.Role!.Arn!;
}

/** Waiter settings for a local cloud: poll every few tens of milliseconds. */
export function fastWaiter(client: LambdaClient) {
  return { client, maxWaitTime: 20, minDelay: 0.02, maxDelay: 0.1 };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Creates a function from a fixture folder and waits until it is Active.
 * @param overrides - any CreateFunction parameter (Timeout, MemorySize, TracingConfig, ...)
 */
export async function createFixtureFunction(
  cloud: LambdaTestCloud,
  fixture: string,
  overrides: Partial<CreateFunctionCommandInput> = {},
): Promise<FunctionConfiguration & { FunctionName: string }> {
  const created = await cloud.lambda.send(
    new CreateFunctionCommand({
      FunctionName: uniqueName(fixture),
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: cloud.roleArn,
      Code: { ZipFile: await zipFixture(fixture) },
      Timeout: 3,
      MemorySize: 128,
      ...overrides,
    }),
  );
  await waitUntilFunctionActiveV2(fastWaiter(cloud.lambda), { FunctionName: created.FunctionName! });
  return created as FunctionConfiguration & { FunctionName: string };
}

export async function waitUpdated(cloud: LambdaTestCloud, functionName: string): Promise<void> {
  await waitUntilFunctionUpdatedV2(fastWaiter(cloud.lambda), { FunctionName: functionName });
}

export function decodeJson(payload: Uint8Array | undefined): unknown {
  return JSON.parse(Buffer.from(payload ?? new Uint8Array()).toString('utf8'));
}

/** Every event of a function's log group, through the real CloudWatch Logs API. */
export async function functionLogEvents(cloud: LambdaTestCloud, functionName: string): Promise<FilteredLogEvent[]> {
  try {
    const result = await cloud.logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${functionName}` }));
    return result.events ?? [];
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return [];
    throw error;
  }
}
