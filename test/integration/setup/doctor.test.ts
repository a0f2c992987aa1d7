// thumbctl doctor through the real CLI against a local cloud: a healthy deployment passes every check (and the
// canary makes its thumbnail); each breakage made with the real aws CLI (a widened role policy, a role others may
// assume, tracing off, the trigger removed) fails its own check with a fix, and the command exits 4.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { awsOk, startTestCloud, TEST_REGION, type TestCloud } from '../../helpers/local-cloud.js';
import { runThumbctl, type ThumbctlResult } from '../../helpers/thumbctl.js';
import { runtimeCheck } from '../../../cli/core/provision/doctor.js';

const STACK = ['--stack', 'doc'];
const SOURCE = `doc-source-000000000000-${TEST_REGION}`;
const CHECKS = ['credentials', 'region', 'role-policy', 'role-trust', 'tracing', 'runtime', 'architecture', 'trigger'];

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

let test: TestCloud;
let dir: string;

before(async () => {
  test = await startTestCloud();
  dir = mkdtempSync(join(tmpdir(), 'thumbctl-doctor-'));
});
after(async () => {
  await test?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function thumbctl(args: string[]): Promise<ThumbctlResult> {
  return runThumbctl([...args, ...STACK, '--endpoint-url', test.endpoint], { cwd: dir, timeoutMs: 180_000, env: { THUMBCTL_LOCAL_FAULTS: undefined, THUMBCTL_STACK: undefined } });
}

async function doctorChecks(extra: string[] = []): Promise<{ code: number; checks: Record<string, Check>; result: ThumbctlResult }> {
  const result = await thumbctl(['doctor', '--json', ...extra]);
  const checks = Object.fromEntries((result.json().checks as Check[]).map((check) => [check.name, check]));
  return { code: result.code, checks, result };
}

describe('thumbctl doctor', () => {
  it('on nothing deployed: credentials and region ok, the rest fail with "thumbctl setup", exit 4', async () => {
    const { code, checks } = await doctorChecks();
    assert.equal(code, 4);
    assert.equal(checks.credentials!.status, 'ok');
    assert.match(checks.credentials!.detail, /000000000000/);
    assert.equal(checks.region!.status, 'ok');
    for (const name of ['role-policy', 'role-trust', 'tracing', 'trigger']) {
      assert.equal(checks[name]!.status, 'fail', name);
      assert.equal(checks[name]!.fix, 'thumbctl setup', name);
    }
  });

  it('on a healthy deployment: no check fails, the canary makes its thumbnail, exit 0', async () => {
    const setup = await thumbctl(['setup']);
    assert.equal(setup.code, 0, setup.stderr);

    const { code, checks, result } = await doctorChecks(['--canary']);

    assert.equal(code, 0, result.stdout);
    assert.deepEqual(Object.keys(checks), [...CHECKS, 'canary']);
    for (const check of Object.values(checks)) assert.notEqual(check.status, 'fail', JSON.stringify(check));
    for (const name of ['role-policy', 'role-trust', 'tracing', 'architecture', 'trigger', 'canary']) assert.equal(checks[name]!.status, 'ok', name);
    assert.match(checks.canary!.detail, /64x\d+ thumbnail/);
    assert.deepEqual(result.json().summary.fail, 0);

    const text = await thumbctl(['doctor']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ok\s+tracing\s+Active$/m);
  });

  it('fails the role-policy check for a widened policy', async () => {
    const wide = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
    await awsOk(test.endpoint, ['iam', 'put-role-policy', '--role-name', 'doc-thumbnailer-role', '--policy-name', 'debugging', '--policy-document', wide]);

    const { code, checks } = await doctorChecks();

    assert.equal(code, 4);
    assert.equal(checks['role-policy']!.status, 'fail');
    assert.match(checks['role-policy']!.detail, /debugging allows s3:\*.*debugging reaches \*/);
    assert.ok(checks['role-policy']!.fix);
    await awsOk(test.endpoint, ['iam', 'delete-role-policy', '--role-name', 'doc-thumbnailer-role', '--policy-name', 'debugging']);
    assert.equal((await doctorChecks()).checks['role-policy']!.status, 'ok');
  });

  it('fails the role-trust check when more than Lambda may assume the role', async () => {
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com', 'ec2.amazonaws.com'], AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sts:AssumeRole' }],
    });
    await awsOk(test.endpoint, ['iam', 'update-assume-role-policy', '--role-name', 'doc-thumbnailer-role', '--policy-document', trust]);

    const { code, checks } = await doctorChecks();

    assert.equal(code, 4);
    assert.equal(checks['role-trust']!.status, 'fail');
    assert.match(checks['role-trust']!.detail, /AWS .*111122223333.*services ec2\.amazonaws\.com/);
    const repaired = await thumbctl(['setup']);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.equal((await doctorChecks()).checks['role-trust']!.status, 'ok');
  });

  it('fails the tracing check when tracing is off', async () => {
    await awsOk(test.endpoint, ['lambda', 'update-function-configuration', '--function-name', 'doc-thumbnailer', '--tracing-config', 'Mode=PassThrough']);
    await awsOk(test.endpoint, ['lambda', 'wait', 'function-updated-v2', '--function-name', 'doc-thumbnailer']);

    const { code, checks } = await doctorChecks();

    assert.equal(code, 4);
    assert.deepEqual(checks.tracing, { name: 'tracing', status: 'fail', detail: 'PassThrough: uploads are not traced', fix: 'thumbctl setup' });
    const repaired = await thumbctl(['setup']);
    assert.equal(repaired.code, 0, repaired.stderr);
  });

  it('fails the trigger check when the trigger is removed, or filters other suffixes', async () => {
    await awsOk(test.endpoint, ['s3api', 'put-bucket-notification-configuration', '--bucket', SOURCE, '--notification-configuration', '{}']);
    const removed = await doctorChecks();
    assert.equal(removed.code, 4);
    assert.equal(removed.checks.trigger!.status, 'fail');
    assert.match(removed.checks.trigger!.detail, /no thumbctl trigger on doc-source/);

    const setup = await thumbctl(['setup', '--suffixes', '.png']);
    assert.equal(setup.code, 0, setup.stderr);
    const narrowed = await doctorChecks();
    assert.equal(narrowed.code, 4);
    assert.match(narrowed.checks.trigger!.detail, /suffix filters are \.PNG \.png, not /);
  });
});

describe('the runtime check', () => {
  const on = (date: string) => new Date(`${date}T12:00:00Z`);
  it('is ok long before deprecation, warns within 180 days, fails after, and fails an unknown runtime', () => {
    assert.equal(runtimeCheck('nodejs22.x', on('2026-01-01')).status, 'ok');
    assert.equal(runtimeCheck('nodejs22.x', on('2027-01-01')).status, 'warn');
    assert.equal(runtimeCheck('nodejs20.x', on('2026-05-01')).status, 'fail');
    assert.match(runtimeCheck('nodejs20.x', on('2026-05-01')).fix!, /--runtime nodejs24\.x/);
    assert.equal(runtimeCheck('python3.12', on('2026-01-01')).status, 'fail');
  });
});
