// StsStore's rules against an in-memory database: caller identities, AssumeRole limits, role chaining and
// expired credentials, with the clock passed in.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { CallerPrincipal, RoleSession } from '../../../../../emulator/core/authorize.js';
import type { AwsError } from '../../../../../emulator/core/errors.js';
import { IamStore } from '../../../../../emulator/services/iam/store.js';
import { StsStore } from '../../../../../emulator/services/sts/store.js';

const ACCOUNT = '000000000000';
// Lambda and the account may assume the role: STS evaluates the trust policy for every AssumeRole.
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com', AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }],
});

const ADMIN: CallerPrincipal = { kind: 'administrator', accessKeyId: 'test', sessionCredentials: false };

/** The caller an AssumeRole key of this store stands for, as core/authorize.ts's identifyCaller finds it. */
function sessionOf(accessKeyId: string): CallerPrincipal {
  const found = sts.sessionOf(accessKeyId);
  assert.equal(found?.kind, 'role');
  return { kind: 'role', accessKeyId, session: (found as { session: RoleSession }).session };
}

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
    assert.deepEqual(sts.getCallerIdentity({ kind: 'administrator', accessKeyId: 'AKIDEXAMPLE', sessionCredentials: false }), { account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, userId: 'AKIDEXAMPLE' });
    assert.equal(sts.getCallerIdentity({ kind: 'administrator', accessKeyId: undefined, sessionCredentials: false }).userId, ACCOUNT);
  });

  it('leaves the role path out of the assumed-role ARN', () => {
    const assumed = sts.assumeRole({ roleArn, roleSessionName: 'session', region: 'eu-west-1', caller: ADMIN });
    assert.equal(assumed.assumedRoleUser.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/fn/session`);
    assert.equal(iam.getRole('fn').lastUsed?.region, 'eu-west-1');
  });

  it('defaults to one hour and allows up to the role maximum', () => {
    const now = new Date('2026-03-01T10:00:00.000Z');
    const defaulted = sts.assumeRole({ roleArn, roleSessionName: 's1', region: 'us-east-1', caller: ADMIN }, now);
    assert.equal(defaulted.credentials.expiration.toISOString(), '2026-03-01T11:00:00.000Z');
    sts.assumeRole({ roleArn, roleSessionName: 's2', durationSeconds: 7200, region: 'us-east-1', caller: ADMIN }, now);
    assert.throws(
      () => sts.assumeRole({ roleArn, roleSessionName: 's3', durationSeconds: 7201, region: 'us-east-1', caller: ADMIN }, now),
      awsError('ValidationError', 400, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'),
    );
    assert.throws(
      () => sts.assumeRole({ roleArn, roleSessionName: 's4', durationSeconds: 899, region: 'us-east-1', caller: ADMIN }, now),
      awsError('ValidationError', 400, "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"),
    );
  });

  it('caps role chaining at one hour', () => {
    const first = sts.assumeRole({ roleArn, roleSessionName: 'first', region: 'us-east-1', caller: ADMIN });
    assert.throws(
      () => sts.assumeRole({ roleArn, roleSessionName: 'second', durationSeconds: 3601, region: 'us-east-1', caller: sessionOf(first.credentials.accessKeyId) }),
      awsError('ValidationError', 400, 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.'),
    );
    const chained = sts.assumeRole({ roleArn, roleSessionName: 'second', region: 'us-east-1', caller: sessionOf(first.credentials.accessKeyId) });
    assert.match(chained.credentials.accessKeyId, /^ASIA/);
  });

  it('refuses expired credentials with ExpiredTokenException', () => {
    const issuedAt = new Date('2026-03-01T10:00:00Z');
    const session = sts.getSessionToken({ durationSeconds: 900, caller: ADMIN }, issuedAt);
    assert.equal(sts.getCallerIdentity({ kind: 'administrator', accessKeyId: session.accessKeyId, sessionCredentials: true }, new Date('2026-03-01T10:14:59Z')).arn, `arn:aws:iam::${ACCOUNT}:root`);
    assert.throws(
      () => sts.getCallerIdentity({ kind: 'administrator', accessKeyId: session.accessKeyId, sessionCredentials: true }, new Date('2026-03-01T10:15:00Z')),
      awsError('ExpiredTokenException', 400, 'The security token included in the request is expired'),
    );
  });

  it('refuses session names STS does not accept', () => {
    for (const name of ['x', 'has space', 'a'.repeat(65)]) {
      assert.throws(() => sts.assumeRole({ roleArn, roleSessionName: name, region: 'us-east-1', caller: ADMIN }), awsError('ValidationError', 400), name);
    }
  });

  it('answers AccessDenied naming the caller for a role that is not there', () => {
    const missing = `arn:aws:iam::${ACCOUNT}:role/missing`;
    assert.throws(
      () => sts.assumeRole({ roleArn: missing, roleSessionName: 'session', region: 'us-east-1', caller: ADMIN }),
      awsError('AccessDenied', 403, `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: ${missing}`),
    );
  });

  it('refuses GetSessionToken to any session credentials, before reading a policy', () => {
    const assumed = sts.assumeRole({ roleArn, roleSessionName: 'session', region: 'us-east-1', caller: ADMIN });
    const token = sts.getSessionToken({ caller: ADMIN });
    const refusal = awsError('AccessDenied', 403, 'Cannot call GetSessionToken with session credentials');
    assert.throws(() => sts.getSessionToken({ caller: sessionOf(assumed.credentials.accessKeyId) }), refusal);
    assert.throws(() => sts.getSessionToken({ caller: { kind: 'administrator', accessKeyId: token.accessKeyId, sessionCredentials: true } }), refusal);
  });

  it("answers a function environment's keys as its role, in a session named after the function", () => {
    const role = iam.getRole('fn');
    const session: RoleSession = { accountId: ACCOUNT, roleArn: role.arn, roleName: 'fn', roleId: role.roleId, sessionName: 'thumbnailer' };
    assert.deepEqual(sts.getCallerIdentity({ kind: 'role', accessKeyId: 'ASIAFUNCTIONKEY00000', session }), {
      account: ACCOUNT,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/fn/thumbnailer`,
      userId: `${role.roleId}:thumbnailer`,
    });
  });

  it('hands the administrator no role whose trust policy does not allow the account', () => {
    const lambdaOnly = iam.createRole({
      roleName: 'lambda-only',
      assumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }).arn;
    assert.throws(
      () => sts.assumeRole({ roleArn: lambdaOnly, roleSessionName: 'session', region: 'us-east-1', caller: ADMIN }),
      awsError('AccessDenied', 403, `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: ${lambdaOnly}`),
    );
  });
});
