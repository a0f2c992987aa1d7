import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { assertValidKey, bucketNameProblem, formDecodeKey, formEncodeKey } from '../../../../../emulator/services/s3/names.js';

describe('bucket names', () => {
  for (const name of ['abc', 'my-bucket', 'my.bucket.name', 'a1b2c3', 'x'.repeat(63), '1bucket', 'bucket-1']) {
    it(`accepts ${name.length > 20 ? `${name.length} characters` : name}`, () => {
      assert.equal(bucketNameProblem(name), undefined);
    });
  }

  const invalid: [string, string][] = [
    ['ab', 'too short'],
    ['x'.repeat(64), 'too long'],
    ['My-Bucket', 'upper case'],
    ['my_bucket', 'underscore'],
    ['-bucket', 'leading hyphen'],
    ['bucket-', 'trailing hyphen'],
    ['.bucket', 'leading dot'],
    ['my..bucket', 'adjacent dots'],
    ['192.168.5.4', 'IP address'],
    ['xn--bucket', 'xn-- prefix'],
    ['sthree-bucket', 'sthree- prefix'],
    ['bucket-s3alias', '-s3alias suffix'],
    ['bucket--ol-s3', '--ol-s3 suffix'],
    ['bucket--x-s3', 'directory bucket suffix'],
    ['my bucket', 'space'],
    ['bücket', 'non-ASCII'],
  ];
  for (const [name, why] of invalid) {
    it(`refuses ${why}`, () => {
      assert.notEqual(bucketNameProblem(name), undefined);
    });
  }
});

describe('keys', () => {
  it('accepts 1024 UTF-8 bytes and refuses 1025 with KeyTooLongError', () => {
    assert.doesNotThrow(() => assertValidKey('k'.repeat(1024)));
    assert.doesNotThrow(() => assertValidKey('é'.repeat(512)));
    assert.throws(() => assertValidKey('k'.repeat(1025)), { code: 'KeyTooLongError' });
    assert.throws(() => assertValidKey('é'.repeat(513)), { code: 'KeyTooLongError' });
  });

  it('encodes event keys like S3: spaces as +, + as %2B, / kept', () => {
    assert.equal(formEncodeKey('uploads/my photo.jpg'), 'uploads/my+photo.jpg');
    assert.equal(formEncodeKey('a+b.jpg'), 'a%2Bb.jpg');
    assert.equal(formEncodeKey('Fotos (1)/café.png'), 'Fotos+%281%29/caf%C3%A9.png');
    assert.equal(formEncodeKey('../../etc/passwd'), '../../etc/passwd');
    assert.equal(formEncodeKey('a=b&c?d#e%f'), 'a%3Db%26c%3Fd%23e%25f');
  });

  it('decodes what it encodes, for any key (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), (key) => {
        assert.equal(formDecodeKey(formEncodeKey(key)), key);
      }),
    );
  });
});
