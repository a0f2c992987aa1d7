// IAM and STS against AWS's recorded answers: each row is one call and what real AWS answered it, read from
// LocalStack's recordings (tests/aws/services/iam/test_iam.snapshot.json, tests/aws/services/sts/test_sts.snapshot.json;
// test and key per row), driven through the real IAMClient and STSClient.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AttachRolePolicyCommand, CreatePolicyCommand, CreateRoleCommand, DeletePolicyCommand, GetRoleCommand, IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { answersAsRecorded, hasMembers, type RecordedErrorRow } from '../../helpers/recorded-answers.js';
import { startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';

const IAM_SNAPSHOT = 'test_iam.snapshot.json';
const STS_SNAPSHOT = 'test_sts.snapshot.json';
const ACCOUNT = '000000000000';
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

let cloud: TestCloud;
let iam: IAMClient;
let sts: STSClient;
const roleName = `recorded-${Date.now()}`;
before(async () => {
  cloud = await startTestCloud();
  iam = new IAMClient({ ...cloud.clientConfig });
  sts = new STSClient({ ...cloud.clientConfig });
  await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST }));
});
after(async () => {
  iam.destroy();
  sts.destroy();
  await cloud.close();
});

const attach = (policyArn: string) => () => iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
const assume = (roleArn: string, sessionName = 'session') => () => sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
const invalidArn = (arn: string, key: string): RecordedErrorRow => ({
  name: `AssumeRole: RoleArn ${arn}`,
  recording: `${STS_SNAPSHOT} test_sts_invalid_parameters ${key}`,
  call: assume(arn),
  answer: { code: 'ValidationError', status: 400, message: `${arn} is invalid` },
});

const ROWS: RecordedErrorRow[] = [
  {
    name: 'CreateRole: a trust policy that is not JSON',
    recording: `${IAM_SNAPSHOT} test_create_role_with_malformed_assume_role_policy_document invalid-json`,
    call: () => iam.send(new CreateRoleCommand({ RoleName: `${roleName}-bad`, AssumeRolePolicyDocument: '{"Version": "2012-10-17", "Statement": [' })),
    answer: { code: 'MalformedPolicyDocument', status: 400, message: 'This policy contains invalid Json' },
  },
  {
    name: 'AttachRolePolicy: a PolicyArn that is no ARN',
    recording: `${IAM_SNAPSHOT} test_role_attach_policy non_existent_malformed_policy_arn`,
    call: attach('longpolicynamebutnoarn'),
    answer: { code: 'ValidationError', status: 400, message: 'Invalid ARN:  Could not be parsed!' },
  },
  {
    name: 'AttachRolePolicy: a policy name instead of its ARN',
    recording: `${IAM_SNAPSHOT} test_role_attach_policy existing_policy_name_provided`,
    call: attach('AWSLambdaBasicExecutionRole'),
    answer: { code: 'ValidationError', status: 400, message: 'Invalid ARN:  Could not be parsed!' },
  },
  {
    name: 'AttachRolePolicy: the ARN of no policy',
    recording: `${IAM_SNAPSHOT} test_role_attach_policy valid_arn_not_existent`,
    call: attach(`arn:aws:iam::${ACCOUNT}:policy/nothing123`),
    answer: { code: 'NoSuchEntity', status: 404, message: `Policy arn:aws:iam::${ACCOUNT}:policy/nothing123 does not exist or is not attachable.` },
  },
  {
    name: 'DeletePolicy: no such policy',
    recording: `${IAM_SNAPSHOT} test_delete_non_existent_policy_returns_no_such_entity delete-non-existent-policy-exc`,
    call: () => iam.send(new DeletePolicyCommand({ PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/non-existent-policy` })),
    answer: { code: 'NoSuchEntity', status: 404, message: `Policy arn:aws:iam::${ACCOUNT}:policy/non-existent-policy was not found.` },
  },
  invalidArn('nothing-valid-in-here', 'malformed-arn'),
  invalidArn('arn::b:::something/test-role', 'no-partition'),
  invalidArn('arn:a::::something/test-role', 'no-service'),
  invalidArn('arn:a:::something/test-role', 'not-enough-colons'),
  invalidArn('arn:a:a::aaaaaaaaaa:', 'no-resource'),
  {
    name: 'AssumeRole: a session name with a colon',
    recording: `${STS_SNAPSHOT} test_sts_invalid_parameters invalid-session-name`,
    call: assume(`arn:aws:iam::${ACCOUNT}:role/${roleName}`, 'Session1:2'),
    answer: {
      code: 'ValidationError',
      status: 400,
      message: "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    },
  },
];

describe('IAM and STS answer as AWS recorded', () => {
  for (const row of ROWS) it(row.name, () => answersAsRecorded(row));

  it('CreateRole, GetRole and ListRoles: the members AWS answers with', async () => {
    // Recorded in test_iam.snapshot.json test_create_describe_role and test_role_with_tags (create/get/list).
    const created = await iam.send(new CreateRoleCommand({ RoleName: `${roleName}-tags`, Path: '/role-with-tags/', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'test', Value: 'value' }] }));
    hasMembers(created.Role, ['Arn', 'AssumeRolePolicyDocument', 'CreateDate', 'Path', 'RoleId', 'RoleName', 'Tags'], ['MaxSessionDuration', 'RoleLastUsed']);
    const got = await iam.send(new GetRoleCommand({ RoleName: `${roleName}-tags` }));
    hasMembers(got.Role, ['Arn', 'AssumeRolePolicyDocument', 'CreateDate', 'MaxSessionDuration', 'Path', 'RoleId', 'RoleLastUsed', 'RoleName', 'Tags']);
    assert.equal(got.Role!.MaxSessionDuration, 3600);
    const listed = await iam.send(new ListRolesCommand({ PathPrefix: '/role-with-tags/' }));
    assert.equal(listed.IsTruncated, false);
    hasMembers(listed.Roles![0], ['Arn', 'AssumeRolePolicyDocument', 'CreateDate', 'MaxSessionDuration', 'Path', 'RoleId', 'RoleName'], ['Tags', 'RoleLastUsed']);
  });

  it('CreatePolicy: the members AWS answers with', async () => {
    // Recorded in test_iam.snapshot.json test_role_attach_policy create_policy_response.
    const document = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
    const created = await iam.send(new CreatePolicyCommand({ PolicyName: `${roleName}-policy`, PolicyDocument: document }));
    hasMembers(created.Policy, ['Arn', 'AttachmentCount', 'CreateDate', 'DefaultVersionId', 'IsAttachable', 'Path', 'PermissionsBoundaryUsageCount', 'PolicyId', 'PolicyName', 'UpdateDate'], ['Description', 'Tags']);
  });

  it('AssumeRole: the members AWS answers with', async () => {
    // Recorded in test_sts.snapshot.json test_assume_role create-role, assume-role.
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }] });
    const role = (await iam.send(new CreateRoleCommand({ RoleName: `${roleName}-assumable`, AssumeRolePolicyDocument: trust }))).Role!;
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'recorded' }));
    hasMembers(assumed.AssumedRoleUser, ['Arn', 'AssumedRoleId']);
    assert.equal(assumed.AssumedRoleUser!.AssumedRoleId, `${role.RoleId}:recorded`);
    hasMembers(assumed.Credentials, ['AccessKeyId', 'Expiration', 'SecretAccessKey', 'SessionToken']);
  });
});
