// Shared by the setup integration tests: a local cloud with thumbctl's own client factory pointed at it,
// settings with per-test names (so tests cannot collide), and a shared package cache (one build per run).
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsClients } from '../../../cli/core/clients.js';
import { LOCAL_ACCOUNT_ID, resolveSettings, withBucketDefaults, type ResolvedSettings, type SettingFlags } from '../../../cli/core/settings.js';
import { startTestCloud, TEST_REGION, type TestCloud } from '../../helpers/local-cloud.js';

/** One package cache for every setup test in this process: the zip is built once. */
export const PACKAGE_CACHE = join(tmpdir(), `thumbctl-test-package-cache-${process.getuid?.() ?? 'user'}`);
mkdirSync(PACKAGE_CACHE, { recursive: true });

export interface SetupCloud {
  test: TestCloud;
  clients: AwsClients;
  close(): Promise<void>;
}

export async function startSetupCloud(faults?: string): Promise<SetupCloud> {
  const test = await startTestCloud(faults ? { faults } : {});
  const clients = new AwsClients({ region: TEST_REGION, endpoint: test.endpoint, credentials: { ...test.clientConfig.credentials } });
  return {
    test,
    clients,
    async close() {
      clients.destroy();
      await test.close();
    },
  };
}

let counter = 0;

/** Settings with names unique to one test: `tag` shows up in every resource name. */
export function uniqueSettings(tag: string, flags: SettingFlags = {}): ResolvedSettings {
  const id = `${tag}-${process.pid}-${++counter}`.toLowerCase();
  return withBucketDefaults(
    resolveSettings({ functionName: `thumbctl-${id}`, roleName: `thumbctl-${id}-role`, sourceBucket: `src-${id}`, thumbnailBucket: `thumbs-${id}`, ...flags }, {}),
    LOCAL_ACCOUNT_ID,
    TEST_REGION,
  );
}

export const identity = { account: LOCAL_ACCOUNT_ID, region: TEST_REGION } as const;
