// Hostile deployment packages through CreateFunction (inline and from S3): entries named `../`, absolute,
// backslash and drive paths, symlinks, an encrypted flag, a 250 MB bomb that deflates to a few hundred KB,
// sizes that lie, 50,001 entries, and bytes that are no zip. Each is refused with Lambda's own error, creates
// no function, and writes nothing outside `<stateDir>/code/` (nor leaves a half-unpacked folder inside it).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, DeleteFunctionCommand, GetFunctionCommand, LambdaClient, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { countCase, reportCounts, startHostileCloud, type HostileCloud } from '../../helpers/hostile.js';
import { buildZip, deflatedZeros, type HostileEntry } from './zip-builder.js';

const MARK = `evil-${randomBytes(4).toString('hex')}`;
const HANDLER = Buffer.from('export const handler = async () => "ok";\n');

let cloud: HostileCloud;
let lambda: LambdaClient;
let s3: S3Client;
let roleArn: string;
let bucket: string;

before(async () => {
  cloud = await startHostileCloud({ stateDelayMs: 0 });
  lambda = new LambdaClient({ ...cloud.clientConfig, maxAttempts: 1 });
  s3 = new S3Client({ ...cloud.clientConfig });
  const iam = new IAMClient({ ...cloud.clientConfig });
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: `zips-${randomBytes(3).toString('hex')}`,
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }),
  );
  iam.destroy();
  roleArn = role.Role!.Arn!;
  bucket = `zips-${randomBytes(4).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

after(async () => {
  reportCounts('zips');
  lambda.destroy();
  s3.destroy();
  await cloud.close();
});

function listFiles(root: string, depth = 10): string[] {
  if (depth < 0 || !existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true }).flatMap((entry) => {
    const path = join(root, entry.name);
    if (entry.isDirectory()) return [`${entry.name}/`, ...listFiles(path, depth - 1).map((child) => join(entry.name, child))];
    return [entry.name];
  });
}

/** Nothing carrying the marker anywhere an escaping entry could land; no half-unpacked folder left behind. */
function assertNothingWrittenOutsideCode(before: Set<string>): void {
  const after = listFiles(cloud.stateDir);
  for (const file of after.filter((path) => !before.has(path))) {
    assert.match(file, /^(code\/|blobs\/|tmp\/$|state\.db)/, `a refused package wrote ${file}`);
    assert.doesNotMatch(file, /\.staging-/, `a staging folder was left behind: ${file}`);
    assert.ok(!file.includes(MARK), `an entry of a refused package was written: ${file}`);
  }
  for (const place of [dirname(cloud.stateDir), tmpdir(), '/tmp', '/', process.cwd()]) {
    assert.deepEqual(listFiles(place, 0).filter((file) => file.includes(MARK)), [], `an entry escaped into ${place}`);
  }
}

async function expectRefused(zip: Buffer, label: string, expected: { code: string; message: RegExp }, fromS3 = false): Promise<void> {
  const before = new Set(listFiles(cloud.stateDir));
  const functionName = `zip-${randomBytes(4).toString('hex')}`;
  let code: { ZipFile?: Uint8Array; S3Bucket?: string; S3Key?: string } = { ZipFile: zip };
  if (fromS3) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${functionName}.zip`, Body: zip }));
    code = { S3Bucket: bucket, S3Key: `${functionName}.zip` };
  }
  await assert.rejects(
    lambda.send(new CreateFunctionCommand({ FunctionName: functionName, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: roleArn, Code: code })),
    (error: { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(error.name, expected.code, `${label}: ${error.name}: ${error.message}`);
      assert.match(error.message ?? '', expected.message, label);
      assert.ok((error.$metadata?.httpStatusCode ?? 500) < 500);
      return true;
    },
  );
  countCase(`refused ${label}`);
  await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: functionName })), { name: 'ResourceNotFoundException' });
  assertNothingWrittenOutsideCode(before);
}

const COULD_NOT_UNZIP = { code: 'InvalidParameterValueException', message: /^Could not unzip uploaded file\. Please check your file, then try to upload again\.$/ };
const TOO_LARGE_UNZIPPED = { code: 'InvalidParameterValueException', message: /^Unzipped size must be smaller than 262144000 bytes$/ };

describe('CreateFunction refuses hostile packages', () => {
  it('accepts an honest package (the control case)', async () => {
    const functionName = `zip-ok-${randomBytes(3).toString('hex')}`;
    await lambda.send(new CreateFunctionCommand({ FunctionName: functionName, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: roleArn, Code: { ZipFile: buildZip([{ name: 'index.mjs', data: HANDLER }]) } }));
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20, minDelay: 0.02, maxDelay: 0.1 }, { FunctionName: functionName });
    await lambda.send(new DeleteFunctionCommand({ FunctionName: functionName }));
  });

  const escaping: [string, string][] = [
    ['a ../ entry', `../${MARK}.js`],
    ['a deep ../ entry', `a/b/../../../../${MARK}.js`],
    ['an absolute entry', `/tmp/${MARK}.js`],
    ['a backslash entry', `..\\..\\${MARK}.js`],
    ['a drive-letter entry', `C:/${MARK}.js`],
    ['a NUL in a name', `ok\u0000/../../${MARK}.js`],
  ];
  for (const [label, name] of escaping) {
    it(`refuses ${label}`, async () => {
      await expectRefused(buildZip([{ name: 'index.mjs', data: HANDLER }, { name, data: Buffer.from('pwned') }]), label, COULD_NOT_UNZIP);
    });
  }

  it('refuses symlinks, whether they point outside or at a parent', async () => {
    for (const target of ['/etc/passwd', '../../..', `../${MARK}`]) {
      await expectRefused(buildZip([{ name: 'index.mjs', data: HANDLER }, { name: `link-${MARK}`, data: Buffer.from(target), mode: 0o120777 }]), `symlink to ${target}`, COULD_NOT_UNZIP);
    }
  });

  it('refuses an entry flagged as encrypted', async () => {
    await expectRefused(buildZip([{ name: 'index.mjs', data: HANDLER, encrypted: true }]), 'encrypted entry', COULD_NOT_UNZIP);
  });

  it('refuses a 250 MB bomb that deflates to a few hundred KB, inline and from S3, without unpacking it', async () => {
    const zeros = await deflatedZeros(262_144_001);
    assert.ok(zeros.data.length < 400_000, `the bomb is small: ${zeros.data.length} bytes`);
    const bomb = buildZip([{ name: 'index.mjs', data: HANDLER }, { name: `${MARK}.bin`, deflated: zeros }]);
    const rssBefore = process.memoryUsage().rss;
    await expectRefused(bomb, 'zip bomb', TOO_LARGE_UNZIPPED);
    await expectRefused(bomb, 'zip bomb from S3', TOO_LARGE_UNZIPPED, true);
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024, 'the bomb was not expanded in memory');
  });

  it('refuses packages whose sizes lie, in either direction', async () => {
    // Declares 300 MB for a few bytes: refused from the central directory alone.
    await expectRefused(buildZip([{ name: 'index.mjs', data: HANDLER }, { name: `${MARK}.txt`, data: Buffer.alloc(1000, 0x20), declaredSize: 300 * 1024 * 1024 }]), 'declared too large', TOO_LARGE_UNZIPPED);
    // Declares 1 KB for 3 MB of zeros: caught while unpacking, the half-written folder removed.
    const zeros = await deflatedZeros(3 * 1024 * 1024);
    await expectRefused(buildZip([{ name: 'index.mjs', data: HANDLER }, { name: `${MARK}.bin`, deflated: zeros, declaredSize: 1024 }]), 'declared too small', COULD_NOT_UNZIP);
  });

  it('refuses a package of 50,001 entries', async () => {
    const entries: HostileEntry[] = [{ name: 'index.mjs', data: HANDLER }];
    for (let i = 0; i < 50_000; i++) entries.push({ name: `f/${i}`, data: Buffer.alloc(0) });
    await expectRefused(buildZip(entries), 'too many entries', COULD_NOT_UNZIP);
  });

  it('refuses bytes that are not a zip', async () => {
    const honest = buildZip([{ name: 'index.mjs', data: HANDLER }]);
    for (const [label, bytes] of [
      ['empty', Buffer.alloc(0)],
      ['text', Buffer.from('not a zip at all')],
      ['truncated', honest.subarray(0, honest.length - 10)],
      ['garbage with a zip signature', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), randomBytes(200)])],
    ] as const) {
      await expectRefused(bytes, label, label === 'empty' ? { code: 'InvalidParameterValueException', message: /./ } : COULD_NOT_UNZIP);
    }
    assert.deepEqual(cloud.internalErrors(), []);
    await cloud.assertHealthy();
  });
});
