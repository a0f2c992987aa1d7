// `thumbctl upload` against a real local cloud through the real CLI: the thumbnail's real dimensions, the
// function's rejection surfacing fast, the checks made before anything is sent, --no-wait, --key and --out.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { SAMPLE_PHOTO, startOperateCloud, writeCorruptImage, writePng, type OperateCloud } from './support.js';

let cloud: OperateCloud;

before(async () => {
  cloud = await startOperateCloud('upload');
});

after(async () => {
  await cloud?.close();
});

async function thumbnailSize(key: string): Promise<{ width?: number; height?: number }> {
  const object = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: cloud.settings.thumbnailBucket, Key: key }));
  return sharp(Buffer.from(await object.Body!.transformToByteArray())).metadata();
}

describe('thumbctl upload', () => {
  it('uploads the photo as <stem>-<W>x<H>.jpg and reports the thumbnail it waited for', async () => {
    // Act
    const result = await cloud.thumbctl(['upload', SAMPLE_PHOTO, '400x400', '--json']);

    // Assess
    assert.equal(result.code, 0, result.stderr);
    const report = result.json();
    assert.deepEqual(Object.keys(report).sort(), ['bytes', 'contentType', 'height', 'latencyMs', 'sourceBucket', 'sourceKey', 'thumbnailBucket', 'thumbnailKey', 'traceId', 'url', 'width']);
    assert.match(report.traceId, /^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    assert.equal(report.sourceBucket, cloud.settings.sourceBucket);
    assert.equal(report.sourceKey, 'canyon-400x400.jpg');
    assert.equal(report.thumbnailBucket, cloud.settings.thumbnailBucket);
    assert.equal(report.thumbnailKey, 'canyon-400x400.jpg');
    assert.deepEqual([report.width, report.height], [400, 400]);
    const decoded = await thumbnailSize('canyon-400x400.jpg');
    assert.deepEqual([decoded.width, decoded.height], [400, 400]);
    assert.equal(report.contentType, 'image/jpeg');
    assert.ok(report.bytes > 0);
    assert.ok(report.latencyMs > 0);
    assert.match(report.url, /^http:\/\/127\.0\.0\.1:\d+\/.*canyon-400x400\.jpg\?.*X-Amz-Signature=/);
    const source = await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: cloud.settings.sourceBucket, Key: 'canyon-400x400.jpg' }));
    assert.equal(source.ContentType, 'image/jpeg', 'Content-Type from the file’s bytes');
  });

  it('saves the thumbnail with --out, and its decoded size is the one asked for', async () => {
    // Prepare
    const out = join(cloud.dir, 'thumb.jpg');

    // Act
    const result = await cloud.thumbctl(['upload', SAMPLE_PHOTO, '200x150', '--out', out]);

    // Assess
    assert.equal(result.code, 0, result.stderr);
    const { width, height } = await sharp(out).metadata();
    assert.deepEqual([width, height], [200, 150]);
    assert.match(result.stdout, /thumbnail\s+s3:\/\/.*canyon-200x150\.jpg/);
    assert.match(result.stdout, /200x150/);
    assert.match(result.stdout, /latency\s+[\d.]+ ms/);
    assert.deepEqual(readdirSync(cloud.dir).filter((name) => name.endsWith('.tmp')), [], 'no temporary file left behind');
  });

  it('saves into a directory given to --out under the key’s name', async () => {
    const outDir = join(cloud.dir, 'thumbs');
    mkdirSync(outDir);
    const result = await cloud.thumbctl(['upload', SAMPLE_PHOTO, '64x48', '--out', outDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readdirSync(outDir), ['canyon-64x48.jpg']);
  });

  it('refuses --out into a directory that does not exist, before uploading', async () => {
    const result = await cloud.thumbctl(['upload', SAMPLE_PHOTO, '65x48', '--out', join(cloud.dir, 'missing', 'x.jpg')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--out: directory .*missing does not exist/);
    await assert.rejects(cloud.clients.s3.send(new HeadObjectCommand({ Bucket: cloud.settings.sourceBucket, Key: 'canyon-65x48.jpg' })));
  });

  it('fails fast with the function’s reason when it rejects a corrupt image', async () => {
    // Prepare
    const corrupt = writeCorruptImage(cloud.dir);
    const started = Date.now();

    // Act
    const result = await cloud.thumbctl(['upload', corrupt, '100x100', '--timeout', '60']);

    // Assess
    const elapsed = Date.now() - started;
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /the function rejected corrupt-100x100\.jpg: .+/);
    assert.match(result.stderr, /does not look like a JPEG/, 'the unknown format is warned about first');
    assert.ok(elapsed < 60_000, `returned after ${elapsed} ms, before the 60 s timeout`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  it('refuses a missing file with exit code 2', async () => {
    const result = await cloud.thumbctl(['upload', join(cloud.dir, 'nope.jpg'), '100x100']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /file not found: .*nope\.jpg/);
    assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  });

  it('refuses a directory with exit code 2', async () => {
    const result = await cloud.thumbctl(['upload', cloud.dir, '100x100']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /is a directory/);
  });

  for (const size of ['abc', '0x100', '100x', '5000x5000']) {
    it(`refuses the size "${size}" with exit code 2 and one line`, async () => {
      const result = await cloud.thumbctl(['upload', SAMPLE_PHOTO, size]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, new RegExp(`size "${size}"`));
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    });
  }

  it('returns right after the upload with --no-wait, thumbnail measurements null', async () => {
    const result = await cloud.thumbctl(['upload', SAMPLE_PHOTO, '90x90', '--no-wait', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = result.json();
    assert.equal(report.sourceKey, 'canyon-90x90.jpg');
    assert.equal(report.thumbnailKey, 'canyon-90x90.jpg');
    for (const field of ['width', 'height', 'bytes', 'contentType', 'url', 'latencyMs']) assert.equal(report[field], null, field);
    await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: cloud.settings.sourceBucket, Key: 'canyon-90x90.jpg' }));
  });

  it('uploads under --key exactly, prefix and spaces included', async () => {
    const key = 'albums/red rock-120x80.jpg';
    const result = await cloud.thumbctl(['upload', SAMPLE_PHOTO, '120x80', '--key', key, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = result.json();
    assert.equal(report.sourceKey, key);
    assert.equal(report.thumbnailKey, key);
    const { width, height } = await thumbnailSize(key);
    assert.deepEqual([width, height], [120, 80]);
  });

  it('refuses a --key whose size disagrees with the size argument', async () => {
    const result = await cloud.thumbctl(['upload', SAMPLE_PHOTO, '100x100', '--key', 'canyon-300x300.jpg']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /names 300x300 but the size argument is 100x100/);
  });

  it('does not mistake the thumbnail of an earlier upload under the same key for the new one', async () => {
    // Prepare: a JPEG thumbnail under the key first.
    const key = 'same-key-100x100.png';
    const png = await writePng(cloud.dir);
    const jpegAsPng = join(cloud.dir, 'photo.png');
    writeFileSync(jpegAsPng, await sharp(SAMPLE_PHOTO).resize(600).jpeg().toBuffer());
    const first = await cloud.thumbctl(['upload', jpegAsPng, '100x100', '--key', key, '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.json().contentType, 'image/jpeg');

    // Act: a PNG under the same key.
    const second = await cloud.thumbctl(['upload', png, '100x100', '--key', key, '--json']);

    // Assess: the new thumbnail, not the old one.
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.json().contentType, 'image/png');
  });

  it('times out with exit code 3, naming the likely causes, when nothing makes the thumbnail', async () => {
    // Prepare: a source bucket without the trigger.
    const untriggered = `${cloud.settings.sourceBucket}-bare`;
    await cloud.clients.s3.send(new CreateBucketCommand({ Bucket: untriggered }));

    // Act
    const result = await cloud.thumbctl(['upload', SAMPLE_PHOTO, '50x50', '--timeout', '1', '--source-bucket', untriggered]);

    // Assess
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /no thumbnail for canyon-50x50\.jpg .* after 1 s/);
    assert.match(result.stderr, /trigger/);
    assert.match(result.stderr, /thumbctl logs/);
  });

  it('says to run setup when the source bucket does not exist', async () => {
    const result = await cloud.thumbctl(['upload', SAMPLE_PHOTO, '50x50', '--source-bucket', 'no-such-bucket-here']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no-such-bucket-here does not exist: run `thumbctl setup` first/);
    assert.ok(!existsSync(join(cloud.dir, 'canyon-50x50.jpg')));
  });
});
