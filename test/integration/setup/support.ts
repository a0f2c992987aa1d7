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

/** Records the name of every command the clients send (SDK middleware), to prove what a run did not do. */
export function recordCommands(clients: AwsClients): string[] {
  const sent: string[] = [];
  for (const client of [clients.s3, clients.lambda, clients.iam, clients.logs, clients.sts]) {
    const stack = client.middlewareStack as unknown as {
      add(middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>, options: { step: 'initialize'; name: string }): void;
      remove(name: string): boolean;
    };
    stack.remove('thumbctlTestRecorder');
    stack.add((next, context) => (args) => {
      sent.push(context.commandName ?? 'unknown');
      return next(args);
    }, { step: 'initialize', name: 'thumbctlTestRecorder' });
  }
  return sent;
}

/** Read-only operations: Get*, Head*, List*. */
export const isReadOnly = (command: string): boolean => /^(Get|Head|List)/.test(command.replace(/Command$/, ''));
