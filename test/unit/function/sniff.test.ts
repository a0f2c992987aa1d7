import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import sharp from 'sharp';

import { DEFAULT_TRIGGER_SUFFIXES } from '../../../function/formats.js';
import { REFUSAL_REASONS, sniffImage } from '../../../function/sniff.js';
import { heicHeader, pdfDocument, solid } from './support/images.js';

describe('sniffImage', () => {
  const samples: Record<string, Buffer> = {};
  before(async () => {
    samples.jpeg = await solid(8, 8, 'red').jpeg().toBuffer();
    samples.progressive = await solid(8, 8, 'red').jpeg({ progressive: true }).toBuffer();
    samples.png = await solid(8, 8, 'red').png().toBuffer();
    samples.webp = await solid(8, 8, 'red').webp().toBuffer();
    samples.gif = await solid(8, 8, 'red').gif().toBuffer();
    samples.avif = await solid(8, 8, 'red').avif().toBuffer();
    samples.tiff = await solid(8, 8, 'red').tiff().toBuffer();
  });

  it('accepts the five formats we read, by their magic bytes', () => {
    // Act / Assess
    for (const [name, format] of [
      ['jpeg', 'jpeg'],
      ['progressive', 'jpeg'],
      ['png', 'png'],
      ['webp', 'webp'],
      ['gif', 'gif'],
      ['avif', 'avif'],
    ] as const) {
      assert.deepEqual(sniffImage(samples[name]!), { accepted: true, format }, name);
    }
  });

  it('accepts an AVIF whose major brand is mif1 and which lists avif among its compatible brands', () => {
    // Prepare
    const avif = Buffer.from(samples.avif!);
    avif.write('mif1', 8, 'latin1');

    // Act / Assess
    assert.deepEqual(sniffImage(avif), { accepted: true, format: 'avif' });
  });

  it('refuses HEIC by name, whether branded heic or a HEIF container listing heic', () => {
    // Act / Assess
    for (const brand of ['heic', 'mif1'] as const) {
      assert.deepEqual(sniffImage(heicHeader(brand)), { accepted: false, reason: REFUSAL_REASONS.heic }, brand);
    }
    assert.match(REFUSAL_REASONS.heic, /^unsupported image format: heic \(.*needs an HEVC decoder, which the prebuilt libvips in sharp does not have/);
  });

  it('matches the prebuilt libvips: its HEIF loader reads only .avif, so HEIC would need a decoder it lacks', () => {
    // Act
    const heif = sharp.format.heif.input as { buffer: boolean; fileSuffix?: string[] };

    // Assess
    assert.equal(heif.buffer, true);
    assert.deepEqual(heif.fileSuffix, ['.avif']);
  });

  it('refuses SVG however it starts, and names it', () => {
    // Prepare
    const svgs = [
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
      '  \n\t<svg width="10" height="10"></svg>',
      '\ufeff<svg/>',
      '<?xml version="1.0" encoding="UTF-8"?>\n<!-- drawn by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n<SVG width="1" height="1"></SVG>',
    ];

    // Act / Assess
    for (const svg of svgs) assert.deepEqual(sniffImage(Buffer.from(svg)), { accepted: false, reason: REFUSAL_REASONS.svg }, svg);
  });

  it('refuses PDF, also with bytes before its header', () => {
    // Act / Assess
    assert.deepEqual(sniffImage(pdfDocument()), { accepted: false, reason: REFUSAL_REASONS.pdf });
    assert.deepEqual(sniffImage(Buffer.concat([Buffer.alloc(100, 0x20), pdfDocument()])), { accepted: false, reason: REFUSAL_REASONS.pdf });
  });

  it('refuses TIFF with the reason it always had', () => {
    // Act / Assess
    assert.deepEqual(sniffImage(samples.tiff!), { accepted: false, reason: 'unsupported image format: tiff' });
  });

  it('refuses everything else as not an image', () => {
    // Prepare
    const others = [
      Buffer.alloc(0),
      Buffer.from('hello'),
      Buffer.from('<html><body>no</body></html>'),
      Buffer.from([0x1f, 0x8b, 0x08, 0x00]), // gzip, e.g. an .svgz
      Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('ftypisom\0\0\0\0mp41', 'latin1')]), // an MP4
      Buffer.from('BM'), // BMP
      Buffer.from([0xff, 0xd8]), // two bytes of a JPEG
    ];

    // Act / Assess
    for (const bytes of others) assert.deepEqual(sniffImage(bytes), { accepted: false, reason: REFUSAL_REASONS.unknown }, bytes.toString('latin1'));
  });
});

describe('DEFAULT_TRIGGER_SUFFIXES', () => {
  it('lists every extension the function reads, AVIF and GIF included, in lower case', () => {
    // Act / Assess
    assert.deepEqual([...DEFAULT_TRIGGER_SUFFIXES].sort(), ['.avif', '.gif', '.jpeg', '.jpg', '.png', '.webp']);
  });
});
