// The profile's region, read from the shared config file the way the SDKs find it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { profileRegion, readProfileSetting } from '../../../../cli/core/aws-profile.js';

const CONFIG = `
# a comment
[default]
region = eu-west-1
s3 =
  region = not-this-one

[profile alice]
output = json
region=ap-southeast-2 ; trailing comment

[profile bob]
; bob has no region
[sso-session corp]
region = us-west-2
`;

describe('readProfileSetting', () => {
  it("reads the default profile's section, [default] or [profile default]", () => {
    assert.equal(readProfileSetting(CONFIG, 'default', 'region'), 'eu-west-1');
    assert.equal(readProfileSetting('[profile default]\nregion = ca-central-1\n', 'default', 'region'), 'ca-central-1');
  });

  it("reads a named profile's [profile NAME] section, and nothing from nested or other sections", () => {
    assert.equal(readProfileSetting(CONFIG, 'alice', 'region'), 'ap-southeast-2');
    assert.equal(readProfileSetting(CONFIG, 'bob', 'region'), undefined);
    assert.equal(readProfileSetting(CONFIG, 'corp', 'region'), undefined, 'an sso-session is no profile');
    assert.equal(readProfileSetting('[alice]\nregion = us-west-1\n', 'alice', 'region'), undefined, 'a named profile needs the `profile` prefix in the config file');
  });
});

describe('profileRegion', () => {
  const dir = mkdtempSync(join(tmpdir(), 'thumbctl-profile-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads AWS_CONFIG_FILE, else ~/.aws/config, and says where the region came from', () => {
    const file = join(dir, 'config');
    writeFileSync(file, CONFIG);
    assert.deepEqual(profileRegion('alice', { AWS_CONFIG_FILE: file }), { region: 'ap-southeast-2', origin: `profile alice (${file})` });
    assert.equal(profileRegion(undefined, { AWS_CONFIG_FILE: file })?.region, 'eu-west-1');
    assert.equal(profileRegion(undefined, { HOME: dir }), undefined, 'no ~/.aws/config: no region');
  });
});
