// No secret is ever printed or logged: every command (setup, status, upload, invoke, logs, traces, teardown,
// demo), with --debug and with --json --debug (the full matrix with plain and --json too under FUZZ_RUNS), and
// the error paths where --debug prints stacks, run with canary AWS credentials in the environment. Their
// stdout, stderr and the cloud's log must hold none of the canaries, nor the fixed local secret; the only
// signature anywhere is the one in the presigned URL `upload` prints, which is the output the user asked for.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LOCAL_CREDENTIALS } from '../../../cli/core/local-auth.js';
import { runThumbctl, startLocalServe, type LocalServe, type ThumbctlResult } from '../../helpers/thumbctl.js';
import { countCase, reportCounts } from '../../helpers/hostile.js';
import { startTestCloud } from '../../helpers/local-cloud.js';

const CANARIES = {
  AWS_ACCESS_KEY_ID: 'AKIACANARYKEYID12345',
  AWS_SECRET_ACCESS_KEY: 'CANARYSECRETxyz123abc456def789ghi0jkl',
  AWS_SESSION_TOKEN: 'CANARYTOKENqwe987rty654uio321zxc',
  THUMBCTL_LOCAL_SECRET_ACCESS_KEY: undefined,
  THUMBCTL_LOCAL_ACCESS_KEY_ID: undefined,
};
const SECRETS = [CANARIES.AWS_ACCESS_KEY_ID, CANARIES.AWS_SECRET_ACCESS_KEY, CANARIES.AWS_SESSION_TOKEN, LOCAL_CREDENTIALS.secretAccessKey];

const FULL = Boolean(process.env.FUZZ_RUNS || process.env.FUZZ_RUNS_FACTOR);
const VARIANTS: string[][] = FULL ? [[], ['--json'], ['--debug'], ['--json', '--debug']] : [['--debug'], ['--json', '--debug']];

let stateDir: string;
let workDir: string;
let server: LocalServe | undefined;
const transcripts: { label: string; result: ThumbctlResult }[] = [];

function run(args: string[], label = args.join(' ')): Promise<ThumbctlResult> {
  return runThumbctl(['--state-dir', stateDir, ...args], { cwd: workDir, env: CANARIES, timeoutMs: 120_000 }).then((result) => {
    transcripts.push({ label, result });
    countCase(`command ${args.find((arg) => !arg.startsWith('-')) ?? label}`);
    return result;
  });
}

/** Fails naming the first secret found in `text`. */
function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} contains the secret ${secret.slice(0, 8)}…`);
  assert.doesNotMatch(text, /X-Amz-Security-Token=|x-amz-security-token:/i, `${where} contains a session token`);
  // An Authorization header's `Signature=`; a presigned URL's `X-Amz-Signature=` is judged by the caller.
  assert.doesNotMatch(text, /(?<!X-Amz-)Signature=[0-9a-f]{64}/, `${where} contains an Authorization signature`);
}

/** Every file the state directory holds that is text a person might read (logs, records). */
function textFilesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'blobs' || entry.name === 'code' || entry.name === 'cache' ? [] : textFilesOf(path);
    return /\.(log|json|txt)$/.test(entry.name) && statSync(path).size < 10_000_000 ? [path] : [];
  });
}

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-secrets-'));
  workDir = mkdtempSync(join(tmpdir(), 'thumbctl-secrets-work-'));
  // One `local serve` for the state directory, so the commands share it (and its cloud.log) instead of each
  // starting their own; a few commands below run before it exists, on their own embedded cloud.
  const embedded = await run(['--debug', 'status'], 'status --debug (embedded cloud)');
  // Nothing is deployed yet: status says so with exit 4 (absent); 1 if the embedded cloud fails.
  assert.ok(embedded.code === 4 || embedded.code === 1, embedded.stderr);
  server = await startLocalServe(['--port', '0'], { globalArgs: ['--state-dir', stateDir, '--debug'], env: CANARIES, timeoutMs: 20_000 });
});

after(async () => {
  reportCounts('secrets');
  await server?.stop(Infinity);
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

describe('no secret in any output', () => {
  it('runs every command with canary credentials, with --debug and --json --debug', async () => {
    for (const variant of VARIANTS) {
      const results = [
        await run([...variant, 'setup']),
        await run([...variant, 'status']),
        await run([...variant, 'upload', join(process.cwd(), 'assets', 'canyon.jpg'), '400x400']),
        await run([...variant, 'invoke', 'canyon-400x400.jpg']),
        await run([...variant, 'logs', '--since', '10m']),
        await run([...variant, 'traces']),
        await run([...variant, 'teardown', '--yes']),
      ];
      for (const result of results) assert.equal(result.code, 0, `${variant.join(' ')}: ${result.stdout}\n${result.stderr}`);
    }
    const demo = await run(['--debug', 'demo']);
    assert.equal(demo.code, 0, demo.stderr);
    await run(['--json', '--debug', 'teardown', '--yes']);
  });

  it('runs the error paths, where --debug prints stacks', async () => {
    const refused = await run(['--debug', '--endpoint-url', 'http://127.0.0.1:1', 'status'], 'status against a closed port');
    assert.notEqual(refused.code, 0);
    // Real AWS credentials (the canaries) sent to an endpoint that refuses them: the SDK's error, with --debug's stack.
    const refusing = await startTestCloud({ requireAuth: { accessKeyId: 'AKIAOTHERKEY00000000', secretAccessKey: 'other-secret' } });
    try {
      for (const variant of [['--debug'], ['--debug', '--json']]) {
        const aws = await run([...variant, '--target', 'aws', '--endpoint-url', refusing.endpoint, '--region', 'us-east-1', 'status'], `status --target aws ${variant.join(' ')} refused`);
        assert.equal(aws.code, 1, aws.stdout + aws.stderr);
        assert.match(aws.stderr, /InvalidAccessKeyId|InvalidClientTokenId|UnrecognizedClientException/);
      }
      const upload = await run(['--debug', '--target', 'aws', '--endpoint-url', refusing.endpoint, '--region', 'us-east-1', 'upload', join(process.cwd(), 'assets', 'canyon.jpg'), '40x40'], 'upload --target aws refused');
      assert.equal(upload.code, 1);
    } finally {
      await refusing.close();
    }
    const bad = await run(['--debug', 'upload', join(workDir, 'missing.jpg'), '10x10'], 'upload of a missing file');
    assert.notEqual(bad.code, 0);
    const usage = await run(['--debug', '--json', 'upload', join(process.cwd(), 'assets', 'canyon.jpg'), 'tiny'], 'upload with a bad size');
    assert.equal(usage.code, 2);
  });

  it('finds no canary, no local secret and no stray signature in stdout, stderr or the state directory', () => {
    assert.ok(transcripts.length >= 10);
    for (const { label, result } of transcripts) {
      assertNoSecret(result.stdout, `stdout of ${label}`);
      assertNoSecret(result.stderr, `stderr of ${label}`);
      // The presigned URL is what `upload` is asked to print; no other command prints a signature.
      const signatures = (result.stdout + result.stderr).match(/X-Amz-Signature=/g)?.length ?? 0;
      if (/^(\S+ )*upload/.test(label) && result.code === 0) assert.equal(signatures, 1, `${label} prints its URL once`);
      else assert.equal(signatures, 0, `${label} prints a signature`);
    }
    // Both streams, interleaved as they arrived.
    const serverOutput = server?.transcript() ?? '';
    assertNoSecret(serverOutput, 'local serve output');
    const files = textFilesOf(stateDir);
    assert.ok(files.some((file) => file.endsWith('server.json')) || existsSync(join(stateDir, 'state.db')));
    for (const file of files) assertNoSecret(readFileSync(file, 'utf8'), file);
    countCase(`files checked ${files.length}`);
  });
});
