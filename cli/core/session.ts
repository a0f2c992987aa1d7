// A command's connection to its target: the resolved settings, the local cloud (found or started), the
// AWS clients and the account. Commands open one, use it, and close it; the core receives it as plain data.
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ExitCode, UserError } from '../output.js';
import { AwsClients, localCredentials } from './clients.js';
import { acquireLocalCloud, type LocalCloudHandle } from './local-cloud.js';
import { readConfigFile, resolveConnection, type ConnectionSettings, type GlobalOptions } from './settings.js';

export interface Session {
  connection: ConnectionSettings;
  /** The endpoint every call goes to, or undefined for AWS's own endpoints. */
  endpoint?: string;
  clients: AwsClients;
  /** The config file's contents, for settings resolution. */
  config: ReturnType<typeof readConfigFile>;
  account(): Promise<string>;
  close(): Promise<void>;
}

export async function openSession(options: GlobalOptions): Promise<Session> {
  const config = readConfigFile(options.config);
  const connection = resolveConnection(options, config);
  let cloud: LocalCloudHandle | undefined;
  let endpoint = connection.endpointUrl;
  if (connection.target === 'local' && !endpoint) {
    cloud = await acquireLocalCloud(connection.stateDir, connection.region);
    endpoint = cloud.endpoint;
  }
  const clients = new AwsClients({
    region: connection.region,
    endpoint,
    profile: connection.target === 'aws' ? connection.profile : undefined,
    credentials: connection.target === 'local' ? localCredentials() : undefined,
  });
  let account: Promise<string> | undefined;
  return {
    connection,
    endpoint,
    clients,
    config,
    account() {
      account ??= clients.sts.send(new GetCallerIdentityCommand({})).then(
        (identity) => identity.Account ?? '000000000000',
        (error: unknown) => {
          throw explainCredentialError(error, connection);
        },
      );
      return account;
    },
    async close() {
      clients.destroy();
      await cloud?.close();
    },
  };
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
