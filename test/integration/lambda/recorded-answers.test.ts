// Lambda against AWS's recorded answers: each row is one call and what real AWS answered it (code, status, message),
// read from LocalStack's recordings in tests/aws/services/lambda_/test_lambda_api.snapshot.json (test and key named
// per row), driven through the real LambdaClient.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
  UntagResourceCommand,
  UpdateFunctionConfigurationCommand,
  type CreateFunctionCommandInput,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { zipFixture } from '../../fixtures/functions/build-zip.js';
import { answersAsRecorded, hasMembers, type RecordedErrorRow } from '../../helpers/recorded-answers.js';
import { createFixtureFunction, startLambdaCloud, uniqueName, waitUpdated, type LambdaTestCloud } from './support.js';

const SNAPSHOT = 'test_lambda_api.snapshot.json';
const ACCOUNT = '000000000000';

let cloud: LambdaTestCloud;
let fn: string;
let zip: Uint8Array;
before(async () => {
  cloud = await startLambdaCloud();
  fn = (await createFixtureFunction(cloud, 'echo')).FunctionName;
  zip = await zipFixture('echo');
});
after(async () => {
  await cloud.close();
});

const arnOf = (name: string): string => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

function create(overrides: Partial<CreateFunctionCommandInput>): () => Promise<unknown> {
  return () =>
    cloud.lambda.send(
      new CreateFunctionCommand({ FunctionName: uniqueName('rec'), Runtime: 'nodejs22.x', Handler: 'index.handler', Role: cloud.roleArn, Code: { ZipFile: zip }, ...overrides }),
    );
}

const addPermission = (input: { FunctionName?: string; StatementId?: string; Principal?: string; Qualifier?: string }) => () =>
  cloud.lambda.send(new AddPermissionCommand({ FunctionName: fn, StatementId: 's3', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', ...input }));

const ROWS: RecordedErrorRow[] = [
  {
    name: 'CreateFunction: a runtime Lambda does not know',
    recording: `${SNAPSHOT} test_create_lambda_exceptions invalid_runtime_exc`,
    call: create({ Runtime: 'non-existent-runtime' as Runtime }),
    answer: { code: 'InvalidParameterValueException', status: 400, message: /^Value non-existent-runtime at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: \[[^\]]*nodejs22\.x[^\]]*\] or be a valid ARN$/ },
  },
  {
    name: 'CreateFunction: a runtime in the wrong case',
    recording: `${SNAPSHOT} test_create_lambda_exceptions uppercase_runtime_exc`,
    call: create({ Runtime: 'PYTHON3.9' as Runtime }),
    answer: { code: 'InvalidParameterValueException', status: 400, message: /^Value PYTHON3\.9 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: \[.*\] or be a valid ARN$/ },
  },
  {
    name: 'CreateFunction: a deprecated runtime',
    recording: `${SNAPSHOT} test_create_deprecated_function_runtime_with_validation_enabled[nodejs14.x] deprecation_error`,
    call: create({ Runtime: 'nodejs14.x' }),
    answer: {
      code: 'InvalidParameterValueException',
      status: 400,
      message: 'The runtime parameter of nodejs14.x is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.',
    },
  },
  {
    name: 'CreateFunction: a name that is no function name',
    recording: `${SNAPSHOT} test_function_arns invalid_function_name_exc`,
    call: create({ FunctionName: 'invalid:function:name' }),
    answer: {
      code: 'ValidationException',
      status: 400,
      message:
        "1 validation error detected: Value 'invalid:function:name' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
    },
  },
  {
    name: 'CreateFunction: a name of 65 characters',
    recording: `${SNAPSHOT} test_function_arns long_function_name_exc`,
    call: create({ FunctionName: 'a'.repeat(65) }),
    answer: {
      code: 'InvalidParameterValueException',
      status: 400,
      message: `1 validation error detected: Value '${'a'.repeat(65)}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
    },
  },
  {
    name: 'CreateFunction: an ARN of 141 characters',
    recording: `${SNAPSHOT} test_function_arns long_function_arn_exc`,
    call: create({ FunctionName: `${arnOf('')}${'a'.repeat(141 - arnOf('').length)}` }),
    answer: { code: 'ValidationException', status: 400, message: /^1 validation error detected: Value 'arn:aws:lambda:[^']+' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140$/ },
  },
  {
    name: 'CreateFunction: two architectures',
    recording: `${SNAPSHOT} test_create_lambda_exceptions multiple_architectures`,
    call: create({ Architectures: ['x86_64', 'arm64'] }),
    answer: { code: 'ValidationException', status: 400, message: "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1" },
  },
  {
    name: 'CreateFunction: an architecture in the wrong case',
    recording: `${SNAPSHOT} test_create_lambda_exceptions uppercase_architecture`,
    call: create({ Architectures: ['X86_64' as 'x86_64'] }),
    answer: {
      code: 'ValidationException',
      status: 400,
      message: "1 validation error detected: Value '[X86_64]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]",
    },
  },
  {
    name: 'CreateFunction: a role that is no role ARN',
    recording: `${SNAPSHOT} test_create_lambda_exceptions invalid_role_arn_exc`,
    call: create({ Role: 'r1' }),
    answer: {
      code: 'ValidationException',
      status: 400,
      message: "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
    },
  },
  {
    name: 'GetFunction: no such function',
    recording: `${SNAPSHOT} test_function_name_variations and others: ResourceNotFoundException "Function not found: <arn>"`,
    call: () => cloud.lambda.send(new GetFunctionCommand({ FunctionName: 'doesnotexist' })),
    answer: { code: 'ResourceNotFoundException', status: 404, message: `Function not found: ${arnOf('doesnotexist')}` },
  },
  {
    name: 'AddPermission: a statement id with a dot',
    recording: `${SNAPSHOT} test_permission_exceptions add_permission_invalid_statement_id`,
    call: addPermission({ StatementId: 'example.com' }),
    answer: { code: 'ValidationException', status: 400, message: "1 validation error detected: Value 'example.com' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)" },
  },
  {
    name: 'AddPermission: a qualifier other than the one in the name',
    recording: `${SNAPSHOT} test_permission_exceptions add_permission_fn_qualifier_mismatch`,
    call: () => addPermission({ FunctionName: `${fn}:alias-not-42`, Qualifier: '42' })(),
    answer: { code: 'InvalidParameterValueException', status: 400, message: 'The derived qualifier from the function name does not match the specified qualifier.' },
  },
  {
    name: 'AddPermission: on $LATEST',
    recording: `${SNAPSHOT} test_permission_exceptions add_permission_fn_qualifier_latest`,
    call: () => addPermission({ FunctionName: `${fn}:$LATEST`, Qualifier: '$LATEST' })(),
    answer: { code: 'InvalidParameterValueException', status: 400, message: 'We currently do not support adding policies for $LATEST.' },
  },
  {
    name: 'AddPermission: a principal that is no AWS principal',
    recording: `${SNAPSHOT} test_permission_exceptions add_permission_principal_invalid`,
    call: addPermission({ StatementId: 'lambda', Principal: 'invalid.nonaws.com' }),
    answer: { code: 'InvalidParameterValueException', status: 400, message: 'The provided principal was invalid. Please check the principal and try again.' },
  },
  {
    name: 'AddPermission: no such function',
    recording: `${SNAPSHOT} test_permission_exceptions add_permission_fn_doesnotexist`,
    call: addPermission({ FunctionName: 'doesnotexist' }),
    answer: { code: 'ResourceNotFoundException', status: 404, message: `Function not found: ${arnOf('doesnotexist')}` },
  },
  {
    name: 'AddPermission: no such version',
    recording: `${SNAPSHOT} test_permission_exceptions add_permission_fn_version_doesnotexist`,
    call: () => addPermission({ Qualifier: '42' })(),
    answer: { code: 'ResourceNotFoundException', status: 404, message: /^Function not found: arn:aws:lambda:us-east-1:000000000000:function:echo-[0-9a-f]{8}:42$/ },
  },
  {
    name: 'AddPermission: no such alias',
    recording: `${SNAPSHOT} test_permission_exceptions add_permission_fn_alias_doesnotexist`,
    call: () => addPermission({ FunctionName: `${fn}:alias-doesnotexist` })(),
    answer: { code: 'ResourceNotFoundException', status: 404, message: /^Cannot find alias arn: arn:aws:lambda:us-east-1:000000000000:function:echo-[0-9a-f]{8}:alias-doesnotexist$/ },
  },
  {
    name: 'AddPermission: a qualifier with characters no qualifier has',
    recording: `${SNAPSHOT} test_permission_exceptions add_permission_fn_qualifier_invalid`,
    call: () => addPermission({ Qualifier: 'invalid-qualifier-with-?-char' })(),
    answer: {
      code: 'ValidationException',
      status: 400,
      message: "1 validation error detected: Value 'invalid-qualifier-with-?-char' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+",
    },
  },
  {
    name: 'GetPolicy: no such function',
    recording: `${SNAPSHOT} test_permission_exceptions get_policy_fn_doesnotexist`,
    call: () => cloud.lambda.send(new GetPolicyCommand({ FunctionName: 'doesnotexist' })),
    answer: { code: 'ResourceNotFoundException', status: 404, message: 'The resource you requested does not exist.' },
  },
  {
    name: 'GetPolicy: no such version',
    recording: `${SNAPSHOT} test_permission_exceptions get_policy_fn_version_doesnotexist`,
    call: () => cloud.lambda.send(new GetPolicyCommand({ FunctionName: fn, Qualifier: '77' })),
    answer: { code: 'ResourceNotFoundException', status: 404, message: 'The resource you requested does not exist.' },
  },
  {
    name: 'RemovePermission: a function without a policy',
    recording: `${SNAPSHOT} test_permission_exceptions remove_permission_policy_doesnotexist`,
    call: () => cloud.lambda.send(new RemovePermissionCommand({ FunctionName: fn, StatementId: 's3' })),
    answer: { code: 'ResourceNotFoundException', status: 404, message: 'No policy is associated with the given resource.' },
  },
  {
    name: 'RemovePermission: no such function',
    recording: `${SNAPSHOT} test_permission_exceptions remove_permission_fn_doesnotexist`,
    call: () => cloud.lambda.send(new RemovePermissionCommand({ FunctionName: 'doesnotexist', StatementId: 's3' })),
    answer: { code: 'ResourceNotFoundException', status: 404, message: `No policy found for: ${arnOf('doesnotexist')}` },
  },
  {
    name: 'UntagResource: no tag keys',
    recording: `${SNAPSHOT} test_tag_exceptions untag_empty_keys`,
    call: () => cloud.lambda.send(new UntagResourceCommand({ Resource: arnOf(fn), TagKeys: undefined as unknown as string[] })),
    answer: { code: 'ValidationException', status: 400, message: "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null" },
  },
  {
    name: 'TagResource-family: a qualified function ARN',
    recording: `${SNAPSHOT} test_tag_exceptions tag_lambda_qualifier_doesnotexist`,
    call: () => cloud.lambda.send(new UntagResourceCommand({ Resource: `${arnOf(fn)}:v1`, TagKeys: ['a'] })),
    answer: { code: 'InvalidParameterValueException', status: 400, message: 'Tags on function aliases and versions are not supported. Please specify a function ARN.' },
  },
];

describe('Lambda answers as AWS recorded', () => {
  for (const row of ROWS) it(row.name, () => answersAsRecorded(row));

  it('AddPermission: a statement id used twice', async () => {
    // Recorded in test_lambda_api.snapshot.json test_permission_exceptions add_permission_conflicting_statement_id.
    const name = (await createFixtureFunction(cloud, 'echo')).FunctionName;
    await cloud.lambda.send(new AddPermissionCommand({ FunctionName: name, StatementId: 's3', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com' }));
    await answersAsRecorded({
      name: 'AddPermission: a statement id used twice',
      recording: `${SNAPSHOT} test_permission_exceptions add_permission_conflicting_statement_id`,
      call: () => cloud.lambda.send(new AddPermissionCommand({ FunctionName: name, StatementId: 's3', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com' })),
      answer: { code: 'ResourceConflictException', status: 409, message: 'The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement.' },
    });
  });

  it('GetFunction and UpdateFunctionConfiguration: the members AWS answers with', async () => {
    // Recorded in test_lambda_api.snapshot.json test_function_lifecycle get_function_response, update_func_conf_response.
    const got = await cloud.lambda.send(new GetFunctionCommand({ FunctionName: fn }));
    hasMembers(got.Configuration, [
      'Architectures', 'CodeSha256', 'CodeSize', 'Description', 'EphemeralStorage', 'FunctionArn', 'FunctionName', 'Handler', 'LastModified',
      'LastUpdateStatus', 'LoggingConfig', 'MemorySize', 'PackageType', 'RevisionId', 'Role', 'Runtime', 'RuntimeVersionConfig', 'SnapStart',
      'State', 'Timeout', 'TracingConfig', 'Version',
    ]);
    assert.match(got.Configuration!.RuntimeVersionConfig!.RuntimeVersionArn!, /^arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}$/);
    hasMembers(got.Code, ['Location', 'RepositoryType']);
    const updated = await cloud.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Description: 'Changed-Description' }));
    assert.deepEqual([updated.LastUpdateStatus, updated.LastUpdateStatusReason, updated.LastUpdateStatusReasonCode], ['InProgress', 'The function is being created.', 'Creating']);
    await waitUpdated(cloud, fn);
    const settled = await cloud.lambda.send(new GetFunctionCommand({ FunctionName: fn }));
    hasMembers(settled.Configuration, ['LastUpdateStatus'], ['LastUpdateStatusReason', 'LastUpdateStatusReasonCode']);
  });
});
