// Resource policies through the real LambdaClient (AddPermission, GetPolicy, RemovePermission), and what
// they mean to S3: the cross-service allowsS3Invoke check and a real bucket notification delivering events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddPermissionCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createFixtureFunction, eventually, functionLogEvents, startLambdaCloud, uniqueName, type LambdaTestCloud } from './support.js';

let cloud: LambdaTestCloud;
before(async () => {
  cloud = await startLambdaCloud();
});
after(async () => {
  await cloud.close();
});

describe('AddPermission, GetPolicy, RemovePermission', () => {
  it('adds a statement, shows it in the policy, refuses a duplicate id, and removes it', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    await assert.rejects(cloud.lambda.send(new GetPolicyCommand({ FunctionName: fn.FunctionName })), (error: Error) => {
      assert.ok(error instanceof ResourceNotFoundException);
      assert.equal(error.message, 'The resource you requested does not exist.');
      return true;
    });
    const added = await cloud.lambda.send(
      new AddPermissionCommand({
        FunctionName: fn.FunctionName,
        StatementId: 's3-invoke',
        Action: 'lambda:InvokeFunction',
        Principal: 's3.amazonaws.com',
        SourceArn: 'arn:aws:s3:::photos',
        SourceAccount: '000000000000',
      }),
    );
    assert.equal(added.$metadata.httpStatusCode, 201);
    const statement = JSON.parse(added.Statement!);
    assert.deepEqual(statement, {
      Sid: 's3-invoke',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: fn.FunctionArn,
      Condition: { StringEquals: { 'AWS:SourceAccount': '000000000000' }, ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::photos' } },
    });
    const policy = await cloud.lambda.send(new GetPolicyCommand({ FunctionName: fn.FunctionName }));
    assert.deepEqual(JSON.parse(policy.Policy!), { Version: '2012-10-17', Id: 'default', Statement: [statement] });
    assert.ok(policy.RevisionId);

    await assert.rejects(
      cloud.lambda.send(new AddPermissionCommand({ FunctionName: fn.FunctionName, StatementId: 's3-invoke', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com' })),
      ResourceConflictException,
    );

    const lambda = cloud.cloud.context.stores.lambda!;
    assert.equal(lambda.allowsS3Invoke(fn.FunctionArn!, 'photos', '000000000000'), true);
    assert.equal(lambda.allowsS3Invoke(fn.FunctionArn!, 'other-bucket', '000000000000'), false);
    assert.equal(lambda.allowsS3Invoke(fn.FunctionArn!, 'photos', '111111111111'), false);

    await cloud.lambda.send(new RemovePermissionCommand({ FunctionName: fn.FunctionName, StatementId: 's3-invoke' }));
    await assert.rejects(cloud.lambda.send(new GetPolicyCommand({ FunctionName: fn.FunctionName })), ResourceNotFoundException);
    assert.equal(lambda.allowsS3Invoke(fn.FunctionArn!, 'photos', '000000000000'), false);
    await assert.rejects(cloud.lambda.send(new RemovePermissionCommand({ FunctionName: fn.FunctionName, StatementId: 's3-invoke' })), (error: Error) => {
      assert.ok(error instanceof ResourceNotFoundException);
      // The policy is empty now: AWS says so rather than naming the statement (recorded answer).
      assert.equal(error.message, 'No policy is associated with the given resource.');
      return true;
    });
  });

  it('allowsS3Invoke is false for a missing function, and enqueueEvent never throws for one', () => {
    const lambda = cloud.cloud.context.stores.lambda!;
    const arn = `arn:aws:lambda:us-east-1:000000000000:function:${uniqueName('ghost')}`;
    assert.equal(lambda.allowsS3Invoke(arn, 'photos', '000000000000'), false);
    assert.doesNotThrow(() => lambda.enqueueEvent(arn, '{}', 's3'));
    assert.doesNotThrow(() => lambda.enqueueEvent('not an arn at all', '{}', 's3'));
  });
});

describe('S3 notifications', () => {
  it('an object upload runs the function with the S3 event', async () => {
    const fn = await createFixtureFunction(cloud, 'echo');
    const bucket = uniqueName('photos');
    const s3 = new S3Client({ ...cloud.clientConfig });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await cloud.lambda.send(
        new AddPermissionCommand({
          FunctionName: fn.FunctionName,
          StatementId: 'allow-s3',
          Action: 'lambda:InvokeFunction',
          Principal: 's3.amazonaws.com',
          SourceArn: `arn:aws:s3:::${bucket}`,
        }),
      );
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          NotificationConfiguration: { LambdaFunctionConfigurations: [{ LambdaFunctionArn: fn.FunctionArn, Events: ['s3:ObjectCreated:*'] }] },
        }),
      );
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'canyon-100x100.jpg', Body: 'not really a jpeg' }));
      const line = await eventually(async () => {
        const events = await functionLogEvents(cloud, fn.FunctionName);
        return events.find((event) => event.message?.includes('\tINFO\tevent '))?.message;
      }, 10_000, 'the function to log the event');
      const event = JSON.parse(line.slice(line.indexOf('event ') + 'event '.length)) as { Records: { eventSource: string; s3: { bucket: { name: string }; object: { key: string } } }[] };
      assert.equal(event.Records[0]?.eventSource, 'aws:s3');
      assert.equal(event.Records[0]?.s3.bucket.name, bucket);
      assert.equal(event.Records[0]?.s3.object.key, 'canyon-100x100.jpg');
    } finally {
      s3.destroy();
    }
  });
});
