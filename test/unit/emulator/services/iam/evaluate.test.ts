import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { evaluatePolicies, evaluateTrustPolicy, wildcard } from '../../../../../emulator/services/iam/evaluate.js';

const policy = (...statements: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** setup's least-privilege policy, from the template setup itself uses. */
const accessPolicy = readFileSync(new URL('../../../../../templates/access-policy.json', import.meta.url), 'utf8')
  .replaceAll('{{Partition}}', 'aws')
  .replaceAll('{{SourceBucket}}', 'src')
  .replaceAll('{{ThumbnailBucket}}', 'thumbs');

describe('evaluating identity policies', () => {
  it("allows exactly what setup's access policy grants", () => {
    assert.equal(evaluatePolicies([accessPolicy], { action: 's3:GetObject', resource: 'arn:aws:s3:::src/a/b-1x1.jpg' }), 'allow');
    assert.equal(evaluatePolicies([accessPolicy], { action: 's3:PutObject', resource: 'arn:aws:s3:::thumbs/a/b-1x1.jpg' }), 'allow');
  });

  it('implicitly denies what no statement grants', () => {
    assert.equal(evaluatePolicies([accessPolicy], { action: 's3:PutObject', resource: 'arn:aws:s3:::src/x.jpg' }), 'implicit-deny');
    assert.equal(evaluatePolicies([accessPolicy], { action: 's3:DeleteObject', resource: 'arn:aws:s3:::thumbs/x.jpg' }), 'implicit-deny');
    assert.equal(evaluatePolicies([], { action: 's3:GetObject', resource: 'arn:aws:s3:::src/x.jpg' }), 'implicit-deny');
  });

  it('lets an explicit Deny win over any Allow', () => {
    const deny = policy({ Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::thumbs/private/*' });
    assert.equal(evaluatePolicies([accessPolicy, deny], { action: 's3:PutObject', resource: 'arn:aws:s3:::thumbs/private/x.jpg' }), 'explicit-deny');
    assert.equal(evaluatePolicies([accessPolicy, deny], { action: 's3:PutObject', resource: 'arn:aws:s3:::thumbs/public/x.jpg' }), 'allow');
  });

  it('matches actions case-insensitively and resources case-sensitively', () => {
    const grant = policy({ Effect: 'Allow', Action: 'S3:get*', Resource: 'arn:aws:s3:::Src/*' });
    assert.equal(evaluatePolicies([grant], { action: 's3:GetObject', resource: 'arn:aws:s3:::Src/k' }), 'allow');
    assert.equal(evaluatePolicies([grant], { action: 's3:GetObject', resource: 'arn:aws:s3:::src/k' }), 'implicit-deny');
  });

  it('honours NotAction and NotResource', () => {
    const grant = policy({ Effect: 'Allow', NotAction: 's3:Delete*', NotResource: 'arn:aws:s3:::secret/*' });
    assert.equal(evaluatePolicies([grant], { action: 's3:PutObject', resource: 'arn:aws:s3:::open/k' }), 'allow');
    assert.equal(evaluatePolicies([grant], { action: 's3:DeleteObject', resource: 'arn:aws:s3:::open/k' }), 'implicit-deny');
    assert.equal(evaluatePolicies([grant], { action: 's3:PutObject', resource: 'arn:aws:s3:::secret/k' }), 'implicit-deny');
  });

  it('applies conditions: all keys must hold, any listed value may match, IfExists tolerates absence', () => {
    const grant = policy({
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::src',
      Condition: { StringLike: { 's3:prefix': ['albums/*', 'photos/*'] }, StringEqualsIfExists: { 's3:delimiter': '/' } },
    });
    assert.equal(evaluatePolicies([grant], { action: 's3:ListBucket', resource: 'arn:aws:s3:::src', context: { 's3:prefix': 'photos/2026' } }), 'allow');
    assert.equal(evaluatePolicies([grant], { action: 's3:ListBucket', resource: 'arn:aws:s3:::src', context: { 's3:prefix': 'other/' } }), 'implicit-deny');
    assert.equal(evaluatePolicies([grant], { action: 's3:ListBucket', resource: 'arn:aws:s3:::src' }), 'implicit-deny');
    assert.equal(
      evaluatePolicies([grant], { action: 's3:ListBucket', resource: 'arn:aws:s3:::src', context: { 's3:prefix': 'albums/x', 's3:delimiter': '|' } }),
      'implicit-deny',
    );
  });

  it('grants nothing from a document it cannot read', () => {
    assert.equal(evaluatePolicies(['{not json'], { action: 's3:GetObject', resource: 'arn:aws:s3:::src/k' }), 'implicit-deny');
  });

  it('reads IAM wildcards: * for any run, ? for one character', () => {
    assert.equal(wildcard('arn:aws:s3:::b/??.jpg', 'arn:aws:s3:::b/ab.jpg', false), true);
    assert.equal(wildcard('arn:aws:s3:::b/??.jpg', 'arn:aws:s3:::b/abc.jpg', false), false);
    assert.equal(wildcard('arn:aws:s3:::b/*', 'arn:aws:s3:::b/a/b/c', false), true);
  });
});

describe('evaluating trust policies (sts:AssumeRole)', () => {
  const account = '111122223333';
  const administrator = { accountId: account, arns: [] };
  const roleSession = { accountId: account, arns: [`arn:aws:iam::${account}:role/app/worker`, `arn:aws:sts::${account}:assumed-role/worker/job-7`] };
  const stranger = { accountId: '999988887777', arns: ['arn:aws:iam::999988887777:role/worker'] };
  const assume = { action: 'sts:AssumeRole' };
  const trust = (principal: unknown, extra: object = {}): string => policy({ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...extra });

  it('lets a service principal in no AWS caller, and the account in every principal of that account', () => {
    assert.equal(evaluateTrustPolicy(trust({ Service: 'lambda.amazonaws.com' }), administrator, assume), 'implicit-deny');
    for (const name of [account, `arn:aws:iam::${account}:root`]) {
      assert.equal(evaluateTrustPolicy(trust({ AWS: name }), administrator, assume), 'allow', name);
      assert.equal(evaluateTrustPolicy(trust({ AWS: [name] }), roleSession, assume), 'allow', name);
      assert.equal(evaluateTrustPolicy(trust({ AWS: name }), stranger, assume), 'implicit-deny', name);
    }
  });

  it('names a role session by its role ARN (path included) or its own session ARN, exactly', () => {
    assert.equal(evaluateTrustPolicy(trust({ AWS: `arn:aws:iam::${account}:role/app/worker` }), roleSession, assume), 'allow');
    assert.equal(evaluateTrustPolicy(trust({ AWS: `arn:aws:sts::${account}:assumed-role/worker/job-7` }), roleSession, assume), 'allow');
    assert.equal(evaluateTrustPolicy(trust({ AWS: `arn:aws:iam::${account}:role/worker` }), roleSession, assume), 'implicit-deny');
    assert.equal(evaluateTrustPolicy(trust({ AWS: `arn:aws:iam::${account}:role/app/*` }), roleSession, assume), 'implicit-deny', 'no wildcards in a principal');
    assert.equal(evaluateTrustPolicy(trust({ AWS: `arn:aws:iam::${account}:role/app/worker` }), administrator, assume), 'implicit-deny');
  });

  it('lets "*" in everyone, and honours NotPrincipal, other actions, conditions and an explicit Deny', () => {
    assert.equal(evaluateTrustPolicy(trust('*'), stranger, assume), 'allow');
    assert.equal(evaluateTrustPolicy(trust({ AWS: '*' }), stranger, assume), 'allow');
    assert.equal(evaluateTrustPolicy(policy({ Effect: 'Allow', NotPrincipal: { AWS: account }, Action: 'sts:AssumeRole' }), stranger, assume), 'allow');
    assert.equal(evaluateTrustPolicy(policy({ Effect: 'Allow', NotPrincipal: { AWS: account }, Action: 'sts:AssumeRole' }), administrator, assume), 'implicit-deny');
    assert.equal(evaluateTrustPolicy(trust({ AWS: account }, { Action: 'sts:TagSession' }), administrator, assume), 'implicit-deny');
    const named = trust({ AWS: account }, { Condition: { StringLike: { 'sts:RoleSessionName': 'ci-*' } } });
    assert.equal(evaluateTrustPolicy(named, administrator, { ...assume, context: { 'sts:RoleSessionName': 'ci-42' } }), 'allow');
    assert.equal(evaluateTrustPolicy(named, administrator, { ...assume, context: { 'sts:RoleSessionName': 'me' } }), 'implicit-deny');
    const denied = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: account }, Action: 'sts:*' },
        { Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${account}:role/app/worker` }, Action: 'sts:AssumeRole' },
      ],
    });
    assert.equal(evaluateTrustPolicy(denied, roleSession, assume), 'explicit-deny');
    assert.equal(evaluateTrustPolicy(denied, administrator, assume), 'allow');
  });
});
