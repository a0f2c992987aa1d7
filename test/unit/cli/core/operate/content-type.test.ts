import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { sniffImageType } from '../../../../../cli/core/operate/content-type.js';

const bytes = (...parts: (number[] | string)[]): Buffer => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));

describe('sniffImageType', () => {
  const cases = [
    { name: 'JPEG', data: bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF'), contentType: 'image/jpeg' },
    { name: 'PNG', data: bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d], 'IHDR'), contentType: 'image/png' },
    { name: 'WebP', data: bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '), contentType: 'image/webp' },
    { name: 'GIF89a', data: bytes('GIF89a', [1, 0, 1, 0]), contentType: 'image/gif' },
    { name: 'GIF87a', data: bytes('GIF87a', [1, 0, 1, 0]), contentType: 'image/gif' },
    { name: 'TIFF (little-endian)', data: bytes([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]), contentType: 'image/tiff' },
    { name: 'AVIF', data: bytes([0, 0, 0, 0x1c], 'ftypavif', [0, 0, 0, 0]), contentType: 'image/avif' },
  ];
  for (const { name, data, contentType } of cases) {
    it(`recognises ${name}`, () => {
      assert.equal(sniffImageType(data)?.contentType, contentType);
    });
  }

  it('knows nothing of a RIFF file that is not WebP (a WAV)', () => {
    assert.equal(sniffImageType(bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt ')), undefined);
  });

  it('answers undefined for text, an empty file and a truncated signature', () => {
    assert.equal(sniffImageType(Buffer.from('not an image at all')), undefined);
    assert.equal(sniffImageType(Buffer.alloc(0)), undefined);
    assert.equal(sniffImageType(bytes([0x89], 'PN')), undefined);
  });

  it('names the formats the function refuses, with its reason word for word', () => {
    const heic = sniffImageType(bytes([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0], 'mif1heic'));
    assert.equal(heic?.format, 'heif');
    assert.match(heic?.refusal ?? '', /^unsupported image format: heic \(HEIC\/HEIF needs an HEVC decoder/);
    assert.equal(sniffImageType(bytes('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'))?.contentType, 'image/svg+xml');
    assert.equal(sniffImageType(bytes('%PDF-1.7\n'))?.refusal, 'unsupported image format: pdf (documents are refused before parsing and never rendered)');
    assert.equal(sniffImageType(bytes([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]))?.refusal, 'unsupported image format: tiff');
    assert.equal(sniffImageType(bytes([0xff, 0xd8, 0xff, 0xe0]))?.refusal, undefined, 'a JPEG is read');
  });

  it('goes by the bytes, not the name: a PNG is image/png whatever it is called', () => {
    assert.equal(sniffImageType(bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a]))?.format, 'png');
  });
});
