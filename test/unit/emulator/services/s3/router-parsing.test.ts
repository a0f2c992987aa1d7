import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { operationNameFor, parseTarget, resolveOperation, subresourcesOf } from '../../../../../emulator/services/s3/operations.js';
import { parseRange } from '../../../../../emulator/services/s3/request.js';

describe('request targets', () => {
  it('reads path-style bucket and key without normalising dot segments', () => {
    assert.deepEqual(parseTarget('/b/../../etc/passwd?x-id=PutObject', '127.0.0.1:4566'), { bucket: 'b', key: '../../etc/passwd', resource: '/b/../../etc/passwd' });
    assert.deepEqual(parseTarget('/b//abs', '127.0.0.1'), { bucket: 'b', key: '/abs', resource: '/b//abs' });
    assert.deepEqual(parseTarget('/b/caf%C3%A9%20%2B.jpg', 'localhost'), { bucket: 'b', key: 'café +.jpg', resource: '/b/café +.jpg' });
    assert.deepEqual(parseTarget('/b', 'localhost'), { bucket: 'b', resource: '/b' });
    assert.deepEqual(parseTarget('/b/', 'localhost'), { bucket: 'b', resource: '/b' });
    assert.deepEqual(parseTarget('/', 'localhost'), { resource: '/' });
  });

  it('reads virtual-host style from <bucket>.localhost', () => {
    assert.deepEqual(parseTarget('/dir/key.txt', 'photos.localhost:4566'), { bucket: 'photos', key: 'dir/key.txt', resource: '/photos/dir/key.txt' });
    assert.deepEqual(parseTarget('/', 'my.dotted.bucket.localhost'), { bucket: 'my.dotted.bucket', resource: '/my.dotted.bucket' });
    assert.deepEqual(parseTarget('/k', 'photos.s3.localhost:4566'), { bucket: 'photos', key: 'k', resource: '/photos/k' });
    assert.deepEqual(parseTarget('/photos/k', 's3.localhost:4566'), { bucket: 'photos', key: 'k', resource: '/photos/k' });
  });

  it("reads LocalStack's virtual hosts, <bucket>.s3.localhost.localstack.cloud, and its path-style hosts", () => {
    assert.deepEqual(parseTarget('/dir/k.jpg', 'photos.s3.localhost.localstack.cloud:4566'), { bucket: 'photos', key: 'dir/k.jpg', resource: '/photos/dir/k.jpg' });
    assert.deepEqual(parseTarget('/', 'My.Dotted.s3.LOCALHOST.localstack.cloud'), { bucket: 'my.dotted', resource: '/my.dotted' });
    assert.deepEqual(parseTarget('/photos/k', 's3.localhost.localstack.cloud:4566'), { bucket: 'photos', key: 'k', resource: '/photos/k' });
    assert.deepEqual(parseTarget('/photos/k', 'localhost.localstack.cloud:4566'), { bucket: 'photos', key: 'k', resource: '/photos/k' });
    // Without the s3 label it is no S3 virtual host (LocalStack's other services live there): path-style.
    assert.deepEqual(parseTarget('/photos/k', 'photos.localhost.localstack.cloud'), { bucket: 'photos', key: 'k', resource: '/photos/k' });
  });

  it('refuses undecodable paths with InvalidURI', () => {
    assert.throws(() => parseTarget('/b/%E0%A4%A', 'localhost'), { code: 'InvalidURI' });
  });
});

describe('operations', () => {
  const bucket = { bucket: 'b', resource: '/b' };
  const object = { bucket: 'b', key: 'k', resource: '/b/k' };
  const q = (query: string) => new URLSearchParams(query);

  it('finds operations by method, target and subresources', () => {
    assert.equal(resolveOperation('GET', { resource: '/' }, q(''), {}), 'ListBuckets');
    assert.equal(resolveOperation('PUT', bucket, q(''), {}), 'CreateBucket');
    assert.equal(resolveOperation('GET', bucket, q('list-type=2&prefix=a'), {}), 'ListObjectsV2');
    assert.equal(resolveOperation('GET', bucket, q('prefix=a'), {}), 'ListObjects');
    assert.equal(resolveOperation('GET', bucket, q('location'), {}), 'GetBucketLocation');
    assert.equal(resolveOperation('POST', bucket, q('delete'), {}), 'DeleteObjects');
    assert.equal(resolveOperation('GET', bucket, q('versions'), {}), 'ListObjectVersions');
    assert.equal(resolveOperation('PUT', object, q('x-id=PutObject'), {}), 'PutObject');
    assert.equal(resolveOperation('PUT', object, q(''), { 'x-amz-copy-source': 'b/k2' }), 'CopyObject');
    assert.equal(resolveOperation('POST', object, q('uploads'), {}), 'CreateMultipartUpload');
    assert.equal(resolveOperation('PUT', object, q('partNumber=1&uploadId=u'), {}), 'UploadPart');
    assert.equal(resolveOperation('POST', object, q('uploadId=u'), {}), 'CompleteMultipartUpload');
    assert.equal(resolveOperation('DELETE', object, q('uploadId=u'), {}), 'AbortMultipartUpload');
    assert.equal(resolveOperation('GET', object, q('uploadId=u'), {}), 'ListParts');
    assert.equal(resolveOperation('GET', object, q('X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc&response-content-type=x'), {}), 'GetObject');
  });

  it('names what it does not implement', () => {
    assert.equal(resolveOperation('PUT', bucket, q('acl'), {}), 'NotImplemented:PutBucketAcl');
    assert.equal(resolveOperation('GET', bucket, q('lifecycle'), {}), 'NotImplemented:GetBucketLifecycleConfiguration');
    assert.equal(resolveOperation('PUT', object, q('tagging'), {}), 'NotImplemented:PutObjectTagging');
    assert.equal(resolveOperation('POST', object, q('restore'), {}), 'NotImplemented:RestoreObject');
    assert.equal(resolveOperation('GET', bucket, q('madeUpThing'), {}), 'NotImplemented:GetBucketMadeUpThing');
    assert.equal(operationNameFor('PUT', 'Bucket', 'versioning'), 'PutBucketVersioning');
  });

  it('tells subresources from parameters', () => {
    assert.deepEqual(subresourcesOf(q('list-type=2&prefix=&delimiter=%2F&encoding-type=url')), []);
    assert.deepEqual(subresourcesOf(q('acl&versionId=null')), ['acl']);
    assert.deepEqual(subresourcesOf(q('tagging=')), ['tagging']);
  });
});

describe('ranges', () => {
  it('reads first-last, open-ended and suffix ranges', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=90-500', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-500', 100), { start: 0, end: 99 });
  });

  it('ignores what it cannot read, as S3 does', () => {
    assert.equal(parseRange('items=0-9', 100), undefined);
    assert.equal(parseRange('bytes=0-1,5-6', 100), undefined);
    assert.equal(parseRange('bytes=9-1', 100), undefined);
  });

  it('answers unsatisfiable ranges with InvalidRange', () => {
    assert.throws(() => parseRange('bytes=100-', 100), { code: 'InvalidRange', status: 416 });
    assert.throws(() => parseRange('bytes=-0', 100), { code: 'InvalidRange' });
    assert.throws(() => parseRange('bytes=0-', 0), { code: 'InvalidRange' });
  });
});
