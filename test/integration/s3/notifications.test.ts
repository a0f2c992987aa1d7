// Bucket notifications through the real AWS SDK v3 S3 client: S3 validates Lambda destinations when the
// configuration is put, returns it in S3's shape, and hands each matching ObjectCreated/ObjectRemoved
// event to Lambda's queue before acknowledging the write. Lambda's side is a small in-process
// implementation of the cross-service interface, so the events S3 produces can be read exactly.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type NotificationConfiguration,
} from '@aws-sdk/client-s3';
import type { LambdaForOthers } from '../../../emulator/core/context.js';
import { expectS3Error, startS3Cloud, type S3TestCloud } from './support.js';
import { scopeAuthorization } from '../../helpers/hostile.js';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:thumbnailer';
const OTHER_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:other';

interface QueuedEvent {
  functionArn: string;
  payload: string;
  source: 's3' | 'invoke';
}

/** Lambda as S3 sees it: admits S3 for the buckets it was told about, and queues what it is given. */
class RecordingLambda implements LambdaForOthers {
  readonly queued: QueuedEvent[] = [];
  readonly allowed = new Set<string>();
  /** Blob digests some function's code uses. */
  readonly codeBlobs = new Set<string>();
  failDelivery = false;

  usesBlob(digest: string): boolean {
    return this.codeBlobs.has(digest);
  }

  allowsS3Invoke(functionArn: string, bucketName: string, bucketOwnerAccount: string): boolean {
    return bucketOwnerAccount === '000000000000' && this.allowed.has(`${functionArn} ${bucketName}`);
  }

  enqueueEvent(functionArn: string, payload: string, source: 's3' | 'invoke'): void {
    if (this.failDelivery) throw new Error('queue unavailable');
    this.queued.push({ functionArn, payload, source });
  }

  /** The single record of each queued S3 event. */
  records(): Record<string, any>[] {
    return this.queued.map((event) => {
      const parsed = JSON.parse(event.payload) as { Records: Record<string, any>[] };
      assert.equal(parsed.Records.length, 1);
      return parsed.Records[0]!;
    });
  }
}

let cloud: S3TestCloud;
let s3: S3Client;
let newBucket: S3TestCloud['newBucket'];
let lambda: RecordingLambda;
let originalLambda: LambdaForOthers | undefined;
const logged: string[] = [];

before(async () => {
  cloud = await startS3Cloud({ log: (line) => logged.push(line) });
  ({ s3, newBucket } = cloud);
  originalLambda = cloud.cloud.context.stores.lambda;
});

beforeEach(() => {
  lambda = new RecordingLambda();
  cloud.cloud.context.stores.lambda = lambda;
});

after(async () => {
  if (cloud) cloud.cloud.context.stores.lambda = originalLambda;
  await cloud?.close();
});

function thumbnailConfiguration(overrides: Partial<NonNullable<NotificationConfiguration['LambdaFunctionConfigurations']>[number]> = {}): NotificationConfiguration {
  return {
    LambdaFunctionConfigurations: [
      {
        Id: 'make-thumbnails',
        LambdaFunctionArn: FUNCTION_ARN,
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'uploads/' }, { Name: 'suffix', Value: '.jpg' }] } },
        ...overrides,
      },
    ],
  };
}

describe('notification configuration', () => {
  it('refuses a Lambda destination that does not admit S3, naming it as AWS does', async () => {
    const bucket = await newBucket('notify-refused');

    const error = await expectS3Error(
      s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: thumbnailConfiguration() })),
      'InvalidArgument',
      400,
    );
    const raw = await fetch(`${cloud.endpoint}/${bucket}?notification`, {
      method: 'PUT',
      headers: { authorization: scopeAuthorization('s3') },
      body: `<NotificationConfiguration><CloudFunctionConfiguration><CloudFunction>${OTHER_ARN}</CloudFunction><Event>s3:ObjectCreated:*</Event></CloudFunctionConfiguration></NotificationConfiguration>`,
    });
    const rawBody = await raw.text();
    const stored = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));

    assert.equal(error.message, 'Unable to validate the following destination configurations');
    assert.equal(raw.status, 400);
    assert.match(rawBody, new RegExp(`<ArgumentName1>${OTHER_ARN}</ArgumentName1><ArgumentValue1>Not authorized to invoke function \\[${OTHER_ARN}\\]</ArgumentValue1>`));
    assert.equal(stored.LambdaFunctionConfigurations, undefined, 'nothing was stored');
  });

  it('skips destination validation when asked with x-amz-skip-destination-validation, as S3 does', async () => {
    const bucket = await newBucket('notify-skip-validation');

    await s3.send(
      new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: thumbnailConfiguration(), SkipDestinationValidation: true }),
    );
    const stored = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));

    assert.equal(stored.LambdaFunctionConfigurations?.length, thumbnailConfiguration().LambdaFunctionConfigurations?.length);
  });

  it('refuses every Lambda destination when the cloud has no Lambda service', async () => {
    const bucket = await newBucket('notify-no-lambda');
    cloud.cloud.context.stores.lambda = undefined;

    await expectS3Error(
      s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: thumbnailConfiguration() })),
      'InvalidArgument',
      400,
    );
  });

  it('stores an accepted configuration and returns it in the same shape, with generated Ids', async () => {
    const bucket = await newBucket('notify-roundtrip');
    lambda.allowed.add(`${FUNCTION_ARN} ${bucket}`);

    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          ...thumbnailConfiguration({ Id: undefined }),
          QueueConfigurations: [{ Id: 'queue', QueueArn: 'arn:aws:sqs:us-east-1:000000000000:q', Events: ['s3:ObjectRemoved:*'] }],
          TopicConfigurations: [{ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Events: ['s3:ObjectRestore:Completed'] }],
        },
      }),
    );
    const stored = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));

    const [config] = stored.LambdaFunctionConfigurations ?? [];
    assert.ok(config?.Id && config.Id.length > 0, 'an Id was generated');
    assert.equal(config?.LambdaFunctionArn, FUNCTION_ARN);
    assert.deepEqual(config?.Events, ['s3:ObjectCreated:*']);
    assert.deepEqual(config?.Filter?.Key?.FilterRules, [
      { Name: 'Prefix', Value: 'uploads/' },
      { Name: 'Suffix', Value: '.jpg' },
    ]);
    assert.deepEqual(stored.QueueConfigurations, [{ Id: 'queue', QueueArn: 'arn:aws:sqs:us-east-1:000000000000:q', Events: ['s3:ObjectRemoved:*'] }]);
    assert.equal(stored.TopicConfigurations?.[0]?.TopicArn, 'arn:aws:sns:us-east-1:000000000000:t');

    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: {} }));
    const cleared = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    assert.equal(cleared.LambdaFunctionConfigurations, undefined);
  });

  it('refuses unsupported events and overlapping configurations', async () => {
    const bucket = await newBucket('notify-invalid');
    lambda.allowed.add(`${FUNCTION_ARN} ${bucket}`);

    await expectS3Error(
      s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: thumbnailConfiguration({ Events: ['s3:ObjectCreated:Everything' as never] }) })),
      'InvalidArgument',
      400,
    );
    await expectS3Error(
      s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          NotificationConfiguration: {
            LambdaFunctionConfigurations: [
              { Id: 'a', LambdaFunctionArn: FUNCTION_ARN, Events: ['s3:ObjectCreated:*'] },
              { Id: 'b', LambdaFunctionArn: FUNCTION_ARN, Events: ['s3:ObjectCreated:Put'] },
            ],
          },
        }),
      ),
      'InvalidArgument',
      400,
    );
  });
});

describe('events', () => {
  async function configuredBucket(label: string, configuration = thumbnailConfiguration()): Promise<string> {
    const bucket = await newBucket(label);
    lambda.allowed.add(`${FUNCTION_ARN} ${bucket}`);
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: configuration }));
    return bucket;
  }

  it('queues an ObjectCreated:Put event shaped exactly as S3 sends it, before acknowledging the upload', async () => {
    const bucket = await configuredBucket('events-put');
    const body = randomBytes(2048);
    const before = Date.now();

    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'uploads/my photo+1.jpg', Body: body }));
    // Asserted straight after the response: the event was queued before it was sent.
    const queued = [...lambda.queued];

    assert.equal(queued.length, 1);
    assert.equal(queued[0]!.functionArn, FUNCTION_ARN);
    assert.equal(queued[0]!.source, 's3');
    const [record] = lambda.records();
    const { eventTime, responseElements, s3: s3Part, userIdentity, ...rest } = record!;
    assert.deepEqual(rest, {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventName: 'ObjectCreated:Put',
      requestParameters: { sourceIPAddress: '127.0.0.1' },
    });
    assert.deepEqual(userIdentity, { principalId: 'AWS:test' });
    assert.match(eventTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Date.parse(eventTime) >= before - 1 && Date.parse(eventTime) <= Date.now());
    assert.equal(responseElements['x-amz-request-id'], put.$metadata.requestId);
    assert.equal(responseElements['x-amz-id-2'], put.$metadata.extendedRequestId);
    const { sequencer, ...object } = s3Part.object;
    assert.deepEqual(
      { ...s3Part, object },
      {
        s3SchemaVersion: '1.0',
        configurationId: 'make-thumbnails',
        bucket: { name: bucket, ownerIdentity: { principalId: s3Part.bucket.ownerIdentity.principalId }, arn: `arn:aws:s3:::${bucket}` },
        object: { key: 'uploads/my+photo%2B1.jpg', size: 2048, eTag: createHash('md5').update(body).digest('hex') },
      },
    );
    assert.match(s3Part.bucket.ownerIdentity.principalId, /^A[0-9A-Z]+$/);
    assert.match(sequencer, /^[0-9A-F]{18}$/);
    assert.deepEqual(Object.keys(record!), ['eventVersion', 'eventSource', 'awsRegion', 'eventTime', 'eventName', 'userIdentity', 'requestParameters', 'responseElements', 's3']);
  });

  it('queues ObjectCreated:Copy and ObjectCreated:CompleteMultipartUpload events', async () => {
    const bucket = await configuredBucket('events-copy');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'source.bin', Body: 'not matched by the filter' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'uploads/a.jpg', Body: 'jpeg bytes' }));

    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'uploads/b.jpg', CopySource: `${bucket}/uploads/a.jpg` }));
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'uploads/c.jpg' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'uploads/c.jpg', UploadId: create.UploadId!, PartNumber: 1, Body: 'one part' }));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'uploads/c.jpg', UploadId: create.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } }),
    );

    const records = lambda.records();
    assert.deepEqual(
      records.map((record) => [record.eventName, record.s3.object.key, record.s3.object.size, record.s3.object.eTag]),
      [
        ['ObjectCreated:Put', 'uploads/a.jpg', 10, createHash('md5').update('jpeg bytes').digest('hex')],
        ['ObjectCreated:Copy', 'uploads/b.jpg', 10, createHash('md5').update('jpeg bytes').digest('hex')],
        ['ObjectCreated:CompleteMultipartUpload', 'uploads/c.jpg', 8, done.ETag!.replace(/"/g, '')],
      ],
    );
    const sequencers = records.map((record) => record.s3.object.sequencer as string);
    assert.deepEqual([...sequencers].sort(), sequencers, 'sequencers grow');
    assert.match(records[2]!.s3.object.eTag, /-1$/);
  });

  it('matches filter rules case-sensitively, as S3 does', async () => {
    const bucket = await configuredBucket('events-case');

    for (const key of ['uploads/upper.JPG', 'Uploads/lower.jpg', 'uploads/yes.jpg', 'other/yes.jpg', 'uploads/sub/dir.jpg']) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    }

    assert.deepEqual(lambda.records().map((record) => record.s3.object.key), ['uploads/yes.jpg', 'uploads/sub/dir.jpg']);
  });

  it('queues only the event types configured', async () => {
    const bucket = await configuredBucket('events-types', {
      LambdaFunctionConfigurations: [{ Id: 'puts', LambdaFunctionArn: FUNCTION_ARN, Events: ['s3:ObjectCreated:Put'] }],
    });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a', Body: 'x' }));

    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'b', CopySource: `${bucket}/a` }));

    assert.deepEqual(lambda.records().map((record) => record.eventName), ['ObjectCreated:Put']);
  });

  it('queues ObjectRemoved:Delete events, without size or ETag', async () => {
    const bucket = await configuredBucket('events-removed', {
      LambdaFunctionConfigurations: [{ Id: 'removals', LambdaFunctionArn: FUNCTION_ARN, Events: ['s3:ObjectRemoved:*'] }],
    });
    for (const key of ['gone 1', 'gone2', 'gone3']) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'gone 1' }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'never-existed' }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'gone2' }, { Key: 'gone3' }] } }));

    const records = lambda.records();
    assert.deepEqual(records.map((record) => [record.eventName, record.s3.object.key]), [
      ['ObjectRemoved:Delete', 'gone+1'],
      ['ObjectRemoved:Delete', 'gone2'],
      ['ObjectRemoved:Delete', 'gone3'],
    ]);
    assert.deepEqual(Object.keys(records[0]!.s3.object), ['key', 'sequencer']);
  });

  it('never fails an upload because delivery failed, and logs it instead', async () => {
    const bucket = await configuredBucket('events-failing');
    lambda.failDelivery = true;
    logged.length = 0;

    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'uploads/still-stored.jpg', Body: 'x' }));

    assert.equal(put.$metadata.httpStatusCode, 200);
    assert.ok(logged.some((line) => line.includes('uploads/still-stored.jpg') && line.includes('queue unavailable')), logged.join('\n'));
  });
});

describe('blobs shared with Lambda', () => {
  it('keeps a blob that function code still uses when its object is deleted', async () => {
    const bucket = await newBucket('shared-blob');
    const zip = randomBytes(4096);
    const digest = createHash('sha256').update(zip).digest('hex');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'code/function.zip', Body: zip }));
    const bytes = await cloud.cloud.context.stores.s3!.getObjectBytes(bucket, 'code/function.zip');
    lambda.codeBlobs.add(digest);

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'code/function.zip' }));

    assert.ok(bytes?.equals(zip), 'Lambda reads the code from S3');
    assert.equal(await cloud.cloud.context.stores.s3!.getObjectBytes(bucket, 'code/function.zip'), undefined);
    assert.ok((await cloud.cloud.context.blobs.read(digest)).equals(zip), 'the blob outlives the object while Lambda uses it');
    assert.equal(cloud.cloud.context.stores.s3!.usesBlob?.(digest), false);
  });
});
