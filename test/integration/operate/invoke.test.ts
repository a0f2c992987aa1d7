// `thumbctl invoke` against a real local cloud: the synthetic S3 put event from templates/, the response, the
// function's error and the log tail, and the checks on --event made before anything is sent.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SAMPLE_PHOTO, startOperateCloud, type OperateCloud } from './support.js';

let cloud: OperateCloud;

before(async () => {
  cloud = await startOperateCloud('invoke');
  // Straight into the bucket: these tests are about invoke, and the trigger's own run does not matter.
  await cloud.clients.s3.send(new PutObjectCommand({ Bucket: cloud.settings.sourceBucket, Key: 'red rock-160x120.jpg', Body: readFileSync(SAMPLE_PHOTO), ContentType: 'image/jpeg' }));
  await cloud.clients.s3.send(new PutObjectCommand({ Bucket: cloud.settings.sourceBucket, Key: 'broken-50x50.jpg', Body: Buffer.from('not a picture'), ContentType: 'image/jpeg' }));
});

after(async () => {
  await cloud?.close();
});

describe('thumbctl invoke', () => {
  it('sends an S3 put event for the key and shows the result and the log tail', async () => {
    // Act
    const result = await cloud.thumbctl(['invoke', 'red rock-160x120.jpg', '--json']);

    // Assess
    assert.equal(result.code, 0, result.stderr);
    const report = result.json();
    assert.deepEqual(Object.keys(report).sort(), ['functionError', 'functionName', 'logTail', 'payload', 'statusCode']);
    assert.equal(report.functionName, cloud.settings.functionName);
    assert.equal(report.statusCode, 200);
    assert.equal(report.functionError, null);
    assert.deepEqual(report.payload.results.map((r: { key: string; status: string; width: number; height: number }) => [r.key, r.status, r.width, r.height]), [['red rock-160x120.jpg', 'created', 160, 120]]);
    assert.match(report.logTail, /START RequestId: .*\n[\s\S]*REPORT RequestId: /);
  });

  it('prints the payload on stdout and the log tail on stderr for people', async () => {
    const result = await cloud.thumbctl(['invoke', 'red rock-160x120.jpg']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).results[0].status, 'created');
    assert.match(result.stderr, /log tail:\n[\s\S]*thumbnail created[\s\S]*-- REPORT RequestId/);
  });

  it('shows the function’s rejection and exits 1 for an object that is no image', async () => {
    const result = await cloud.thumbctl(['invoke', 'broken-50x50.jpg']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /the function rejected broken-50x50\.jpg: .+/);
    assert.match(result.stderr, /!! ERROR thumbnail rejected/, 'the log tail shows the rejection, marked');
  });

  it('warns about a missing object and shows what the function made of it', async () => {
    const result = await cloud.thumbctl(['invoke', 'ghost-10x10.jpg', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /ghost-10x10\.jpg does not exist; sending the event anyway/);
    const [record] = result.json().payload.results;
    assert.equal(record.status, 'skipped');
    assert.match(record.reason, /no longer exists/);
  });

  it('sends the --event file instead, and reports a function error with exit code 1', async () => {
    // Prepare: a well-formed record for a bucket that does not exist: reading it fails, and the handler throws
    // (an S3 failure may be transient, so it is Lambda's to retry).
    const file = join(cloud.dir, 'missing-bucket-event.json');
    writeFileSync(file, JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'no-such-bucket-for-invoke' }, object: { key: 'x-10x10.jpg' } } }] }));

    // Act
    const result = await cloud.thumbctl(['invoke', '--event', file, '--json']);

    // Assess
    assert.equal(result.code, 1);
    const report = result.json();
    assert.equal(report.functionError, 'Unhandled');
    assert.match(result.stderr, /the function failed: /);
  });

  it('reports an --event the function cannot use as a rejection (permanent, exit 1), not as a function error', async () => {
    // Records that are not a list are not an S3 event: the handler rejects it instead of throwing.
    const file = join(cloud.dir, 'bad-event.json');
    writeFileSync(file, JSON.stringify({ Records: 5 }));

    const result = await cloud.thumbctl(['invoke', '--event', file, '--json']);

    assert.equal(result.code, 1);
    const report = result.json();
    assert.equal(report.functionError, null);
    assert.equal(report.payload.results[0].status, 'rejected');
    assert.match(result.stderr, /the function rejected .*not an S3 event: Records is not a list/);
  });

  it('refuses an --event file that does not exist or is not JSON, with exit code 2', async () => {
    const missing = await cloud.thumbctl(['invoke', '--event', join(cloud.dir, 'nope.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--event: file not found/);

    const file = join(cloud.dir, 'not.json');
    writeFileSync(file, '{ nope');
    const notJson = await cloud.thumbctl(['invoke', '--event', file]);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /is not JSON/);
  });

  it('asks for a key or an event, not neither nor both (exit code 2)', async () => {
    const neither = await cloud.thumbctl(['invoke']);
    assert.equal(neither.code, 2);
    const both = await cloud.thumbctl(['invoke', 'x-1x1.jpg', '--event', 'e.json']);
    assert.equal(both.code, 2);
  });

  it('says to run setup when the function does not exist', async () => {
    const result = await cloud.thumbctl(['invoke', 'x-1x1.jpg', '--function-name', 'no-such-function']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /function no-such-function does not exist: run `thumbctl setup` first/);
  });
});
