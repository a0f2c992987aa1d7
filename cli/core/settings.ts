// Every setting thumbctl uses, resolved flag > config file > default, and validated before anything is
// touched. The one place that knows bucket and resource names. Pure: no AWS calls, no terminal.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FIT_MODES as FUNCTION_FIT_MODES, type FitMode } from '../../function/config.js';
import { parseVariants, type Variant, type VariantRules } from '../../function/variants.js';
import { ExitCode, UserError } from '../output.js';
import { DEFAULT_CONFIG_FILE, DEFAULT_STATE_DIR, DEFAULTS } from './defaults.js';

export const TARGETS = ['local', 'aws'] as const;
export type Target = (typeof TARGETS)[number];

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** The fit modes the function accepts (THUMBNAIL_FIT), in its order. */
export const FIT_MODES: readonly FitMode[] = Object.values(FUNCTION_FIT_MODES);
export type { FitMode };

export const LOCAL_ACCOUNT_ID = '000000000000';

/** The environment variables that name the key a `local serve --require-auth` verifies signatures against. */
/**
 * Where the key a `local serve --require-auth` verifies signatures against comes from: the two variables, or a
 * file named by THUMBCTL_LOCAL_CREDENTIALS_FILE holding `{"accessKeyId": "...", "secretAccessKey": "..."}`.
 */
export const LOCAL_AUTH_ENV = {
  accessKeyId: 'THUMBCTL_LOCAL_ACCESS_KEY_ID',
  secretAccessKey: 'THUMBCTL_LOCAL_SECRET_ACCESS_KEY',
  credentialsFile: 'THUMBCTL_LOCAL_CREDENTIALS_FILE',
} as const;

/** The global options every command takes (from commander, already merged with env). */
export interface GlobalOptions {
  target?: string;
  endpointUrl?: string;
  region?: string;
  profile?: string;
  stateDir?: string;
  config?: string;
  json?: boolean;
}

/** The provisioning settings a command may override by flag. */
export interface SettingFlags {
  sourceBucket?: string;
  thumbnailBucket?: string;
  functionName?: string;
  roleName?: string;
  memory?: string | number;
  timeout?: string | number;
  runtime?: string;
  architecture?: string;
  suffixes?: string | string[];
  fit?: string;
  maxSize?: string | number;
}

export interface ConnectionSettings {
  target: Target;
  endpointUrl?: string;
  region: string;
  profile?: string;
  stateDir: string;
}

/** Everything setup needs; bucket names are filled in once the account is known. */
export interface ThumbnailerSettings {
  sourceBucket?: string;
  thumbnailBucket?: string;
  functionName: string;
  roleName: string;
  memory: number;
  timeout: number;
  runtime: string;
  architecture: Architecture;
  /** Every suffix that triggers, upper-case forms included (S3 filters are case-sensitive). */
  suffixes: string[];
  fit: FitMode;
  maxSize: number;
  /** The thumbnails made for an upload whose key names no size (config file only: a flag cannot hold a list). */
  variants: readonly Variant[];
}

export type ResolvedSettings = ThumbnailerSettings & { sourceBucket: string; thumbnailBucket: string };

type ConfigFile = Partial<Record<keyof SettingFlags | 'variants' | 'target' | 'endpointUrl' | 'region' | 'profile' | 'stateDir', unknown>>;

const usage = (message: string): UserError => new UserError(message, ExitCode.usage);

export function readConfigFile(path: string | undefined, cwd = process.cwd()): ConfigFile {
  const explicit = path !== undefined;
  const file = resolve(cwd, path ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    if (explicit) throw usage(`config file not found: ${file}`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw usage(`config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw usage(`config file ${file} must hold a JSON object`);
  return parsed as ConfigFile;
}

export function resolveConnection(options: GlobalOptions, config: ConfigFile, env = process.env): ConnectionSettings {
  const target = String(options.target ?? env.THUMBCTL_TARGET ?? config.target ?? 'local');
  if (!(TARGETS as readonly string[]).includes(target)) throw usage(`--target must be local or aws, not "${target}"`);
  const endpointUrl = (options.endpointUrl ?? (config.endpointUrl as string | undefined)) || undefined;
  if (endpointUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(endpointUrl);
    } catch {
      throw usage(`--endpoint-url is not a URL: "${endpointUrl}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`--endpoint-url must be http(s), not "${url.protocol}"`);
  }
  const region = String(options.region ?? config.region ?? (target === 'aws' ? env.AWS_REGION ?? env.AWS_DEFAULT_REGION : undefined) ?? DEFAULTS.region);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw usage(`--region is not an AWS region: "${region}"`);
  return {
    target: target as Target,
    endpointUrl,
    region,
    profile: options.profile ?? (config.profile as string | undefined),
    stateDir: resolve(String(options.stateDir ?? env.THUMBCTL_STATE_DIR ?? config.stateDir ?? DEFAULT_STATE_DIR)),
  };
}

function integerSetting(name: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(number) || number < min || number > max) {
    throw usage(`${name} must be a whole number from ${min} to ${max}, not "${String(value)}"`);
  }
  return number;
}

function pick<T>(flag: T | undefined, config: unknown, fallback: T): T {
  if (flag !== undefined) return flag;
  if (config !== undefined && config !== null) return config as T;
  return fallback;
}

/** The suffixes that trigger, each with its upper-case form: `.jpg` also gives `.JPG`. */
export function expandSuffixes(suffixes: readonly string[]): string[] {
  const all = new Set<string>();
  for (const raw of suffixes) {
    const suffix = raw.trim();
    if (!suffix) continue;
    if (!/^\.?[A-Za-z0-9]{1,10}$/.test(suffix)) throw usage(`suffix "${raw}" is not a file extension like .jpg`);
    const dotted = suffix.startsWith('.') ? suffix : `.${suffix}`;
    all.add(dotted.toLowerCase());
    all.add(dotted.toUpperCase());
  }
  if (all.size === 0) throw usage('at least one suffix must trigger the function');
  return [...all];
}

/** S3's bucket-name rules, as S3 enforces them for new buckets. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return 'may hold only lower-case letters, digits, dots and hyphens, and must start and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two dots in a row';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not look like an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-') || name.endsWith('-s3alias') || name.endsWith('--ol-s3')) return 'uses a prefix or suffix S3 reserves';
  return undefined;
}

export function resolveSettings(flags: SettingFlags, config: ConfigFile): ThumbnailerSettings {
  const functionName = String(pick(flags.functionName, config.functionName, DEFAULTS.functionName));
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(functionName)) throw usage(`function name "${functionName}" must be 1-64 letters, digits, hyphens or underscores`);
  const roleName = String(pick(flags.roleName, config.roleName, DEFAULTS.roleName));
  if (!/^[\w+=,.@-]{1,64}$/.test(roleName)) throw usage(`role name "${roleName}" must be 1-64 characters of letters, digits and +=,.@_-`);
  const memory = integerSetting('--memory (MB)', pick(flags.memory, config.memory, DEFAULTS.memory), 128, 10240);
  const timeout = integerSetting('--timeout (seconds)', pick(flags.timeout, config.timeout, DEFAULTS.timeout), 1, 900);
  const runtime = String(pick(flags.runtime, config.runtime, DEFAULTS.runtime));
  if (!/^nodejs(20|22|24)\.x$/.test(runtime)) throw usage(`runtime "${runtime}" is not supported: use nodejs20.x, nodejs22.x or nodejs24.x`);
  const architecture = String(pick(flags.architecture, config.architecture, DEFAULTS.architecture));
  if (!(ARCHITECTURES as readonly string[]).includes(architecture)) throw usage(`architecture must be x86_64 or arm64, not "${architecture}"`);
  const fit = String(pick(flags.fit, config.fit, DEFAULTS.fit));
  if (!(FIT_MODES as readonly string[]).includes(fit)) throw usage(`fit must be cover or inside, not "${fit}"`);
  const maxSize = integerSetting('max size', pick(flags.maxSize, config.maxSize, DEFAULTS.maxSize), 1, 16384);
  const rawSuffixes = pick<string | string[]>(flags.suffixes, config.suffixes, [...DEFAULTS.suffixes]);
  const suffixes = expandSuffixes(Array.isArray(rawSuffixes) ? rawSuffixes.map(String) : String(rawSuffixes).split(/[\s,]+/));
  // Checked against the maximum side and fit resolved above, exactly as the function will check them.
  const variants = resolveVariants(pick(undefined, config.variants, DEFAULTS.variants), { maxSide: maxSize, defaultFit: fit as FitMode });

  const sourceBucket = optionalBucket('source bucket', pick(flags.sourceBucket, config.sourceBucket, undefined));
  const thumbnailBucket = optionalBucket('thumbnails bucket', pick(flags.thumbnailBucket, config.thumbnailBucket, undefined));
  if (sourceBucket && sourceBucket === thumbnailBucket) {
    throw usage(`the thumbnails bucket must differ from the source bucket ("${sourceBucket}"): the function would trigger itself forever`);
  }
  return { sourceBucket, thumbnailBucket, functionName, roleName, memory, timeout, runtime, architecture: architecture as Architecture, suffixes, fit: fit as FitMode, maxSize, variants };
}

/**
 * The `variants` list of the config file, validated as the function validates THUMBNAIL_VARIANTS, so a list setup
 * deploys is one the function accepts.
 * @throws UserError (exit 2), one line naming every bad entry: `invalid variants in the config file: variants[2] ("hero"): size "0x10" has a zero side`
 */
export function resolveVariants(value: unknown, rules: VariantRules): Variant[] {
  const parsed = parseVariants(value, rules);
  if (!parsed.ok) throw usage(`invalid variants in the config file: ${parsed.problems.join('; ')}`);
  // Within the limits on entries and names, the list's JSON stays far below Lambda's 4 KB for an environment.
  return [...parsed.variants];
}

function optionalBucket(what: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const name = String(value);
  const problem = bucketNameProblem(name);
  if (problem) throw usage(`${what} "${name}" is not a valid bucket name: it ${problem}`);
  return name;
}

/** Fills in the default bucket names, unique per account and region. */
export function withBucketDefaults(settings: ThumbnailerSettings, account: string, region: string): ResolvedSettings {
  const sourceBucket = settings.sourceBucket ?? `thumbctl-source-${account}-${region}`;
  const thumbnailBucket = settings.thumbnailBucket ?? `thumbctl-thumbnails-${account}-${region}`;
  if (sourceBucket === thumbnailBucket) {
    throw usage(`the thumbnails bucket must differ from the source bucket ("${sourceBucket}"): the function would trigger itself forever`);
  }
  return { ...settings, sourceBucket, thumbnailBucket };
}
