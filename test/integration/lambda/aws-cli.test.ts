// The real aws CLI against the local Lambda: create-function from a zip file, wait function-active-v2, invoke
// (v1 and v2 differ in how --payload is read), get-function, and the function's logs via aws logs.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { awsCliMajor, awsOk, runAws } from '../../helpers/local-cloud.js';
import { zipFixture } from '../../fixtures/functions/build-zip.js';
import { eventually, startLambdaCloud, uniqueName, type LambdaTestCloud } from './support.js';

let cloud: LambdaTestCloud;
let workDir: string;
let cliMajor = 0;
before(async () => {
  cloud = await startLambdaCloud();
  workDir = mkdtempSync(join(tmpdir(), 'thumbctl-lambda-cli-'));
  cliMajor = awsCliMajor();
});
after(async () => {
  await cloud.close();
  rmSync(workDir, { recursive: true, force: true });
});

const aws = (args: string[]): Promise<string> => awsOk(cloud.endpoint, args);

describe('aws lambda', () => {
  it('creates, waits for, invokes and describes a function, and shows its logs', async () => {
    assert.ok(cliMajor > 0, 'the aws CLI must be installed (apt-get install awscli; .ci/run does it)');
    const name = uniqueName('cli');
    const zipPath = join(workDir, 'echo.zip');
    writeFileSync(zipPath, await zipFixture('echo'));

    const created = JSON.parse(
      await aws([
        'lambda', 'create-function', '--function-name', name, '--runtime', 'nodejs22.x', '--handler', 'index.handler',
        '--role', cloud.roleArn, '--zip-file', `fileb://${zipPath}`, '--timeout', '5', '--memory-size', '256',
      ]),
    ) as { FunctionName: string; State: string; MemorySize: number };
    assert.equal(created.FunctionName, name);
    assert.equal(created.State, 'Pending');
    assert.equal(created.MemorySize, 256);

    await aws(['lambda', 'wait', 'function-active-v2', '--function-name', name]);

    const outFile = join(workDir, 'out.json');
    const invokeArgs = ['lambda', 'invoke', '--function-name', name, '--payload', '{"a":1}', '--log-type', 'Tail'];
    if (cliMajor >= 2) invokeArgs.push('--cli-binary-format', 'raw-in-base64-out');
    const invoked = JSON.parse(await aws([...invokeArgs, outFile])) as { StatusCode: number; ExecutedVersion: string; LogResult: string };
    assert.equal(invoked.StatusCode, 200);
    assert.equal(invoked.ExecutedVersion, '$LATEST');
    assert.deepEqual(JSON.parse(readFileSync(outFile, 'utf8')), { a: 1 });
    assert.match(Buffer.from(invoked.LogResult, 'base64').toString('utf8'), /REPORT RequestId: \S+\tDuration: /);

    const described = JSON.parse(await aws(['lambda', 'get-function', '--function-name', name])) as {
      Configuration: { State: string; LastUpdateStatus: string; Runtime: string };
      Code: { Location: string };
    };
    assert.equal(described.Configuration.State, 'Active');
    assert.equal(described.Configuration.LastUpdateStatus, 'Successful');
    assert.equal(described.Configuration.Runtime, 'nodejs22.x');
    assert.ok(described.Code.Location.startsWith(cloud.endpoint));

    const messages = await eventually(async () => {
      const output = JSON.parse(await aws(['logs', 'filter-log-events', '--log-group-name', `/aws/lambda/${name}`])) as { events: { message: string }[] };
      const all = output.events.map((event) => event.message);
      return all.some((message) => message.startsWith('REPORT')) ? all : undefined;
    }, 10_000, 'the function logs');
    assert.ok(messages.some((message) => message.startsWith('START RequestId: ')));
    assert.ok(messages.some((message) => /\tINFO\tevent \{"a":1\}\n$/.test(message)));
  });

  it('reports Lambda errors the way the CLI prints them', async () => {
    assert.ok(cliMajor > 0, 'the aws CLI must be installed (apt-get install awscli; .ci/run does it)');
    const result = await runAws(cloud.endpoint, ['lambda', 'get-function', '--function-name', 'no-such-function']);
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /An error occurred \(ResourceNotFoundException\) when calling the GetFunction operation: Function not found: arn:aws:lambda:us-east-1:000000000000:function:no-such-function/,
    );
  });
});
