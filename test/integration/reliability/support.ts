// The reliability tests' helpers: the scenarios' building blocks (scripts/harness/reliability.ts, which the
// full-size scripts share), and fixture functions deployed on a running server, which only the tests use.
import { randomBytes } from 'node:crypto';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { clientConfigFor } from '../../../scripts/harness/clients.js';
import { zipFixture } from '../../fixtures/functions/build-zip.js';
import { LAMBDA_TRUST_POLICY } from '../lambda/support.js';

export * from '../../../scripts/harness/reliability.js';

export interface FixtureDeployer {
  lambda: LambdaClient;
  logs: CloudWatchLogsClient;
  /** Creates a function from test/fixtures/functions/<fixture> (role made on first use) and waits until it is Active. */
  create(name: string, fixture: string, timeoutSeconds?: number): Promise<void>;
  destroy(): void;
}

/** Fixture functions on a running server, through the real IAM and Lambda APIs. */
export function fixtureDeployer(endpoint: string): FixtureDeployer {
  const config = clientConfigFor(endpoint);
  const iam = new IAMClient(config);
  const lambda = new LambdaClient(config);
  const logs = new CloudWatchLogsClient(config);
  let roleArn: Promise<string> | undefined;
  return {
    lambda,
    logs,
    async create(name, fixture, timeoutSeconds = 900) {
      roleArn ??= iam
        .send(new CreateRoleCommand({ RoleName: `reliability-${randomBytes(3).toString('hex')}`, AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY }))
        .then((created) => created.Role!.Arn!);
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: await roleArn,
          Code: { ZipFile: await zipFixture(fixture) },
          Timeout: timeoutSeconds,
        }),
      );
      await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60, minDelay: 0.05, maxDelay: 0.2 }, { FunctionName: name });
    },
    destroy() {
      iam.destroy();
      lambda.destroy();
      logs.destroy();
    },
  };
}
