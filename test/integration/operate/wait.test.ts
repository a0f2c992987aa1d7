// The thumbnail wait loop against a real local cloud: it looks through presigned HEADs, hands anything that is
// neither "there" nor "not yet" to the SDK (whose errors the user sees), and stops quietly when told to.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startTestCloud, TEST_REGION, type TestCloud } from '../../helpers/local-cloud.js';
import { pollForThumbnail } from '../../../cli/core/operate/wait.js';

const KEYS = { accessKeyId: 'AKIAWAITTEST00000001', secretAccessKey: 'wait-test-secret' };
const BUCKET = 'wait-thumbnails';

let cloud: TestCloud;
let s3: S3Client;

before(async () => {
  cloud = await startTestCloud({ requireAuth: KEYS });
  s3 = new S3Client({ ...cloud.clientConfig, credentials: KEYS });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

after(async () => {
  s3?.destroy();
  await cloud?.close();
});

describe('pollForThumbnail', () => {
  it('sees a thumbnail written while it waits, with the ETag and length S3 gave it', async () => {
    // Arrange
    const key = 'photos/late-400x400.jpg';
    const writer = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.alloc(321, 7), ContentType: 'image/jpeg' }));
    })();
    const startedAt = performance.now();
    // Act
    const sighting = await pollForThumbnail(s3, { bucket: BUCKET, key, signal: AbortSignal.timeout(10_000) });
    const written = await writer;
    // Assess
    assert.ok(sighting, 'the thumbnail was seen');
    assert.equal(sighting.head.ETag, written.ETag);
    assert.equal(sighting.head.ContentLength, 321);
    assert.equal(sighting.head.ContentType, 'image/jpeg');
    assert.ok(sighting.head.LastModified instanceof Date);
    assert.ok(sighting.observedAt - startedAt >= 150);
  });

  it('keeps waiting past the version it was told is old', async () => {
    const key = 'photos/old-400x400.jpg';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'old' }));
    const stop = AbortSignal.timeout(300);
    const sighting = await pollForThumbnail(s3, { bucket: BUCKET, key, signal: stop, previous: await currentVersion(key) });
    assert.equal(sighting, undefined);
  });

  it('resolves undefined, without an error, when the wait is aborted before the thumbnail comes', async () => {
    const sighting = await pollForThumbnail(s3, { bucket: BUCKET, key: 'photos/never-400x400.jpg', signal: AbortSignal.timeout(200) });
    assert.equal(sighting, undefined);
  });

  it('throws the SDK\'s own error when the look is refused (wrong keys), instead of waiting it out', async () => {
    const stranger = new S3Client({ endpoint: cloud.endpoint, region: TEST_REGION, forcePathStyle: true, credentials: { accessKeyId: 'AKIAWAITTEST00000002', secretAccessKey: 'nope' }, maxAttempts: 1 });
    try {
      await assert.rejects(
        pollForThumbnail(stranger, { bucket: BUCKET, key: 'photos/any-400x400.jpg', signal: AbortSignal.timeout(10_000) }),
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode === 403,
      );
    } finally {
      stranger.destroy();
    }
  });
});

async function currentVersion(key: string): Promise<{ etag?: string; lastModified?: Date }> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  return { etag: head.ETag, lastModified: head.LastModified };
}
