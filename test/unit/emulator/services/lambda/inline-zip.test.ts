// Reading a large inline package straight from the body's bytes gives what the plain JSON parse and base64 decode
// give, or nothing (the plain parse then decides): never a different package, never a body JSON refuses.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { INLINE_ZIP_MIN_BYTES, parseWithInlineZip } from '../../../../../emulator/services/lambda/inline-zip.js';

const parse = (body: Buffer): Record<string, unknown> => JSON.parse(body.toString('utf8')) as Record<string, unknown>;
const zip = randomBytes(INLINE_ZIP_MIN_BYTES + 1001);
const base64 = zip.toString('base64');

describe('parseWithInlineZip', () => {
  it('decodes the package of an UpdateFunctionCode body and parses the rest as JSON.parse does', () => {
    // Prepare
    const body = Buffer.from(JSON.stringify({ ZipFile: base64, Publish: true, RevisionId: 'r-1', Architectures: ['arm64'] }));

    // Act
    const read = parseWithInlineZip(body, ['ZipFile'], parse);

    // Assess
    assert.ok(read);
    assert.ok(read.zip.equals(zip));
    const plain = parse(body);
    assert.deepEqual({ ...read.input, ZipFile: undefined }, { ...plain, ZipFile: undefined });
  });

  it('decodes Code.ZipFile of a CreateFunction body, and every padding length', () => {
    for (const extra of [0, 1, 2]) {
      const bytes = randomBytes(INLINE_ZIP_MIN_BYTES + extra);
      const body = Buffer.from(JSON.stringify({ FunctionName: 'f', Code: { ZipFile: bytes.toString('base64') }, Role: 'arn:aws:iam::000000000000:role/r' }));
      const read = parseWithInlineZip(body, ['Code', 'ZipFile'], parse);
      assert.ok(read, `padding case ${extra}`);
      assert.ok(read.zip.equals(bytes));
      assert.equal(read.input.FunctionName, 'f');
    }
  });

  it('leaves to the plain parse what it cannot read exactly as JSON would', () => {
    const cases: Record<string, string> = {
      'a small body': JSON.stringify({ ZipFile: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' }),
      'an escaped slash': `{"ZipFile":"${base64.replace('/', '\\/')}${base64.includes('/') ? '' : '\\/AAA'}"}`,
      'a raw control character': `{"ZipFile":"${base64.slice(0, 400)}\n${base64.slice(400)}"}`,
      'two raw control characters': `{"ZipFile":"${base64.slice(0, 400)}\t\t${base64.slice(400)}"}`,
      'a non-ASCII character': `{"ZipFile":"${base64.slice(0, 400)}é${base64.slice(400)}"}`,
      'padding inside the text': `{"ZipFile":"${base64.slice(0, 400)}==${base64.slice(400)}"}`,
      'a duplicate key, the last one winning': `{"ZipFile":"${base64}","ZipFile":"QUJD"}`,
      'the characters inside another key': `{"x\\"ZipFile":"${base64}","ZipFile":"QUJD"}`,
      'the member at another level': `{"Code":{"S3Bucket":"b"},"ZipFile":"${base64}"}`,
      'malformed JSON around it': `{"ZipFile":"${base64}",}`,
      'spaces around the colon': `{"ZipFile" : "${base64}"}`,
    };
    for (const [label, text] of Object.entries(cases)) {
      const path = label === 'the member at another level' ? ['Code', 'ZipFile'] : ['ZipFile'];
      assert.equal(parseWithInlineZip(Buffer.from(text), path, parse), undefined, label);
    }
  });

  it('never returns a package other than the one the plain parse decodes', () => {
    // A body whose value has its first quote right after a backslash pair: "…\\" ends the string there.
    const text = `{"ZipFile":"${base64.slice(0, 1000)}\\\\","Description":"${base64.slice(1000)}"}`;
    const read = parseWithInlineZip(Buffer.from(text), ['ZipFile'], parse);
    assert.equal(read, undefined);
  });
});
