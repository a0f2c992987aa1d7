// The one AWS client factory. Every client shares one configuration: region, credentials (the standard chain, or
// --profile) and the SDK's standard retry strategy, which handles throttling and 5xx with bounded backoff. Each
// client gets its service's endpoint exactly as the context resolved it (the local cloud, --endpoint-url,
// AWS_ENDPOINT_URL[_<SERVICE>], or none for AWS's own), and the SDK's own lookup of endpoint variables and
// profile `endpoint_url`s is switched off: no call goes anywhere thumbctl does not know about.
import { Agent } from 'node:http';
import { lookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { XRayClient } from '@aws-sdk/client-xray';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { EndpointService } from './settings.js';

export interface ClientSettings {
  region: string;
  /** The endpoint of every service without one of its own in `endpoints`. */
  endpoint?: string;
  /** Per-service endpoints (AWS_ENDPOINT_URL_<SERVICE>); a service in neither goes to AWS. */
  endpoints?: Partial<Record<EndpointService, string>>;
  profile?: string;
  /** Static credentials (the local cloud); otherwise the standard credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** True for AWS's own endpoints (`*.amazonaws.com`, `*.amazonaws.com.cn`, `*.api.aws`): those named explicitly too. */
export function isAwsEndpoint(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return true;
  try {
    const host = new URL(endpoint).hostname.toLowerCase();
    return /(^|\.)amazonaws\.com(\.cn)?$/.test(host) || /(^|\.)api\.aws$/.test(host);
  } catch {
    return false;
  }
}

export class AwsClients {
  private readonly config: Record<string, unknown>;
  private cache = new Map<string, { destroy(): void }>();

  constructor(readonly settings: ClientSettings) {
    this.config = {
      region: settings.region,
      maxAttempts: 5,
      retryMode: 'standard',
      // thumbctl resolved every endpoint itself (context.ts): the SDK must not pick one from the environment or a profile.
      ignoreConfiguredEndpointUrls: true,
      ...(settings.profile ? { profile: settings.profile } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
    };
  }

  /** The endpoint a service's calls go to, or undefined for AWS's own. */
  endpointOf(service: EndpointService): string | undefined {
    return this.settings.endpoints?.[service] ?? this.settings.endpoint;
  }

  /** `variant` names a differently configured client of the same service, cached apart. */
  private client<T extends { destroy(): void }>(service: EndpointService, make: (config: Record<string, unknown>, endpoint: string | undefined) => T, variant = ''): T {
    const key = `${service}${variant}`;
    let client = this.cache.get(key) as T | undefined;
    if (!client) {
      const endpoint = this.endpointOf(service);
      client = make({ ...this.config, ...(endpoint ? { endpoint } : {}) }, endpoint);
      this.cache.set(key, client);
    }
    return client;
  }

  get s3(): S3Client {
    // Endpoints other than AWS's (the local cloud, LocalStack) are path-style.
    return this.client('s3', (c, endpoint) => new S3Client({ ...c, forcePathStyle: !isAwsEndpoint(endpoint) }));
  }
  get lambda(): LambdaClient {
    return this.client('lambda', (c) => new LambdaClient(c));
  }
  /**
   * Lambda making one attempt per call: for callers that pace themselves and retry throttling with their own
   * bounded, reported retries (backfill), which the SDK's silent retries would hide.
   */
  get lambdaOneAttempt(): LambdaClient {
    return this.client('lambda', (c) => new LambdaClient({ ...c, maxAttempts: 1 }), ' one attempt');
  }
  get s3control(): S3ControlClient {
    return this.client('s3control', (c, endpoint) => new S3ControlClient({ ...c, ...s3ControlConnection(endpoint) }));
  }
  get iam(): IAMClient {
    // IAM is global: its one endpoint lives in us-east-1.
    return this.client('iam', (c, endpoint) => new IAMClient({ ...c, region: endpoint ? this.settings.region : 'us-east-1' }));
  }
  get sts(): STSClient {
    return this.client('sts', (c) => new STSClient(c));
  }
  get xray(): XRayClient {
    return this.client('xray', (c) => new XRayClient(c));
  }
  get logs(): CloudWatchLogsClient {
    return this.client('logs', (c) => new CloudWatchLogsClient(c));
  }

  destroy(): void {
    for (const client of this.cache.values()) client.destroy();
    this.cache.clear();
  }
}

/**
 * How S3 Control reaches a custom endpoint. The SDK puts the account id in front of the endpoint's host for every
 * S3 Control call (`<account>.s3-control.<region>.amazonaws.com` at AWS), whatever the endpoint: an IP address
 * such as 127.0.0.1 then makes no URL at all, and `<account>.localhost`, though RFC 6761 reserves every name under
 * `localhost` for loopback, is not resolved by the system resolver here. So an endpoint on an IP address is named
 * `localhost` instead, and names under `localhost` are resolved to that address (or to what `localhost` resolves
 * to) by this client's own lookup. Other host names are left to DNS, as at AWS.
 * @param endpoint - the session's endpoint, or undefined for AWS
 */
export function s3ControlConnection(endpoint: string | undefined): { endpoint?: string; requestHandler?: { httpAgent: Agent } } {
  if (!endpoint) return {};
  const url = new URL(endpoint);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host) !== 0 ? host : undefined;
  if (literal === undefined && host !== 'localhost' && !host.endsWith('.localhost')) return { endpoint };
  if (literal !== undefined) url.hostname = 'localhost';
  const resolveLoopback = (hostname: string, options: { all?: boolean; family?: number | string }, callback: (...args: unknown[]) => void): void => {
    if (hostname !== 'localhost' && !hostname.endsWith('.localhost')) return void lookup(hostname, options as never, callback as never);
    if (literal === undefined) return void lookup('localhost', options as never, callback as never);
    const address: LookupAddress = { address: literal, family: isIP(literal) };
    if (options.all) callback(null, [address]);
    else callback(null, address.address, address.family);
  };
  return { endpoint: url.toString().replace(/\/$/, ''), requestHandler: { httpAgent: new Agent({ keepAlive: true, lookup: resolveLoopback as never }) } };
}
