// Runs S3 Batch Operations jobs in the local cloud: prepares each new job (its role, its manifest read from S3 as
// the role, the completion report's destination), runs Ready jobs one at a time, highest priority first, invoking
// the function once per task with the LambdaInvoke event schema (2.0 or 1.0) at a bounded concurrency, and writes
// the completion report as AWS lays it out. The job acts as its role: every read, invoke and write is checked
// against the role's policies (core/authorize.ts). Progress is in SQLite, task by task, so a restart resumes a
// job where it stopped (a task that was running then runs again: at least once, as at AWS). It speaks no HTTP.
import { createHash, randomBytes } from 'node:crypto';
import { accessDeniedMessage, assumedRoleArn, roleNameOf, type Decision, type Permission, type RoleSession } from '../../core/authorize.js';
import type { IamForOthers, LambdaForOthers, S3ForOthers } from '../../core/context.js';
import { AwsError } from '../../core/errors.js';
import { trustsService } from '../iam/policy-document.js';
import { ManifestError, readCsvManifest, reportBase, reportLine, reportManifest, type ReportFile } from './manifest.js';
import { bucketOfArn, objectOfArn, type S3ControlStore, type StoredJob, type StoredTask, type TaskOutcome } from './store.js';

/** The service principal a job's role must trust. */
export const BATCH_OPERATIONS_PRINCIPAL = 'batchoperations.s3.amazonaws.com';

export const RUNNER_LIMITS = {
  /** Tasks of the running job invoked at once: enough to keep a few environments busy, few enough to share the machine. */
  tasksInFlight: 8,
  /**
   * The largest manifest the local cloud reads. It reads a manifest whole, so it bounds it: 64 MiB is about a
   * million `bucket,key` lines. AWS reads far larger ones; split a bigger backfill into several jobs.
   */
  maxManifestBytes: 64 * 1024 * 1024,
  /** Attempts of a task the function answers TemporaryFailure (or Lambda throttles), and the waits between them. */
  taskAttempts: 3,
  taskRetryDelaysMs: [250, 1000],
  /** Report rows per CSV file: AWS splits a report into several files, and so the report is never held whole. */
  reportRowsPerFile: 10_000,
  /** How long stop() waits for running tasks before leaving them to the next start. */
  drainMs: 10_000,
} as const;

/** A job failure, as DescribeJob's FailureReasons lists it. */
class JobFailure extends Error {
  constructor(
    readonly failureCode: string,
    readonly failureReason: string,
  ) {
    super(failureReason);
  }
}

/** What the runner asks of the other services, as getters: they are built in any order. */
export interface JobRunnerOptions {
  iam(): IamForOthers | undefined;
  s3(): S3ForOthers | undefined;
  lambda(): LambdaForOthers | undefined;
  /** What the role's policies decide for one permission (core/authorize.ts `decideForRole`). */
  decide(session: RoleSession, permission: Permission, region: string): Decision;
  log(message: string): void;
}

export class JobRunner {
  private running = false;
  private pumping = false;
  private pumpAgain = false;
  /** The job being run, and its settled promise. */
  private active: { jobId: string; done: Promise<void> } | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: S3ControlStore,
    private readonly options: JobRunnerOptions,
  ) {}

  /** Picks up where a stopped cloud left off, then runs whatever is waiting. */
  start(): void {
    this.running = true;
    // A job that was being prepared is prepared again from its manifest; ending jobs are ended.
    for (const job of this.store.jobsIn(['Preparing'])) this.store.transition(job.jobId, ['Preparing'], { status: 'New' });
    for (const job of this.store.jobsIn(['Failing'])) this.store.transition(job.jobId, ['Failing'], { status: 'Failed' });
    this.wake();
  }

  /** Stops starting tasks; waits a while for running ones, whose results are still recorded. */
  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.active) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.active.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, RUNNER_LIMITS.drainMs)))]);
      clearTimeout(timer);
    }
  }

  /** Looks for work on the next turn of the event loop. */
  wake(): void {
    if (!this.running) return;
    setImmediate(() => void this.pump());
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        if (!this.running) return;
        for (const job of this.store.jobsIn(['New'])) await this.prepare(job);
        // Jobs cancelled while waiting, or left ending by a restart, are ended here (the running job ends itself).
        for (const job of this.store.jobsIn(['Cancelling', 'Completing'])) {
          if (this.active?.jobId !== job.jobId) await this.finish(job.jobId);
        }
        if (!this.active) {
          const resumed = this.store.jobsIn(['Active'])[0];
          const next = resumed ?? this.store.nextReadyJob();
          if (next && (resumed || this.store.transition(next.jobId, ['Ready'], { status: 'Active' })?.status === 'Active')) {
            const done = this.run(next.jobId)
              .catch((error: unknown) => this.options.log(`s3control: job ${next.jobId} stopped on an internal error: ${(error as Error).stack ?? String(error)}`))
              .finally(() => {
                this.active = undefined;
                this.wake();
              });
            this.active = { jobId: next.jobId, done };
          }
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  // ---------------------------------------------------------------- preparing

  /** New → Preparing → Ready (or Suspended, awaiting confirmation), or Failed with the reason. */
  private async prepare(job: StoredJob): Promise<void> {
    if (this.store.transition(job.jobId, ['New'], { status: 'Preparing' })?.status !== 'Preparing') return;
    try {
      const session = this.roleSession(job);
      this.checkRole(job);
      const text = await this.readManifest(job, session);
      this.checkReportDestination(job, session);
      let total: number;
      try {
        total = this.store.replaceTasks(job.jobId, readCsvManifest(text, job.manifest.fields));
      } catch (error) {
        if (error instanceof ManifestError) throw new JobFailure('InvalidManifest', `Reading the manifest failed: ${error.message}`);
        throw error;
      }
      const next = job.confirmationRequired
        ? { status: 'Suspended' as const, suspendedDate: Date.now(), suspendedCause: 'The job requires confirmation before it runs' }
        : { status: 'Ready' as const };
      this.store.transition(job.jobId, ['Preparing'], next);
      this.options.log(`s3control: job ${job.jobId} prepared: ${total} tasks, ${next.status}`);
    } catch (error) {
      this.fail(job.jobId, ['Preparing'], error);
    }
  }

  /** The role must exist and trust S3 Batch Operations; otherwise the job cannot act at all. The wording is ours. */
  private checkRole(job: StoredJob): void {
    const trustPolicy = this.options.iam()?.roleTrustPolicy(job.roleArn);
    if (trustPolicy === undefined) throw new JobFailure('AccessDenied', `Unable to assume role ${job.roleArn}: the role does not exist`);
    if (!trustsService(trustPolicy, BATCH_OPERATIONS_PRINCIPAL)) {
      throw new JobFailure('AccessDenied', `Unable to assume role ${job.roleArn}: its trust policy does not let ${BATCH_OPERATIONS_PRINCIPAL} assume it`);
    }
  }

  /** Reads the manifest as the role, checking it is the object CreateJob named (its ETag) and within the bound. */
  private async readManifest(job: StoredJob, session: RoleSession): Promise<string> {
    const s3 = this.options.s3();
    const location = objectOfArn(job.manifest.objectArn)!;
    const resource = `arn:aws:s3:::${location.bucket}/${location.key}`;
    const action = job.manifest.objectVersionId !== undefined ? 's3:GetObjectVersion' : 's3:GetObject';
    if (this.decide(job, session, { action, resource }) !== 'allow') throw new JobFailure('AccessDenied', 'Reading the manifest is forbidden: AccessDenied');
    const summary = s3?.objectSummary?.(location.bucket, location.key);
    if (!s3 || !summary) throw new JobFailure('NoSuchKey', 'Reading the manifest failed: NoSuchKey: The specified key does not exist.');
    const expected = job.manifest.etag.replace(/"/g, '');
    if (summary.etag !== expected) {
      throw new JobFailure('InvalidManifest', `Reading the manifest failed: its ETag is "${summary.etag}", not the "${expected}" the job names (the manifest changed after the job was created)`);
    }
    if (summary.size > RUNNER_LIMITS.maxManifestBytes) {
      throw new JobFailure('ManifestTooLarge', `The manifest is ${summary.size} bytes; the local cloud reads manifests up to ${RUNNER_LIMITS.maxManifestBytes} bytes (split the work into several jobs)`);
    }
    const bytes = await s3.getObjectBytes(location.bucket, location.key);
    if (!bytes) throw new JobFailure('NoSuchKey', 'Reading the manifest failed: NoSuchKey: The specified key does not exist.');
    return bytes.toString('utf8');
  }

  /** Before any task runs: the role must be allowed to write the report where it goes. */
  private checkReportDestination(job: StoredJob, session: RoleSession): void {
    if (!job.report.Enabled) return;
    const bucket = bucketOfArn(job.report.Bucket!)!;
    const resource = `arn:aws:s3:::${bucket}/${reportBase(job.report.Prefix, job.jobId)}/manifest.json`;
    if (this.decide(job, session, { action: 's3:PutObject', resource }) !== 'allow') {
      throw new JobFailure('AccessDenied', 'Writing the completion report is forbidden: AccessDenied');
    }
  }

  // ---------------------------------------------------------------- running

  /** Runs the Active job's pending tasks, then ends it (or leaves it Active for the next start when stopping). */
  private async run(jobId: string): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let afterSeq = -1;
    for (;;) {
      if (!this.running) break;
      const job = this.store.job(jobId);
      if (!job || job.status !== 'Active') break;
      if (inFlight.size >= RUNNER_LIMITS.tasksInFlight) {
        await Promise.race(inFlight);
        continue;
      }
      const tasks = this.store.pendingTasks(jobId, afterSeq, RUNNER_LIMITS.tasksInFlight - inFlight.size);
      if (tasks.length === 0) {
        if (inFlight.size === 0) break;
        await Promise.race(inFlight);
        continue;
      }
      const session = this.roleSession(job);
      for (const task of tasks) {
        afterSeq = task.seq;
        const running: Promise<void> = this.runTask(job, session, task)
          .then((outcome) => this.store.completeTask(jobId, task.seq, outcome))
          .catch((error: unknown) => this.options.log(`s3control: job ${jobId} task ${task.seq}: ${(error as Error).stack ?? String(error)}`))
          .finally(() => inFlight.delete(running));
        inFlight.add(running);
      }
    }
    await Promise.all(inFlight);
    if (!this.running) return;
    await this.finish(jobId);
  }

  /** One task: invoke as the role, read the task's result, retry what the function calls temporary. */
  private async runTask(job: StoredJob, session: RoleSession, task: StoredTask): Promise<TaskOutcome> {
    const functionArn = this.functionArn(job);
    const permission: Permission = { action: 'lambda:InvokeFunction', resource: functionArn };
    const decision = this.decide(job, session, permission);
    if (decision !== 'allow') {
      return { status: 'failed', httpStatusCode: 403, errorCode: 'AccessDenied', resultMessage: accessDeniedMessage(assumedRoleArn(session), permission, decision) };
    }
    const lambda = this.options.lambda();
    if (!lambda?.invoke) return { status: 'failed', httpStatusCode: 500, errorCode: 'InternalError', resultMessage: 'Lambda is not available' };
    const taskId = randomBytes(12).toString('base64');
    const payload = JSON.stringify(taskPayload(job, task, taskId));
    for (let attempt = 1; ; attempt++) {
      const retry = attempt < RUNNER_LIMITS.taskAttempts && this.running;
      let answer: { payload: string; functionError?: string };
      try {
        answer = await lambda.invoke(functionArn, payload);
      } catch (error) {
        if (!(error instanceof AwsError)) throw error;
        if (retry && error.status === 429) {
          await this.sleep(RUNNER_LIMITS.taskRetryDelaysMs[attempt - 1] ?? 1000);
          continue;
        }
        return { status: 'failed', httpStatusCode: error.status, errorCode: error.code, resultMessage: `${error.code}: ${error.message}` };
      }
      // AWS's own report shows a function error so: "Lambda returned function error: {...}", PermanentFailure.
      if (answer.functionError) return { status: 'failed', httpStatusCode: 200, errorCode: 'PermanentFailure', resultMessage: `Lambda returned function error: ${answer.payload}` };
      const result = taskResult(answer.payload, taskId);
      if (result.resultCode === 'Succeeded') return { status: 'succeeded', httpStatusCode: 200, errorCode: '', resultMessage: result.resultString };
      if (result.resultCode === 'TemporaryFailure' && retry) {
        await this.sleep(RUNNER_LIMITS.taskRetryDelaysMs[attempt - 1] ?? 1000);
        continue;
      }
      return { status: 'failed', httpStatusCode: 200, errorCode: result.resultCode, resultMessage: result.resultString };
    }
  }

  // ---------------------------------------------------------------- ending

  /** Completing → Complete, Cancelling → Cancelled (Active → Completing first): the report, then the end. */
  private async finish(jobId: string): Promise<void> {
    let job = this.store.job(jobId);
    if (!job) return;
    if (job.status === 'Active') job = this.store.transition(jobId, ['Active'], { status: 'Completing' });
    if (!job || (job.status !== 'Completing' && job.status !== 'Cancelling')) return;
    const ending = job.status;
    const ended = ending === 'Completing' ? 'Complete' : 'Cancelled';
    try {
      await this.writeReport(job);
      this.store.transition(jobId, [ending], { status: ended });
      const counts = this.store.counts(jobId);
      this.options.log(`s3control: job ${jobId} ${ended}: ${counts.succeeded} succeeded, ${counts.failed} failed of ${counts.total ?? 0}`);
    } catch (error) {
      this.fail(jobId, [ending], error);
    }
  }

  /**
   * The completion report: CSV files of the succeeded and failed tasks (failed only for FailedTasksOnly), each at
   * most RUNNER_LIMITS.reportRowsPerFile rows, then `manifest.json` naming them. None when no task ran.
   */
  private async writeReport(job: StoredJob): Promise<void> {
    if (!job.report.Enabled) return;
    const counts = this.store.counts(job.jobId);
    if (counts.succeeded + counts.failed === 0) return;
    const s3 = this.options.s3();
    if (!s3?.putObject) throw new JobFailure('InternalError', 'S3 is not available to write the report');
    const bucket = bucketOfArn(job.report.Bucket!)!;
    const base = reportBase(job.report.Prefix, job.jobId);
    const session = this.roleSession(job);
    const files: ReportFile[] = [];
    const put = async (key: string, body: Buffer, contentType: string): Promise<void> => {
      if (this.decide(job, session, { action: 's3:PutObject', resource: `arn:aws:s3:::${bucket}/${key}` }) !== 'allow') {
        throw new JobFailure('AccessDenied', 'Writing the completion report is forbidden: AccessDenied');
      }
      try {
        await s3.putObject!(bucket, key, body, contentType, `AWS:${assumedRoleArn(session)}`);
      } catch (error) {
        if (error instanceof AwsError) throw new JobFailure(error.code, `Writing the completion report failed: ${error.code}: ${error.message}`);
        throw error;
      }
    };
    const statuses = job.report.ReportScope === 'FailedTasksOnly' ? (['failed'] as const) : (['succeeded', 'failed'] as const);
    for (const status of statuses) {
      let afterSeq = -1;
      for (let part = 0; ; part++) {
        const tasks = this.store.finishedTasks(job.jobId, status, afterSeq, RUNNER_LIMITS.reportRowsPerFile);
        if (tasks.length === 0) break;
        afterSeq = tasks[tasks.length - 1]!.seq;
        const body = Buffer.from(
          tasks
            .map((task) =>
              reportLine({
                bucket: task.bucket,
                key: task.key,
                ...(task.versionId !== undefined ? { versionId: task.versionId } : {}),
                taskStatus: status,
                httpStatusCode: task.httpStatusCode ?? 200,
                errorCode: task.errorCode ?? '',
                resultMessage: task.resultMessage ?? '',
              }),
            )
            .map((line) => `${line}\n`)
            .join(''),
        );
        const key = `${base}/results/${createHash('sha1').update(`${job.jobId}/${status}/${part}`).digest('hex')}.csv`;
        await put(key, body, 'text/csv');
        files.push({ TaskExecutionStatus: status, Bucket: bucket, MD5Checksum: createHash('md5').update(body).digest('hex'), Key: key });
        if (tasks.length < RUNNER_LIMITS.reportRowsPerFile) break;
      }
    }
    await put(`${base}/manifest.json`, Buffer.from(reportManifest(files, new Date())), 'application/json');
  }

  /** Ends a job Failed, with the reason (an unexpected error is logged and reported as InternalError). */
  private fail(jobId: string, from: StoredJob['status'][], error: unknown): void {
    const failure =
      error instanceof JobFailure
        ? { FailureCode: error.failureCode, FailureReason: error.failureReason }
        : { FailureCode: 'InternalError', FailureReason: 'We encountered an internal error. Please try again.' };
    if (!(error instanceof JobFailure)) this.options.log(`s3control: job ${jobId}: ${(error as Error).stack ?? String(error)}`);
    const job = this.store.job(jobId);
    this.store.transition(jobId, from, { status: 'Failed', failureReasons: [...(job?.failureReasons ?? []), failure] });
    this.options.log(`s3control: job ${jobId} Failed: ${failure.FailureCode}: ${failure.FailureReason}`);
  }

  // ---------------------------------------------------------------- helpers

  /** The job acts as a session of its role, named after the job. */
  private roleSession(job: StoredJob): RoleSession {
    return { accountId: job.accountId, roleArn: job.roleArn, roleName: roleNameOf(job.roleArn), roleId: undefined, sessionName: `s3-batch-operations-${job.jobId}` };
  }

  private decide(job: StoredJob, session: RoleSession, permission: Permission): Decision {
    return this.options.decide(session, permission, job.region);
  }

  /** The job's FunctionArn in full (it may name the function alone, or leave out region and account). */
  private functionArn(job: StoredJob): string {
    const given = job.operation.functionArn;
    if (given.startsWith('arn:')) return given;
    const name = given.replace(/^.*function:/, '');
    return `arn:aws:lambda:${job.region}:${job.accountId}:function:${name}`;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

/** The LambdaInvoke event for one task, in the job's schema (2.0 names the bucket, 1.0 gives its ARN). */
export function taskPayload(job: StoredJob, task: StoredTask, taskId: string): unknown {
  const invocationId = randomBytes(24).toString('base64');
  if (job.operation.invocationSchemaVersion === '2.0') {
    return {
      invocationSchemaVersion: '2.0',
      invocationId,
      job: { id: job.jobId, userArguments: job.operation.userArguments ?? {} },
      tasks: [{ taskId, s3Key: task.key, s3VersionId: task.versionId ?? null, s3BucketName: task.bucket }],
    };
  }
  return {
    invocationSchemaVersion: '1.0',
    invocationId,
    job: { id: job.jobId },
    tasks: [{ taskId, s3Key: task.key, s3VersionId: task.versionId ?? null, s3BucketArn: `arn:aws:s3:::${task.bucket}` }],
  };
}

/**
 * The function's answer for one task: its `results` entry for the task id, or `treatMissingKeysAs` (by default
 * PermanentFailure) when the answer leaves the task out or is not the result shape at all.
 */
export function taskResult(payload: string, taskId: string): { resultCode: 'Succeeded' | 'TemporaryFailure' | 'PermanentFailure'; resultString: string } {
  const codes = ['Succeeded', 'TemporaryFailure', 'PermanentFailure'] as const;
  type Code = (typeof codes)[number];
  const isCode = (value: unknown): value is Code => typeof value === 'string' && (codes as readonly string[]).includes(value);
  let answer: { treatMissingKeysAs?: unknown; results?: unknown } | undefined;
  try {
    answer = JSON.parse(payload) as typeof answer;
  } catch {
    answer = undefined;
  }
  const missing: Code = isCode(answer?.treatMissingKeysAs) ? answer.treatMissingKeysAs : 'PermanentFailure';
  const results = Array.isArray(answer?.results) ? (answer.results as { taskId?: unknown; resultCode?: unknown; resultString?: unknown }[]) : [];
  const result = results.find((entry) => entry?.taskId === taskId);
  if (!result) return { resultCode: missing, resultString: `The function's response has no result for this task: ${payload.slice(0, 512)}` };
  if (!isCode(result.resultCode)) return { resultCode: 'PermanentFailure', resultString: `The function answered an unknown resultCode: ${String(result.resultCode).slice(0, 64)}` };
  return { resultCode: result.resultCode, resultString: typeof result.resultString === 'string' ? result.resultString : '' };
}
