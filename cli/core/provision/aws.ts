// What the provisioning steps share about talking to AWS: the clients they need, how fast to poll and back
// off (AWS vs a local endpoint), the SDK waiters with their failures turned into clear errors, the bounded
// retries for AWS's eventual-consistency quirks (each one said out loud and recorded), and error tests.
import { waitUntilFunctionActiveV2, waitUntilFunctionUpdatedV2, type LambdaClient } from '@aws-sdk/client-lambda';
import { waitUntilRoleExists, type IAMClient } from '@aws-sdk/client-iam';
import { waitUntilBucketExists, type S3Client } from '@aws-sdk/client-s3';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ExitCode, firstLine, UserError, type Reporter } from '../../output.js';
import { describeError, isError, sleep, withRetry, type RetryEvent } from '../../../shared/retry.js';
import { isAwsEndpoint } from '../clients.js';

/** The clients the core uses (an AwsClients satisfies this). */
export interface ProvisionClients {
  readonly s3: S3Client;
  readonly lambda: LambdaClient;
  readonly iam: IAMClient;
  readonly logs: CloudWatchLogsClient;
}

/** How patient to be: AWS takes seconds to settle; a local endpoint takes milliseconds. */
export interface Pace {
  retryInitialMs: number;
  retryMaxMs: number;
  /** SDK waiter delays, in seconds as the waiters take them. */
  waitMinDelay: number;
  waitMaxDelay: number;
  waitMaxTime: number;
}

export const AWS_PACE: Pace = { retryInitialMs: 1000, retryMaxMs: 10_000, waitMinDelay: 1, waitMaxDelay: 10, waitMaxTime: 300 };
// A local endpoint's functions leave Pending or InProgress about 100 ms after the change (the local cloud's state
// delay), a created one once its package is unpacked too (several hundred ms for the thumbnailer's 20 MB): the
// waiters look every 20 ms at first, at most every 50 ms, so a setup is not kept waiting long past that. A look is
// one GetFunction answered from the local database.
export const LOCAL_PACE: Pace = { retryInitialMs: 200, retryMaxMs: 2000, waitMinDelay: 0.02, waitMaxDelay: 0.05, waitMaxTime: 120 };

/** AWS's own endpoints (none given, or an `*.amazonaws.com` one) get AWS's patience; any other endpoint (the local cloud, LocalStack) the short delays. */
export function paceFor(endpoint: string | undefined): Pace {
  return isAwsEndpoint(endpoint) ? AWS_PACE : LOCAL_PACE;
}

/** A retry the core made, as the result documents list them. */
export interface RetryRecord {
  what: string;
  attempt: number;
  reason: string;
  delayMs: number;
}

/** What every step receives. */
export interface StepContext {
  clients: ProvisionClients;
  reporter: Reporter;
  pace: Pace;
  /** Every retry made so far (appended to). */
  retries: RetryRecord[];
}

// ---- errors ---------------------------------------------------------------------------------------------

export { errorCode, httpStatus, isError } from '../../../shared/retry.js';

/** "The role defined for the function cannot be assumed by Lambda": a new role has not reached Lambda yet. */
export function isRoleNotReady(error: unknown): boolean {
  return isError(error, 'InvalidParameterValueException') && /cannot be assumed|role defined for the function/i.test((error as Error).message ?? '');
}

export function isConflict(error: unknown): boolean {
  return isError(error, 'ResourceConflictException');
}

// ---- retries --------------------------------------------------------------------------------------------

/**
 * withRetry, with each retry said to the person (a warning) and recorded in the result.
 * @param options.warning - the warning's wording when "attempt N failed (...); retrying in ..." does not fit
 */
export function retrying<T>(
  context: StepContext,
  what: string,
  operation: (attempt: number) => Promise<T>,
  options: { retryable(error: unknown): boolean; attempts?: number; between?(): Promise<void>; warning?(event: RetryEvent): string },
): Promise<T> {
  return withRetry(operation, {
    what,
    attempts: options.attempts ?? 8,
    initialDelayMs: context.pace.retryInitialMs,
    maxDelayMs: context.pace.retryMaxMs,
    retryable: options.retryable,
    onRetry(event) {
      context.retries.push({ what: event.what, attempt: event.attempt, reason: event.reason, delayMs: event.delayMs });
      context.reporter.warn(
        options.warning?.(event) ?? `${event.what}: attempt ${event.attempt} failed (${firstLine(event.reason)}); retrying in ${formatDelay(event.delayMs)}`,
      );
    },
    sleep: options.between
      ? async (ms) => {
          await sleep(ms);
          await options.between!();
        }
      : undefined,
  });
}

/**
 * A Lambda call that changes the function. An update already in progress (ResourceConflictException) is
 * waited out with the function-updated waiter and the call retried, a bounded number of times.
 */
export function lambdaChange<T>(context: StepContext, functionName: string, what: string, call: () => Promise<T>): Promise<T> {
  return retrying(context, what, () => call(), {
    retryable: isConflict,
    attempts: 6,
    between: () => waitFunctionUpdated(context, functionName),
  });
}

function formatDelay(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}

// ---- waiters --------------------------------------------------------------------------------------------

function waiterConfig<C>(context: StepContext, client: C) {
  return { client, minDelay: context.pace.waitMinDelay, maxDelay: context.pace.waitMaxDelay, maxWaitTime: context.pace.waitMaxTime };
}

/** Runs an SDK waiter; a timeout becomes exit code 3, a failure state one line naming the resource. */
async function waiting(what: string, wait: () => Promise<unknown>, explain?: () => Promise<string | undefined>): Promise<void> {
  try {
    await wait();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError') throw new UserError(`timed out waiting for ${what}`, ExitCode.timeout);
    const reason = (await explain?.().catch(() => undefined)) ?? failureReason(error);
    throw new UserError(`${what} failed${reason ? `: ${reason}` : ''}`);
  }
}

/** The waiters throw a JSON dump of their last observation; find a human reason in it. */
function failureReason(error: unknown): string | undefined {
  const message = (error as Error).message ?? '';
  try {
    const parsed = JSON.parse(message) as { reason?: { Configuration?: { StateReason?: string; LastUpdateStatusReason?: string }; message?: string } };
    const configuration = parsed.reason?.Configuration;
    return configuration?.LastUpdateStatusReason ?? configuration?.StateReason ?? parsed.reason?.message;
  } catch {
    return describeError(error);
  }
}

export function waitFunctionActive(context: StepContext, functionName: string): Promise<void> {
  return waiting(`function ${functionName} to become active`, () =>
    waitUntilFunctionActiveV2(waiterConfig(context, context.clients.lambda), { FunctionName: functionName }),
  );
}

export function waitFunctionUpdated(context: StepContext, functionName: string): Promise<void> {
  return waiting(`the update of function ${functionName}`, () =>
    waitUntilFunctionUpdatedV2(waiterConfig(context, context.clients.lambda), { FunctionName: functionName }),
  );
}

export function waitBucket(context: StepContext, bucket: string): Promise<void> {
  return waiting(`bucket ${bucket} to exist`, () => waitUntilBucketExists(waiterConfig(context, context.clients.s3), { Bucket: bucket }));
}

export function waitRole(context: StepContext, roleName: string): Promise<void> {
  return waiting(`role ${roleName} to exist`, () => waitUntilRoleExists(waiterConfig(context, context.clients.iam), { RoleName: roleName }));
}
