import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  checksumHeaderName,
  compositeChecksum,
  computeChecksum,
  crc32,
  crc32c,
  crc64nvme,
  isWellFormedChecksum,
  isWellFormedContentMd5,
  multipartEtag,
  parseChecksumAlgorithm,
} from '../../../../../emulator/services/s3/checksums.js';

const CHECK = Buffer.from('123456789');

describe('checksums', () => {
  it('computes the standard check values for "123456789"', () => {
    assert.equal(crc32(CHECK).toString(16), 'cbf43926');
    assert.equal(crc32c(CHECK).toString(16), 'e3069283');
    assert.equal(crc64nvme(CHECK).toString('hex'), 'ae8b14860a799888');
  });

  it('continues a running CRC across pieces', () => {
    assert.equal(crc32c(Buffer.from('56789'), crc32c(Buffer.from('1234'))), crc32c(CHECK));
    assert.equal(crc32(Buffer.from('56789'), crc32(Buffer.from('1234'))), crc32(CHECK));
  });

  it('encodes values the way the SDK sends them (base64 of the big-endian digest)', () => {
    // The JS SDK sent these for "hello" and "hello world".
    assert.equal(computeChecksum('CRC32', Buffer.from('hello')), 'NhCmhg==');
    assert.equal(computeChecksum('CRC32', Buffer.from('hello world')), 'DUoRhQ==');
    assert.equal(computeChecksum('SHA256', Buffer.from('abc')), 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
    assert.equal(computeChecksum('SHA1', Buffer.from('abc')), 'qZk+NkcGgWq6PiVxeFDCbJzQ2J0=');
    assert.equal(computeChecksum('CRC32C', CHECK), '4waSgw==');
  });

  it('tells well-formed values from malformed ones', () => {
    assert.ok(isWellFormedChecksum('CRC32', 'NhCmhg=='));
    assert.ok(!isWellFormedChecksum('CRC32', 'NhCmhg'));
    assert.ok(!isWellFormedChecksum('CRC32', 'not base64!'));
    assert.ok(!isWellFormedChecksum('SHA256', 'NhCmhg=='));
    assert.ok(isWellFormedContentMd5('XUFAKrxLKna5cZ2REBfFkg=='));
    assert.ok(!isWellFormedContentMd5('5d41402abc4b2a76b9719d911017c592'));
  });

  it('names algorithms and their headers', () => {
    assert.equal(parseChecksumAlgorithm('crc32c'), 'CRC32C');
    assert.equal(parseChecksumAlgorithm('x-amz-checksum-sha1'), 'SHA1');
    assert.equal(parseChecksumAlgorithm('md5'), undefined);
    assert.equal(checksumHeaderName('CRC64NVME'), 'x-amz-checksum-crc64nvme');
  });

  it('builds multipart ETags from the binary part MD5s', () => {
    const partMd5s = ['hello', 'world'].map((text) => createHash('md5').update(text).digest());
    const expected = `${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-2`;

    assert.equal(multipartEtag([`"${partMd5s[0]!.toString('hex')}"`, partMd5s[1]!.toString('hex')]), expected);
  });

  it('builds composite checksums with a part count', () => {
    const parts = [computeChecksum('CRC32', Buffer.from('a')), computeChecksum('CRC32', Buffer.from('b'))];
    const joined = Buffer.concat(parts.map((value) => Buffer.from(value, 'base64')));
    assert.equal(compositeChecksum('CRC32', parts), `${computeChecksum('CRC32', joined)}-2`);
  });
});
