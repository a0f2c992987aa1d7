// S3 Batch Operations' LambdaInvoke events (invocation schema 2.0, and 1.0): each task is turned into the S3
// ObjectCreated record the thumbnailer already handles, and each record's outcome into the task result Batch
// Operations reads (Succeeded, TemporaryFailure for what a retry may fix, PermanentFailure). It makes no thumbnail
// itself: it wraps the S3 handler, so a backfilled object gets exactly what an upload gets.

import { ConfigError } from './config.js';
import type { HandlerResult, InvocationContext, S3Event, ThumbnailHandler } from './handler.js';

/** The task result codes Batch Operations accepts. */
export const BATCH_RESULT_CODES = {
  succeeded: 'Succeeded',
  temporaryFailure: 'TemporaryFailure',
  permanentFailure: 'PermanentFailure',
} as const;

export type BatchResultCode = (typeof BATCH_RESULT_CODES)[keyof typeof BATCH_RESULT_CODES];

/** The schema versions this module answers; a task of any other version is a permanent failure. */
export const BATCH_SCHEMA_VERSIONS = ['1.0', '2.0'] as const;

/** One task: schema 2.0 names the bucket, schema 1.0 gives its ARN. Keys arrive URL-encoded, as in the manifest. */
export interface BatchOperationsTask {
  readonly taskId?: string;
  readonly s3Key?: string;
  readonly s3VersionId?: string | null;
  readonly s3BucketName?: string;
  readonly s3BucketArn?: string;
}

/** @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html */
export interface BatchOperationsEvent {
  readonly invocationSchemaVersion: string;
  readonly invocationId?: string;
  readonly job?: { readonly id?: string; readonly userArguments?: Readonly<Record<string, string>> };
  readonly tasks: readonly BatchOperationsTask[];
}

export interface BatchTaskResult {
  readonly taskId: string;
  readonly resultCode: BatchResultCode;
  readonly resultString: string;
}

/** What the function answers; Batch Operations writes each `resultString` into the completion report. */
export interface BatchOperationsResult {
  readonly invocationSchemaVersion: string;
  /** How Batch Operations should count a task this answer does not mention. */
  readonly treatMissingKeysAs: BatchResultCode;
  readonly invocationId: string | undefined;
  readonly results: readonly BatchTaskResult[];
}

/** The entry point once wrapped: an S3 notification or a Batch Operations event, each answered in its own shape. */
export type ThumbnailerEntryPoint = (
  event: S3Event | BatchOperationsEvent,
  context?: InvocationContext,
) => Promise<HandlerResult | BatchOperationsResult>;

/** Batch Operations keeps a result string to 1,024 characters; longer ones are cut here, visibly. */
const MAX_RESULT_STRING = 1024;

/**
 * True for a Batch Operations event: it carries `invocationSchemaVersion` (an S3 notification never does).
 *
 * @param event - Whatever the function was invoked with.
 */
export function isBatchOperationsEvent(event: unknown): event is BatchOperationsEvent {
  return typeof event === 'object' && event !== null && typeof (event as { invocationSchemaVersion?: unknown }).invocationSchemaVersion === 'string';
}

/**
 * Wraps the S3 handler so the same function also answers S3 Batch Operations.
 *
 * @param s3Handler - The thumbnailer's S3 event handler.
 * @returns An entry point that passes S3 events through unchanged and answers Batch Operations events task by task.
 */
export function withBatchOperations(s3Handler: ThumbnailHandler): ThumbnailerEntryPoint {
  return (event, context) => (isBatchOperationsEvent(event) ? handleBatchOperationsEvent(event, s3Handler, context) : s3Handler(event as S3Event, context));
}

/**
 * Answers one Batch Operations invocation: each task runs through the S3 handler as a one-record event, in turn.
 *
 * @throws TypeError when `tasks` is not a list (nothing can be answered per task), and the handler's ConfigError
 *   (a misconfigured function fails every invocation loudly, as it does for S3 events).
 */
export async function handleBatchOperationsEvent(event: BatchOperationsEvent, s3Handler: ThumbnailHandler, context?: InvocationContext): Promise<BatchOperationsResult> {
  if (!Array.isArray(event.tasks)) throw new TypeError('S3 Batch Operations event has no tasks list');
  const results: BatchTaskResult[] = [];
  for (const task of event.tasks) results.push(await runTask(event.invocationSchemaVersion, task, s3Handler, context));
  return {
    invocationSchemaVersion: event.invocationSchemaVersion,
    treatMissingKeysAs: BATCH_RESULT_CODES.permanentFailure,
    invocationId: event.invocationId,
    results,
  };
}

async function runTask(version: string, task: BatchOperationsTask, s3Handler: ThumbnailHandler, context: InvocationContext | undefined): Promise<BatchTaskResult> {
  const taskId = typeof task?.taskId === 'string' ? task.taskId : '';
  const answer = (resultCode: BatchResultCode, resultString: string): BatchTaskResult => ({ taskId, resultCode, resultString: clip(resultString) });
  if (!(BATCH_SCHEMA_VERSIONS as readonly string[]).includes(version)) {
    return answer(BATCH_RESULT_CODES.permanentFailure, `unsupported invocationSchemaVersion "${version}" (this function reads ${BATCH_SCHEMA_VERSIONS.join(' and ')})`);
  }
  const bucket = version === '1.0' ? bucketOfArn(task?.s3BucketArn) : task?.s3BucketName;
  if (typeof bucket !== 'string' || bucket === '' || typeof task?.s3Key !== 'string' || task.s3Key === '') {
    return answer(BATCH_RESULT_CODES.permanentFailure, `task has no ${version === '1.0' ? 's3BucketArn' : 's3BucketName'} or s3Key`);
  }
  let key: string;
  try {
    key = decodeURIComponent(task.s3Key);
  } catch {
    return answer(BATCH_RESULT_CODES.permanentFailure, 'malformed URL encoding in s3Key');
  }

  let outcome: HandlerResult;
  try {
    outcome = await s3Handler({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: encodeS3EventKey(key) } } }] }, context);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // The handler throws only what a retry may fix (throttling, 5xx, a variant that failed transiently).
    return answer(BATCH_RESULT_CODES.temporaryFailure, messageOf(error));
  }
  const record = outcome.results[0];
  if (!record) return answer(BATCH_RESULT_CODES.permanentFailure, 'the thumbnailer returned no result for this task');
  switch (record.status) {
    case 'created':
      return answer(BATCH_RESULT_CODES.succeeded, `created ${record.variants ? record.variants.map((variant) => variant.key).join(', ') : record.thumbnailKey ?? key}`);
    case 'skipped':
      // Nothing to make (no variants configured, the object is gone): done, and no retry would change it.
      return answer(BATCH_RESULT_CODES.succeeded, `skipped: ${record.reason ?? 'nothing to do'}`);
    case 'rejected':
      return answer(BATCH_RESULT_CODES.permanentFailure, `rejected: ${record.reason ?? 'not an image the thumbnailer can read'}`);
  }
}

/** `arn:aws:s3:::bucket` (schema 1.0's s3BucketArn) to `bucket`. */
function bucketOfArn(arn: string | undefined): string | undefined {
  if (typeof arn !== 'string') return undefined;
  const match = /^arn:[^:]+:s3:[^:]*:[^:]*:([^/]+)$/.exec(arn);
  return match?.[1];
}

/** A key as S3 writes it into event notifications (form-style: space as `+`); key.ts decodeEventKey is its inverse. */
function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/gi, '/');
}

function clip(text: string): string {
  return text.length > MAX_RESULT_STRING ? `${text.slice(0, MAX_RESULT_STRING - 1)}…` : text;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
