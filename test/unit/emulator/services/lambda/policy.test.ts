// Resource policies: the statements AddPermission writes and whether they let S3 invoke a function.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AwsError } from '../../../../../emulator/core/errors.js';
import { buildStatement, policyAllowsInvoke, policyDocument, wildcardMatch, type PolicyStatement } from '../../../../../emulator/services/lambda/policy.js';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:thumbnailer';
const s3Request = (bucket: string, account = '000000000000') => ({
  service: 's3.amazonaws.com',
  functionArn: FUNCTION_ARN,
  sourceArn: `arn:aws:s3:::${bucket}`,
  sourceAccount: account,
});
const statement = (overrides: Record<string, string | undefined> = {}): PolicyStatement =>
  buildStatement({ StatementId: 's3invoke', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', ...overrides }, FUNCTION_ARN);

describe('buildStatement', () => {
  it('writes the statement as AWS shows it', () => {
    const built = statement({ SourceArn: 'arn:aws:s3:::photos', SourceAccount: '000000000000' });
    assert.deepEqual(built, {
      Sid: 's3invoke',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: FUNCTION_ARN,
      Condition: { StringEquals: { 'AWS:SourceAccount': '000000000000' }, ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::photos' } },
    });
    assert.deepEqual(JSON.parse(policyDocument([built])), { Version: '2012-10-17', Id: 'default', Statement: [built] });
  });

  it('turns an account id principal into its root ARN', () => {
    assert.deepEqual(statement({ Principal: '123456789012' }).Principal, { AWS: 'arn:aws:iam::123456789012:root' });
  });

  it('refuses malformed parameters with ValidationException', () => {
    for (const bad of [{ Action: 'invoke' }, { StatementId: 'has space' }, { SourceArn: 'bucket' }, { SourceAccount: '12' }]) {
      assert.throws(() => statement(bad), (error: unknown) => error instanceof AwsError && error.code === 'ValidationException');
    }
  });
});

describe('policyAllowsInvoke for S3', () => {
  it('allows the bucket named in SourceArn, and only it', () => {
    const policy = [statement({ SourceArn: 'arn:aws:s3:::photos' })];
    assert.equal(policyAllowsInvoke(policy, s3Request('photos')), true);
    assert.equal(policyAllowsInvoke(policy, s3Request('other')), false);
  });

  it('allows any bucket without a SourceArn condition, and wildcards in one', () => {
    assert.equal(policyAllowsInvoke([statement()], s3Request('anything')), true);
    assert.equal(policyAllowsInvoke([statement({ SourceArn: 'arn:aws:s3:::photo*' })], s3Request('photos-2026')), true);
    assert.equal(policyAllowsInvoke([statement({ SourceArn: 'arn:aws:s3:::photo*' })], s3Request('videos')), false);
  });

  it('checks SourceAccount when present', () => {
    const policy = [statement({ SourceAccount: '111111111111' })];
    assert.equal(policyAllowsInvoke(policy, s3Request('photos', '111111111111')), true);
    assert.equal(policyAllowsInvoke(policy, s3Request('photos', '000000000000')), false);
  });

  it('accepts lambda:* and *, but not other actions or principals', () => {
    assert.equal(policyAllowsInvoke([statement({ Action: 'lambda:*' })], s3Request('b')), true);
    assert.equal(policyAllowsInvoke([statement({ Action: '*' })], s3Request('b')), true);
    assert.equal(policyAllowsInvoke([statement({ Action: 'lambda:GetFunction' })], s3Request('b')), false);
    assert.equal(policyAllowsInvoke([statement({ Principal: 'sns.amazonaws.com' })], s3Request('b')), false);
    assert.equal(policyAllowsInvoke([], s3Request('b')), false);
  });

  it('fails closed on conditions it does not understand', () => {
    const odd: PolicyStatement = { ...statement(), Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } };
    assert.equal(policyAllowsInvoke([odd], s3Request('b')), false);
  });

  it('a SourceArn condition matches exactly the bucket it names (property)', () => {
    const bucket = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]$/);
    fc.assert(
      fc.property(bucket, bucket, (allowed, asked) => {
        const policy = [statement({ SourceArn: `arn:aws:s3:::${allowed}` })];
        assert.equal(policyAllowsInvoke(policy, s3Request(asked)), allowed === asked);
      }),
    );
  });
});

describe('wildcardMatch', () => {
  it('treats regex characters literally', () => {
    assert.equal(wildcardMatch('arn:aws:s3:::a.b', 'arn:aws:s3:::aXb'), false);
    assert.equal(wildcardMatch('arn:aws:s3:::a?b', 'arn:aws:s3:::aXb'), true);
  });
});
