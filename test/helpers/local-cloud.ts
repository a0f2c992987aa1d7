// Starts a real local cloud for an integration test: a fresh state directory, an ephemeral loopback
// port, and the client settings the AWS SDK and the aws CLI need to use it unchanged.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../emulator/server.js';
import { clientConfigFor, TEST_CREDENTIALS, TEST_REGION, type TestClientConfig } from '../../scripts/harness/clients.js';

export { clientConfigFor, TEST_CREDENTIALS, TEST_REGION, type TestClientConfig } from '../../scripts/harness/clients.js';

export interface TestCloud {
  cloud: LocalCloud;
  endpoint: string;
  stateDir: string;
  /** Spread into any SDK v3 client's constructor. */
  clientConfig: TestClientConfig;
  close(): Promise<void>;
}

export async function startTestCloud(options: Partial<LocalCloudOptions> = {}): Promise<TestCloud> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'thumbctl-test-'));
  const cloud = await startLocalCloud({ stateDelayMs: 20, ...options, stateDir, port: options.port ?? 0 });
  return {
    cloud,
    endpoint: cloud.endpoint,
    stateDir,
    clientConfig: clientConfigFor(cloud.endpoint),
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

/** Keys the aws CLI signs with: the test credentials unless a test passes others (a role's temporary keys). */
export interface CliCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The aws CLI's environment: the given (else test) credentials and no user config. */
function awsEnv(credentials: CliCredentials = TEST_CREDENTIALS): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken !== undefined ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
    AWS_DEFAULT_REGION: TEST_REGION,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
  };
}

/** Runs the real `aws` CLI against the endpoint, with test credentials (or those given) and no user config. */
export function runAws(endpoint: string, args: string[], input?: string, credentials?: CliCredentials): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(AWS_CLI, ['--endpoint-url', endpoint, '--region', TEST_REGION, '--output', 'json', ...args], {
      env: awsEnv(credentials),
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

/** Runs the aws CLI and fails the test unless it exits 0; resolves with its stdout. */
export async function awsOk(endpoint: string, args: string[], input?: string): Promise<string> {
  const result = await runAws(endpoint, args, input);
  assert.equal(result.code, 0, `aws ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Runs the aws CLI, fails the test unless it exits 0, and parses its JSON output (a command that prints nothing gives {}). */
export async function awsJson<T = Record<string, unknown>>(endpoint: string, args: string[]): Promise<T> {
  const stdout = await awsOk(endpoint, args);
  return (stdout.trim() === '' ? {} : JSON.parse(stdout)) as T;
}

let cliMajor: number | undefined;

/** The installed aws CLI's major version (1 or 2; v1 and v2 differ in a few commands and flags), or 0 when there is none. */
export function awsCliMajor(): number {
  if (cliMajor === undefined) {
    const version = spawnSync(AWS_CLI, ['--version'], { encoding: 'utf8', env: awsEnv() });
    cliMajor = Number(/aws-cli\/(\d+)/.exec(`${version.stdout ?? ''}${version.stderr ?? ''}`)?.[1] ?? 0);
  }
  return cliMajor;
}
