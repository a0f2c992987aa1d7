import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { evaluatePolicies, wildcard } from '../../../../../emulator/services/iam/evaluate.js';

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
