// X-Ray glue: a Powertools Tracer configured so that tracing can never break an invocation.
// Every call into the X-Ray SDK is guarded; problems (no daemon, no trace context, not in Lambda) become warnings.
// It does not decide WHAT is traced beyond S3 calls and named subsegments; the handler does that.

import { Tracer } from '@aws-lambda-powertools/tracer';

/** Where tracing problems are reported. */
export type TracingWarn = (message: string, fields: { readonly reason: string }) => void;

/** The two things the handler needs from tracing. */
export interface Tracing {
  /**
   * Runs `work` inside a subsegment called `name` (when tracing is active) and returns its result.
   *
   * @param name - Subsegment name, e.g. `resize`.
   * @param work - The traced work; its errors propagate unchanged.
   */
  inSubsegment<T>(name: string, work: () => Promise<T>): Promise<T>;
  /**
   * Instruments an AWS SDK v3 client so each call shows up as its own subsegment (e.g. `S3` GetObject).
   *
   * @param client - The client; returned as-is when tracing is off or instrumentation fails.
   */
  captureAWSv3Client<T>(client: T): T;
}

/** Tracing that does nothing; the default for tests and non-Lambda use. */
export const NO_TRACING: Tracing = {
  inSubsegment: (_name, work) => work(),
  captureAWSv3Client: (client) => client,
};

/** Messages used for tracing warnings; stable so they can be filtered. */
export const TRACING_MESSAGES = {
  contextMissing: 'tracing context missing; continuing without a segment',
  sdk: 'x-ray sdk problem; continuing',
  subsegment: 'could not record subsegment; continuing',
} as const;

/**
 * Creates the Powertools Tracer for this execution environment.
 *
 * The Tracer switches itself on only inside Lambda (AWS_EXECUTION_ENV set, not SAM local); the X-Ray SDK
 * additionally needs LAMBDA_TASK_ROOT to use the Lambda facade segment built from _X_AMZN_TRACE_ID.
 * HTTP capture is off because the instrumented S3 client already records each call; patching `http`
 * globally would add a duplicate subsegment per request.
 *
 * @param serviceName - The service name shown on traces.
 * @param warn - Receives tracing problems (once for a missing context, always for SDK errors).
 */
export function createTracing(serviceName: string, warn: TracingWarn): Tracing {
  let tracer: Tracer;
  try {
    tracer = new Tracer({ serviceName, captureHTTPsRequests: false });
  } catch (error) {
    warn(TRACING_MESSAGES.sdk, { reason: messageOf(error) });
    return NO_TRACING;
  }
  if (!tracer.isTracingEnabled()) return NO_TRACING;

  try {
    // AWS_XRAY_CONTEXT_MISSING=RUNTIME_ERROR would make a missing trace context throw out of S3 calls.
    // Tracing must never fail the work, so a missing context is always a warning, reported once.
    let contextWarned = false;
    tracer.provider.setContextMissingStrategy((message?: string) => {
      if (contextWarned) return;
      contextWarned = true;
      warn(TRACING_MESSAGES.contextMissing, { reason: message ?? 'no active segment' });
    });
    // Failures to emit segments (no daemon, bad address) arrive here; they are warnings, never errors.
    const sdkWarn = (...args: unknown[]) => warn(TRACING_MESSAGES.sdk, { reason: args.map(messageOf).join(' ') });
    const silent = () => undefined;
    tracer.provider.setLogger({ error: sdkWarn, warn: sdkWarn, info: silent, debug: silent });
  } catch (error) {
    warn(TRACING_MESSAGES.sdk, { reason: messageOf(error) });
  }

  return {
    captureAWSv3Client(client) {
      try {
        return tracer.captureAWSv3Client(client);
      } catch (error) {
        warn(TRACING_MESSAGES.sdk, { reason: messageOf(error) });
        return client;
      }
    },
    async inSubsegment(name, work) {
      const opened = openSubsegment(tracer, name, warn);
      try {
        return await work();
      } catch (error) {
        guard(warn, () => opened?.subsegment.addError(error as Error));
        throw error;
      } finally {
        if (opened) {
          guard(warn, () => opened.subsegment.close());
          guard(warn, () => tracer.provider.setSegment(opened.parent));
        }
      }
    },
  };
}

type Segmentish = NonNullable<ReturnType<Tracer['getSegment']>>;

function openSubsegment(
  tracer: Tracer,
  name: string,
  warn: TracingWarn,
): { parent: Segmentish; subsegment: ReturnType<Segmentish['addNewSubsegment']> } | undefined {
  try {
    // The provider, not tracer.getSegment(): the latter prints an unstructured console.warn on every miss.
    const parent = tracer.provider.getSegment();
    if (parent === undefined) return undefined;
    const subsegment = parent.addNewSubsegment(name);
    tracer.provider.setSegment(subsegment);
    return { parent, subsegment };
  } catch (error) {
    warn(TRACING_MESSAGES.subsegment, { reason: messageOf(error) });
    return undefined;
  }
}

function guard(warn: TracingWarn, action: () => void): void {
  try {
    action();
  } catch (error) {
    warn(TRACING_MESSAGES.subsegment, { reason: messageOf(error) });
  }
}

function messageOf(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
