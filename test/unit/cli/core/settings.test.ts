// Settings: flag > config file > default, validated before anything is touched, one clear message each.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../../../cli/output.js';
import { expandSuffixes, readConfigFile, resolveConnection, resolveSettings, resolveSettingsWithOrigins, withBucketDefaults } from '../../../../cli/core/settings.js';

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
    refusal(() => resolveConnection({}, {}, { AWS_ENDPOINT_URL: 'ftp://x' }), /AWS_ENDPOINT_URL must be http/);
  });
});

describe('the endpoint rule: --endpoint-url > AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL > the config file > the target default', () => {
  const noProfile = (): undefined => undefined;
  const resolve = (options: Parameters<typeof resolveConnection>[0], config: Parameters<typeof resolveConnection>[1], env: NodeJS.ProcessEnv) =>
    resolveConnection(options, config, env, noProfile);

  it('sends every service to --endpoint-url, whatever the environment says', () => {
    const connection = resolve({ endpointUrl: 'http://flag:1' }, { endpointUrl: 'http://config:1' }, { AWS_ENDPOINT_URL: 'http://env:1', AWS_ENDPOINT_URL_S3: 'http://env-s3:1' });
    assert.deepEqual(Object.values(connection.endpoints), Array(7).fill('http://flag:1'));
    assert.equal(connection.endpointUrl, 'http://flag:1');
    assert.equal(connection.origins['endpoint s3'], 'flag --endpoint-url');
  });

  it("gives a service its own variable over AWS_ENDPOINT_URL, named as AWS names it (CloudWatch Logs is CLOUDWATCH_LOGS, S3 Control S3_CONTROL)", () => {
    const connection = resolve({}, {}, { AWS_ENDPOINT_URL: 'http://env:1', AWS_ENDPOINT_URL_S3: 'http://s3:1', AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: 'http://logs:1', AWS_ENDPOINT_URL_S3_CONTROL: 'http://s3control:1' });
    assert.equal(connection.endpoints.s3, 'http://s3:1');
    assert.equal(connection.endpoints.s3control, 'http://s3control:1');
    assert.equal(connection.endpoints.logs, 'http://logs:1');
    assert.equal(connection.endpoints.lambda, 'http://env:1');
    assert.equal(connection.endpointUrl, undefined, 'no one endpoint for all');
    assert.equal(connection.origins['endpoint s3'], 'env AWS_ENDPOINT_URL_S3');
    assert.equal(connection.origins['endpoint lambda'], 'env AWS_ENDPOINT_URL');
  });

  it('takes AWS_ENDPOINT_URL over the config file, and the config file over the target default', () => {
    assert.equal(resolve({}, { endpointUrl: 'http://config:1' }, { AWS_ENDPOINT_URL: 'http://env:1' }).endpointUrl, 'http://env:1');
    assert.equal(resolve({}, { endpointUrl: 'http://config:1' }, {}).endpointUrl, 'http://config:1');
    const none = resolve({ target: 'aws' }, {}, {});
    assert.deepEqual(Object.values(none.endpoints), Array(7).fill(undefined));
    assert.equal(none.origins['endpoint xray'], 'default for --target aws');
  });

  it('applies the same rule to both targets', () => {
    for (const target of ['local', 'aws']) {
      assert.equal(resolve({ target }, {}, { AWS_ENDPOINT_URL_LAMBDA: 'http://lambda:1' }).endpoints.lambda, 'http://lambda:1');
    }
  });

  it('refuses a bad endpoint from the environment naming the variable', () => {
    refusal(() => resolve({}, {}, { AWS_ENDPOINT_URL_S3: 'not a url' }), /AWS_ENDPOINT_URL_S3 is not a URL/);
  });
});

describe('the region rule: --region > AWS_REGION > AWS_DEFAULT_REGION > the config file > the profile > us-east-1', () => {
  const profile = (name: string | undefined) => (name === 'work' ? { region: 'ap-south-1', origin: 'profile work (config)' } : { region: 'eu-north-1', origin: 'profile default (config)' });
  const all = { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-2', AWS_PROFILE: 'work' };

  it('takes each source over the next, for both targets', () => {
    for (const target of ['local', 'aws']) {
      type Profiles = (name: string | undefined) => { region: string; origin: string } | undefined;
      const at = (options: object, config: object, env: NodeJS.ProcessEnv, profiles: Profiles = profile) => resolveConnection({ target, ...options }, config, env, profiles);
      assert.equal(at({ region: 'us-west-2' }, { region: 'sa-east-1' }, all).region, 'us-west-2');
      assert.equal(at({}, { region: 'sa-east-1' }, all).region, 'eu-west-1');
      assert.equal(at({}, { region: 'sa-east-1' }, { ...all, AWS_REGION: undefined }).region, 'eu-west-2');
      assert.equal(at({}, { region: 'sa-east-1' }, { AWS_PROFILE: 'work' }).region, 'sa-east-1');
      assert.equal(at({}, {}, { AWS_PROFILE: 'work' }).region, 'ap-south-1');
      assert.equal(at({ profile: 'other' }, {}, { AWS_PROFILE: 'work' }).region, 'eu-north-1', '--profile names the profile');
      const fallback = at({}, {}, {}, () => undefined);
      assert.equal(fallback.region, 'us-east-1');
      assert.equal(fallback.origins.region, 'default');
    }
  });

  it('says where the region came from, and names the source of a bad one', () => {
    assert.equal(resolveConnection({}, {}, { AWS_DEFAULT_REGION: 'eu-west-2' }, profile).origins.region, 'env AWS_DEFAULT_REGION');
    assert.equal(resolveConnection({}, {}, { AWS_PROFILE: 'work' }, profile).origins.region, 'profile work (config)');
    refusal(() => resolveConnection({}, {}, { AWS_REGION: 'moon' }, profile), /^AWS_REGION is not an AWS region: "moon"/);
  });
});

describe('the stack', () => {
  it("is thumbctl by default, and its names are exactly the ones thumbctl has always used", () => {
    const settings = withBucketDefaults(resolveSettings({}, {}, {}), '123456789012', 'us-east-1');
    assert.equal(settings.stack, 'thumbctl');
    assert.equal(settings.functionName, 'thumbctl-thumbnailer');
    assert.equal(settings.roleName, 'thumbctl-thumbnailer-role');
    assert.equal(settings.sourceBucket, 'thumbctl-source-123456789012-us-east-1');
    assert.equal(settings.thumbnailBucket, 'thumbctl-thumbnails-123456789012-us-east-1');
  });

  it('derives every default name: flag > THUMBCTL_STACK > the config file', () => {
    const settings = withBucketDefaults(resolveSettings({ stack: 'alice' }, { stack: 'carol' }, { THUMBCTL_STACK: 'bob' }), '123456789012', 'eu-west-1');
    assert.deepEqual(
      [settings.functionName, settings.roleName, settings.sourceBucket, settings.thumbnailBucket],
      ['alice-thumbnailer', 'alice-thumbnailer-role', 'alice-source-123456789012-eu-west-1', 'alice-thumbnails-123456789012-eu-west-1'],
    );
    assert.equal(resolveSettings({}, { stack: 'carol' }, { THUMBCTL_STACK: 'bob' }).stack, 'bob');
    assert.equal(resolveSettings({}, { stack: 'carol' }, {}).stack, 'carol');
  });

  it('lets explicit names win over the derived ones', () => {
    const settings = withBucketDefaults(resolveSettings({ stack: 'alice', functionName: 'mine', sourceBucket: 'my-uploads' }, { roleName: 'my-role' }, {}), '1', 'us-east-1');
    assert.deepEqual([settings.functionName, settings.roleName, settings.sourceBucket, settings.thumbnailBucket], ['mine', 'my-role', 'my-uploads', 'alice-thumbnails-1-us-east-1']);
  });

  it('refuses a stack name that could not name a bucket, or makes one too long', () => {
    refusal(() => resolveSettings({ stack: 'Alice' }, {}, {}), /--stack "Alice" is not a valid stack name/);
    refusal(() => resolveSettings({ stack: 'a'.repeat(25) }, {}, {}), /1 to 24 characters/);
    refusal(() => resolveSettings({}, {}, { THUMBCTL_STACK: 'no_underscores' }), /^THUMBCTL_STACK "no_underscores"/);
    refusal(() => withBucketDefaults(resolveSettings({ stack: 'a'.repeat(24) }, {}, {}), '123456789012', 'us-gov-southeast-10'), /shorter --stack/);
  });
});

describe('where functionDir came from (--debug)', () => {
  it('names the flag, the config file, or the bundled function', () => {
    // Prepare: a config file naming a directory beside it.
    const dir = mkdtempSync(join(tmpdir(), 'thumbctl-origin-'));
    try {
      const file = join(dir, 'thumbctl.config.json');
      writeFileSync(file, JSON.stringify({ functionDir: 'thumbnailer' }));
      const config = readConfigFile(file);
      // Act
      const fromConfig = resolveSettingsWithOrigins({}, config);
      const fromFlag = resolveSettingsWithOrigins({ functionDir: join(dir, 'other') }, config);
      const bundled = resolveSettingsWithOrigins({}, {});
      // Assess
      assert.equal(fromConfig.settings.functionDir, join(dir, 'thumbnailer'));
      assert.equal(fromConfig.origins.functionDir, `config file ${file}`);
      assert.equal(fromFlag.settings.functionDir, join(dir, 'other'));
      assert.equal(fromFlag.origins.functionDir, 'flag --function-dir');
      assert.equal(bundled.settings.functionDir, undefined);
      assert.match(bundled.origins.functionDir!, /^bundled/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
