// AWS's conventions for endpoints and region through the real CLI, one rule on both targets: --endpoint-url >
// AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL > the target's own; --region > AWS_REGION > AWS_DEFAULT_REGION >
// us-east-1. An endpoint in force under --target aws is known to be one: the calls go there, --debug says where each
// setting came from, and no AWS-only note (X-Ray's indexing delay) is printed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { closedPort } from '../../helpers/fake-npm-registry.js';
import { startTestCloud, TEST_CREDENTIALS, type TestCloud } from '../../helpers/local-cloud.js';
import { runThumbctl, type ThumbctlResult } from '../../helpers/thumbctl.js';

let test: TestCloud;
let dir: string;
let refused: string;

/** No AWS configuration of the user's, and none of the variables under test unless given. */
const CLEAN_ENV = {
  AWS_ENDPOINT_URL: undefined,
  AWS_ENDPOINT_URL_S3: undefined,
  AWS_ENDPOINT_URL_LAMBDA: undefined,
  AWS_ENDPOINT_URL_IAM: undefined,
  AWS_ENDPOINT_URL_STS: undefined,
  AWS_ENDPOINT_URL_XRAY: undefined,
  AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: undefined,
  AWS_REGION: undefined,
  AWS_DEFAULT_REGION: undefined,
  AWS_PROFILE: undefined,
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  THUMBCTL_STACK: undefined,
  THUMBCTL_LOCAL_FAULTS: undefined,
};

before(async () => {
  test = await startTestCloud();
  dir = mkdtempSync(join(tmpdir(), 'thumbctl-endpoints-'));
  refused = `http://127.0.0.1:${await closedPort()}`;
});
after(async () => {
  await test?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function thumbctl(args: string[], env: Record<string, string | undefined> = {}): Promise<ThumbctlResult> {
  return runThumbctl(args, { cwd: dir, timeoutMs: 180_000, env: { ...CLEAN_ENV, ...env } });
}

describe('--target aws with AWS_ENDPOINT_URL', () => {
  it('sends every call to the endpoint, knows it is not AWS, and --debug says where each setting came from', async () => {
    const env = { AWS_ENDPOINT_URL: test.endpoint, AWS_REGION: 'us-east-1' };
    const setup = await thumbctl(['setup', '--target', 'aws', '--stack', 'envaws', '--json', '--debug'], env);
    assert.equal(setup.code, 0, setup.stderr);
    assert.equal(setup.json().target, 'aws');
    assert.match(setup.stderr, new RegExp(`endpoint[^\\n]*${test.endpoint.replace(/[.:/]/g, '\\$&')}[^\\n]*env AWS_ENDPOINT_URL`));
    assert.match(setup.stderr, /region\s+us-east-1\s+env AWS_REGION/);
    assert.match(setup.stderr, /stack\s+envaws\s+flag --stack/);
    const lambda = new LambdaClient({ ...test.clientConfig });
    const deployed = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'envaws-thumbnailer' }));
    lambda.destroy();
    assert.equal(deployed.TracingConfig?.Mode, 'Active', 'the function is in the local cloud');

    const upload = await thumbctl(['upload', new URL('../../../assets/canyon.jpg', import.meta.url).pathname, '40x40', '--target', 'aws', '--stack', 'envaws'], env);
    assert.equal(upload.code, 0, upload.stderr);
    const traces = await thumbctl(['traces', '--target', 'aws', '--stack', 'envaws'], env);
    assert.equal(traces.code, 0, traces.stderr);
    assert.doesNotMatch(traces.stderr + traces.stdout, /tens of seconds/, 'no AWS-only X-Ray note against a local endpoint');
  });

  it('gives a service its own AWS_ENDPOINT_URL_<SERVICE> over AWS_ENDPOINT_URL, and --endpoint-url over both', async () => {
    const env = { AWS_ENDPOINT_URL: test.endpoint, AWS_ENDPOINT_URL_S3: refused, AWS_REGION: 'us-east-1' };
    const perService = await thumbctl(['status', '--target', 'aws', '--stack', 'envaws'], env);
    assert.notEqual(perService.code, 0, 'S3 went to the refusing endpoint');
    assert.match(perService.stderr, new RegExp(`${refused.replace(/[.:/]/g, '\\$&')}|ECONNREFUSED`));
    const flag = await thumbctl(['status', '--target', 'aws', '--stack', 'envaws', '--endpoint-url', test.endpoint], env);
    assert.equal(flag.code, 0, flag.stderr);
  });
});

describe('the region on the local target', () => {
  it('is --region > AWS_REGION > AWS_DEFAULT_REGION > us-east-1', async () => {
    const region = async (args: string[], env: Record<string, string>): Promise<string> => {
      const result = await thumbctl(['setup', '--dry-run', '--json', '--endpoint-url', test.endpoint, ...args], env);
      assert.ok(result.code === 0 || result.code === 4, result.stderr);
      assert.match(result.json().sourceBucket, new RegExp(`-${result.json().region}$`), 'the default bucket names follow the region');
      return result.json().region;
    };
    assert.equal(await region(['--region', 'ap-south-1'], { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-2' }), 'ap-south-1');
    assert.equal(await region([], { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-2' }), 'eu-west-1');
    assert.equal(await region([], { AWS_DEFAULT_REGION: 'eu-west-2' }), 'eu-west-2');
    assert.equal(await region([], {}), 'us-east-1');
  });
});
