// S3 event notifications: after a write commits, the matching destinations of the bucket's configuration get
// the event in Lambda's durable queue, traced when the request was. Delivery problems are logged, never thrown.
import { buildEventRecord, matchingDestinations, Sequencer, type NotificationConfiguration } from './notifications.js';
import type { RequestInfo } from './records.js';
import { StorePart } from './tables.js';
import { formatTraceHeader, newSegmentId, parseTraceHeader } from '../../core/trace-header.js';

export class S3Events extends StorePart {
  private readonly sequencer = new Sequencer();

  /**
   * For a traced upload (the request carried `X-Amzn-Trace-Id`), records S3's own `AWS::S3::Bucket` segment
   * and returns the header to pass on with the event, so the trace runs client -> S3 -> Lambda as on AWS,
   * where S3 propagates trace context to Lambda notifications. Untraced uploads start no trace here.
   */
  private traceUpload(object: { bucket: string; key: string }, request: RequestInfo, eventTime: number): string | undefined {
    const upstream = parseTraceHeader(request.traceHeader);
    if (!upstream.root || upstream.sampled === false) return undefined;
    const segmentId = newSegmentId();
    const segment = {
      trace_id: upstream.root,
      id: segmentId,
      ...(upstream.parent ? { parent_id: upstream.parent } : {}),
      name: object.bucket,
      origin: 'AWS::S3::Bucket',
      start_time: (request.receivedAt ?? eventTime) / 1000,
      end_time: eventTime / 1000,
      http: { request: { method: 'PUT' }, response: { status: 200 } },
      aws: { operation: request.operation ?? 'PutObject', bucket_name: object.bucket, key: object.key, request_id: request.requestId },
    };
    try {
      this.context.stores.xray?.putSegments([JSON.stringify(segment)]);
    } catch (error) {
      this.context.log(`s3: recording the trace segment for s3://${object.bucket}/${object.key} failed: ${(error as Error).message}`);
    }
    return formatTraceHeader({ root: upstream.root, parent: segmentId, sampled: true });
  }

  /**
   * Hands matching notifications to Lambda's durable queue. Runs after the commit and before the
   * response, so an acknowledged write's event is already queued. Delivery problems are logged and
   * never fail the write, as in S3.
   */
  emitEvent(eventName: string, object: { bucket: string; key: string; size?: number; etag?: string }, request: RequestInfo): void {
    let configuration: NotificationConfiguration;
    try {
      const row = this.sql.config.get(object.bucket, 'notification');
      if (!row) return;
      configuration = JSON.parse(row.value) as NotificationConfiguration;
    } catch (error) {
      this.context.log(`s3: reading the notification configuration of ${object.bucket} failed: ${(error as Error).message}`);
      return;
    }
    const destinations = matchingDestinations(configuration, eventName, object.key);
    if (destinations.length === 0) return;
    const region = this.sql.bucket.get(object.bucket)?.region ?? this.context.settings.region;
    const eventTime = Date.now();
    const traceHeader = this.traceUpload(object, request, eventTime);
    for (const destination of destinations) {
      if (destination.kind !== 'lambda') {
        this.context.log(`s3: ${eventName} for s3://${object.bucket}/${object.key} not sent to ${destination.arn}: the local cloud has no ${destination.kind === 'queue' ? 'SQS' : 'SNS'}`);
        continue;
      }
      try {
        const record = buildEventRecord({
          eventName,
          eventTime,
          region,
          bucket: object.bucket,
          bucketOwnerPrincipalId: this.tables.owner.principalId,
          principalId: request.principalId,
          sourceIp: request.sourceIp,
          requestId: request.requestId,
          hostId: request.hostId,
          configurationId: destination.id,
          key: object.key,
          ...(object.size !== undefined ? { size: object.size } : {}),
          ...(object.etag !== undefined ? { etag: object.etag } : {}),
          sequencer: this.sequencer.next(eventTime),
        });
        const lambda = this.context.stores.lambda;
        if (!lambda) throw new Error('the Lambda service is not available');
        lambda.enqueueEvent(destination.arn, JSON.stringify({ Records: [record] }), 's3', traceHeader);
      } catch (error) {
        this.context.log(`s3: delivering ${eventName} for s3://${object.bucket}/${object.key} to ${destination.arn} failed: ${(error as Error).message}`);
      }
    }
  }
}
