// Which service a request head goes to, for the cases S3 Control adds: it signs as `s3`, so its own path prefix and
// account header decide, and a bucket that happens to be called like its API version stays S3.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickService } from '../../../../emulator/core/routing.js';

const s3Caller = { accessKeyId: 'test', region: 'us-east-1', service: 's3' };

describe('pickService and S3 Control', () => {
  it('sends /v20180820/ requests that carry x-amz-account-id to S3 Control, signed for s3 or not at all', () => {
    assert.equal(pickService('GET', '/v20180820/jobs', { 'x-amz-account-id': '000000000000' }, s3Caller, undefined), 's3control');
    assert.equal(pickService('POST', '/v20180820/jobs/abcde/status', { 'x-amz-account-id': '000000000000' }, undefined, undefined), 's3control');
  });

  it('keeps a bucket named v20180820 in S3 when no account header comes with it', () => {
    assert.equal(pickService('GET', '/v20180820/jobs', {}, s3Caller, undefined), 's3');
  });

  it('follows the credential scope when it names another service', () => {
    assert.equal(pickService('GET', '/v20180820/jobs', { 'x-amz-account-id': '000000000000' }, { ...s3Caller, service: 'lambda' }, undefined), 'lambda');
  });
});
