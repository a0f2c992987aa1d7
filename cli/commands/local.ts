// `thumbctl local serve`: the local cloud in the foreground until Ctrl-C or SIGTERM. Refuses to start a
// second server on a state directory that already has one, and says where the first one is. Binds loopback
// unless told otherwise (and warns then); with --require-auth it verifies every request's SigV4 signature;
// with --allow-origin it answers CORS for the web apps named (every other web page is refused).
import { Option } from 'commander';
import { ExitCode, UserError } from '../output.js';
import { resolveConnectionContext } from '../core/context.js';
import { SERVE_DEFAULTS } from '../core/defaults.js';
import { LOCAL_AUTH_ENV } from '../core/settings.js';
import { readLocalAuthKey } from '../core/local-auth.js';
import { defineCommand, type CommandInput } from './command.js';

export interface ServeFlags {
  host?: string;
  port?: string;
  requireAuth?: boolean;
  allowOrigin?: string[];
  cpuShare?: string;
}

/** `local serve`; main.ts registers it under the `local` group. */
export const localServeCommand = defineCommand<ServeFlags>({
  name: 'serve',
  description: 'run the local cloud in the foreground (S3, Lambda, IAM, STS, X-Ray, CloudWatch Logs)',
  options: [
    new Option('--host <host>', `address to bind (default ${SERVE_DEFAULTS.host})`),
    new Option('--port <port>', `port to listen on (default ${SERVE_DEFAULTS.port})`),
    new Option('--require-auth', `verify SigV4 signatures: only ${LOCAL_AUTH_ENV.accessKeyId}/${LOCAL_AUTH_ENV.secretAccessKey} (set both), or the key in ${LOCAL_AUTH_ENV.credentialsFile}, get in`),
    new Option('--allow-origin <origin...>', 'let web pages from this origin (e.g. http://localhost:5173) call the local cloud, with CORS; repeatable, * for any'),
    new Option('--cpu-share <share>', "lambda: run each function environment at memory/1769 of a CPU, as Lambda does (needs a writable cgroup cpu controller); host (default): the host's full CPU"),
  ],
  examples: [
    'thumbctl local serve',
    'thumbctl local serve --port 0 --json          # any free port; the ready line says which',
    `${LOCAL_AUTH_ENV.accessKeyId}=me ${LOCAL_AUTH_ENV.secretAccessKey}=... thumbctl local serve --require-auth`,
    'thumbctl local serve --cpu-share lambda      # local durations predict billed ones',
  ],
  run,
});

async function run({ options, globals, output }: CommandInput<ServeFlags>): Promise<ExitCode> {
  const { connection } = resolveConnectionContext(globals);
  const { startServer } = await import('../core/local-cloud.js');
  const host = String(options.host ?? SERVE_DEFAULTS.host);
  const port = options.port === undefined ? SERVE_DEFAULTS.port : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be 0-65535, not "${String(options.port)}"`, ExitCode.usage);
  const requireAuth = authSettings(Boolean(options.requireAuth));
  const allowOrigins = await allowedOrigins(options.allowOrigin);
  const cpuShare = await cpuShareSetting(options.cpuShare);
  if (allowOrigins.includes('*')) {
    output.warn('--allow-origin *: every web page you open can call the local cloud through your browser (a page can sign with any key unless --require-auth)');
  }
  // Listen for Ctrl-C and SIGTERM before starting, so a stop that comes as soon as (or before) the ready line
  // still closes the cloud and releases the state directory's lock, instead of killing the process outright.
  const stopRequested = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  if (!isLoopback(host)) {
    output.warn(
      requireAuth
        ? `binding ${host}: signatures are verified, but over plain HTTP anyone on the path can read what is sent (objects, logs, traces)`
        : `binding ${host}: the local cloud checks no credentials, so anyone who can reach this address can read and change its data (add --require-auth)`,
    );
  }
  const started = await startServer({ stateDir: connection.stateDir, host, port, mode: 'serve', region: connection.region, ...(requireAuth ? { requireAuth } : {}), ...(allowOrigins.length > 0 ? { allowOrigins } : {}) });
  if (!('close' in started)) {
    throw new UserError(`a local cloud is already running for ${connection.stateDir} at ${started.endpoint} (pid ${started.pid})`);
  }
  if (output.json) output.jsonLine({ endpoint: started.endpoint, stateDir: connection.stateDir, pid: process.pid, ...(cpuShare ? { cpuShare: 'lambda' } : {}) });
  else {
    output.print(`local cloud ready at ${started.endpoint} (state in ${connection.stateDir})`);
    if (cpuShare) output.info(`CPU share as on Lambda: each environment at memory/1769 of a CPU (${cpuShare})`);
    output.info(
      requireAuth
        ? `signatures verified: only access key ${requireAuth.accessKeyId} (and keys this cloud issues to functions and through STS) get in; Ctrl-C to stop`
        : `try: aws --endpoint-url ${started.endpoint} s3 ls     (any access key works; Ctrl-C to stop)`,
    );
  }
  await stopRequested;
  output.info('stopping the local cloud…');
  await started.close();
  return ExitCode.ok;
}

/**
 * The key `--require-auth` verifies against (readLocalAuthKey: the two THUMBCTL_LOCAL_* variables or the
 * THUMBCTL_LOCAL_CREDENTIALS_FILE, the secret then scrubbed from the environment). Configuring a key turns
 * verification on by itself; the flag without one is a usage error (there is no default key: a well-known one
 * would guard nothing). The secret is never printed.
 */
function authSettings(flag: boolean): { accessKeyId: string; secretAccessKey: string } | undefined {
  const halfPair = !process.env[LOCAL_AUTH_ENV.credentialsFile] && Boolean(process.env[LOCAL_AUTH_ENV.accessKeyId]) !== Boolean(process.env[LOCAL_AUTH_ENV.secretAccessKey]);
  const key = readLocalAuthKey();
  if (key) return key;
  if (flag || halfPair) {
    throw new UserError(
      `--require-auth needs both ${LOCAL_AUTH_ENV.accessKeyId} and ${LOCAL_AUTH_ENV.secretAccessKey} set, or ${LOCAL_AUTH_ENV.credentialsFile} (thumbctl signs with them too)`,
      ExitCode.usage,
    );
  }
  return undefined;
}

/**
 * `--cpu-share`: `host` (the default) changes nothing; `lambda` is probed now, and the server told through
 * THUMBCTL_LOCAL_CPU_SHARE. A machine without a writable cgroup cpu controller refuses in one line (exit 1):
 * durations measured at the host's full CPU would not predict Lambda's, so none are offered as if they did.
 */
export async function cpuShareSetting(value: string | undefined): Promise<string | undefined> {
  if (value === undefined || value === 'host') return undefined;
  if (value !== 'lambda') throw new UserError(`--cpu-share must be lambda or host, not "${String(value)}"`, ExitCode.usage);
  const { CPU_SHARE_VARIABLE, probeCpuShare, refusalLine } = await import('../../emulator/runtime/cpu-share.js');
  const probe = probeCpuShare();
  if (!probe.ok) throw new UserError(refusalLine(probe.reason), ExitCode.failure);
  process.env[CPU_SHARE_VARIABLE] = 'lambda';
  return probe.limiter.summary;
}

/** `--allow-origin` values (repeatable), each an exact origin or `*`; anything else is a usage error. */
async function allowedOrigins(value: string[] | undefined): Promise<string[]> {
  // Loaded only when serving: the emulator stays out of thumbctl's start-up.
  const { AllowOriginError, normaliseAllowedOrigin } = await import('../../emulator/core/boundary.js');
  const values = value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
  try {
    return [...new Set(values.map(normaliseAllowedOrigin))];
  } catch (error) {
    if (error instanceof AllowOriginError) throw new UserError(error.message, ExitCode.usage);
    throw error;
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
