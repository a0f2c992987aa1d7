// The core of `thumbctl invoke`: build the S3 ObjectCreated:Put event the console's Test button and
// `sam local generate-event s3 put` would send (from templates/s3-put-event.json), invoke the function
// synchronously with the log tail, and decode what comes back. No terminal.
import { readFile, stat } from 'node:fs/promises';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { ExitCode, UserError } from '../../output.js';
import { packagePath } from '../paths.js';
import { headObject } from './wait.js';
import { withTraceHeader } from './traced-put.js';

export const S3_PUT_EVENT_TEMPLATE = ['templates', 's3-put-event.json'] as const;

/**
 * Encodes a key the way S3 writes it into event notifications: form-style, a space as `+`, slashes kept.
 * function/key.ts decodeEventKey is its inverse.
 */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/gi, '/');
}

export interface S3PutEventParameters {
  bucket: string;
  key: string;
  region: string;
  /** From HeadObject when the object exists. */
  size?: number;
  eTag?: string;
  eventTime: Date;
}

type Json = Record<string, any>;

/**
 * Fills the template's first record with a real bucket, key and object; everything else in the template
 * (principal ids, request parameters) is kept as the template has it.
 *
 * @param template - The parsed templates/s3-put-event.json.
 */
export function buildS3PutEvent(template: unknown, parameters: S3PutEventParameters): Json {
  const event = structuredClone(template) as Json;
  const record = Array.isArray(event?.Records) ? (event.Records[0] as Json | undefined) : undefined;
  if (!record || typeof record !== 'object') throw new Error('the S3 put event template has no Records[0]');
  record.eventSource ??= 'aws:s3';
  record.eventName = 'ObjectCreated:Put';
  record.awsRegion = parameters.region;
  record.eventTime = parameters.eventTime.toISOString();
  record.s3 ??= {};
  record.s3.bucket = { ...(record.s3.bucket ?? {}), name: parameters.bucket, arn: `arn:aws:s3:::${parameters.bucket}` };
  const object: Json = { ...(record.s3.object ?? {}), key: encodeEventKey(parameters.key) };
  object.size = parameters.size ?? 0;
  if (parameters.eTag) object.eTag = parameters.eTag.replace(/"/g, '');
  else delete object.eTag;
  // A sequencer orders events for one key; hex of the event time keeps successive test events ordered.
  object.sequencer = parameters.eventTime.getTime().toString(16).toUpperCase().padStart(18, '0');
  record.s3.object = object;
  event.Records = [record];
  return event;
}

/** Reads and parses the bundled template. */
export async function loadS3PutEventTemplate(): Promise<unknown> {
  const path = packagePath(...S3_PUT_EVENT_TEMPLATE);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (error) {
    throw new UserError(`cannot read the S3 event template ${path}: ${(error as Error).message}`);
  }
}

/**
 * Deepest nesting an --event file may have. The event is serialised again to be sent, and the function's runtime
 * parses it: both recurse once per level, and a few thousand levels overflow their stacks. Real events nest
 * fewer than ten.
 */
export const MAX_EVENT_DEPTH = 500;
/** Lambda's payload limit for a synchronous invocation: a larger file could never be sent. */
export const MAX_EVENT_BYTES = 6_291_456;

/** Reads an event file given with --event: it must exist, fit Lambda's payload, nest sanely and hold JSON. */
export async function readEventFile(path: string): Promise<unknown> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.isFile() && info.size > MAX_EVENT_BYTES) throw new UserError(`--event: ${path} is ${info.size} bytes, more than Lambda's ${MAX_EVENT_BYTES}-byte payload`, ExitCode.usage);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `--event: file not found: ${path}` : `--event: cannot read ${path}: ${code ?? (error as Error).message}`, ExitCode.usage);
  }
  // Measured on the text, before parsing, so that no depth can overflow the parser either.
  const depth = jsonNestingDepth(text);
  if (depth > MAX_EVENT_DEPTH) throw new UserError(`--event: ${path} is nested ${depth} levels deep, more than the ${MAX_EVENT_DEPTH} an event may have`, ExitCode.usage);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UserError(`--event: ${path} is not JSON: ${(error as Error).message}`, ExitCode.usage);
  }
}

/** The deepest nesting of `[` and `{` in JSON text, skipping strings; one pass, no recursion. */
export function jsonNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

export interface SyntheticEvent {
  event: Json;
  /** False when the object is not in the bucket (the event is still sent, with size 0). */
  objectExists: boolean;
}

/** The event for `<key>` in the source bucket, with the object's size and ETag when it exists. */
export async function syntheticPutEvent(s3: S3Client, parameters: { bucket: string; key: string; region: string }): Promise<SyntheticEvent> {
  const [template, head] = await Promise.all([loadS3PutEventTemplate(), headObject(s3, parameters.bucket, parameters.key)]);
  const event = buildS3PutEvent(template, { ...parameters, size: head?.ContentLength, eTag: head?.ETag, eventTime: new Date() });
  return { event, objectExists: head !== undefined };
}

/** `invoke --json`. */
export interface InvokeResult {
  functionName: string;
  statusCode: number | null;
  /** Lambda's FunctionError (`Unhandled`, `Handled`), or null when the function returned normally. */
  functionError: string | null;
  /** The function's response, parsed when it is JSON. */
  payload: unknown;
  /** The last 4 KB of the invocation's log, decoded. */
  logTail: string | null;
}

/**
 * Invokes synchronously (RequestResponse) with LogType Tail.
 *
 * @param traceId - start this X-Ray trace (sampled) with the invocation, as a traced upload starts one
 * @throws UserError when the function does not exist.
 */
export async function invokeFunction(lambda: LambdaClient, functionName: string, event: unknown, traceId?: string): Promise<InvokeResult> {
  let response;
  try {
    const command = new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', LogType: 'Tail', Payload: Buffer.from(JSON.stringify(event)) });
    response = await lambda.send(traceId ? withTraceHeader(command, traceId) : command);
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') throw new UserError(`function ${functionName} does not exist: run \`thumbctl setup\` first`);
    throw error;
  }
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  let payload: unknown = text === '' ? null : text;
  try {
    if (text !== '') payload = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return {
    functionName,
    statusCode: response.StatusCode ?? null,
    functionError: response.FunctionError ?? null,
    payload,
    logTail: response.LogResult ? Buffer.from(response.LogResult, 'base64').toString('utf8') : null,
  };
}

/** The function error in one line: `TypeError: x is not iterable`. */
export function describeFunctionError(result: InvokeResult): string | undefined {
  if (!result.functionError) return undefined;
  const payload = result.payload as { errorType?: unknown; errorMessage?: unknown } | null;
  if (payload && typeof payload === 'object' && typeof payload.errorMessage === 'string') {
    return `${typeof payload.errorType === 'string' ? `${payload.errorType}: ` : ''}${payload.errorMessage}`;
  }
  return `${result.functionError} error${typeof result.payload === 'string' ? `: ${result.payload}` : ''}`;
}

/** Records the thumbnailer reports as rejected in its response (`{results: [{key, status, reason}]}`). */
export function rejectedRecords(payload: unknown): { key: string; reason: string }[] {
  const results = (payload as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return [];
  return results
    .filter((entry): entry is { key?: unknown; status: string; reason?: unknown } => entry && typeof entry === 'object' && entry.status === 'rejected')
    .map((entry) => ({ key: String(entry.key ?? ''), reason: String(entry.reason ?? 'no reason given') }));
}
