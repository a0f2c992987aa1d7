// Object keys that try to escape (`../`, absolute paths, backslashes, NUL), 1,024-byte keys, unicode and
// control characters, and raw request paths with `..` segments sent as bytes on a socket. Each is stored
// safely (and read back byte for byte) or refused with an AWS error; no file is ever written outside the
// state directory, and inside it only content-addressed blobs and the database exist, never a key's name.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { assertProtocolError, countCase, fuzzRuns, fuzzSeed, rawExchange, reportCounts, scopeAuthorization, startHostileCloud, type HostileCloud } from '../../helpers/hostile.js';

const MARK = `thumbctl-escape-${randomBytes(4).toString('hex')}`;

let cloud: HostileCloud;
let s3: S3Client;
let bucket: string;
let passwdBefore: { mtimeMs: number; size: number } | undefined;

before(async () => {
  cloud = await startHostileCloud();
  s3 = new S3Client({ ...cloud.clientConfig });
  bucket = `keys-${randomBytes(4).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  passwdBefore = existsSync('/etc/passwd') ? statSync('/etc/passwd') : undefined;
});

after(async () => {
  reportCounts('keys');
  s3.destroy();
  await cloud.close();
});

/** Every file under a directory, as paths relative to it. */
function listFiles(root: string, depth = 8): string[] {
  if (depth < 0 || !existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true }).flatMap((entry) => {
    const path = join(root, entry.name);
    if (entry.isDirectory()) return listFiles(path, depth - 1).map((child) => join(entry.name, child));
    return [entry.name];
  });
}

/** Only what the stores themselves name: the database and blobs named by their SHA-256, never by a key. */
function assertStateDirHoldsOnlyStoreFiles(): void {
  for (const file of listFiles(cloud.stateDir)) {
    assert.match(file, /^(state\.db(-wal|-shm|-journal)?|blobs\/[0-9a-f]{2}\/[0-9a-f]{64}|server\.json|server\.lock|disk-reserve|cloud\.log)$/, `unexpected file in the state directory: ${file}`);
  }
}

/** No file carrying the marker exists in the places an escaping key could reach. */
function assertNothingEscaped(): void {
  const places = [cloud.stateDir, dirname(cloud.stateDir), tmpdir(), resolve(cloud.stateDir, '..', '..'), '/', '/etc', process.cwd()];
  for (const place of places) {
    const found = listFiles(place, place === cloud.stateDir ? 8 : 0).filter((file) => file.includes(MARK));
    assert.deepEqual(found, [], `a key escaped into ${place}`);
  }
  if (passwdBefore) {
    const now = statSync('/etc/passwd');
    assert.deepEqual([now.mtimeMs, now.size], [passwdBefore.mtimeMs, passwdBefore.size], '/etc/passwd was touched');
  }
}

async function roundTrip(key: string): Promise<'stored' | string> {
  const body = `body of ${JSON.stringify(key)}`;
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  } catch (error) {
    const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    assert.ok((failure.$metadata?.httpStatusCode ?? 500) < 500, `${JSON.stringify(key)}: ${String(error)}`);
    return failure.name ?? 'error';
  }
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  assert.equal(await object.Body!.transformToString(), body, `${JSON.stringify(key)} reads back`);
  await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, EncodingType: 'url' }));
  assert.ok(
    (listed.Contents ?? []).some((entry) => decodeURIComponent((entry.Key ?? '').replace(/\+/g, ' ')) === key),
    `${JSON.stringify(key)} is listed as itself: ${JSON.stringify(listed.Contents?.map((entry) => entry.Key))}`,
  );
  const copyKey = `copy/${key}`;
  if (Buffer.byteLength(copyKey) <= 1024) {
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: copyKey, CopySource: `${bucket}/${encodeURIComponent(key)}` }));
    const copy = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: copyKey }));
    assert.equal(await copy.Body!.transformToString(), body);
  }
  return 'stored';
}

describe('keys that try to escape', () => {
  const hostile: [string, string][] = [
    ['parent segments', `../../${MARK}`],
    ['one parent segment', `../${MARK}`],
    ['dot-dot alone', '..'],
    ['dot alone', '.'],
    ['inner parent segments', `a/b/../../../${MARK}`],
    ['absolute path', `/${MARK}`],
    ['absolute system path', `/etc/passwd`],
    ['double slash', `//${MARK}//x`],
    ['backslashes', `..\\..\\${MARK}`],
    ['drive letter', `C:\\${MARK}`],
    ['encoded dots, literally', `%2e%2e%2f${MARK}`],
    ['double-encoded dots', `%252e%252e%252f${MARK}`],
    ['NUL byte', `a\u0000b-${MARK}`],
    ['NUL then parent', `\u0000/../../${MARK}`],
    ['control characters', `\u0001\u0002\u001f\u007f-${MARK}`],
    ['CR and LF', `line\r\nbreak-${MARK}`],
    ['1,024 ASCII bytes', 'k'.repeat(1024)],
    ['1,024 bytes of two-byte characters', 'é'.repeat(512)],
    ['1,025 bytes', 'k'.repeat(1025)],
    ['1,026 bytes of two-byte characters', 'é'.repeat(513)],
    ['emoji and astral planes', `📷/🏔️-${MARK}-𝔘𝔫𝔦`],
    ['right-to-left override', `\u202Egpj.exe-${MARK}`],
    ['combining marks and BOM', `\uFEFFe\u0301\u0301-${MARK}`],
    ['query and fragment characters', `what?x=1&y=2#frag-${MARK}`],
    ['spaces and plus', ` lead + trail ${MARK} `],
  ];

  for (const [label, key] of hostile) {
    it(`${label}: stored safely or refused with an AWS error`, async () => {
      const outcome = await roundTrip(key);
      countCase(`key ${label} ${outcome}`);
      if (Buffer.byteLength(key) > 1024) assert.equal(outcome, 'KeyTooLongError');
      else assert.equal(outcome, 'stored', `${label} should be a valid S3 key`);
      assertStateDirHoldsOnlyStoreFiles();
      assertNothingEscaped();
    });
  }

  it('any unicode key up to 1,024 bytes round-trips exactly (fuzzed)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }).filter((key) => Buffer.byteLength(key) <= 1024),
        async (key) => {
          countCase('fuzzed key');
          assert.equal(await roundTrip(key), 'stored');
        },
      ),
      { numRuns: fuzzRuns(40), ...fuzzSeed() },
    );
    assertStateDirHoldsOnlyStoreFiles();
    assertNothingEscaped();
  });

  it('deletes hostile keys without touching anything else', async () => {
    for (const [, key] of hostile) {
      if (Buffer.byteLength(key) > 1024) continue;
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), { name: 'NotFound' });
    }
    assertNothingEscaped();
  });
});

describe('raw request paths with dot segments', () => {
  // Signed (unverified) for the service the path is for: the cloud refuses unsigned requests (but S3 reads) before routing.
  const serviceOf = (target: string): string => (target.startsWith('/2015-03-31/') ? 'lambda' : target.startsWith('/TraceSegments') ? 'xray' : 's3');
  const head = (method: string, target: string, extra = ''): string =>
    `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${scopeAuthorization(serviceOf(target))}\r\n${extra}Connection: close\r\n\r\n`;

  it('keeps `..` as part of the key, so what is written under it reads back from S3 and nowhere else', async () => {
    const target = `/${bucket}/../../${MARK}-raw`;
    const put = await rawExchange(cloud.endpoint, [head('PUT', target, 'Content-Length: 5\r\n'), 'hello'], { waitMs: 2000 });
    countCase(`raw put ${put.status}`);
    assert.equal(put.status, 200, put.raw.slice(0, 300));
    const get = await rawExchange(cloud.endpoint, [head('GET', target)], { waitMs: 2000 });
    assert.equal(get.status, 200);
    assert.ok(get.raw.endsWith('hello'));
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `../../${MARK}-raw` }));
    assert.equal(await object.Body!.transformToString(), 'hello');
    assertStateDirHoldsOnlyStoreFiles();
    assertNothingEscaped();
  });

  it('never serves a file from outside the state directory', async () => {
    const stateDb = relative('/', join(cloud.stateDir, 'state.db'));
    const targets = [
      `/${bucket}/../../etc/passwd`,
      `/${bucket}/..%2f..%2fetc%2fpasswd`,
      `/${bucket}/%2e%2e/%2e%2e/etc/passwd`,
      `/../../etc/passwd`,
      `/..%2f..%2fetc%2fpasswd`,
      `/${bucket}/${'../'.repeat(20)}${stateDb}`,
      `/${bucket}/..\\..\\etc\\passwd`,
      `http://127.0.0.1/../../etc/passwd`,
      `/2015-03-31/code-download/../../state.db`,
      `/2015-03-31/code-download/..%2f..%2fstate.db`,
      `/2015-03-31/code-download/${'0'.repeat(64)}.zip/../../../state.db`,
      `/2015-03-31/functions/..%2f..%2f..%2fetc%2fpasswd`,
      `/2015-03-31/functions/${'../'.repeat(10)}etc/passwd/code`,
      `/TraceSegments/../../etc/passwd`,
    ];
    const passwd = existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8').split('\n')[0] ?? 'root:' : 'root:';
    for (const target of targets) {
      for (const method of ['GET', 'HEAD']) {
        const result = await rawExchange(cloud.endpoint, [head(method, target)], { waitMs: 2000 });
        countCase(`raw ${method} escape ${result.status}`);
        // A 4xx, or 501 for a method the service has no operation for (HEAD on Lambda's paths).
        assert.ok(result.status !== undefined && ((result.status >= 400 && result.status < 500) || result.status === 501), `${method} ${target} → ${result.raw.slice(0, 200)}`);
        assert.ok(!result.raw.includes(passwd), `${target} served /etc/passwd`);
        assert.ok(!result.raw.includes('SQLite format'), `${target} served the database`);
      }
    }
    // A virtual-host name that tries the same.
    const virtual = await rawExchange(cloud.endpoint, [`GET /etc/passwd HTTP/1.1\r\nHost: ..localhost\r\nConnection: close\r\n\r\n`], { waitMs: 2000 });
    assert.ok(virtual.status !== undefined && virtual.status >= 400 && virtual.status < 500);
    assert.ok(!virtual.raw.includes(passwd));
    assertNothingEscaped();
    await cloud.assertHealthy();
    assert.deepEqual(cloud.internalErrors(), []);
  });

  it('answers an undecodable path with InvalidURI', async () => {
    const result = await rawExchange(cloud.endpoint, [head('GET', `/${bucket}/%E0%A4%A`)], { waitMs: 2000 });
    const [rawHead = '', body = ''] = result.raw.split('\r\n\r\n');
    assert.equal(assertProtocolError({ status: result.status!, headers: { 'x-amz-request-id': /x-amz-request-id: (\S+)/i.exec(rawHead)?.[1] ?? '' }, body }, 's3'), 'InvalidURI');
  });
});
