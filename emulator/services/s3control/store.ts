// S3 Control's state and rules for S3 Batch Operations jobs: CreateJob's validation (AWS's member constraints),
// idempotency by ClientRequestToken, the job lifecycle and which status changes UpdateJobStatus allows, and the
// durable record of every task and its result, in SQLite, so a job survives a restart of the cloud. No HTTP (the
// router parses and writes the wire form) and no execution (runner.ts reads the manifest and invokes the function).
import { createHash, randomUUID } from 'node:crypto';
import type {
  CreateJobRequest,
  JobDescriptor,
  JobFailure,
  JobListDescriptor,
  JobProgressSummary,
  JobReport,
  S3Tag,
} from '@aws-sdk/client-s3-control';
import { migrate, statementCache, type Db } from '../../state/database.js';
import { NotImplemented } from '../../core/errors.js';
import { AccessDenied, IdempotencyException, InvalidNextTokenException, InvalidRequest, JobStatusException, NoSuchJobException } from './errors.js';
import { CSV_MANIFEST_FORMAT, MANIFEST_FIELDS, MANIFEST_FORMATS, REPORT_FORMAT, type ManifestEntry, type ManifestField } from './manifest.js';

/** Every status a job can have (the API's JobStatus enum). */
export const JOB_STATUSES = ['Active', 'Cancelled', 'Cancelling', 'Complete', 'Completing', 'Failed', 'Failing', 'New', 'Paused', 'Pausing', 'Preparing', 'Ready', 'Suspended'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A job in one of these has ended: nothing runs and no status change is accepted. */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['Complete', 'Failed', 'Cancelled']);
/** Cancelling from these ends the job at once; an Active job first lets its running tasks finish (Cancelling). */
const CANCELLABLE_AT_ONCE: ReadonlySet<JobStatus> = new Set(['New', 'Preparing', 'Ready', 'Suspended', 'Paused']);

/** The operations CreateJob names; the local cloud runs LambdaInvoke and answers NotImplemented for the others. */
const JOB_OPERATIONS = [
  'LambdaInvoke',
  'S3PutObjectCopy',
  'S3PutObjectAcl',
  'S3PutObjectTagging',
  'S3DeleteObjectTagging',
  'S3InitiateRestoreObject',
  'S3PutObjectLegalHold',
  'S3PutObjectRetention',
  'S3ReplicateObject',
  'S3ComputeObjectChecksum',
  'S3UpdateObjectEncryption',
] as const;

/** AWS's member constraints (S3 Control API reference), checked in CreateJob and the update operations. */
export const JOB_LIMITS = {
  maxPriority: 2_147_483_647,
  clientRequestToken: { min: 1, max: 64 },
  description: { min: 1, max: 256 },
  roleArn: { min: 1, max: 2048 },
  functionArn: { min: 1, max: 1024 },
  invocationSchemaVersion: { min: 1, max: 64 },
  userArguments: { maxEntries: 10, keyMax: 64, valueMax: 1024 },
  manifestObjectArn: { min: 1, max: 2000 },
  manifestETag: { min: 1, max: 1024 },
  reportBucket: { min: 1, max: 128 },
  reportPrefix: { min: 1, max: 512 },
  statusUpdateReason: { min: 1, max: 256 },
  maxTags: 50,
  tagKey: { min: 1, max: 1024 },
  tagValue: { max: 1024 },
  listMaxResults: 1000,
} as const;

/** LambdaInvokeOperation.FunctionArn's pattern in the API reference. */
const FUNCTION_ARN = /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;
const ROLE_ARN = /^arn:[^:]+:iam::\d{12}:role\/.+$/;
const S3_ARN = /^arn:[^:]+:s3:.*$/;
/** JobId's constraints in the API reference: 5 to 36 characters of `[a-zA-Z0-9\-\_]`. */
const JOB_ID = /^[a-zA-Z0-9_-]{5,36}$/;

/** A job as stored: what CreateJob was given, normalised, and what has happened to it since. */
export interface StoredJob {
  jobId: string;
  accountId: string;
  region: string;
  status: JobStatus;
  priority: number;
  description?: string;
  roleArn: string;
  confirmationRequired: boolean;
  operation: { functionArn: string; invocationSchemaVersion: string; userArguments?: Record<string, string> };
  manifest: { format: string; fields: ManifestField[]; objectArn: string; objectVersionId?: string; etag: string };
  report: JobReport;
  tags: S3Tag[];
  clientRequestToken: string;
  /** Digest of the request, so a repeated token is told apart from a reused one. */
  requestDigest: string;
  creationTime: number;
  terminationDate?: number;
  suspendedDate?: number;
  suspendedCause?: string;
  statusUpdateReason?: string;
  failureReasons: JobFailure[];
  /** Milliseconds spent Active before the current stretch; `activeSince` marks the current one. */
  activeMs: number;
  activeSince?: number;
}

/** One task: a manifest entry and, once run, its result. */
export interface StoredTask {
  seq: number;
  bucket: string;
  key: string;
  versionId?: string;
  status: 'pending' | 'succeeded' | 'failed';
  httpStatusCode?: number;
  errorCode?: string;
  resultMessage?: string;
}

/** What a finished task records. */
export interface TaskOutcome {
  status: 'succeeded' | 'failed';
  httpStatusCode: number;
  errorCode: string;
  resultMessage: string;
}

interface JobRow {
  job_id: string;
  status: string;
  priority: number;
  creation_time: number;
  document: string;
  total_tasks: number | null;
  succeeded: number;
  failed: number;
}

interface TaskRow {
  seq: number;
  bucket: string;
  key: string;
  version_id: string | null;
  status: string;
  http_status: number | null;
  error_code: string | null;
  result_message: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS s3control_jobs (
  job_id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  client_request_token TEXT NOT NULL,
  status TEXT NOT NULL,
  priority INTEGER NOT NULL,
  creation_time INTEGER NOT NULL,
  document TEXT NOT NULL,
  total_tasks INTEGER,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS s3control_jobs_token ON s3control_jobs (account_id, client_request_token);
CREATE INDEX IF NOT EXISTS s3control_jobs_listing ON s3control_jobs (account_id, creation_time, job_id);
CREATE TABLE IF NOT EXISTS s3control_tasks (
  job_id TEXT NOT NULL REFERENCES s3control_jobs (job_id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  version_id TEXT,
  status TEXT NOT NULL,
  http_status INTEGER,
  error_code TEXT,
  result_message TEXT,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS s3control_tasks_status ON s3control_tasks (job_id, status, seq);
`;

export class S3ControlStore {
  private readonly db: Db;
  private readonly sql: (text: string) => import('better-sqlite3').Statement;
  /** Called after anything that may give the runner work (a new job, a status change). */
  onChange: () => void = () => undefined;

  /**
   * @param db - the cloud's database (the jobs and tasks tables are S3 Control's own)
   * @param options - the account this cloud answers for
   */
  constructor(
    db: Db,
    private readonly options: { accountId: string },
  ) {
    this.db = db;
    migrate(this.db, SCHEMA);
    this.sql = statementCache(this.db);
  }

  /** `arn:aws:s3:<region>:<account>:job/<id>`. */
  jobArn(job: Pick<StoredJob, 'jobId' | 'accountId' | 'region'>): string {
    return `arn:aws:s3:${job.region}:${job.accountId}:job/${job.jobId}`;
  }

  /** The account in x-amz-account-id must be this cloud's: S3 Control answers AccessDenied for any other. */
  assertAccount(accountId: string | undefined): string {
    if (accountId === undefined || accountId === '') throw new InvalidRequest('Missing required header for this request: x-amz-account-id');
    if (accountId !== this.options.accountId) throw AccessDenied.otherAccount();
    return accountId;
  }

  // ---------------------------------------------------------------- operations

  /**
   * CreateJob. A token already used for the same request gives back the same job (created false).
   * @throws InvalidRequest for a member AWS's constraints refuse, NotImplemented for an operation or manifest
   *   format the local cloud does not run, IdempotencyException for a token reused with another request
   */
  createJob(request: CreateJobRequest, region: string): { jobId: string; created: boolean } {
    const accountId = this.assertAccount(request.AccountId);
    const job = this.validateCreateJob(request, accountId, region);
    const existing = this.sql('SELECT document FROM s3control_jobs WHERE account_id = ? AND client_request_token = ?').get(accountId, job.clientRequestToken) as
      | { document: string }
      | undefined;
    if (existing) {
      const previous = JSON.parse(existing.document) as StoredJob;
      if (previous.requestDigest !== job.requestDigest) throw IdempotencyException.tokenReused();
      return { jobId: previous.jobId, created: false };
    }
    this.sql(
      'INSERT INTO s3control_jobs (job_id, account_id, client_request_token, status, priority, creation_time, document) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(job.jobId, accountId, job.clientRequestToken, job.status, job.priority, job.creationTime, JSON.stringify(job));
    this.onChange();
    return { jobId: job.jobId, created: true };
  }

  /** @throws NoSuchJobException */
  describeJob(accountId: string | undefined, jobId: string): JobDescriptor {
    const row = this.requireRow(this.assertAccount(accountId), jobId);
    const job = toJob(row);
    return {
      JobId: job.jobId,
      ConfirmationRequired: job.confirmationRequired,
      ...(job.description !== undefined ? { Description: job.description } : {}),
      JobArn: this.jobArn(job),
      Status: job.status,
      Manifest: {
        Spec: { Format: job.manifest.format as 'S3BatchOperations_CSV_20180820', Fields: job.manifest.fields },
        Location: { ObjectArn: job.manifest.objectArn, ETag: job.manifest.etag, ...(job.manifest.objectVersionId !== undefined ? { ObjectVersionId: job.manifest.objectVersionId } : {}) },
      },
      Operation: {
        LambdaInvoke: {
          FunctionArn: job.operation.functionArn,
          InvocationSchemaVersion: job.operation.invocationSchemaVersion,
          ...(job.operation.userArguments ? { UserArguments: job.operation.userArguments } : {}),
        },
      },
      Priority: job.priority,
      ProgressSummary: progressOf(row, job),
      ...(job.statusUpdateReason !== undefined ? { StatusUpdateReason: job.statusUpdateReason } : {}),
      FailureReasons: job.failureReasons,
      Report: job.report,
      CreationTime: new Date(job.creationTime),
      ...(job.terminationDate !== undefined ? { TerminationDate: new Date(job.terminationDate) } : {}),
      RoleArn: job.roleArn,
      ...(job.suspendedDate !== undefined ? { SuspendedDate: new Date(job.suspendedDate) } : {}),
      ...(job.suspendedCause !== undefined ? { SuspendedCause: job.suspendedCause } : {}),
    };
  }

  /**
   * ListJobs: newest first, filtered by status, paged by an opaque token.
   * @throws InvalidRequest for MaxResults out of range or an unknown status; InvalidNextTokenException for a
   *   token this cloud did not issue
   */
  listJobs(accountId: string | undefined, options: { statuses: string[]; maxResults?: number; nextToken?: string }): { jobs: JobListDescriptor[]; nextToken?: string } {
    const account = this.assertAccount(accountId);
    for (const status of options.statuses) {
      if (!(JOB_STATUSES as readonly string[]).includes(status)) throw new InvalidRequest(`Invalid job status: ${status}`);
    }
    const maxResults = options.maxResults ?? JOB_LIMITS.listMaxResults;
    if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > JOB_LIMITS.listMaxResults) {
      throw new InvalidRequest(`MaxResults must be between 0 and ${JOB_LIMITS.listMaxResults}`);
    }
    const after = options.nextToken !== undefined ? decodeListToken(options.nextToken) : undefined;
    const filter = options.statuses.length > 0 ? `AND status IN (${options.statuses.map(() => '?').join(', ')})` : '';
    const position = after ? 'AND (creation_time < ? OR (creation_time = ? AND job_id < ?))' : '';
    const rows = this.db
      .prepare(`SELECT * FROM s3control_jobs WHERE account_id = ? ${filter} ${position} ORDER BY creation_time DESC, job_id DESC LIMIT ?`)
      .all(account, ...options.statuses, ...(after ? [after.creationTime, after.creationTime, after.jobId] : []), maxResults + 1) as JobRow[];
    const page = rows.slice(0, maxResults);
    const jobs = page.map((row): JobListDescriptor => {
      const job = toJob(row);
      return {
        JobId: job.jobId,
        ...(job.description !== undefined ? { Description: job.description } : {}),
        Operation: 'LambdaInvoke',
        Priority: job.priority,
        Status: job.status,
        CreationTime: new Date(job.creationTime),
        ...(job.terminationDate !== undefined ? { TerminationDate: new Date(job.terminationDate) } : {}),
        ProgressSummary: progressOf(row, job),
      };
    });
    const last = page[page.length - 1];
    return { jobs, ...(rows.length > maxResults && last ? { nextToken: encodeListToken(last.creation_time, last.job_id) } : {}) };
  }

  /**
   * UpdateJobStatus: `Ready` confirms a Suspended job; `Cancelled` cancels any job that has not ended (an Active
   * one goes through Cancelling while its running tasks finish).
   * @throws NoSuchJobException, JobStatusException, InvalidRequest
   */
  updateJobStatus(accountId: string | undefined, jobId: string, requested: string | undefined, reason: string | undefined): { jobId: string; status: JobStatus; reason?: string } {
    const account = this.assertAccount(accountId);
    if (requested !== 'Ready' && requested !== 'Cancelled') {
      throw new InvalidRequest(`RequestedJobStatus must be Ready or Cancelled, not ${requested === undefined ? 'missing' : JSON.stringify(requested)}`);
    }
    checkLength('StatusUpdateReason', reason, JOB_LIMITS.statusUpdateReason);
    const updated = this.db.transaction(() => {
      const job = toJob(this.requireRow(account, jobId));
      let next: JobStatus;
      if (requested === 'Ready') {
        if (job.status !== 'Suspended') throw JobStatusException.transition(job.status, 'Ready');
        next = 'Ready';
      } else if (job.status === 'Active') {
        next = 'Cancelling';
      } else if (CANCELLABLE_AT_ONCE.has(job.status)) {
        next = 'Cancelled';
      } else {
        throw JobStatusException.transition(job.status, 'Cancelled');
      }
      const changes: Partial<StoredJob> = { status: next, ...(reason !== undefined ? { statusUpdateReason: reason } : {}) };
      if (next === 'Cancelled') changes.terminationDate = Date.now();
      this.writeJob({ ...job, ...changes });
      return next;
    })();
    this.onChange();
    return { jobId, status: updated, ...(reason !== undefined ? { reason } : {}) };
  }

  /** UpdateJobPriority. @throws NoSuchJobException, InvalidRequest */
  updateJobPriority(accountId: string | undefined, jobId: string, priority: number | undefined): { jobId: string; priority: number } {
    const account = this.assertAccount(accountId);
    checkPriority(priority);
    this.db.transaction(() => {
      const job = toJob(this.requireRow(account, jobId));
      this.writeJob({ ...job, priority: priority! });
    })();
    this.onChange();
    return { jobId, priority: priority! };
  }

  // ---------------------------------------------------------------- for the runner

  /** Jobs in any of these statuses, oldest first (the runner resumes and schedules from this). */
  jobsIn(statuses: readonly JobStatus[]): StoredJob[] {
    const rows = this.db
      .prepare(`SELECT * FROM s3control_jobs WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY creation_time, job_id`)
      .all(...statuses) as JobRow[];
    return rows.map(toJob);
  }

  /** The Ready job to run next: highest priority, then oldest. */
  nextReadyJob(): StoredJob | undefined {
    const row = this.sql("SELECT * FROM s3control_jobs WHERE status = 'Ready' ORDER BY priority DESC, creation_time, job_id LIMIT 1").get() as JobRow | undefined;
    return row ? toJob(row) : undefined;
  }

  job(jobId: string): StoredJob | undefined {
    const row = this.sql('SELECT * FROM s3control_jobs WHERE job_id = ?').get(jobId) as JobRow | undefined;
    return row ? toJob(row) : undefined;
  }

  /**
   * Moves a job on, unless it was cancelled meanwhile (a cancelled or cancelling job keeps that status, whatever the
   * runner was about to write). Returns the job as stored afterwards.
   */
  transition(jobId: string, from: readonly JobStatus[], changes: Partial<StoredJob>): StoredJob | undefined {
    return this.db.transaction(() => {
      const current = this.job(jobId);
      if (!current || !from.includes(current.status)) return current;
      const next = { ...current, ...changes };
      if (changes.status !== undefined && changes.status !== current.status) {
        if (changes.status === 'Active') next.activeSince = Date.now();
        if (current.status === 'Active' && current.activeSince !== undefined) {
          next.activeMs = current.activeMs + (Date.now() - current.activeSince);
          delete next.activeSince;
        }
        if (TERMINAL_STATUSES.has(changes.status)) next.terminationDate ??= Date.now();
      }
      this.writeJob(next);
      return next;
    })();
  }

  /** Replaces a job's tasks with the manifest's entries (Preparing, perhaps again after a restart); returns how many. */
  replaceTasks(jobId: string, entries: Iterable<ManifestEntry>, batchSize = 5000): number {
    this.sql('DELETE FROM s3control_tasks WHERE job_id = ?').run(jobId);
    const insert = this.sql("INSERT INTO s3control_tasks (job_id, seq, bucket, key, version_id, status) VALUES (?, ?, ?, ?, ?, 'pending')");
    let seq = 0;
    let batch: ManifestEntry[] = [];
    const flush = this.db.transaction((items: ManifestEntry[], first: number) => {
      items.forEach((entry, index) => insert.run(jobId, first + index, entry.bucket, entry.key, entry.versionId ?? null));
    });
    for (const entry of entries) {
      batch.push(entry);
      if (batch.length >= batchSize) {
        flush(batch, seq);
        seq += batch.length;
        batch = [];
      }
    }
    flush(batch, seq);
    seq += batch.length;
    this.sql('UPDATE s3control_jobs SET total_tasks = ?, succeeded = 0, failed = 0 WHERE job_id = ?').run(seq, jobId);
    return seq;
  }

  /** Up to `limit` pending tasks after `afterSeq`, in manifest order. */
  pendingTasks(jobId: string, afterSeq: number, limit: number): StoredTask[] {
    return (this.sql("SELECT * FROM s3control_tasks WHERE job_id = ? AND status = 'pending' AND seq > ? ORDER BY seq LIMIT ?").all(jobId, afterSeq, limit) as TaskRow[]).map(toTask);
  }

  /** Records a task's result and counts it, in one transaction (a restart never counts a task twice). */
  completeTask(jobId: string, seq: number, outcome: TaskOutcome): void {
    this.db.transaction(() => {
      const changed = this.sql("UPDATE s3control_tasks SET status = ?, http_status = ?, error_code = ?, result_message = ? WHERE job_id = ? AND seq = ? AND status = 'pending'").run(
        outcome.status,
        outcome.httpStatusCode,
        outcome.errorCode,
        outcome.resultMessage,
        jobId,
        seq,
      ).changes;
      if (changed === 0) return;
      const column = outcome.status === 'succeeded' ? 'succeeded' : 'failed';
      this.sql(`UPDATE s3control_jobs SET ${column} = ${column} + 1 WHERE job_id = ?`).run(jobId);
    })();
  }

  /** Finished tasks of one outcome after `afterSeq`, in manifest order (the report is written page by page). */
  finishedTasks(jobId: string, status: 'succeeded' | 'failed', afterSeq: number, limit: number): StoredTask[] {
    return (this.sql('SELECT * FROM s3control_tasks WHERE job_id = ? AND status = ? AND seq > ? ORDER BY seq LIMIT ?').all(jobId, status, afterSeq, limit) as TaskRow[]).map(toTask);
  }

  /** Succeeded and failed counts so far. */
  counts(jobId: string): { total: number | undefined; succeeded: number; failed: number } {
    const row = this.sql('SELECT total_tasks, succeeded, failed FROM s3control_jobs WHERE job_id = ?').get(jobId) as Pick<JobRow, 'total_tasks' | 'succeeded' | 'failed'> | undefined;
    return { total: row?.total_tasks ?? undefined, succeeded: row?.succeeded ?? 0, failed: row?.failed ?? 0 };
  }

  // ---------------------------------------------------------------- internals

  private requireRow(accountId: string, jobId: string): JobRow {
    if (!JOB_ID.test(jobId)) throw new InvalidRequest(`Invalid JobId: ${jobId.slice(0, 64)} (5 to 36 letters, digits, - or _)`);
    const row = this.sql('SELECT * FROM s3control_jobs WHERE job_id = ? AND account_id = ?').get(jobId, accountId) as JobRow | undefined;
    if (!row) throw NoSuchJobException.job();
    return row;
  }

  private writeJob(job: StoredJob): void {
    this.sql('UPDATE s3control_jobs SET status = ?, priority = ?, document = ? WHERE job_id = ?').run(job.status, job.priority, JSON.stringify(job), job.jobId);
  }

  /** CreateJob's members against AWS's constraints, in the order the API reference lists them. */
  private validateCreateJob(request: CreateJobRequest, accountId: string, region: string): StoredJob {
    const operationNames = Object.entries(request.Operation ?? {}).filter(([, value]) => value !== undefined).map(([name]) => name);
    if (operationNames.length !== 1) throw new InvalidRequest('Operation must name exactly one operation');
    const operationName = operationNames[0]!;
    if (!(JOB_OPERATIONS as readonly string[]).includes(operationName)) throw new InvalidRequest(`Unknown operation: ${operationName}`);
    if (operationName !== 'LambdaInvoke') throw new NotImplemented(`S3 Batch Operations ${operationName} (only LambdaInvoke runs locally)`);
    const lambda = request.Operation!.LambdaInvoke!;
    const functionArn = required('Operation.LambdaInvoke.FunctionArn', lambda.FunctionArn);
    checkLength('Operation.LambdaInvoke.FunctionArn', functionArn, JOB_LIMITS.functionArn);
    if (!FUNCTION_ARN.test(functionArn)) throw new InvalidRequest(`Invalid FunctionArn: ${functionArn}`);
    const schemaVersion = lambda.InvocationSchemaVersion ?? '1.0';
    checkLength('Operation.LambdaInvoke.InvocationSchemaVersion', schemaVersion, JOB_LIMITS.invocationSchemaVersion);
    if (schemaVersion !== '1.0' && schemaVersion !== '2.0') throw new InvalidRequest(`Invalid InvocationSchemaVersion: ${schemaVersion} (1.0 or 2.0)`);
    const userArguments = lambda.UserArguments;
    if (userArguments !== undefined) {
      if (schemaVersion !== '2.0') throw new InvalidRequest('UserArguments require InvocationSchemaVersion 2.0');
      const entries = Object.entries(userArguments);
      if (entries.length > JOB_LIMITS.userArguments.maxEntries) throw new InvalidRequest(`UserArguments may hold at most ${JOB_LIMITS.userArguments.maxEntries} entries`);
      for (const [key, value] of entries) {
        checkLength('UserArguments key', key, { min: 1, max: JOB_LIMITS.userArguments.keyMax });
        checkLength('UserArguments value', value, { min: 0, max: JOB_LIMITS.userArguments.valueMax });
      }
    }

    const report = request.Report;
    if (report === undefined || report.Enabled === undefined) throw new InvalidRequest('Report.Enabled is required');
    if (report.Enabled) {
      const bucket = required('Report.Bucket', report.Bucket);
      checkLength('Report.Bucket', bucket, JOB_LIMITS.reportBucket);
      if (!S3_ARN.test(bucket) || bucketOfArn(bucket) === undefined) throw new InvalidRequest(`Invalid report bucket ARN: ${bucket}`);
      if (report.Format !== REPORT_FORMAT) throw new InvalidRequest(`Report.Format must be ${REPORT_FORMAT}`);
      if (report.ReportScope !== 'AllTasks' && report.ReportScope !== 'FailedTasksOnly') throw new InvalidRequest('Report.ReportScope must be AllTasks or FailedTasksOnly');
      checkLength('Report.Prefix', report.Prefix, JOB_LIMITS.reportPrefix);
    }

    const clientRequestToken = required('ClientRequestToken', request.ClientRequestToken);
    checkLength('ClientRequestToken', clientRequestToken, JOB_LIMITS.clientRequestToken);

    if (request.ManifestGenerator !== undefined) throw new NotImplemented('S3 Batch Operations ManifestGenerator (give a Manifest)');
    const manifest = request.Manifest;
    if (manifest === undefined) throw new InvalidRequest('Manifest is required');
    const format = required('Manifest.Spec.Format', manifest.Spec?.Format);
    if (!(MANIFEST_FORMATS as readonly string[]).includes(format)) throw new InvalidRequest(`Invalid manifest format: ${format}`);
    if (format !== CSV_MANIFEST_FORMAT) throw new NotImplemented(`S3 Batch Operations manifests in ${format} (use ${CSV_MANIFEST_FORMAT})`);
    const fields = (manifest.Spec?.Fields ?? []) as string[];
    for (const field of fields) if (!(MANIFEST_FIELDS as readonly string[]).includes(field)) throw new InvalidRequest(`Invalid manifest field: ${field}`);
    for (const needed of ['Bucket', 'Key']) {
      if (fields.filter((field) => field === needed).length !== 1) throw new InvalidRequest(`Manifest.Spec.Fields must name ${needed} exactly once for ${CSV_MANIFEST_FORMAT}`);
    }
    if (fields.filter((field) => field === 'VersionId').length > 1) throw new InvalidRequest('Manifest.Spec.Fields names VersionId more than once');
    const objectArn = required('Manifest.Location.ObjectArn', manifest.Location?.ObjectArn);
    checkLength('Manifest.Location.ObjectArn', objectArn, JOB_LIMITS.manifestObjectArn);
    if (!S3_ARN.test(objectArn) || objectOfArn(objectArn) === undefined) throw new InvalidRequest(`Invalid manifest object ARN: ${objectArn}`);
    const etag = required('Manifest.Location.ETag', manifest.Location?.ETag);
    checkLength('Manifest.Location.ETag', etag, JOB_LIMITS.manifestETag);

    checkLength('Description', request.Description, JOB_LIMITS.description);
    checkPriority(request.Priority);
    const roleArn = required('RoleArn', request.RoleArn);
    checkLength('RoleArn', roleArn, JOB_LIMITS.roleArn);
    if (!ROLE_ARN.test(roleArn)) throw new InvalidRequest(`Invalid RoleArn: ${roleArn}`);
    const tags = request.Tags ?? [];
    if (tags.length > JOB_LIMITS.maxTags) throw new InvalidRequest(`A job may have at most ${JOB_LIMITS.maxTags} tags`);
    for (const tag of tags) {
      checkLength('Tag key', required('Tags.Key', tag.Key), JOB_LIMITS.tagKey);
      checkLength('Tag value', required('Tags.Value', tag.Value), { min: 0, max: JOB_LIMITS.tagValue.max });
    }

    const normalised = {
      operation: { functionArn, invocationSchemaVersion: schemaVersion, ...(userArguments ? { userArguments: { ...userArguments } } : {}) },
      manifest: { format, fields: fields as ManifestField[], objectArn, ...(manifest.Location?.ObjectVersionId !== undefined ? { objectVersionId: manifest.Location.ObjectVersionId } : {}), etag },
      report: { ...report },
      priority: request.Priority!,
      roleArn,
      description: request.Description,
      // AWS treats a CreateJob without ConfirmationRequired as needing confirmation (the SDKs that drop a false
      // saw their jobs Suspended); so do we.
      confirmationRequired: request.ConfirmationRequired ?? true,
      tags,
    };
    return {
      jobId: randomUUID(),
      accountId,
      region,
      status: 'New',
      ...normalised,
      clientRequestToken,
      requestDigest: createHash('sha256').update(JSON.stringify(normalised)).digest('hex'),
      creationTime: Date.now(),
      failureReasons: [],
      activeMs: 0,
    };
  }
}

/** `arn:aws:s3:::bucket` to `bucket`. */
export function bucketOfArn(arn: string): string | undefined {
  return /^arn:[^:]+:s3:::([^/]+)$/.exec(arn)?.[1];
}

/** `arn:aws:s3:::bucket/key` to its bucket and key. */
export function objectOfArn(arn: string): { bucket: string; key: string } | undefined {
  const match = /^arn:[^:]+:s3:::([^/]+)\/(.+)$/.exec(arn);
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}

function toJob(row: JobRow): StoredJob {
  return JSON.parse(row.document) as StoredJob;
}

function toTask(row: TaskRow): StoredTask {
  return {
    seq: row.seq,
    bucket: row.bucket,
    key: row.key,
    ...(row.version_id !== null ? { versionId: row.version_id } : {}),
    status: row.status as StoredTask['status'],
    ...(row.http_status !== null ? { httpStatusCode: row.http_status } : {}),
    ...(row.error_code !== null ? { errorCode: row.error_code } : {}),
    ...(row.result_message !== null ? { resultMessage: row.result_message } : {}),
  };
}

function progressOf(row: JobRow, job: StoredJob): JobProgressSummary {
  const activeMs = job.activeMs + (job.activeSince !== undefined ? Date.now() - job.activeSince : 0);
  return {
    ...(row.total_tasks !== null ? { TotalNumberOfTasks: row.total_tasks } : {}),
    NumberOfTasksSucceeded: row.succeeded,
    NumberOfTasksFailed: row.failed,
    Timers: { ElapsedTimeInActiveSeconds: Math.floor(activeMs / 1000) },
  };
}

function required<T>(member: string, value: T | undefined | null): T {
  if (value === undefined || value === null || value === '') throw new InvalidRequest(`${member} is required`);
  return value;
}

function checkLength(member: string, value: string | undefined, limits: { min: number; max: number }): void {
  if (value === undefined) return;
  if (value.length < limits.min || value.length > limits.max) {
    throw new InvalidRequest(`${member} must be ${limits.min} to ${limits.max} characters long`);
  }
}

function checkPriority(priority: number | undefined): void {
  if (priority === undefined) throw new InvalidRequest('Priority is required');
  if (!Number.isInteger(priority) || priority < 0 || priority > JOB_LIMITS.maxPriority) {
    throw new InvalidRequest(`Priority must be a whole number from 0 to ${JOB_LIMITS.maxPriority}`);
  }
}

/** ListJobs' NextToken: the position after the last job returned, opaque to clients. */
function encodeListToken(creationTime: number, jobId: string): string {
  return Buffer.from(JSON.stringify([creationTime, jobId])).toString('base64url');
}

function decodeListToken(token: string): { creationTime: number; jobId: string } {
  try {
    const [creationTime, jobId] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof creationTime === 'number' && typeof jobId === 'string') return { creationTime, jobId };
  } catch {
    /* not ours */
  }
  throw InvalidNextTokenException.token();
}
