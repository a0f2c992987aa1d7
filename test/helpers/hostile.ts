// Shared by the hostile-input tests: how many fuzz cases to run (FUZZ_RUNS scales them up for the full-size
// run in scripts/fuzz.mjs), raw HTTP over node:http and over bare sockets (for framing the client libraries
// refuse to send), and the assertions every hostile request must pass: an AWS error in the protocol's own
// format, never a 500 or a stack trace, and a server that still answers a normal SDK call afterwards.
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DescribeLogGroupsCommand, CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { startTestCloud, type TestCloud } from './local-cloud.js';
import type { LocalCloudOptions } from '../../emulator/server.js';

/**
 * Fuzz cases for one property: `base` in CI, `base * FUZZ_RUNS_FACTOR` or an absolute `FUZZ_RUNS` when set
 * (scripts/fuzz.mjs sets FUZZ_RUNS_FACTOR=20).
 */
export function fuzzRuns(base: number): number {
  const absolute = Number(process.env.FUZZ_RUNS);
  if (Number.isInteger(absolute) && absolute > 0) return absolute;
  const factor = Number(process.env.FUZZ_RUNS_FACTOR);
  return Number.isFinite(factor) && factor > 0 ? Math.max(1, Math.round(base * factor)) : base;
}

/** A fast-check seed from FUZZ_SEED, to replay a failure (fast-check prints it on failure); FUZZ_NO_SHRINK reports the first failure as found. */
export function fuzzSeed(): { seed?: number; endOnFailure?: boolean; includeErrorInReport: boolean } {
  const seed = Number(process.env.FUZZ_SEED);
  return { includeErrorInReport: true, ...(Number.isInteger(seed) ? { seed } : {}), ...(process.env.FUZZ_NO_SHRINK ? { endOnFailure: true } : {}) };
}

/** Counts every case a test file ran, for RELIABILITY.md; printed as one line when FUZZ_REPORT is set. */
export const fuzzCounter = new Map<string, number>();
export function countCase(label: string): void {
  fuzzCounter.set(label, (fuzzCounter.get(label) ?? 0) + 1);
}
export function reportCounts(file: string): void {
  if (!process.env.FUZZ_REPORT) return;
  process.stderr.write(`FUZZ-COUNTS ${file} ${JSON.stringify(Object.fromEntries(fuzzCounter))}\n`);
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request through node:http (no SDK, no signing), with a fresh connection each time. */
export function send(
  endpoint: string,
  options: { method?: string; path?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer; timeoutMs?: number },
): Promise<RawResponse> {
  const url = new URL(endpoint);
  const started = Date.now();
  return new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        // node sends a GET's body without a length unless told; say it, so the body is not read as a second request.
        // (A header set to undefined is left out, so a test can send a body with no length at all.)
        headers: Object.fromEntries(
          Object.entries({ ...(options.body !== undefined ? { 'content-length': Buffer.byteLength(options.body) } : {}), ...options.headers }).filter(([, value]) => value !== undefined),
        ),
        agent: false,
        timeout: options.timeoutMs ?? Number(process.env.FUZZ_REQUEST_TIMEOUT_MS ?? 10_000),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request timed out: ${options.method ?? 'GET'} ${options.path ?? '/'} ${String(options.body ?? '').slice(0, 500)}`)));
    req.on('error', reject);
    req.end(options.body);
  }).finally(() => {
    // FUZZ_TRACE=ms prints every request slower than that: how a hang or a super-linear path shows itself.
    const slow = Number(process.env.FUZZ_TRACE);
    if (slow > 0 && Date.now() - started > slow) process.stderr.write(`SLOW ${Date.now() - started} ms ${options.method ?? 'GET'} ${options.path ?? '/'} ${JSON.stringify(String(options.body ?? '').slice(0, 800))}\n`);
  });
}

/**
 * Makes any text sendable as a request target by node's client: bytes outside printable ASCII (and `#`, which
 * would end the target) are percent-encoded; everything else, malformed escapes included, is left as it is.
 */
export function wirePath(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte > 0x20 && byte < 0x7f && byte !== 0x23 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `application/x-www-form-urlencoded` of any pairs, lone surrogates included (as U+FFFD, as a browser would). */
export function formEncode(pairs: [string, string][]): string {
  return pairs.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join('&');
}

/** encodeURIComponent that never throws: a lone surrogate becomes U+FFFD's bytes instead of a URIError. */
export function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

export interface SocketResult {
  /** Everything the server sent before it closed (or before we gave up waiting). */
  raw: string;
  /** The status of the first response, if one arrived. */
  status?: number;
  /** True when the server closed the connection (end or reset) within the wait. */
  closed: boolean;
}

/**
 * Writes bytes on a bare TCP socket and collects the answer until the server closes it or `waitMs` passes.
 * For framing no HTTP client will produce: lying Content-Length, broken chunked encoding, raw `..` paths.
 */
export function rawExchange(
  endpoint: string,
  pieces: (string | Buffer)[],
  options: { waitMs?: number; endAfterWrite?: boolean; untilResponse?: boolean } = {},
): Promise<SocketResult> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let raw = '';
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1];
      resolve({ raw, closed, ...(status ? { status: Number(status) } : {}) });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 3000);
    socket.on('data', (chunk: Buffer) => {
      raw += chunk.toString('latin1');
      // untilResponse: done as soon as one whole response (head and Content-Length body) has arrived.
      const headEnd = raw.indexOf('\r\n\r\n');
      if (options.untilResponse && headEnd !== -1) {
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(raw.slice(0, headEnd))?.[1] ?? 0);
        if (raw.length - headEnd - 4 >= length) finish(false);
      }
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      for (const piece of pieces) socket.write(piece);
      if (options.endAfterWrite) socket.end();
    });
  });
}

/** Opens a socket and leaves it open, for slow-client tests; the caller destroys it. */
export function openSocket(endpoint: string): Promise<Socket> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** The wire protocols of the local cloud's services, as their errors look. */
export type Protocol = 's3' | 's3-control' | 'query' | 'json-1.1' | 'rest-json';

const STACK_PATTERNS = [/\n\s+at .+\(.*:\d+:\d+\)/, /node:internal/, /\.ts:\d+:\d+/, /\.js:\d+:\d+/];

/**
 * Asserts an answer to a hostile request is an AWS error in the protocol's format: a 4xx (or 501 naming an
 * operation we do not implement), never a 5xx other than that, never a stack trace.
 * @returns the error code the body carries
 */
export function assertProtocolError(response: RawResponse, protocol: Protocol, context = ''): string {
  const where = `${context} → ${response.status} ${response.body.slice(0, 300)}`;
  for (const pattern of STACK_PATTERNS) assert.doesNotMatch(response.body, pattern, `stack trace in the answer ${where}`);
  assert.ok((response.status >= 400 && response.status < 500) || response.status === 501, `expected a 4xx AWS error ${where}`);
  return protocolErrorCode(response, protocol, where);
}

/** The error code in the protocol's own place; fails when the body is not that protocol's error shape. */
export function protocolErrorCode(response: RawResponse, protocol: Protocol, where = ''): string {
  switch (protocol) {
    case 's3': {
      // HEAD answers carry no body in S3; the status is all there is.
      if (response.body === '') return `HTTP${response.status}`;
      const code = /^<\?xml[^>]*\?>\s*<Error><Code>([^<]+)<\/Code><Message>/.exec(response.body)?.[1];
      assert.ok(code, `not an S3 XML error ${where}`);
      assert.match(String(response.headers['x-amz-request-id'] ?? ''), /\S/, `no x-amz-request-id ${where}`);
      return code;
    }
    case 's3-control': {
      if (response.body === '') return `HTTP${response.status}`;
      const code = /^<\?xml[^>]*\?>\s*<ErrorResponse><Error><Code>([^<]+)<\/Code><Message>/.exec(response.body)?.[1];
      assert.ok(code, `not an S3 Control ErrorResponse ${where}`);
      return code;
    }
    case 'query': {
      const code = /^<ErrorResponse xmlns="[^"]+"><Error><Type>(Sender|Receiver)<\/Type><Code>([^<]+)<\/Code>/.exec(response.body)?.[2];
      assert.ok(code, `not a Query ErrorResponse ${where}`);
      return code;
    }
    case 'json-1.1': {
      const body = JSON.parse(response.body) as { __type?: string; message?: string };
      assert.equal(typeof body.__type, 'string', `no __type ${where}`);
      assert.match(String(response.headers['content-type']), /application\/x-amz-json-1\.1/, `content type ${where}`);
      return body.__type!;
    }
    case 'rest-json': {
      const code = String(response.headers['x-amzn-errortype'] ?? '');
      assert.match(code, /\w/, `no x-amzn-ErrorType ${where}`);
      const body = JSON.parse(response.body) as { message?: string; Message?: string };
      assert.ok(typeof (body.message ?? body.Message) === 'string', `no message ${where}`);
      return code;
    }
  }
}

export interface HostileCloud extends TestCloud {
  /** The cloud's own diagnostic lines (internal errors land here). */
  logLines: string[];
  /** Lines that report a bug of ours: an internal error reached the server or a router's catch-all. */
  internalErrors(): string[];
  /** Asserts S3, STS and Logs still answer ordinary SDK calls. */
  assertHealthy(): Promise<void>;
}

/** A local cloud for hostile tests: its log captured, and a health check made of real SDK calls. */
export async function startHostileCloud(options: Partial<LocalCloudOptions> = {}): Promise<HostileCloud> {
  const logLines: string[] = [];
  const cloud = await startTestCloud({ ...options, log: (line) => logLines.push(line) });
  const s3 = new S3Client({ ...cloud.clientConfig });
  const sts = new STSClient({ ...cloud.clientConfig });
  const logs = new CloudWatchLogsClient({ ...cloud.clientConfig });
  return {
    ...cloud,
    logLines,
    internalErrors: () => logLines.filter((line) => /internal error|local cloud failed/i.test(line)),
    async assertHealthy() {
      const [buckets, identity, groups] = await Promise.all([
        s3.send(new ListBucketsCommand({})),
        sts.send(new GetCallerIdentityCommand({})),
        logs.send(new DescribeLogGroupsCommand({})),
      ]);
      assert.ok(Array.isArray(buckets.Buckets));
      assert.equal(identity.Account, '000000000000');
      assert.ok(Array.isArray(groups.logGroups));
    },
    async close() {
      s3.destroy();
      sts.destroy();
      logs.destroy();
      await cloud.close();
    },
  };
}

/** A fake SigV4 Authorization header naming a service, so the server routes the request there. */
export function scopeAuthorization(service: string, accessKeyId = 'test', region = 'us-east-1'): string {
  return `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
}
