// `thumbctl backfill --via batch-operations` interrupted half-way, the ways a user meets it, on a `local serve` of
// 2,000 objects (a process of its own, so it can be killed): the local cloud killed -9 mid-job and started again
// (the job resumes and completes); the job cancelled half-way and backfill run again (the second manifest lists
// only what is still missing: the listing is the state); Ctrl-C of `backfill --status` while it follows the job
// (exit 130, the job goes on, --status follows it to the end). Each time the completion report accounts for every
// task, and the function's own log shows nothing invoked that existed. Also --dry-run, which creates nothing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DescribeJobCommand, ListJobsCommand, UpdateJobStatusCommand, type JobDescriptor } from '@aws-sdk/client-s3-control';
import { AwsClients } from '../../../cli/core/clients.js';
import { manifestKey } from '../../../cli/core/backfill/expected.js';
import { BATCH_ROLE_DEFAULT_NAME } from '../../../cli/core/provision/batch-role.js';
import { LOCAL_ACCOUNT_ID } from '../../../cli/core/settings.js';
import { RUNNER_LIMITS } from '../../../emulator/services/s3control/runner.js';
import { TEST_CREDENTIALS, TEST_REGION } from '../../helpers/local-cloud.js';
import { runThumbctl, type ThumbctlResult } from '../../helpers/thumbctl.js';
import { startServe, type ServeProcess } from '../reliability/support.js';
import { runAwsS3Control } from '../s3control/support.js';
import { eventually, invocationsByKey, PLACEHOLDER, seedSourceBucket, seedThumbnails, startBackfillCloud, thumbnailKeysOf } from './support.js';

// 2,000 objects: 1,700 with a size in the key (every 25th with a space, a comma and a `+`), 300 without (two
// variants each). Each scenario removes the thumbnails of its own 400 objects and backfills them.
const SIZED = Array.from({ length: 1700 }, (_, i) => (i % 25 === 0 ? `shots/odd name,+${i}-40x30.jpg` : `shots/s${i}-40x30.jpg`));
const UNSIZED = Array.from({ length: 300 }, (_, i) => `albums/a${i}.jpg`);
const ALL = [...SIZED, ...UNSIZED];
/** The objects whose thumbnails each scenario takes away first (disjoint; each mixes both kinds). */
const KILLED = [...SIZED.slice(0, 320), ...UNSIZED.slice(0, 80)];
const CANCELLED = [...SIZED.slice(320, 640), ...UNSIZED.slice(80, 160)];
const FOLLOWED = [...SIZED.slice(640, 960), ...UNSIZED.slice(160, 240)];
/** Objects a job that failed before running left missing: a small set, the same manifest twice. */
const RETRIED = [...SIZED.slice(960, 990), ...UNSIZED.slice(240, 250)];
const PLACEHOLDER_ETAG = `"${createHash('md5').update(PLACEHOLDER).digest('hex')}"`;

/** The served cloud as the tests see it now (its port changes when it is started again). */
interface Served {
  serve: ServeProcess;
  clients: AwsClients;
  settings: { functionName: string; sourceBucket: string; thumbnailBucket: string };
  flags: string[];
}

let stateDir: string;
let scratch: string;
let names: Served['settings'];
let served: Served | undefined;

async function serveOn(): Promise<Served> {
  const serve = await startServe(stateDir, { timeoutMs: 60_000 });
  const clients = new AwsClients({ region: TEST_REGION, endpoint: serve.endpoint, credentials: { ...TEST_CREDENTIALS } });
  const flags = ['--endpoint-url', serve.endpoint, '--source-bucket', names.sourceBucket, '--thumbnail-bucket', names.thumbnailBucket, '--function-name', names.functionName];
  return { serve, clients, settings: names, flags };
}

before(async () => {
  // The objects go in through a cloud in this process (straight into its store: seconds, not minutes), which is
  // then closed leaving its state directory to `local serve`.
  const seeded = await startBackfillCloud('batchresume');
  await seedSourceBucket(seeded, ALL);
  await seedThumbnails(seeded, ALL.flatMap(thumbnailKeysOf));
  stateDir = seeded.test.stateDir;
  scratch = seeded.dir;
  names = { functionName: seeded.settings.functionName, sourceBucket: seeded.settings.sourceBucket, thumbnailBucket: seeded.settings.thumbnailBucket };
  seeded.clients.destroy();
  await seeded.test.cloud.close();
  served = await serveOn();
});

after(async () => {
  served?.clients.destroy();
  await served?.serve.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function cloud(): Served {
  assert.ok(served, 'the local cloud is running');
  return served;
}

function thumbctl(args: string[], timeoutMs = 150_000): Promise<ThumbctlResult> {
  const [command = '', ...rest] = args;
  return runThumbctl([command, ...cloud().flags, ...rest], { cwd: scratch, timeoutMs });
}

async function describeJob(jobId: string): Promise<JobDescriptor> {
  return (await cloud().clients.s3control.send(new DescribeJobCommand({ AccountId: LOCAL_ACCOUNT_ID, JobId: jobId }))).Job!;
}

/** Polls the job until `ready` says so. */
function jobWhen(jobId: string, ready: (job: JobDescriptor) => boolean, what: string, timeoutMs = 120_000): Promise<JobDescriptor> {
  return eventually(async () => {
    const job = await describeJob(jobId);
    return ready(job) ? job : undefined;
  }, timeoutMs, what);
}

const succeeded = (job: JobDescriptor): number => job.ProgressSummary?.NumberOfTasksSucceeded ?? 0;

async function read(key: string): Promise<string> {
  return (await cloud().clients.s3.send(new GetObjectCommand({ Bucket: names.thumbnailBucket, Key: key }))).Body!.transformToString();
}

/** Thumbnail key → ETag, the whole thumbnails bucket (the backfill's own manifests and reports left out). */
async function thumbnails(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await cloud().clients.s3.send(new ListObjectsV2Command({ Bucket: names.thumbnailBucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (!object.Key!.startsWith('thumbctl-backfill/')) found.set(object.Key!, object.ETag!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/** Takes these objects' thumbnails away, so a backfill finds them missing. */
async function removeThumbnails(keys: readonly string[]): Promise<void> {
  const thumbs = keys.flatMap(thumbnailKeysOf);
  for (let i = 0; i < thumbs.length; i += 1000) {
    const answer = await cloud().clients.s3.send(
      new DeleteObjectsCommand({ Bucket: names.thumbnailBucket, Delete: { Objects: thumbs.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }),
    );
    assert.deepEqual(answer.Errors ?? [], []);
  }
}

/** The manifest a backfill wrote, as source keys (decoded). */
async function manifestKeys(manifest: string): Promise<string[]> {
  const lines = (await read(manifest.replace(`s3://${names.thumbnailBucket}/`, ''))).trim().split('\n');
  return lines.map((line) => decodeURIComponent(line.slice(line.indexOf(',') + 1)));
}

/** The completion report of an ended job: each row's key (decoded) and task status, in AWS's CSV layout. */
async function reportRows(jobId: string): Promise<{ key: string; status: string }[]> {
  const manifest = JSON.parse(await read(`thumbctl-backfill/reports/job-${jobId}/manifest.json`)) as {
    Format: string;
    ReportSchema: string;
    Results: { TaskExecutionStatus: string; Bucket: string; Key: string }[];
  };
  assert.equal(manifest.Format, 'Report_CSV_20180820');
  assert.equal(manifest.ReportSchema, 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage');
  const rows: { key: string; status: string }[] = [];
  for (const file of manifest.Results) {
    for (const line of (await read(file.Key)).trim().split('\n')) {
      // Bucket, Key (URL-encoded, as the manifest gave it: no comma), VersionId, TaskStatus, ...
      const [bucket, key, , status] = line.split(',');
      assert.equal(bucket, names.sourceBucket, line);
      assert.equal(status, file.TaskExecutionStatus, line);
      rows.push({ key: decodeURIComponent(key!), status: status! });
    }
  }
  return rows;
}

/** Each key once: the list as a set, failing on a repeat. */
function once(keys: readonly string[], what: string): Set<string> {
  const set = new Set(keys);
  assert.equal(set.size, keys.length, `${what}: a key repeated`);
  return set;
}

/** Every thumbnail of these objects is there and is new (not the placeholder); the others kept theirs. */
async function assertMade(made: readonly string[]): Promise<void> {
  const present = await thumbnails();
  const renewed = new Set(made);
  for (const key of ALL) {
    for (const thumbnail of thumbnailKeysOf(key)) {
      assert.ok(present.has(thumbnail), `${thumbnail} is there`);
      if (!renewed.has(key)) assert.equal(present.get(thumbnail), PLACEHOLDER_ETAG, `${thumbnail} was left alone`);
      else assert.notEqual(present.get(thumbnail), PLACEHOLDER_ETAG, `${thumbnail} was made`);
    }
  }
}

/** Log lines of every invocation of these keys since `since`, waited for (the function's log is written in batches). */
async function invocationsOf(keys: readonly string[], since: number): Promise<Map<string, number>> {
  return eventually(async () => {
    const counted = await invocationsByKey(cloud(), since);
    return keys.every((key) => counted.has(key)) ? counted : undefined;
  }, 30_000, 'a log line for every invocation');
}

/** Runs thumbctl as a child this test can interrupt: SIGINT once `interruptWhen` resolves. */
function interruptible(args: string[], interruptWhen: () => Promise<void>): Promise<ThumbctlResult> {
  const [command = '', ...rest] = args;
  return runThumbctl([command, ...cloud().flags, ...rest], { cwd: scratch, timeoutMs: 150_000, interruptWhen });
}

/** Tasks of a job as the state directory holds them (read-only: safe on a dead cloud's state). */
function tasksAtRest(jobId: string): { done: Set<string>; pending: Set<string> } {
  const db = new Database(join(stateDir, 'state.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT key, status FROM s3control_tasks WHERE job_id = ?').all(jobId) as { key: string; status: string }[];
    const done = new Set<string>();
    const pending = new Set<string>();
    for (const row of rows) (row.status === 'pending' ? pending : done).add(decodeURIComponent(row.key));
    return { done, pending };
  } finally {
    db.close();
  }
}

async function startJob(): Promise<{ jobId: string; manifest: string; missing: number }> {
  const created = await thumbctl(['backfill', '--via', 'batch-operations', '--json']);
  assert.equal(created.code, 0, created.stderr);
  const summary = created.json();
  assert.match(summary.jobId, /^[0-9a-f-]{36}$/);
  return { jobId: summary.jobId, manifest: summary.manifest, missing: summary.missing };
}

describe('thumbctl backfill --via batch-operations, interrupted half-way', { timeout: 600_000 }, () => {
  it('--dry-run shows the manifest, the role and the function the job would use, and creates none of them', async () => {
    // Prepare: 400 objects missing their thumbnails, no role yet
    await removeThumbnails(KILLED);

    // Act
    const json = await thumbctl(['backfill', '--via', 'batch-operations', '--create-role', '--dry-run', '--json']);
    const text = await thumbctl(['backfill', '--via', 'batch-operations', '--create-role', '--dry-run']);

    // Assess: the contract's fields unchanged, the preview beside them
    assert.equal(json.code, 0, json.stderr);
    const summary = json.json();
    assert.deepEqual([summary.listed, summary.missing, summary.invoked, summary.skipped, summary.failed, summary.dryRun], [2000, KILLED.length, 0, 2000 - KILLED.length, 0, true]);
    assert.equal(typeof summary.durationMs, 'number');
    assert.equal(summary.via, 'batch-operations');
    assert.equal(summary.manifest.bucket, names.thumbnailBucket);
    assert.match(summary.manifest.key, /^thumbctl-backfill\/manifests\/.+\.csv$/);
    assert.equal(summary.manifest.rows, KILLED.length);
    assert.equal(summary.manifest.sample.length, 5);
    for (const row of summary.manifest.sample) {
      assert.match(row, new RegExp(`^${names.sourceBucket},`));
      assert.ok(KILLED.includes(decodeURIComponent(row.slice(row.indexOf(',') + 1))), row);
    }
    assert.deepEqual(summary.role, { arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${BATCH_ROLE_DEFAULT_NAME}`, exists: false, action: 'would create' });
    assert.equal(summary.functionArn, `arn:aws:lambda:${TEST_REGION}:${LOCAL_ACCOUNT_ID}:function:${names.functionName}`);
    assert.equal(summary.jobId, null);

    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^dry run: an S3 Batch Operations job over s3://${names.sourceBucket} would invoke ${names.functionName.replace(/[-]/g, '\\-')} for 400 of 2,000 objects$`, 'm'));
    assert.match(text.stdout, new RegExp(`^  manifest: s3://${names.thumbnailBucket}/thumbctl-backfill/manifests/\\S+\\.csv \\(400 rows\\)$`, 'm'));
    assert.equal(text.stdout.split('\n').filter((line) => line.startsWith(`    ${names.sourceBucket},`)).length, 5, text.stdout);
    assert.match(text.stdout, new RegExp(`^  role: arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${BATCH_ROLE_DEFAULT_NAME} \\(would be created\\)$`, 'm'));

    // Assess: nothing was created — no manifest, no job, no role
    const written = await cloud().clients.s3.send(new ListObjectsV2Command({ Bucket: names.thumbnailBucket, Prefix: 'thumbctl-backfill/' }));
    assert.deepEqual(written.Contents ?? [], []);
    const jobs = await cloud().clients.s3control.send(new ListJobsCommand({ AccountId: LOCAL_ACCOUNT_ID }));
    assert.deepEqual(jobs.Jobs ?? [], []);
    await assert.rejects(cloud().clients.iam.send(new GetRoleCommand({ RoleName: BATCH_ROLE_DEFAULT_NAME })), (error: Error) => error.name === 'NoSuchEntityException' || error.name === 'NoSuchEntity');
  });

  it('the local cloud killed -9 mid-job and started again: the job resumes, completes, and redoes nothing it had recorded', async () => {
    // Act 1: the job (with the role, made now), and the kill once half its tasks are done
    const created = await thumbctl(['backfill', '--via', 'batch-operations', '--create-role', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const { jobId, missing } = created.json();
    assert.equal(missing, KILLED.length);
    await jobWhen(jobId, (job) => succeeded(job) >= KILLED.length / 2, 'half the tasks done');
    await cloud().serve.kill9();
    cloud().clients.destroy();
    const killedAt = Date.now();
    const atKill = tasksAtRest(jobId);
    served = undefined;

    // Assess 1: killed half-way
    assert.equal(atKill.done.size + atKill.pending.size, KILLED.length);
    assert.ok(atKill.done.size >= KILLED.length / 2 && atKill.pending.size > 0, `${atKill.done.size} done, ${atKill.pending.size} pending at the kill`);

    // Act 2: the same state directory, a new cloud; backfill --status follows the job to its end
    served = await serveOn();
    const status = await thumbctl(['backfill', '--status', jobId, '--json']);

    // Assess 2: Complete, every task once in the report, all succeeded
    assert.equal(status.code, 0, status.stderr);
    const report = status.json();
    assert.deepEqual([report.status, report.totalTasks, report.succeeded, report.failed, report.remaining], ['Complete', KILLED.length, KILLED.length, 0, 0]);
    const rows = await reportRows(jobId);
    assert.deepEqual(once(rows.map((row) => row.key), 'the report'), new Set(KILLED));
    assert.deepEqual(new Set(rows.map((row) => row.status)), new Set(['succeeded']));

    // Assess 3: every thumbnail made; after the restart, each task still pending at the kill invoked exactly once,
    // none recorded done before it invoked again. Before the kill, only tasks in flight then ran without being
    // recorded (they run again: at least once, as at AWS), at most as many as the runner keeps in flight.
    await assertMade(KILLED);
    const afterRestart = await invocationsOf([...atKill.pending], killedAt);
    for (const key of atKill.pending) assert.equal(afterRestart.get(key), 1, `${key} (pending at the kill): invoked once after the restart`);
    for (const key of atKill.done) assert.equal(afterRestart.get(key), undefined, `${key} (done at the kill): not invoked again`);
    assert.equal([...afterRestart.keys()].filter((key) => !atKill.pending.has(key)).length, 0, 'nothing else invoked after the restart');
    const all = await invocationsByKey(cloud(), 0);
    const ranUnrecorded = [...atKill.pending].filter((key) => (all.get(key) ?? 0) > (afterRestart.get(key) ?? 0));
    assert.ok(ranUnrecorded.length <= RUNNER_LIMITS.tasksInFlight, `${ranUnrecorded.length} tasks ran before the kill without being recorded`);
    for (const key of atKill.done) assert.ok((all.get(key) ?? 0) <= 1, `${key}: invoked once`);
    for (const key of ALL.filter((name) => !KILLED.includes(name))) assert.equal(all.get(key), undefined, `${key} had its thumbnails: never invoked`);
  });

  it('a job that ended before any task ran, then backfill again: a new job over the same objects (the same manifest bytes)', async () => {
    // Prepare
    await removeThumbnails(RETRIED);
    const since = Date.now();

    // Act: a job whose role does not exist fails before running a task; backfill again with the stack's role
    const failed = await thumbctl(['backfill', '--via', 'batch-operations', '--role-arn', `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/no-such-role`, '--json']);
    assert.equal(failed.code, 0, failed.stderr);
    const ended = await jobWhen(failed.json().jobId, (job) => job.Status === 'Failed', 'the job to fail');
    const again = await thumbctl(['backfill', '--via', 'batch-operations', '--json']);
    assert.equal(again.code, 0, again.stderr);
    const status = await thumbctl(['backfill', '--status', again.json().jobId, '--json']);

    // Assess: nothing ran in the first job; the second is a job of its own over the same list, run to the end
    assert.equal(succeeded(ended) + (ended.ProgressSummary?.NumberOfTasksFailed ?? 0), 0);
    assert.notEqual(again.json().jobId, failed.json().jobId);
    assert.deepEqual(once(await manifestKeys(again.json().manifest), 'the second manifest'), once(await manifestKeys(failed.json().manifest), 'the first manifest'));
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual([status.json().status, status.json().succeeded, status.json().failed], ['Complete', RETRIED.length, 0]);
    await assertMade([...KILLED, ...RETRIED]);
    const invocations = await invocationsOf(RETRIED, since);
    for (const key of RETRIED) assert.equal(invocations.get(key), 1, `${key}: invoked once`);
    assert.equal(invocations.size, RETRIED.length, 'nothing else invoked');
  });

  it('the job cancelled half-way (UpdateJobStatus), then backfill again: the second manifest lists only what is still missing', async () => {
    // Prepare
    await removeThumbnails(CANCELLED);
    const since = Date.now();

    // Act 1: the job, cancelled (UpdateJobStatus, as `aws s3control update-job-status` sends it) once half its
    // tasks are done; the SDK rather than the aws CLI here, whose start-up may outlast the other half of the job
    const first = await startJob();
    assert.equal(first.missing, CANCELLED.length);
    await jobWhen(first.jobId, (job) => succeeded(job) >= CANCELLED.length / 2, 'half the tasks done');
    const cancel = await cloud().clients.s3control.send(
      new UpdateJobStatusCommand({ AccountId: LOCAL_ACCOUNT_ID, JobId: first.jobId, RequestedJobStatus: 'Cancelled', StatusUpdateReason: 'stopped half-way by the user' }),
    );
    assert.match(cancel.Status ?? '', /^Cancell(ing|ed)$/);
    await jobWhen(first.jobId, (job) => job.Status === 'Cancelled', 'the job to be Cancelled');
    const shown = await runAwsS3Control(cloud().serve.endpoint, ['s3control', 'describe-job', '--account-id', LOCAL_ACCOUNT_ID, '--job-id', first.jobId]);
    assert.equal(shown.code, 0, shown.stderr);
    const cancelled = (JSON.parse(shown.stdout) as { Job: JobDescriptor }).Job;
    assert.equal(cancelled.Status, 'Cancelled');

    // Assess 1: cancelled half-way; its report accounts for every task that ran
    const ran = succeeded(cancelled);
    assert.equal(cancelled.ProgressSummary?.NumberOfTasksFailed, 0);
    assert.ok(ran >= CANCELLED.length / 2 && ran < CANCELLED.length, `${ran} of ${CANCELLED.length} ran`);
    const firstRows = await reportRows(first.jobId);
    const firstDone = once(firstRows.map((row) => row.key), 'the first report');
    assert.equal(firstDone.size, ran);
    assert.deepEqual(new Set(firstRows.map((row) => row.status)), new Set(['succeeded']));

    // Act 2: backfill again, followed to the end
    const second = await startJob();
    const status = await thumbctl(['backfill', '--status', second.jobId, '--json']);

    // Assess 2: the second manifest is exactly what the first job left; together the reports cover each object once
    const secondListed = once(await manifestKeys(second.manifest), 'the second manifest');
    assert.deepEqual(secondListed, new Set(CANCELLED.filter((key) => !firstDone.has(key))));
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual([status.json().status, status.json().succeeded, status.json().failed], ['Complete', secondListed.size, 0]);
    const secondRows = await reportRows(second.jobId);
    assert.deepEqual(once(secondRows.map((row) => row.key), 'the second report'), secondListed);
    await assertMade([...KILLED, ...RETRIED, ...CANCELLED]);
    const invocations = await invocationsOf(CANCELLED, since);
    for (const key of CANCELLED) assert.equal(invocations.get(key), 1, `${key}: invoked once across both jobs`);
    assert.equal(invocations.size, CANCELLED.length, 'nothing else invoked');
  });

  it('Ctrl-C of backfill --status while it follows the job: exit 130, the job goes on, --status follows it to the end', async () => {
    // Prepare
    await removeThumbnails(FOLLOWED);
    const since = Date.now();
    const { jobId } = await startJob();

    // Act 1: backfill again while the job runs (a user who thinks it stopped) is refused, before anything is touched
    const doubled = await thumbctl(['backfill', '--via', 'batch-operations', '--json']);
    assert.equal(doubled.code, 2, doubled.stderr);
    assert.match(
      doubled.stderr,
      new RegExp(`^thumbctl: S3 Batch Operations job ${jobId} over s3://${names.sourceBucket} is still (New|Preparing|Ready|Active); a second job now would invoke the function again for what it has not reached: follow it with \`thumbctl backfill --status ${jobId}\`, or cancel it`, 'm'),
    );
    const listed = await cloud().clients.s3control.send(new ListJobsCommand({ AccountId: LOCAL_ACCOUNT_ID, JobStatuses: ['New', 'Preparing', 'Ready', 'Active'] }));
    assert.deepEqual((listed.Jobs ?? []).map((job) => job.JobId), [jobId], 'no second job');

    // Act 2: follow, and Ctrl-C once half the tasks are done
    const followed = await interruptible(['backfill', '--status', jobId, '--json'], () =>
      jobWhen(jobId, (job) => succeeded(job) >= FOLLOWED.length / 2, 'half the tasks done').then(() => undefined),
    );
    const again = await thumbctl(['backfill', '--status', jobId, '--json']);

    // Assess: the first follower stopped (exit 130) with the job still Active; the job was not cancelled
    assert.equal(followed.code, 130, followed.stderr);
    assert.match(followed.stderr, /stopped following the job \(it goes on\)/);
    const seen = JSON.parse(followed.stdout);
    assert.equal(seen.status, 'Active');
    assert.ok(seen.remaining > 0, `${seen.remaining} tasks left when Ctrl-C came`);
    assert.equal(again.code, 0, again.stderr);
    const report = again.json();
    assert.deepEqual([report.status, report.totalTasks, report.succeeded, report.failed, report.remaining], ['Complete', FOLLOWED.length, FOLLOWED.length, 0, 0]);
    const rows = await reportRows(jobId);
    assert.deepEqual(once(rows.map((row) => row.key), 'the report'), new Set(FOLLOWED));
    await assertMade([...KILLED, ...RETRIED, ...CANCELLED, ...FOLLOWED]);
    const invocations = await invocationsOf(FOLLOWED, since);
    for (const key of FOLLOWED) assert.equal(invocations.get(key), 1, `${key}: invoked once`);
    assert.equal(invocations.size, FOLLOWED.length, 'nothing else invoked');
  });
});
