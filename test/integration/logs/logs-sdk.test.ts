// CloudWatch Logs through the real SDK client against a real local cloud.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  paginateDescribeLogGroups,
  paginateFilterLogEvents,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  InvalidParameterException,
} from '@aws-sdk/client-cloudwatch-logs';
import { startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';

let cloud: TestCloud;
let logs: CloudWatchLogsClient;

before(async () => {
  cloud = await startTestCloud();
  logs = new CloudWatchLogsClient({ ...cloud.clientConfig, maxAttempts: 1 });
});

after(async () => {
  logs.destroy();
  await cloud.close();
});

/** Sends a raw JSON 1.1 request, for what the SDK will not send (bad JSON, unknown targets). */
async function rawCall(target: string, body: string): Promise<{ status: number; errorType: string | null; body: Record<string, unknown> }> {
  const response = await fetch(`${cloud.endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/logs/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000',
    },
    body,
  });
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), body: (await response.json()) as Record<string, unknown> };
}

describe('CloudWatch Logs via the SDK', () => {
  it('creates groups and streams and refuses duplicates', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/sdk/create' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/sdk/create', logStreamName: 'one' }));

    await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: '/sdk/create' })), (error: unknown) => {
      assert.ok(error instanceof ResourceAlreadyExistsException);
      assert.equal(error.$metadata.httpStatusCode, 400);
      return true;
    });
    await assert.rejects(logs.send(new CreateLogStreamCommand({ logGroupName: '/sdk/create', logStreamName: 'one' })), ResourceAlreadyExistsException);
  });

  it('answers a missing group with ResourceNotFoundException and AWS message', async () => {
    await assert.rejects(logs.send(new GetLogEventsCommand({ logGroupName: '/sdk/missing', logStreamName: 's' })), (error: unknown) => {
      assert.ok(error instanceof ResourceNotFoundException);
      assert.equal(error.message, 'The specified log group does not exist.');
      return true;
    });
    await assert.rejects(logs.send(new DeleteLogGroupCommand({ logGroupName: '/sdk/missing' })), ResourceNotFoundException);
  });

  it('reads events put by PutLogEvents and by the Lambda runtime path, in order', async () => {
    // Prepare
    const group = '/aws/lambda/sdk-reader';
    const now = Date.now();
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'api' }));
    const put = await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: 'api',
        logEvents: [
          { timestamp: now - 3000, message: 'first' },
          { timestamp: now - 2000, message: 'second' },
        ],
      }),
    );
    const runtimeLogs = cloud.cloud.context.stores.logs!;
    runtimeLogs.ensureStream(group, '2026/01/01/[$LATEST]0123');
    runtimeLogs.putEvents(group, '2026/01/01/[$LATEST]0123', [{ timestamp: now - 2500, message: 'from the runtime' }]);

    // Act
    const stream = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'api', startFromHead: true }));
    const all = await logs.send(new FilterLogEventsCommand({ logGroupName: group }));

    // Assess
    assert.match(put.nextSequenceToken!, /^\d+$/);
    assert.deepEqual(stream.events?.map((e) => e.message), ['first', 'second']);
    assert.match(stream.nextForwardToken!, /^f\/\d{56}$/);
    assert.match(stream.nextBackwardToken!, /^b\/\d{56}$/);
    assert.deepEqual(all.events?.map((e) => e.message), ['first', 'from the runtime', 'second']);
    const event = all.events![1]!;
    assert.equal(event.logStreamName, '2026/01/01/[$LATEST]0123');
    assert.equal(event.timestamp, now - 2500);
    assert.equal(typeof event.ingestionTime, 'number');
    assert.equal(typeof event.eventId, 'string');
  });

  it('filters with patterns and time ranges, paging with the SDK paginator', async () => {
    const group = '/aws/lambda/sdk-filter';
    const now = Date.now();
    const events = Array.from({ length: 12 }, (_, i) => ({
      timestamp: now - 60_000 + i * 1000,
      message: i % 4 === 0 ? JSON.stringify({ level: 'ERROR', key: `uploads/${i}.jpg`, ms: i * 10 }) : i % 4 === 1 ? `Task timed out after ${i} seconds` : `INFO ${i}`,
    }));
    cloud.cloud.context.stores.logs!.putEvents(group, 's', events);

    const pages: number[] = [];
    const errors: string[] = [];
    for await (const page of paginateFilterLogEvents({ client: logs, pageSize: 2 }, { logGroupName: group, filterPattern: '{ $.level = "ERROR" }' })) {
      pages.push(page.events?.length ?? 0);
      errors.push(...(page.events ?? []).map((e) => e.message!));
    }
    const timeouts = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '"Task timed out"' }));
    const slow = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '{ $.ms > 50 }' }));
    const window = await logs.send(new FilterLogEventsCommand({ logGroupName: group, startTime: now - 60_000, endTime: now - 58_000 }));
    const either = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '?timed ?INFO', limit: 100 }));

    assert.deepEqual(pages, [2, 1]);
    assert.equal(errors.length, 3);
    assert.equal(timeouts.events?.length, 3);
    assert.deepEqual(slow.events?.map((e) => JSON.parse(e.message!).ms), [80]);
    assert.equal(window.events?.length, 2);
    assert.equal(either.events?.length, 9);
  });

  it('describes streams by last event time and groups by prefix, with pagination', async () => {
    const runtimeLogs = cloud.cloud.context.stores.logs!;
    const now = Date.now();
    for (const [i, stream] of ['b', 'c', 'a'].entries()) runtimeLogs.putEvents('/sdk/describe/one', stream, [{ timestamp: now - 10_000 + i, message: stream }]);
    for (const name of ['/sdk/describe/two', '/sdk/describe/three']) await logs.send(new CreateLogGroupCommand({ logGroupName: name }));

    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/sdk/describe/one', orderBy: 'LastEventTime', descending: true }));
    const groups: string[] = [];
    for await (const page of paginateDescribeLogGroups({ client: logs, pageSize: 1 }, { logGroupNamePrefix: '/sdk/describe/' })) {
      groups.push(...(page.logGroups ?? []).map((g) => g.logGroupName!));
    }

    assert.deepEqual(streams.logStreams?.map((s) => s.logStreamName), ['a', 'c', 'b']);
    const [latest] = streams.logStreams!;
    assert.equal(latest!.lastEventTimestamp, now - 10_000 + 2);
    assert.equal(latest!.firstEventTimestamp, now - 10_000 + 2);
    assert.equal(typeof latest!.lastIngestionTime, 'number');
    assert.equal(latest!.storedBytes, 0);
    assert.deepEqual(groups, ['/sdk/describe/one', '/sdk/describe/three', '/sdk/describe/two']);
  });

  it('sets retention and refuses values AWS refuses', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/sdk/retention' }));

    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/sdk/retention', retentionInDays: 30 }));
    await assert.rejects(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/sdk/retention', retentionInDays: 2 })), InvalidParameterException);

    const described = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/sdk/retention' }));
    assert.equal(described.logGroups?.[0]?.retentionInDays, 30);
  });

  it('deletes a group with its streams and events', async () => {
    cloud.cloud.context.stores.logs!.putEvents('/sdk/delete', 's', [{ timestamp: Date.now(), message: 'x' }]);

    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/sdk/delete' }));

    await assert.rejects(logs.send(new FilterLogEventsCommand({ logGroupName: '/sdk/delete' })), ResourceNotFoundException);
  });

  it('answers malformed JSON with SerializationException instead of failing', async () => {
    const response = await rawCall('Logs_20140328.CreateLogGroup', '{"logGroupName":');

    assert.equal(response.status, 400);
    assert.equal(response.errorType, 'SerializationException');
    assert.equal(response.body['__type'], 'SerializationException');
  });

  it('answers a wrongly typed member with SerializationException', async () => {
    const response = await rawCall('Logs_20140328.DescribeLogGroups', '{"limit":"five"}');

    assert.equal(response.status, 400);
    assert.equal(response.errorType, 'SerializationException');
  });

  it('names an operation it does not implement, and refuses a foreign target', async () => {
    const missing = await rawCall('Logs_20140328.StartQuery', '{}');
    const foreign = await rawCall('Nope_1.CreateLogGroup', '{}');

    assert.equal(missing.status, 501);
    assert.equal(missing.errorType, 'NotImplemented');
    assert.match(String(missing.body['message']), /StartQuery/);
    assert.equal(foreign.status, 400);
    assert.equal(foreign.errorType, 'UnknownOperationException');
  });
});
