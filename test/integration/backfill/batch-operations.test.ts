// `thumbctl backfill --via batch-operations` end to end on the local cloud, with 2,000 objects that were there before
// the trigger: the manifest of the missing ones in the thumbnails bucket, the job S3 Batch Operations runs as a role
// made only when asked (least privilege), `--status` following it to Complete, the completion report, and every
// missing thumbnail made once while those that existed are never touched.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DeleteRoleCommand, DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { BATCH_POLICY_NAME, BATCH_ROLE_DEFAULT_NAME } from '../../../cli/core/provision/batch-role.js';
import { decodePolicyDocument } from '../../../cli/core/provision/policies.js';
import { eventually, functionQueueDrained, invocationsByKey, PLACEHOLDER, seedSourceBucket, seedThumbnails, startBackfillCloud, thumbnailKeysOf, type OperateCloud } from './support.js';

let cloud: OperateCloud;
/** The job the end-to-end test created. */
let jobId: string | undefined;

// 2,000 objects: 1,700 keys with a size (some with a space, a `+` and a comma, which the manifest must encode) and
// 300 without; 1,500 of them have their thumbnails already, so 500 tasks run.
const SIZED = Array.from({ length: 1700 }, (_, i) => (i % 25 === 0 ? `shots/odd name,+${i}-40x30.jpg` : `shots/s${i}-40x30.jpg`));
const UNSIZED = Array.from({ length: 300 }, (_, i) => `albums/a${i}.jpg`);
const MADE = [...SIZED.slice(0, 1300), ...UNSIZED.slice(0, 200)];
const MISSING = [...SIZED.slice(1300), ...UNSIZED.slice(200)];
const PLACEHOLDER_ETAG = `"${createHash('md5').update(PLACEHOLDER).digest('hex')}"`;

before(async () => {
  cloud = await startBackfillCloud('batchops');
  await seedSourceBucket(cloud, [...SIZED, ...UNSIZED]);
  await seedThumbnails(cloud, MADE.flatMap(thumbnailKeysOf));
});

after(async () => {
  await cloud?.close();
});

async function read(bucket: string, key: string): Promise<string> {
  return (await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
}

async function etags(bucket: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await cloud.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) found.set(object.Key!, object.ETag!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

describe('thumbctl backfill --via batch-operations', () => {
  it('asks for a role rather than making one unasked (exit 2)', async () => {
    const result = await cloud.thumbctl(['backfill', '--via', 'batch-operations']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`run \`thumbctl setup --batch-operations-role\` or pass --create-role to create ${BATCH_ROLE_DEFAULT_NAME} .* or --role-arn ARN`));
  });

  it('writes the manifest, creates the job, and --status follows it to Complete with the report', async () => {
    // Act: the job
    const created = await cloud.thumbctl(['backfill', '--via', 'batch-operations', '--create-role', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const summary = created.json();

    // Assess: what was listed and written
    assert.deepEqual([summary.listed, summary.missing, summary.skipped, summary.failed], [2000, MISSING.length, MADE.length, 0]);
    assert.match(summary.jobId, /^[0-9a-f-]{36}$/);
    jobId = summary.jobId;
    const manifestKey = String(summary.manifest).replace(`s3://${cloud.settings.thumbnailBucket}/`, '');
    assert.match(manifestKey, /^thumbctl-backfill\/manifests\/.+\.csv$/);
    const lines = (await read(cloud.settings.thumbnailBucket, manifestKey)).trim().split('\n');
    assert.equal(lines.length, MISSING.length);
    assert.ok(lines.includes(`${cloud.settings.sourceBucket},shots/odd%20name%2C%2B1300-40x30.jpg`), 'keys URL-encoded, as S3 Batch Operations wants them');
    assert.deepEqual(new Set(lines.map((line) => decodeURIComponent(line.slice(line.indexOf(',') + 1)))), new Set(MISSING));

    // Assess: the role, least privilege
    const policy = decodePolicyDocument(
      (await cloud.clients.iam.send(new GetRolePolicyCommand({ RoleName: BATCH_ROLE_DEFAULT_NAME, PolicyName: BATCH_POLICY_NAME }))).PolicyDocument,
    )!;
    const statements = (policy.Statement as { Action: string | string[]; Resource: string | string[] }[]).map((statement) => [statement.Action, statement.Resource]);
    assert.deepEqual(statements, [
      [['s3:GetObject', 's3:GetObjectVersion'], `arn:aws:s3:::${cloud.settings.thumbnailBucket}/thumbctl-backfill/manifests/*`],
      ['s3:PutObject', `arn:aws:s3:::${cloud.settings.thumbnailBucket}/thumbctl-backfill/reports/*`],
      ['lambda:InvokeFunction', [`arn:aws:lambda:us-east-1:000000000000:function:${cloud.settings.functionName}`, `arn:aws:lambda:us-east-1:000000000000:function:${cloud.settings.functionName}:*`]],
    ]);

    // Act: follow it
    const status = await cloud.thumbctl(['backfill', '--status', summary.jobId, '--json'], { timeoutMs: 120_000 });

    // Assess: Complete, every task succeeded, the report where it says
    assert.equal(status.code, 0, status.stderr);
    const report = status.json();
    assert.deepEqual([report.status, report.totalTasks, report.succeeded, report.failed, report.remaining], ['Complete', MISSING.length, MISSING.length, 0, 0]);
    assert.equal(report.report, `s3://${cloud.settings.thumbnailBucket}/thumbctl-backfill/reports/job-${summary.jobId}/manifest.json`);
    const reportManifest = JSON.parse(await read(cloud.settings.thumbnailBucket, `thumbctl-backfill/reports/job-${summary.jobId}/manifest.json`)) as { Results: { TaskExecutionStatus: string; Key: string }[] };
    assert.deepEqual(reportManifest.Results.map((file) => file.TaskExecutionStatus), ['succeeded']);
    const rows = (await read(cloud.settings.thumbnailBucket, reportManifest.Results[0]!.Key)).trim().split('\n');
    assert.equal(rows.length, MISSING.length);
    for (const row of rows) assert.match(row, /,succeeded,200,,"?created /);

    // Assess: every thumbnail made, those made before untouched, each missing object made by one invocation
    await functionQueueDrained(cloud);
    const thumbnails = await etags(cloud.settings.thumbnailBucket);
    for (const key of [...SIZED, ...UNSIZED]) for (const thumbnail of thumbnailKeysOf(key)) assert.ok(thumbnails.has(thumbnail), `${thumbnail} was made`);
    for (const thumbnail of MADE.flatMap(thumbnailKeysOf)) assert.equal(thumbnails.get(thumbnail), PLACEHOLDER_ETAG, `${thumbnail} was left alone`);
    const invocations = await eventually(async () => {
      const counted = await invocationsByKey(cloud);
      return MISSING.every((key) => counted.has(key)) ? counted : undefined;
    }, 30_000, 'a log line for every task');
    for (const key of MISSING) assert.equal(invocations.get(key), 1, `${key}: one invocation`);
    for (const key of MADE) assert.equal(invocations.get(key), undefined, `${key}: none`);
  });

  it('shows a finished job once for people (--no-follow), and creates no job when nothing is missing', async () => {
    assert.ok(jobId, 'the end-to-end test created a job');
    const shown = await cloud.thumbctl(['backfill', '--status', jobId, '--no-follow']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^job ${jobId}: Complete · 500 succeeded · 0 failed of 500$`, 'm'));
    assert.match(shown.stdout, new RegExp(`^  report: s3://${cloud.settings.thumbnailBucket}/thumbctl-backfill/reports/job-${jobId}/manifest\\.json$`, 'm'));

    const again = await cloud.thumbctl(['backfill', '--via', 'batch-operations', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual([again.json().missing, again.json().jobId, again.json().manifest], [0, null, null]);

    const text = await cloud.thumbctl(['backfill', '--via', 'batch-operations']);
    assert.match(text.stdout, /^nothing to backfill: 2,000 objects listed, every thumbnail there/m);
  });

  it('--status of a job that does not exist fails with one line', async () => {
    const result = await cloud.thumbctl(['backfill', '--status', '00000000-0000-4000-8000-000000000000']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^thumbctl: no S3 Batch Operations job 00000000-0000-4000-8000-000000000000 in this account and region$/m);
  });

  it('uses the role setup makes when asked (--batch-operations-role), which teardown removes with the rest', async () => {
    // Prepare: no role
    const iam = cloud.clients.iam;
    await iam.send(new DeleteRolePolicyCommand({ RoleName: BATCH_ROLE_DEFAULT_NAME, PolicyName: BATCH_POLICY_NAME }));
    await iam.send(new DeleteRoleCommand({ RoleName: BATCH_ROLE_DEFAULT_NAME }));
    const roleName = ['--role-name', cloud.settings.roleName];

    // Act
    const planned = await cloud.thumbctl(['setup', ...roleName, '--batch-operations-role', '--dry-run', '--json'], { timeoutMs: 180_000 });
    const setup = await cloud.thumbctl(['setup', ...roleName, '--batch-operations-role', '--json'], { timeoutMs: 180_000 });
    const again = await cloud.thumbctl(['setup', ...roleName, '--batch-operations-role', '--json'], { timeoutMs: 180_000 });
    const backfill = await cloud.thumbctl(['backfill', '--via', 'batch-operations', '--json']);
    const teardown = await cloud.thumbctl(['teardown', ...roleName, '--yes', '--json'], { timeoutMs: 180_000 });

    // Assess
    assert.equal(planned.code, 4, `a dry run with the role to make exits 4 (something to do): ${planned.stderr}`);
    assert.deepEqual(planned.json().batchOperationsRole, { roleName: BATCH_ROLE_DEFAULT_NAME, action: 'planned' });
    assert.equal(setup.code, 0, setup.stderr);
    assert.deepEqual(setup.json().batchOperationsRole, { roleName: BATCH_ROLE_DEFAULT_NAME, roleArn: `arn:aws:iam::000000000000:role/${BATCH_ROLE_DEFAULT_NAME}`, action: 'created' });
    assert.equal(again.json().batchOperationsRole.action, 'unchanged');
    assert.equal(backfill.code, 0, `the role setup made is found without --create-role: ${backfill.stderr}`);
    assert.equal(teardown.code, 0, teardown.stderr);
    const removed = teardown.json().resources.map((resource: { type: string; name: string; action: string }) => `${resource.type}:${resource.name}:${resource.action}`);
    assert.ok(removed.includes(`policy:${BATCH_POLICY_NAME}:deleted`) && removed.includes(`role:${BATCH_ROLE_DEFAULT_NAME}:deleted`), removed.join(' '));
    await assert.rejects(iam.send(new GetRoleCommand({ RoleName: BATCH_ROLE_DEFAULT_NAME })), (error: Error) => error.name === 'NoSuchEntityException' || error.name === 'NoSuchEntity');
  });
});
