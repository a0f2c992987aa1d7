import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AwsError } from '../../../../../emulator/core/errors.js';
import { decodeAwsChunked, encodeAwsChunked } from '../../../../../emulator/services/s3/chunked.js';

const SIGNATURE = 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648';

describe('decodeAwsChunked', () => {
  it('decodes the unsigned-trailer framing the JS SDK sends for streams', () => {
    const body = Buffer.from('b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n', 'latin1');

    const decoded = decodeAwsChunked(body);

    assert.equal(decoded.payload.toString(), 'hello world');
    assert.deepEqual({ ...decoded.trailers }, { 'x-amz-checksum-crc32': 'DUoRhQ==' });
  });

  it('decodes SigV4 streaming framing and collects the chunk signatures', () => {
    const body = Buffer.from(
      `5;chunk-signature=${SIGNATURE}\r\nhello\r\n6;chunk-signature=${SIGNATURE}\r\n world\r\n0;chunk-signature=${SIGNATURE}\r\n\r\n`,
      'latin1',
    );

    const decoded = decodeAwsChunked(body);

    assert.equal(decoded.payload.toString(), 'hello world');
    assert.deepEqual({ ...decoded.trailers }, {});
    assert.equal(decoded.chunkSignatures.length, 3);
  });

  it('decodes signed framing with a trailer and its signature', () => {
    const body = Buffer.from(
      `3;chunk-signature=${SIGNATURE}\r\nabc\r\n0;chunk-signature=${SIGNATURE}\r\nx-amz-checksum-sha256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\r\nx-amz-trailer-signature:${SIGNATURE}\r\n\r\n`,
      'latin1',
    );

    const decoded = decodeAwsChunked(body);

    assert.equal(decoded.payload.toString(), 'abc');
    assert.equal(decoded.trailers['x-amz-checksum-sha256'], 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
  });

  it('decodes an empty payload', () => {
    assert.equal(decodeAwsChunked(Buffer.from('0\r\n\r\n')).payload.length, 0);
  });

  it('refuses a body shorter than a chunk claims with IncompleteBody', () => {
    assert.throws(() => decodeAwsChunked(Buffer.from('10\r\nhello\r\n0\r\n\r\n')), { code: 'IncompleteBody' });
  });

  it('refuses a size that is not hexadecimal with InvalidRequest', () => {
    assert.throws(() => decodeAwsChunked(Buffer.from('zz\r\nhello\r\n0\r\n\r\n')), { code: 'InvalidRequest' });
  });

  it('refuses chunk data that is not followed by CRLF', () => {
    assert.throws(() => decodeAwsChunked(Buffer.from('3\r\nhelXX0\r\n\r\n')), { code: 'InvalidRequest' });
  });

  it('refuses bytes after the end of the trailers', () => {
    assert.throws(() => decodeAwsChunked(Buffer.from('0\r\n\r\nextra')), { code: 'InvalidRequest' });
  });

  it('round-trips any payload, chunk size and trailers (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 4096 }),
        fc.integer({ min: 1, max: 1024 }),
        fc.boolean(),
        fc.dictionary(fc.stringMatching(/^x-amz-[a-z0-9-]{1,20}$/), fc.stringMatching(/^[A-Za-z0-9+/=]{0,64}$/), { maxKeys: 3 }),
        (bytes, chunkSize, signed, trailers) => {
          const payload = Buffer.from(bytes);
          const decoded = decodeAwsChunked(encodeAwsChunked(payload, { chunkSize, trailers, signed }));
          assert.ok(decoded.payload.equals(payload));
          assert.deepEqual({ ...decoded.trailers }, { ...trailers });
        },
      ),
    );
  });

  it('answers corrupt framing only with S3 errors, never anything else (property)', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
      fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.integer({ min: 1, max: 128 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (bytes, chunkSize, mutations) => {
        let body = encodeAwsChunked(Buffer.from(bytes), { chunkSize, trailers: { 'x-amz-checksum-crc32': 'AAAAAA==' } });
        for (const change of mutations) {
          if (change.kind === 'garbage') body = Buffer.from(change.bytes);
          else if (body.length === 0) continue;
          else if (change.kind === 'flip') body[change.at % body.length] = change.value;
          else if (change.kind === 'truncate') body = body.subarray(0, change.at % body.length);
          else body = Buffer.concat([body.subarray(0, change.at % body.length), Buffer.from(change.bytes), body.subarray(change.at % body.length)]);
        }
        try {
          decodeAwsChunked(body);
        } catch (error) {
          assert.ok(error instanceof AwsError, `threw ${String(error)}`);
          assert.ok(['IncompleteBody', 'InvalidRequest'].includes(error.code));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
