// StsStore's rules against an in-memory database: caller identities, AssumeRole limits, role chaining and
// expired credentials, with the clock passed in.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { AwsError } from '../../../../../emulator/core/errors.js';
import { IamStore } from '../../../../../emulator/services/iam/store.js';
import { StsStore } from '../../../../../emulator/services/sts/store.js';

const ACCOUNT = '000000000000';
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

function awsError(code: string, status: number, message?: string) {
  return (error: unknown): boolean => {
    const aws = error as AwsError;
    return aws.code === code && aws.status === status && (message === undefined || aws.message === message);
  };
}

let iam: IamStore;
let sts: StsStore;
let roleArn: string;

beforeEach(() => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  iam = new IamStore(db, ACCOUNT);
  sts = new StsStore(db, ACCOUNT, iam);
  roleArn = iam.createRole({ roleName: 'fn', path: '/service-role/', assumeRolePolicyDocument: TRUST, maxSessionDuration: 7200 }).arn;
});

describe('StsStore', () => {
  it('reports root for keys it did not issue', () => {
    assert.deepEqual(sts.getCallerIdentity('AKIDEXAMPLE'), { account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, userId: 'AKIDEXAMPLE' });
    assert.equal(sts.getCallerIdentity(undefined).userId, ACCOUNT);
  });

  it('leaves the role path out of the assumed-role ARN', () => {
    const assumed = sts.assumeRole({ roleArn, roleSessionName: 'session', region: 'eu-west-1', callerAccessKeyId: 'test' });
    assert.equal(assumed.assumedRoleUser.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/fn/session`);
    assert.equal(iam.getRole('fn').lastUsed?.region, 'eu-west-1');
  });

  it('defaults to one hour and allows up to the role maximum', () => {
    const now = new Date('2026-03-01T10:00:00.000Z');
    const defaulted = sts.assumeRole({ roleArn, roleSessionName: 's1', region: 'us-east-1', callerAccessKeyId: 'test' }, now);
    assert.equal(defaulted.credentials.expiration.toISOString(), '2026-03-01T11:00:00.000Z');
    sts.assumeRole({ roleArn, roleSessionName: 's2', durationSeconds: 7200, region: 'us-east-1', callerAccessKeyId: 'test' }, now);
    assert.throws(
      () => sts.assumeRole({ roleArn, roleSessionName: 's3', durationSeconds: 7201, region: 'us-east-1', callerAccessKeyId: 'test' }, now),
      awsError('ValidationError', 400, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'),
    );
    assert.throws(
      () => sts.assumeRole({ roleArn, roleSessionName: 's4', durationSeconds: 899, region: 'us-east-1', callerAccessKeyId: 'test' }, now),
      awsError('ValidationError', 400, "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"),
    );
  });

  it('caps role chaining at one hour', () => {
    const first = sts.assumeRole({ roleArn, roleSessionName: 'first', region: 'us-east-1', callerAccessKeyId: 'test' });
    assert.throws(
      () => sts.assumeRole({ roleArn, roleSessionName: 'second', durationSeconds: 3601, region: 'us-east-1', callerAccessKeyId: first.credentials.accessKeyId }),
      awsError('ValidationError', 400, 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.'),
    );
    const chained = sts.assumeRole({ roleArn, roleSessionName: 'second', region: 'us-east-1', callerAccessKeyId: first.credentials.accessKeyId });
    assert.match(chained.credentials.accessKeyId, /^ASIA/);
  });

  it('refuses expired credentials with ExpiredTokenException', () => {
    const issuedAt = new Date('2026-03-01T10:00:00Z');
    const session = sts.getSessionToken({ durationSeconds: 900, callerAccessKeyId: 'test' }, issuedAt);
    assert.equal(sts.getCallerIdentity(session.accessKeyId, new Date('2026-03-01T10:14:59Z')).arn, `arn:aws:iam::${ACCOUNT}:root`);
    assert.throws(
      () => sts.getCallerIdentity(session.accessKeyId, new Date('2026-03-01T10:15:00Z')),
      awsError('ExpiredTokenException', 400, 'The security token included in the request is expired'),
    );
  });

  it('refuses session names STS does not accept', () => {
    for (const name of ['x', 'has space', 'a'.repeat(65)]) {
      assert.throws(() => sts.assumeRole({ roleArn, roleSessionName: name, region: 'us-east-1', callerAccessKeyId: 'test' }), awsError('ValidationError', 400), name);
    }
  });

  it('answers AccessDenied naming the caller for a role that is not there', () => {
    const missing = `arn:aws:iam::${ACCOUNT}:role/missing`;
    assert.throws(
      () => sts.assumeRole({ roleArn: missing, roleSessionName: 'session', region: 'us-east-1', callerAccessKeyId: 'test' }),
      awsError('AccessDenied', 403, `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: ${missing}`),
    );
  });
});
