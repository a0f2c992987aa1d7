// Objects through the real AWS SDK v3 S3 client against a real local cloud: writes and reads with
// metadata, ranges, copies, deletes, listings, checksums (including streamed aws-chunked uploads),
// presigned URLs and hostile keys. Every test uses its own bucket.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { encodeAwsChunked } from '../../../emulator/services/s3/chunked.js';
import { computeChecksum } from '../../../emulator/services/s3/checksums.js';
import { bucketName, errorCode, expectS3Error, startS3Cloud, type S3TestCloud } from './support.js';
import { scopeAuthorization } from '../../helpers/hostile.js';

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

async function readObject(bucket: string, key: string): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

function md5Hex(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

describe('objects', () => {
  it('keeps one connection across HeadObject polls for a key that is not there yet (404s carry a length)', async () => {
    // Arrange: a keep-alive agent that counts the TCP connections the SDK opens.
    const bucket = await newBucket('head-keepalive');
    let connections = 0;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const createConnection = (agent as unknown as { createConnection: (...args: unknown[]) => Socket }).createConnection.bind(agent);
    (agent as unknown as { createConnection: (...args: unknown[]) => Socket }).createConnection = (...args: unknown[]) => {
      connections += 1;
      return createConnection(...args);
    };
    const client = new S3Client({ ...cloud.clientConfig, requestHandler: new NodeHttpHandler({ httpAgent: agent }) });
    try {
      // Act
      for (let poll = 0; poll < 5; poll++) {
        await expectS3Error(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'thumbnails/later.jpg' })), 'NotFound', 404);
      }
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'thumbnails/later.jpg', Body: 'x' }));
      const found = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'thumbnails/later.jpg' }));
      // Assess
      assert.equal(found.ContentLength, 1);
      assert.equal(connections, 1, 'every request reused the first connection');
    } finally {
      client.destroy();
      agent.destroy();
    }
  });

  it('stores and returns the body, ETag, content type and metadata', async () => {
    const bucket = await newBucket('put-get');
    const body = randomBytes(100 * 1024);

    const put = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'photos/cat.jpg',
        Body: body,
        ContentType: 'image/jpeg',
        CacheControl: 'max-age=60',
        ContentDisposition: 'inline; filename="cat.jpg"',
        Metadata: { origin: 'camera', 'taken-by': 'Ada' },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'photos/cat.jpg' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());

    assert.equal(put.ETag, `"${md5Hex(body)}"`);
    assert.ok(put.ChecksumCRC32, 'the checksum the SDK sent comes back');
    assert.ok(bytes.equals(body));
    assert.equal(got.ETag, put.ETag);
    assert.equal(got.ContentType, 'image/jpeg');
    assert.equal(got.ContentLength, body.length);
    assert.equal(got.CacheControl, 'max-age=60');
    assert.equal(got.ContentDisposition, 'inline; filename="cat.jpg"');
    assert.deepEqual(got.Metadata, { origin: 'camera', 'taken-by': 'Ada' });
    assert.equal(got.ServerSideEncryption, 'AES256');
    assert.ok(got.LastModified instanceof Date && Math.abs(got.LastModified.getTime() - Date.now()) < 5000);
  });

  it('sends Last-Modified in RFC 1123 form and binary/octet-stream by default', async () => {
    const bucket = await newBucket('headers');
    // The SDK always sends a Content-Type, so store one without it directly.
    const put = await fetch(`${cloud.endpoint}/${bucket}/k`, { method: 'PUT', body: Buffer.from('x'), headers: { authorization: scopeAuthorization('s3') } });

    const response = await fetch(`${cloud.endpoint}/${bucket}/k`);

    assert.equal(put.status, 200);

    assert.match(response.headers.get('last-modified') ?? '', /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    assert.equal(response.headers.get('content-type'), 'binary/octet-stream');
    assert.equal(response.headers.get('accept-ranges'), 'bytes');
  });

  it('heads an object without a body, and answers 404 NotFound for a missing key', async () => {
    const bucket = await newBucket('head');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'hello', ContentType: 'text/plain' }));

    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }));

    assert.equal(head.ContentLength, 5);
    assert.equal(head.ContentType, 'text/plain');
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'missing' })), 'NotFound', 404);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'missing' })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucketName('nobucket'), Key: 'k' })), 'NoSuchBucket', 404);
  });

  it('serves byte ranges, suffix ranges and refuses unsatisfiable ones with 416', async () => {
    const bucket = await newBucket('range');
    const body = Buffer.from('0123456789abcdefghij');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'r', Body: body }));

    const first = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'r', Range: 'bytes=2-5' }));
    const suffix = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'r', Range: 'bytes=-3' }));
    const open = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'r', Range: 'bytes=18-' }));

    assert.equal(first.$metadata.httpStatusCode, 206);
    assert.equal(await first.Body!.transformToString(), '2345');
    assert.equal(first.ContentRange, 'bytes 2-5/20');
    assert.equal(first.ContentLength, 4);
    assert.equal(await suffix.Body!.transformToString(), 'hij');
    assert.equal(suffix.ContentRange, 'bytes 17-19/20');
    assert.equal(await open.Body!.transformToString(), 'ij');
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'r', Range: 'bytes=20-' })), 'InvalidRange', 416);
  });

  it('streams large bodies back intact', async () => {
    const bucket = await newBucket('large');
    const body = randomBytes(3 * 1024 * 1024 + 17);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'big', Body: body }));

    const whole = await readObject(bucket, 'big');
    const middle = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big', Range: 'bytes=1000000-2999999' }));

    assert.ok(whole.equals(body));
    assert.ok(Buffer.from(await middle.Body!.transformToByteArray()).equals(body.subarray(1_000_000, 3_000_000)));
  });

  it('answers conditional reads with 304 and 412', async () => {
    const bucket = await newBucket('conditional');
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v1' }));

    const notModified = await fetch(`${cloud.endpoint}/${bucket}/k`, { headers: { 'if-none-match': put.ETag! } });
    const failed = await fetch(`${cloud.endpoint}/${bucket}/k`, { headers: { 'if-match': '"0000"' } });

    assert.equal(notModified.status, 304);
    assert.equal(failed.status, 412);
    assert.equal(errorCode(await failed.text()), 'PreconditionFailed');
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v2', IfNoneMatch: '*' })), 'PreconditionFailed', 412);
    assert.equal(await (await readObject(bucket, 'k')).toString(), 'v1');
  });

  it('copies objects, keeping or replacing metadata, across URL-encoded keys', async () => {
    const bucket = await newBucket('copy');
    const target = await newBucket('copy-target');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'src dir/ä+1.txt', Body: 'copy me', ContentType: 'text/plain', Metadata: { a: '1' } }));

    const kept = await s3.send(new CopyObjectCommand({ Bucket: target, Key: 'kept', CopySource: `${bucket}/${encodeURIComponent('src dir/ä+1.txt')}` }));
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'replaced',
        CopySource: `/${bucket}/${encodeURIComponent('src dir/ä+1.txt')}`,
        MetadataDirective: 'REPLACE',
        ContentType: 'application/json',
        Metadata: { b: '2' },
      }),
    );
    const keptHead = await s3.send(new HeadObjectCommand({ Bucket: target, Key: 'kept' }));
    const replacedHead = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'replaced' }));

    assert.equal(kept.CopyObjectResult?.ETag, `"${md5Hex('copy me')}"`);
    assert.ok(kept.CopyObjectResult?.LastModified instanceof Date);
    assert.equal((await readObject(target, 'kept')).toString(), 'copy me');
    assert.equal(keptHead.ContentType, 'text/plain');
    assert.deepEqual(keptHead.Metadata, { a: '1' });
    assert.equal(replacedHead.ContentType, 'application/json');
    assert.deepEqual(replacedHead.Metadata, { b: '2' });
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'x', CopySource: `${bucket}/missing` })), 'NoSuchKey', 404);
    await expectS3Error(
      s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'src dir/ä+1.txt', CopySource: `${bucket}/${encodeURIComponent('src dir/ä+1.txt')}` })),
      'InvalidRequest',
      400,
    );
  });

  it('deletes objects one at a time and in batches, idempotently', async () => {
    const bucket = await newBucket('delete');
    for (const key of ['a', 'b', 'c', 'd']) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'a' }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'a' }));
    const batch = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'b' }, { Key: 'c' }, { Key: 'never-existed' }] } }));
    const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'd' }], Quiet: true } }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));

    assert.deepEqual(batch.Deleted?.map((entry) => entry.Key).sort(), ['b', 'c', 'never-existed']);
    assert.equal(quiet.Deleted, undefined);
    assert.equal(listed.KeyCount, 0);
  });

  it('removes a blob only when no object still uses it', async () => {
    const bucket = await newBucket('blob-refs');
    const body = randomBytes(4096);
    const blob = join(cloud.stateDir, 'blobs', createHash('sha256').update(body).digest('hex').slice(0, 2), createHash('sha256').update(body).digest('hex'));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'one', Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'two', Body: body }));

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'one' }));
    const afterFirst = statSync(blob, { throwIfNoEntry: false });
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'two' }));
    const afterSecond = statSync(blob, { throwIfNoEntry: false });

    assert.ok(afterFirst, 'still used by "two"');
    assert.equal(afterSecond, undefined);
  });
});

describe('listings', () => {
  it('pages through ListObjectsV2 with a delimiter, without gaps or repeats', async () => {
    const bucket = await newBucket('list-v2');
    const keys = ['a/1', 'a/2', 'a/3', 'b', 'c/x/1', 'c/y', 'd', 'e/', 'f/g/h', 'z'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));

    const seenKeys: string[] = [];
    const seenPrefixes: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      pages++;
      assert.ok((page.KeyCount ?? 0) <= 2);
      seenKeys.push(...(page.Contents ?? []).map((object) => object.Key!));
      seenPrefixes.push(...(page.CommonPrefixes ?? []).map((prefix) => prefix.Prefix!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);

    assert.deepEqual(seenKeys, ['b', 'd', 'z']);
    assert.deepEqual(seenPrefixes, ['a/', 'c/', 'e/', 'f/']);
    assert.equal(pages, 4);
  });

  it('lists under a prefix, after a key, and with owner and checksum details', async () => {
    const bucket = await newBucket('list-prefix');
    for (const key of ['c/x/1', 'c/x/2', 'c/y', 'c/z/', 'cc']) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'v' }));

    const underC = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'c/', Delimiter: '/' }));
    const afterY = await s3.send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: 'c/y', FetchOwner: true }));

    assert.deepEqual(underC.Contents?.map((object) => object.Key), ['c/y']);
    assert.deepEqual(underC.CommonPrefixes?.map((prefix) => prefix.Prefix), ['c/x/', 'c/z/']);
    assert.equal(underC.Prefix, 'c/');
    assert.deepEqual(afterY.Contents?.map((object) => object.Key), ['c/z/', 'cc']);
    assert.ok(afterY.Contents?.[0]?.Owner?.ID);
    assert.equal(afterY.Contents?.[0]?.StorageClass, 'STANDARD');
    assert.equal(afterY.Contents?.[0]?.ETag, `"${md5Hex('v')}"`);
    assert.deepEqual(afterY.Contents?.[0]?.ChecksumAlgorithm, ['CRC32']);
  });

  it('orders keys by their UTF-8 bytes, as S3 does', async () => {
    const bucket = await newBucket('list-order');
    const keys = ['😀', 'a', '\uFFFD', 'Z', 'é', 'a/b', 'a b'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'v' }));

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));

    const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(listed.Contents?.map((object) => object.Key), expected);
    assert.deepEqual(expected, ['Z', 'a', 'a b', 'a/b', 'é', '\uFFFD', '😀']);
  });

  it('url-encodes keys when asked, a space as %20', async () => {
    const bucket = await newBucket('list-encoded');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/a b+c.txt', Body: 'v' }));

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, EncodingType: 'url', Delimiter: '/' }));
    const inside = await s3.send(new ListObjectsV2Command({ Bucket: bucket, EncodingType: 'url', Prefix: 'dir/' }));

    assert.equal(listed.EncodingType, 'url');
    assert.deepEqual(listed.CommonPrefixes?.map((prefix) => prefix.Prefix), ['dir/']);
    assert.deepEqual(inside.Contents?.map((object) => object.Key), ['dir/a%20b%2Bc.txt']);
  });

  it('pages through ListObjects (v1) with markers', async () => {
    const bucket = await newBucket('list-v1');
    for (const key of ['a/1', 'a/2', 'b', 'c/1', 'd']) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'v' }));

    const seen: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: '/', MaxKeys: 2, Marker: marker }));
      seen.push(...(page.Contents ?? []).map((object) => object.Key!), ...(page.CommonPrefixes ?? []).map((prefix) => prefix.Prefix!));
      if (!page.IsTruncated) break;
      marker = page.NextMarker;
      assert.ok(marker, 'NextMarker comes with a delimiter');
    }

    assert.deepEqual(seen.sort(), ['a/', 'b', 'c/', 'd']);
  });

  it('reports current objects as null versions, and deletes them by version id "null"', async () => {
    const bucket = await newBucket('versions');
    for (const key of ['x', 'y']) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'v' }));

    const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: (versions.Versions ?? []).map((version) => ({ Key: version.Key!, VersionId: version.VersionId! })) },
      }),
    );
    const remaining = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));

    assert.equal(versioning.Status, undefined);
    assert.deepEqual(versions.Versions?.map((version) => [version.Key, version.VersionId, version.IsLatest]), [
      ['x', 'null', true],
      ['y', 'null', true],
    ]);
    assert.equal(remaining.Versions, undefined);
  });
});

describe('checksums and aws-chunked uploads', () => {
  it('stores exactly the bytes of a streamed upload (aws-chunked with a CRC32 trailer)', async () => {
    const bucket = await newBucket('streamed');
    const pieces = [randomBytes(70_000), randomBytes(1), randomBytes(200_000)];
    const body = Buffer.concat(pieces);

    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'stream', Body: Readable.from(pieces), ContentLength: body.length }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'stream', ChecksumMode: 'ENABLED' }));
    const digest = createHash('sha256').update(body).digest('hex');
    const blob = readFileSync(join(cloud.stateDir, 'blobs', digest.slice(0, 2), digest));

    assert.equal(put.ETag, `"${md5Hex(body)}"`);
    assert.equal(put.ChecksumCRC32, computeChecksum('CRC32', body));
    assert.ok((await readObject(bucket, 'stream')).equals(body));
    assert.ok(blob.equals(body), 'the blob holds no framing');
    assert.equal(head.ContentLength, body.length);
    assert.equal(head.ChecksumCRC32, put.ChecksumCRC32);
    assert.equal(head.ContentEncoding, undefined, 'aws-chunked is framing, not a stored encoding');
  });

  it('refuses a wrong checksum with BadDigest and stores nothing', async () => {
    const bucket = await newBucket('bad-digest');

    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'hello', ChecksumCRC32: computeChecksum('CRC32', Buffer.from('HELLO')) })), 'BadDigest', 400);
    const raw = await fetch(`${cloud.endpoint}/${bucket}/raw`, { method: 'PUT', body: 'hello', headers: { 'x-amz-checksum-crc32c': computeChecksum('CRC32C', Buffer.from('other')), authorization: scopeAuthorization('s3') } });
    const md5 = await fetch(`${cloud.endpoint}/${bucket}/md5`, { method: 'PUT', body: 'hello', headers: { 'content-md5': createHash('md5').update('other').digest('base64'), authorization: scopeAuthorization('s3') } });
    const sha = await fetch(`${cloud.endpoint}/${bucket}/sha`, { method: 'PUT', body: 'hello', headers: { 'x-amz-checksum-sha256': computeChecksum('SHA256', Buffer.from('other')), authorization: scopeAuthorization('s3') } });

    assert.equal(raw.status, 400);
    assert.equal(errorCode(await raw.text()), 'BadDigest');
    assert.equal(errorCode(await md5.text()), 'BadDigest');
    assert.equal(errorCode(await sha.text()), 'BadDigest');
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' })), 'NotFound', 404);
    assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount, 0);
  });

  it('accepts each supported checksum algorithm from the SDK', async () => {
    const bucket = await newBucket('algorithms');
    for (const algorithm of ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const) {
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: algorithm, Body: `body for ${algorithm}`, ChecksumAlgorithm: algorithm }));
      assert.equal(put[`Checksum${algorithm}`], computeChecksum(algorithm, Buffer.from(`body for ${algorithm}`)));
    }
  });

  it('refuses malformed digests and lying framing', async () => {
    const bucket = await newBucket('malformed');
    const payload = Buffer.from('hello world');
    const chunkedHeaders = {
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'x-amz-trailer': 'x-amz-checksum-crc32',
    };
    const put = (key: string, body: Buffer | string, headers: Record<string, string>) => fetch(`${cloud.endpoint}/${bucket}/${key}`, { method: 'PUT', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { authorization: scopeAuthorization('s3'), ...headers } });

    const badMd5 = await put('a', payload, { 'content-md5': 'not-md5' });
    const badCrc = await put('b', payload, { 'x-amz-checksum-crc32': '!!' });
    const badSha = await put('c', payload, { 'x-amz-content-sha256': '0'.repeat(64) });
    const wrongTrailer = await put('d', encodeAwsChunked(payload, { chunkSize: 4, trailers: { 'x-amz-checksum-crc32': computeChecksum('CRC32', Buffer.from('x')) } }), {
      ...chunkedHeaders,
      'x-amz-decoded-content-length': String(payload.length),
    });
    const lyingLength = await put('e', encodeAwsChunked(payload, { chunkSize: 4, trailers: { 'x-amz-checksum-crc32': computeChecksum('CRC32', payload) } }), {
      ...chunkedHeaders,
      'x-amz-decoded-content-length': String(payload.length + 1),
    });
    const truncated = await put('f', encodeAwsChunked(payload, { chunkSize: 4 }).subarray(0, 12), { ...chunkedHeaders, 'x-amz-trailer': '', 'x-amz-decoded-content-length': '11' });
    const goodSigned = await put('g', encodeAwsChunked(payload, { chunkSize: 5, signed: true }), {
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'x-amz-decoded-content-length': String(payload.length),
    });

    assert.deepEqual([badMd5.status, errorCode(await badMd5.text())], [400, 'InvalidDigest']);
    assert.deepEqual([badCrc.status, errorCode(await badCrc.text())], [400, 'BadDigest']);
    assert.deepEqual([badSha.status, errorCode(await badSha.text())], [400, 'XAmzContentSHA256Mismatch']);
    assert.deepEqual([wrongTrailer.status, errorCode(await wrongTrailer.text())], [400, 'BadDigest']);
    assert.deepEqual([lyingLength.status, errorCode(await lyingLength.text())], [400, 'IncompleteBody']);
    assert.deepEqual([truncated.status, errorCode(await truncated.text())], [400, 'IncompleteBody']);
    assert.equal(goodSigned.status, 200);
    assert.equal((await readObject(bucket, 'g')).toString(), 'hello world');
    assert.deepEqual((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((object) => object.Key), ['g']);
  });
});

describe('presigned URLs', () => {
  it('serves a presigned GET fetched without the SDK, with response overrides', async () => {
    const bucket = await newBucket('presign');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/file name.txt', Body: 'presigned body', ContentType: 'text/plain' }));

    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'dir/file name.txt', ResponseContentDisposition: 'attachment' }), { expiresIn: 60 });
    const response = await fetch(url);

    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'presigned body');
    assert.equal(response.headers.get('content-disposition'), 'attachment');
    assert.equal(response.headers.get('content-type'), 'text/plain');
  });

  it('refuses an expired presigned URL with AccessDenied', async () => {
    const bucket = await newBucket('presign-expired');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }));

    const url = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'k' }), { expiresIn: 1, signingDate: new Date(Date.now() - 60_000) }));
    const response = await fetch(url);

    assert.equal(response.status, 403);
    assert.equal(errorCode(await response.text()), 'AccessDenied');
  });
});

describe('hostile keys', () => {
  it('round-trips keys that look like paths, unicode and control characters, and touches no such path', async () => {
    const bucket = await newBucket('hostile');
    const keys = ['../../etc/passwd', '/abs', 'a//b', '..', './x', '%2e%2e/escaped', 'x\\..\\..\\windows', '日本語/ファイル 名.txt', 'emoji-😀', 'tab\there', 'line\nbreak', 'nul\u0000byte', 'nul', 'k'.repeat(1024)];

    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}` }));
    for (const key of keys) assert.equal((await readObject(bucket, key)).toString(), `body of ${key}`, JSON.stringify(key));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));

    assert.deepEqual(
      listed.Contents?.map((object) => object.Key),
      [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
    );
    // Nothing in the state directory is named after a key, and blobs are named by digest only.
    const paths = walk(cloud.stateDir).map((path) => relative(cloud.stateDir, path));
    for (const path of paths) {
      assert.doesNotMatch(path, /passwd|abs|escaped|windows|ファイル|emoji|break|kkkk|\.\./, path);
      if (path.startsWith('blobs/')) assert.match(path, /^blobs\/[0-9a-f]{2}(\/[0-9a-f]{64})?$/, path);
    }
    assert.ok(paths.some((path) => path.startsWith('blobs/')), 'the bodies are in the blob store');
  });

  // AWS: "an object key can contain any Unicode character", and XML 1.0 cannot carry some of them, for which a
  // listing takes EncodingType=url (the EncodingType documentation). Only a path whose percent-escapes are not
  // UTF-8 is refused, with InvalidURI (aws-cli/s3sync reports of AWS's answer). So do we: C0 and C1 controls and
  // XML's non-characters are keys like any other.
  it('keeps C0 and C1 controls and XML non-characters in keys, lists them url-encoded, and refuses undecodable escapes with InvalidURI', async () => {
    const bucket = await newBucket('control-keys');
    const keys = ['\u00ae\u008a-', 'c1-\u0085-\u009f', 'c0-\u0001-\u001b-\u007f', 'nonchar-\ufffe-\uffff', 'cr\rlf\n'];

    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${JSON.stringify(key)}` }));
    for (const key of keys) assert.equal((await readObject(bucket, key)).toString(), `body of ${JSON.stringify(key)}`, JSON.stringify(key));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, EncodingType: 'url' }));
    const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    // SDK v3 leaves url-encoded keys as they came (botocore decodes them); decoded, they are the keys.
    assert.deepEqual(listed.Contents?.map((object) => decodeURIComponent(object.Key!)), sorted);
    const raw = await fetch(`${cloud.endpoint}/${bucket}?list-type=2&encoding-type=url`, { headers: { authorization: scopeAuthorization('s3') } });
    const xml = await raw.text();
    assert.match(xml, /<Key>%C2%AE%C2%8A-<\/Key>/);
    assert.match(xml, /<Key>nonchar-%EF%BF%BE-%EF%BF%BF<\/Key>/);

    for (const path of ['%AE%8A-', '%C2', '%ED%A0%80', '%FF']) {
      const response = await fetch(`${cloud.endpoint}/${bucket}/${path}`, { headers: { authorization: scopeAuthorization('s3') } });
      const body = await response.text();
      assert.deepEqual([response.status, errorCode(body)], [400, 'InvalidURI'], path);
      assert.match(body, /<Message>Couldn(&apos;|')t parse the specified URI\.<\/Message>/, path);
    }
  });

  it('refuses a key longer than 1024 bytes with KeyTooLongError', async () => {
    const bucket = await newBucket('long-key');

    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k'.repeat(1025), Body: 'v' })), 'KeyTooLongError', 400);
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'é'.repeat(513), Body: 'v' })), 'KeyTooLongError', 400);
  });
});

/** Every file and directory under `dir`. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? [path, ...walk(path)] : [path];
  });
}
