// A command's connection to its target, opened from a resolved context (context.ts): the local cloud (found or
// started), the AWS clients, the account, and the settings completed with the default bucket names. Commands
// open one, use it, and close it; the cores receive what they need from it as plain data.
import { join } from 'node:path';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ExitCode, UserError } from '../output.js';
import { AwsClients, isAwsEndpoint } from './clients.js';
import { localCredentials } from './local-auth.js';
import { acquireLocalCloud, readServerRecord, type LocalCloudHandle } from './local-cloud.js';
import { AWS_PACE, LOCAL_PACE } from './provision/aws.js';
import type { CoreOptions } from './provision/target.js';
import { ENDPOINT_SERVICES, LOCAL_ACCOUNT_ID, withBucketDefaults, type ConnectionSettings, type EndpointService, type ResolvedSettings, type ThumbnailerSettings } from './settings.js';

export interface Session {
  connection: ConnectionSettings;
  /** The validated settings, bucket names as given (resources() fills in the defaults). */
  settings: ThumbnailerSettings;
  /** The endpoint every call goes to when all services share one, or undefined (AWS's own, or one per service). */
  endpoint?: string;
  /** Each service's endpoint as the clients use it: undefined for AWS's own. */
  endpoints: Readonly<Record<EndpointService, string | undefined>>;
  /** True when this service's calls go to AWS itself (so AWS's delays apply: IAM propagation, X-Ray indexing). */
  onAws(service: EndpointService): boolean;
  /** True when this command runs the local cloud itself: it is gone when the command ends. */
  embedded: boolean;
  clients: AwsClients;
  account(): Promise<string>;
  /** The settings with the default bucket names filled in; asks STS for the account only when a default needs it. */
  resources(): Promise<ResolvedSettings>;
  /** What the provisioning cores take (setup, status, teardown; bench and demo run setup): asks STS for the account. */
  provisioning(): Promise<CoreOptions>;
  /** The process running the local cloud this session talks to (this one when embedded), or null when unknown (AWS, a remote endpoint). */
  localCloudPid(): number | null;
  close(): Promise<void>;
}

export async function openSession(connection: ConnectionSettings, settings: ThumbnailerSettings): Promise<Session> {
  let cloud: LocalCloudHandle | undefined;
  // The local target's own endpoint is the local cloud, started only when some service has no endpoint given.
  if (connection.target === 'local' && ENDPOINT_SERVICES.some((service) => !connection.endpoints[service])) {
    cloud = await acquireLocalCloud(connection.stateDir, connection.region);
  }
  const endpoints = Object.fromEntries(ENDPOINT_SERVICES.map((service) => [service, connection.endpoints[service] ?? cloud?.endpoint])) as Record<EndpointService, string | undefined>;
  const distinct = new Set(Object.values(endpoints));
  const endpoint = distinct.size === 1 ? [...distinct][0] : undefined;
  const onAws = (service: EndpointService): boolean => endpoints[service] === undefined || isAwsEndpoint(endpoints[service]);
  const clients = new AwsClients({
    region: connection.region,
    endpoints: Object.fromEntries(Object.entries(endpoints).filter(([, url]) => url !== undefined)),
    profile: connection.target === 'aws' ? connection.profile : undefined,
    credentials: connection.target === 'local' ? localCredentials() : undefined,
  });
  let account: Promise<string> | undefined;
  const session: Session = {
    connection,
    settings,
    endpoint,
    endpoints,
    onAws,
    embedded: cloud?.embedded ?? false,
    clients,
    account() {
      account ??= clients.sts.send(new GetCallerIdentityCommand({})).then(
        (identity) => identity.Account ?? LOCAL_ACCOUNT_ID,
        (error: unknown) => {
          throw explainCredentialError(error, connection);
        },
      );
      return account;
    },
    async resources() {
      const accountId = settings.sourceBucket && settings.thumbnailBucket ? '' : await session.account();
      return withBucketDefaults(settings, accountId, connection.region);
    },
    async provisioning() {
      const accountId = await session.account();
      return {
        clients,
        settings: withBucketDefaults(settings, accountId, connection.region),
        account: accountId,
        region: connection.region,
        target: connection.target,
        endpoint,
        xrayOnAws: onAws('xray'),
        cacheDir: join(connection.stateDir, 'cache'),
        // AWS's patience wherever a call the provisioning waits on goes to AWS; a local endpoint settles at once.
        pace: (['s3', 'lambda', 'iam', 'logs'] as const).some(onAws) ? AWS_PACE : LOCAL_PACE,
      };
    },
    localCloudPid() {
      if (session.embedded) return process.pid;
      if (!endpoint || isAwsEndpoint(endpoint)) return null;
      const record = readServerRecord(connection.stateDir);
      return record && record.endpoint === endpoint ? record.pid : null;
    },
    async close() {
      clients.destroy();
      await cloud?.close();
    },
  };
  return session;
}

/** Missing credentials or an unknown profile become one clear line instead of an SDK stack. */
export function explainCredentialError(error: unknown, connection: ConnectionSettings): unknown {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials|profile .* could not be found|credentials/i.test(message)) {
    const profile = connection.profile ? ` for profile "${connection.profile}"` : '';
    return new UserError(
      `no usable AWS credentials${profile}: ${message.split('\n')[0]} (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run \`aws configure\`)`,
      ExitCode.failure,
    );
  }
  if (name === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return new UserError(`cannot reach ${connection.endpointUrl ?? 'the endpoint'}: connection refused`);
  }
  return error;
}
