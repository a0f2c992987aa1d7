// teardown --force on a terminal (a real pseudo-terminal, through util-linux `script`): it always asks, --yes or
// not, and says which resources carry no thumbctl tag; "n" deletes nothing, "y" deletes them. --yes without
// --force asks nothing and keeps what is untagged.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { awsOk, startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';
import { THUMBCTL_BIN } from '../../helpers/thumbctl.js';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const skip = hasScript ? false : 'needs util-linux `script` for a pseudo-terminal';
const BUCKET = 'prompt-source-000000000000-us-east-1';

let test: TestCloud;
let s3: S3Client;
let dir: string;

before(async () => {
  test = await startTestCloud();
  s3 = new S3Client({ ...test.clientConfig });
  dir = mkdtempSync(join(tmpdir(), 'thumbctl-prompt-'));
});
after(async () => {
  s3?.destroy();
  await test?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs thumbctl with a terminal for stdin and stderr, typing `answer`; resolves with everything the terminal showed. */
function onTerminal(args: string[], answer: string): Promise<{ code: number; screen: string }> {
  const command = [process.execPath, THUMBCTL_BIN, ...args, '--endpoint-url', test.endpoint].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: dir, env: { ...process.env, CI: undefined, NO_COLOR: '1', THUMBCTL_STACK: undefined, TERM: 'dumb' } });
    let screen = '';
    child.stdout.on('data', (chunk) => {
      screen += chunk;
      // Answer once the question is on the screen.
      if (/\[y\/N\] $/.test(screen.trimEnd() + ' ') && !child.stdin.writableEnded) child.stdin.end(answer);
    });
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, screen });
    });
  });
}

const exists = (bucket: string) => s3.send(new HeadBucketCommand({ Bucket: bucket })).then(() => true, () => false);

describe('teardown --force on a terminal', () => {
  it('asks even with --yes, marks what is untagged, and "n" deletes nothing', { skip }, async () => {
    await awsOk(test.endpoint, ['s3api', 'create-bucket', '--bucket', BUCKET]);

    const declined = await onTerminal(['teardown', '--yes', '--force', '--stack', 'prompt'], 'n\n');

    assert.equal(declined.code, 0, declined.screen);
    assert.match(declined.screen, new RegExp(`DELETE\\s+bucket\\s+${BUCKET}.*NOT tagged as thumbctl's`));
    assert.match(declined.screen, /Delete all of this, the untagged resources too\? \[y\/N\]/);
    assert.equal(await exists(BUCKET), true);
  });

  it('--yes alone asks nothing and keeps what is untagged', { skip }, async () => {
    const quiet = await onTerminal(['teardown', '--yes', '--stack', 'prompt'], '');
    assert.equal(quiet.code, 0, quiet.screen);
    assert.doesNotMatch(quiet.screen, /\[y\/N\]/);
    assert.match(quiet.screen, new RegExp(`kept bucket ${BUCKET}: .*not created by thumbctl`));
    assert.equal(await exists(BUCKET), true);
  });

  it('"y" deletes what carries no thumbctl tag', { skip }, async () => {
    const confirmed = await onTerminal(['teardown', '--force', '--stack', 'prompt'], 'y\n');
    assert.equal(confirmed.code, 0, confirmed.screen);
    assert.equal(await exists(BUCKET), false);
  });
});
