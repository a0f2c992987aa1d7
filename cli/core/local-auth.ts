// The key thumbctl signs local-cloud calls with, and the one `local serve --require-auth` checks: read once per
// process from THUMBCTL_LOCAL_CREDENTIALS_FILE or the THUMBCTL_LOCAL_* variables. Loads no AWS SDK, so `local
// serve` can import it at start-up without slowing `thumbctl --version`.
import { readFileSync, statSync } from 'node:fs';
import { ExitCode, registerSecret, UserError } from '../output.js';
import { LOCAL_AUTH_ENV } from './settings.js';

/** Credentials the local cloud accepts; it does not check them unless told to. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'thumbctl-local', secretAccessKey: 'thumbctl-local-secret' } as const;

/** A credentials file is a few dozen bytes; anything past this is not one. */
const MAX_CREDENTIALS_FILE_BYTES = 64 * 1024;
/** What SigV4's credential scope can carry (credential.ts refuses `/`, `,`, `;`, `=` and whitespace). */
const ACCESS_KEY_ID = /^[!-+\--.0-:<>-~]{1,128}$/;

let readOnce: { accessKeyId: string; secretAccessKey: string } | undefined | null = null;

/**
 * The key a local cloud started with --require-auth checks (and thumbctl signs with), read once per process
 * from THUMBCTL_LOCAL_CREDENTIALS_FILE or from THUMBCTL_LOCAL_ACCESS_KEY_ID and THUMBCTL_LOCAL_SECRET_ACCESS_KEY.
 * The secret variable is then deleted from `env` (no child process inherits it, no later code reads it) and its
 * value is masked in everything thumbctl prints. (The kernel keeps the environment a process was started with:
 * another process of the same user can still read it from /proc/<pid>/environ; the file has no such copy.)
 * @param env - the environment to read (and scrub); the process's own unless a test passes another
 * @returns the key, or undefined when none is configured (or only half of the pair: `local serve` refuses that)
 * @throws UserError (usage) for both sources at once, an access key id SigV4 cannot carry, or a file that is
 *   unreadable, readable by others, not ours, too large or not the JSON above
 */
export function readLocalAuthKey(env: NodeJS.ProcessEnv = process.env): { accessKeyId: string; secretAccessKey: string } | undefined {
  if (env === process.env && readOnce !== null) return readOnce;
  const file = env[LOCAL_AUTH_ENV.credentialsFile];
  const accessKeyId = env[LOCAL_AUTH_ENV.accessKeyId];
  const secretAccessKey = env[LOCAL_AUTH_ENV.secretAccessKey];
  delete env[LOCAL_AUTH_ENV.secretAccessKey];
  let key: { accessKeyId: string; secretAccessKey: string } | undefined;
  if (file) {
    if (accessKeyId || secretAccessKey) {
      throw new UserError(`set either ${LOCAL_AUTH_ENV.credentialsFile} or ${LOCAL_AUTH_ENV.accessKeyId}/${LOCAL_AUTH_ENV.secretAccessKey}, not both`, ExitCode.usage);
    }
    key = readCredentialsFile(file);
  } else if (accessKeyId && secretAccessKey) {
    if (!ACCESS_KEY_ID.test(accessKeyId)) throw new UserError(`${LOCAL_AUTH_ENV.accessKeyId} must be 1-128 printable characters without / , ; = or spaces`, ExitCode.usage);
    key = { accessKeyId, secretAccessKey };
  }
  if (key) registerSecret(key.secretAccessKey);
  if (env === process.env) readOnce = key;
  return key;
}

/** `{"accessKeyId": "...", "secretAccessKey": "..."}` from a file only its owner can read, as ssh wants of a key. */
function readCredentialsFile(path: string): { accessKeyId: string; secretAccessKey: string } {
  const name = `${LOCAL_AUTH_ENV.credentialsFile} ${path}`;
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new UserError(`${name} is not a file`, ExitCode.usage);
    if (process.platform !== 'win32') {
      if ((stat.mode & 0o077) !== 0) {
        throw new UserError(`${name} is readable by others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}): run chmod 600 ${path}`, ExitCode.usage);
      }
      const uid = process.getuid?.();
      if (uid !== undefined && stat.uid !== uid && stat.uid !== 0) throw new UserError(`${name} belongs to another user (uid ${stat.uid})`, ExitCode.usage);
    }
    if (stat.size > MAX_CREDENTIALS_FILE_BYTES) throw new UserError(`${name} is too large to be a credentials file`, ExitCode.usage);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot read ${name}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, ExitCode.usage);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const fields = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  const { accessKeyId, secretAccessKey } = fields ?? {};
  if (
    fields === undefined ||
    Object.keys(fields).some((field) => field !== 'accessKeyId' && field !== 'secretAccessKey') ||
    typeof accessKeyId !== 'string' ||
    typeof secretAccessKey !== 'string' ||
    !ACCESS_KEY_ID.test(accessKeyId) ||
    !/^[!-~]{1,256}$/.test(secretAccessKey)
  ) {
    throw new UserError(`${name} must hold {"accessKeyId": "...", "secretAccessKey": "..."} and nothing else`, ExitCode.usage);
  }
  return { accessKeyId, secretAccessKey };
}

/**
 * The key thumbctl signs local-cloud calls with: the one `readLocalAuthKey` finds (what `local serve
 * --require-auth` checks), else the fixed local key (which an unauthenticated local cloud accepts like any other).
 */
export function localCredentials(env: NodeJS.ProcessEnv = process.env): { accessKeyId: string; secretAccessKey: string } {
  return readLocalAuthKey(env) ?? { ...LOCAL_CREDENTIALS };
}
