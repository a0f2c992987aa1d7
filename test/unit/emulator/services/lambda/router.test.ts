// Lambda's operation table: a path the local cloud does not implement answers NotImplemented naming the AWS
// operation it is (or, for a path that is no Lambda operation at all, the method and path).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceRequest } from '../../../../../emulator/core/http.js';
import { createLambdaRouter, LAMBDA_ROUTES, type LambdaDependencies } from '../../../../../emulator/services/lambda/router.js';

const lambda = {
  faults: { shouldThrottle: () => false },
  authorizer: { check: () => undefined },
  log: () => undefined,
} as unknown as LambdaDependencies;
const router = createLambdaRouter(lambda);

async function notImplemented(method: string, path: string): Promise<string> {
  const request = { method, rawPath: path, path, query: new URLSearchParams(), headers: {}, body: Buffer.alloc(0), region: 'us-east-1', requestId: 'r', host: 'localhost' } as ServiceRequest;
  const response = await router.handle(request);
  assert.equal(response.status, 501, `${method} ${path}`);
  return (JSON.parse(String(response.body)) as { message: string }).message.replace('The local cloud does not implement ', '');
}

describe('the Lambda operation table', () => {
  it('names each operation it does not implement', async () => {
    const cases: [string, string, string][] = [
      ['POST', '/2015-03-31/functions/f/aliases', 'Lambda CreateAlias'],
      ['GET', '/2015-03-31/functions/f/aliases/live', 'Lambda GetAlias'],
      ['POST', '/2015-03-31/functions/f/versions', 'Lambda PublishVersion'],
      ['PUT', '/2017-10-31/functions/f/concurrency', 'Lambda PutFunctionConcurrency'],
      ['GET', '/2019-09-25/functions/f/event-invoke-config', 'Lambda GetFunctionEventInvokeConfig'],
      ['GET', '/2019-09-25/functions/f/event-invoke-config/list', 'Lambda ListFunctionEventInvokeConfigs'],
      ['POST', '/2021-10-31/functions/f/url', 'Lambda CreateFunctionUrlConfig'],
      ['GET', '/2019-09-30/functions/f/provisioned-concurrency', 'Lambda GetProvisionedConcurrencyConfig'],
      ['POST', '/2015-03-31/event-source-mappings', 'Lambda CreateEventSourceMapping'],
      ['DELETE', '/2015-03-31/event-source-mappings/uuid', 'Lambda DeleteEventSourceMapping'],
      ['GET', '/2018-10-31/layers', 'Lambda layer operations (PublishLayerVersion, GetLayerVersion, ListLayers, ...)'],
      ['PATCH', '/2015-03-31/functions/f/unknown', 'Lambda PATCH /2015-03-31/functions/f/unknown'],
    ];
    for (const [method, path, named] of cases) assert.equal(await notImplemented(method, path), named);
  });

  it('implements sixteen operations, each with its permission and handler', () => {
    assert.equal(LAMBDA_ROUTES.length, 16);
    for (const route of LAMBDA_ROUTES) assert.ok(typeof route.permissions === 'function' && typeof route.run === 'function', route.operation);
  });
});
