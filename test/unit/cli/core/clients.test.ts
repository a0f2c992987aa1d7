// The client factory sends each service exactly where the context resolved it: the SDK's own lookup of
// AWS_ENDPOINT_URL (and profile endpoint_url) is off, so no call goes somewhere thumbctl does not know about.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsClients, isAwsEndpoint } from '../../../../cli/core/clients.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

class Captured extends Error {}

/** Where a client would send `command`: the request is caught just before it leaves. */
async function destination(client: { middlewareStack: unknown; send(command: never): Promise<unknown> }, command: unknown): Promise<string> {
  const stack = client.middlewareStack as { add(middleware: unknown, options: object): void };
  let seen = '';
  stack.add(
    () => async (args: { request: { protocol: string; hostname: string; port?: number; path: string } }) => {
      const { protocol, hostname, port, path } = args.request;
      seen = `${protocol}//${hostname}${port ? `:${port}` : ''}${path}`;
      throw new Captured();
    },
    { step: 'finalizeRequest', name: 'captureDestination', priority: 'low' },
  );
  await assert.rejects(client.send(command as never), Captured);
  return seen;
}

describe('AwsClients', () => {
  const saved = { all: process.env.AWS_ENDPOINT_URL, sts: process.env.AWS_ENDPOINT_URL_STS };
  before(() => {
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:1';
    process.env.AWS_ENDPOINT_URL_STS = 'http://127.0.0.1:2';
  });
  after(() => {
    for (const [name, value] of [['AWS_ENDPOINT_URL', saved.all], ['AWS_ENDPOINT_URL_STS', saved.sts]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('would otherwise be redirected by AWS_ENDPOINT_URL_<SERVICE>: a bare SDK client follows it', async () => {
    const bare = new STSClient({ region: 'eu-west-1', credentials });
    assert.match(await destination(bare, new GetCallerIdentityCommand({})), /^http:\/\/127\.0\.0\.1:2\//);
    bare.destroy();
  });

  it("sends a service with no endpoint resolved to AWS's own, whatever the environment says", async () => {
    const clients = new AwsClients({ region: 'eu-west-1', credentials });
    assert.match(await destination(clients.sts, new GetCallerIdentityCommand({})), /^https:\/\/sts\.eu-west-1\.amazonaws\.com\//);
    clients.destroy();
  });

  it('sends each service to its own resolved endpoint, path-style for S3 off AWS', async () => {
    const clients = new AwsClients({ region: 'eu-west-1', credentials, endpoints: { s3: 'http://127.0.0.1:4566' } });
    assert.equal(await destination(clients.s3, new ListBucketsCommand({})), 'http://127.0.0.1:4566/');
    assert.match(await destination(clients.sts, new GetCallerIdentityCommand({})), /amazonaws\.com/);
    assert.equal(clients.endpointOf('s3'), 'http://127.0.0.1:4566');
    assert.equal(clients.endpointOf('lambda'), undefined);
    clients.destroy();
  });
});

describe('isAwsEndpoint', () => {
  it("knows AWS's own host names from every other endpoint", () => {
    for (const endpoint of [undefined, 'https://s3.eu-west-1.amazonaws.com', 'https://lambda.cn-north-1.amazonaws.com.cn', 'https://sts.us-east-1.api.aws']) assert.equal(isAwsEndpoint(endpoint), true, String(endpoint));
    for (const endpoint of ['http://127.0.0.1:4566', 'http://localhost.localstack.cloud:4566', 'https://amazonaws.com.evil.example', 'http://s3.amazonaws.com.localhost']) assert.equal(isAwsEndpoint(endpoint), false, endpoint);
  });
});
