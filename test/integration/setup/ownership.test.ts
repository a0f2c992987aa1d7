// Ownership on the local cloud, through the real thumbctl CLI, the real aws CLI and SDK clients: a bucket that was
// there before survives setup + teardown byte for byte; adopting it is refused without --adopt-bucket and kept with
// it; a second stack in the same cloud does not touch the first; something untagged is kept unless --force; a
// deployment made before thumbctl tagged (today's default names) keeps working; status and setup --dry-run exit 4.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  GetBucketNotificationConfigurationCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { GetRoleCommand, UntagRoleCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, ListTagsCommand, UntagResourceCommand } from '@aws-sdk/client-lambda';
import { UntagResourceCommand as UntagLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { AwsClients } from '../../../cli/core/clients.js';
import { awsOk, startTestCloud, TEST_REGION, type TestCloud } from '../../helpers/local-cloud.js';
import { runThumbctl, type ThumbctlResult } from '../../helpers/thumbctl.js';

const SAMPLE_PHOTO = new URL('../../../assets/canyon.jpg', import.meta.url).pathname;
const ACCOUNT = '000000000000';

let test: TestCloud;
let clients: AwsClients;
let dir: string;

before(async () => {
  test = await startTestCloud();
  clients = new AwsClients({ region: TEST_REGION, endpoint: test.endpoint, credentials: { ...test.clientConfig.credentials } });
  dir = mkdtempSync(join(tmpdir(), 'thumbctl-ownership-'));
});
after(async () => {
  clients?.destroy();
  await test?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function thumbctl(args: string[]): Promise<ThumbctlResult> {
  return runThumbctl([...args, '--endpoint-url', test.endpoint], { cwd: dir, timeoutMs: 180_000, env: { THUMBCTL_LOCAL_FAULTS: undefined, THUMBCTL_STACK: undefined } });
}

/** stderr without the AWS SDK's Node.js version notice, which is not ours. */
function ourStderr(result: ThumbctlResult): string[] {
  const notice = /NodeVersionSupportWarning|versions published after|will require node|To continue receiving|and security updates|More information can be found|--trace-warnings/;
  return result.stderr.split('\n').filter((line) => line.trim() !== '' && !notice.test(line));
}

async function bucketTags(bucket: string): Promise<Record<string, string>> {
  try {
    const answer = await clients.s3.send(new GetBucketTaggingCommand({ Bucket: bucket }));
    return Object.fromEntries((answer.TagSet ?? []).map((tag) => [tag.Key!, tag.Value!]));
  } catch (error) {
    if ((error as Error).name === 'NoSuchTagSet') return {};
    throw error;
  }
}

async function bucketExists(bucket: string): Promise<boolean> {
  return clients.s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
    () => true,
    () => false,
  );
}

/** Every object's key and the SHA-256 of its bytes. */
async function contents(bucket: string): Promise<Record<string, string>> {
  const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const entries: Record<string, string> = {};
  for (const object of listed.Contents ?? []) {
    const body = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }));
    entries[object.Key!] = createHash('sha256').update(await body.Body!.transformToByteArray()).digest('hex');
  }
  return entries;
}

const roleExists = (name: string) => clients.iam.send(new GetRoleCommand({ RoleName: name })).then(() => true, () => false);
const functionExists = (name: string) => clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name })).then(() => true, () => false);

describe('a bucket thumbctl did not create', () => {
  const photos = 'team-photos-ownership';
  const archive = 'team-thumbnails-ownership';
  const stack = ['--stack', 'adopter'];
  const names = ['--source-bucket', photos, '--thumbnail-bucket', archive];
  let before: { photos: Record<string, string>; archive: Record<string, string> };

  it('is refused by setup with one line naming it and --adopt-bucket, and nothing is created', async () => {
    // Prepare: the team's buckets, with objects and the team's own tags, made with the aws CLI.
    for (const bucket of [photos, archive]) {
      await awsOk(test.endpoint, ['s3api', 'create-bucket', '--bucket', bucket]);
      await awsOk(test.endpoint, ['s3api', 'put-bucket-tagging', '--bucket', bucket, '--tagging', 'TagSet=[{Key=team,Value=photos}]']);
    }
    await clients.s3.send(new PutObjectCommand({ Bucket: photos, Key: 'holiday/beach.txt', Body: 'not an image, but precious' }));
    await clients.s3.send(new PutObjectCommand({ Bucket: photos, Key: 'notes.md', Body: '# the team notes' }));
    await clients.s3.send(new PutObjectCommand({ Bucket: archive, Key: 'old/thumb-by-hand.jpg', Body: 'made by hand' }));
    before = { photos: await contents(photos), archive: await contents(archive) };

    // Act
    const refused = await thumbctl(['setup', ...stack, ...names]);

    // Assess
    assert.equal(refused.code, 2, refused.stderr);
    const lines = ourStderr(refused);
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(lines[0]!, new RegExp(`${photos}.*${archive}.*did not create.*--adopt-bucket ${photos} --adopt-bucket ${archive}`));
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(await roleExists('adopter-thumbnailer-role'), false, 'no role made');
    assert.equal(await functionExists('adopter-thumbnailer'), false, 'no function made');
    assert.deepEqual(await bucketTags(photos), { team: 'photos' });
  });

  it('is adopted with --adopt-bucket: tagged thumbctl:adopted, never thumbctl:managed, the owner\'s tags kept', async () => {
    const result = await thumbctl(['setup', ...stack, ...names, '--adopt-bucket', photos, '--adopt-bucket', archive, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const document = result.json();
    const ownership = Object.fromEntries(document.ownership.map((entry: { name: string; owner: string; action: string }) => [entry.name, `${entry.owner}/${entry.action}`]));
    assert.equal(ownership[photos], 'adopted/adopted');
    assert.equal(ownership[archive], 'adopted/adopted');
    assert.equal(ownership['adopter-thumbnailer'], 'created/created');
    for (const bucket of [photos, archive]) assert.deepEqual(await bucketTags(bucket), { team: 'photos', 'thumbctl:stack': 'adopter', 'thumbctl:adopted': 'true' });
    const status = await thumbctl(['status', ...stack, ...names, '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(
      status.json().ownership.map((entry: { owner: string }) => entry.owner),
      ['adopted', 'adopted', 'created', 'created', 'created'],
    );
  });

  it('keeps its objects, byte for byte, through teardown --yes; --delete-thumbnails removes only what the function wrote', async () => {
    // Prepare: one thumbnail written by the function into the adopted thumbnails bucket.
    const upload = await thumbctl(['upload', SAMPLE_PHOTO, '40x40', ...stack, ...names, '--json']);
    assert.equal(upload.code, 0, upload.stderr);
    const written = Object.keys(await contents(archive)).filter((key) => !(key in before.archive));
    assert.equal(written.length, 1, `one thumbnail written: ${written.join(', ')}`);
    const uploadedKeys = Object.keys(await contents(photos)).filter((key) => !(key in before.photos));

    // Act
    const result = await thumbctl(['teardown', '--yes', '--delete-thumbnails', ...stack, ...names, '--json']);

    // Assess
    assert.equal(result.code, 0, result.stderr);
    const document = result.json();
    assert.deepEqual(document.kept.map((entry: { name: string }) => entry.name).sort(), [archive, photos].sort());
    for (const entry of document.kept) assert.match(entry.reason, /adopted/);
    assert.equal(await bucketExists(photos), true);
    assert.equal(await bucketExists(archive), true);
    const photosAfter = await contents(photos);
    for (const key of uploadedKeys) delete photosAfter[key];
    assert.deepEqual(photosAfter, before.photos, 'the source bucket is as it was (plus the photo uploaded through it)');
    assert.deepEqual(await contents(archive), before.archive, 'only the thumbnail the function wrote is gone');
    assert.deepEqual(await bucketTags(photos), { team: 'photos' }, 'only thumbctl\'s tags removed');
    const notifications = await clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: photos }));
    assert.deepEqual(notifications.LambdaFunctionConfigurations ?? [], [], 'our trigger removed');
    assert.equal(await roleExists('adopter-thumbnailer-role'), false, 'the role this stack created is deleted');
    assert.equal(await functionExists('adopter-thumbnailer'), false, 'the function this stack created is deleted');
  });
});

describe('two stacks in one cloud', () => {
  it('each gets its own names, and tearing one down leaves the other as it was', async () => {
    const alice = await thumbctl(['setup', '--stack', 'alice', '--json']);
    assert.equal(alice.code, 0, alice.stderr);
    assert.equal(alice.json().sourceBucket, `alice-source-${ACCOUNT}-${TEST_REGION}`);
    assert.equal(alice.json().functionName, 'alice-thumbnailer');
    const bob = await thumbctl(['setup', '--stack', 'bob', '--json']);
    assert.equal(bob.code, 0, bob.stderr);
    assert.equal(bob.json().functionName, 'bob-thumbnailer');

    // bob cannot take alice's bucket, even by naming it.
    const taking = await thumbctl(['setup', '--stack', 'bob', '--source-bucket', `alice-source-${ACCOUNT}-${TEST_REGION}`]);
    assert.equal(taking.code, 2, taking.stderr);
    assert.match(taking.stderr, /belongs to thumbctl stack "alice".*--stack alice/);

    const down = await thumbctl(['teardown', '--yes', '--stack', 'bob', '--json']);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(down.json().kept, []);
    assert.equal(await functionExists('bob-thumbnailer'), false);

    const status = await thumbctl(['status', '--stack', 'alice', '--json']);
    assert.equal(status.code, 0, `alice is untouched and in sync: ${status.stdout}`);
    assert.deepEqual(status.json().resources.filter((resource: { state: string }) => resource.state !== 'present'), []);

    // bob's teardown, pointed at alice's function by name, keeps it: it is another stack's.
    const wrong = await thumbctl(['teardown', '--yes', '--stack', 'bob', '--function-name', 'alice-thumbnailer', '--json']);
    assert.equal(wrong.code, 0, wrong.stderr);
    assert.deepEqual(wrong.json().kept.map((entry: { type: string; name: string; reason: string }) => `${entry.type} ${entry.name}: ${entry.reason}`).filter((line: string) => line.startsWith('function')), [
      'function alice-thumbnailer: it belongs to thumbctl stack "alice"',
    ]);
    assert.equal(await functionExists('alice-thumbnailer'), true);
  });
});

describe('exit codes', () => {
  it('status: 0 in sync, 4 drifted, 4 absent; setup --dry-run: 0 with nothing to do, 4 with something', async () => {
    const stack = ['--stack', 'exits'];
    assert.equal((await thumbctl(['status', ...stack])).code, 4, 'absent');
    assert.equal((await thumbctl(['setup', ...stack, '--dry-run'])).code, 4, 'everything to create');
    assert.equal((await thumbctl(['setup', ...stack])).code, 0);
    const inSync = await thumbctl(['status', ...stack]);
    assert.equal(inSync.code, 0, inSync.stdout);
    const nothingToDo = await thumbctl(['setup', ...stack, '--dry-run', '--json']);
    assert.equal(nothingToDo.code, 0, nothingToDo.stdout);
    assert.equal(nothingToDo.json().dryRun, true);
    assert.equal((await thumbctl(['status', ...stack, '--memory', '1024'])).code, 4, 'drifted');
    assert.equal((await thumbctl(['setup', ...stack, '--memory', '1024', '--dry-run'])).code, 4, 'a change to make');
  });
});

describe('what carries no thumbctl tag', () => {
  it('is kept by teardown --yes with the reason, and deleted only with --force', async () => {
    const bucket = `untagged-source-${ACCOUNT}-${TEST_REGION}`;
    await awsOk(test.endpoint, ['s3api', 'create-bucket', '--bucket', bucket]);
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'keep.txt', Body: 'mine' }));

    const kept = await thumbctl(['teardown', '--yes', '--stack', 'untagged', '--json']);
    assert.equal(kept.code, 0, kept.stderr);
    const entry = kept.json().kept.find((candidate: { type: string; name: string }) => candidate.type === 'bucket' && candidate.name === bucket);
    assert.match(entry.reason, /not created by thumbctl/);
    assert.equal(await bucketExists(bucket), true);
    assert.deepEqual(Object.keys(await contents(bucket)), ['keep.txt']);

    const forced = await thumbctl(['teardown', '--yes', '--force', '--stack', 'untagged', '--json']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.json().resources.find((resource: { type: string; name: string }) => resource.type === 'bucket' && resource.name === bucket).action, 'deleted');
    assert.equal(await bucketExists(bucket), false);
  });
});

describe('a deployment made before thumbctl tagged its resources', () => {
  it('is recognised by its default names and thumbctl\'s own wiring: status says drifted, setup records it, teardown then deletes it', async () => {
    // Prepare: today's default deployment, with every ownership tag taken off (what an older thumbctl left).
    const made = await thumbctl(['setup', '--json']);
    assert.equal(made.code, 0, made.stderr);
    const source = `thumbctl-source-${ACCOUNT}-${TEST_REGION}`;
    const thumbnails = `thumbctl-thumbnails-${ACCOUNT}-${TEST_REGION}`;
    await awsOk(test.endpoint, ['s3api', 'delete-bucket-tagging', '--bucket', source]);
    await awsOk(test.endpoint, ['s3api', 'delete-bucket-tagging', '--bucket', thumbnails]);
    const tagKeys = ['thumbctl:stack', 'thumbctl:managed'];
    await clients.iam.send(new UntagRoleCommand({ RoleName: 'thumbctl-thumbnailer-role', TagKeys: tagKeys }));
    const functionArn = made.json().functionArn as string;
    await clients.lambda.send(new UntagResourceCommand({ Resource: functionArn, TagKeys: tagKeys }));
    await clients.logs.send(new UntagLogGroupCommand({ resourceArn: `arn:aws:logs:${TEST_REGION}:${ACCOUNT}:log-group:/aws/lambda/thumbctl-thumbnailer`, tagKeys }));

    // Act and assess: status sees it is not recorded; teardown without setup keeps it; setup records it.
    const status = await thumbctl(['status', '--json']);
    assert.equal(status.code, 4, status.stdout);
    for (const entry of status.json().ownership) assert.match(entry.reason ?? '', /before it tagged/, JSON.stringify(entry));
    const keptAll = await thumbctl(['teardown', '--yes', '--json']);
    assert.equal(keptAll.code, 0, keptAll.stderr);
    assert.equal(await functionExists('thumbctl-thumbnailer'), true, 'nothing deleted before setup records it');
    const recorded = await thumbctl(['setup', '--json']);
    assert.equal(recorded.code, 0, recorded.stderr);
    assert.deepEqual(recorded.json().ownership.map((entry: { action: string }) => entry.action), ['claimed', 'claimed', 'claimed', 'claimed', 'claimed']);
    assert.deepEqual((await clients.lambda.send(new ListTagsCommand({ Resource: functionArn }))).Tags, { 'thumbctl:stack': 'thumbctl', 'thumbctl:managed': 'true' });
    assert.equal((await thumbctl(['status'])).code, 0);
    const down = await thumbctl(['teardown', '--yes', '--json']);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(down.json().kept, []);
    assert.equal(await bucketExists(source), false);
    assert.equal(await roleExists('thumbctl-thumbnailer-role'), false);
  });
});
