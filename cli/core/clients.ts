// The one AWS client factory. Every client shares one configuration: the target's endpoint (the local
// cloud, --endpoint-url, or AWS itself), region, credentials (the standard chain, or --profile) and the
// SDK's standard retry strategy, which handles throttling and 5xx with bounded backoff.
import { S3Client } from '@aws-sdk/client-s3';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { XRayClient } from '@aws-sdk/client-xray';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';

export interface ClientSettings {
  region: string;
  endpoint?: string;
  profile?: string;
  /** Static credentials (the local cloud); otherwise the standard credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export class AwsClients {
  private readonly config: Record<string, unknown>;
  private cache = new Map<string, { destroy(): void }>();

  constructor(readonly settings: ClientSettings) {
    this.config = {
      region: settings.region,
      maxAttempts: 5,
      retryMode: 'standard',
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(settings.profile ? { profile: settings.profile } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
    };
  }

  private client<T extends { destroy(): void }>(name: string, make: (config: Record<string, unknown>) => T): T {
    let client = this.cache.get(name) as T | undefined;
    if (!client) {
      client = make(this.config);
      this.cache.set(name, client);
    }
    return client;
  }

  get s3(): S3Client {
    // Endpoints other than AWS's (the local cloud, LocalStack) are path-style.
    return this.client('s3', (c) => new S3Client({ ...c, forcePathStyle: Boolean(this.settings.endpoint) }));
  }
  get lambda(): LambdaClient {
    return this.client('lambda', (c) => new LambdaClient(c));
  }
  get iam(): IAMClient {
    // IAM is global: its one endpoint lives in us-east-1.
    return this.client('iam', (c) => new IAMClient({ ...c, region: this.settings.endpoint ? this.settings.region : 'us-east-1' }));
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
