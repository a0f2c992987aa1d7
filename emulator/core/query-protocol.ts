// The AWS Query protocol (IAM, STS, and any other `Action=...&Version=...` service): reading form
// parameters and `member` lists, and writing XML results and ErrorResponse documents the way AWS does.
// Knows no service: namespaces, actions and errors come from the caller. No flattened lists, no EC2 dialect.
import type { Authorizer, Requirement } from './authorize.js';
import { Constraint, constraintErrorCode, memberName } from './constraints.js';
import { AwsError, awsErrorCode } from './errors.js';
import type { ServiceRequest, ServiceResponse, ServiceRouter } from './http.js';

/**
 * A Query request's parameters: the query string merged with an `application/x-www-form-urlencoded`
 * body (the body wins, as it does at AWS where SDKs send everything there).
 */
export class QueryParams {
  private readonly values: Map<string, string>;

  constructor(entries: Iterable<[string, string]> = []) {
    this.values = new Map(entries);
  }

  /** Builds the parameters of a request: GET query strings and POSTed forms alike. */
  static fromRequest(request: Pick<ServiceRequest, 'query' | 'headers' | 'body'>): QueryParams {
    const params = new QueryParams(request.query.entries());
    const contentType = String(request.headers['content-type'] ?? '').toLowerCase();
    if (request.body.length > 0 && (contentType === '' || contentType.startsWith('application/x-www-form-urlencoded'))) {
      for (const [name, value] of new URLSearchParams(request.body.toString('utf8'))) params.values.set(name, value);
    }
    return params;
  }

  /** Parses a raw form string (`a=1&b=2`). */
  static fromForm(form: string): QueryParams {
    return new QueryParams(new URLSearchParams(form).entries());
  }

  get action(): string | undefined {
    return this.get('Action');
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  /** @throws ValidationError (`Member must not be null`) when absent, as AWS's Query services answer */
  required(name: string): string {
    const value = this.values.get(name);
    if (value === undefined) throw ValidationError.missing(name);
    return value;
  }

  /** An optional integer parameter; anything but digits is a ValidationError. */
  integer(name: string): number | undefined {
    const value = this.values.get(name);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value)) throw ValidationError.violated(memberName(name), value, 'Member must be an integer');
    return Number(value);
  }

  /** An optional boolean parameter (`true` / `false`, as the SDKs send them). */
  boolean(name: string): boolean | undefined {
    const value = this.values.get(name);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') throw ValidationError.violated(memberName(name), value, 'Member must be a boolean');
    return value === 'true';
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** Every parameter name, for diagnostics and tests. */
  names(): string[] {
    return [...this.values.keys()];
  }

  /**
   * Reads `Prefix.member.N` as strings, ordered by N (AWS orders by index, not by position in the form).
   * @param prefix - e.g. `TagKeys`
   */
  stringList(prefix: string): string[] {
    return this.indexed(`${prefix}.member.`)
      .filter(([, rest]) => rest === '')
      .map(([, , value]) => value);
  }

  /**
   * Reads `Prefix.member.N.Field` into one record per N, ordered by N.
   * @param prefix - e.g. `Tags` for `Tags.member.1.Key`, `Tags.member.1.Value`
   */
  memberList(prefix: string): Record<string, string>[] {
    const byIndex = new Map<number, Record<string, string>>();
    for (const [index, rest, value] of this.indexed(`${prefix}.member.`)) {
      const field = rest.slice(1);
      // `__proto__` would reach the record's prototype, not a field: no AWS shape has such a member.
      if (!rest.startsWith('.') || field === '__proto__') continue;
      const record = byIndex.get(index) ?? {};
      record[field] = value;
      byIndex.set(index, record);
    }
    return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, record]) => record);
  }

  /**
   * Reads `Prefix.entry.N.key` / `Prefix.entry.N.value` pairs into a map, ordered by N.
   * @param prefix - e.g. `Attributes`
   */
  map(prefix: string, keyName = 'key', valueName = 'value'): Map<string, string> {
    const result = new Map<string, string>();
    const entries = new Map<number, Record<string, string>>();
    for (const [index, rest, value] of this.indexed(`${prefix}.entry.`)) {
      const field = rest.replace(/^\./, '');
      if (field !== keyName && field !== valueName) continue;
      const record = entries.get(index) ?? {};
      record[field] = value;
      entries.set(index, record);
    }
    for (const [, record] of [...entries.entries()].sort(([a], [b]) => a - b)) {
      const key = record[keyName];
      if (key !== undefined) result.set(key, record[valueName] ?? '');
    }
    return result;
  }

  /** [N, what follows N, value] for every `<head>N...` parameter; N must be a positive integer. */
  private indexed(head: string): [number, string, string][] {
    const found: [number, string, string][] = [];
    for (const [name, value] of this.values) {
      if (!name.startsWith(head)) continue;
      const match = /^(\d+)(.*)$/.exec(name.slice(head.length));
      if (!match) continue;
      const index = Number(match[1]);
      if (index >= 1) found.push([index, match[2] ?? '', value]);
    }
    return found.sort(([a], [b]) => a - b);
  }
}

/**
 * 400 ValidationError: a parameter breaks the service model's constraints. Every Query service (IAM, STS,
 * SNS, CloudFormation) words these the same way (core/constraints.ts) and names the member in lowerCamelCase.
 */
export class ValidationError extends constraintErrorCode('ValidationError', 400) {
  /** A required parameter is absent; `parameter` as sent on the wire (`RoleName`). */
  static missing(parameter: string): ValidationError {
    return ValidationError.violated(memberName(parameter), null, Constraint.notNull);
  }
}

/** 400 MissingAction: the request names no operation. */
export class MissingAction extends awsErrorCode('MissingAction', 400) {
  constructor() {
    super('The request is missing an action or a required parameter.');
  }
}

/**
 * What the XML writer accepts. Arrays become `<member>` lists; undefined and null are left out; any other
 * object is a structure whose own keys, in order, are its elements. `object` is allowed so the SDK's
 * output shapes (`Role`, `Credentials`, interfaces without index signatures) can be passed as they are.
 */
export type XmlValue = string | number | boolean | Date | null | undefined | readonly XmlValue[] | object;

/**
 * Escapes text for XML element content and attribute values. `\r` is written as a character reference
 * because XML parsers turn a bare one into `\n`; characters XML 1.0 cannot carry at all become U+FFFD.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[&<>"'\r]/g, (char) => XML_ESCAPES[char] ?? char);
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#xD;',
};

/** IAM and STS write timestamps as ISO 8601 in UTC without milliseconds: `2026-01-01T12:00:00Z`. */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Serialises one element and its children. Objects keep their key order (AWS's element order is the
 * caller's job); arrays are wrapped `<Name><member>..</member></Name>` as IAM and STS write them.
 */
export function toXmlElement(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    return `<${name}>${value.map((item) => toXmlElement('member', item)).join('')}</${name}>`;
  }
  if (value instanceof Date) return `<${name}>${formatTimestamp(value)}</${name}>`;
  if (typeof value === 'object') {
    const children = Object.entries(value)
      .map(([child, childValue]) => toXmlElement(child, childValue))
      .join('');
    return `<${name}>${children}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export interface QueryResultOptions {
  /** The operation, e.g. `CreateRole`: the document is `<CreateRoleResponse>` holding `<CreateRoleResult>`. */
  action: string;
  /** The service's XML namespace, e.g. `https://iam.amazonaws.com/doc/2010-05-08/`. */
  namespace: string;
  requestId: string;
  /** The result's children; undefined for operations whose response has no Result element (DeleteRole). */
  result?: object;
}

/** Renders a successful Query response document, with the request id in ResponseMetadata. */
export function queryResultXml(options: QueryResultOptions): string {
  const result = options.result === undefined ? '' : toXmlElement(`${options.action}Result`, options.result);
  return (
    `<${options.action}Response xmlns="${escapeXml(options.namespace)}">` +
    result +
    `<ResponseMetadata><RequestId>${escapeXml(options.requestId)}</RequestId></ResponseMetadata>` +
    `</${options.action}Response>`
  );
}

/** A successful Query response: 200 and `text/xml`, as AWS sends. */
export function queryResultResponse(options: QueryResultOptions): ServiceResponse {
  return { status: 200, headers: { 'content-type': 'text/xml' }, body: queryResultXml(options) };
}

/**
 * Renders an AWS error as the Query protocol's ErrorResponse. Type is `Sender` for 4xx and `Receiver`
 * for 5xx, as AWS writes it; the SDKs and the CLI read Code and Message from here.
 */
export function queryErrorXml(error: AwsError, namespace: string, requestId: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  const extra = Object.entries(error.extra)
    .map(([name, value]) => toXmlElement(name, value))
    .join('');
  return (
    `<ErrorResponse xmlns="${escapeXml(namespace)}">` +
    `<Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>${extra}</Error>` +
    `<RequestId>${escapeXml(requestId)}</RequestId>` +
    `</ErrorResponse>`
  );
}

/** An error response with the error's own HTTP status. */
export function queryErrorResponse(error: AwsError, namespace: string, requestId: string): ServiceResponse {
  return { status: error.status, headers: { 'content-type': 'text/xml' }, body: queryErrorXml(error, namespace, requestId) };
}

/** One Query-protocol action: what it needs from a role caller's policies, and the action itself. */
export interface QueryOperation {
  /** The IAM action and resource the call needs (see core/authorize.ts), read from its parameters. */
  permissions(params: QueryParams, request: ServiceRequest): Requirement;
  /** Parameters (and the request, for the caller) in, the Result's children out (undefined: no Result element). */
  run(params: QueryParams, request: ServiceRequest): object | undefined;
}

export interface QueryServiceOptions {
  namespace: string;
  operations: Record<string, QueryOperation>;
  /** Checks each call against the caller's policies before it runs. */
  authorizer: Authorizer;
  /** The service's own NotImplemented error, naming the action we do not model. */
  notImplemented(action: string): AwsError;
}

/**
 * The whole wire loop of a Query service (IAM, STS): read the action, authorise it, run it, answer the Result
 * or the error in the service's namespace. Only own properties name operations (`__proto__` is no action).
 */
export function handleQueryRequest(request: ServiceRequest, options: QueryServiceOptions): ServiceResponse {
  try {
    const params = QueryParams.fromRequest(request);
    const action = params.action;
    if (!action) throw new MissingAction();
    const operation = Object.hasOwn(options.operations, action) ? options.operations[action] : undefined;
    if (!operation) throw options.notImplemented(action);
    options.authorizer.check(request.caller, () => operation.permissions(params, request), action);
    return queryResultResponse({ action, namespace: options.namespace, requestId: request.requestId, result: operation.run(params, request) });
  } catch (error) {
    if (error instanceof AwsError) return queryErrorResponse(error, options.namespace, request.requestId);
    throw error;
  }
}

/**
 * A Query service's router (IAM, STS): its operations behind handleQueryRequest, and the server's own errors
 * (authentication, size limits) written as ErrorResponse in the service's namespace.
 */
export function queryServiceRouter(name: string, options: QueryServiceOptions): ServiceRouter {
  return {
    name,
    async handle(request: ServiceRequest): Promise<ServiceResponse> {
      return handleQueryRequest(request, options);
    },
    errorResponse: (error, request) => queryErrorResponse(error, options.namespace, request.requestId),
  };
}
