// Who owns what, decided from tags alone: the pure decisions of setup (create, keep, claim, adopt, or refuse with
// one line) and of teardown (delete, release, keep with the reason), and the proof an untagged resource was made by
// an older thumbctl. No AWS calls.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addLegacyEvidence,
  adoptedTags,
  createdTags,
  decideSetup,
  decideTeardown,
  FUNCTION_DESCRIPTION,
  ownerOf,
  ROLE_DESCRIPTION,
  type OwnedResource,
} from '../../../../../cli/core/provision/ownership.js';
import { resolveSettings, withBucketDefaults } from '../../../../../cli/core/settings.js';
import { UserError } from '../../../../../cli/output.js';

const identity = { account: '123456789012', region: 'eu-west-1' };

function resources(owners: Partial<Record<'source' | 'thumbnails' | 'role' | 'function' | 'log-group', Record<string, string> | null>>, stack = 'thumbctl'): OwnedResource[] {
  const settings = withBucketDefaults(resolveSettings({ stack }, {}, {}), identity.account, identity.region);
  const entry = (kind: OwnedResource['kind'], name: string, tags: Record<string, string> | null | undefined, purpose?: 'source' | 'thumbnails'): OwnedResource => ({
    kind,
    name,
    ...(purpose ? { purpose } : {}),
    ...(tags === null || tags === undefined ? { owner: 'absent' as const } : ownerOf(tags, stack)),
    tags: tags ?? {},
  });
  return [
    entry('bucket', settings.sourceBucket, owners.source, 'source'),
    entry('bucket', settings.thumbnailBucket, owners.thumbnails, 'thumbnails'),
    entry('role', settings.roleName, owners.role),
    entry('function', settings.functionName, owners.function),
    entry('log-group', `/aws/lambda/${settings.functionName}`, owners['log-group']),
  ];
}

const refusal = (run: () => unknown, pattern: RegExp): void => {
  assert.throws(run, (error: unknown) => error instanceof UserError && error.exitCode === 2 && pattern.test(error.message) && !error.message.includes('\n'));
};

describe('ownerOf', () => {
  it('reads created, adopted, another stack\'s and untagged from the tags', () => {
    assert.equal(ownerOf(createdTags('a'), 'a').owner, 'created');
    assert.equal(ownerOf(adoptedTags('a'), 'a').owner, 'adopted');
    assert.deepEqual(ownerOf(createdTags('b'), 'a'), { owner: 'other-stack', taggedStack: 'b' });
    assert.equal(ownerOf({ team: 'photos' }, 'a').owner, 'untagged');
    assert.equal(ownerOf({ 'thumbctl:managed': 'true' }, 'a').owner, 'untagged', 'managed without a stack is no proof');
  });
});

describe('decideSetup', () => {
  it('creates what is absent and keeps what is ours', () => {
    const decisions = decideSetup(resources({ source: createdTags('thumbctl') }), 'thumbctl');
    assert.deepEqual(decisions.map((decision) => decision.action), ['keep', 'create', 'create', 'create', 'create']);
  });

  it('refuses an untagged bucket in one line naming it and --adopt-bucket, and adopts it when asked', () => {
    const found = resources({ source: { team: 'photos' } });
    refusal(() => decideSetup(found, 'thumbctl'), /bucket "thumbctl-source-123456789012-eu-west-1" exists but thumbctl did not create it.*--adopt-bucket thumbctl-source-123456789012-eu-west-1/);
    const adopted = decideSetup(found, 'thumbctl', ['thumbctl-source-123456789012-eu-west-1'])[0]!;
    assert.equal(adopted.action, 'adopt');
    assert.deepEqual(adopted.desiredTags, { 'thumbctl:stack': 'thumbctl', 'thumbctl:adopted': 'true' });
  });

  it('refuses --adopt-bucket for a bucket it does not use, or one that does not exist', () => {
    refusal(() => decideSetup(resources({}), 'thumbctl', ['someone-elses']), /names neither the source bucket nor the thumbnails bucket/);
    refusal(() => decideSetup(resources({}), 'thumbctl', ['thumbctl-source-123456789012-eu-west-1']), /no such bucket to adopt/);
  });

  it('refuses another stack\'s resource, naming the stack', () => {
    refusal(() => decideSetup(resources({ function: createdTags('alice') }), 'thumbctl'), /function "thumbctl-thumbnailer" belongs to thumbctl stack "alice".*--stack alice/);
  });

  it('refuses an untagged role or function without proof, with the flag that names another', () => {
    refusal(() => decideSetup(resources({ role: {} }), 'thumbctl'), /role "thumbctl-thumbnailer-role" exists but thumbctl did not create it.*--role-name/);
    refusal(() => decideSetup(resources({ function: {} }), 'thumbctl'), /function "thumbctl-thumbnailer" exists.*--function-name/);
  });

  it('leaves an untagged log group alone (teardown keeps it)', () => {
    assert.equal(decideSetup(resources({ 'log-group': {} }), 'thumbctl')[4]!.action, 'leave');
  });
});

describe('decideTeardown', () => {
  it('deletes what this stack created, releases what it adopted, keeps the rest with the reason', () => {
    const [source, thumbnails, role, fn] = resources({ source: adoptedTags('thumbctl'), thumbnails: createdTags('thumbctl'), role: createdTags('bob'), function: {} });
    assert.deepEqual(decideTeardown(source!, false), { action: 'release' });
    assert.deepEqual(decideTeardown(thumbnails!, false), { action: 'delete' });
    assert.deepEqual(decideTeardown(role!, false), { action: 'keep', reason: 'belongs to thumbctl stack "bob"' });
    assert.equal(decideTeardown(fn!, false).action, 'keep');
    assert.match((decideTeardown(fn!, false) as { reason: string }).reason, /not created by thumbctl/);
  });

  it('with force deletes what carries no thumbctl tag, never another stack\'s or an adopted bucket', () => {
    const [source, , role, fn] = resources({ source: adoptedTags('thumbctl'), role: createdTags('bob'), function: {} });
    assert.deepEqual(decideTeardown(fn!, true), { action: 'delete' });
    assert.equal(decideTeardown(role!, true).action, 'keep');
    assert.equal(decideTeardown(source!, true).action, 'release');
  });
});

describe('addLegacyEvidence', () => {
  const settings = withBucketDefaults(resolveSettings({}, {}, {}), identity.account, identity.region);
  const arn = `arn:aws:lambda:eu-west-1:123456789012:function:${settings.functionName}`;
  const configuration = { FunctionArn: arn, Description: FUNCTION_DESCRIPTION, Environment: { Variables: { THUMBNAIL_BUCKET: settings.thumbnailBucket } } };
  const notifications = { LambdaFunctionConfigurations: [{ Id: 'thumbctl-jpg', LambdaFunctionArn: arn, Events: ['s3:ObjectCreated:*' as const] }] };

  it('proves an older thumbctl made the role, the function, its log group and the default-named buckets it is wired to', () => {
    const found = resources({ source: {}, thumbnails: {}, role: {}, function: {}, 'log-group': {} });
    addLegacyEvidence(found, { settings, identity, roleDescription: ROLE_DESCRIPTION, configuration, notifications });
    assert.deepEqual(found.map((entry) => Boolean(entry.legacyEvidence)), [true, true, true, true, true]);
    assert.deepEqual(decideSetup(found, 'thumbctl').map((decision) => decision.action), ['claim', 'claim', 'claim', 'claim', 'claim']);
  });

  it('gives no proof for a function someone else described, nor for buckets a foreign function is wired to', () => {
    const found = resources({ source: {}, thumbnails: {}, role: {}, function: {}, 'log-group': {} });
    addLegacyEvidence(found, { settings, identity, roleDescription: 'the team role', configuration: { ...configuration, Description: 'ours, not thumbctl\'s' }, notifications });
    assert.deepEqual(found.map((entry) => Boolean(entry.legacyEvidence)), [false, false, false, false, false]);
  });

  it('never proves a bucket named explicitly', () => {
    const named = withBucketDefaults(resolveSettings({ sourceBucket: 'my-photos' }, {}, {}), identity.account, identity.region);
    const found = resources({ source: {}, role: {}, function: {} });
    found[0] = { ...found[0]!, name: 'my-photos' };
    addLegacyEvidence(found, { settings: named, identity, roleDescription: ROLE_DESCRIPTION, configuration, notifications });
    assert.equal(found[0]!.legacyEvidence, undefined);
  });
});
