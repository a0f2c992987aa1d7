// X-Ray glue: a Powertools Tracer configured so that tracing can never break an invocation.
// Every call into the X-Ray SDK is guarded; problems (no daemon, no trace context, not in Lambda) become warnings.
// It does not decide WHAT is traced beyond S3 calls and named subsegments; the handler does that.

import { Tracer } from '@aws-lambda-powertools/tracer';

/** Where tracing problems are reported. */
export type TracingWarn = (message: string, fields: { readonly reason: string }) => void;

/** X-Ray annotations: indexed, searchable key-value pairs (keys of letters, digits and `_`). */
export type Annotations = Readonly<Record<string, string | number | boolean>>;

/** The two things the handler needs from tracing. */
export interface Tracing {
  /**
   * Runs `work` inside a subsegment called `name` (when tracing is active) and returns its result.
   *
   * @param name - Subsegment name, e.g. `resize`.
   * @param work - The traced work; its errors propagate unchanged.
   * @param annotations - Recorded on the subsegment, e.g. `{ variant: 'hero' }`.
   */
  inSubsegment<T>(name: string, work: () => Promise<T>, annotations?: Annotations): Promise<T>;
  /**
   * Instruments an AWS SDK v3 client so each call shows up as its own subsegment (e.g. `S3` GetObject).
   *
   * @param client - The client; returned as-is when tracing is off or instrumentation fails.
   */
  captureAWSv3Client<T>(client: T): T;
}

/** Bound on distinct X-Ray SDK warnings kept for de-duplication, so a chatty SDK cannot grow memory. */
const MAX_DISTINCT_SDK_WARNINGS = 20;

/** Tracing that does nothing; the default for tests and non-Lambda use. */
export const NO_TRACING: Tracing = {
  inSubsegment: (_name, work) => work(),
  captureAWSv3Client: (client) => client,
};

/** Messages used for tracing warnings; stable so they can be filtered. */
export const TRACING_MESSAGES = {
  contextMissing: 'tracing context missing; continuing without a segment',
  noLambdaContext: 'tracing enabled but LAMBDA_TASK_ROOT is unset, so X-Ray has no Lambda segment; not tracing',
  s3NotCaptured: 'AWS_XRAY_CONTEXT_MISSING=RUNTIME_ERROR would let a missing trace context fail S3 calls; not tracing S3',
  sdk: 'x-ray sdk problem; continuing',
  subsegment: 'could not record subsegment; continuing',
} as const;

/**
 * Creates the tracing for this execution environment.
 *
 * The Powertools Tracer switches itself on only inside Lambda (AWS_EXECUTION_ENV set, not SAM local). The X-Ray
 * SDK additionally needs LAMBDA_TASK_ROOT to create the Lambda facade segment from _X_AMZN_TRACE_ID; without it
 * there is never a segment to attach to, so we do not trace at all rather than fail every call.
 * HTTP capture is off because the instrumented S3 client already records each call; patching `http`
 * globally would add a duplicate subsegment per request.
 *
 * @param serviceName - The service name shown on traces.
 * @param warn - Receives tracing problems (once for a missing context, always for SDK errors).
 * @param env - Usually `process.env`.
 */
export function createTracing(
  serviceName: string,
  warn: TracingWarn,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Tracing {
  let tracer: Tracer;
  try {
    tracer = new Tracer({ serviceName, captureHTTPsRequests: false });
  } catch (error) {
    warn(TRACING_MESSAGES.sdk, { reason: messageOf(error) });
    return NO_TRACING;
  }
  if (!tracer.isTracingEnabled()) return NO_TRACING;
  if (!env.LAMBDA_TASK_ROOT) {
    warn(TRACING_MESSAGES.noLambdaContext, { reason: 'LAMBDA_TASK_ROOT is not set' });
    return NO_TRACING;
  }

  // The X-Ray SDK ignores setContextMissingStrategy() when AWS_XRAY_CONTEXT_MISSING is set. With RUNTIME_ERROR,
  // an invocation without trace data would make the instrumented S3 client throw, so S3 is left uninstrumented.
  const strictContext = env.AWS_XRAY_CONTEXT_MISSING?.trim().toUpperCase() === 'RUNTIME_ERROR';
  if (strictContext) warn(TRACING_MESSAGES.s3NotCaptured, { reason: 'AWS_XRAY_CONTEXT_MISSING=RUNTIME_ERROR' });

  try {
    // A missing context (an invocation without trace data) is a warning, reported once, never an error.
    let contextWarned = false;
    tracer.provider.setContextMissingStrategy((message?: string) => {
      if (contextWarned) return;
      contextWarned = true;
      warn(TRACING_MESSAGES.contextMissing, { reason: message ?? 'no active segment' });
    });
    // Failures to emit segments (no daemon, bad address) and LOG_ERROR context misses arrive here. They become
    // warnings: first line only (the SDK logs whole stacks) and each distinct reason once per environment,
    // because the same miss would otherwise repeat on every S3 call of every invocation.
    const reported = new Set<string>();
    const sdkWarn = (...args: unknown[]) => {
      const reason = args.map(messageOf).join(' ').split('\n', 1)[0] ?? '';
      if (reported.has(reason) || reported.size >= MAX_DISTINCT_SDK_WARNINGS) return;
      reported.add(reason);
      warn(TRACING_MESSAGES.sdk, { reason });
    };
    const silent = () => undefined;
    tracer.provider.setLogger({ error: sdkWarn, warn: sdkWarn, info: silent, debug: silent });
  } catch (error) {
    warn(TRACING_MESSAGES.sdk, { reason: messageOf(error) });
  }

  return {
    captureAWSv3Client(client) {
      if (strictContext) return client;
      try {
        return tracer.captureAWSv3Client(client);
      } catch (error) {
        warn(TRACING_MESSAGES.sdk, { reason: messageOf(error) });
        return client;
      }
    },
    async inSubsegment(name, work, annotations) {
      const opened = openSubsegment(tracer, name, warn);
      if (opened && annotations) {
        guard(warn, () => {
          for (const [key, value] of Object.entries(annotations)) opened.subsegment.addAnnotation(key, value);
        });
      }
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
