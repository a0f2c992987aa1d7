// Managing functions through the real LambdaClient: create (validation, role trust, package checks), the
// Pending → Active and InProgress → Successful states the SDK waiters read, updates, listing, tags, deletion.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaServiceException,
  ListFunctionsCommand,
  ListTagsCommand,
  PublishVersionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionExists,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { lambdaInternals } from '../../../emulator/services/lambda/index.js';
import { renameEntry, zipEntries, zipFixture } from '../../fixtures/functions/build-zip.js';
import { scopeAuthorization } from '../../helpers/hostile.js';
import {
  createFixtureFunction,
  createRole,
  decodeJson,
  eventually,
  fastWaiter,
  startLambdaCloud,
  uniqueName,
  waitUpdated,
  type LambdaTestCloud,
} from './support.js';

let cloud: LambdaTestCloud;
before(async () => {
  cloud = await startLambdaCloud();
});
after(async () => {
  await cloud.close();
});

async function createInput(overrides: Partial<CreateFunctionCommandInput> = {}): Promise<CreateFunctionCommandInput> {
  return {
    FunctionName: uniqueName('fn'),
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    Role: cloud.roleArn,
    Code: { ZipFile: await zipFixture('echo') },
    ...overrides,
  };
}

async function refused(promise: Promise<unknown>, name: string, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof LambdaServiceException, `a Lambda error, got ${String(error)}`);
    assert.equal(error.name, name);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('CreateFunction', () => {
  it("starts Pending, becomes Active, and shows AWS's defaults", async () => {
    const input = await createInput();
    const created = await cloud.lambda.send(new CreateFunctionCommand(input));
    assert.equal(created.$metadata.httpStatusCode, 201);
    assert.equal(created.State, 'Pending');
    assert.equal(created.StateReasonCode, 'Creating');
    assert.equal(created.FunctionArn, `arn:aws:lambda:us-east-1:000000000000:function:${input.FunctionName}`);
    assert.equal(created.Version, '$LATEST');
    assert.equal(created.MemorySize, 128);
    assert.equal(created.Timeout, 3);
    assert.deepEqual(created.TracingConfig, { Mode: 'PassThrough' });
    assert.deepEqual(created.Architectures, ['x86_64']);
    assert.deepEqual(created.EphemeralStorage, { Size: 512 });
    assert.deepEqual(created.LoggingConfig, { LogFormat: 'Text', LogGroup: `/aws/lambda/${input.FunctionName}` });
    assert.equal(created.PackageType, 'Zip');
    assert.match(created.LastModified ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    assert.match(created.RevisionId ?? '', /^[0-9a-f-]{36}$/);
    const zip = (input.Code!.ZipFile as Uint8Array);
    const { createHash } = await import('node:crypto');
    assert.equal(created.CodeSha256, createHash('sha256').update(zip).digest('base64'));
    assert.equal(created.CodeSize, zip.length);

    await waitUntilFunctionExists(fastWaiter(cloud.lambda), { FunctionName: input.FunctionName });
    const { waitUntilFunctionActiveV2 } = await import('@aws-sdk/client-lambda');
    await waitUntilFunctionActiveV2(fastWaiter(cloud.lambda), { FunctionName: input.FunctionName });
    const active = await cloud.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: input.FunctionName }));
    assert.equal(active.State, 'Active');
    assert.equal(active.LastUpdateStatus, 'Successful');
  });

  it('refuses a name that exists', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    await refused(cloud.lambda.send(new CreateFunctionCommand(await createInput({ FunctionName: fn.FunctionName }))), 'ResourceConflictException', `Function already exist: ${fn.FunctionName}`);
  });

  it('validates parameters with AWS codes and messages', async () => {
    await refused(
      cloud.lambda.send(new CreateFunctionCommand(await createInput({ MemorySize: 64 }))),
      'ValidationException',
      "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128",
    );
    await refused(cloud.lambda.send(new CreateFunctionCommand(await createInput({ Timeout: 901 }))), 'ValidationException', /at 'timeout'/);
    await refused(cloud.lambda.send(new CreateFunctionCommand(await createInput({ Role: 'not-an-arn' }))), 'ValidationException', /at 'role'/);
    await refused(cloud.lambda.send(new CreateFunctionCommand(await createInput({ FunctionName: 'bad name!' }))), 'ValidationException', /at 'functionName'/);
    await refused(
      cloud.lambda.send(new CreateFunctionCommand(await createInput({ Runtime: 'nodejs12.x' }))),
      'InvalidParameterValueException',
      /The runtime parameter of nodejs12.x is no longer supported/,
    );
    await refused(
      cloud.lambda.send(new CreateFunctionCommand(await createInput({ Handler: undefined }))),
      'InvalidParameterValueException',
      'Runtime and Handler are mandatory parameters for functions created with deployment packages.',
    );
  });

  it('refuses a role that does not trust lambda.amazonaws.com, or does not exist', async () => {
    const ec2Role = await createRole(
      cloud.iam,
      uniqueName('ec2-role'),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    );
    const message = 'The role defined for the function cannot be assumed by Lambda.';
    await refused(cloud.lambda.send(new CreateFunctionCommand(await createInput({ Role: ec2Role }))), 'InvalidParameterValueException', message);
    await refused(
      cloud.lambda.send(new CreateFunctionCommand(await createInput({ Role: 'arn:aws:iam::000000000000:role/nobody' }))),
      'InvalidParameterValueException',
      message,
    );
  });

  it('refuses a package with ../ entries, a symlink, or bytes that are not a zip', async () => {
    const message = 'Could not unzip uploaded file. Please check your file, then try to upload again.';
    const escaping = renameEntry(await zipEntries([{ name: 'index.mjs', data: 'x' }, { name: 'xx/xx/evil.sh', data: 'y' }]), 'xx/xx/evil.sh', '../../evil.sh');
    await refused(cloud.lambda.send(new CreateFunctionCommand(await createInput({ Code: { ZipFile: escaping } }))), 'InvalidParameterValueException', message);
    const symlink = await zipEntries([{ name: 'index.mjs', data: 'x' }, { name: 'link', symlinkTarget: '/etc/passwd' }]);
    await refused(cloud.lambda.send(new CreateFunctionCommand(await createInput({ Code: { ZipFile: symlink } }))), 'InvalidParameterValueException', message);
    await refused(cloud.lambda.send(new CreateFunctionCommand(await createInput({ Code: { ZipFile: Buffer.from('hello') } }))), 'InvalidParameterValueException', message);
  });
});

describe('CreateFunction from S3', () => {
  it('reads the package from S3Bucket/S3Key, and names a missing object as AWS does', async () => {
    const zip = await zipFixture('echo');
    const bucket = uniqueName('code');
    const stores = cloud.cloud.context.stores;
    const original = stores.s3;
    if (original) {
      const { CreateBucketCommand, PutObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
      const s3 = new S3Client({ ...cloud.clientConfig });
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'echo.zip', Body: zip }));
      s3.destroy();
    } else {
      // S3 does not publish getObjectBytes yet: stand in for it with the same contract.
      stores.s3 = { getObjectBytes: async (b, k) => (b === bucket && k === 'echo.zip' ? zip : undefined) };
    }
    try {
      const created = await cloud.lambda.send(new CreateFunctionCommand(await createInput({ Code: { S3Bucket: bucket, S3Key: 'echo.zip' } })));
      const { createHash } = await import('node:crypto');
      assert.equal(created.CodeSha256, createHash('sha256').update(zip).digest('base64'));
      await refused(
        cloud.lambda.send(new CreateFunctionCommand(await createInput({ Code: { S3Bucket: bucket, S3Key: 'missing.zip' } }))),
        'InvalidParameterValueException',
        'Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.',
      );
    } finally {
      stores.s3 = original;
    }
  });
});

describe('GetFunction and ListFunctions', () => {
  it('gives a Code.Location that serves the zip', async () => {
    const fn = await createFixtureFunction(cloud, 'echo', { Tags: { project: 'thumbctl' } });
    const details = await cloud.lambda.send(new GetFunctionCommand({ FunctionName: fn.FunctionArn }));
    assert.equal(details.Configuration?.FunctionName, fn.FunctionName);
    assert.equal(details.Code?.RepositoryType, 'S3');
    assert.deepEqual(details.Tags, { project: 'thumbctl' });
    const response = await fetch(details.Code!.Location!);
    assert.equal(response.status, 200);
    const bytes = Buffer.from(await response.arrayBuffer());
    const { createHash } = await import('node:crypto');
    assert.equal(createHash('sha256').update(bytes).digest('base64'), details.Configuration?.CodeSha256);
  });

  it('answers ResourceNotFoundException with the function ARN', async () => {
    const name = uniqueName('missing');
    await refused(
      cloud.lambda.send(new GetFunctionCommand({ FunctionName: name })),
      'ResourceNotFoundException',
      `Function not found: arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    );
  });

  it('lists functions in pages', async () => {
    for (let i = 0; i < 3; i++) await cloud.lambda.send(new CreateFunctionCommand(await createInput()));
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await cloud.lambda.send(new ListFunctionsCommand({ MaxItems: 2, Marker: marker }));
      assert.ok((page.Functions ?? []).length <= 2);
      names.push(...(page.Functions ?? []).map((fn) => fn.FunctionName!));
      marker = page.NextMarker;
    } while (marker);
    assert.ok(names.length >= 3);
    assert.deepEqual(names, [...names].sort());
    assert.equal(new Set(names).size, names.length);
  });

  it('reports account settings', async () => {
    const settings = await cloud.lambda.send(new GetAccountSettingsCommand({}));
    assert.equal(settings.AccountLimit?.CodeSizeZipped, 52428800);
    assert.ok((settings.AccountUsage?.FunctionCount ?? 0) >= 1);
  });
});

describe('updates', () => {
  it('UpdateFunctionConfiguration goes InProgress then Successful; a second update meanwhile is a 409', async () => {
    const fn = await createFixtureFunction(cloud, 'inspect');
    const settings = cloud.cloud.context.settings;
    const normalDelay = settings.stateDelayMs;
    // Long enough that the second update surely lands while the first is InProgress, even on a busy machine.
    settings.stateDelayMs = 1500;
    const updated = await cloud.lambda
      .send(new UpdateFunctionConfigurationCommand({ FunctionName: fn.FunctionName, MemorySize: 256, Timeout: 5, Environment: { Variables: { COLOR: 'blue' } }, Description: 'v2' }))
      .finally(() => (settings.stateDelayMs = normalDelay));
    assert.equal(updated.LastUpdateStatus, 'InProgress');
    assert.notEqual(updated.RevisionId, fn.RevisionId);
    await refused(
      cloud.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn.FunctionName, Timeout: 6 })),
      'ResourceConflictException',
      `The operation cannot be performed at this time. An update is in progress for resource: ${fn.FunctionArn}`,
    );
    await waitUpdated(cloud, fn.FunctionName);
    const after = await cloud.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn.FunctionName }));
    assert.equal(after.LastUpdateStatus, 'Successful');
    assert.equal(after.MemorySize, 256);
    assert.equal(after.Timeout, 5);
    assert.equal(after.Description, 'v2');
    assert.deepEqual(after.Environment, { Variables: { COLOR: 'blue' } });
    const seen = decodeJson((await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName }))).Payload) as { env: Record<string, string> };
    assert.equal(seen.env.COLOR, 'blue');
    assert.equal(seen.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '256');
  });

  it('UpdateFunctionCode swaps the code and retires the old environments', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: Buffer.from('{"v":1}') }));
    const oldPid = lambdaInternals(cloud.cloud.context)!.runtime.environments(fn.FunctionName)[0]?.pid;
    assert.ok(oldPid);
    const updated = await cloud.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: fn.FunctionName, ZipFile: await zipFixture('echo-cjs'), Publish: true }));
    assert.equal(updated.LastUpdateStatus, 'InProgress');
    assert.notEqual(updated.CodeSha256, fn.CodeSha256);
    await waitUpdated(cloud, fn.FunctionName);
    const result = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: Buffer.from('{"v":2}') }));
    assert.deepEqual(decodeJson(result.Payload), { format: 'cjs', event: { v: 2 } });
    await eventually(() => (lambdaInternals(cloud.cloud.context)!.runtime.environments(fn.FunctionName).every((environment) => environment.pid !== oldPid) ? true : undefined), 2000, 'the old environment to stop');
  });

  it('UpdateFunctionCode refuses a bad package and leaves the function as it was', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    await refused(cloud.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: fn.FunctionName, ZipFile: Buffer.from('nope') })), 'InvalidParameterValueException', /Could not unzip/);
    const after = await cloud.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn.FunctionName }));
    assert.equal(after.CodeSha256, fn.CodeSha256);
  });

  it('answers unimplemented operations with NotImplemented naming them', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    await assert.rejects(cloud.lambda.send(new PublishVersionCommand({ FunctionName: fn.FunctionName })), (error: Error) => {
      assert.equal(error.name, 'NotImplemented');
      assert.match(error.message, /PublishVersion/);
      return true;
    });
  });
});

describe('tags and deletion', () => {
  it('tags and untags by ARN', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    await cloud.lambda.send(new TagResourceCommand({ Resource: fn.FunctionArn, Tags: { a: '1', b: '2' } }));
    await cloud.lambda.send(new UntagResourceCommand({ Resource: fn.FunctionArn, TagKeys: ['a'] }));
    assert.deepEqual((await cloud.lambda.send(new ListTagsCommand({ Resource: fn.FunctionArn }))).Tags, { b: '2' });
  });

  it('deletes a function and stops its environments', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName }));
    const deleted = await cloud.lambda.send(new DeleteFunctionCommand({ FunctionName: fn.FunctionName }));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    await assert.rejects(cloud.lambda.send(new GetFunctionCommand({ FunctionName: fn.FunctionName })), ResourceNotFoundException);
    await assert.rejects(cloud.lambda.send(new DeleteFunctionCommand({ FunctionName: fn.FunctionName })), ResourceNotFoundException);
    await eventually(() => (lambdaInternals(cloud.cloud.context)!.runtime.environments(fn.FunctionName).length === 0 ? true : undefined), 2000, 'environments to stop');
  });
});

describe('fault injection', () => {
  it('role-propagation: CreateFunction is refused while the fault lasts, as a fresh IAM role is at AWS', async () => {
    const faulty = await startLambdaCloud({ faults: 'role-propagation=2' });
    try {
      const input = { FunctionName: uniqueName('fresh-role'), Runtime: 'nodejs22.x' as const, Handler: 'index.handler', Role: faulty.roleArn, Code: { ZipFile: await zipFixture('echo') } };
      for (let attempt = 0; attempt < 2; attempt++) {
        await refused(faulty.lambda.send(new CreateFunctionCommand(input)), 'InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
      }
      const created = await faulty.lambda.send(new CreateFunctionCommand(input));
      assert.equal(created.State, 'Pending');
    } finally {
      await faulty.close();
    }
  });

  it('update-conflict and tracing-toggle: a 409 first, then a TracingConfig that does not stick', async () => {
    const faulty = await startLambdaCloud({ faults: 'update-conflict=1,tracing-toggle=1' });
    try {
      const fn = await createFixtureFunction(faulty, 'echo');
      await assert.rejects(faulty.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn.FunctionName, Timeout: 5 })), ResourceConflictException);
      const first = await faulty.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn.FunctionName, TracingConfig: { Mode: 'Active' } }));
      assert.deepEqual(first.TracingConfig, { Mode: 'PassThrough' }, 'the first save does not enable tracing');
      await waitUpdated(faulty, fn.FunctionName);
      const second = await faulty.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn.FunctionName, TracingConfig: { Mode: 'Active' } }));
      assert.deepEqual(second.TracingConfig, { Mode: 'Active' });
    } finally {
      await faulty.close();
    }
  });

  it('throttle: 429 TooManyRequestsException with Retry-After, which the SDK retries', async () => {
    const faulty = await startLambdaCloud({ faults: 'throttle=1' });
    try {
      const response = await fetch(`${faulty.endpoint}/2015-03-31/functions`, { headers: { authorization: scopeAuthorization('lambda') } });
      assert.equal(response.status, 429);
      assert.equal(response.headers.get('x-amzn-errortype'), 'TooManyRequestsException');
      assert.equal(response.headers.get('retry-after'), '1');
      assert.deepEqual(await response.json(), { Reason: 'CallerRateLimitExceeded', message: 'Rate exceeded', Message: 'Rate exceeded', Type: 'User' });
      const client = new (await import('@aws-sdk/client-lambda')).LambdaClient({ ...faulty.clientConfig, maxAttempts: 2 });
      await assert.rejects(client.send(new ListFunctionsCommand({})), (error: Error & { $metadata?: { attempts?: number } }) => {
        assert.equal(error.name, 'TooManyRequestsException');
        assert.equal(error.$metadata?.attempts, 2, 'retried');
        return true;
      });
      client.destroy();
    } finally {
      await faulty.close();
    }
  });
});
