// Uploads an object with an X-Ray trace header, so the trace the upload causes starts at the client: S3
// records its segment and passes the context on to the Lambda notification (on AWS and on the local cloud
// alike), and `thumbctl traces` can show client -> S3 -> Lambda -> function -> S3 from the upload's start.
import { randomBytes } from 'node:crypto';
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';

/** `1-<8 hex: epoch seconds>-<24 hex>`, X-Ray's trace id format. */
export function newTraceId(nowMs = Date.now()): string {
  return `1-${Math.floor(nowMs / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

/**
 * Sends PutObject with `X-Amzn-Trace-Id: Root=<new id>;Sampled=1`.
 * @returns the trace id the upload started
 */
export async function putTracedObject(s3: S3Client, input: PutObjectCommandInput): Promise<string> {
  const traceId = newTraceId();
  await s3.send(withTraceHeader(new PutObjectCommand(input), traceId));
  return traceId;
}

/** Any SDK command, sent with `X-Amzn-Trace-Id: Root=<traceId>;Sampled=1` (an Invoke starts its trace this way). */
export function withTraceHeader<C extends { middlewareStack: { add(middleware: any, options: { step: 'build'; name: string }): void } }>(command: C, traceId: string): C {
  command.middlewareStack.add(
    (next: (args: { request: unknown }) => Promise<unknown>) => async (args: { request: unknown }) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['X-Amzn-Trace-Id'] = `Root=${traceId};Sampled=1`;
      return next(args);
    },
    { step: 'build', name: 'thumbctlTraceHeader' },
  );
  return command;
}
