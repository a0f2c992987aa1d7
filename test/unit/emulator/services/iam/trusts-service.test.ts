// trustsService: the question Lambda asks of a role's trust policy before it accepts the role.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trustsService } from '../../../../../emulator/services/iam/store.js';

const LAMBDA = 'lambda.amazonaws.com';

function policy(...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

const allowLambda = { Effect: 'Allow', Principal: { Service: LAMBDA }, Action: 'sts:AssumeRole' };

describe('trustsService', () => {
  it('trusts the service named as a string principal', () => {
    assert.equal(trustsService(policy(allowLambda), LAMBDA), true);
  });

  it('trusts the service inside a principal list and an action list', () => {
    const statement = { Effect: 'Allow', Principal: { Service: ['edgelambda.amazonaws.com', LAMBDA] }, Action: ['sts:TagSession', 'sts:AssumeRole'] };
    assert.equal(trustsService(policy(statement), LAMBDA), true);
  });

  it('accepts a single statement object instead of a list', () => {
    assert.equal(trustsService(JSON.stringify({ Version: '2012-10-17', Statement: allowLambda }), LAMBDA), true);
  });

  it('matches action wildcards and ignores action case', () => {
    for (const action of ['sts:*', '*', 'sts:Assume*', 'STS:assumerole', 'sts:AssumeRol?']) {
      assert.equal(trustsService(policy({ ...allowLambda, Action: action }), LAMBDA), true, action);
    }
  });

  it('does not trust a different service', () => {
    assert.equal(trustsService(policy({ ...allowLambda, Principal: { Service: 'ec2.amazonaws.com' } }), LAMBDA), false);
  });

  it('does not trust for other actions', () => {
    assert.equal(trustsService(policy({ ...allowLambda, Action: 'sts:AssumeRoleWithWebIdentity' }), LAMBDA), false);
    assert.equal(trustsService(policy({ ...allowLambda, Action: 'sts:AssumeRole*x' }), LAMBDA), false);
  });

  it('does not trust on an account principal alone', () => {
    assert.equal(trustsService(policy({ ...allowLambda, Principal: { AWS: 'arn:aws:iam::000000000000:root' } }), LAMBDA), false);
  });

  it('trusts everyone under a * principal', () => {
    assert.equal(trustsService(policy({ ...allowLambda, Principal: '*' }), LAMBDA), true);
    assert.equal(trustsService(policy({ ...allowLambda, Principal: { AWS: '*' } }), LAMBDA), true);
  });

  it('lets an explicit Deny win over an Allow', () => {
    assert.equal(trustsService(policy(allowLambda, { ...allowLambda, Effect: 'Deny' }), LAMBDA), false);
  });

  it('ignores a Deny for someone else', () => {
    assert.equal(trustsService(policy(allowLambda, { ...allowLambda, Effect: 'Deny', Principal: { Service: 'ec2.amazonaws.com' } }), LAMBDA), true);
  });

  it('honours NotAction and NotPrincipal', () => {
    assert.equal(trustsService(policy({ Effect: 'Allow', Principal: { Service: LAMBDA }, NotAction: 'sts:TagSession' }), LAMBDA), true);
    assert.equal(trustsService(policy({ Effect: 'Allow', Principal: { Service: LAMBDA }, NotAction: 'sts:*' }), LAMBDA), false);
    assert.equal(trustsService(policy(allowLambda, { Effect: 'Deny', NotPrincipal: { Service: LAMBDA }, Action: 'sts:AssumeRole' }), LAMBDA), true);
  });

  it('does not evaluate conditions: a conditional Allow still trusts', () => {
    const statement = { ...allowLambda, Condition: { StringEquals: { 'aws:SourceAccount': '000000000000' } } };
    assert.equal(trustsService(policy(statement), LAMBDA), true);
  });

  it('trusts nothing without an Allow statement', () => {
    assert.equal(trustsService(policy({ ...allowLambda, Effect: 'Deny' }), LAMBDA), false);
    assert.equal(trustsService(JSON.stringify({ Version: '2012-10-17', Statement: [] }), LAMBDA), false);
  });

  it('answers false for text that is not a policy', () => {
    for (const text of ['', 'not json', 'null', '[]', '"x"', '{"Statement": 5}']) {
      assert.equal(trustsService(text, LAMBDA), false, text);
    }
  });
});
