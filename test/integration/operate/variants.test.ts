// Variants and formats through the real CLI on a real local cloud: a config file with three variants (JPEG, WebP,
// AVIF) refused when bad and deployed when good, `upload` without a size waiting for every variant, drift when the
// config changes, a failing variant failing the upload fast, AVIF and GIF uploads triggering, and the traces of a
// variants upload. The upload with a size is checked to be exactly as before.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import sharp from 'sharp';
import { AwsClients } from '../../../cli/core/clients.js';
import { startTestCloud, TEST_REGION, type TestCloud } from '../../helpers/local-cloud.js';
import { runThumbctl, type ThumbctlResult } from '../../helpers/thumbctl.js';
import { SAMPLE_PHOTO } from './support.js';

const id = `variants-${process.pid}`;
const names = { sourceBucket: `src-${id}`, thumbnailBucket: `thumbs-${id}`, functionName: `thumbctl-${id}`, roleName: `thumbctl-${id}-role` };
/** The thumbnail fields `upload --json` has always had. */
const UPLOAD_FIELDS = ['bytes', 'contentType', 'height', 'latencyMs', 'sourceBucket', 'sourceKey', 'thumbnailBucket', 'thumbnailKey', 'traceId', 'url', 'width'];

const THREE_VARIANTS = [
  { name: 'thumb', size: '200x200' },
  { name: 'card', size: '400x300', format: 'webp', quality: 75 },
  { name: 'hero', size: '800x450', fit: 'inside', format: 'avif' },
];

let test: TestCloud;
let clients: AwsClients;
let dir: string;
const config = (name: string, body: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
};

function thumbctl(args: string[], configFile: string, options: { timeoutMs?: number } = {}): Promise<ThumbctlResult> {
  const [command = '', ...rest] = args;
  const flags = [
    '--endpoint-url', test.endpoint,
    '--source-bucket', names.sourceBucket,
    '--thumbnail-bucket', names.thumbnailBucket,
    '--function-name', names.functionName,
    '--role-name', names.roleName,
    '--config', configFile,
  ];
  return runThumbctl([command, ...(command === 'local' ? [] : flags), ...rest], { cwd: dir, timeoutMs: options.timeoutMs ?? 120_000 });
}

/** stderr without the AWS SDK's Node.js version notice, which is not ours. */
function ourStderr(result: ThumbctlResult): string[] {
  const notice = /NodeVersionSupportWarning|versions published after|will require node|To continue receiving|and security updates|More information can be found|--trace-warnings/;
  return result.stderr.split('\n').filter((line) => line.trim() !== '' && !notice.test(line));
}

async function thumbnail(key: string): Promise<{ contentType: string | undefined; format: string | undefined; width: number | undefined; height: number | undefined }> {
  const object = await clients.s3.send(new GetObjectCommand({ Bucket: names.thumbnailBucket, Key: key }));
  const metadata = await sharp(Buffer.from(await object.Body!.transformToByteArray())).metadata();
  return { contentType: object.ContentType, format: metadata.format, width: metadata.width, height: metadata.height };
}

let good: string;

before(async () => {
  test = await startTestCloud();
  clients = new AwsClients({ region: TEST_REGION, endpoint: test.endpoint, credentials: { ...test.clientConfig.credentials } });
  dir = mkdtempSync(join(tmpdir(), 'thumbctl-variants-'));
  good = config('three.json', { variants: THREE_VARIANTS });
});

after(async () => {
  clients?.destroy();
  await test?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('variants through the CLI', () => {
  it('refuses a bad variants list in one line naming the entry, before anything is created', async () => {
    // Prepare
    const bad = config('bad.json', { variants: [{ name: 'thumb', size: '200x200' }, { name: 'hero', size: '0x10', format: 'avif' }] });

    // Act
    const result = await thumbctl(['setup'], bad);

    // Assess
    assert.equal(result.code, 2, result.stderr);
    const lines = ourStderr(result);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /invalid variants in the config file: variants\[1\] \("hero"\): size "0x10" has a zero side/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    const buckets = (await clients.s3.send(new ListBucketsCommand({}))).Buckets ?? [];
    assert.deepEqual(buckets.map((bucket) => bucket.Name), [], 'no bucket was created');
    await assert.rejects(clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: names.functionName })), { name: 'ResourceNotFoundException' });
  });

  it('deploys the variants as THUMBNAIL_VARIANTS, and status sees no drift', async () => {
    const result = await thumbctl(['setup', '--json'], good);
    assert.equal(result.code, 0, result.stderr);
    const configuration = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: names.functionName }));
    assert.deepEqual(JSON.parse(configuration.Environment?.Variables?.THUMBNAIL_VARIANTS ?? 'null'), [
      { name: 'thumb', size: '200x200', fit: 'cover', format: 'same' },
      { name: 'card', size: '400x300', fit: 'cover', format: 'webp', quality: 75 },
      { name: 'hero', size: '800x450', fit: 'inside', format: 'avif' },
    ]);
    const status = await thumbctl(['status'], good);
    assert.match(status.stdout, /11 present, 0 drifted, 0 absent/);
  });

  it('uploads canyon.jpg without a size, waits for every variant and reports each', async () => {
    // Act
    const result = await thumbctl(['upload', SAMPLE_PHOTO, '--json'], good);

    // Assess
    assert.equal(result.code, 0, result.stderr);
    const report = result.json();
    assert.deepEqual(Object.keys(report).sort(), [...UPLOAD_FIELDS, 'variants'].sort(), 'today’s fields, and variants');
    assert.equal(report.sourceKey, 'canyon.jpg');
    for (const variant of report.variants) assert.deepEqual(Object.keys(variant), ['name', 'key', 'width', 'height', 'bytes', 'contentType']);
    const expected = [
      { name: 'thumb', key: 'canyon-200x200.jpg', width: 200, height: 200, contentType: 'image/jpeg', format: 'jpeg' },
      { name: 'card', key: 'canyon-400x300.webp', width: 400, height: 300, contentType: 'image/webp', format: 'webp' },
      // inside 800x450: the 3:2 photo keeps its shape, 675x450.
      { name: 'hero', key: 'canyon-800x450.avif', width: 675, height: 450, contentType: 'image/avif', format: 'heif' },
    ];
    assert.deepEqual(
      report.variants.map(({ name, key, width, height, contentType }: Record<string, unknown>) => ({ name, key, width, height, contentType })),
      expected.map(({ format: _format, ...fields }) => fields),
    );
    for (const [index, variant] of expected.entries()) {
      assert.ok(report.variants[index].bytes > 0);
      const stored = await thumbnail(variant.key);
      assert.deepEqual(stored, { contentType: variant.contentType, format: variant.format, width: variant.width, height: variant.height }, variant.name);
    }
    // The thumbnail fields describe the first variant; the latency runs to the last.
    assert.deepEqual([report.thumbnailKey, report.width, report.height, report.contentType], ['canyon-200x200.jpg', 200, 200, 'image/jpeg']);
    assert.ok(report.latencyMs > 0);
  });

  it('prints a line per variant for people, and saves them into an --out directory', async () => {
    const out = mkdtempSync(join(dir, 'out-'));
    const result = await thumbctl(['upload', SAMPLE_PHOTO, '--out', out], good);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^thumb\s+s3:\/\/\S+\/canyon-200x200\.jpg\s+200x200, [\d.]+ KB, image\/jpeg$/m);
    assert.match(result.stdout, /^card\s+s3:\/\/\S+\/canyon-400x300\.webp\s+400x300, [\d.]+ KB, image\/webp$/m);
    assert.match(result.stdout, /^hero\s+s3:\/\/\S+\/canyon-800x450\.avif\s+675x450, [\d.]+ KB, image\/avif$/m);
    assert.match(result.stdout, /^latency\s+[\d.]+ ms from the start of the upload to the last variant$/m);
    assert.deepEqual(readdirSync(out).sort(), ['canyon-200x200.jpg', 'canyon-400x300.webp', 'canyon-800x450.avif']);
  });

  it('keeps an upload with a size exactly as before: one thumbnail, today’s fields, no variants', async () => {
    const result = await thumbctl(['upload', SAMPLE_PHOTO, '64x64', '--json'], good);
    assert.equal(result.code, 0, result.stderr);
    const report = result.json();
    assert.deepEqual(Object.keys(report).sort(), UPLOAD_FIELDS);
    assert.deepEqual([report.sourceKey, report.thumbnailKey, report.width, report.height, report.contentType], ['canyon-64x64.jpg', 'canyon-64x64.jpg', 64, 64, 'image/jpeg']);
  });

  it('triggers on AVIF and GIF uploads, with and without a size', async () => {
    // Prepare
    const avif = join(dir, 'dune.avif');
    await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 150, b: 90 } } }).avif().toFile(avif);
    const gif = join(dir, 'spinner.gif');
    await sharp({ create: { width: 120, height: 90, channels: 4, background: { r: 250, g: 40, b: 40, alpha: 1 } } }).gif().toFile(gif);

    // Act
    const avifSized = await thumbctl(['upload', avif, '64x48', '--json'], good);
    const gifSized = await thumbctl(['upload', gif, '60x45', '--json'], good);
    const avifVariants = await thumbctl(['upload', avif, '--json'], good);

    // Assess
    assert.equal(avifSized.code, 0, avifSized.stderr);
    assert.deepEqual([avifSized.json().thumbnailKey, avifSized.json().contentType], ['dune-64x48.avif', 'image/avif']);
    assert.equal(gifSized.code, 0, gifSized.stderr);
    // GIF has no writer: its first frame becomes a PNG.
    assert.deepEqual([gifSized.json().thumbnailKey, gifSized.json().contentType, gifSized.json().width, gifSized.json().height], ['spinner-60x45.gif', 'image/png', 60, 45]);
    assert.equal(avifVariants.code, 0, avifVariants.stderr);
    assert.deepEqual(
      avifVariants.json().variants.map((variant: { key: string; contentType: string }) => [variant.key, variant.contentType]),
      [
        ['dune-200x200.avif', 'image/avif'],
        ['dune-400x300.webp', 'image/webp'],
        ['dune-800x450.avif', 'image/avif'],
      ],
    );
  });

  it('fails fast, naming the variant, when the function cannot make one of them', async () => {
    // Prepare: a key S3 takes (1016 bytes) whose .jpg variant still fits in S3's 1024 bytes and whose .webp and
    // .avif variants (one byte longer) do not.
    const key = `${'k'.repeat(1012)}.jpg`;

    // Act
    const result = await thumbctl(['upload', SAMPLE_PHOTO, '--key', key, '--timeout', '90'], good);

    // Assess: the function's rejection, not the 90 s timeout (exit 3).
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /the function rejected k+\.jpg: variant "card" \(k+-400x300\.webp\): thumbnail key is 1025 bytes, above S3's limit of 1024; variant "hero" \(k+-800x450\.avif\)/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    await clients.s3.send(new HeadObjectCommand({ Bucket: names.thumbnailBucket, Key: `${'k'.repeat(1012)}-200x200.jpg` }));
  });

  it('shows the decode and each variant’s resize in the traces', async () => {
    // Prepare
    const upload = await thumbctl(['upload', SAMPLE_PHOTO, '--json'], good);
    assert.equal(upload.code, 0, upload.stderr);
    const { traceId } = upload.json();

    // Act
    const json = await thumbctl(['traces', '--trace-id', traceId, '--json'], good);
    const text = await thumbctl(['traces', '--trace-id', traceId], good);

    // Assess
    assert.equal(json.code, 0, json.stderr);
    const [row] = json.json().traces;
    assert.equal(row.key, 'canyon.jpg');
    assert.deepEqual(Object.keys(row.phases), ['initMs', 'dwellMs', 'invocationMs', 's3GetMs', 'resizeMs', 's3PutMs', 'overheadMs'], 'the phases as before');
    assert.ok(row.variants.decodeMs > 0, JSON.stringify(row.variants));
    assert.deepEqual(
      row.variants.resizes.map((resize: { name: string; size: string; format: string }) => [resize.name, resize.size, resize.format]),
      [
        ['thumb', '200x200', 'jpeg'],
        ['card', '400x300', 'webp'],
        ['hero', '800x450', 'avif'],
      ],
    );
    const sum = row.variants.resizes.reduce((total: number, resize: { resizeMs: number }) => total + resize.resizeMs, 0);
    assert.ok(Math.abs(row.phases.resizeMs - sum) < 0.5, `resize ${row.phases.resizeMs} is the sum of the variants' ${sum}`);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^time \(UTC\)\s+key\s+start\s+init\s+dwell\s+invoke\s+s3 get\s+decode\s+resize\s+s3 put\s+overhead\s+total\s+status$/m);
    assert.match(text.stdout, /canyon\.jpg\s+decode [\d.]+ · thumb [\d.]+ · card [\d.]+ · hero [\d.]+/);
    for (const bar of ['decode', 'resize thumb', 'resize card', 'resize hero']) assert.match(text.stdout, new RegExp(`^\\s+${bar}\\s+[·█]+`, 'm'), bar);
  });

  it('shows drift when the config’s variants change, which setup --dry-run plans and setup fixes', async () => {
    // Prepare
    const changed = config('changed.json', { variants: [{ name: 'thumb', size: '200x200' }, { name: 'card', size: '400x300', format: 'webp', quality: 60 }] });

    // Act
    const drifted = await thumbctl(['status', '--json'], changed);
    const table = await thumbctl(['status'], changed);
    const plan = await thumbctl(['setup', '--dry-run'], changed);
    const applied = await thumbctl(['setup', '--json'], changed);
    const after = await thumbctl(['status', '--json'], changed);

    // Assess
    assert.equal(drifted.code, 4, drifted.stderr); // drifted: status says so with exit 4
    const fn = drifted.json().resources.find((resource: { type: string }) => resource.type === 'function');
    assert.equal(fn.state, 'drifted');
    assert.deepEqual(fn.drift.map((difference: { field: string }) => difference.field), ['variants']);
    assert.deepEqual(fn.drift[0].desired.map((entry: { name: string }) => entry.name), ['thumb', 'card']);
    assert.deepEqual(fn.drift[0].actual.map((entry: { name: string }) => entry.name), ['thumb', 'card', 'hero']);
    assert.match(table.stdout, /function\s+\S+\s+drifted\s+variants thumb 200x200 cover same, card 400x300 cover webp q75, hero 800x450 inside avif, want thumb 200x200 cover same, card 400x300 cover webp q60/);
    assert.match(plan.stdout, /would change: variants .*hero 800x450 inside avif → thumb 200x200 cover same, card 400x300 cover webp q60/);
    assert.equal(applied.code, 0, applied.stderr);
    assert.deepEqual(applied.json().resources.find((resource: { type: string }) => resource.type === 'function').changes.map((change: { field: string }) => change.field), ['variants']);
    assert.equal(after.json().summary.drifted, 0);
    // And the other way: the original config drifts from what is now deployed.
    const back = await thumbctl(['status', '--json'], good);
    assert.equal(back.json().summary.drifted, 1);
  });

  it('without variants, refuses an upload without a size in one line (exit 2) and sends nothing', async () => {
    // Prepare
    const none = config('none.json', {});
    const photo = join(dir, 'nosize.jpg');
    copyFileSync(SAMPLE_PHOTO, photo);

    // Act
    const result = await thumbctl(['upload', photo], none);

    // Assess
    assert.equal(result.code, 2, result.stderr);
    const lines = ourStderr(result);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /upload needs a size, e\.g\. `thumbctl upload photo\.jpg 400x400`: no variants are configured/);
    await assert.rejects(clients.s3.send(new HeadObjectCommand({ Bucket: names.sourceBucket, Key: 'nosize.jpg' })), { name: 'NotFound' });
  });
});
