// The resources an operating command (upload, invoke, logs) works on: the resource flags and the config file
// resolved by settings.ts, with the default bucket names filled in. Asks STS for the account only when a
// default bucket name needs it.
import type { Session } from '../session.js';
import { resolveSettings, withBucketDefaults, type ResolvedSettings, type SettingFlags, type ThumbnailerSettings } from '../settings.js';

/** Only the resource flags: `upload --timeout` is the wait, not the function's timeout setting. */
export function resourceSettings(options: Record<string, unknown>, config: Session['config']): ThumbnailerSettings {
  const pick = (name: keyof SettingFlags): string | undefined => (typeof options[name] === 'string' ? (options[name] as string) : undefined);
  return resolveSettings(
    { sourceBucket: pick('sourceBucket'), thumbnailBucket: pick('thumbnailBucket'), functionName: pick('functionName'), roleName: pick('roleName') },
    config,
  );
}

export async function resolveResources(session: Session, settings: ThumbnailerSettings): Promise<ResolvedSettings> {
  const account = settings.sourceBucket && settings.thumbnailBucket ? '' : await session.account();
  return withBucketDefaults(settings, account, session.connection.region);
}
