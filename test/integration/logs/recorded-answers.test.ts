// CloudWatch Logs against AWS's recorded answers: each row is one call and what real AWS answered it, read from
// LocalStack's recordings (tests/aws/services/logs/test_logs_{groups,streams,events,filter_events}.snapshot.json;
// test and key per row), driven through the real CloudWatchLogsClient.
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
} from '@aws-sdk/client-cloudwatch-logs';
import { answersAsRecorded, hasMembers, type RecordedErrorRow } from '../../helpers/recorded-answers.js';
import { startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';

let cloud: TestCloud;
let logs: CloudWatchLogsClient;
const group = `/recorded/${Date.now()}`;
const stream = 'stream-1';
before(async () => {
  cloud = await startTestCloud();
  logs = new CloudWatchLogsClient({ ...cloud.clientConfig });
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
});
after(async () => {
  logs.destroy();
  await cloud.close();
});

const now = Date.now();
const ROWS: RecordedErrorRow[] = [
  {
    name: 'CreateLogGroup: a name that exists',
    recording: 'test_logs_groups.snapshot.json test_create_log_group_duplicate_error error-duplicate-log-group',
    call: () => logs.send(new CreateLogGroupCommand({ logGroupName: group })),
    answer: { code: 'ResourceAlreadyExistsException', status: 400, message: 'The specified log group already exists' },
  },
  {
    name: 'CreateLogGroup: a name of 513 characters',
    recording: 'test_logs_groups.snapshot.json test_create_log_group_invalid_name_length error-invalid-name-length',
    call: () => logs.send(new CreateLogGroupCommand({ logGroupName: 'a'.repeat(513) })),
    answer: { code: 'InvalidParameterException', status: 400, message: 'Invalid LogGroup or LogStream, both must have length less than or equal to 512.' },
  },
  {
    name: 'DescribeLogGroups: a prefix and a pattern',
    recording: 'test_logs_groups.snapshot.json test_describe_log_groups_prefix_and_pattern_error error-prefix-and-pattern',
    call: () => logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/a', logGroupNamePattern: 'b' })),
    answer: { code: 'InvalidParameterException', status: 400, message: 'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.' },
  },
  {
    name: 'DeleteLogGroup: no such group',
    recording: 'test_logs_groups.snapshot.json test_resource_does_not_exist error-log-group-does-not-exist',
    call: () => logs.send(new DeleteLogGroupCommand({ logGroupName: `${group}-missing` })),
    answer: { code: 'ResourceNotFoundException', status: 400, message: 'The specified log group does not exist.' },
  },
  {
    name: 'CreateLogStream: a name that exists',
    recording: 'test_logs_streams.snapshot.json test_create_log_stream_duplicate_error error-duplicate-log-stream',
    call: () => logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })),
    answer: { code: 'ResourceAlreadyExistsException', status: 400, message: 'The specified log stream already exists' },
  },
  {
    name: 'DescribeLogStreams: a group named by name and by identifier',
    recording: 'test_logs_streams.snapshot.json test_describe_log_streams_with_log_group_identifier error-both-name-and-identifier',
    call: () => logs.send(new DescribeLogStreamsCommand({ logGroupName: group, logGroupIdentifier: group })),
    answer: { code: 'ValidationException', status: 400, message: 'LogGroup name and LogGroup ARN are mutually exclusive parameters.' },
  },
  {
    name: 'PutLogEvents: no such stream',
    recording: 'test_logs_events.snapshot.json test_put_log_events_to_invalid_stream error-invalid-stream',
    call: () => logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 'missing', logEvents: [{ timestamp: now, message: 'm' }] })),
    answer: { code: 'ResourceNotFoundException', status: 400, message: 'The specified log stream does not exist.' },
  },
  {
    name: 'PutLogEvents: events out of order',
    recording: 'test_logs_events.snapshot.json test_put_log_events_wrong_order error-wrong-order',
    call: () => logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: [{ timestamp: now, message: 'b' }, { timestamp: now - 1000, message: 'a' }] })),
    answer: { code: 'InvalidParameterException', status: 400, message: 'Log events in a single PutLogEvents request must be in chronological order.' },
  },
  {
    name: 'GetLogEvents: a token it did not give',
    recording: 'test_logs_events.snapshot.json test_get_log_events_invalid_token error-invalid-token',
    call: () => logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, nextToken: 'invalid-token' })),
    answer: { code: 'InvalidParameterException', status: 400, message: 'The specified nextToken is invalid.' },
  },
  {
    name: 'GetLogEvents: a limit over 10000',
    recording: 'test_logs_events.snapshot.json test_get_log_events_limit_validation error-limit-exceeded',
    call: () => logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, limit: 10001 })),
    answer: { code: 'InvalidParameterException', status: 400, message: "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000" },
  },
  {
    name: 'FilterLogEvents: a limit over 10000',
    recording: 'test_logs_filter_events.snapshot.json test_filter_log_events_limit_validation error-limit-exceeded',
    call: () => logs.send(new FilterLogEventsCommand({ logGroupName: group, limit: 10001 })),
    answer: { code: 'InvalidParameterException', status: 400, message: "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000" },
  },
  {
    name: 'FilterLogEvents: a token it did not give',
    recording: 'test_logs_filter_events.snapshot.json test_filter_log_events_unknown_token invalid-token',
    call: () => logs.send(new FilterLogEventsCommand({ logGroupName: group, nextToken: 'unknown-token' })),
    answer: { code: 'InvalidParameterException', status: 400, message: 'The specified nextToken is invalid.' },
  },
];

describe('CloudWatch Logs answers as AWS recorded', () => {
  for (const row of ROWS) it(row.name, () => answersAsRecorded(row));

  it('DescribeLogGroups and DescribeLogStreams: the members AWS answers with', async () => {
    // Recorded in test_logs_groups.snapshot.json test_create_log_group_with_kms_key describe-log-groups-with-kms (less
    // kmsKeyId) and test_logs_streams.snapshot.json test_create_and_delete_log_stream describe-log-streams-after-create.
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }));
    hasMembers(groups.logGroups![0], ['arn', 'creationTime', 'deletionProtectionEnabled', 'logGroupArn', 'logGroupClass', 'logGroupName', 'metricFilterCount', 'storedBytes']);
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
    hasMembers(streams.logStreams![0], ['arn', 'creationTime', 'logStreamName', 'storedBytes'], ['uploadSequenceToken', 'firstEventTimestamp', 'lastEventTimestamp']);
    assert.equal(streams.logStreams!.length, 1);
  });
});
