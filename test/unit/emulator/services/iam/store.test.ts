// IamStore's rules, against an in-memory database: names, conflicts, attachments, quotas, tags, paging,
// and the cross-service surface Lambda reads.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { AwsError } from '../../../../../emulator/core/errors.js';
import { IamStore, IAM_LIMITS, newUniqueId, validatePath, validateRoleName } from '../../../../../emulator/services/iam/store.js';
import { AWS_MANAGED_POLICIES } from '../../../../../emulator/services/iam/managed-policies.js';

const ACCOUNT = '123456789012';
const BASIC_EXECUTION = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
const TRUST = '{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" } ] }';
const INLINE = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });

function awsError(code: string, status: number, message?: string) {
  return (error: unknown): boolean => {
    const aws = error as AwsError;
    return aws.code === code && aws.status === status && (message === undefined || aws.message === message);
  };
}

let store: IamStore;

beforeEach(() => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  store = new IamStore(db, ACCOUNT);
});

describe('validateRoleName', () => {
  it('accepts the characters IAM allows, up to 64 of them', () => {
    for (const name of ['a', 'thumbctl-role', 'x+=,.@_-y', 'R'.repeat(64)]) validateRoleName(name);
  });

  it('refuses other characters with the pattern in the message', () => {
    for (const name of ['has space', 'slash/name', 'ü', 'star*']) {
      assert.throws(
        () => validateRoleName(name),
        awsError('ValidationError', 400, `1 validation error detected: Value '${name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`),
      );
    }
  });

  it('refuses empty and over-long names', () => {
    assert.throws(() => validateRoleName(''), awsError('ValidationError', 400));
    assert.throws(() => validateRoleName('R'.repeat(65)), awsError('ValidationError', 400, `1 validation error detected: Value '${'R'.repeat(65)}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64`));
  });
});

describe('validatePath', () => {
  it('accepts / and slash-delimited paths', () => {
    validatePath('/');
    validatePath('/service-role/');
    validatePath('/a/b/c/');
  });

  it('refuses paths without both slashes', () => {
    for (const path of ['', 'a/', '/a', '//x', '/a b/']) {
      assert.throws(() => validatePath(path), awsError('ValidationError', 400), path);
    }
  });
});

describe('IamStore roles', () => {
  it('creates a role with AWS-shaped ids and ARN, keeping the document text exactly', () => {
    const role = store.createRole({ roleName: 'app', path: '/service-role/', assumeRolePolicyDocument: TRUST, description: 'd' });
    assert.match(role.roleId, /^AROA[A-Z0-9]{17}$/);
    assert.equal(role.arn, `arn:aws:iam::${ACCOUNT}:role/service-role/app`);
    assert.equal(role.assumeRolePolicyDocument, TRUST);
    assert.equal(role.maxSessionDuration, 3600);
    assert.equal(role.createDate.getMilliseconds(), 0);
  });

  it('refuses a second role whose name differs only in case', () => {
    store.createRole({ roleName: 'Dup', assumeRolePolicyDocument: TRUST });
    assert.throws(() => store.createRole({ roleName: 'dup', assumeRolePolicyDocument: TRUST }), awsError('EntityAlreadyExists', 409, 'Role with name dup already exists.'));
  });

  it('finds roles by name without case and by exact ARN', () => {
    const role = store.createRole({ roleName: 'Mixed', assumeRolePolicyDocument: TRUST });
    assert.equal(store.getRole('mixed').roleName, 'Mixed');
    assert.equal(store.findRoleByArn(role.arn)?.roleId, role.roleId);
    assert.equal(store.findRoleByArn(`arn:aws:iam::${ACCOUNT}:role/nope`), undefined);
  });

  it('refuses a malformed trust policy and an out-of-range session duration', () => {
    assert.throws(() => store.createRole({ roleName: 'bad', assumeRolePolicyDocument: '{' }), awsError('MalformedPolicyDocument', 400, 'This policy contains invalid Json'));
    assert.throws(
      () => store.createRole({ roleName: 'bad', assumeRolePolicyDocument: TRUST, maxSessionDuration: 100 }),
      awsError('ValidationError', 400, "1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"),
    );
  });

  it('refuses a trust policy over the size quota', () => {
    const principals = Array.from({ length: 120 }, (_, i) => `service${i}.amazonaws.com`);
    const big = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: principals }, Action: 'sts:AssumeRole' }] });
    assert.throws(() => store.createRole({ roleName: 'big', assumeRolePolicyDocument: big }), awsError('LimitExceeded', 409, `Cannot exceed quota for ACLSizePerRole: ${IAM_LIMITS.trustPolicySize}`));
  });

  it('answers NoSuchEntity for a missing role', () => {
    assert.throws(() => store.getRole('ghost'), awsError('NoSuchEntity', 404, 'The role with name ghost cannot be found.'));
  });

  it('refuses to delete a role with attached, then inline, policies', () => {
    store.createRole({ roleName: 'busy', assumeRolePolicyDocument: TRUST });
    store.attachRolePolicy('busy', BASIC_EXECUTION);
    store.putRolePolicy('busy', 'inline', INLINE);
    assert.throws(() => store.deleteRole('busy'), awsError('DeleteConflict', 409, 'Cannot delete entity, must detach all policies first.'));
    store.detachRolePolicy('busy', BASIC_EXECUTION);
    assert.throws(() => store.deleteRole('busy'), awsError('DeleteConflict', 409, 'Cannot delete entity, must delete policies first.'));
    store.deleteRolePolicy('busy', 'inline');
    store.deleteRole('busy');
    assert.throws(() => store.getRole('busy'), awsError('NoSuchEntity', 404));
  });

  it('drops tags with the role, so a new role of the same name starts clean', () => {
    store.createRole({ roleName: 'again', assumeRolePolicyDocument: TRUST, tags: [{ Key: 'k', Value: 'v' }] });
    store.deleteRole('again');
    assert.deepEqual(store.createRole({ roleName: 'again', assumeRolePolicyDocument: TRUST }).tags, []);
  });

  it('pages through roles with markers, filtered by path prefix', () => {
    for (const name of ['c', 'a', 'B', 'd']) store.createRole({ roleName: name, assumeRolePolicyDocument: TRUST, path: name === 'd' ? '/other/' : '/' });
    const first = store.listRoles({ maxItems: 2 });
    assert.deepEqual(first.items.map((role) => role.roleName), ['a', 'B']);
    assert.ok(first.marker);
    const second = store.listRoles({ maxItems: 2, marker: first.marker });
    assert.deepEqual(second.items.map((role) => role.roleName), ['c', 'd']);
    assert.equal(second.marker, undefined);
    assert.deepEqual(store.listRoles({ pathPrefix: '/other/' }).items.map((role) => role.roleName), ['d']);
  });
});

describe('IamStore policies', () => {
  beforeEach(() => {
    store.createRole({ roleName: 'fn', assumeRolePolicyDocument: TRUST });
  });

  it('attaches known managed policies once, in order', () => {
    store.attachRolePolicy('fn', BASIC_EXECUTION);
    store.attachRolePolicy('fn', 'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess');
    store.attachRolePolicy('fn', BASIC_EXECUTION);
    assert.deepEqual(store.listAttachedRolePolicies('fn').items, [
      { policyName: 'AWSLambdaBasicExecutionRole', policyArn: BASIC_EXECUTION },
      { policyName: 'AWSXRayDaemonWriteAccess', policyArn: 'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess' },
    ]);
    assert.deepEqual(store.listAttachedRolePolicies('fn', { pathPrefix: '/service-role/' }).items.map((policy) => policy.policyName), ['AWSLambdaBasicExecutionRole']);
    assert.equal(store.getPolicy(BASIC_EXECUTION).attachmentCount, 1);
  });

  it('refuses unknown and malformed policy ARNs', () => {
    const unknown = 'arn:aws:iam::aws:policy/NoSuchPolicy';
    assert.throws(() => store.attachRolePolicy('fn', unknown), awsError('NoSuchEntity', 404, `Policy ${unknown} does not exist or is not attachable.`));
    // AWS answers a PolicyArn that is no ARN with this ValidationError (recorded answer).
    assert.throws(() => store.attachRolePolicy('fn', 'not-an-arn'), awsError('ValidationError', 400, 'Invalid ARN:  Could not be parsed!'));
    assert.throws(() => store.detachRolePolicy('fn', BASIC_EXECUTION), awsError('NoSuchEntity', 404, `Policy ${BASIC_EXECUTION} was not found.`));
  });

  it('enforces the managed policies per role quota', () => {
    const arns = [...AWS_MANAGED_POLICIES.keys()];
    assert.ok(arns.length > IAM_LIMITS.managedPoliciesPerRole, 'need more managed policies than the quota for this test');
    for (const arn of arns.slice(0, IAM_LIMITS.managedPoliciesPerRole)) store.attachRolePolicy('fn', arn);
    assert.throws(() => store.attachRolePolicy('fn', arns[IAM_LIMITS.managedPoliciesPerRole]!), awsError('LimitExceeded', 409));
  });

  it('puts, replaces, lists and deletes inline policies', () => {
    store.putRolePolicy('fn', 'b', INLINE);
    store.putRolePolicy('fn', 'a', INLINE);
    const replaced = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }] }, null, 2);
    store.putRolePolicy('fn', 'b', replaced);
    assert.deepEqual(store.listRolePolicies('fn').items, ['a', 'b']);
    assert.equal(store.getRolePolicy('fn', 'b').document, replaced);
    store.deleteRolePolicy('fn', 'a');
    assert.throws(() => store.getRolePolicy('fn', 'a'), awsError('NoSuchEntity', 404, 'The role policy with name a cannot be found.'));
    assert.throws(() => store.deleteRolePolicy('fn', 'a'), awsError('NoSuchEntity', 404));
  });

  it('enforces the aggregate inline policy size per role', () => {
    const resources = Array.from({ length: 150 }, (_, i) => `arn:aws:s3:::bucket-number-${i}/*`);
    const large = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: resources }] });
    store.putRolePolicy('fn', 'one', large);
    assert.throws(() => store.putRolePolicy('fn', 'two', large), awsError('LimitExceeded', 409, `Maximum policy size of ${IAM_LIMITS.inlinePolicySizePerRole} bytes exceeded for role fn`));
    store.putRolePolicy('fn', 'one', large); // replacing counts the new text, not both
  });

  it('creates, attaches and deletes customer managed policies', () => {
    const policy = store.createPolicy({ policyName: 'mine', policyDocument: INLINE, path: '/app/' });
    assert.equal(policy.arn, `arn:aws:iam::${ACCOUNT}:policy/app/mine`);
    assert.match(policy.policyId, /^ANPA[A-Z0-9]{17}$/);
    assert.throws(() => store.createPolicy({ policyName: 'MINE', policyDocument: INLINE }), awsError('EntityAlreadyExists', 409));
    store.attachRolePolicy('fn', policy.arn);
    assert.throws(() => store.deletePolicy(policy.arn), awsError('DeleteConflict', 409, 'Cannot delete a policy attached to entities.'));
    assert.deepEqual(store.listPolicies({ scope: 'Local', onlyAttached: true }).items.map((p) => p.policyName), ['mine']);
    store.detachRolePolicy('fn', policy.arn);
    store.deletePolicy(policy.arn);
    assert.throws(() => store.getPolicy(policy.arn), awsError('NoSuchEntity', 404, `Policy ${policy.arn} was not found.`));
  });

  it('serves AWS managed policy versions, only the default one', () => {
    const version = store.getPolicyVersion(BASIC_EXECUTION, 'v1');
    assert.deepEqual(JSON.parse(version.document).Statement[0].Action, ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    assert.throws(() => store.getPolicyVersion(BASIC_EXECUTION, 'v9'), awsError('NoSuchEntity', 404));
  });
});

describe('IamStore tags', () => {
  beforeEach(() => {
    store.createRole({ roleName: 'tagged', assumeRolePolicyDocument: TRUST, tags: [{ Key: 'Env', Value: 'dev' }] });
  });

  it('adds tags and replaces a value whatever the key case', () => {
    store.tagRole('tagged', [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'media' }]);
    assert.deepEqual(store.listRoleTags('tagged').items, [
      { Key: 'env', Value: 'prod' },
      { Key: 'team', Value: 'media' },
    ]);
  });

  it('removes tags, ignoring keys that are not there', () => {
    store.untagRole('tagged', ['ENV', 'absent']);
    assert.deepEqual(store.listRoleTags('tagged').items, []);
  });

  it('refuses duplicate keys in one request', () => {
    assert.throws(
      () => store.tagRole('tagged', [{ Key: 'a', Value: '1' }, { Key: 'A', Value: '2' }]),
      awsError('InvalidInput', 400, 'Duplicate tag keys found. Please note that Tag keys are case insensitive.'),
    );
  });

  it('refuses keys with characters IAM does not allow', () => {
    assert.throws(() => store.tagRole('tagged', [{ Key: 'bad*key', Value: 'v' }]), awsError('ValidationError', 400));
  });

  it('caps the number of tags on a role', () => {
    const tags = Array.from({ length: IAM_LIMITS.tagsPerResource }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    assert.throws(() => store.tagRole('tagged', tags), awsError('LimitExceeded', 409));
  });
});

describe('IamForOthers', () => {
  it('answers the decoded trust policy by ARN, or undefined', () => {
    const role = store.createRole({ roleName: 'lambda-role', assumeRolePolicyDocument: TRUST });
    assert.equal(store.roleTrustPolicy(role.arn), TRUST);
    assert.equal(store.roleTrustPolicy(`arn:aws:iam::${ACCOUNT}:role/missing`), undefined);
  });

  it('lists managed and inline documents of a role as JSON text', () => {
    store.createRole({ roleName: 'docs', assumeRolePolicyDocument: TRUST });
    store.attachRolePolicy('docs', BASIC_EXECUTION);
    store.putRolePolicy('docs', 'inline', INLINE);
    const documents = store.rolePolicyDocuments('docs');
    assert.equal(documents.length, 2);
    assert.deepEqual(JSON.parse(documents[0]!).Statement[0].Resource, '*');
    assert.equal(documents[1], INLINE);
    assert.deepEqual(store.rolePolicyDocuments('missing'), []);
  });
});

describe('newUniqueId', () => {
  it('makes prefix + 17 upper-case alphanumerics, different each time', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newUniqueId('AROA')));
    assert.equal(ids.size, 100);
    for (const id of ids) assert.match(id, /^AROA[A-Z0-9]{17}$/);
  });
});
