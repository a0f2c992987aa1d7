// S3 Batch Operations in the local cloud through the real SDK v3 S3ControlClient: CreateJob's validation and
// idempotency, the job lifecycle and UpdateJobStatus/UpdateJobPriority, ListJobs, LambdaInvoke tasks with the
// event schema 2.0 (results, retries of temporary failures, missing results), the completion report as AWS writes
// it, the job acting as its role, and a job that survives a restart of the cloud.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe as suite, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateJobCommand, ListJobsCommand, UpdateJobPriorityCommand, UpdateJobStatusCommand } from '@aws-sdk/client-s3-control';
import { S3CONTROL_ROUTES } from '../../../emulator/services/s3control/router.js';
import { ACCOUNT, createJob, describe, eventually, jobIn, jobInput, jobRole, readObject, startJobsCloud, taskLines, type JobsCloud } from './support.js';

let cloud: JobsCloud;

before(async () => {
  cloud = await startJobsCloud();
});

after(async () => {
  await cloud?.close();
});

/** The error an S3 Control call fails with: its code (the SDK's name) and HTTP status. */
async function failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  assert.fail('the call succeeded');
}

suite('S3 Control jobs through the SDK', () => {
  it('runs a LambdaInvoke job to Complete: one schema 2.0 invocation per task, results read per task, the report as AWS writes it', async () => {
    // Prepare
    const keys = ['a.jpg', 'dir/b c+d.jpg', 'perm-1.jpg', 'temp-1.jpg', 'missing-1.jpg'];

    // Act
    const jobId = await createJob(cloud, keys, {
      Operation: { LambdaInvoke: { FunctionArn: cloud.functionArn, InvocationSchemaVersion: '2.0', UserArguments: { purpose: 'test' } } },
      Description: 'five tasks',
    });
    const job = await jobIn(cloud, jobId, ['Complete', 'Failed']);

    // Assess: the job
    assert.equal(job.Status, 'Complete', JSON.stringify(job.FailureReasons));
    assert.equal(job.JobArn, `arn:aws:s3:us-east-1:${ACCOUNT}:job/${jobId}`);
    assert.deepEqual([job.ProgressSummary?.TotalNumberOfTasks, job.ProgressSummary?.NumberOfTasksSucceeded, job.ProgressSummary?.NumberOfTasksFailed], [5, 2, 3]);
    assert.equal(job.Description, 'five tasks');
    assert.ok(job.TerminationDate instanceof Date);
    assert.deepEqual(job.Operation?.LambdaInvoke?.UserArguments, { purpose: 'test' });

    // Assess: what the function was sent (schema 2.0, the bucket by name, the user arguments, decodable keys)
    // Logs reach CloudWatch Logs just after each invocation returns: read until all seven are in.
    const mine = await eventually(async () => {
      const lines = (await taskLines(cloud)).filter((line) => keys.includes(line.key));
      return lines.length >= 7 ? lines : undefined;
    }, 10_000, 'the task log lines');
    assert.deepEqual(new Set(mine.map((line) => line.key)), new Set(keys));
    for (const line of mine) assert.deepEqual([line.version, line.bucket, line.userArguments], ['2.0', 'source-bucket', { purpose: 'test' }]);
    assert.equal(mine.filter((line) => line.key === 'temp-1.jpg').length, 3, 'a TemporaryFailure is retried, three attempts in all');
    assert.equal(mine.filter((line) => line.key === 'a.jpg').length, 1);

    // Assess: the report
    const manifest = JSON.parse(await readObject(cloud, `reports/job-${jobId}/manifest.json`)) as { Format: string; ReportSchema: string; Results: { TaskExecutionStatus: string; Bucket: string; Key: string; MD5Checksum: string }[] };
    assert.equal(manifest.Format, 'Report_CSV_20180820');
    assert.equal(manifest.ReportSchema, 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage');
    assert.deepEqual(manifest.Results.map((file) => file.TaskExecutionStatus), ['succeeded', 'failed']);
    const [succeeded, failed] = await Promise.all(manifest.Results.map((file) => readObject(cloud, file.Key)));
    assert.match(manifest.Results[0]!.Key, new RegExp(`^reports/job-${jobId}/results/[0-9a-f]{40}\\.csv$`));
    assert.deepEqual(succeeded!.trim().split('\n').sort(), [
      'source-bucket,a.jpg,,succeeded,200,,Succeeded for a.jpg',
      'source-bucket,dir/b%20c%2Bd.jpg,,succeeded,200,,Succeeded for dir/b c+d.jpg',
    ]);
    const failedRows = failed!.trim().split('\n').sort();
    assert.equal(failedRows.length, 3);
    assert.match(failedRows[0]!, /^source-bucket,missing-1\.jpg,,failed,200,PermanentFailure,"The function's response has no result for this task/);
    assert.equal(failedRows[1], 'source-bucket,perm-1.jpg,,failed,200,PermanentFailure,PermanentFailure for perm-1.jpg');
    assert.equal(failedRows[2], 'source-bucket,temp-1.jpg,,failed,200,TemporaryFailure,TemporaryFailure for temp-1.jpg');
  });

  it('reports a function error as AWS does: "Lambda returned function error", PermanentFailure', async () => {
    const jobId = await createJob(cloud, ['crash-1.jpg', 'fine.jpg'], { Report: { Bucket: `arn:aws:s3:::${cloud.bucket}`, Format: 'Report_CSV_20180820', Enabled: true, Prefix: 'reports/failed-only', ReportScope: 'FailedTasksOnly' } });
    const job = await jobIn(cloud, jobId, ['Complete', 'Failed']);
    assert.deepEqual([job.Status, job.ProgressSummary?.NumberOfTasksSucceeded, job.ProgressSummary?.NumberOfTasksFailed], ['Complete', 1, 1]);
    const manifest = JSON.parse(await readObject(cloud, `reports/failed-only/job-${jobId}/manifest.json`)) as { Results: { TaskExecutionStatus: string; Key: string }[] };
    assert.deepEqual(manifest.Results.map((file) => file.TaskExecutionStatus), ['failed'], 'FailedTasksOnly reports only the failures');
    const row = (await readObject(cloud, manifest.Results[0]!.Key)).trim();
    assert.match(row, /^source-bucket,crash-1\.jpg,,failed,200,PermanentFailure,"Lambda returned function error: \{""errorType"":""Error"",""errorMessage"":""crashed on crash-1\.jpg""/);
  });

  it('reads schema 1.0 by default: the bucket as an ARN, no user arguments', async () => {
    const jobId = await createJob(cloud, ['schema-one.jpg'], { Operation: { LambdaInvoke: { FunctionArn: cloud.functionArn } } });
    assert.equal((await jobIn(cloud, jobId, ['Complete', 'Failed'])).Status, 'Complete');
    const line = await eventually(async () => (await taskLines(cloud)).find((entry) => entry.key === 'schema-one.jpg'), 10_000, 'the task log line');
    assert.deepEqual([line?.version, line?.bucket], ['1.0', 'arn:aws:s3:::source-bucket']);
  });

  it('refuses what AWS refuses in CreateJob, with its codes and statuses', async () => {
    const cases: [string, Parameters<typeof jobInput>[2], string, number][] = [
      ['a negative priority', { Priority: -1 }, 'InvalidRequest', 400],
      ['a role ARN that is not one', { RoleArn: 'arn:aws:iam::000000000000:user/bob' }, 'InvalidRequest', 400],
      ['UserArguments with schema 1.0', { Operation: { LambdaInvoke: { FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f', InvocationSchemaVersion: '1.0', UserArguments: { a: 'b' } } } }, 'InvalidRequest', 400],
      ['an invalid function ARN', { Operation: { LambdaInvoke: { FunctionArn: 'not a function!' } } }, 'InvalidRequest', 400],
      ['eleven user arguments', { Operation: { LambdaInvoke: { FunctionArn: 'f', InvocationSchemaVersion: '2.0', UserArguments: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) } } }, 'InvalidRequest', 400],
      ['an enabled report without a bucket', { Report: { Enabled: true, Format: 'Report_CSV_20180820', ReportScope: 'AllTasks' } }, 'InvalidRequest', 400],
      ['another operation than LambdaInvoke', { Operation: { S3PutObjectTagging: { TagSet: [] } } }, 'NotImplemented', 501],
      ['another account', { AccountId: '111111111111' }, 'AccessDenied', 403],
    ];
    for (const [what, overrides, code, status] of cases) {
      const input = await jobInput(cloud, ['x.jpg'], overrides);
      const error = await failure(cloud.control.send(new CreateJobCommand(input)));
      assert.deepEqual([error.name, error.status], [code, status], what);
    }
    const fields = await jobInput(cloud, ['x.jpg']);
    fields.Manifest!.Spec!.Fields = ['Bucket'];
    assert.deepEqual(Object.values(await failure(cloud.control.send(new CreateJobCommand(fields)))).slice(0, 2), ['InvalidRequest', 400], 'a manifest without Key');
  });

  it('answers an unknown job with NoSuchJobException (404) and a malformed id with InvalidRequest', async () => {
    const unknown = await failure(describe(cloud, '00000000-0000-4000-8000-000000000000'));
    assert.deepEqual([unknown.name, unknown.status, unknown.message], ['NoSuchJobException', 404, 'The specified job does not exist']);
    const malformed = await failure(describe(cloud, 'x'));
    assert.deepEqual([malformed.name, malformed.status], ['InvalidRequest', 400]);
  });

  it('is idempotent per ClientRequestToken: the same request gives the same job, another one IdempotencyException', async () => {
    const input = await jobInput(cloud, ['same.jpg'], { ConfirmationRequired: true });
    const first = await cloud.control.send(new CreateJobCommand(input));
    const again = await cloud.control.send(new CreateJobCommand(input));
    assert.equal(again.JobId, first.JobId);
    const changed = await failure(cloud.control.send(new CreateJobCommand({ ...input, Priority: 99 })));
    assert.deepEqual([changed.name, changed.status], ['IdempotencyException', 409]);
    await cloud.control.send(new UpdateJobStatusCommand({ AccountId: ACCOUNT, JobId: first.JobId!, RequestedJobStatus: 'Cancelled' }));
  });

  it('holds a job needing confirmation Suspended until UpdateJobStatus Ready, and refuses changes to an ended job', async () => {
    // Prepare
    const jobId = await createJob(cloud, ['confirm-1.jpg', 'confirm-2.jpg'], { ConfirmationRequired: true, Priority: 5 });
    const suspended = await jobIn(cloud, jobId, ['Suspended']);
    assert.equal(suspended.ProgressSummary?.TotalNumberOfTasks, 2, 'the manifest was read while Preparing');
    assert.ok(suspended.SuspendedDate instanceof Date);

    // Act
    const priority = await cloud.control.send(new UpdateJobPriorityCommand({ AccountId: ACCOUNT, JobId: jobId, Priority: 50 }));
    const ready = await cloud.control.send(new UpdateJobStatusCommand({ AccountId: ACCOUNT, JobId: jobId, RequestedJobStatus: 'Ready', StatusUpdateReason: 'looked fine' }));
    const done = await jobIn(cloud, jobId, ['Complete', 'Failed']);

    // Assess
    assert.deepEqual([priority.JobId, priority.Priority], [jobId, 50]);
    assert.deepEqual([ready.Status, ready.StatusUpdateReason], ['Ready', 'looked fine']);
    assert.deepEqual([done.Status, done.Priority, done.StatusUpdateReason, done.ProgressSummary?.NumberOfTasksSucceeded], ['Complete', 50, 'looked fine', 2]);
    const late = await failure(cloud.control.send(new UpdateJobStatusCommand({ AccountId: ACCOUNT, JobId: jobId, RequestedJobStatus: 'Cancelled' })));
    assert.deepEqual([late.name, late.status], ['JobStatusException', 400]);
  });

  it('cancels a job that has not run: Cancelled, its tasks never invoked', async () => {
    const jobId = await createJob(cloud, ['never-invoked.jpg'], { ConfirmationRequired: true });
    await jobIn(cloud, jobId, ['Suspended']);
    const cancelled = await cloud.control.send(new UpdateJobStatusCommand({ AccountId: ACCOUNT, JobId: jobId, RequestedJobStatus: 'Cancelled' }));
    assert.equal(cancelled.Status, 'Cancelled');
    assert.equal((await describe(cloud, jobId)).Status, 'Cancelled');
    const confirm = await failure(cloud.control.send(new UpdateJobStatusCommand({ AccountId: ACCOUNT, JobId: jobId, RequestedJobStatus: 'Ready' })));
    assert.equal(confirm.name, 'JobStatusException');
    assert.ok(!(await taskLines(cloud)).some((line) => line.key === 'never-invoked.jpg'));
  });

  it('lists jobs newest first, filtered by status, a page at a time', async () => {
    // Prepare: three suspended jobs
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await createJob(cloud, [`list-${i}.jpg`], { ConfirmationRequired: true, Description: `list ${i}` }));
    for (const id of ids) await jobIn(cloud, id, ['Suspended']);

    // Act
    const first = await cloud.control.send(new ListJobsCommand({ AccountId: ACCOUNT, JobStatuses: ['Suspended'], MaxResults: 2 }));
    const second = await cloud.control.send(new ListJobsCommand({ AccountId: ACCOUNT, JobStatuses: ['Suspended'], MaxResults: 2, NextToken: first.NextToken }));
    const listed = [...(first.Jobs ?? []), ...(second.Jobs ?? [])];

    // Assess
    assert.equal(first.Jobs?.length, 2);
    assert.ok(first.NextToken);
    assert.deepEqual(
      listed.filter((job) => ids.includes(job.JobId!)).map((job) => job.JobId),
      [...ids].reverse(),
    );
    for (const job of listed) assert.deepEqual([job.Status, job.Operation], ['Suspended', 'LambdaInvoke']);
    const bad = await failure(cloud.control.send(new ListJobsCommand({ AccountId: ACCOUNT, NextToken: 'not-a-token' })));
    assert.deepEqual([bad.name, bad.status], ['InvalidNextTokenException', 400]);
    for (const id of ids) await cloud.control.send(new UpdateJobStatusCommand({ AccountId: ACCOUNT, JobId: id, RequestedJobStatus: 'Cancelled' }));
  });

  it('acts as its role: a role that may not read the manifest, is not trusted, or may not invoke fails as AWS would', async () => {
    // A role without s3:GetObject on the manifest: the job fails while Preparing.
    const noRead = await jobRole(cloud, cloud.bucket, cloud.functionArn, { read: false, write: true, invoke: true });
    const unreadable = await jobIn(cloud, await createJob(cloud, ['x.jpg'], { RoleArn: noRead }), ['Failed', 'Complete']);
    assert.equal(unreadable.Status, 'Failed');
    assert.deepEqual(unreadable.FailureReasons, [{ FailureCode: 'AccessDenied', FailureReason: 'Reading the manifest is forbidden: AccessDenied' }]);

    // A role S3 Batch Operations may not assume.
    const untrusted = await jobRole(cloud, cloud.bucket, cloud.functionArn, { read: true, write: true, invoke: true, trusted: false });
    const refused = await jobIn(cloud, await createJob(cloud, ['x.jpg'], { RoleArn: untrusted }), ['Failed', 'Complete']);
    assert.deepEqual([refused.Status, refused.FailureReasons?.[0]?.FailureCode], ['Failed', 'AccessDenied']);
    assert.match(refused.FailureReasons?.[0]?.FailureReason ?? '', /batchoperations\.s3\.amazonaws\.com/);

    // A role without lambda:InvokeFunction: every task fails, AccessDenied in AWS's words, in the report.
    const noInvoke = await jobRole(cloud, cloud.bucket, cloud.functionArn, { read: true, write: true, invoke: false });
    const jobId = await createJob(cloud, ['denied-1.jpg'], { RoleArn: noInvoke });
    const denied = await jobIn(cloud, jobId, ['Complete', 'Failed']);
    assert.deepEqual([denied.Status, denied.ProgressSummary?.NumberOfTasksFailed], ['Complete', 1]);
    const manifest = JSON.parse(await readObject(cloud, `reports/job-${jobId}/manifest.json`)) as { Results: { Key: string }[] };
    const row = (await readObject(cloud, manifest.Results[0]!.Key)).trim();
    assert.match(row, new RegExp(`^source-bucket,denied-1\\.jpg,,failed,403,AccessDenied,User: arn:aws:sts::${ACCOUNT}:assumed-role/batch-[0-9a-f]+/s3-batch-operations-${jobId} is not authorized to perform: lambda:InvokeFunction`));
    assert.ok(!(await taskLines(cloud)).some((line) => line.key === 'denied-1.jpg'), 'the function was never invoked');
  });

  it('fails a job whose manifest changed after CreateJob (its ETag no longer matches)', async () => {
    const input = await jobInput(cloud, ['etag.jpg'], { ConfirmationRequired: true });
    const key = input.Manifest!.Location!.ObjectArn!.split(':::')[1]!.slice(cloud.bucket.length + 1);
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: key, Body: 'source-bucket,other.jpg\n' }));
    const job = await jobIn(cloud, (await cloud.control.send(new CreateJobCommand(input))).JobId!, ['Failed', 'Suspended']);
    assert.deepEqual([job.Status, job.FailureReasons?.[0]?.FailureCode], ['Failed', 'InvalidManifest']);
    assert.match(job.FailureReasons?.[0]?.FailureReason ?? '', /ETag/);
  });

  it('declares an IAM permission for every modelled operation', () => {
    for (const route of S3CONTROL_ROUTES) {
      if (route.run) assert.ok(route.permissions, `${route.operation} declares what it needs`);
    }
  });
});

suite('S3 Control jobs across a restart', () => {
  it('resumes an Active job where it stopped: every task done, none counted twice', async () => {
    // Prepare: a job of slow tasks on a cloud of its own, stopped once some tasks are done
    const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-jobs-restart-'));
    let first: JobsCloud | undefined = await startJobsCloud({ stateDir });
    let second: JobsCloud | undefined;
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `slow-${i}.jpg`);
      const jobId = await createJob(first, keys, {
        Operation: { LambdaInvoke: { FunctionArn: first.functionArn, InvocationSchemaVersion: '2.0', UserArguments: { sleepMs: '150' } } },
      });
      await eventually(async () => ((await describe(first!, jobId)).ProgressSummary?.NumberOfTasksSucceeded ?? 0) >= 8 || undefined, 30_000, 'some tasks to succeed');
      const names = { bucket: first.bucket, functionName: first.functionName, functionArn: first.functionArn, jobRoleArn: first.jobRoleArn };
      await first.close();
      first = undefined;

      // Act: the same state directory, a new cloud
      second = await startJobsCloud({ stateDir }, names);
      const job = await jobIn(second, jobId, ['Complete', 'Failed'], 60_000);

      // Assess
      assert.deepEqual([job.Status, job.ProgressSummary?.TotalNumberOfTasks, job.ProgressSummary?.NumberOfTasksSucceeded, job.ProgressSummary?.NumberOfTasksFailed], ['Complete', 40, 40, 0]);
      const invoked = await eventually(async () => {
        const seen = new Set((await taskLines(second!)).filter((line) => line.key.startsWith('slow-')).map((line) => line.key));
        return seen.size === keys.length ? seen : undefined;
      }, 10_000, 'a log line of every task');
      assert.deepEqual(invoked, new Set(keys));
      const manifest = JSON.parse(await readObject(second, `reports/job-${jobId}/manifest.json`)) as { Results: { Key: string }[] };
      const rows = (await readObject(second, manifest.Results[0]!.Key)).trim().split('\n');
      assert.equal(rows.length, 40, 'each task is in the report once');
    } finally {
      await first?.close();
      await second?.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

