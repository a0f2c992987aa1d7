import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { decodeEventKey } from '../../../../../function/key.js';
import { buildS3PutEvent, describeFunctionError, encodeEventKey, readEventFile, rejectedRecords } from '../../../../../cli/core/operate/invoke.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TEMPLATE = JSON.parse(readFileSync(new URL('../../../../../templates/s3-put-event.json', import.meta.url), 'utf8')) as unknown;

describe('encodeEventKey', () => {
  it('writes a space as + and a plus as %2B, keeping slashes', () => {
    assert.equal(encodeEventKey('albums/my photo+1-10x10.jpg'), 'albums/my+photo%2B1-10x10.jpg');
  });

  it('is undone by the function’s decodeEventKey, for any key', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), (key) => decodeEventKey(encodeEventKey(key)) === key));
  });
});

describe('buildS3PutEvent', () => {
  const eventTime = new Date('2026-11-26T21:52:42.123Z');

  it('fills the template’s record with the bucket, key, object and time', () => {
    // Act
    const event = buildS3PutEvent(TEMPLATE, { bucket: 'src', key: 'my photo-400x400.jpg', region: 'eu-west-1', size: 1234, eTag: '"abc"', eventTime });

    // Assess
    assert.equal(event.Records.length, 1);
    const [record] = event.Records;
    assert.equal(record.eventName, 'ObjectCreated:Put');
    assert.equal(record.eventSource, 'aws:s3');
    assert.equal(record.awsRegion, 'eu-west-1');
    assert.equal(record.eventTime, '2026-11-26T21:52:42.123Z');
    assert.deepEqual({ name: record.s3.bucket.name, arn: record.s3.bucket.arn }, { name: 'src', arn: 'arn:aws:s3:::src' });
    assert.equal(record.s3.object.key, 'my+photo-400x400.jpg');
    assert.equal(record.s3.object.size, 1234);
    assert.equal(record.s3.object.eTag, 'abc');
  });

  it('leaves no placeholder bucket or key behind, and does not change the template', () => {
    const before = JSON.stringify(TEMPLATE);
    const text = JSON.stringify(buildS3PutEvent(TEMPLATE, { bucket: 'src', key: 'k-1x1.jpg', region: 'us-east-1', eventTime }));
    assert.doesNotMatch(text, /example-bucket|example-400x400/);
    assert.equal(JSON.stringify(TEMPLATE), before);
  });

  it('sends size 0 and no ETag for an object that does not exist', () => {
    const event = buildS3PutEvent(TEMPLATE, { bucket: 'src', key: 'k-1x1.jpg', region: 'us-east-1', eventTime });
    assert.equal(event.Records[0].s3.object.size, 0);
    assert.equal('eTag' in event.Records[0].s3.object, false);
  });

  it('refuses a template without records', () => {
    assert.throws(() => buildS3PutEvent({}, { bucket: 'b', key: 'k', region: 'us-east-1', eventTime }), /no Records\[0\]/);
  });
});

describe('describeFunctionError', () => {
  it('gives errorType: errorMessage from the payload', () => {
    const result = { functionName: 'f', statusCode: 200, functionError: 'Unhandled', payload: { errorType: 'TypeError', errorMessage: 'x is not iterable' }, logTail: null };
    assert.equal(describeFunctionError(result), 'TypeError: x is not iterable');
  });

  it('is undefined when the function succeeded', () => {
    assert.equal(describeFunctionError({ functionName: 'f', statusCode: 200, functionError: null, payload: {}, logTail: null }), undefined);
  });
});

describe('rejectedRecords', () => {
  it('lists the records the thumbnailer rejected', () => {
    const payload = { results: [{ key: 'a', status: 'created' }, { key: 'b', status: 'rejected', reason: 'not an image' }, { key: 'c', status: 'skipped', reason: 'gone' }] };
    assert.deepEqual(rejectedRecords(payload), [{ key: 'b', reason: 'not an image' }]);
  });

  it('finds none in other payloads', () => {
    assert.deepEqual(rejectedRecords(null), []);
    assert.deepEqual(rejectedRecords('text'), []);
    assert.deepEqual(rejectedRecords({ results: 'x' }), []);
  });
});

describe('readEventFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'thumbctl-event-'));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const usage = (path: string, pattern: RegExp) => (error: unknown) => {
    const e = error as { exitCode?: number; message: string };
    assert.equal(e.exitCode, 2);
    assert.ok(e.message.includes(path), `names the file: ${e.message}`);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  };

  it('refuses malformed JSON, naming the file', async () => {
    const path = file('bad.json', '{"Records": [');
    await assert.rejects(readEventFile(path), usage(path, /is not JSON/));
  });

  it('refuses JSON nested too deep to be sent, naming the file, however deep', async () => {
    for (const depth of [600, 20_000, 200_000]) {
      const arrays = file(`arrays-${depth}.json`, `${'['.repeat(depth)}${']'.repeat(depth)}`);
      await assert.rejects(readEventFile(arrays), usage(arrays, /nested/));
      const objects = file(`objects-${depth}.json`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
      await assert.rejects(readEventFile(objects), usage(objects, /nested/));
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
