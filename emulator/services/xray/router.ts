// X-Ray on the wire: REST-JSON, every operation a POST to its own path (/TraceSegments, /TraceSummaries, ...).
// It reads typed members, calls the store and writes results (timestamps as epoch seconds) and errors in
// AWS's shapes. X-Ray operations we do not model answer NotImplemented naming the operation.
import { Authorizer } from '../../core/authorize.js';
import type { CloudContext } from '../../core/context.js';
import { NotImplemented } from '../../core/errors.js';
import type { ServiceRequest, ServiceRouter } from '../../core/http.js';
import { Constraint } from '../../core/constraints.js';
import { defaultMalformedError, jsonServiceRouter, JsonFields, parseJsonBody } from '../../core/json-protocol.js';
import { InvalidRequestException, ThrottledException, UnknownOperationException } from './errors.js';
import type { XRayStore } from './store.js';

const PROTOCOL = 'rest-json' as const;
const malformed = defaultMalformedError(PROTOCOL);

type Operation = (store: XRayStore, input: JsonFields) => unknown;

interface Route {
  operation: string;
  /**
   * The IAM action the call needs. Every X-Ray operation modelled here acts on `*` (the Service Authorization
   * Reference lists no resource type for them); a route without one is refused to role callers.
   */
  action?: string;
  run?: Operation;
}

/** Every X-Ray operation by its path (from the service model); those without `run` are not modelled. */
const ROUTES: Record<string, Route> = {
  '/TraceSegments': {
    operation: 'PutTraceSegments',
    action: 'xray:PutTraceSegments',
    run: (store, input) => ({ UnprocessedTraceSegments: store.putTraceSegments(required(input.stringList('TraceSegmentDocuments'), 'TraceSegmentDocuments')) }),
  },
  '/TraceSummaries': {
    operation: 'GetTraceSummaries',
    action: 'xray:GetTraceSummaries',
    run: (store, input) =>
      store.getTraceSummaries({
        startTime: required(input.epochSeconds('StartTime'), 'StartTime'),
        endTime: required(input.epochSeconds('EndTime'), 'EndTime'),
        timeRangeType: input.string('TimeRangeType'),
        filterExpression: input.string('FilterExpression'),
        sampling: input.boolean('Sampling'),
        nextToken: input.string('NextToken'),
      }),
  },
  '/Traces': {
    operation: 'BatchGetTraces',
    action: 'xray:BatchGetTraces',
    run: (store, input) => store.batchGetTraces(required(input.stringList('TraceIds'), 'TraceIds'), input.string('NextToken')),
  },
  '/ServiceGraph': {
    operation: 'GetServiceGraph',
    action: 'xray:GetServiceGraph',
    run: (store, input) => store.getServiceGraph(required(input.epochSeconds('StartTime'), 'StartTime'), required(input.epochSeconds('EndTime'), 'EndTime')),
  },
  '/TraceGraph': {
    operation: 'GetTraceGraph',
    action: 'xray:GetTraceGraph',
    run: (store, input) => store.getTraceGraph(required(input.stringList('TraceIds'), 'TraceIds')),
  },
  // The X-Ray SDKs and the daemon call these on their own; they get answers that keep them sampling everything.
  '/GetSamplingRules': { operation: 'GetSamplingRules', action: 'xray:GetSamplingRules', run: (store) => store.getSamplingRules() },
  '/SamplingTargets': {
    operation: 'GetSamplingTargets',
    action: 'xray:GetSamplingTargets',
    run: (store, input) =>
      store.getSamplingTargets((input.objectList('SamplingStatisticsDocuments') ?? []).map((doc) => doc.string('RuleName') ?? 'Default')),
  },
  '/SamplingStatisticSummaries': { operation: 'GetSamplingStatisticSummaries', action: 'xray:GetSamplingStatisticSummaries', run: () => ({ SamplingStatisticSummaries: [] }) },
  '/TelemetryRecords': { operation: 'PutTelemetryRecords', action: 'xray:PutTelemetryRecords', run: () => ({}) },
  '/EncryptionConfig': { operation: 'GetEncryptionConfig', action: 'xray:GetEncryptionConfig', run: () => ({ EncryptionConfig: { Type: 'NONE', Status: 'ACTIVE' } }) },
  '/CancelTraceRetrieval': { operation: 'CancelTraceRetrieval' },
  '/CreateGroup': { operation: 'CreateGroup' },
  '/CreateSamplingRule': { operation: 'CreateSamplingRule' },
  '/DeleteGroup': { operation: 'DeleteGroup' },
  '/DeleteResourcePolicy': { operation: 'DeleteResourcePolicy' },
  '/DeleteSamplingRule': { operation: 'DeleteSamplingRule' },
  '/GetGroup': { operation: 'GetGroup' },
  '/Groups': { operation: 'GetGroups' },
  '/GetIndexingRules': { operation: 'GetIndexingRules' },
  '/Insight': { operation: 'GetInsight' },
  '/InsightEvents': { operation: 'GetInsightEvents' },
  '/InsightImpactGraph': { operation: 'GetInsightImpactGraph' },
  '/InsightSummaries': { operation: 'GetInsightSummaries' },
  '/GetRetrievedTracesGraph': { operation: 'GetRetrievedTracesGraph' },
  '/TimeSeriesServiceStatistics': { operation: 'GetTimeSeriesServiceStatistics' },
  '/GetTraceSegmentDestination': { operation: 'GetTraceSegmentDestination' },
  '/ListResourcePolicies': { operation: 'ListResourcePolicies' },
  '/ListRetrievedTraces': { operation: 'ListRetrievedTraces' },
  '/ListTagsForResource': { operation: 'ListTagsForResource' },
  '/PutEncryptionConfig': { operation: 'PutEncryptionConfig' },
  '/PutResourcePolicy': { operation: 'PutResourcePolicy' },
  '/StartTraceRetrieval': { operation: 'StartTraceRetrieval' },
  '/TagResource': { operation: 'TagResource' },
  '/UntagResource': { operation: 'UntagResource' },
  '/UpdateGroup': { operation: 'UpdateGroup' },
  '/UpdateIndexingRule': { operation: 'UpdateIndexingRule' },
  '/UpdateSamplingRule': { operation: 'UpdateSamplingRule' },
  '/UpdateTraceSegmentDestination': { operation: 'UpdateTraceSegmentDestination' },
};

/** Every route, for tests that check each modelled operation declares its permission. */
export const XRAY_ROUTES: Readonly<Record<string, Route>> = ROUTES;

export function createXRayRouter(store: XRayStore, context: CloudContext): ServiceRouter {
  const authorizer = new Authorizer(context, 'xray');
  return jsonServiceRouter('xray', PROTOCOL, context.log, (request) => dispatch(store, context, authorizer, request));
}

function dispatch(store: XRayStore, context: CloudContext, authorizer: Authorizer, request: ServiceRequest): unknown {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (request.method !== 'POST' || !route) throw new UnknownOperationException(path);
  if (!route.run) throw new NotImplemented(`X-Ray ${route.operation}`);
  if (context.faults.shouldThrottle()) throw new ThrottledException();
  const input = new JsonFields(parseJsonBody(request.body, malformed), malformed);
  authorizer.check(request.caller, () => (route.action ? [{ action: route.action, resource: '*' }] : undefined), route.operation);
  return route.run(store, input);
}

/** X-Ray reports a missing required member as InvalidRequestException, in Coral's validation wording. */
function required<T>(value: T | undefined, member: string): T {
  if (value === undefined) {
    throw InvalidRequestException.violated(member, null, Constraint.notNull);
  }
  return value;
}
