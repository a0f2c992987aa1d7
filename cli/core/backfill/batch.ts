// `backfill --via batch-operations`: the same listing as the one-machine backfill, written as a CSV manifest of the
// missing objects (a temporary file, never the whole list in memory), uploaded to the thumbnails bucket, and handed
// to S3 Batch Operations as one LambdaInvoke job (schema 2.0) with a completion report; and `backfill --status JOB`,
// which reads the job back. Millions of objects cost the CLI one manifest, not millions of calls. No terminal.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, type JobDescriptor, type S3ControlClient } from '@aws-sdk/client-s3-control';
import { ExitCode, UserError } from '../../output.js';
import { errorCode } from '../../../shared/retry.js';
import { BACKFILL_PREFIXES } from '../provision/batch-role.js';
import { bucketArn } from '../provision/policies.js';
import { manifestKey } from './expected.js';
import type { BackfillSummary } from './run.js';
import { countPage, emptySkips, scanOf, scanPages } from './scan.js';
import type { BackfillTarget } from './target.js';

/** The report goes to `<thumbnails bucket>/thumbctl-backfill/reports/job-<id>/` (S3 adds `job-<id>/`). */
export const REPORT_PREFIX = BACKFILL_PREFIXES.reports.replace(/\/$/, '');
/** Jobs this CLI creates run at this priority (higher runs first among an account's jobs). */
export const JOB_PRIORITY = 10;

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
        const lines = page.missing.map((object) => `${target.sourceBucket},${manifestKey(object.key)}\n`).join('');
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

    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const key = `${BACKFILL_PREFIXES.manifests}${stamp}-${randomBytes(4).toString('hex')}.csv`;
    const { size } = await stat(file);
    const put = await options.s3.send(
      new PutObjectCommand({ Bucket: target.thumbnailBucket, Key: key, Body: createReadStream(file), ContentLength: size, ContentType: 'text/csv' }),
    );
    if (!put.ETag) throw new UserError(`uploading the manifest to s3://${target.thumbnailBucket}/${key} returned no ETag`);
    summary.manifest = `s3://${target.thumbnailBucket}/${key}`;

    const description = `thumbctl backfill of s3://${target.sourceBucket} (${summary.missing} objects)`.slice(0, 256);
    const created = await options.s3control.send(
      new CreateJobCommand({
        AccountId: options.accountId,
        ConfirmationRequired: false,
        Operation: { LambdaInvoke: { FunctionArn: target.functionArn, InvocationSchemaVersion: '2.0' } },
        Report: { Bucket: bucketArn(target.thumbnailBucket, options.region), Format: 'Report_CSV_20180820', Enabled: true, Prefix: REPORT_PREFIX, ReportScope: 'AllTasks' },
        // Derived from the manifest: a CreateJob retried after a lost answer gives back the same job.
        ClientRequestToken: `thumbctl-${put.ETag.replace(/"/g, '')}`.slice(0, 64),
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
