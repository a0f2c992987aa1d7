// IAM enforcement's declarations and its gate: every operation each router implements declares the IAM action
// and resource AWS authorises it on (a test per router enumerates them), and the gate refuses a role caller
// whatever an operation fails to declare, lets the administrator through, and allows a replaced role nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CredentialRegistry } from '../../../../emulator/core/auth.js';
import { Authorizer, identifyCaller, NO_PERMISSION_NEEDED, type Permission, type Requirement } from '../../../../emulator/core/authorize.js';
import type { CloudContext } from '../../../../emulator/core/context.js';
import type { AwsError } from '../../../../emulator/core/errors.js';
import type { ServiceRequest } from '../../../../emulator/core/http.js';
import { JsonFields } from '../../../../emulator/core/json-protocol.js';
import { QueryParams } from '../../../../emulator/core/query-protocol.js';
import { iamOperations } from '../../../../emulator/services/iam/router.js';
import { IamStore } from '../../../../emulator/services/iam/store.js';
import { LAMBDA_ROUTES } from '../../../../emulator/services/lambda/router.js';
import { LOGS_OPERATIONS } from '../../../../emulator/services/logs/router.js';
import { S3_OPERATION_PERMISSIONS, s3Requirement } from '../../../../emulator/services/s3/actions.js';
import { S3Router } from '../../../../emulator/services/s3/router.js';
import { stsOperations } from '../../../../emulator/services/sts/router.js';
import { StsStore } from '../../../../emulator/services/sts/store.js';
import { XRAY_ROUTES } from '../../../../emulator/services/xray/router.js';

const ACCOUNT = '000000000000';
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

function permissionsOf(requirement: Requirement | undefined, what: string): readonly Permission[] {
  assert.ok(requirement !== undefined, `${what} declares nothing`);
  assert.notEqual(requirement, NO_PERMISSION_NEEDED, `${what} needs no permission`);
  assert.ok(Array.isArray(requirement) && requirement.length > 0, `${what} declares no permission`);
  return requirement as readonly Permission[];
}

function cloud(): { context: CloudContext; iam: IamStore; registry: CredentialRegistry } {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  const iam = new IamStore(db, ACCOUNT);
  const sts = new StsStore(db, ACCOUNT, iam);
  const registry = new CredentialRegistry();
  const context = {
    db,
    settings: { accountId: ACCOUNT, region: 'us-east-1', stateDir: '', endpoint: '', stateDelayMs: 0 },
    stores: { iam, sts: { credentialFor: (id: string) => sts.credentialFor(id), sessionOf: (id: string) => sts.sessionOf(id) } },
    credentials: registry,
    log: () => undefined,
  } as unknown as CloudContext;
  return { context, iam, registry };
}

function request(body: object = {}, query = ''): ServiceRequest {
  return { method: 'POST', rawPath: '/', path: '/', query: new URLSearchParams(query), headers: {}, body: Buffer.from(JSON.stringify(body)), region: 'us-east-1', requestId: 'r', host: 'localhost' };
}

describe('every operation declares what it needs', () => {
  it('S3: each implemented operation has its s3: action on the bucket, the object or *', () => {
    const operations = new S3Router({} as never, {} as never).operationNames;
    assert.ok(operations.length >= 30);
    for (const operation of operations) {
      assert.ok(Object.hasOwn(S3_OPERATION_PERMISSIONS, operation), `${operation} has no entry`);
      const requirement = s3Requirement(operation, { bucket: 'b', key: 'k', copySource: { bucket: 'src', key: 'secret' } });
      if (operation === 'DeleteObjects') {
        // Authorised key by key by the operation itself.
        assert.equal(requirement, NO_PERMISSION_NEEDED);
        continue;
      }
      for (const permission of permissionsOf(requirement, operation)) {
        assert.match(permission.action, /^s3:[A-Z][A-Za-z]+$/, operation);
        assert.ok(permission.resource === '*' || permission.resource.startsWith('arn:aws:s3:::'), `${operation}: ${permission.resource}`);
      }
    }
    // A copy also reads its source; a copy without a source, or an operation without an entry, needs what it cannot have.
    assert.deepEqual(
      (s3Requirement('UploadPartCopy', { bucket: 'b', key: 'k', copySource: { bucket: 'src', key: 'secret' } }) as Permission[]).map((p) => [p.action, p.resource]),
      [
        ['s3:PutObject', 'arn:aws:s3:::b/k'],
        ['s3:GetObject', 'arn:aws:s3:::src/secret'],
      ],
    );
    assert.equal(s3Requirement('CopyObject', { bucket: 'b', key: 'k' }), undefined);
    assert.equal(s3Requirement('PutBucketPolicy', { bucket: 'b', key: '' }), undefined);
  });

  it('IAM: each operation needs iam:<Operation> on the role or policy it names', () => {
    const { iam } = cloud();
    iam.createRole({ roleName: 'pathed', path: '/service-role/', assumeRolePolicyDocument: TRUST });
    const params = new QueryParams([
      ['RoleName', 'pathed'],
      ['PolicyName', 'p'],
      ['PolicyArn', `arn:aws:iam::${ACCOUNT}:policy/p`],
    ]);
    const operations = iamOperations(iam);
    assert.ok(Object.keys(operations).length >= 20);
    for (const [operation, entry] of Object.entries(operations)) {
      const [permission, ...rest] = permissionsOf(entry.permissions(params, request()), operation);
      assert.equal(rest.length, 0);
      assert.equal(permission!.action, `iam:${operation}`);
      assert.ok(permission!.resource === '*' || permission!.resource.startsWith(`arn:aws:iam::${ACCOUNT}:`), `${operation}: ${permission!.resource}`);
    }
    // A role's ARN carries its path; IAM's refusal names it `role <name>`.
    assert.deepEqual(operations.PutRolePolicy!.permissions(params, request()), [
      { action: 'iam:PutRolePolicy', resource: `arn:aws:iam::${ACCOUNT}:role/service-role/pathed`, label: 'role pathed' },
    ]);
    assert.deepEqual((operations.AttachRolePolicy!.permissions(params, request()) as Permission[])[0]!.context, { 'iam:PolicyARN': `arn:aws:iam::${ACCOUNT}:policy/p` });
  });

  it('STS: only GetCallerIdentity and the session-credential refusals need no permission; AssumeRole needs sts:AssumeRole', () => {
    const { context, iam } = cloud();
    const operations = stsOperations(new StsStore(context.db, ACCOUNT, iam), context);
    const free = Object.entries(operations)
      .filter(([, entry]) => entry.permissions(new QueryParams([['RoleArn', `arn:aws:iam::${ACCOUNT}:role/r`]]), request()) === NO_PERMISSION_NEEDED)
      .map(([operation]) => operation)
      .sort();
    assert.deepEqual(free, ['GetCallerIdentity', 'GetFederationToken', 'GetSessionToken']);
    assert.deepEqual(operations.AssumeRole!.permissions(new QueryParams([['RoleArn', `arn:aws:iam::${ACCOUNT}:role/r`]]), request()), [
      { action: 'sts:AssumeRole', resource: `arn:aws:iam::${ACCOUNT}:role/r` },
    ]);
  });

  it('Lambda: each route needs lambda:<Operation> on the function (qualified when the call is), Invoke and InvokeWithResponseStream lambda:InvokeFunction', () => {
    const arns = { functionArn: (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}` };
    const params = { name: 'f', arn: arns.functionArn('f'), statementId: 's' };
    assert.equal(LAMBDA_ROUTES.length, 16);
    // AWS authorises InvokeWithResponseStream as lambda:InvokeFunction (it has no action of its own).
    const invokes = new Set(['Invoke', 'InvokeWithResponseStream']);
    for (const route of LAMBDA_ROUTES) {
      const [first] = permissionsOf(route.permissions({ request: request({ FunctionName: 'f' }), params }, arns), route.operation);
      assert.equal(first!.action, `lambda:${invokes.has(route.operation) ? 'InvokeFunction' : route.operation}`);
      assert.ok(first!.resource === '*' || first!.resource === arns.functionArn('f'), `${route.operation}: ${first!.resource}`);
    }
    const invoke = LAMBDA_ROUTES.find((route) => route.operation === 'Invoke')!;
    assert.equal((invoke.permissions({ request: request({}, 'Qualifier=$LATEST'), params }, arns) as Permission[])[0]!.resource, `${arns.functionArn('f')}:$LATEST`);
    // Handing a role to Lambda needs iam:PassRole; code from S3 needs s3:GetObject.
    const create = LAMBDA_ROUTES.find((route) => route.operation === 'CreateFunction')!;
    const needs = create.permissions({ request: request({ FunctionName: 'f', Role: `arn:aws:iam::${ACCOUNT}:role/r`, Code: { S3Bucket: 'b', S3Key: 'k.zip' } }), params: {} }, arns);
    assert.deepEqual(
      (needs as Permission[]).map((p) => [p.action, p.resource]),
      [
        ['lambda:CreateFunction', arns.functionArn('f')],
        ['iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/r`],
        ['s3:GetObject', 'arn:aws:s3:::b/k.zip'],
      ],
    );
  });

  it('CloudWatch Logs: each operation needs logs:<Operation> on its log group or stream', () => {
    const scope = { region: 'us-east-1', accountId: ACCOUNT };
    // The tagging operations name the group by ARN (resourceArn), the others by name.
    const input = new JsonFields({ logGroupName: '/aws/lambda/f', logStreamName: 's', resourceArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/f` }, (detail) => new Error(detail) as never);
    const group = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/f:log-stream:`;
    for (const [operation, entry] of Object.entries(LOGS_OPERATIONS)) {
      const [permission] = permissionsOf(entry.permissions(input, scope), operation);
      assert.equal(permission!.action, `logs:${operation}`);
      const onStream = ['CreateLogStream', 'DeleteLogStream', 'PutLogEvents', 'GetLogEvents'].includes(operation);
      const expected = operation === 'DescribeLogGroups' ? `arn:aws:logs:us-east-1:${ACCOUNT}:log-group::log-stream:` : onStream ? `${group}s` : group;
      assert.equal(permission!.resource, expected, operation);
    }
  });

  it('X-Ray: each modelled route needs xray:<Operation> on *; routes without an action never run', () => {
    let modelled = 0;
    for (const route of Object.values(XRAY_ROUTES)) {
      if (route.run) {
        modelled += 1;
        assert.equal(route.action, `xray:${route.operation}`);
      } else {
        assert.equal(route.action, undefined, route.operation);
      }
    }
    assert.ok(modelled >= 10);
  });
});

describe('the gate', () => {
  function roleKeys(setup: ReturnType<typeof cloud>, roleName: string): { accessKeyId: string; region: string; service: string } {
    const role = setup.iam.roleByName(roleName);
    const issued = setup.registry.issue({ accountId: ACCOUNT, roleArn: role!.arn, roleName, roleId: role!.roleId, sessionName: 'fn' });
    return { accessKeyId: issued.accessKeyId, region: 'us-east-1', service: 'xray' };
  }

  it('refuses a role caller whatever an operation does not declare, naming <service>:<Operation> on *', () => {
    const setup = cloud();
    setup.iam.createRole({ roleName: 'fn', assumeRolePolicyDocument: TRUST });
    setup.iam.putRolePolicy('fn', 'some', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'xray:GetTraceSummaries', Resource: '*' }] }));
    const gate = new Authorizer(setup.context, 'xray');
    const caller = roleKeys(setup, 'fn');

    for (const requirement of [undefined, () => undefined]) {
      assert.throws(
        () => gate.check(caller, requirement, 'DeleteGroup'),
        (error: AwsError) => error.code === 'AccessDeniedException' && error.status === 403 && /perform: xray:DeleteGroup on resource: \* because/.test(error.message),
      );
    }
    gate.check(caller, () => [{ action: 'xray:GetTraceSummaries', resource: '*' }], 'GetTraceSummaries');
    gate.check(caller, () => NO_PERMISSION_NEEDED, 'GetCallerIdentity');
    // The administrator (any key the cloud did not issue for a role) is never asked.
    gate.check({ accessKeyId: 'test', region: 'us-east-1', service: 'xray' }, undefined, 'DeleteGroup');
    gate.check({ accessKeyId: 'ASIAUNKNOWNKEY000000', region: 'us-east-1', service: 'xray' }, undefined, 'DeleteGroup');
  });

  it('allows nothing to a session whose role was deleted and created again under the same name', () => {
    const setup = cloud();
    setup.iam.createRole({ roleName: 'fn', assumeRolePolicyDocument: TRUST });
    const caller = roleKeys(setup, 'fn');
    setup.iam.deleteRole('fn');
    setup.iam.createRole({ roleName: 'fn', assumeRolePolicyDocument: TRUST });
    setup.iam.putRolePolicy('fn', 'all', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }));

    assert.equal(identifyCaller(setup.context, caller).kind, 'role');
    assert.throws(() => new Authorizer(setup.context, 'logs').check(caller, () => [{ action: 'logs:DescribeLogGroups', resource: '*' }], 'DescribeLogGroups'), {
      code: 'AccessDeniedException',
      status: 400,
    });
    // Keys issued for a bare role ARN are not pinned: they are the role of that name, whichever it is.
    const unpinned = { accessKeyId: setup.registry.issue(setup.iam.roleByName('fn')!.arn).accessKeyId, region: 'us-east-1', service: 'logs' };
    new Authorizer(setup.context, 'logs').check(unpinned, () => [{ action: 'logs:DescribeLogGroups', resource: '*' }], 'DescribeLogGroups');
  });
});
