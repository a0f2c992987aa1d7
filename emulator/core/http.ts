// The shapes every service router sees: one parsed request in, one response out.
// Routers never touch node:http directly, so the server owns framing, limits and errors in one place.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { SigV4Credential } from './credential.js';
import type { AwsError } from './errors.js';

/** Who signed the request, read from SigV4 (header or presigned query). Not verified unless asked. */
export interface CallerCredentials {
  accessKeyId: string;
  region: string;
  service: string;
}

export interface ServiceRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** The path exactly as sent (still percent-encoded). */
  rawPath: string;
  /** The path percent-decoded once. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names, as node gives them. */
  headers: IncomingHttpHeaders;
  /** The whole body, read by the server within its size limit (empty when `bodyStream` is set). */
  body: Buffer;
  /**
   * The body as it arrives, instead of `body`, for a request the router asked to stream (`streamsBody`): an
   * object body of any size is then never whole in memory. Past the cloud's size limit, or when the client
   * goes away, it fails with a RequestBodyError, which the router lets through to the server.
   */
  bodyStream?: Readable;
  /** Region from the credential scope, else the cloud's default. */
  region: string;
  /** The request's SigV4 credential, parsed once by the server (credential.ts); absent when it carries none. */
  credential?: SigV4Credential;
  /** Who signed, derived from `credential` (routing.ts callerOf): what authorisation reads. */
  caller?: CallerCredentials;
  requestId: string;
  /** When the request head arrived (epoch ms): the start of S3's segment for a traced upload. */
  receivedAt?: number;
  /** Host header, for virtual-host style S3. */
  host: string;
  /** The request target exactly as sent (path and query, not normalised): S3 keys may contain `../` or `//`. */
  rawTarget?: string;
  /** The client's address, for S3 event records. */
  sourceIp?: string;
}

export interface ServiceResponse {
  status: number;
  headers?: Record<string, string | number>;
  body?: Buffer | string | Readable;
}

/** A service of the local cloud: the wire side. State and rules live in its store. */
export interface ServiceRouter {
  readonly name: string;
  handle(request: ServiceRequest): Promise<ServiceResponse>;
  /** True when this router reads this request's body from `bodyStream` (large object writes) rather than whole. */
  streamsBody?(request: ServiceRequest): boolean;
  /**
   * This protocol's wire form of an error the server raises before the router runs (authentication, size
   * limits, an internal failure). Without it the server writes REST-JSON's form.
   */
  errorResponse?(error: AwsError, request: ServiceRequest): ServiceResponse;
}

export function header(request: ServiceRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Percent-decodes text once; a malformed escape (`%zz`) keeps the text as sent instead of failing the request. */
export function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A streamed body that cannot be read to its end: more than the cloud accepts, or a client that went away. */
export class RequestBodyError extends Error {
  override readonly name = 'RequestBodyError';
  constructor(readonly reason: 'too-large' | 'aborted') {
    super(reason === 'too-large' ? 'the request body is larger than the local cloud accepts' : 'the client went away before sending its whole body');
  }
}
