// A command's context, resolved once and validated before anything starts: the connection (flag > environment >
// config file > default) and the thumbnailer's settings (flag > config file > default), from one reading of the
// config file. No local cloud is started and no AWS call made until every setting is known good; then open()
// connects. Cheap to import: the session, with the AWS SDK and the local cloud behind it, loads only in open().
import type { Session } from './session.js';
import {
  readConfigFile,
  resolveConnection,
  resolveSettings,
  type ConnectionSettings,
  type GlobalOptions,
  type SettingFlags,
  type ThumbnailerSettings,
} from './settings.js';

/** Where a command works: target, endpoint, region, profile, state directory. All `local serve` needs. */
export interface ConnectionContext {
  readonly connection: ConnectionSettings;
}

/** What a command on the thumbnailer works from. */
export interface Context extends ConnectionContext {
  /** Validated; the default bucket names are filled in by the session, which knows the account. */
  readonly settings: ThumbnailerSettings;
  /** Connects: finds or starts the local cloud (target local without an endpoint) and makes the clients. The caller closes the session. */
  open(): Promise<Session>;
}

/** The connection alone, for `local serve` (it serves whatever thumbnailer the other commands bring). */
export function resolveConnectionContext(globals: GlobalOptions): ConnectionContext {
  return { connection: resolveConnection(globals, readConfigFile(globals.config)) };
}

/**
 * Everything a command on the thumbnailer needs, validated.
 * @param globals - the global flags (commander has already merged THUMBCTL_TARGET into --target)
 * @param flags - only the settings this command takes by flag (a command's own flags, like upload's --timeout, stay out)
 * @throws UserError (exit 2) naming the first bad setting
 */
export function resolveContext(globals: GlobalOptions, flags: SettingFlags): Context {
  const config = readConfigFile(globals.config);
  const connection = resolveConnection(globals, config);
  const settings = resolveSettings(flags, config);
  return {
    connection,
    settings,
    async open() {
      const { openSession } = await import('./session.js');
      return openSession(connection, settings);
    },
  };
}
