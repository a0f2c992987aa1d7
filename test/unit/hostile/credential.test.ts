// The one parse of a SigV4 credential (emulator/core/credential.ts): AWS's grammar accepted in the forms clients
// write it, everything else refused with the kind of failure each protocol names; and, fuzzed, routing and
// verification never disagree: a mutated header either fails to parse, or fails to verify, or names exactly
// the key and scope that signed it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SignatureV4 } from '@smithy/signature-v4';
import { AuthFailure, rawQueryPairs, verifySigV4, type SignedRequest } from '../../../emulator/core/auth.js';
import { checkDeclaredPayloadHash, parseSigV4Credential, type SigV4Credential } from '../../../emulator/core/credential.js';
import { callerOf, pickService } from '../../../emulator/core/routing.js';
import { fuzzRuns, fuzzSeed } from '../../helpers/hostile.js';
import { Sha256 } from '../../helpers/sha256.js';

const SIGNATURE = 'a'.repeat(64);
const SIGNER = { accessKeyId: 'ASIAROLEKEY0000000001', secretAccessKey: 'role-secret' };
const ADMIN = { accessKeyId: 'AKIAADMIN00000000001', secretAccessKey: 'admin-secret' };
const lookup = (accessKeyId: string) => [SIGNER, ADMIN].find((key) => key.accessKeyId === accessKeyId);

function parseHeader(...authorization: string[]): SigV4Credential | undefined {
  return parseSigV4Credential(new Map([['authorization', authorization]]), []);
}

function failureKind(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof AuthFailure, `not an AuthFailure: ${String(error)}`);
    return error.kind;
  }
  return 'accepted';
}

describe('parseSigV4Credential: the Authorization header', () => {
  it('reads AWS\'s grammar in the spellings clients use', () => {
    const expected = { form: 'header', accessKeyId: 'AKID', scope: { date: '20260101', region: 'us-east-1', service: 's3' }, signedHeaders: ['host', 'x-amz-date'], signature: SIGNATURE };
    for (const header of [
      `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`,
      `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-date,Signature=${SIGNATURE}`,
      `AWS4-HMAC-SHA256  Credential=AKID/20260101/us-east-1/s3/aws4_request , SignedHeaders=host;x-amz-date ,Signature=${SIGNATURE.toUpperCase()}`,
      `AWS4-HMAC-SHA256 Signature=${SIGNATURE}, SignedHeaders=host;x-amz-date, Credential=AKID/20260101/us-east-1/s3/aws4_request`,
    ]) {
      assert.deepEqual(parseHeader(header), expected, header);
    }
    assert.equal(parseSigV4Credential(new Map(), []), undefined, 'no SigV4 at all');
  });

  const base = { credential: 'Credential=AKID/20260101/us-east-1/s3/aws4_request', signedHeaders: 'SignedHeaders=host;x-amz-date', signature: `Signature=${SIGNATURE}` };
  const malformed: [string, string, string][] = [
    ['XCredential prefix', `AWS4-HMAC-SHA256 XCredential=nobody/20260101/us-east-1/s3/aws4_request, ${base.credential}, ${base.signedHeaders}, ${base.signature}`, 'malformed'],
    ['Credential twice', `AWS4-HMAC-SHA256 Credential=nobody/20260101/us-east-1/s3/aws4_request, ${base.credential}, ${base.signedHeaders}, ${base.signature}`, 'malformed'],
    ['unknown field', `AWS4-HMAC-SHA256 ${base.credential}, ${base.signedHeaders}, ${base.signature}, Extra=1`, 'malformed'],
    ['missing Signature', `AWS4-HMAC-SHA256 ${base.credential}, ${base.signedHeaders}`, 'malformed'],
    ['empty field', `AWS4-HMAC-SHA256 ${base.credential}, , ${base.signedHeaders}, ${base.signature}`, 'malformed'],
    ['lower-case algorithm', `aws4-hmac-sha256 ${base.credential}, ${base.signedHeaders}, ${base.signature}`, 'unsupported'],
    ['SigV2', 'AWS AKID:c2ln', 'unsupported'],
    ['Bearer', 'Bearer token', 'unsupported'],
    ['short signature', `AWS4-HMAC-SHA256 ${base.credential}, ${base.signedHeaders}, Signature=${'a'.repeat(63)}`, 'malformed'],
    ['scope of four', `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/aws4_request, ${base.signedHeaders}, ${base.signature}`, 'malformed'],
    ['Feb 30', `AWS4-HMAC-SHA256 Credential=AKID/20260230/us-east-1/s3/aws4_request, ${base.signedHeaders}, ${base.signature}`, 'malformed'],
    ['upper-case signed header', `AWS4-HMAC-SHA256 ${base.credential}, SignedHeaders=Host;x-amz-date, ${base.signature}`, 'malformed'],
    ['key with a comma-free but =-bearing value', `AWS4-HMAC-SHA256 Credential=A=B/20260101/us-east-1/s3/aws4_request, ${base.signedHeaders}, ${base.signature}`, 'malformed'],
    ['a key over 128 characters', `AWS4-HMAC-SHA256 Credential=${'A'.repeat(129)}/20260101/us-east-1/s3/aws4_request, ${base.signedHeaders}, ${base.signature}`, 'malformed'],
  ];
  for (const [label, header, kind] of malformed) {
    it(`refuses ${label} (${kind})`, () => {
      assert.equal(failureKind(() => parseHeader(header)), kind);
    });
  }

  it('refuses two Authorization headers, and a header with a presigned query', () => {
    const good = `AWS4-HMAC-SHA256 ${base.credential}, ${base.signedHeaders}, ${base.signature}`;
    assert.equal(failureKind(() => parseHeader(good, good)), 'malformed');
    assert.equal(failureKind(() => parseSigV4Credential(new Map([['authorization', [good]]]), [['X-Amz-Signature', SIGNATURE]])), 'malformed');
  });

  it('throws nothing but AuthFailure, whatever the header (fuzzed)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 100 }), fc.array(fc.constantFrom('AWS4-HMAC-SHA256', ' ', ',', '=', '/', ';', 'Credential', 'SignedHeaders', 'Signature', 'aws4_request', 'AKID', '20260101', 'a'.repeat(64), 'host')).map((parts) => parts.join(''))), (header) => {
        const kind = failureKind(() => parseHeader(header));
        assert.ok(['accepted', 'malformed', 'unsupported'].includes(kind), kind);
      }),
      { numRuns: fuzzRuns(2000), ...fuzzSeed() },
    );
  });
});

describe('parseSigV4Credential: the presigned query', () => {
  const query = (overrides: Record<string, string | null> = {}, extra: [string, string][] = []): [string, string][] => {
    const values: Record<string, string | null> = {
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKID/20260101/us-east-1/s3/aws4_request',
      'X-Amz-Date': '20260101T000000Z',
      'X-Amz-Expires': '300',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': SIGNATURE,
      ...overrides,
    };
    return [...Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== null), ...extra];
  };

  it('reads a complete one', () => {
    assert.deepEqual(parseSigV4Credential(new Map(), query({}, [['X-Amz-Security-Token', 'token']])), {
      form: 'query',
      accessKeyId: 'AKID',
      scope: { date: '20260101', region: 'us-east-1', service: 's3' },
      signedHeaders: ['host'],
      signature: SIGNATURE,
      presigned: { amzDate: '20260101T000000Z', expiresSeconds: 300, securityToken: 'token' },
    });
  });

  it('reads an expiry of 0 (expired when signed, answered by the signature check, not refused as malformed)', () => {
    const parsed = parseSigV4Credential(new Map(), query({ 'X-Amz-Expires': '0' }));
    assert.equal(parsed?.presigned?.expiresSeconds, 0);
  });

  const cases: [string, [string, string][], string][] = [
    ['a parameter twice', query({}, [['X-Amz-Credential', 'NOBODY/20260101/us-east-1/s3/aws4_request']]), 'malformed-query'],
    ['a token twice', query({}, [['X-Amz-Security-Token', 'a'], ['X-Amz-Security-Token', 'b']]), 'malformed-query'],
    ['no X-Amz-Date', query({ 'X-Amz-Date': null }), 'malformed-query'],
    ['only a signature', [['X-Amz-Signature', SIGNATURE]], 'malformed-query'],
    ['a negative expiry', query({ 'X-Amz-Expires': '-1' }), 'malformed-query'],
    ['an expiry over a week', query({ 'X-Amz-Expires': '604801' }), 'malformed-query'],
    ['a date out of format', query({ 'X-Amz-Date': '20260101' }), 'malformed-query'],
    ['another algorithm', query({ 'X-Amz-Algorithm': 'AWS4-ECDSA-P256-SHA256' }), 'unsupported'],
  ];
  for (const [label, pairs, kind] of cases) {
    it(`refuses ${label} (${kind})`, () => {
      assert.equal(failureKind(() => parseSigV4Credential(new Map(), pairs)), kind);
    });
  }
});

describe('checkDeclaredPayloadHash', () => {
  it('admits a SHA-256 and S3\'s markers, refuses anything else', () => {
    const check = (value: string) => failureKind(() => checkDeclaredPayloadHash(new Map([['x-amz-content-sha256', [value]]]), undefined));
    for (const value of ['UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD', 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER', 'e'.repeat(64), 'E'.repeat(64)]) {
      assert.equal(check(value), 'accepted', value);
    }
    for (const value of ['', 'garbage', 'unsigned-payload', 'STREAMING-', 'STREAMING-X', 'e'.repeat(63), 'e'.repeat(65)]) assert.equal(check(value), 'bad-payload-hash', value);
    assert.equal(failureKind(() => checkDeclaredPayloadHash(new Map([['x-amz-content-sha256', ['UNSIGNED-PAYLOAD', 'UNSIGNED-PAYLOAD']]]), undefined)), 'bad-payload-hash', 'twice');
  });
});

describe('routing and verification agree (fuzzed)', () => {
  const services = ['s3', 'iam', 'sts', 'lambda', 'logs', 'xray'] as const;

  async function signedRequest(service: string): Promise<SignedRequest> {
    const signer = new SignatureV4({ service, region: 'us-east-1', credentials: SIGNER, sha256: Sha256 as never, uriEscapePath: service !== 's3' });
    const headers: Record<string, string> = { host: '127.0.0.1:4566' };
    if (service === 's3') headers['x-amz-content-sha256'] = createHash('sha256').update('').digest('hex');
    const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: 4566, path: '/thing', query: {}, headers, body: '' });
    return { method: 'GET', rawTarget: '/thing', headers: new Map(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), [String(value)]])), body: Buffer.alloc(0) };
  }

  const forged = fc.oneof(
    fc.constantFrom(
      `XCredential=${ADMIN.accessKeyId}/20260101/us-east-1/s3/aws4_request`,
      `Credential=${ADMIN.accessKeyId}/20260101/us-east-1/s3/aws4_request`,
      `Credential=${ADMIN.accessKeyId}/20260101/us-east-1/iam/aws4_request`,
      `credential=${ADMIN.accessKeyId}/20260101/us-east-1/s3/aws4_request`,
      `Signature=${'0'.repeat(64)}`,
      'SignedHeaders=host',
      'Credential=',
      '=',
      '',
    ),
    fc.string({ maxLength: 40 }),
  );

  it('a mutated header fails to parse, fails to verify, or is exactly its signer', async () => {
    let verifiedRuns = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...services),
        fc.array(fc.tuple(fc.nat({ max: 3 }), forged), { maxLength: 3 }),
        fc.constantFrom(', ', ',', ' , ', '  ,', ';', ' '),
        fc.constantFrom('AWS4-HMAC-SHA256 ', 'AWS4-HMAC-SHA256  ', 'AWS4-HMAC-SHA256\t', 'AWS4-HMAC-SHA256', 'aws4-hmac-sha256 '),
        async (service, insertions, separator, prefix) => {
          const request = await signedRequest(service);
          const honest = request.headers.get('authorization')![0]!;
          const fields = honest.slice('AWS4-HMAC-SHA256 '.length).split(', ');
          for (const [index, field] of insertions) fields.splice(index, 0, field);
          const authorization = `${prefix}${fields.join(separator)}`;
          const mutated: SignedRequest = { ...request, headers: new Map([...request.headers, ['authorization', [authorization]]]) };

          let credential: SigV4Credential | undefined;
          try {
            credential = parseSigV4Credential(mutated.headers, rawQueryPairs(mutated.rawTarget));
          } catch (error) {
            assert.ok(error instanceof AuthFailure);
            return; // refused before routing, in every mode
          }
          // Routing and authorisation read this credential...
          const caller = callerOf(credential)!;
          const routed = pickService('GET', '/thing', {}, caller, undefined, new URLSearchParams());
          // ...and so does verification: when it passes, the caller is the signer, with the scope it signed.
          let verified: { accessKeyId: string } | undefined;
          try {
            verified = verifySigV4(mutated, credential, lookup);
          } catch (error) {
            assert.ok(error instanceof AuthFailure);
          }
          if (verified !== undefined) {
            verifiedRuns += 1;
            assert.equal(verified.accessKeyId, caller.accessKeyId);
            assert.equal(caller.accessKeyId, SIGNER.accessKeyId, authorization);
            assert.equal(caller.service, service, authorization);
            assert.equal(routed, service);
          }
        },
      ),
      { numRuns: fuzzRuns(400), ...fuzzSeed() },
    );
    // Not vacuous: the honest header and its harmless respellings (separators, spaces) did verify.
    assert.ok(verifiedRuns > 0, 'no mutated header verified at all');
  });
});
