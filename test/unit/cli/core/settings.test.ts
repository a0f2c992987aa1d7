// Settings: flag > config file > default, validated before anything is touched, one clear message each.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../../cli/output.js';
import { expandSuffixes, resolveConnection, resolveSettings, withBucketDefaults } from '../../../../cli/core/settings.js';

function refusal(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof UserError, 'a UserError');
    assert.equal(error.exitCode, 2, 'usage exit code');
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return true;
  });
}

describe('resolveSettings', () => {
  it('defaults to the course demo: 512 MB, 10 s, nodejs22.x, x86_64, no variants, every extension the function reads in both cases', () => {
    const settings = resolveSettings({}, {});
    assert.equal(settings.memory, 512);
    assert.equal(settings.timeout, 10);
    assert.equal(settings.runtime, 'nodejs22.x');
    assert.equal(settings.architecture, 'x86_64');
    assert.deepEqual([...settings.suffixes].sort(), ['.AVIF', '.GIF', '.JPEG', '.JPG', '.PNG', '.WEBP', '.avif', '.gif', '.jpeg', '.jpg', '.png', '.webp']);
    assert.deepEqual(settings.variants, []);
  });

  it('takes a flag over the config file over the default', () => {
    assert.equal(resolveSettings({ memory: '1024' }, { memory: 256 }).memory, 1024);
    assert.equal(resolveSettings({}, { memory: 256 }).memory, 256);
    assert.equal(resolveSettings({}, { functionName: 'from-config' }).functionName, 'from-config');
  });

  it('refuses a thumbnails bucket equal to the source bucket', () => {
    refusal(() => resolveSettings({ sourceBucket: 'same-bucket', thumbnailBucket: 'same-bucket' }, {}), /trigger itself forever/);
  });

  it('refuses memory and timeout outside what Lambda allows', () => {
    refusal(() => resolveSettings({ memory: '64' }, {}), /--memory/);
    refusal(() => resolveSettings({ memory: 'lots' }, {}), /--memory/);
    refusal(() => resolveSettings({ timeout: '901' }, {}), /--timeout/);
  });

  it('refuses bad names, runtimes, architectures and suffixes', () => {
    refusal(() => resolveSettings({ sourceBucket: 'Upper_Case' }, {}), /not a valid bucket name/);
    refusal(() => resolveSettings({ functionName: 'has spaces' }, {}), /function name/);
    refusal(() => resolveSettings({ runtime: 'python3.12' }, {}), /runtime/);
    refusal(() => resolveSettings({ architecture: 'sparc' }, {}), /architecture/);
    refusal(() => resolveSettings({ suffixes: '*.jpg' }, {}), /suffix/);
    refusal(() => resolveSettings({ fit: 'stretch' }, {}), /fit/);
  });

  it('reads the variants from the config file, checked against the maximum side and fit in force', () => {
    const config = { variants: [{ name: 'thumb', size: '400x400' }, { name: 'hero', size: '1600x900', format: 'avif' }] };
    const settings = resolveSettings({ fit: 'inside' }, config);
    assert.deepEqual(settings.variants, [
      { name: 'thumb', width: 400, height: 400, fit: 'inside', format: 'same' },
      { name: 'hero', width: 1600, height: 900, fit: 'inside', format: 'avif' },
    ]);
    refusal(() => resolveSettings({ maxSize: '1000' }, config), /^invalid variants in the config file: variants\[1\] \("hero"\): size "1600x900" exceeds the maximum of 1000/);
  });

  it('refuses a bad variants list in one line naming every bad entry', () => {
    refusal(
      () => resolveSettings({}, { variants: [{ name: 'ok', size: '10x10' }, { name: 'hero', size: '0x10' }, { name: 'OK', size: '1x1', format: 'gif' }] }),
      /variants\[1\] \("hero"\): size "0x10" has a zero side; variants\[2\] \("OK"\): name "OK" is already used by variants\[0\].*; variants\[2\] \("OK"\): format must be one of/,
    );
    refusal(() => resolveSettings({}, { variants: { name: 'thumb', size: '1x1' } }), /variants must be a list/);
    refusal(() => resolveSettings({}, { variants: [{ name: 'thumb', size: '1x1', colour: 'red' }] }), /variants\[0\] \("thumb"\): unknown field "colour"/);
  });

  it('expands each suffix into its lower- and upper-case forms', () => {
    assert.deepEqual(expandSuffixes(['jpg', '.Png']), ['.jpg', '.JPG', '.png', '.PNG']);
  });
});

describe('bucket defaults', () => {
  it('are unique per account and region', () => {
    const settings = withBucketDefaults(resolveSettings({}, {}), '123456789012', 'eu-west-1');
    assert.equal(settings.sourceBucket, 'thumbctl-source-123456789012-eu-west-1');
    assert.equal(settings.thumbnailBucket, 'thumbctl-thumbnails-123456789012-eu-west-1');
  });

  it('refuses a default that collides with an explicit name', () => {
    refusal(() => withBucketDefaults(resolveSettings({ thumbnailBucket: 'thumbctl-source-1-us-east-1' }, {}), '1', 'us-east-1'), /must differ/);
  });
});

describe('resolveConnection', () => {
  it('refuses an unknown target and a malformed region', () => {
    refusal(() => resolveConnection({ target: 'mars' }, {}, {}), /mars/);
    refusal(() => resolveConnection({ region: 'moon' }, {}, {}), /region/);
    refusal(() => resolveConnection({ endpointUrl: 'ftp://x' }, {}, {}), /http/);
  });
});
