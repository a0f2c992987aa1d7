// One strict parse of the SigV4 credential, attacked: a correctly signed request with a forged field in front of
// its Authorization header (`XCredential=nobody/...`) used to be verified as the role that signed it but routed and
// authorised as an unknown key, an administrator, and so read an object an explicit Deny protects. Now that header
// is malformed, as is every Authorization header or presigned query outside AWS's grammar, in default mode and
// under --require-auth alike; and no mutation of a signed header makes anyone but its signer the caller (fuzzed).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { IssuedCredential } from '../../../emulator/core/auth.js';
import { TEST_CREDENTIALS } from '../../helpers/local-cloud.js';
import { assertProtocolError, countCase, fuzzRuns, fuzzSeed, reportCounts, send, startHostileCloud, type HostileCloud, type Protocol } from '../../helpers/hostile.js';
import { signRaw, type RawSigned } from './support.js';

const SECRET_BODY = 'what the explicit deny protects';

interface Setup {
  mode: 'default' | '--require-auth';
  cloud: HostileCloud;
  bucket: string;
  /** Keys the cloud issued for a role whose policy allows s3:GetObject on the bucket but denies secret.txt. */
  roleKeys: IssuedCredential;
}

const setups: Setup[] = [];

async function prepare(mode: Setup['mode']): Promise<Setup> {
  const cloud = await startHostileCloud(mode === '--require-auth' ? { requireAuth: { ...TEST_CREDENTIALS } } : {});
  const bucket = `cred-${randomBytes(4).toString('hex')}`;
  const s3 = new S3Client({ ...cloud.clientConfig });
  const iam = new IAMClient({ ...cloud.clientConfig });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'secret.txt', Body: SECRET_BODY }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'allowed.txt', Body: 'allowed body' }));
    const roleName = `cred-role-${randomBytes(3).toString('hex')}`;
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: 'read-but-not-the-secret',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` },
            { Effect: 'Deny', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/secret.txt` },
          ],
        }),
      }),
    );
    // The keys a function environment of this role gets.
    const roleKeys = cloud.cloud.context.credentials!.issue(role.Role!.Arn!);
    return { mode, cloud, bucket, roleKeys };
  } finally {
    s3.destroy();
    iam.destroy();
  }
}

before(async () => {
  setups.push(await prepare('default'), await prepare('--require-auth'));
});

after(async () => {
  reportCounts('credential');
  for (const setup of setups) await setup.cloud.close();
});

function roleGet(setup: Setup, key: string): Promise<RawSigned> {
  return signRaw(setup.cloud.endpoint, { service: 's3', method: 'GET', path: `/${setup.bucket}/${key}` }, setup.roleKeys);
}

function withAuthorization(signed: RawSigned, authorization: string | string[]): RawSigned {
  return { ...signed, headers: { ...signed.headers, authorization } as unknown as Record<string, string> };
}

describe('the XCredential prefix attack', () => {
  it('no longer turns a role into an administrator: the forged header is malformed, the honest one denied', async () => {
    for (const setup of setups) {
      const honest = await roleGet(setup, 'secret.txt');
      // Prepare: the role really is denied the object, and really may read the bucket.
      const denied = await send(setup.cloud.endpoint, honest);
      assert.equal(denied.status, 403, `${setup.mode}: ${denied.body}`);
      assert.equal(assertProtocolError(denied, 's3'), 'AccessDenied');
      assert.match(denied.body, /explicit deny/);
      const allowed = await send(setup.cloud.endpoint, await roleGet(setup, 'allowed.txt'));
      assert.equal(allowed.status, 200, `${setup.mode}: ${allowed.body}`);

      // Act: the same signed header, with a forged field in front of the real credential.
      const forged = honest.headers.authorization!.replace('AWS4-HMAC-SHA256 ', 'AWS4-HMAC-SHA256 XCredential=nobody/20260101/us-east-1/s3/aws4_request, ');
      const attack = await send(setup.cloud.endpoint, withAuthorization(honest, forged));

      // Assess
      assert.notEqual(attack.body, SECRET_BODY, `${setup.mode}: the denied object was returned`);
      assert.equal(attack.status, 400, `${setup.mode}: ${attack.body}`);
      assert.equal(assertProtocolError(attack, 's3'), 'AuthorizationHeaderMalformed');
      countCase(`xcredential ${setup.mode}`);
    }
  });

  it('never returns the denied object whatever is done to the signed header (fuzzed)', async () => {
    for (const setup of setups) {
      const honest = await roleGet(setup, 'secret.txt');
      const [algorithm, ...rest] = honest.headers.authorization!.split(' ');
      const fields = rest.join(' ').split(/,\s*/);
      const forgedField = fc.oneof(
        fc.constantFrom(
          'XCredential=nobody/20260101/us-east-1/s3/aws4_request',
          'Credential=nobody/20260101/us-east-1/s3/aws4_request',
          `Credential=${TEST_CREDENTIALS.accessKeyId}/20260101/us-east-1/s3/aws4_request`,
          'Credential=nobody/20260101/us-east-1/iam/aws4_request',
          `Signature=${'0'.repeat(64)}`,
          'SignedHeaders=host',
          'credential=nobody/20260101/us-east-1/s3/aws4_request',
          'Credential=',
          '',
          ' ',
        ),
        fc.string({ maxLength: 30 }).map((text) => text.replace(/[\r\n]/g, '')),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat({ max: fields.length }), forgedField), { minLength: 1, maxLength: 3 }),
          fc.constantFrom(', ', ',', ' , ', ',  ', ' ,', ';'),
          fc.constantFrom(algorithm!, `${algorithm} `, `${algorithm}\t`, algorithm!.toLowerCase(), `X${algorithm}`),
          async (insertions, separator, prefix) => {
            const mutated = [...fields];
            for (const [index, field] of insertions) mutated.splice(index, 0, field);
            const authorization = `${prefix} ${mutated.join(separator)}`.replace(/[\r\n]/g, '');
            const response = await send(setup.cloud.endpoint, withAuthorization(honest, authorization));
            countCase(`mutated header ${setup.mode} ${response.status}`);
            assert.notEqual(response.body, SECRET_BODY, `${setup.mode}: ${JSON.stringify(authorization)} read the denied object`);
            assert.notEqual(response.status, 200, `${setup.mode}: ${JSON.stringify(authorization)}`);
          },
        ),
        { numRuns: fuzzRuns(60), ...fuzzSeed() },
      );
    }
  });
});

/** A well-formed (unverifiable) header for `service`, to be broken one way at a time. */
function header(service: string, change: (fields: { credential: string; signedHeaders: string; signature: string }) => string): string {
  return change({ credential: `Credential=test/20260101/us-east-1/${service}/aws4_request`, signedHeaders: 'SignedHeaders=host;x-amz-date', signature: `Signature=${'0'.repeat(64)}` });
}

const MALFORMED: [string, (f: { credential: string; signedHeaders: string; signature: string }) => string][] = [
  ['a field twice (Credential)', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.credential}, ${f.signedHeaders}, ${f.signature}`],
  ['a field twice (Signature)', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.signedHeaders}, ${f.signature}, ${f.signature}`],
  ['two Credentials naming different keys', (f) => `AWS4-HMAC-SHA256 ${f.credential.replace('test/', 'other/')}, ${f.credential}, ${f.signedHeaders}, ${f.signature}`],
  ['no Signature', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.signedHeaders}`],
  ['no SignedHeaders', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.signature}`],
  ['no Credential', (f) => `AWS4-HMAC-SHA256 ${f.signedHeaders}, ${f.signature}`],
  ['no fields', () => 'AWS4-HMAC-SHA256'],
  ['an unknown field', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.signedHeaders}, ${f.signature}, Region=us-east-1`],
  ['a forged prefix', (f) => `AWS4-HMAC-SHA256 XCredential=nobody/20260101/us-east-1/s3/aws4_request, ${f.credential}, ${f.signedHeaders}, ${f.signature}`],
  ['a lower-case field name', (f) => `AWS4-HMAC-SHA256 ${f.credential.toLowerCase()}, ${f.signedHeaders}, ${f.signature}`],
  ['a lower-case algorithm', (f) => `aws4-hmac-sha256 ${f.credential}, ${f.signedHeaders}, ${f.signature}`],
  ['SigV4A', (f) => `AWS4-ECDSA-P256-SHA256 ${f.credential}, ${f.signedHeaders}, ${f.signature}`],
  ['SigV2', () => 'AWS test:c2lnbmF0dXJl'],
  ['no space after the algorithm', (f) => `AWS4-HMAC-SHA256${f.credential}, ${f.signedHeaders}, ${f.signature}`],
  ['a short signature', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.signedHeaders}, Signature=${'0'.repeat(63)}`],
  ['a long signature', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.signedHeaders}, Signature=${'0'.repeat(65)}`],
  ['a signature that is not hex', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.signedHeaders}, Signature=${'z'.repeat(64)}`],
  ['a quoted value', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.signedHeaders}, Signature="${'0'.repeat(64)}"`],
  ['a scope of four parts', (f) => `AWS4-HMAC-SHA256 ${f.credential.replace('/aws4_request', '')}, ${f.signedHeaders}, ${f.signature}`],
  ['a scope of six parts', (f) => `AWS4-HMAC-SHA256 ${f.credential}/x, ${f.signedHeaders}, ${f.signature}`],
  ['a scope with another terminator', (f) => `AWS4-HMAC-SHA256 ${f.credential}s, ${f.signedHeaders}, ${f.signature}`],
  ['a scope date that is no date', (f) => `AWS4-HMAC-SHA256 ${f.credential.replace('20260101', '20261340')}, ${f.signedHeaders}, ${f.signature}`],
  ['an empty access key', (f) => `AWS4-HMAC-SHA256 ${f.credential.replace('test/', '/')}, ${f.signedHeaders}, ${f.signature}`],
  ['empty SignedHeaders', (f) => `AWS4-HMAC-SHA256 ${f.credential}, SignedHeaders=, ${f.signature}`],
  ['an empty signed header name', (f) => `AWS4-HMAC-SHA256 ${f.credential}, SignedHeaders=host;;x-amz-date, ${f.signature}`],
  ['a signed header twice', (f) => `AWS4-HMAC-SHA256 ${f.credential}, SignedHeaders=host;host, ${f.signature}`],
  ['spaces around =', (f) => `AWS4-HMAC-SHA256 Credential = ${f.credential.slice('Credential='.length)}, ${f.signedHeaders}, ${f.signature}`],
  ['a trailing comma', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.signedHeaders}, ${f.signature},`],
  ['fields joined by semicolons', (f) => `AWS4-HMAC-SHA256 ${f.credential}; ${f.signedHeaders}; ${f.signature}`],
  ['an empty header', () => ''],
];

/** One request per service, each routable without a credential scope (so a malformed header is still answered in the service's protocol). */
const SERVICES: { service: string; protocol: Protocol; method: string; path: string; headers?: Record<string, string>; body?: string; malformed: RegExp }[] = [
  { service: 's3', protocol: 's3', method: 'GET', path: '/', malformed: /^(AuthorizationHeaderMalformed|InvalidRequest)$/ },
  { service: 'iam', protocol: 'query', method: 'GET', path: '/?Action=ListRoles&Version=2010-05-08', malformed: /^IncompleteSignature$/ },
  { service: 'sts', protocol: 'query', method: 'GET', path: '/?Action=GetCallerIdentity&Version=2011-06-15', malformed: /^IncompleteSignature$/ },
  // A POSTed form names its service only in its body: the refusal is still IAM's.
  { service: 'iam', protocol: 'query', method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListRoles&Version=2010-05-08', malformed: /^IncompleteSignature$/ },
  { service: 'logs', protocol: 'json-1.1', method: 'POST', path: '/', headers: { 'x-amz-target': 'Logs_20140328.DescribeLogGroups', 'content-type': 'application/x-amz-json-1.1' }, body: '{}', malformed: /^IncompleteSignatureException$/ },
  { service: 'lambda', protocol: 'rest-json', method: 'GET', path: '/2015-03-31/functions', malformed: /^IncompleteSignatureException$/ },
];

describe('malformed Authorization headers', () => {
  it('are refused with each protocol\'s malformed-signature error, in default mode and under --require-auth', async () => {
    for (const setup of setups) {
      for (const target of SERVICES) {
        for (const [label, change] of MALFORMED) {
          const authorization = header(target.service, change);
          const response = await send(setup.cloud.endpoint, { method: target.method, path: target.path, headers: { ...target.headers, authorization, 'x-amz-date': '20260101T000000Z' }, body: target.body });
          const where = `${setup.mode} ${target.service} ${label}`;
          assert.equal(response.status, 400, `${where}: ${response.status} ${response.body.slice(0, 300)}`);
          assert.match(assertProtocolError(response, target.protocol, where), target.malformed, where);
          countCase(`malformed ${label}`);
        }
      }
      assert.deepEqual(setup.cloud.internalErrors(), []);
    }
  });

  it('refuses two Authorization headers, even two good ones', async () => {
    for (const setup of setups) {
      const signed = await signRaw(setup.cloud.endpoint, { service: 's3', method: 'GET', path: `/${setup.bucket}/allowed.txt` }, TEST_CREDENTIALS);
      const alone = await send(setup.cloud.endpoint, signed);
      assert.equal(alone.status, 200, `${setup.mode}: ${alone.body}`);
      const twice = await send(setup.cloud.endpoint, withAuthorization(signed, [signed.headers.authorization!, signed.headers.authorization!]));
      assert.equal(twice.status, 400, `${setup.mode}: ${twice.body}`);
      assert.equal(assertProtocolError(twice, 's3'), 'AuthorizationHeaderMalformed');
      const roleThenAdmin = await send(setup.cloud.endpoint, withAuthorization(signed, [(await roleGet(setup, 'secret.txt')).headers.authorization!, signed.headers.authorization!]));
      assert.equal(roleThenAdmin.status, 400);
    }
  });
});

describe('malformed presigned queries', () => {
  it('are refused: a parameter twice, one missing, both forms at once, an expiry over a week', async () => {
    const credential = encodeURIComponent('test/20260101/us-east-1/s3/aws4_request');
    const good = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${credential}&X-Amz-Date=20260101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=${'0'.repeat(64)}`;
    const cases: [string, string, Record<string, string>][] = [
      ['X-Amz-Credential twice', `${good}&X-Amz-Credential=${encodeURIComponent('nobody/20260101/us-east-1/s3/aws4_request')}`, {}],
      ['X-Amz-Signature twice', `${good}&X-Amz-Signature=${'1'.repeat(64)}`, {}],
      ['no X-Amz-Expires', good.replace('&X-Amz-Expires=300', ''), {}],
      ['only X-Amz-Credential', `X-Amz-Credential=${credential}`, {}],
      ['an expiry over a week', good.replace('X-Amz-Expires=300', 'X-Amz-Expires=604801'), {}],
      ['a date out of format', good.replace('20260101T000000Z', '2026-01-01'), {}],
      ['a forged credential scope', good.replace(credential, encodeURIComponent('XCredential=nobody/20260101/us-east-1/s3/aws4_request')), {}],
      ['header and query at once', good, { authorization: header('s3', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.signedHeaders}, ${f.signature}`) }],
    ];
    for (const setup of setups) {
      for (const [label, query, headers] of cases) {
        const response = await send(setup.cloud.endpoint, { method: 'GET', path: `/${setup.bucket}/allowed.txt?${query}`, headers });
        const where = `${setup.mode} ${label}`;
        assert.equal(response.status, 400, `${where}: ${response.body.slice(0, 300)}`);
        assert.match(assertProtocolError(response, 's3', where), /^(AuthorizationQueryParametersError|AuthorizationHeaderMalformed)$/, where);
      }
    }
  });
});

describe('x-amz-content-sha256', () => {
  const garbage = ['garbage', 'unsigned-payload', 'UNSIGNED_PAYLOAD', 'STREAMING-ANYTHING', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-X', '0'.repeat(63), 'g'.repeat(64), `${'0'.repeat(64)}, ${'0'.repeat(64)}`];

  it('must be a hex SHA-256 or one of S3\'s markers: anything else is 400 InvalidArgument, nothing stored', async () => {
    const setup = setups.find((candidate) => candidate.mode === 'default')!;
    for (const value of garbage) {
      for (const method of ['PUT', 'GET']) {
        const key = `garbage-${randomBytes(3).toString('hex')}.txt`;
        const response = await send(setup.cloud.endpoint, {
          method,
          path: `/${setup.bucket}/${key}`,
          headers: { authorization: header('s3', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.signedHeaders}, ${f.signature}`), 'x-amz-content-sha256': value },
          ...(method === 'PUT' ? { body: 'body' } : {}),
        });
        const where = `${method} ${JSON.stringify(value)}`;
        assert.equal(response.status, 400, `${where}: ${response.body.slice(0, 300)}`);
        assert.equal(assertProtocolError(response, 's3', where), 'InvalidArgument');
        assert.match(response.body, /<Message>x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value\.<\/Message>/);
        assert.match(response.body, /<ArgumentName>x-amz-content-sha256<\/ArgumentName>/);
        const stored = await send(setup.cloud.endpoint, { method: 'GET', path: `/${setup.bucket}/${key}` });
        assert.equal(stored.status, 404, `${where}: stored`);
      }
    }
    const bodyHash = createHash('sha256').update('body').digest('hex');
    for (const value of ['UNSIGNED-PAYLOAD', bodyHash, bodyHash.toUpperCase()]) {
      const response = await send(setup.cloud.endpoint, {
        method: 'PUT',
        path: `/${setup.bucket}/valid.txt`,
        headers: { authorization: header('s3', (f) => `AWS4-HMAC-SHA256 ${f.credential}, ${f.signedHeaders}, ${f.signature}`), 'x-amz-content-sha256': value },
        body: 'body',
      });
      assert.equal(response.status, 200, `${value}: ${response.body.slice(0, 300)}`);
    }
  });

  it('is refused the same way when the request is correctly signed with it (--require-auth)', async () => {
    const setup = setups.find((candidate) => candidate.mode === '--require-auth')!;
    for (const value of garbage.slice(0, 4)) {
      const signed = await signRaw(setup.cloud.endpoint, { service: 's3', method: 'PUT', path: `/${setup.bucket}/signed-garbage.txt`, headers: { 'x-amz-content-sha256': value }, body: 'body' }, TEST_CREDENTIALS);
      const response = await send(setup.cloud.endpoint, signed);
      assert.equal(response.status, 400, `${JSON.stringify(value)}: ${response.body.slice(0, 300)}`);
      assert.equal(assertProtocolError(response, 's3'), 'InvalidArgument');
    }
    const signed = await signRaw(setup.cloud.endpoint, { service: 's3', method: 'GET', path: `/${setup.bucket}/signed-garbage.txt` }, TEST_CREDENTIALS);
    assert.equal((await send(setup.cloud.endpoint, signed)).status, 404);
  });
});
