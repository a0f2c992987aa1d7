// Signs raw HTTP requests with the SDK's own SigV4 signer (@smithy/signature-v4), so a security test can send
// exactly what a client would, then change one thing about it (a field of the Authorization header, a header
// value) and see what the local cloud makes of it.
import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../helpers/sha256.js';

export interface RawSigned {
  method: string;
  /** Path and query as they go on the wire. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Signs a request for `endpoint` as the SDK would (header form). S3 requests declare their payload hash in
 * x-amz-content-sha256 (the body's, unless `headers` already sets one: the signer then signs that value).
 */
export async function signRaw(
  endpoint: string,
  request: { service: string; method: string; path: string; query?: Record<string, string>; headers?: Record<string, string>; body?: string },
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
): Promise<RawSigned> {
  const url = new URL(endpoint);
  const body = request.body ?? '';
  const headers: Record<string, string> = { host: url.host, ...request.headers };
  if (request.service === 's3' && headers['x-amz-content-sha256'] === undefined) headers['x-amz-content-sha256'] = createHash('sha256').update(body).digest('hex');
  const signer = new SignatureV4({ service: request.service, region: 'us-east-1', credentials, sha256: Sha256 as never, uriEscapePath: request.service !== 's3' });
  const signed = await signer.sign({ method: request.method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: request.path, query: request.query ?? {}, headers, body });
  const query = new URLSearchParams(request.query ?? {}).toString();
  return {
    method: request.method,
    path: `${request.path}${query ? `?${query}` : ''}`,
    headers: Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), String(value)])),
    ...(request.body !== undefined ? { body: request.body } : {}),
  };
}
