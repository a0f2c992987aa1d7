// The region a named AWS profile sets in the shared config file (~/.aws/config, or AWS_CONFIG_FILE), read the way
// the AWS SDKs and the aws CLI find it: `[default]` or `[profile NAME]`, `region = ...`. Synchronous, because the
// context is resolved before anything starts; the SDK's own loader is asynchronous. It reads nothing else (no
// credentials, no sso sessions, no nested service sections) and never fails: a missing or unreadable file has no region.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The file the SDKs read profiles' settings from. */
export function sharedConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_CONFIG_FILE || join(env.HOME || homedir(), '.aws', 'config');
}

/**
 * The profile's region, if its section in the shared config file sets one.
 * @param profile - the profile named (flag, AWS_PROFILE or the config file); `default` when none is
 * @returns the region and where it came from (`profile default (~/.aws/config)`), or undefined
 */
export function profileRegion(profile: string | undefined, env: NodeJS.ProcessEnv = process.env): { region: string; origin: string } | undefined {
  const name = profile || 'default';
  const file = sharedConfigFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const region = readProfileSetting(text, name, 'region');
  return region ? { region, origin: `profile ${name} (${file})` } : undefined;
}

/**
 * One top-level setting of one profile in a shared config file's text. The default profile's section is
 * `[default]` (or `[profile default]`); every other profile's is `[profile NAME]`. Indented lines belong to a
 * nested section (`s3 =` followed by `  addressing_style = path`) and are skipped; `#` and `;` start comments.
 */
export function readProfileSetting(text: string, profile: string, setting: string): string | undefined {
  const sections = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inProfile = false;
  let found: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*([#;].*)?$/.test(raw)) continue;
    const header = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(raw);
    if (header) {
      inProfile = sections.includes(header[1]!.replace(/\s+/g, ' '));
      continue;
    }
    if (!inProfile || /^\s/.test(raw)) continue;
    const assignment = /^([^=]+?)\s*=\s*(.*?)\s*$/.exec(raw);
    // A later section of the same name adds to the earlier one; the last value wins, as in the SDK's parser.
    if (assignment && assignment[1]!.trim() === setting && assignment[2] !== '') found = assignment[2]!.replace(/\s+[#;].*$/, '');
  }
  return found;
}
