// Policy document checks on the way in, with the MalformedPolicyDocument messages IAM uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MalformedPolicyDocument } from '../../../../../emulator/services/iam/errors.js';
import { globMatches, policySize, validateIdentityPolicy, validateTrustPolicy } from '../../../../../emulator/services/iam/policy-document.js';

function rejects(validate: (text: string) => void, text: string, message: string): void {
  assert.throws(
    () => validate(text),
    (error: unknown) => error instanceof MalformedPolicyDocument && error.status === 400 && error.code === 'MalformedPolicyDocument' && error.message === message,
    `expected "${message}" for ${text}`,
  );
}

const trust = (statement: object, version: string | undefined = '2012-10-17'): string => JSON.stringify({ Version: version, Statement: [statement] });
const lambdaTrust = { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' };
const readObjects = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' };

describe('validateTrustPolicy', () => {
  it('accepts a Lambda trust policy, with any whitespace', () => {
    validateTrustPolicy(trust(lambdaTrust));
    validateTrustPolicy(JSON.stringify(JSON.parse(trust(lambdaTrust)), null, 4));
  });

  it('accepts the old 2008-10-17 version and a missing one, as old service roles use', () => {
    validateTrustPolicy(trust(lambdaTrust, '2008-10-17'));
    validateTrustPolicy(JSON.stringify({ Statement: [lambdaTrust] }));
  });

  it('refuses text that is not JSON', () => {
    rejects(validateTrustPolicy, '{"Version": "2012-10-17",', 'This policy contains invalid Json');
  });

  it('refuses grammar errors', () => {
    rejects(validateTrustPolicy, '[]', 'Syntax errors in policy.');
    rejects(validateTrustPolicy, JSON.stringify({ Version: '2012-10-17' }), 'Syntax errors in policy.');
    rejects(validateTrustPolicy, JSON.stringify({ Version: '2012-10-17', Statement: [], Extra: 1 }), 'Syntax errors in policy.');
    rejects(validateTrustPolicy, trust({ ...lambdaTrust, Effect: 'Maybe' }), 'Syntax errors in policy.');
    rejects(validateTrustPolicy, trust({ ...lambdaTrust, Actions: 'x' }), 'Syntax errors in policy.');
    rejects(validateTrustPolicy, trust({ ...lambdaTrust, Principal: { Service: 5 } }), 'Syntax errors in policy.');
    rejects(validateTrustPolicy, trust(lambdaTrust, '2013-01-01'), 'Syntax errors in policy.');
  });

  it('requires a principal', () => {
    rejects(validateTrustPolicy, trust({ Effect: 'Allow', Action: 'sts:AssumeRole' }), 'Missing required field Principal');
  });

  it('refuses actions other than STS role assumption', () => {
    rejects(
      validateTrustPolicy,
      trust({ ...lambdaTrust, Action: 's3:GetObject' }),
      'Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity',
    );
  });

  it('refuses a Resource', () => {
    rejects(validateTrustPolicy, trust({ ...lambdaTrust, Resource: '*' }), 'Has prohibited field Resource.');
  });

  it('refuses duplicate Sids', () => {
    const text = JSON.stringify({ Version: '2012-10-17', Statement: [{ ...lambdaTrust, Sid: 'a' }, { ...lambdaTrust, Sid: 'a' }] });
    rejects(validateTrustPolicy, text, 'Statement IDs (SID) in a single policy must be unique.');
  });
});

describe('validateIdentityPolicy', () => {
  it('accepts an ordinary permissions policy', () => {
    validateIdentityPolicy(JSON.stringify({ Version: '2012-10-17', Statement: [readObjects, { Effect: 'Deny', NotAction: ['s3:*'], NotResource: '*' }] }));
  });

  it('requires version 2012-10-17', () => {
    rejects(validateIdentityPolicy, JSON.stringify({ Statement: [readObjects] }), 'Policy document must be version 2012-10-17 or greater.');
    rejects(validateIdentityPolicy, JSON.stringify({ Version: '2008-10-17', Statement: [readObjects] }), 'Policy document must be version 2012-10-17 or greater.');
  });

  it('refuses a principal', () => {
    rejects(validateIdentityPolicy, trust({ ...readObjects, Principal: '*' }), 'Policy document should not specify a principal.');
  });

  it('requires actions and resources', () => {
    rejects(validateIdentityPolicy, trust({ Effect: 'Allow', Resource: '*' }), 'Policy statement must contain actions.');
    rejects(validateIdentityPolicy, trust({ Effect: 'Allow', Action: [], Resource: '*' }), 'Policy statement must contain actions.');
    rejects(validateIdentityPolicy, trust({ Effect: 'Allow', Action: 's3:GetObject' }), 'Policy statement must contain resources.');
  });

  it('requires a vendor prefix on actions', () => {
    rejects(validateIdentityPolicy, trust({ ...readObjects, Action: 'GetObject' }), 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
    rejects(validateIdentityPolicy, trust({ ...readObjects, Action: 's3:Get:Object' }), 'Actions/Condition can contain only one colon.');
  });
});

describe('helpers', () => {
  it('matches IAM-style globs without case', () => {
    assert.equal(globMatches('s3:Get*', 's3:getobject'), true);
    assert.equal(globMatches('s3:Get?bject', 's3:GetObject'), true);
    assert.equal(globMatches('s3:Get.bject', 's3:GetObject'), false);
    assert.equal(globMatches('s3:Put*', 's3:GetObject'), false);
  });

  it('counts policy size without whitespace, as IAM quotas do', () => {
    assert.equal(policySize('{ "a" :\n\t"b" }'), 9);
  });
});
