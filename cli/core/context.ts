// A command's context, resolved once and validated before anything starts: the connection (AWS's rules: flag >
// environment > config file > profile > default, one per service for endpoints) and the thumbnailer's settings
// (flag > environment > config file > stack-derived default), from one reading of the config file. No local cloud
// is started and no AWS call made until every setting is known good; then open() connects. With --debug it
// reports where each setting came from. Cheap to import: the session, with the AWS SDK behind it, loads only in open().
import type { Session } from './session.js';
import {
  ENDPOINT_SERVICES,
  readConfigFile,
  resolveConnection,
  resolveSettingsWithOrigins,
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
  /** Connects: finds or starts the local cloud (target local, for every service without an endpoint of its own) and makes the clients. The caller closes the session. */
  open(): Promise<Session>;
}

/** The connection alone, for `local serve` (it serves whatever thumbnailer the other commands bring). */
export function resolveConnectionContext(globals: GlobalOptions): ConnectionContext {
  const connection = resolveConnection(globals, readConfigFile(globals.config));
  globals.report?.(describeOrigins(connection));
  return { connection };
}

/**
 * Everything a command on the thumbnailer needs, validated.
 * @param globals - the global flags (commander has already merged THUMBCTL_TARGET into --target); `--stack` is one
 * @param flags - only the settings this command takes by flag (a command's own flags, like upload's --timeout, stay out)
 * @throws UserError (exit 2) naming the first bad setting
 */
export function resolveContext(globals: GlobalOptions, flags: SettingFlags): Context {
  const config = readConfigFile(globals.config);
  const connection = resolveConnection(globals, config);
  const { settings, origins } = resolveSettingsWithOrigins({ ...flags, stack: flags.stack ?? globals.stack }, config);
  globals.report?.(describeOrigins(connection, settings, origins));
  return {
    connection,
    settings,
    async open() {
      const { openSession } = await import('./session.js');
      return openSession(connection, settings);
    },
  };
}

/** --debug's report: each setting, its value, and where it came from. */
export function describeOrigins(connection: ConnectionSettings, settings?: ThumbnailerSettings, settingOrigins: Readonly<Record<string, string>> = {}): string {
  const rows: [string, string, string][] = [
    ['target', connection.target, connection.origins.target ?? ''],
    ['region', connection.region, connection.origins.region ?? ''],
    ['profile', connection.profile ?? '(none)', connection.origins.profile ?? ''],
    ...ENDPOINT_SERVICES.map((service): [string, string, string] => [
      `endpoint ${service}`,
      connection.endpoints[service] ?? (connection.target === 'aws' ? "(AWS's own)" : '(the local cloud)'),
      connection.origins[`endpoint ${service}`] ?? '',
    ]),
    ['state dir', connection.stateDir, connection.origins.stateDir ?? ''],
  ];
  if (settings) {
    const value = (name: keyof ThumbnailerSettings, shown?: string): [string, string, string] => [name, shown ?? String(settings[name] ?? ''), settingOrigins[name] ?? ''];
    rows.push(
      value('stack'),
      value('sourceBucket', settings.sourceBucket ?? `${settings.stack}-source-<account>-${connection.region}`),
      value('thumbnailBucket', settings.thumbnailBucket ?? `${settings.stack}-thumbnails-<account>-${connection.region}`),
      value('functionName'),
      value('roleName'),
      value('memory'),
      value('timeout'),
      value('runtime'),
      value('architecture'),
      value('suffixes', settings.suffixes.join(',')),
      value('fit'),
      value('maxSize'),
      value('functionDir', settings.functionDir ?? '(the function bundled with thumbctl)'),
    );
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  const valueWidth = Math.min(60, Math.max(...rows.map(([, value]) => value.length)));
  return ['settings (where each came from):', ...rows.map(([name, value, origin]) => `  ${name.padEnd(width)}  ${value.padEnd(valueWidth)}  ${origin}`)].join('\n');
}
