import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ConfigError, loadConfig, readConfig, readS3Settings } from '../../../function/config.js';

describe('readConfig', () => {
  it('uses the documented defaults when only the bucket is set', () => {
    // Act
    const config = readConfig({ THUMBNAIL_BUCKET: 'thumbs' });

    // Assess
    assert.deepEqual(config, { thumbnailBucket: 'thumbs', fit: 'cover', maxSide: 4096, maxPixels: 100_000_000 });
  });

  it('reads every variable', () => {
    // Act
    const config = readConfig({
      THUMBNAIL_BUCKET: ' thumbs ',
      THUMBNAIL_FIT: 'INSIDE',
      THUMBNAIL_MAX_SIZE: '1024',
      THUMBNAIL_MAX_PIXELS: '50_000_000',
    });

    // Assess
    assert.deepEqual(config, { thumbnailBucket: 'thumbs', fit: 'inside', maxSide: 1024, maxPixels: 50_000_000 });
  });

  it("reads the function's own name from AWS_LAMBDA_FUNCTION_NAME, which Lambda sets", () => {
    assert.equal(readConfig({ THUMBNAIL_BUCKET: 'b', AWS_LAMBDA_FUNCTION_NAME: 'alice-thumbnailer' }).functionName, 'alice-thumbnailer');
  });

  it('treats empty values as unset', () => {
    // Act
    const config = readConfig({ THUMBNAIL_BUCKET: 'b', THUMBNAIL_FIT: '', THUMBNAIL_MAX_SIZE: ' ' });

    // Assess
    assert.equal(config.fit, 'cover');
    assert.equal(config.maxSide, 4096);
  });

  it('lists every problem in one ConfigError', () => {
    // Act / Assess
    assert.throws(
      () => readConfig({ THUMBNAIL_FIT: 'stretch', THUMBNAIL_MAX_SIZE: '0', THUMBNAIL_MAX_PIXELS: 'lots' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /THUMBNAIL_BUCKET is not set/);
        assert.match(error.message, /THUMBNAIL_FIT must be one of cover\|inside, got "stretch"/);
        assert.match(error.message, /THUMBNAIL_MAX_SIZE must be a positive integer, got "0"/);
        assert.match(error.message, /THUMBNAIL_MAX_PIXELS must be a positive integer, got "lots"/);
        return true;
      },
    );
  });

  it('reads the variants from THUMBNAIL_VARIANTS, with the fit and maximum side of the environment', () => {
    // Act
    const config = readConfig({
      THUMBNAIL_BUCKET: 'thumbs',
      THUMBNAIL_FIT: 'inside',
      THUMBNAIL_VARIANTS: '[{"name":"thumb","size":"400x400"},{"name":"card","size":"800x600","fit":"cover","format":"webp","quality":70}]',
    });

    // Assess
    assert.deepEqual(config.variants, [
      { name: 'thumb', width: 400, height: 400, fit: 'inside', format: 'same' },
      { name: 'card', width: 800, height: 600, fit: 'cover', format: 'webp', quality: 70 },
    ]);
  });

  it('has no variants when THUMBNAIL_VARIANTS is unset, empty or an empty list', () => {
    // Act / Assess
    for (const variants of [undefined, '', '[]']) {
      const config = readConfig({ THUMBNAIL_BUCKET: 'thumbs', ...(variants === undefined ? {} : { THUMBNAIL_VARIANTS: variants }) });
      assert.equal(config.variants, undefined, String(variants));
    }
  });

  it('refuses invalid variants with the entry named, beside the other problems', () => {
    // Act
    const result = loadConfig({
      THUMBNAIL_BUCKET: 'thumbs',
      THUMBNAIL_MAX_SIZE: '1000',
      THUMBNAIL_VARIANTS: '[{"name":"a","size":"10x10"},{"name":"b","size":"10x10"},{"name":"hero","size":"2000x10"}]',
    });

    // Assess
    assert.ok(result instanceof ConfigError);
    assert.equal(
      result.message,
      'invalid configuration: THUMBNAIL_VARIANTS: variants[2] ("hero"): size "2000x10" exceeds the maximum of 1000 pixels per side',
    );
    const broken = loadConfig({ THUMBNAIL_BUCKET: 'thumbs', THUMBNAIL_VARIANTS: 'thumb=400x400' });
    assert.ok(broken instanceof ConfigError);
    assert.match(broken.message, /^invalid configuration: THUMBNAIL_VARIANTS: variants is not valid JSON: /);
  });

  it('returns the ConfigError instead of throwing from loadConfig', () => {
    // Act
    const result = loadConfig({});

    // Assess
    assert.ok(result instanceof ConfigError);
  });
});

describe('readS3Settings', () => {
  it('uses real AWS addressing when no endpoint is set', () => {
    // Act / Assess
    assert.deepEqual(readS3Settings({}), { forcePathStyle: false });
  });

  it('switches to path-style for a local endpoint', () => {
    // Act / Assess
    assert.deepEqual(readS3Settings({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }), {
      endpoint: 'http://127.0.0.1:4566',
      forcePathStyle: true,
    });
  });

  it('prefers the S3-specific endpoint variable', () => {
    // Act / Assess
    assert.equal(
      readS3Settings({ AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_S3: 'http://s3' }).endpoint,
      'http://s3',
    );
  });
});
