// The environment variables an execution environment starts with: Lambda's reserved ones, the function's
// own, and what points the function's SDK at the local cloud. Nothing from the parent process leaks in
// beyond PATH and HOME. Credentials are the environment's own, issued by the local cloud for the function's role.
import { dirname } from 'node:path';
import { isOsOnlyRuntime } from './os-only-runtime.js';
import type { RunnableFunction } from './types.js';

export interface EnvironmentCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** Gives an environment credentials of its own; the local cloud issues them for the function's role. */
export type CredentialIssuer = (fn: Pick<RunnableFunction, 'role' | 'name'>) => EnvironmentCredentials;

/**
 * Without an issuer (unit tests of the runtime alone) an environment gets placeholder keys that identify no
 * role; the local cloud always passes one, so a function's calls are checked against its role's policies.
 */
export const placeholderCredentials: CredentialIssuer = () => ({ accessKeyId: 'test', secretAccessKey: 'test', sessionToken: 'test' });

export interface EnvironmentVariableInput {
  fn: RunnableFunction;
  logStream: string;
  /** `127.0.0.1:<port>` of this environment's Runtime API. */
  runtimeApi: string;
  /** The local cloud's endpoint, for the function's own SDK calls. */
  endpoint: string;
  /** The X-Ray daemon's UDP address (`127.0.0.1:2000`), when the X-Ray service offers one. */
  xrayDaemonAddress?: string;
  runtimeDirectory: string;
  /** The node that runs the environment (default: this process's): its directory leads PATH, as /var/lang/bin does in Lambda. */
  nodeBinary?: string;
  /** The environment's own keys (see CredentialIssuer). */
  credentials?: EnvironmentCredentials;
  parentEnv?: NodeJS.ProcessEnv;
}

/**
 * Lambda's variables, in AWS's precedence: the function may set non-reserved ones (e.g.
 * AWS_XRAY_CONTEXT_MISSING) over our defaults; reserved ones (and AWS_ENDPOINT_URL, which must keep the
 * function on the local cloud) win over the function's.
 */
export function environmentVariables(input: EnvironmentVariableInput): Record<string, string> {
  const { fn } = input;
  const parentEnv = input.parentEnv ?? process.env;
  const credentials = input.credentials ?? placeholderCredentials(fn);
  const defaults: Record<string, string> = {
    PATH: [dirname(input.nodeBinary ?? process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    // A nodejs20.x function, or one that falls back to the host's Node.js (node-runtimes.ts), would print the
    // SDK's end-of-life warning for Node 20 at every cold start: noise about the local stand-in, not the function.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    // Not set by Lambda: at most two glibc malloc arenas. glibc gives each thread that allocates an arena of its
    // own (up to eight per core) and keeps what was freed there, so the libuv, V8 and libvips threads left an
    // idle environment ~5 MB larger (BENCHMARKS.md). Through the tunable, not MALLOC_ARENA_MAX: sharp reads that
    // one and would then run more libvips threads than it does on Lambda. A function may set its own.
    GLIBC_TUNABLES: 'glibc.malloc.arena_max=2',
  };
  if (parentEnv.HOME) defaults.HOME = parentEnv.HOME;
  const reserved: Record<string, string> = {
    _HANDLER: fn.handler,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySizeMb),
    AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: input.logStream,
    AWS_LAMBDA_RUNTIME_API: input.runtimeApi,
    LAMBDA_TASK_ROOT: fn.codeDirectory,
    LAMBDA_RUNTIME_DIR: input.runtimeDirectory,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    AWS_ENDPOINT_URL: input.endpoint,
  };
  // AWS sets AWS_EXECUTION_ENV for its managed runtimes only, never for the OS-only (`provided.*`) ones.
  if (!isOsOnlyRuntime(fn.runtime)) reserved.AWS_EXECUTION_ENV = `AWS_Lambda_${fn.runtime}`;
  if (input.xrayDaemonAddress) reserved.AWS_XRAY_DAEMON_ADDRESS = input.xrayDaemonAddress;
  const merged = { ...defaults, ...fn.variables, ...reserved };
  // Module resolution must see only the package, as in Lambda's /var/task.
  delete merged.NODE_PATH;
  return merged;
}
