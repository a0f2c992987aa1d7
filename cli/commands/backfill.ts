// `thumbctl backfill`: make the missing thumbnails of objects already in the source bucket. From this machine
// (paced asynchronous invocations, one synthetic S3 event per object), or `--via batch-operations` (one manifest,
// one S3 Batch Operations job); `--status JOB` follows such a job. Ctrl-C stops a run cleanly (exit 130); run again,
// it skips what exists by then. The work is in cli/core/backfill; this file connects it to the terminal.
import { Option } from 'commander';
import { ExitCode, type Output } from '../output.js';
import { resolveContext } from '../core/context.js';
import { BACKFILL_DEFAULTS } from '../core/defaults.js';
import type { BackfillOwnFlags } from '../core/backfill/options.js';
import { defineCommand, type CommandInput } from './command.js';
import { resourceFlags, resourceOptions, suffixesOption, type ResourceFlags } from './flags.js';

export interface BackfillFlags extends ResourceFlags, BackfillOwnFlags {
  suffixes?: string;
}

export const backfillCommand = defineCommand<BackfillFlags>({
  name: 'backfill',
  description: 'make the missing thumbnails of objects already in the source bucket',
  options: [
    ...resourceOptions(),
    suffixesOption(),
    new Option('--prefix <prefix>', 'only objects whose key starts with this'),
    new Option('--since <date>', 'only objects last modified since: 2026-01-31 (UTC), 2026-01-31T12:00:00Z or 7d'),
    new Option('--concurrency <n>', `invocations in flight at once (default ${BACKFILL_DEFAULTS.concurrency})`),
    new Option('--rate <per-second>', `invocations started per second at most; throttling halves it (default ${BACKFILL_DEFAULTS.ratePerSecond})`),
    new Option('--dry-run', 'list what would be invoked; invoke nothing, create nothing'),
    new Option('--via <mode>', 'invoke: from this machine (default); batch-operations: one S3 Batch Operations job'),
    new Option('--create-role', 'with --via batch-operations: create (or correct) the role the job runs as'),
    new Option('--role-arn <arn>', 'with --via batch-operations: run the job as this role'),
    new Option('--status <job-id>', 'follow an S3 Batch Operations job until it ends'),
    new Option('--no-follow', 'with --status: show the job once and return'),
  ],
  examples: [
    'thumbctl backfill --dry-run',
    'thumbctl backfill --prefix albums/2024/ --since 30d --concurrency 16',
    'thumbctl backfill --json',
    'thumbctl backfill --via batch-operations --create-role --target aws',
    'thumbctl backfill --status 00e123a4-c0d8-41f4-a0eb-b46f9ba5b07c --json',
  ],
  run,
});

async function run({ options, globals, output }: CommandInput<BackfillFlags>): Promise<ExitCode> {
  const { resolveBackfillRequest } = await import('../core/backfill/options.js');
  const request = resolveBackfillRequest(options);
  const context = resolveContext(globals, { ...resourceFlags(options), suffixes: options.suffixes });
  const interrupt = onInterrupt(output, request.kind === 'status' ? 'stopped following the job (it goes on)' : 'interrupted: finishing the invocations already sent; run backfill again to go on');
  const session = await context.open();
  try {
    if (request.kind === 'status') return await followStatus(session, request.jobId, request.follow, output, interrupt.signal);
    const { resolveBackfillTarget } = await import('../core/backfill/target.js');
    const resources = await session.resources();
    const target = await resolveBackfillTarget(session.clients.lambda, { functionName: resources.functionName, sourceBucket: resources.sourceBucket, suffixes: resources.suffixes });
    if (request.mode === 'batch-operations') {
      if (request.dryRun) return await previewBatchOperations(session, target, request, output, interrupt.signal);
      return await viaBatchOperations(session, target, request, output, interrupt.signal);
    }

    const { backfill } = await import('../core/backfill/run.js');
    const { progressLine, summaryText } = await import('../core/backfill/render.js');
    const step = output.step(`backfilling s3://${target.sourceBucket}`);
    const update = throttled((text: string) => step.update(text));
    const summary = await backfill({
      s3: session.clients.s3,
      lambda: session.clients.lambdaOneAttempt,
      target,
      region: session.connection.region,
      ...(request.prefix !== undefined ? { prefix: request.prefix } : {}),
      ...(request.since !== undefined ? { since: request.since } : {}),
      concurrency: request.concurrency,
      ratePerSecond: request.ratePerSecond,
      dryRun: request.dryRun,
      signal: interrupt.signal,
      reporter: output,
      onProgress: (progress) => update(progressLine(progress)),
      onWouldInvoke: (object) => output.print(`would invoke ${object.key} (missing ${object.missingThumbnails.join(', ')})`),
    });
    const ok = summary.failed === 0 && summary.error === undefined;
    if (summary.interrupted) step.fail('interrupted');
    else if (ok) step.succeed(`${summary.dryRun ? 'would invoke' : 'invoked'} ${summary.dryRun ? summary.missing : summary.invoked} of ${summary.listed} objects`);
    else step.fail(`${summary.failed} invocations failed`);
    if (output.json) output.result(summary);
    else output.print(summaryText(summary));
    if (session.embedded && summary.invoked > 0) {
      output.warn(`this command ran the local cloud itself and stops it now: the function makes the ${summary.invoked} queued thumbnails when the local cloud runs again (keep one running with \`thumbctl local serve\`)`);
    }
    if (summary.interrupted) return ExitCode.interrupted;
    return ok ? ExitCode.ok : ExitCode.failure;
  } finally {
    interrupt.dispose();
    await session.close();
  }
}

type Session = Awaited<ReturnType<ReturnType<typeof resolveContext>['open']>>;
type Target = import('../core/backfill/target.js').BackfillTarget;
type BackfillRun = Extract<import('../core/backfill/options.js').BackfillRequest, { kind: 'backfill' }>;

async function viaBatchOperations(
  session: Session,
  target: Target,
  request: BackfillRun,
  output: Output,
  signal: AbortSignal,
): Promise<ExitCode> {
  const { batchBackfill, missingRoleError, unfinishedBackfillJobs, unfinishedJobError } = await import('../core/backfill/batch.js');
  const { batchText } = await import('../core/backfill/render.js');
  const { batchRoleName, ensureBatchRole, findRoleArn } = await import('../core/provision/batch-role.js');
  const region = session.connection.region;
  const stack = session.settings.stack;
  const roleName = batchRoleName(stack);
  const accountId = await session.account();
  // Before anything is touched: a job of this backfill still running would be doubled by a second one.
  const [unfinished] = await unfinishedBackfillJobs(session.clients.s3control, accountId, target.sourceBucket, (reason) => output.warn(reason));
  if (unfinished) throw unfinishedJobError(unfinished, target.sourceBucket, accountId);
  let roleArn: string;
  if (request.role.kind === 'arn') roleArn = request.role.arn;
  else if (request.role.kind === 'create') {
    const role = await ensureBatchRole(session.clients.iam, { stack, roleName, thumbnailBucket: target.thumbnailBucket, functionArn: target.functionArn, region }, output);
    roleArn = role.roleArn;
    if (role.created && session.connection.target === 'aws') {
      // A new IAM role takes a few seconds to be usable by another service; a job started at once may fail to assume it.
      output.info('waiting 10 s for the new role to reach S3 Batch Operations');
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
  } else {
    const found = await findRoleArn(session.clients.iam, roleName);
    if (!found) throw missingRoleError(roleName, target);
    roleArn = found;
  }
  const step = output.step(`listing s3://${target.sourceBucket} for S3 Batch Operations`);
  const summary = await batchBackfill({
    s3: session.clients.s3,
    s3control: session.clients.s3control,
    target,
    accountId,
    region,
    roleArn,
    ...(request.prefix !== undefined ? { prefix: request.prefix } : {}),
    ...(request.since !== undefined ? { since: request.since } : {}),
    signal,
    onProgress: (progress) => step.update(`listed ${progress.listed} · missing ${progress.missing}`),
  });
  if (summary.interrupted) step.fail('interrupted');
  else step.succeed(summary.jobId ? `job ${summary.jobId} created for ${summary.missing} objects` : 'nothing missing: no job created');
  if (output.json) output.result(summary);
  else output.print(batchText(summary));
  if (session.embedded && summary.jobId) {
    output.warn(`this command ran the local cloud itself and stops it now: the job runs while \`thumbctl backfill --status ${summary.jobId}\` follows it, or under \`thumbctl local serve\``);
  }
  return summary.interrupted ? ExitCode.interrupted : ExitCode.ok;
}

/**
 * `--via batch-operations --dry-run`: the same listing, and what the run would write and use (the manifest's place,
 * rows and first lines; the role; the function), creating nothing: no manifest, no job, no role.
 */
async function previewBatchOperations(
  session: Session,
  target: Target,
  request: BackfillRun,
  output: Output,
  signal: AbortSignal,
): Promise<ExitCode> {
  const { manifestPreview, previewBatchRole, REPORT_PREFIX, unfinishedBackfillJobs, unfinishedJobError } = await import('../core/backfill/batch.js');
  const { backfill } = await import('../core/backfill/run.js');
  const { batchDryRunText } = await import('../core/backfill/render.js');
  const { batchRoleName } = await import('../core/provision/batch-role.js');
  const region = session.connection.region;
  const stack = session.settings.stack;
  const accountId = await session.account();
  const role = await previewBatchRole(session.clients.iam, request.role, { stack, roleName: batchRoleName(stack), accountId, region, target });
  // The run would stop here; the preview says so and goes on.
  const unfinished = await unfinishedBackfillJobs(session.clients.s3control, accountId, target.sourceBucket, (reason) => output.warn(reason));
  for (const job of unfinished) output.warn(unfinishedJobError(job, target.sourceBucket, accountId).message);
  const manifest = manifestPreview(target);
  const step = output.step(`listing s3://${target.sourceBucket} for S3 Batch Operations (dry run)`);
  const update = throttled((text: string) => step.update(text));
  const summary = await backfill({
    s3: session.clients.s3,
    lambda: session.clients.lambdaOneAttempt,
    target,
    region,
    ...(request.prefix !== undefined ? { prefix: request.prefix } : {}),
    ...(request.since !== undefined ? { since: request.since } : {}),
    concurrency: request.concurrency,
    ratePerSecond: request.ratePerSecond,
    dryRun: true,
    signal,
    reporter: output,
    onProgress: (progress) => update(`listed ${progress.listed} · missing ${progress.missing}`),
    onWouldInvoke: (object) => manifest.add(object.key),
  });
  const written = manifest.result();
  const preview = {
    via: 'batch-operations' as const,
    manifest: written.rows > 0 ? written : null,
    role,
    functionArn: target.functionArn,
    jobId: null,
    reportPrefix: `s3://${target.thumbnailBucket}/${REPORT_PREFIX}/`,
    unfinishedJobs: unfinished,
  };
  if (summary.interrupted) step.fail('interrupted');
  else step.succeed(written.rows > 0 ? `a job would be created for ${written.rows} objects` : 'nothing missing: no job would be created');
  if (output.json) output.result({ ...summary, ...preview });
  else output.print(batchDryRunText(summary, preview));
  return summary.interrupted ? ExitCode.interrupted : ExitCode.ok;
}

async function followStatus(session: Session, jobId: string, follow: boolean, output: Output, signal: AbortSignal): Promise<ExitCode> {
  const { describeJob, ENDED_STATUSES, jobStatusReport } = await import('../core/backfill/batch.js');
  const { statusLine, statusText } = await import('../core/backfill/render.js');
  const started = Date.now();
  const accountId = await session.account();
  const pollMs = session.connection.target === 'local' || session.endpoint ? BACKFILL_DEFAULTS.localStatusPollMs : BACKFILL_DEFAULTS.statusPollMs;
  const step = output.step(`S3 Batch Operations job ${jobId}`);
  let report = jobStatusReport(await describeJob(session.clients.s3control, accountId, jobId), Date.now() - started);
  while (follow && !ENDED_STATUSES.has(report.status) && report.status !== 'Suspended' && !signal.aborted) {
    step.update(statusLine(report));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (signal.aborted) break;
    report = jobStatusReport(await describeJob(session.clients.s3control, accountId, jobId), Date.now() - started);
  }
  const succeeded = report.status === 'Complete' && report.failed === 0;
  if (succeeded) step.succeed(statusLine(report));
  else if (ENDED_STATUSES.has(report.status) || report.status === 'Suspended') step.fail(statusLine(report));
  else step.done(statusLine(report));
  if (output.json) output.result(report);
  else output.print(statusText(report));
  if (signal.aborted) return ExitCode.interrupted;
  if (!ENDED_STATUSES.has(report.status) && report.status !== 'Suspended') return ExitCode.ok;
  return succeeded ? ExitCode.ok : ExitCode.failure;
}

/** The first Ctrl-C aborts the signal (the run ends cleanly); a second one exits at once. */
function onInterrupt(output: Output, message: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (): void => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted);
    output.warn(message);
    controller.abort();
  };
  process.on('SIGINT', handler);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', handler) };
}

/** At most ten updates a second: a progress line redrawn per invocation would cost more than the invocation. */
function throttled(update: (text: string) => void): (text: string) => void {
  let last = 0;
  return (text) => {
    const now = Date.now();
    if (now - last < 100) return;
    last = now;
    update(text);
  };
}
