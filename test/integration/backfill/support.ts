// Shared by the backfill tests: a local cloud with the thumbnailer set up (two variants configured, so keys without
// a size count too), a source bucket filled with small generated JPEGs while its trigger is off (objects that were
// there before the trigger), and the function's own log read back to count its invocations key by key.
import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand, waitUntilFunctionUpdatedV2 } from '@aws-sdk/client-lambda';
import { GetBucketNotificationConfigurationCommand, ListObjectsV2Command, PutBucketNotificationConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { logGroupName } from '../../../cli/core/provision/plan.js';
import { lambdaInternals } from '../../../emulator/services/lambda/index.js';
import { eventually } from '../../helpers/eventually.js';
import { startOperateCloud, type OperateCloud } from '../operate/support.js';

export { eventually };

/** The variants every test cloud's function is given: keys without a size get these two. */
export const VARIANTS = [
  { name: 'small', size: '32x24', fit: 'cover', format: 'same' },
  { name: 'square', size: '24x24', fit: 'cover', format: 'webp' },
] as const;

/** The thumbnail keys a source key should end up with (sized keys: itself; others: the two variants). */
export function thumbnailKeysOf(key: string): string[] {
  if (/-\d+x\d+\.jpg$/.test(key)) return [key];
  const stem = key.replace(/\.jpg$/, '');
  return [`${stem}-32x24.jpg`, `${stem}-24x24.webp`];
}

export async function startBackfillCloud(tag: string): Promise<OperateCloud> {
  const cloud = await startOperateCloud(tag);
  const lambda = cloud.clients.lambda;
  const current = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: cloud.settings.functionName }));
  await lambda.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: cloud.settings.functionName,
      Environment: { Variables: { ...current.Environment?.Variables, THUMBNAIL_VARIANTS: JSON.stringify(VARIANTS) } },
      // Thousands of invocations on a shared two-core machine: tracing would cost time and prove nothing here.
      TracingConfig: { Mode: 'PassThrough' },
    }),
  );
  await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60, minDelay: 0.05, maxDelay: 0.5 }, { FunctionName: cloud.settings.functionName });
  return cloud;
}

/**
 * Puts `keys` into the source bucket with its trigger off, as objects that were there before the trigger was; the
 * trigger is put back afterwards. Bodies are small real JPEGs in a few colours.
 */
export async function seedSourceBucket(cloud: OperateCloud, keys: readonly string[]): Promise<void> {
  const s3 = cloud.clients.s3;
  const bucket = cloud.settings.sourceBucket;
  const saved = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
  await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: {} }));
  const bodies = await Promise.all(
    [0, 1, 2, 3].map((shade) => sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 60 * shade, g: 120, b: 200 - 40 * shade } } }).jpeg().toBuffer()),
  );
  // Straight into the cloud's S3 store: thousands of objects in seconds, which the SDK over HTTP on a shared
  // two-core machine takes half a minute for. The objects are the same either way.
  const store = cloud.test.cloud.context.stores.s3!;
  await inParallel(keys, 8, (key, index) => store.putObject!(bucket, key, bodies[index % bodies.length]!, 'image/jpeg', 'AWS:test'));
  const { LambdaFunctionConfigurations, QueueConfigurations, TopicConfigurations, EventBridgeConfiguration } = saved;
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: { LambdaFunctionConfigurations, QueueConfigurations, TopicConfigurations, EventBridgeConfiguration },
    }),
  );
}

/** Puts placeholder objects (not images) at thumbnail keys, as thumbnails made before; a run that redid them would overwrite them. */
export async function seedThumbnails(cloud: OperateCloud, keys: readonly string[]): Promise<void> {
  const store = cloud.test.cloud.context.stores.s3!;
  await inParallel(keys, 8, (key) => store.putObject!(cloud.settings.thumbnailBucket, key, PLACEHOLDER, 'text/plain', 'AWS:test'));
}

export const PLACEHOLDER = Buffer.from('made before the backfill');

/** Every key in a bucket (paged). */
export async function listKeys(s3: S3Client, bucket: string, prefix?: string): Promise<Set<string>> {
  const keys = new Set<string>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, ...(prefix ? { Prefix: prefix } : {}) }));
    for (const object of page.Contents ?? []) keys.add(object.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Resolves once the function's asynchronous queue is empty and nothing runs. */
export async function functionQueueDrained(cloud: OperateCloud, timeoutMs = 120_000): Promise<void> {
  const worker = lambdaInternals(cloud.test.cloud.context)!.executor.worker;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    worker.whenIdle(),
    new Promise((_resolve, reject) => (timer = setTimeout(() => reject(new Error('the function queue did not drain')), timeoutMs))),
  ]);
  clearTimeout(timer);
}

/** What reading the function's log needs: a cloud in this process, or a `local serve` the test started. */
export interface LogReader {
  clients: { logs: CloudWatchLogsClient };
  settings: { functionName: string };
}

/**
 * How many times the function made thumbnails for each source key, from its own log: the distinct request ids of
 * its "thumbnail created" lines (a key without a size logs one line per variant in one invocation).
 */
export async function invocationsByKey(cloud: LogReader, since = 0): Promise<Map<string, number>> {
  const requests = new Map<string, Set<string>>();
  let nextToken: string | undefined;
  do {
    const page = await cloud.clients.logs.send(
      new FilterLogEventsCommand({ logGroupName: logGroupName(cloud.settings.functionName), filterPattern: '"thumbnail created"', startTime: since, nextToken }),
    );
    for (const event of page.events ?? []) {
      const start = event.message?.indexOf('{') ?? -1;
      if (start < 0) continue;
      const line = JSON.parse(event.message!.slice(start)) as { key?: string; requestId?: string };
      if (!line.key || !line.requestId) continue;
      const ids = requests.get(line.key) ?? new Set<string>();
      ids.add(line.requestId);
      requests.set(line.key, ids);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return new Map([...requests].map(([key, ids]) => [key, ids.size]));
}

async function inParallel<T>(items: readonly T[], width: number, work: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

export type { OperateCloud };
