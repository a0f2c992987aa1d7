// Shared by the operate integration tests (upload, invoke, logs): a local cloud with the thumbnailer set up
// under names unique to the test file, and the real thumbctl CLI pointed at it with those names.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { AwsClients } from '../../../cli/core/clients.js';
import { setup } from '../../../cli/core/provision/setup.js';
import { LOCAL_ACCOUNT_ID, resolveSettings, withBucketDefaults, type ResolvedSettings } from '../../../cli/core/settings.js';
import { startTestCloud, TEST_REGION, type TestCloud } from '../../helpers/local-cloud.js';
import { runThumbctl, type ThumbctlResult } from '../../helpers/thumbctl.js';

export const SAMPLE_PHOTO = new URL('../../../assets/canyon.jpg', import.meta.url).pathname;
/** One package cache for these tests, so the function zip is built once per machine. */
const PACKAGE_CACHE = join(tmpdir(), `thumbctl-test-operate-cache-${process.getuid?.() ?? 'user'}`);

export interface OperateCloud {
  test: TestCloud;
  clients: AwsClients;
  settings: ResolvedSettings;
  /** A scratch directory: the CLI's working directory and where fixtures are written. */
  dir: string;
  /** Runs `thumbctl <command> <flags> <rest>` against this cloud and these resources; a flag in `rest` wins. */
  thumbctl(args: string[], options?: { timeoutMs?: number }): Promise<ThumbctlResult>;
  /** The flags that point thumbctl at this cloud and these resources. */
  flags: string[];
  close(): Promise<void>;
}

export async function startOperateCloud(tag: string): Promise<OperateCloud> {
  const test = await startTestCloud();
  const clients = new AwsClients({ region: TEST_REGION, endpoint: test.endpoint, credentials: { ...test.clientConfig.credentials } });
  const id = `${tag}-${process.pid}`.toLowerCase();
  const settings = withBucketDefaults(
    resolveSettings({ functionName: `thumbctl-${id}`, roleName: `thumbctl-${id}-role`, sourceBucket: `src-${id}`, thumbnailBucket: `thumbs-${id}` }, {}),
    LOCAL_ACCOUNT_ID,
    TEST_REGION,
  );
  mkdirSync(PACKAGE_CACHE, { recursive: true });
  await setup({ clients, settings, account: LOCAL_ACCOUNT_ID, region: TEST_REGION, target: 'local', endpoint: test.endpoint, cacheDir: PACKAGE_CACHE });
  const dir = mkdtempSync(join(tmpdir(), `thumbctl-${tag}-`));
  const flags = [
    '--endpoint-url', test.endpoint,
    '--source-bucket', settings.sourceBucket,
    '--thumbnail-bucket', settings.thumbnailBucket,
    '--function-name', settings.functionName,
  ];
  return {
    test,
    clients,
    settings,
    dir,
    flags,
    thumbctl: ([command = '', ...rest], options = {}) => runThumbctl([command, ...flags, ...rest], { cwd: dir, timeoutMs: options.timeoutMs ?? 90_000 }),
    async close() {
      clients.destroy();
      await test.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Bytes that are no image at all, named like a JPEG. */
export function writeCorruptImage(dir: string, name = 'corrupt.jpg'): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.from('this is not a JPEG, just text pretending to be one\n'.repeat(40)));
  return path;
}

/** A small real PNG. */
export async function writePng(dir: string, name = 'square.png', size = 300): Promise<string> {
  const path = join(dir, name);
  await sharp({ create: { width: size, height: size, channels: 3, background: { r: 40, g: 120, b: 200 } } }).png().toFile(path);
  return path;
}
