// What setup, status and teardown need before they can work: settings resolved and validated (nothing is
// touched when they are wrong), then the session, the account, the bucket names and the cache directory.
import { join } from 'node:path';
import type { AwsClients } from '../clients.js';
import { openSession, type Session } from '../session.js';
import { readConfigFile, resolveConnection, resolveSettings, withBucketDefaults, type GlobalOptions, type ResolvedSettings, type SettingFlags, type Target } from '../settings.js';
import { paceFor, type Pace } from './aws.js';

export interface ProvisioningTarget {
  session: Session;
  settings: ResolvedSettings;
  account: string;
  region: string;
  /** Built packages and fetched binaries: <state-dir>/cache. */
  cacheDir: string;
  pace: Pace;
}

/** What setup, status, teardown and bench take from an open target (each core reads the fields it needs). */
export interface CoreOptions {
  clients: AwsClients;
  settings: ResolvedSettings;
  account: string;
  region: string;
  target: Target;
  /** The endpoint in use (undefined for AWS). */
  endpoint?: string;
  cacheDir: string;
  pace: Pace;
}

export function coreOptions(target: ProvisioningTarget): CoreOptions {
  const { session } = target;
  return {
    clients: session.clients,
    settings: target.settings,
    account: target.account,
    region: target.region,
    target: session.connection.target,
    endpoint: session.endpoint,
    cacheDir: target.cacheDir,
    pace: target.pace,
  };
}

/** Validates everything first, then connects. The caller closes `session`. */
export async function openTarget(globals: GlobalOptions, flags: SettingFlags): Promise<ProvisioningTarget> {
  const config = readConfigFile(globals.config);
  resolveConnection(globals, config);
  const settings = resolveSettings(flags, config);
  const session = await openSession(globals);
  try {
    const account = await session.account();
    const region = session.connection.region;
    return {
      session,
      settings: withBucketDefaults(settings, account, region),
      account,
      region,
      cacheDir: join(session.connection.stateDir, 'cache'),
      pace: paceFor(session.endpoint),
    };
  } catch (error) {
    await session.close();
    throw error;
  }
}
