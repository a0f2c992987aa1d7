// CloudWatch Logs on the wire: JSON 1.1, `X-Amz-Target: Logs_20140328.<Operation>`, POST /. It reads typed
// members, calls the store and writes results and errors in AWS's shapes; every rule lives in the store.
// Operations not listed below answer NotImplemented naming the operation (StartLiveTail, Insights, ...).
import type { InputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { Authorizer, type Permission, type Requirement } from '../../core/authorize.js';
import type { CloudContext } from '../../core/context.js';
import { NotImplemented } from '../../core/errors.js';
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
import { validateLogTags, type LogGroupTags } from './tags.js';

export const LOGS_TARGET_PREFIX = 'Logs_20140328';

const PROTOCOL = 'json-1.1' as const;
const malformed = defaultMalformedError(PROTOCOL);

/** Where log ARNs point: this cloud's region and account. */
interface LogsScope {
  region: string;
  accountId: string;
}

interface Operation {
  /** The IAM action and resource the call needs (see core/authorize.ts). */
  permissions(input: JsonFields, scope: LogsScope): Requirement;
  run(store: LogsStore, input: JsonFields, tags: LogGroupTags): unknown;
}

/**
 * The resource CloudWatch Logs authorises an operation on. A log group's operations are evaluated on
 * `log-group:<name>:log-stream:` (which is why policies grant `log-group:<name>:*`), a stream's on
 * `log-group:<name>:log-stream:<stream>`, DescribeLogGroups on `log-group::log-stream:`. AWS names these
 * resources in its denials; so do we.
 */
function logsPermission(action: string, scope: LogsScope, group: string | undefined, stream = ''): Permission[] {
  return [{ action, resource: `arn:aws:logs:${scope.region}:${scope.accountId}:log-group:${group ?? ''}:log-stream:${stream}` }];
}

/** A log group named by `logGroupName` or `logGroupIdentifier` (a name or the group's ARN). */
function groupOf(input: JsonFields): string | undefined {
  const identifier = input.string('logGroupName') ?? input.string('logGroupIdentifier');
  const fromArn = identifier?.startsWith('arn:') ? /:log-group:([^:]*)/.exec(identifier)?.[1] : undefined;
  return fromArn ?? identifier;
}

const onGroup =
  (action: string): Operation['permissions'] =>
  (input, scope) =>
    logsPermission(action, scope, groupOf(input));
const onStream =
  (action: string): Operation['permissions'] =>
  (input, scope) =>
    logsPermission(action, scope, groupOf(input), input.string('logStreamName'));

const OPERATIONS: Record<string, Operation> = {
  CreateLogGroup: {
    // Tagging at creation needs logs:TagResource as well, as on AWS.
    permissions: (input, scope) => [
      ...logsPermission('logs:CreateLogGroup', scope, groupOf(input)),
      ...(input.has('tags') ? logsPermission('logs:TagResource', scope, groupOf(input)) : []),
    ],
    run(store, input, tags) {
      const given = input.has('tags') ? validateLogTags(input.stringMap('tags')) : undefined;
      store.createLogGroup(input.string('logGroupName'));
      if (given) tags.tag(input.string('logGroupName'), given);
      return {};
    },
  },
  DeleteLogGroup: {
    permissions: onGroup('logs:DeleteLogGroup'),
    run(store, input) {
      store.deleteLogGroup(input.string('logGroupName'));
      return {};
    },
  },
  DescribeLogGroups: {
    permissions: (_input, scope) => logsPermission('logs:DescribeLogGroups', scope, ''),
    run(store, input) {
      return store.describeLogGroups({
        logGroupNamePrefix: input.string('logGroupNamePrefix'),
        logGroupNamePattern: input.string('logGroupNamePattern'),
        limit: input.integer('limit'),
        nextToken: input.string('nextToken'),
      });
    },
  },
  PutRetentionPolicy: {
    permissions: onGroup('logs:PutRetentionPolicy'),
    run(store, input) {
      store.putRetentionPolicy(input.string('logGroupName'), input.integer('retentionInDays'));
      return {};
    },
  },
  DeleteRetentionPolicy: {
    permissions: onGroup('logs:DeleteRetentionPolicy'),
    run(store, input) {
      store.deleteRetentionPolicy(input.string('logGroupName'));
      return {};
    },
  },
  CreateLogStream: {
    permissions: onStream('logs:CreateLogStream'),
    run(store, input) {
      store.createLogStream(input.string('logGroupName'), input.string('logStreamName'));
      return {};
    },
  },
  DeleteLogStream: {
    permissions: onStream('logs:DeleteLogStream'),
    run(store, input) {
      store.deleteLogStream(input.string('logGroupName'), input.string('logStreamName'));
      return {};
    },
  },
  DescribeLogStreams: {
    permissions: onGroup('logs:DescribeLogStreams'),
    run(store, input) {
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
  },
  PutLogEvents: {
    permissions: onStream('logs:PutLogEvents'),
    run(store, input) {
      const events: InputLogEvent[] | undefined = input.objectList('logEvents')?.map((event) => ({
        timestamp: event.integer('timestamp'),
        message: event.string('message'),
      }));
      return store.putLogEvents(input.string('logGroupName'), input.string('logStreamName'), events);
    },
  },
  GetLogEvents: {
    permissions: onStream('logs:GetLogEvents'),
    run(store, input) {
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
  },
  FilterLogEvents: {
    permissions: onGroup('logs:FilterLogEvents'),
    run(store, input) {
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
  },
  // ---- tags (tags.ts): by ARN, and the older by-name operations -------------------------------------------
  TagResource: {
    permissions: (input, scope) => logsPermission('logs:TagResource', scope, groupOfArnLoosely(input.string('resourceArn'))),
    run(_store, input, tags) {
      tags.tag(tags.groupOfArn(input.string('resourceArn')), input.stringMap('tags'));
      return {};
    },
  },
  UntagResource: {
    permissions: (input, scope) => logsPermission('logs:UntagResource', scope, groupOfArnLoosely(input.string('resourceArn'))),
    run(_store, input, tags) {
      tags.untag(tags.groupOfArn(input.string('resourceArn')), input.stringList('tagKeys'));
      return {};
    },
  },
  ListTagsForResource: {
    permissions: (input, scope) => logsPermission('logs:ListTagsForResource', scope, groupOfArnLoosely(input.string('resourceArn'))),
    run(_store, input, tags) {
      return { tags: tags.list(tags.groupOfArn(input.string('resourceArn'))) };
    },
  },
  TagLogGroup: {
    permissions: onGroup('logs:TagLogGroup'),
    run(_store, input, tags) {
      tags.tag(input.string('logGroupName'), input.stringMap('tags'));
      return {};
    },
  },
  UntagLogGroup: {
    permissions: onGroup('logs:UntagLogGroup'),
    run(_store, input, tags) {
      // The older operation names the keys to remove `tags`.
      tags.untag(input.string('logGroupName'), input.stringList('tags'), 'tags');
      return {};
    },
  },
  ListTagsLogGroup: {
    permissions: onGroup('logs:ListTagsLogGroup'),
    run(_store, input, tags) {
      return { tags: tags.list(input.string('logGroupName')) };
    },
  },
};

/** Every operation this router implements, for tests that check each declares its permission. */
export const LOGS_OPERATIONS: Readonly<Record<string, Operation>> = OPERATIONS;

export function createLogsRouter(store: LogsStore, context: CloudContext, tags: LogGroupTags): ServiceRouter {
  const authorizer = new Authorizer(context, 'logs');
  return jsonServiceRouter('logs', PROTOCOL, context.log, (request) => dispatch(store, tags, context, authorizer, request));
}

/** The group in a log group ARN, for naming the resource a tagging call is authorised on (the store checks it). */
function groupOfArnLoosely(arn: string | undefined): string | undefined {
  return arn === undefined ? undefined : /:log-group:([^:]*)/.exec(arn)?.[1];
}

function dispatch(store: LogsStore, tags: LogGroupTags, context: CloudContext, authorizer: Authorizer, request: ServiceRequest): unknown {
  const operationName = targetOperation(request, LOGS_TARGET_PREFIX);
  // AWS answers a missing or foreign target, or a non-POST, with UnknownOperationException.
  if (request.method !== 'POST' || operationName === undefined) throw new UnknownOperationException();
  // Own properties only: a target of `Logs_20140328.__proto__` names no operation.
  const operation = Object.hasOwn(OPERATIONS, operationName) ? OPERATIONS[operationName] : undefined;
  if (!operation) throw new NotImplemented(`CloudWatch Logs ${operationName}`);
  if (context.faults.shouldThrottle()) throw new ThrottlingException();
  const input = new JsonFields(parseJsonBody(request.body, malformed), malformed);
  authorizer.check(request.caller, () => operation.permissions(input, { region: context.settings.region, accountId: context.settings.accountId }), operationName);
  return operation.run(store, input, tags);
}
