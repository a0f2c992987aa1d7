// `backfill --via batch-operations`: the same listing as the one-machine backfill, written as a CSV manifest of the
// missing objects (a temporary file, never the whole list in memory), uploaded to the thumbnails bucket, and handed
// to S3 Batch Operations as one LambdaInvoke job (schema 2.0) with a completion report; and `backfill --status JOB`,
// which reads the job back; and the preview --dry-run prints (the manifest's place, rows and first lines, the role and
// function the job would use), which creates nothing. Millions of objects cost the CLI one manifest, not millions of
// calls. No terminal.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import type { IAMClient } from '@aws-sdk/client-iam';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, ListJobsCommand, type JobDescriptor, type JobStatus, type S3ControlClient } from '@aws-sdk/client-s3-control';
import { ExitCode, UserError } from '../../output.js';
import { errorCode } from '../../../shared/retry.js';
import { assertBatchRoleAvailable, BACKFILL_PREFIXES, findRoleArn } from '../provision/batch-role.js';
import { bucketArn, partitionOf } from '../provision/policies.js';
import { manifestKey } from './expected.js';
import type { BackfillSummary } from './run.js';
import { countPage, emptySkips, scanOf, scanPages } from './scan.js';
import type { BackfillTarget } from './target.js';

/** The report goes to `<thumbnails bucket>/thumbctl-backfill/reports/job-<id>/` (S3 adds `job-<id>/`). */
export const REPORT_PREFIX = BACKFILL_PREFIXES.reports.replace(/\/$/, '');
/** Jobs this CLI creates run at this priority (higher runs first among an account's jobs). */
export const JOB_PRIORITY = 10;

/** How many of the manifest's first rows a dry run shows. */
export const MANIFEST_SAMPLE_ROWS = 5;

/** One manifest line (without its newline): S3 Batch Operations wants `bucket,key` with the key URL-encoded. */
export function manifestRow(sourceBucket: string, key: string): string {
  return `${sourceBucket},${manifestKey(key)}`;
}

/** Where a manifest written now goes in the thumbnails bucket: a time stamp and a random tail, never reused. */
export function manifestObjectKey(now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return `${BACKFILL_PREFIXES.manifests}${stamp}-${randomBytes(4).toString('hex')}.csv`;
}

/**
 * CreateJob's idempotency token: the same for every attempt of one run's CreateJob (the SDK's retry after a lost
 * answer gets back the job it created), another for each run. Not the manifest's ETag alone: a run after a job that
 * failed or was cancelled before a task ran writes the same bytes (so the same ETag), and S3 Control answers a token
 * reused with another request IdempotencyException. The manifest's key is stamped and random, so it tells runs apart.
 */
export function createJobToken(manifestKey: string, etag: string): string {
  return `thumbctl-${createHash('sha256').update(`${manifestKey}\n${etag}`).digest('hex')}`.slice(0, 64);
}

/** What a backfill job is called in the account (ListJobs shows it; unfinishedBackfillJobs finds jobs by it). */
export function jobDescription(sourceBucket: string, objects: number): string {
  return `${descriptionPrefix(sourceBucket)}${objects} objects)`.slice(0, 256);
}

function descriptionPrefix(sourceBucket: string): string {
  return `thumbctl backfill of s3://${sourceBucket} (`;
}

/** The statuses of a job that has not ended: it may still invoke the function. */
export const UNFINISHED_STATUSES: readonly JobStatus[] = ['New', 'Preparing', 'Suspended', 'Ready', 'Active', 'Pausing', 'Paused', 'Completing', 'Cancelling', 'Failing'];
/** ListJobs pages read looking for them, at most (1,000 jobs a page; unfinished jobs are few). */
const MAX_LIST_PAGES = 20;

/**
 * This CLI's backfill jobs over `sourceBucket` that have not ended. A second job created while one runs would list
 * as missing the objects the first has not reached yet, and the function would be invoked twice for each of them.
 */
export async function unfinishedBackfillJobs(
  s3control: S3ControlClient,
  accountId: string,
  sourceBucket: string,
  onUnchecked: (reason: string) => void,
): Promise<{ jobId: string; status: string }[]> {
  const found: { jobId: string; status: string }[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    let listed;
    try {
      listed = await s3control.send(new ListJobsCommand({ AccountId: accountId, JobStatuses: [...UNFINISHED_STATUSES], MaxResults: 1000, NextToken: token }));
    } catch (error) {
      // Creating jobs does not need s3:ListJobs: a caller without it is told the check was skipped, and goes on.
      if (errorCode(error) !== 'AccessDenied') throw error;
      onUnchecked(`could not look for a backfill job still running (s3:ListJobs: AccessDenied); make sure none is before this one runs`);
      return found;
    }
    for (const job of listed.Jobs ?? []) {
      if (job.JobId && job.Description?.startsWith(descriptionPrefix(sourceBucket))) found.push({ jobId: job.JobId, status: job.Status ?? 'unknown' });
    }
    token = listed.NextToken;
    if (!token) break;
  }
  return found;
}

/** Why a run stops when a job of this backfill is still going (exit 2: nothing was touched). */
export function unfinishedJobError(job: { jobId: string; status: string }, sourceBucket: string, accountId: string): UserError {
  return new UserError(
    `S3 Batch Operations job ${job.jobId} over s3://${sourceBucket} is still ${job.status}; a second job now would invoke the function again for what it has not reached: follow it with \`thumbctl backfill --status ${job.jobId}\`, or cancel it (aws s3control update-job-status --account-id ${accountId} --job-id ${job.jobId} --requested-job-status Cancelled) and run backfill again once it is Cancelled`,
    ExitCode.usage,
  );
}

/** The role a job would run as, as a dry run finds it: given (--role-arn, not looked up), there, or to be created. */
export interface BatchRolePreview {
  arn: string;
  /** Null for a --role-arn, which is used as given. */
  exists: boolean | null;
  action: 'use' | 'would create';
}

/** The ARN IAM gives a role of this name made in this account (roles made by thumbctl have the path `/`). */
export function roleArnFor(accountId: string, region: string, roleName: string): string {
  return `arn:${partitionOf(region)}:iam::${accountId}:role/${roleName}`;
}

/** What `backfill --via batch-operations --dry-run --json` adds beside the one-machine dry run's summary. */
export interface BatchDryRunPreview {
  via: 'batch-operations';
  manifest: { bucket: string; key: string; rows: number; sample: string[] };
  role: BatchRolePreview;
  functionArn: string;
  /** Always null: a dry run creates no job. */
  jobId: null;
  reportPrefix: string;
  /** Jobs of this backfill that have not ended: the run would stop on them (unfinishedJobError). */
  unfinishedJobs: { jobId: string; status: string }[];
}

/**
 * Collects the manifest a run would write, one missing object at a time: its row count and first rows, never the
 * whole list. The key is the form a run gives its manifest (a run stamps its own when it writes it).
 */
export function manifestPreview(target: Pick<BackfillTarget, 'sourceBucket' | 'thumbnailBucket'>): {
  add(key: string): void;
  result(): BatchDryRunPreview['manifest'];
} {
  const key = manifestObjectKey();
  let rows = 0;
  const sample: string[] = [];
  return {
    add(objectKey) {
      rows += 1;
      if (sample.length < MANIFEST_SAMPLE_ROWS) sample.push(manifestRow(target.sourceBucket, objectKey));
    },
    result: () => ({ bucket: target.thumbnailBucket, key, rows, sample: [...sample] }),
  };
}

/** How the command was told to find the job's role (options.ts BackfillRequest's `role`). */
export type BatchRoleChoice = { kind: 'arn'; arn: string } | { kind: 'create' } | { kind: 'default' };

/** The run needs a role and was given none, and the stack's own is not there. */
export function missingRoleError(roleName: string, target: Pick<BackfillTarget, 'thumbnailBucket' | 'functionName'>): UserError {
  return new UserError(
    `S3 Batch Operations runs the job as an IAM role: run \`thumbctl setup --batch-operations-role\` or pass --create-role to create ${roleName} (it may read and write only under thumbctl-backfill/ in s3://${target.thumbnailBucket} and invoke ${target.functionName}), or --role-arn ARN`,
    ExitCode.usage,
  );
}

/**
 * The role a run would use, looked up and never changed: what --create-role would create, or the stack's role when
 * it is there. Refuses (exit 2) where the run would: no role and none asked for, or a role of the name this stack
 * did not create.
 */
export async function previewBatchRole(
  iam: IAMClient,
  choice: BatchRoleChoice,
  names: { stack: string; roleName: string; accountId: string; region: string; target: Pick<BackfillTarget, 'thumbnailBucket' | 'functionName'> },
): Promise<BatchRolePreview> {
  if (choice.kind === 'arn') return { arn: choice.arn, exists: null, action: 'use' };
  const found = await findRoleArn(iam, names.roleName);
  if (choice.kind === 'create') {
    await assertBatchRoleAvailable(iam, names);
    return found ? { arn: found, exists: true, action: 'use' } : { arn: roleArnFor(names.accountId, names.region, names.roleName), exists: false, action: 'would create' };
  }
  if (!found) throw missingRoleError(names.roleName, names.target);
  return { arn: found, exists: true, action: 'use' };
}

export interface BatchBackfillOptions {
  s3: S3Client;
  s3control: S3ControlClient;
  target: BackfillTarget;
  accountId: string;
  region: string;
  roleArn: string;
  prefix?: string;
  since?: number;
  signal?: AbortSignal;
  onProgress?(progress: { listed: number; missing: number; skipped: number }): void;
}

export interface BatchBackfillSummary extends BackfillSummary {
  /** The job S3 Batch Operations runs, or null when nothing was missing (no job is created then). */
  jobId: string | null;
  /** `s3://bucket/key` of the manifest, when one was written. */
  manifest: string | null;
  roleArn: string;
  /** Where the completion report will be. */
  reportPrefix: string;
}

/**
 * Lists, writes the manifest, uploads it, creates the job.
 * @throws UserError when interrupted (nothing is created then)
 */
export async function batchBackfill(options: BatchBackfillOptions): Promise<BatchBackfillSummary> {
  const started = Date.now();
  const { target } = options;
  const summary: BatchBackfillSummary = {
    listed: 0,
    missing: 0,
    invoked: 0,
    skipped: 0,
    failed: 0,
    durationMs: 0,
    skippedBy: emptySkips(),
    dryRun: false,
    interrupted: false,
    sourceBucket: target.sourceBucket,
    thumbnailBucket: target.thumbnailBucket,
    functionName: target.functionName,
    retries: 0,
    throttled: 0,
    jobId: null,
    manifest: null,
    roleArn: options.roleArn,
    reportPrefix: `s3://${target.thumbnailBucket}/${REPORT_PREFIX}/`,
  };
  const dir = await mkdtemp(join(tmpdir(), 'thumbctl-backfill-'));
  const file = join(dir, 'manifest.csv');
  try {
    const out = createWriteStream(file);
    try {
      for await (const page of scanPages(scanOf(target, options))) {
        countPage(summary, page);
        // S3 Batch Operations wants each key URL-encoded, in `bucket,key` lines.
        const lines = page.missing.map((object) => `${manifestRow(target.sourceBucket, object.key)}\n`).join('');
        if (lines !== '' && !out.write(lines)) await once(out, 'drain');
        options.onProgress?.({ listed: summary.listed, missing: summary.missing, skipped: summary.skipped });
      }
    } catch (error) {
      if (!options.signal?.aborted) throw error;
    } finally {
      out.end();
      await once(out, 'close');
    }
    if (options.signal?.aborted) {
      summary.interrupted = true;
      summary.durationMs = Date.now() - started;
      return summary;
    }
    if (summary.missing === 0) {
      summary.durationMs = Date.now() - started;
      return summary;
    }

    const key = manifestObjectKey();
    const { size } = await stat(file);
    const put = await options.s3.send(
      new PutObjectCommand({ Bucket: target.thumbnailBucket, Key: key, Body: createReadStream(file), ContentLength: size, ContentType: 'text/csv' }),
    );
    if (!put.ETag) throw new UserError(`uploading the manifest to s3://${target.thumbnailBucket}/${key} returned no ETag`);
    summary.manifest = `s3://${target.thumbnailBucket}/${key}`;

    const description = jobDescription(target.sourceBucket, summary.missing);
    const created = await options.s3control.send(
      new CreateJobCommand({
        AccountId: options.accountId,
        ConfirmationRequired: false,
        Operation: { LambdaInvoke: { FunctionArn: target.functionArn, InvocationSchemaVersion: '2.0' } },
        Report: { Bucket: bucketArn(target.thumbnailBucket, options.region), Format: 'Report_CSV_20180820', Enabled: true, Prefix: REPORT_PREFIX, ReportScope: 'AllTasks' },
        ClientRequestToken: createJobToken(key, put.ETag),
        Manifest: {
          Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] },
          Location: { ObjectArn: `${bucketArn(target.thumbnailBucket, options.region)}/${key}`, ETag: put.ETag },
        },
        Priority: JOB_PRIORITY,
        RoleArn: options.roleArn,
        Description: description,
      }),
    );
    summary.jobId = created.JobId ?? null;
    summary.durationMs = Date.now() - started;
    return summary;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `backfill --status JOB --json`. */
export interface JobStatusReport {
  jobId: string;
  status: string;
  totalTasks: number | null;
  succeeded: number;
  failed: number;
  /** Tasks neither succeeded nor failed yet. */
  remaining: number | null;
  elapsedActiveSeconds: number;
  failureReasons: { code: string; reason: string }[];
  /** The completion report's manifest.json, once the job has ended (`s3://...`), else null. */
  report: string | null;
  description: string | null;
  createdAt: string | null;
  endedAt: string | null;
  durationMs: number;
}

/** The statuses a job does not leave. */
export const ENDED_STATUSES: ReadonlySet<string> = new Set(['Complete', 'Failed', 'Cancelled']);

/** @throws UserError (exit 1) for a job id S3 Batch Operations does not know */
export async function describeJob(s3control: S3ControlClient, accountId: string, jobId: string): Promise<JobDescriptor> {
  try {
    const { Job } = await s3control.send(new DescribeJobCommand({ AccountId: accountId, JobId: jobId }));
    if (!Job) throw new UserError(`S3 Batch Operations returned nothing for job ${jobId}`);
    return Job;
  } catch (error) {
    if (['NoSuchJobException', 'NotFoundException'].includes(errorCode(error))) {
      throw new UserError(`no S3 Batch Operations job ${jobId} in this account and region`, ExitCode.failure);
    }
    throw error;
  }
}

/** What `--status` reports about a job. */
export function jobStatusReport(job: JobDescriptor, durationMs: number): JobStatusReport {
  const total = job.ProgressSummary?.TotalNumberOfTasks;
  const succeeded = job.ProgressSummary?.NumberOfTasksSucceeded ?? 0;
  const failed = job.ProgressSummary?.NumberOfTasksFailed ?? 0;
  const reportBucket = job.Report?.Enabled && job.Report.Bucket ? job.Report.Bucket.replace(/^arn:[^:]+:s3:::/, '') : undefined;
  const prefix = (job.Report?.Prefix ?? '').replace(/\/+$/, '');
  const ended = ENDED_STATUSES.has(job.Status ?? '');
  return {
    jobId: job.JobId ?? '',
    status: job.Status ?? 'unknown',
    totalTasks: total ?? null,
    succeeded,
    failed,
    remaining: total === undefined ? null : Math.max(0, total - succeeded - failed),
    elapsedActiveSeconds: job.ProgressSummary?.Timers?.ElapsedTimeInActiveSeconds ?? 0,
    failureReasons: (job.FailureReasons ?? []).map((failure) => ({ code: failure.FailureCode ?? '', reason: failure.FailureReason ?? '' })),
    report: ended && reportBucket && succeeded + failed > 0 ? `s3://${reportBucket}/${prefix === '' ? '' : `${prefix}/`}job-${job.JobId}/manifest.json` : null,
    description: job.Description ?? null,
    createdAt: job.CreationTime?.toISOString() ?? null,
    endedAt: job.TerminationDate?.toISOString() ?? null,
    durationMs,
  };
}
