// Multipart uploads through the real AWS SDK v3 S3 client: the ETag S3 computes (MD5 of the part MD5s,
// then -N), composite and full-object checksums, listing and aborting uploads, copying parts, and S3's refusals.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { computeChecksum } from '../../../emulator/services/s3/checksums.js';
import { expectS3Error, startS3Cloud, type S3TestCloud } from './support.js';

const MiB = 1024 * 1024;

let cloud: S3TestCloud;
let s3: S3Client;
let newBucket: S3TestCloud['newBucket'];

before(async () => {
  cloud = await startS3Cloud();
  ({ s3, newBucket } = cloud);
});

after(async () => {
  await cloud?.close();
});

function md5(data: Buffer): Buffer {
  return createHash('md5').update(data).digest();
}

/** The base64 of the big-endian CRC32 S3 sends, from zlib rather than the emulator's own code. */
function crc32Base64(data: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data) >>> 0);
  return out.toString('base64');
}

async function uploadParts(bucket: string, key: string, uploadId: string, parts: Buffer[]): Promise<CompletedPart[]> {
  const completed: CompletedPart[] = [];
  for (const [index, body] of parts.entries()) {
    const response = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: index + 1, Body: body }));
    completed.push({ PartNumber: index + 1, ETag: response.ETag!, ...(response.ChecksumCRC32 ? { ChecksumCRC32: response.ChecksumCRC32 } : {}) });
  }
  return completed;
}

describe('multipart uploads', () => {
  it('assembles the parts and computes the multipart ETag as S3 does', async () => {
    const bucket = await newBucket('multipart');
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(MiB + 3)];
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'videos/big.bin', ContentType: 'video/mp4', Metadata: { source: 'test' } }));

    const completed = await uploadParts(bucket, 'videos/big.bin', create.UploadId!, parts);
    const listedParts = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'videos/big.bin', UploadId: create.UploadId! }));
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'videos/big.bin', UploadId: create.UploadId!, MultipartUpload: { Parts: completed } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'videos/big.bin' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());

    const expectedEtag = `"${createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex')}-3"`;
    assert.equal(done.ETag, expectedEtag);
    assert.equal(done.Bucket, bucket);
    assert.equal(done.Key, 'videos/big.bin');
    assert.equal(done.Location, `${cloud.endpoint}/${bucket}/videos/big.bin`);
    assert.deepEqual(listedParts.Parts?.map((part) => [part.PartNumber, part.Size, part.ETag]), completed.map((part, index) => [part.PartNumber, parts[index]!.length, part.ETag]));
    assert.ok(bytes.equals(Buffer.concat(parts)));
    assert.equal(got.ETag, expectedEtag);
    assert.equal(got.ContentType, 'video/mp4');
    assert.deepEqual(got.Metadata, { source: 'test' });
    await expectS3Error(s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'videos/big.bin', UploadId: create.UploadId! })), 'NoSuchUpload', 404);
  });

  it('reports a composite checksum when the upload asked for one', async () => {
    const bucket = await newBucket('multipart-crc');
    const parts = [randomBytes(5 * MiB), randomBytes(1000)];
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ChecksumAlgorithm: 'CRC32' }));

    const completed = await uploadParts(bucket, 'k', create.UploadId!, parts);
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'k', UploadId: create.UploadId!, MultipartUpload: { Parts: completed } }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k', ChecksumMode: 'ENABLED' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', ChecksumMode: 'ENABLED' }));

    const partChecksums = parts.map((part) => computeChecksum('CRC32', part));
    const expected = `${computeChecksum('CRC32', Buffer.concat(partChecksums.map((value) => Buffer.from(value, 'base64'))))}-2`;
    assert.equal(create.ChecksumAlgorithm, 'CRC32');
    assert.equal(create.ChecksumType, 'COMPOSITE');
    assert.deepEqual(completed.map((part) => part.ChecksumCRC32), partChecksums);
    assert.equal(done.ChecksumCRC32, expected);
    assert.equal(head.ChecksumCRC32, expected);
    assert.equal((await got.Body!.transformToByteArray()).length, 5 * MiB + 1000, 'the SDK accepts the composite checksum on GET');
  });

  it('verifies and reports a full-object CRC32 the Complete request sends', async () => {
    const bucket = await newBucket('multipart-full');
    const parts = [randomBytes(5 * MiB), randomBytes(1000)];
    const whole = Buffer.concat(parts);
    const expected = crc32Base64(whole);
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' }));

    const completed = await uploadParts(bucket, 'k', create.UploadId!, parts);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'k',
        UploadId: create.UploadId!,
        ChecksumType: 'FULL_OBJECT',
        ChecksumCRC32: expected,
        MultipartUpload: { Parts: completed },
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k', ChecksumMode: 'ENABLED' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', ChecksumMode: 'ENABLED' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());

    assert.equal(create.ChecksumAlgorithm, 'CRC32');
    assert.equal(create.ChecksumType, 'FULL_OBJECT');
    assert.equal(done.ChecksumCRC32, expected);
    assert.equal(done.ChecksumType, 'FULL_OBJECT');
    assert.equal(head.ChecksumCRC32, expected);
    assert.equal(head.ChecksumType, 'FULL_OBJECT');
    assert.equal(got.ChecksumCRC32, expected);
    assert.equal(got.ChecksumType, 'FULL_OBJECT');
    assert.ok(bytes.equals(whole), 'the SDK validated the full-object checksum on GET');
  });

  it('computes the full-object CRC32 itself when Complete asks for FULL_OBJECT without a value', async () => {
    const bucket = await newBucket('multipart-full-computed');
    const parts = [randomBytes(5 * MiB), randomBytes(10)];
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' }));
    const completed = await uploadParts(bucket, 'k', create.UploadId!, parts);

    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'k', UploadId: create.UploadId!, ChecksumType: 'FULL_OBJECT', MultipartUpload: { Parts: completed } }),
    );

    assert.equal(done.ChecksumCRC32, crc32Base64(Buffer.concat(parts)));
    assert.equal(done.ChecksumType, 'FULL_OBJECT');
  });

  it('refuses a full-object checksum that does not match the assembled object, and keeps the upload', async () => {
    const bucket = await newBucket('multipart-full-bad');
    const parts = [randomBytes(5 * MiB), randomBytes(1000)];
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' }));
    const completed = await uploadParts(bucket, 'k', create.UploadId!, parts);
    const complete = (checksum: string) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: create.UploadId!,
          ChecksumType: 'FULL_OBJECT',
          ChecksumCRC32: checksum,
          MultipartUpload: { Parts: completed },
        }),
      );

    // The CRC32 of the first part alone: well-formed, but not the object's.
    await expectS3Error(complete(crc32Base64(parts[0]!)), 'BadDigest', 400);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' })), 'NotFound', 404);
    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'k', UploadId: create.UploadId! }));
    const done = await complete(crc32Base64(Buffer.concat(parts)));

    assert.equal(listed.Parts?.length, 2, 'a refused Complete leaves the upload in place');
    assert.equal(done.ChecksumType, 'FULL_OBJECT');
  });

  it('refuses checksum types the algorithm does not allow', async () => {
    const bucket = await newBucket('multipart-full-sha');

    const sha256 = await expectS3Error(
      s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ChecksumAlgorithm: 'SHA256', ChecksumType: 'FULL_OBJECT' })),
      'InvalidRequest',
      400,
    );
    const crc64 = await expectS3Error(
      s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'COMPOSITE' })),
      'InvalidRequest',
      400,
    );
    const crc64Default = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ChecksumAlgorithm: 'CRC64NVME' }));
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));

    assert.equal(sha256.message, 'The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.');
    assert.equal(crc64.message, 'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.');
    assert.equal(crc64Default.ChecksumType, 'FULL_OBJECT', 'CRC64NVME uploads are always full-object');
    assert.deepEqual(uploads.Uploads?.map((upload) => upload.UploadId), [crc64Default.UploadId], 'the refused requests created no upload');
  });

  it('refuses parts that do not match, come out of order, or are too small', async () => {
    const bucket = await newBucket('multipart-errors');
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k' }));
    const completed = await uploadParts(bucket, 'k', create.UploadId!, [Buffer.from('small one'), Buffer.from('small two')]);
    const complete = (parts: CompletedPart[]) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'k', UploadId: create.UploadId!, MultipartUpload: { Parts: parts } }));

    await expectS3Error(complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }]), 'InvalidPart', 400);
    await expectS3Error(complete([{ PartNumber: 3, ETag: completed[0]!.ETag! }]), 'InvalidPart', 400);
    await expectS3Error(complete([completed[1]!, completed[0]!]), 'InvalidPartOrder', 400);
    await expectS3Error(complete(completed), 'EntityTooSmall', 400);
    await expectS3Error(
      s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'k', UploadId: create.UploadId!, PartNumber: 10_001, Body: 'x' })),
      'InvalidArgument',
      400,
    );
    await expectS3Error(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'other', UploadId: create.UploadId!, PartNumber: 1, Body: 'x' })), 'NoSuchUpload', 404);
    // A single small part is fine: only parts before the last must be 5 MiB.
    const single = await complete([completed[0]!]);
    assert.equal(single.ETag, `"${createHash('md5').update(md5(Buffer.from('small one'))).digest('hex')}-1"`);
  });

  it('lists and aborts uploads in progress', async () => {
    const bucket = await newBucket('multipart-abort');
    const first = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'a/one' }));
    const second = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'b/two' }));
    await uploadParts(bucket, 'a/one', first.UploadId!, [randomBytes(1024)]);

    const all = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    const underA = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'a/' }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'a/one', UploadId: first.UploadId! }));
    const remaining = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));

    assert.deepEqual(all.Uploads?.map((upload) => [upload.Key, upload.UploadId]), [
      ['a/one', first.UploadId],
      ['b/two', second.UploadId],
    ]);
    assert.deepEqual(underA.Uploads?.map((upload) => upload.Key), ['a/one']);
    assert.deepEqual(remaining.Uploads?.map((upload) => upload.Key), ['b/two']);
    await expectS3Error(s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'a/one', UploadId: first.UploadId! })), 'NoSuchUpload', 404);
  });

  it('copies parts from existing objects, whole or by range', async () => {
    const bucket = await newBucket('multipart-copy');
    const source = randomBytes(6 * MiB);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'source', Body: source }));
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'target' }));

    const whole = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'target', UploadId: create.UploadId!, PartNumber: 1, CopySource: `${bucket}/source` }));
    const ranged = await s3.send(
      new UploadPartCopyCommand({ Bucket: bucket, Key: 'target', UploadId: create.UploadId!, PartNumber: 2, CopySource: `${bucket}/source`, CopySourceRange: 'bytes=10-19' }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'target',
        UploadId: create.UploadId!,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: whole.CopyPartResult!.ETag! }, { PartNumber: 2, ETag: ranged.CopyPartResult!.ETag! }] },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'target' }));

    assert.equal(ranged.CopyPartResult?.ETag, `"${md5(source.subarray(10, 20)).toString('hex')}"`);
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([source, source.subarray(10, 20)])));
  });
});
