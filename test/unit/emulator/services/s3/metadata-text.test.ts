// User metadata text against AWS's recorded answers (LocalStack's test_user_metadata_rfc2047_encoded and
// test_put_unicode_metadata_with_sig_s3 recordings): what was sent, what AWS returned.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEncodedWords, readMetadataValue, writeMetadataValue } from '../../../../../emulator/services/s3/metadata-text.js';

/** RFC 2047 B encoding of a string's UTF-8, as a client encodes what it sends. */
const b = (text: string) => `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;

describe('user metadata text', () => {
  it('stores decoded and returns values as AWS returned them', () => {
    const recorded: [sent: string, returned: string][] = [
      [b('test_—_file%E2%80%94_é_2?.pdf'), '=?UTF-8?Q?test=5F=E2=80=94=5Ffile%E2%80%94=5F=C3=A9=5F2=3F.pdf?='],
      [b('ÄMÄZÕÑ S3'), '=?UTF-8?Q?=C3=84M=C3=84Z=C3=95=C3=91_S3?='],
      [b('\x00\x01\x02\x03'), '=?UTF-8?B?AAECAw==?='],
      [b('\uFFFD'.repeat(7)), '=?UTF-8?B?77+977+977+977+977+977+977+9?='],
      ['=?UTF-8?Q?actually-ascii?=', 'actually-ascii'],
      ['=?UTF-8?B?YWJj?=', 'abc'],
      ['!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'],
      [b('non-ascii-%E2%80%94_—_é_'), '=?UTF-8?Q?non-ascii-%E2%80%94=5F=E2=80=94=5F=C3=A9=5F?='],
    ];
    for (const [sent, returned] of recorded) assert.equal(writeMetadataValue(readMetadataValue(sent)), returned, sent);
  });

  it('reads raw header bytes as UTF-8 when they are UTF-8, else as ISO-8859-1', () => {
    const utf8Bytes = Buffer.from('Hello Worldé', 'utf8').toString('latin1');
    assert.equal(readMetadataValue(utf8Bytes), 'Hello Worldé');
    assert.equal(readMetadataValue('Hello World\xe9'), 'Hello Worldé');
    assert.equal(writeMetadataValue('Hello Worldé'), '=?UTF-8?Q?Hello_World=C3=A9?=');
  });

  it('splits a long value into encoded words of at most 75 characters, never a line break in a header', () => {
    const long = 'é'.repeat(200);
    const written = writeMetadataValue(long);
    const words = written.split(' ');
    assert.ok(words.length > 1);
    for (const word of words) assert.ok(word.length <= 75, word);
    assert.equal(decodeEncodedWords(written), long);
    assert.equal(writeMetadataValue('line\r\nbreak'), '=?UTF-8?Q?line=0D=0Abreak?=');
    assert.equal(writeMetadataValue('😀'.repeat(40)).split(' ').map((word) => decodeEncodedWords(word)).join(''), '😀'.repeat(40));
  });

  it('keeps what is not an encoded word, and words in unknown charsets, as sent', () => {
    assert.equal(decodeEncodedWords('=?UTF-8?Q?a?= =?UTF-8?Q?b?= plain =?UTF-8?Q?c?='), 'ab plain c');
    assert.equal(decodeEncodedWords('=?x-unknown?Q?a?='), '=?x-unknown?Q?a?=');
    assert.equal(decodeEncodedWords('=?UTF-8?Q?bad=Z?='), '=?UTF-8?Q?bad=Z?=');
    assert.equal(decodeEncodedWords('=?ISO-8859-1?Q?caf=E9?='), 'café');
  });
});
