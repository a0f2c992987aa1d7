// What setup, status and teardown need before they can work: settings resolved and validated (nothing is
// touched when they are wrong), then the session, the account, the bucket names and the cache directory.
import { join } from 'node:path';
import { openSession, type Session } from '../session.js';
import { readConfigFile, resolveConnection, resolveSettings, withBucketDefaults, type GlobalOptions, type ResolvedSettings, type SettingFlags } from '../settings.js';
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
