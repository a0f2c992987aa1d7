// CloudWatch Logs on the wire: JSON 1.1, `X-Amz-Target: Logs_20140328.<Operation>`, POST /. It reads typed
// members, calls the store and writes results and errors in AWS's shapes; every rule lives in the store.
// Operations not listed below answer NotImplemented naming the operation (StartLiveTail, Insights, ...).
import type { InputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { CloudContext } from '../../core/context.js';
import { NotImplementedError } from '../../core/errors.js';
import type { ServiceRequest, ServiceRouter } from '../../core/http.js';
import {
  defaultMalformedError,
  jsonServiceRouter,
  JsonFields,
  parseJsonBody,
  targetOperation,
} from '../../core/json-protocol.js';
import { ThrottlingException, UnknownOperationException } from './errors.js';
import type { LogsStore } from './store.js';

export const LOGS_TARGET_PREFIX = 'Logs_20140328';

const PROTOCOL = 'json-1.1' as const;
const malformed = defaultMalformedError(PROTOCOL);

type Operation = (store: LogsStore, input: JsonFields) => unknown;

const OPERATIONS: Record<string, Operation> = {
  CreateLogGroup(store, input) {
    store.createLogGroup(input.string('logGroupName'));
    return {};
  },
  DeleteLogGroup(store, input) {
    store.deleteLogGroup(input.string('logGroupName'));
    return {};
  },
  DescribeLogGroups(store, input) {
    return store.describeLogGroups({
      logGroupNamePrefix: input.string('logGroupNamePrefix'),
      logGroupNamePattern: input.string('logGroupNamePattern'),
      limit: input.integer('limit'),
      nextToken: input.string('nextToken'),
    });
  },
  PutRetentionPolicy(store, input) {
    store.putRetentionPolicy(input.string('logGroupName'), input.integer('retentionInDays'));
    return {};
  },
  DeleteRetentionPolicy(store, input) {
    store.deleteRetentionPolicy(input.string('logGroupName'));
    return {};
  },
  CreateLogStream(store, input) {
    store.createLogStream(input.string('logGroupName'), input.string('logStreamName'));
    return {};
  },
  DeleteLogStream(store, input) {
    store.deleteLogStream(input.string('logGroupName'), input.string('logStreamName'));
    return {};
  },
  DescribeLogStreams(store, input) {
    return store.describeLogStreams({
      logGroupName: input.string('logGroupName'),
      logGroupIdentifier: input.string('logGroupIdentifier'),
      logStreamNamePrefix: input.string('logStreamNamePrefix'),
      orderBy: input.string('orderBy') as 'LogStreamName' | 'LastEventTime' | undefined,
      descending: input.boolean('descending'),
      limit: input.integer('limit'),
      nextToken: input.string('nextToken'),
    });
  },
  PutLogEvents(store, input) {
    const events: InputLogEvent[] | undefined = input.objectList('logEvents')?.map((event) => ({
      timestamp: event.integer('timestamp'),
      message: event.string('message'),
    }));
    return store.putLogEvents(input.string('logGroupName'), input.string('logStreamName'), events);
  },
  GetLogEvents(store, input) {
    return store.getLogEvents({
      logGroupName: input.string('logGroupName'),
      logGroupIdentifier: input.string('logGroupIdentifier'),
      logStreamName: input.string('logStreamName'),
      startTime: input.integer('startTime'),
      endTime: input.integer('endTime'),
      nextToken: input.string('nextToken'),
      limit: input.integer('limit'),
      startFromHead: input.boolean('startFromHead'),
    });
  },
  FilterLogEvents(store, input) {
    return store.filterLogEvents({
      logGroupName: input.string('logGroupName'),
      logGroupIdentifier: input.string('logGroupIdentifier'),
      logStreamNames: input.stringList('logStreamNames'),
      logStreamNamePrefix: input.string('logStreamNamePrefix'),
      startTime: input.integer('startTime'),
      endTime: input.integer('endTime'),
      filterPattern: input.string('filterPattern'),
      nextToken: input.string('nextToken'),
      limit: input.integer('limit'),
      interleaved: input.boolean('interleaved'),
    });
  },
};

export function createLogsRouter(store: LogsStore, context: CloudContext): ServiceRouter {
  return jsonServiceRouter('logs', PROTOCOL, context.log, (request) => dispatch(store, context, request));
}

function dispatch(store: LogsStore, context: CloudContext, request: ServiceRequest): unknown {
  const operationName = targetOperation(request, LOGS_TARGET_PREFIX);
  // AWS answers a missing or foreign target, or a non-POST, with UnknownOperationException.
  if (request.method !== 'POST' || operationName === undefined) throw new UnknownOperationException();
  // Own properties only: a target of `Logs_20140328.__proto__` names no operation.
  const operation = Object.hasOwn(OPERATIONS, operationName) ? OPERATIONS[operationName] : undefined;
  if (!operation) throw new NotImplementedError(`CloudWatch Logs ${operationName}`);
  if (context.faults.shouldThrottle()) throw new ThrottlingException();
  const input = new JsonFields(parseJsonBody(request.body, malformed), malformed);
  return operation(store, input);
}
