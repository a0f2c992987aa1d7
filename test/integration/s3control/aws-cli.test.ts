// S3 Control through the real aws CLI: list-jobs, describe-job and create-job against the local cloud, and an
// error read back in the CLI's words. The CLI sends S3 Control calls to `<account>.localhost`, as it would to
// `<account>.s3-control.<region>.amazonaws.com`; support.ts explains how those requests reach the cloud.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT, createJob, jobIn, putManifest, runAwsS3Control, startJobsCloud, type JobsCloud } from './support.js';

let cloud: JobsCloud;

before(async () => {
  cloud = await startJobsCloud();
});

after(async () => {
  await cloud?.close();
});

describe('S3 Control through the aws CLI', () => {
  it('lists and describes a job created through the SDK', async () => {
    // Prepare
    const jobId = await createJob(cloud, ['cli-1.jpg'], { ConfirmationRequired: true, Description: 'seen by the CLI' });
    await jobIn(cloud, jobId, ['Suspended']);

    // Act
    const listed = await runAwsS3Control(cloud.endpoint, ['s3control', 'list-jobs', '--account-id', ACCOUNT, '--job-statuses', 'Suspended']);
    const described = await runAwsS3Control(cloud.endpoint, ['s3control', 'describe-job', '--account-id', ACCOUNT, '--job-id', jobId]);

    // Assess
    assert.equal(listed.code, 0, listed.stderr);
    const jobs = (JSON.parse(listed.stdout) as { Jobs: { JobId: string; Description: string; Status: string; Operation: string }[] }).Jobs;
    assert.deepEqual(
      jobs.filter((job) => job.JobId === jobId).map((job) => [job.Description, job.Status, job.Operation]),
      [['seen by the CLI', 'Suspended', 'LambdaInvoke']],
    );
    assert.equal(described.code, 0, described.stderr);
    const job = (JSON.parse(described.stdout) as { Job: { JobId: string; Status: string; JobArn: string; ProgressSummary: { TotalNumberOfTasks: number }; Manifest: { Spec: { Fields: string[] } } } }).Job;
    assert.deepEqual([job.JobId, job.Status, job.JobArn, job.ProgressSummary.TotalNumberOfTasks], [jobId, 'Suspended', `arn:aws:s3:us-east-1:${ACCOUNT}:job/${jobId}`, 1]);
    assert.deepEqual(job.Manifest.Spec.Fields, ['Bucket', 'Key']);
  });

  it('creates a job with create-job that runs to Complete', async () => {
    // Prepare
    const location = await putManifest(cloud, ['cli-made.jpg']);

    // Act
    const created = await runAwsS3Control(cloud.endpoint, [
      's3control', 'create-job',
      '--account-id', ACCOUNT,
      '--no-confirmation-required',
      '--operation', JSON.stringify({ LambdaInvoke: { FunctionArn: cloud.functionArn } }),
      '--report', JSON.stringify({ Bucket: `arn:aws:s3:::${cloud.bucket}`, Format: 'Report_CSV_20180820', Enabled: true, Prefix: 'reports/cli', ReportScope: 'AllTasks' }),
      '--manifest', JSON.stringify({ Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: location }),
      '--priority', '7',
      '--role-arn', cloud.jobRoleArn,
    ]);

    // Assess
    assert.equal(created.code, 0, created.stderr);
    const { JobId } = JSON.parse(created.stdout) as { JobId: string };
    const job = await jobIn(cloud, JobId, ['Complete', 'Failed']);
    assert.deepEqual([job.Status, job.Priority, job.ProgressSummary?.NumberOfTasksSucceeded], ['Complete', 7, 1]);
  });

  it('shows S3 Control’s error for an unknown job', async () => {
    const result = await runAwsS3Control(cloud.endpoint, ['s3control', 'describe-job', '--account-id', ACCOUNT, '--job-id', '00000000-0000-4000-8000-000000000000']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /\(NoSuchJobException\) when calling the DescribeJob operation: The specified job does not exist/);
  });
});
