// Starts a real local cloud for an integration test: a fresh state directory, an ephemeral loopback
// port, and the client settings the AWS SDK and the aws CLI need to use it unchanged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../emulator/server.js';

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
export const TEST_REGION = 'us-east-1';

export interface TestCloud {
  cloud: LocalCloud;
  endpoint: string;
  stateDir: string;
  /** Spread into any SDK v3 client's constructor. */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    forcePathStyle: true;
  };
  close(): Promise<void>;
}

export async function startTestCloud(options: Partial<LocalCloudOptions> = {}): Promise<TestCloud> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'thumbctl-test-'));
  const cloud = await startLocalCloud({ stateDelayMs: 20, ...options, stateDir, port: options.port ?? 0 });
  return {
    cloud,
    endpoint: cloud.endpoint,
    stateDir,
    clientConfig: { endpoint: cloud.endpoint, region: TEST_REGION, credentials: { ...TEST_CREDENTIALS }, forcePathStyle: true },
    async close() {
      await cloud.close();
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real aws CLI: Debian's awscli (what .ci/run installs) when present, else whichever is on PATH. */
export const AWS_CLI = process.env.THUMBCTL_AWS_CLI ?? (existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws');

/** Runs the real `aws` CLI against the endpoint, with test credentials and no user config. */
export function runAws(endpoint: string, args: string[], input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(AWS_CLI, ['--endpoint-url', endpoint, '--region', TEST_REGION, '--output', 'json', ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_DEFAULT_REGION: TEST_REGION,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_PAGER: '',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
