// Helpers for AWS's JSON protocols (JSON 1.0/1.1 behind X-Amz-Target, and REST-JSON), shared by every JSON
// service of the local cloud: read a body without ever throwing a SyntaxError, read typed fields, and write
// results and errors in the shapes the SDKs and the CLI parse. It knows no service's operations or rules.
import { constraintErrorCode } from './constraints.js';
import { AwsError, awsErrorCode } from './errors.js';
import { isDiskFull } from '../state/disk-space.js';
import { header, type ServiceRequest, type ServiceResponse, type ServiceRouter } from './http.js';

export type JsonObject = Record<string, unknown>;

/** The JSON protocols AWS services speak; they differ in content type and in how errors are written. */
export type JsonProtocol = 'json-1.0' | 'json-1.1' | 'rest-json';

export const JSON_CONTENT_TYPES: Readonly<Record<JsonProtocol, string>> = {
  'json-1.0': 'application/x-amz-json-1.0',
  'json-1.1': 'application/x-amz-json-1.1',
  'rest-json': 'application/json',
};

/** Builds the error a service answers when a body (or one of its fields) cannot be read. */
export type MalformedRequestError = (detail: string) => AwsError;

/** JSON 1.x services answer an unreadable body or a wrongly typed field with this, 400. */
export class SerializationException extends awsErrorCode('SerializationException', 400) {}

/**
 * REST-JSON services (X-Ray among them) answer an unreadable body with this, 400; X-Ray words a broken member
 * constraint (core/constraints.ts) under it too.
 */
export class InvalidRequestException extends constraintErrorCode('InvalidRequestException', 400) {}

/** An unexpected failure of the local cloud itself, in the shape AWS uses for its own faults. */
export class InternalFailure extends awsErrorCode('InternalFailure', 500) {
  constructor() {
    super('The request processing has failed because of an unknown error, exception or failure.');
  }
}

/** The default malformed-request error of each protocol; services with their own (Lambda) pass theirs. */
export function defaultMalformedError(protocol: JsonProtocol): MalformedRequestError {
  return protocol === 'rest-json' ? (detail) => new InvalidRequestException(detail) : (detail) => new SerializationException(detail);
}

/**
 * Reads a request body as a JSON object. An empty body is `{}` (SDKs send none for operations without input).
 * @param body - the raw body
 * @param malformed - the protocol's error for a body that is not a JSON object
 * @throws the `malformed` AwsError, never a SyntaxError
 */
export function parseJsonBody(body: Buffer | string, malformed: MalformedRequestError): JsonObject {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw malformed(`Could not parse request body into json: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw malformed('Could not parse request body into json: expected a JSON object');
  }
  return value as JsonObject;
}

/** How AWS's JSON deserialisers name the kind of value they found where another was expected. */
function describeJsonValue(value: unknown): string {
  if (typeof value === 'string') return 'STRING_VALUE';
  if (typeof value === 'number') return 'NUMBER_VALUE';
  if (typeof value === 'boolean') return value ? 'VALUE_TRUE' : 'VALUE_FALSE';
  if (Array.isArray(value)) return 'START_ARRAY';
  return 'START_OBJECT';
}

/** The JSON type of each member of an input that a service reads; nested structures by their own shape. */
export interface JsonShape {
  readonly [member: string]: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'list' | 'stringList' | 'stringMap' | JsonShape;
}

/**
 * Typed access to the members of a JSON input. A member of the wrong JSON type is the protocol's
 * malformed-request error (AWS rejects it before any service rule runs); absent and `null` are the same.
 * Range and required-member rules belong to the service, which knows its own error codes.
 */
export class JsonFields {
  constructor(
    readonly input: JsonObject,
    private readonly malformed: MalformedRequestError,
  ) {}

  has(name: string): boolean {
    return this.input[name] !== undefined && this.input[name] !== null;
  }

  string(name: string): string | undefined {
    return this.typed(name, 'a String', (v): v is string => typeof v === 'string');
  }

  number(name: string): number | undefined {
    return this.typed(name, 'a Number', (v): v is number => typeof v === 'number' && Number.isFinite(v));
  }

  integer(name: string): number | undefined {
    return this.typed(name, 'an Integer', (v): v is number => typeof v === 'number' && Number.isInteger(v));
  }

  boolean(name: string): boolean | undefined {
    return this.typed(name, 'a Boolean', (v): v is boolean => typeof v === 'boolean');
  }

  object(name: string): JsonObject | undefined {
    return this.typed(name, 'a Structure', (v): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v));
  }

  list(name: string): unknown[] | undefined {
    return this.typed(name, 'a List', (v): v is unknown[] => Array.isArray(v));
  }

  stringList(name: string): string[] | undefined {
    const list = this.list(name);
    if (list === undefined) return undefined;
    for (const item of list) {
      if (typeof item !== 'string') throw this.malformed(`${describeJsonValue(item)} can not be converted to a String`);
    }
    return list as string[];
  }

  /** A map of strings (tags, environment variables). */
  stringMap(name: string): Record<string, string> | undefined {
    const map = this.object(name);
    if (map === undefined) return undefined;
    for (const value of Object.values(map)) {
      if (typeof value !== 'string') throw this.malformed(`${describeJsonValue(value)} can not be converted to a String`);
    }
    return map as Record<string, string>;
  }

  /**
   * Checks every member named in `shape` has its JSON type (nested structures by their own shape), so that a
   * service can then read the input as its SDK type. Members not named are left alone.
   */
  check(shape: JsonShape): void {
    for (const [name, kind] of Object.entries(shape)) {
      if (typeof kind === 'object') {
        const member = this.object(name);
        if (member !== undefined) new JsonFields(member, this.malformed).check(kind);
      } else {
        this[kind](name);
      }
    }
  }

  /** A list of structures, each wrapped for typed access. */
  objectList(name: string): JsonFields[] | undefined {
    const list = this.list(name);
    if (list === undefined) return undefined;
    return list.map((item) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw this.malformed(`${describeJsonValue(item)} can not be converted to a Structure`);
      }
      return new JsonFields(item as JsonObject, this.malformed);
    });
  }

  /**
   * A timestamp member as epoch seconds. JSON protocols send epoch seconds (with a fraction); the CLI may
   * send an ISO 8601 string when a user typed one, which AWS also accepts.
   */
  epochSeconds(name: string): number | undefined {
    const value = this.input[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'string') {
      const numeric = Number(value);
      if (value.trim() !== '' && Number.isFinite(numeric)) return numeric;
      const parsed = Date.parse(value);
      if (Number.isFinite(parsed)) return parsed / 1000;
    }
    throw this.malformed(`${describeJsonValue(value)} can not be converted to a Timestamp`);
  }

  private typed<T>(name: string, expected: string, check: (value: unknown) => value is T): T | undefined {
    const value = this.input[name];
    if (value === undefined || value === null) return undefined;
    if (!check(value)) throw this.malformed(`${describeJsonValue(value)} can not be converted to ${expected}`);
    return value;
  }
}

/** The operation named by `X-Amz-Target: <prefix>.<Operation>`, or undefined when the prefix differs. */
export function targetOperation(request: ServiceRequest, prefix: string): string | undefined {
  const target = header(request, 'x-amz-target') ?? '';
  const dot = target.lastIndexOf('.');
  if (dot < 0 || target.slice(0, dot) !== prefix) return undefined;
  return target.slice(dot + 1) || undefined;
}

/**
 * Serialises a result. JSON protocols write timestamps as epoch seconds by default, so every `Date` in the
 * payload (SDK output types use Date) becomes a number with a fractional part; `undefined` members vanish.
 */
export function serializeJson(payload: unknown): string {
  return JSON.stringify(payload, function replacer(this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : value;
  });
}

export function jsonResponse(protocol: JsonProtocol, payload: unknown, status = 200, headers: Record<string, string> = {}): ServiceResponse {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPES[protocol], ...headers },
    body: serializeJson(payload ?? {}),
  };
}

/**
 * Serialises an AWS error the way the protocol does.
 * - JSON 1.x: status, `x-amzn-ErrorType`, body `{"__type": code, "message": ...}`.
 * - REST-JSON: status, `x-amzn-ErrorType`, body `{"message", "Message", "Type"}`: services differ in the
 *   member's capitalisation and both SDKs read either, so we send both.
 * Protocol-specific extras of the error (`error.extra`) are added to the body, its own headers to the response.
 */
export function jsonErrorResponse(protocol: JsonProtocol, error: AwsError): ServiceResponse {
  const body =
    protocol === 'rest-json'
      ? { ...error.extra, message: error.message, Message: error.message, Type: error.status >= 500 ? 'Service' : 'User' }
      : { ...error.extra, __type: error.code, message: error.message };
  return {
    status: error.status,
    headers: { 'content-type': JSON_CONTENT_TYPES[protocol], 'x-amzn-ErrorType': error.code, ...error.headers },
    body: JSON.stringify(body),
  };
}

/** An AwsError as is; anything else is our bug: logged with its stack and answered as InternalFailure. */
export function asAwsError(error: unknown, log: (message: string) => void): AwsError {
  if (error instanceof AwsError) return error;
  log(`internal error: ${(error as Error)?.stack ?? String(error)}`);
  return new InternalFailure();
}

/**
 * Opaque pagination tokens: a JSON cursor in base64url. Clients only hand them back; a token we cannot read
 * is answered with the service's own invalid-token error.
 */
export function encodePageToken(cursor: JsonObject): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** @returns the cursor, or undefined when the token was not made by {@link encodePageToken} */
export function decodePageToken(token: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A JSON service's whole wire loop (Logs, X-Ray): run the dispatcher, answer its result as JSON, or the
 * error in the protocol's shape; anything that is not an AwsError is logged and answered as InternalFailure.
 */
export function jsonServiceRouter(name: string, protocol: JsonProtocol, log: (message: string) => void, dispatch: (request: ServiceRequest) => unknown): ServiceRouter {
  return {
    name,
    async handle(request: ServiceRequest): Promise<ServiceResponse> {
      try {
        return jsonResponse(protocol, await dispatch(request));
      } catch (error) {
        // A full disk is the server's to answer (it knows where the disk is, and records that it is full).
        if (isDiskFull(error)) throw error;
        return jsonErrorResponse(protocol, asAwsError(error, log));
      }
    },
    errorResponse: (error) => jsonErrorResponse(protocol, error),
  };
}
