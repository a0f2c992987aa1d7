// The local cloud's own secret (the key --require-auth verifies) never where a function can read it: `local serve`
// reads THUMBCTL_LOCAL_SECRET_ACCESS_KEY once and deletes it from its environment, or takes the key from
// THUMBCTL_LOCAL_CREDENTIALS_FILE (owner-only, as ssh wants a key), which leaves no copy in the environment the
// kernel keeps; function environments are built from scratch. A function reports everything it sees.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { zipFixture } from '../../fixtures/functions/build-zip.js';
import { clientConfigFor } from '../../helpers/local-cloud.js';
import { startLocalServe, type LocalServe } from '../../helpers/thumbctl.js';
import { LAMBDA_TRUST_POLICY } from '../lambda/support.js';

// Frozen: the SDK marks a credentials object it is handed (`$source`), so clients get copies.
const KEY = Object.freeze({ accessKeyId: 'AKIASERVERSECRETTEST', secretAccessKey: 'server-secret-do-not-leak-4f9a1c2e7b' });
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Deploys the `inspect` fixture with the server's key and returns what the function saw of its environment. */
async function functionSees(endpoint: string): Promise<{ env: Record<string, string> }> {
  const config = { ...clientConfigFor(endpoint), credentials: { ...KEY } };
  const iam = new IAMClient(config);
  const lambda = new LambdaClient(config);
  try {
    const role = await iam.send(new CreateRoleCommand({ RoleName: `secret-role-${Date.now()}`, AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY }));
    const name = `secret-fn-${Date.now()}`;
    await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: role.Role!.Arn!, Code: { ZipFile: await zipFixture('inspect') }, Timeout: 10 }));
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 }, { FunctionName: name });
    const answer = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') }));
    assert.equal(answer.FunctionError, undefined, Buffer.from(answer.Payload ?? []).toString());
    return JSON.parse(Buffer.from(answer.Payload!).toString()) as { env: Record<string, string> };
  } finally {
    iam.destroy();
    lambda.destroy();
  }
}

function assertNoSecret(seen: { env: Record<string, string> }, where: string): void {
  for (const [name, value] of Object.entries(seen.env)) {
    assert.ok(!String(value).includes(KEY.secretAccessKey), `${where}: ${name} holds the server's secret`);
    assert.ok(!name.startsWith('THUMBCTL_'), `${where}: ${name} reached the function`);
  }
}

async function assertServesWithKey(served: LocalServe): Promise<void> {
  const good = new S3Client({ ...clientConfigFor(served.endpoint), credentials: { ...KEY }, maxAttempts: 1 });
  const wrong = new S3Client({ ...clientConfigFor(served.endpoint), credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: 'not-it' }, maxAttempts: 1 });
  try {
    await good.send(new ListBucketsCommand({}));
    await assert.rejects(wrong.send(new ListBucketsCommand({})), { name: 'SignatureDoesNotMatch' });
  } finally {
    good.destroy();
    wrong.destroy();
  }
}

describe('the secret in THUMBCTL_LOCAL_SECRET_ACCESS_KEY', () => {
  it('is deleted from process.env once local serve has read it', async () => {
    // In this process, as `thumbctl local serve` runs it: the command's own code, stopped as Ctrl-C stops it.
    const saved = { ...process.env };
    process.env.THUMBCTL_LOCAL_ACCESS_KEY_ID = KEY.accessKeyId;
    process.env.THUMBCTL_LOCAL_SECRET_ACCESS_KEY = KEY.secretAccessKey;
    const { localServeCommand } = await import('../../../cli/commands/local.js');
    const run = localServeCommand.run;
    const { Output } = await import('../../../cli/output.js');
    let printed = '';
    const sink = new Writable({ write(chunk, _encoding, done) { printed += String(chunk); done(); } }) as unknown as NodeJS.WriteStream;
    const output = await Output.create({ json: true, stdout: sink, stderr: sink });
    const running = run({ args: [], options: { port: '0' }, globals: { stateDir: tempDir('thumbctl-secret-run-') } as never, output });
    try {
      for (let i = 0; i < 200 && !printed.includes('endpoint'); i++) await new Promise((resolve) => setTimeout(resolve, 25));
      const { endpoint } = JSON.parse(printed.trim().split('\n').find((line) => line.includes('endpoint'))!) as { endpoint: string };
      assert.equal(process.env.THUMBCTL_LOCAL_SECRET_ACCESS_KEY, undefined, 'the secret is gone from the environment');
      // ...and still guards the cloud: verification is on, with that key.
      const wrong = new S3Client({ ...clientConfigFor(endpoint), maxAttempts: 1 });
      await assert.rejects(wrong.send(new ListBucketsCommand({})), { name: 'InvalidAccessKeyId' });
      wrong.destroy();
      assert.ok(!printed.includes(KEY.secretAccessKey));
    } finally {
      process.emit('SIGTERM');
      assert.equal(await running, 0);
      process.env = saved;
    }
  });

  it('never reaches a function environment', async () => {
    const served = await startLocalServe(['--port', '0', '--require-auth', '--state-dir', tempDir('thumbctl-secret-env-')], {
      env: { THUMBCTL_LOCAL_ACCESS_KEY_ID: KEY.accessKeyId, THUMBCTL_LOCAL_SECRET_ACCESS_KEY: KEY.secretAccessKey, THUMBCTL_LOCAL_CREDENTIALS_FILE: undefined },
      timeoutMs: 20_000,
    });
    try {
      await assertServesWithKey(served);
      assertNoSecret(await functionSees(served.endpoint), 'env-var key');
      assert.ok(!served.transcript().includes(KEY.secretAccessKey));
    } finally {
      assert.equal(await served.stop(), 0);
    }
  });
});

describe('THUMBCTL_LOCAL_CREDENTIALS_FILE', () => {
  function credentialsFile(content: string, mode: number): string {
    const path = join(tempDir('thumbctl-credfile-'), 'local-credentials.json');
    writeFileSync(path, content);
    chmodSync(path, mode);
    return path;
  }

  it('turns verification on with its key, leaving the secret in no environment at all', async () => {
    const file = credentialsFile(JSON.stringify(KEY), 0o600);
    const served = await startLocalServe(['--port', '0', '--state-dir', tempDir('thumbctl-secret-file-')], {
      env: { THUMBCTL_LOCAL_CREDENTIALS_FILE: file, THUMBCTL_LOCAL_ACCESS_KEY_ID: undefined, THUMBCTL_LOCAL_SECRET_ACCESS_KEY: undefined },
      timeoutMs: 20_000,
    });
    try {
      await assertServesWithKey(served);
      assertNoSecret(await functionSees(served.endpoint), 'file key');
      if (process.platform === 'linux') {
        // The environment the kernel keeps for the server: it never held the secret, only the file's name.
        const environ = readFileSync(`/proc/${served.child.pid}/environ`, 'utf8');
        assert.ok(environ.includes('THUMBCTL_LOCAL_CREDENTIALS_FILE='));
        assert.ok(!environ.includes(KEY.secretAccessKey));
      }
    } finally {
      assert.equal(await served.stop(), 0);
    }
  });

  it('is refused, in one line, when others can read it, when it is not the JSON key, or beside the variables', async () => {
    const { runThumbctl } = await import('../../helpers/thumbctl.js');
    const cases: [string, Record<string, string | undefined>, RegExp][] = [
      ['group-readable', { THUMBCTL_LOCAL_CREDENTIALS_FILE: credentialsFile(JSON.stringify(KEY), 0o640) }, /is readable by others \(mode 0640\): run chmod 600/],
      ['world-readable', { THUMBCTL_LOCAL_CREDENTIALS_FILE: credentialsFile(JSON.stringify(KEY), 0o644) }, /is readable by others \(mode 0644\)/],
      ['not JSON', { THUMBCTL_LOCAL_CREDENTIALS_FILE: credentialsFile(`${KEY.accessKeyId}\n${KEY.secretAccessKey}\n`, 0o600) }, /must hold \{"accessKeyId": "\.\.\.", "secretAccessKey": "\.\.\."\} and nothing else/],
      ['an extra field', { THUMBCTL_LOCAL_CREDENTIALS_FILE: credentialsFile(JSON.stringify({ ...KEY, region: 'x' }), 0o600) }, /and nothing else/],
      ['a key SigV4 cannot carry', { THUMBCTL_LOCAL_CREDENTIALS_FILE: credentialsFile(JSON.stringify({ ...KEY, accessKeyId: 'a/b' }), 0o600) }, /and nothing else/],
      ['missing', { THUMBCTL_LOCAL_CREDENTIALS_FILE: join(tmpdir(), 'no-such-thumbctl-credentials.json') }, /cannot read THUMBCTL_LOCAL_CREDENTIALS_FILE .*ENOENT/],
      ['a directory', { THUMBCTL_LOCAL_CREDENTIALS_FILE: tmpdir() }, /is not a file/],
      ['beside the variables', { THUMBCTL_LOCAL_CREDENTIALS_FILE: credentialsFile(JSON.stringify(KEY), 0o600), THUMBCTL_LOCAL_ACCESS_KEY_ID: 'a', THUMBCTL_LOCAL_SECRET_ACCESS_KEY: 'b' }, /set either THUMBCTL_LOCAL_CREDENTIALS_FILE or/],
    ];
    for (const [label, env, message] of cases) {
      const result = await runThumbctl(['local', 'serve', '--port', '0', '--state-dir', tempDir('thumbctl-credfile-bad-')], { env: { THUMBCTL_LOCAL_ACCESS_KEY_ID: undefined, THUMBCTL_LOCAL_SECRET_ACCESS_KEY: undefined, ...env }, timeoutMs: 20_000 });
      assert.equal(result.code, 2, `${label}: ${result.stderr}`);
      assert.match(result.stderr, message, label);
      assert.equal(result.stderr.trim().split('\n').length, 1, `${label}: ${result.stderr}`);
      assert.ok(!result.stderr.includes(KEY.secretAccessKey), label);
    }
  });
});
