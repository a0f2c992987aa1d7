// A hand-written Lambda trace, shaped like the ones AWS records for an S3-triggered function: the Lambda
// service's AWS::Lambda segment, and the function's AWS::Lambda::Function segment whose parent is the
// service segment's "Attempt #1" subsegment, with Initialization, Invocation (S3 GetObject, resize,
// S3 PutObject) and Overhead subsegments. Times are seconds after START.

export const START = 1_700_000_000;
export const TRACE_ID = `1-${START.toString(16)}-0123456789abcdef01234567`;
export const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:thumbctl-thumbnailer';

export const IDS = {
  service: 'a000000000000001',
  dwell: 'a000000000000002',
  attempt: 'a000000000000003',
  function: 'b000000000000001',
  initialization: 'b000000000000002',
  invocation: 'b000000000000003',
  getObject: 'b000000000000004',
  resize: 'b000000000000005',
  putObject: 'b000000000000006',
  overhead: 'b000000000000007',
} as const;

const at = (seconds: number): number => START + seconds;

export function lambdaServiceSegment(): Record<string, unknown> {
  return {
    name: 'thumbctl-thumbnailer',
    id: IDS.service,
    trace_id: TRACE_ID,
    origin: 'AWS::Lambda',
    start_time: at(0),
    end_time: at(1.2),
    resource_arn: FUNCTION_ARN,
    http: { response: { status: 202 } },
    aws: { request_id: '3f2a3c1e-0000-4000-8000-000000000001' },
    subsegments: [
      { id: IDS.dwell, name: 'Dwell Time', start_time: at(0), end_time: at(0.05) },
      { id: IDS.attempt, name: 'Attempt #1', start_time: at(0.05), end_time: at(1.2), http: { response: { status: 200 } } },
    ],
  };
}

export function getObjectSubsegment(): Record<string, unknown> {
  return {
    id: IDS.getObject,
    name: 'S3',
    namespace: 'aws',
    start_time: at(0.31),
    end_time: at(0.4),
    http: { response: { status: 200 } },
    aws: { operation: 'GetObject', region: 'us-east-1', bucket_name: 'photos', key: 'uploads/cat.jpg' },
  };
}

export function functionSegment(options: { withGetObject?: boolean; fault?: boolean } = {}): Record<string, unknown> {
  const invocationChildren = [
    ...(options.withGetObject === false ? [] : [getObjectSubsegment()]),
    {
      id: IDS.resize,
      name: 'resize',
      start_time: at(0.4),
      end_time: at(0.9),
      annotations: { source_key: 'uploads/cat.jpg', width: 200, cold_start: true },
      ...(options.fault ? { fault: true } : {}),
    },
    {
      id: IDS.putObject,
      name: 'S3',
      namespace: 'aws',
      start_time: at(0.9),
      end_time: at(1.05),
      http: { response: { status: 200 } },
      aws: { operation: 'PutObject', region: 'us-east-1', bucket_name: 'photos-thumbnails', key: 'thumbnails/cat.jpg' },
    },
  ];
  return {
    name: 'thumbctl-thumbnailer',
    id: IDS.function,
    trace_id: TRACE_ID,
    parent_id: IDS.attempt,
    origin: 'AWS::Lambda::Function',
    start_time: at(0.06),
    end_time: at(1.19),
    resource_arn: FUNCTION_ARN,
    ...(options.fault ? { fault: true } : {}),
    subsegments: [
      { id: IDS.initialization, name: 'Initialization', start_time: at(0.06), end_time: at(0.3), aws: { function_arn: FUNCTION_ARN } },
      { id: IDS.invocation, name: 'Invocation', start_time: at(0.3), end_time: at(1.1), subsegments: invocationChildren },
      { id: IDS.overhead, name: 'Overhead', start_time: at(1.1), end_time: at(1.19) },
    ],
  };
}

/** The trace's documents as JSON text, as PutTraceSegments receives them. */
export function lambdaTraceDocuments(options: { fault?: boolean } = {}): string[] {
  return [JSON.stringify(lambdaServiceSegment()), JSON.stringify(functionSegment(options))];
}
