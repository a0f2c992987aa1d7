// `backfill`'s text for people: the progress line (a bar, counts, rate, ETA), the closing summary, the job created by
// --via batch-operations and what --status shows. Pure strings; output.ts decides where they go.
import type { BatchBackfillSummary, BatchDryRunPreview, JobStatusReport } from './batch.js';
import type { BackfillProgress, BackfillSummary } from './run.js';

const number = (value: number): string => value.toLocaleString('en-US');

function seconds(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  if (total < 120) return `${total} s`;
  const minutes = Math.floor(total / 60);
  return minutes < 120 ? `${minutes} min ${total % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The bar's width in characters. */
const BAR_WIDTH = 20;

/**
 * `[███████░░░░░░░░░░░░░] 1,200/3,400 · listed 12,000 · missing 3,400 · invoked 1,200 · failed 0 · 95/s · ETA 23 s`.
 * The bar fills with the objects sent (invoked or failed) of those found missing. While the listing goes on, both
 * the bar and the ETA cover the objects found so far (the ETA marked `≥`): S3 cannot say how many objects a bucket
 * holds without listing it.
 */
export function progressLine(progress: BackfillProgress): string {
  const sent = progress.invoked + progress.failed;
  const remaining = Math.max(0, progress.missing - sent);
  const rate = progress.ratePerSecond;
  const eta = rate > 0 ? `${progress.listingDone ? '' : '≥'}${seconds((remaining / rate) * 1000)}` : '…';
  return [
    `${progressBar(sent, progress.missing)} ${number(sent)}/${number(progress.missing)}`,
    `listed ${number(progress.listed)}`,
    `missing ${number(progress.missing)}`,
    `invoked ${number(progress.invoked)}`,
    `failed ${number(progress.failed)}`,
    `${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s`,
    `ETA ${eta}`,
  ].join(' · ');
}

/** `[████░░░░]`: `done` of `total`, empty while nothing is known to be missing. */
export function progressBar(done: number, total: number): string {
  const filled = total > 0 ? Math.min(BAR_WIDTH, Math.floor((done / total) * BAR_WIDTH)) : 0;
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
}

function skippedDetail(summary: BackfillSummary): string {
  const by = summary.skippedBy;
  const parts = [
    [by.upToDate, 'up to date'],
    [by.notTriggering, 'no trigger suffix'],
    [by.beforeSince, 'before --since'],
    [by.nothingToMake, 'nothing to make'],
    [by.rejectedByName, 'refused by name'],
  ] as const;
  return parts
    .filter(([count]) => count > 0)
    .map(([count, label]) => `${number(count)} ${label}`)
    .join(', ');
}

/** The closing summary of a one-machine backfill (or a dry run). */
export function summaryText(summary: BackfillSummary): string {
  const detail = skippedDetail(summary);
  const lines = [
    `${summary.dryRun ? 'dry run: ' : ''}backfill of s3://${summary.sourceBucket} into s3://${summary.thumbnailBucket} by ${summary.functionName}`,
    `  listed   ${number(summary.listed)}`,
    `  missing  ${number(summary.missing)}`,
    `  ${summary.dryRun ? 'would invoke' : 'invoked'}  ${number(summary.dryRun ? summary.missing : summary.invoked)}`,
    `  skipped  ${number(summary.skipped)}${detail ? ` (${detail})` : ''}`,
    `  failed   ${number(summary.failed)}${summary.retries > 0 ? ` (${number(summary.retries)} retries, ${number(summary.throttled)} throttled)` : ''}`,
    `  took     ${seconds(summary.durationMs)}`,
  ];
  if (summary.interrupted) lines.push('interrupted: run the same command again to go on (what exists by then is skipped)');
  if (summary.error) lines.push(`stopped: ${summary.error}`);
  if (!summary.dryRun && !summary.interrupted && summary.invoked > 0) lines.push('the function makes the thumbnails asynchronously: `thumbctl logs` shows them as they come');
  return lines.join('\n');
}

/** What --via batch-operations created. */
export function batchText(summary: BatchBackfillSummary): string {
  if (summary.interrupted) return 'interrupted before the job was created: nothing was uploaded or started';
  if (summary.jobId === null) return `nothing to backfill: ${number(summary.listed)} objects listed, every thumbnail there (${skippedDetail(summary) || 'none to make'})`;
  return [
    `created S3 Batch Operations job ${summary.jobId} for ${number(summary.missing)} objects`,
    `  manifest  ${summary.manifest}`,
    `  role      ${summary.roleArn}`,
    `  report    ${summary.reportPrefix}job-${summary.jobId}/`,
    `follow it: thumbctl backfill --status ${summary.jobId}`,
  ].join('\n');
}

/** What --via batch-operations --dry-run would do: the manifest (where, how many rows, the first ones), the role, the function. */
export function batchDryRunText(summary: BackfillSummary, preview: Omit<BatchDryRunPreview, 'manifest'> & { manifest: BatchDryRunPreview['manifest'] | null }): string {
  const detail = skippedDetail(summary);
  const lines =
    preview.manifest === null
      ? [`dry run: nothing to backfill: ${number(summary.listed)} objects listed, every thumbnail there (${detail || 'none to make'}); no job would be created`]
      : [
          `dry run: an S3 Batch Operations job over s3://${summary.sourceBucket} would invoke ${summary.functionName} for ${number(preview.manifest.rows)} of ${number(summary.listed)} objects`,
          `  manifest: s3://${preview.manifest.bucket}/${preview.manifest.key} (${number(preview.manifest.rows)} rows)`,
          ...preview.manifest.sample.map((row) => `    ${row}`),
          ...(preview.manifest.rows > preview.manifest.sample.length ? [`    … ${number(preview.manifest.rows - preview.manifest.sample.length)} more`] : []),
          `  role: ${preview.role.arn} (${preview.role.action === 'would create' ? 'would be created' : preview.role.exists === null ? 'as given' : 'exists'})`,
          `  function: ${preview.functionArn}`,
          `  report: ${preview.reportPrefix}job-<id>/`,
          `  skipped: ${number(summary.skipped)}${detail ? ` (${detail})` : ''}`,
        ];
  for (const job of preview.unfinishedJobs) lines.push(`  job ${job.jobId} of this backfill is still ${job.status}: the run would stop until it ends`);
  if (summary.interrupted) lines.push('interrupted while listing: the counts above are partial');
  lines.push('nothing was created: no manifest, no job, no role');
  return lines.join('\n');
}

/** One line of --status progress. */
export function statusLine(report: JobStatusReport): string {
  const total = report.totalTasks === null ? '?' : number(report.totalTasks);
  return `job ${report.jobId}: ${report.status} · ${number(report.succeeded)} succeeded · ${number(report.failed)} failed of ${total}`;
}

/** What --status prints once the job has ended (or when not following). */
export function statusText(report: JobStatusReport): string {
  const lines = [statusLine(report)];
  if (report.description) lines.push(`  ${report.description}`);
  for (const failure of report.failureReasons) lines.push(`  failure: ${failure.code}: ${failure.reason}`);
  if (report.report) lines.push(`  report: ${report.report}`);
  if (report.status === 'Suspended') lines.push('  the job waits for confirmation (aws s3control update-job-status --requested-job-status Ready)');
  return lines.join('\n');
}
