// Every setting thumbctl uses, resolved flag > environment > config file > default (the connection by AWS's own
// rules), validated before anything is touched, each with where it came from. The one place that knows bucket and
// resource names (all derived from the stack unless given). No AWS calls, no terminal; it reads only files.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FIT_MODES as FUNCTION_FIT_MODES, type FitMode } from '../../function/config.js';
import { parseVariants, type Variant, type VariantRules } from '../../function/variants.js';
import { ExitCode, UserError } from '../output.js';
import { profileRegion } from './aws-profile.js';
import { DEFAULT_CONFIG_FILE, DEFAULT_STATE_DIR, DEFAULTS } from './defaults.js';

export const TARGETS = ['local', 'aws'] as const;
export type Target = (typeof TARGETS)[number];

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** The fit modes the function accepts (THUMBNAIL_FIT), in its order. */
export const FIT_MODES: readonly FitMode[] = Object.values(FUNCTION_FIT_MODES);
export type { FitMode };

export const LOCAL_ACCOUNT_ID = '000000000000';

/** The stack thumbctl's names came from before there were stacks: its default names are today's defaults. */
export const DEFAULT_STACK = DEFAULTS.stack;

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
  /** The deployment's name: every default resource name derives from it. */
  stack?: string;
  json?: boolean;
  debug?: boolean;
  /** Where --debug's report of each setting's origin goes (the command's output); nothing is reported without it. */
  report?: (text: string) => void;
}

/** The provisioning settings a command may override by flag. */
export interface SettingFlags {
  /** --stack, a global flag: the context hands it over with the command's own. */
  stack?: string;
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
  /** A function directory (made by `thumbctl eject`) to deploy instead of the bundled function. */
  functionDir?: string;
}

/** The services thumbctl calls, each with its own endpoint. */
export const ENDPOINT_SERVICES = ['s3', 's3control', 'lambda', 'iam', 'sts', 'xray', 'logs'] as const;
export type EndpointService = (typeof ENDPOINT_SERVICES)[number];

/** AWS's service identifiers in the per-service endpoint variables, `AWS_ENDPOINT_URL_<ID>` (as the SDKs and the aws CLI read them). */
export const ENDPOINT_ENV_IDS: Readonly<Record<EndpointService, string>> = {
  s3: 'S3',
  s3control: 'S3_CONTROL',
  lambda: 'LAMBDA',
  iam: 'IAM',
  sts: 'STS',
  xray: 'XRAY',
  logs: 'CLOUDWATCH_LOGS',
};

export interface ConnectionSettings {
  target: Target;
  /** The endpoint every service shares, when one was given for all of them (--endpoint-url, AWS_ENDPOINT_URL, the config file) and no service has its own. */
  endpointUrl?: string;
  /** Each service's endpoint: given (flag, environment, config file), or undefined for the target's own (the local cloud, or AWS). */
  endpoints: Readonly<Record<EndpointService, string | undefined>>;
  region: string;
  profile?: string;
  stateDir: string;
  /** Where each of these came from, for --debug (`flag --region`, `env AWS_REGION`, `config file ...`, `default`). */
  origins: Readonly<Record<string, string>>;
}

/** Everything setup needs; bucket names are filled in once the account is known. */
export interface ThumbnailerSettings {
  /** The deployment's name (tags `thumbctl:stack`, and the default names derive from it). */
  stack: string;
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
  /** Absolute path of the function directory to package; undefined for the function bundled with thumbctl. */
  functionDir?: string;
}

export type ResolvedSettings = ThumbnailerSettings & { sourceBucket: string; thumbnailBucket: string };

export type ConfigFile = Partial<Record<keyof SettingFlags | 'variants' | 'target' | 'endpointUrl' | 'region' | 'profile' | 'stateDir', unknown>>;

const usage = (message: string): UserError => new UserError(message, ExitCode.usage);

/** The config file's absolute path: --config, else thumbctl.config.json in `cwd` (which may not exist). */
export function configFilePath(path: string | undefined, cwd = process.cwd()): string {
  return resolve(cwd, path ?? DEFAULT_CONFIG_FILE);
}

/** Which file each parsed config came from, for the origins --debug reports. */
const configSources = new WeakMap<object, string>();

/** Where a value read from this config came from: `config file <path>`. */
function configOrigin(config: ConfigFile): string {
  return `config file ${configSources.get(config) ?? DEFAULT_CONFIG_FILE}`;
}

export function readConfigFile(path: string | undefined, cwd = process.cwd()): ConfigFile {
  const explicit = path !== undefined;
  const file = configFilePath(path, cwd);
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
  configSources.set(parsed, file);
  return parsed as ConfigFile;
}

/** The first candidate that has a value, with where it came from. */
function firstOf<T>(candidates: readonly (readonly [value: T | undefined | null | '', origin: string])[], fallback: T, fallbackOrigin = 'default'): { value: T; origin: string } {
  for (const [value, origin] of candidates) {
    if (value !== undefined && value !== null && value !== '') return { value, origin };
  }
  return { value: fallback, origin: fallbackOrigin };
}

function checkEndpoint(value: string, origin: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`${describeOrigin(origin, '--endpoint-url')} is not a URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`${describeOrigin(origin, '--endpoint-url')} must be http(s), not "${url.protocol}"`);
  return value;
}

/** How an error names a setting: the flag itself, or where the bad value came from (`AWS_REGION`, the config file). */
function describeOrigin(origin: string, flag: string): string {
  if (origin.startsWith('env ')) return origin.slice(4);
  if (origin.startsWith('config file')) return `${flag} (from the ${origin})`;
  if (origin.startsWith('profile')) return `the region of ${origin}`;
  return flag;
}

/**
 * Where thumbctl works, by one rule for every command and both targets (AWS's own conventions):
 * endpoint: `--endpoint-url` > `AWS_ENDPOINT_URL_<SERVICE>` > `AWS_ENDPOINT_URL` > the config file > the target's own;
 * region: `--region` > `AWS_REGION` > `AWS_DEFAULT_REGION` > the config file > the profile's region > us-east-1;
 * profile: `--profile` > `AWS_PROFILE` > the config file. Each value's origin is kept for --debug.
 * @param readProfileRegion - the profile's region from the shared config file (a test passes its own)
 */
export function resolveConnection(
  options: GlobalOptions,
  config: ConfigFile,
  env: NodeJS.ProcessEnv = process.env,
  readProfileRegion: (profile: string | undefined, env: NodeJS.ProcessEnv) => { region: string; origin: string } | undefined = profileRegion,
): ConnectionSettings {
  const fromConfig = configOrigin(config);
  const origins: Record<string, string> = {};

  // Commander has already merged THUMBCTL_TARGET into --target; the variable is read here too for other callers.
  const target = firstOf<string>(
    [
      [options.target, env.THUMBCTL_TARGET === options.target ? 'env THUMBCTL_TARGET' : 'flag --target'],
      [env.THUMBCTL_TARGET, 'env THUMBCTL_TARGET'],
      [config.target as string, fromConfig],
    ],
    'local',
  );
  if (!(TARGETS as readonly string[]).includes(target.value)) throw usage(`${describeOrigin(target.origin, '--target')} must be local or aws, not "${target.value}"`);
  origins.target = target.origin;

  const shared = firstOf<string>([[options.endpointUrl, 'flag --endpoint-url'], [env.AWS_ENDPOINT_URL, 'env AWS_ENDPOINT_URL'], [config.endpointUrl as string, fromConfig]], '', 'target');
  const endpoints = {} as Record<EndpointService, string | undefined>;
  for (const service of ENDPOINT_SERVICES) {
    const variable = `AWS_ENDPOINT_URL_${ENDPOINT_ENV_IDS[service]}`;
    // The flag names one endpoint for everything; without it, a service's own variable beats the shared ones.
    const chosen = options.endpointUrl ? shared : firstOf<string>([[env[variable], `env ${variable}`], [shared.value, shared.origin]], '', 'target');
    endpoints[service] = chosen.value ? checkEndpoint(chosen.value, chosen.origin) : undefined;
    origins[`endpoint ${service}`] = chosen.value ? chosen.origin : `default for --target ${target.value}`;
  }
  const distinct = new Set(Object.values(endpoints));
  const endpointUrl = distinct.size === 1 ? [...distinct][0] : undefined;

  const profile = firstOf<string>([[options.profile, 'flag --profile'], [env.AWS_PROFILE, 'env AWS_PROFILE'], [config.profile as string, fromConfig]], '', 'none');
  origins.profile = profile.origin;

  const explicitRegion = firstOf<string>(
    [
      [options.region, 'flag --region'],
      [env.AWS_REGION, 'env AWS_REGION'],
      [env.AWS_DEFAULT_REGION, 'env AWS_DEFAULT_REGION'],
      [config.region === undefined ? undefined : String(config.region), fromConfig],
    ],
    '',
    'none',
  );
  const fromProfile = explicitRegion.value ? undefined : readProfileRegion(profile.value || undefined, env);
  const region = explicitRegion.value
    ? explicitRegion
    : fromProfile
      ? { value: fromProfile.region, origin: fromProfile.origin }
      : { value: DEFAULTS.region, origin: 'default' };
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region.value)) throw usage(`${describeOrigin(region.origin, '--region')} is not an AWS region: "${region.value}"`);
  origins.region = region.origin;

  const stateDir = firstOf<string>([[options.stateDir, 'flag --state-dir'], [env.THUMBCTL_STATE_DIR, 'env THUMBCTL_STATE_DIR'], [config.stateDir as string, fromConfig]], DEFAULT_STATE_DIR);
  origins.stateDir = stateDir.origin;

  return {
    target: target.value as Target,
    endpointUrl,
    endpoints,
    region: region.value,
    ...(profile.value ? { profile: profile.value } : {}),
    stateDir: resolve(String(stateDir.value)),
    origins,
  };
}

function integerSetting(name: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(number) || number < min || number > max) {
    throw usage(`${name} must be a whole number from ${min} to ${max}, not "${String(value)}"`);
  }
  return number;
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

/** The default names of a stack's resources (the buckets also need the account and region: {@link withBucketDefaults}). */
export function stackNames(stack: string): { functionName: string; roleName: string } {
  return { functionName: `${stack}-thumbnailer`, roleName: `${stack}-thumbnailer-role` };
}

/**
 * A stack name makes bucket names, so it keeps to their rules: lower-case letters, digits and hyphens, starting
 * with a letter and ending with a letter or digit, at most 24 characters (so `<stack>-thumbnails-<account>-<region>`
 * fits S3's 63 in every region).
 */
export function stackNameProblem(stack: string): string | undefined {
  if (stack.length < 1 || stack.length > MAX_STACK_LENGTH) return `must be 1 to ${MAX_STACK_LENGTH} characters long`;
  if (!/^[a-z]([a-z0-9-]*[a-z0-9])?$/.test(stack)) return 'may hold only lower-case letters, digits and hyphens, and must start with a letter and end with a letter or digit';
  if (stack.includes('--')) return 'must not contain two hyphens in a row';
  return undefined;
}

export const MAX_STACK_LENGTH = 24;

export function resolveSettings(flags: SettingFlags, config: ConfigFile, env: NodeJS.ProcessEnv = process.env): ThumbnailerSettings {
  return resolveSettingsWithOrigins(flags, config, env).settings;
}

/** resolveSettings, and where each setting came from (for --debug). */
export function resolveSettingsWithOrigins(flags: SettingFlags, config: ConfigFile, env: NodeJS.ProcessEnv = process.env): { settings: ThumbnailerSettings; origins: Record<string, string> } {
  const fromConfig = configOrigin(config);
  const origins: Record<string, string> = {};
  /** flag > config file > fallback, noting the origin under `name`. */
  const setting = <T>(name: string, flag: T | undefined, configValue: unknown, fallback: T, fallbackOrigin = 'default', flagName = name): T => {
    const chosen = firstOf<T>([[flag, `flag --${flagName}`], [configValue as T, fromConfig]], fallback, fallbackOrigin);
    origins[name] = chosen.origin;
    return chosen.value;
  };

  const stackChoice = firstOf<string>([[flags.stack, 'flag --stack'], [env.THUMBCTL_STACK, 'env THUMBCTL_STACK'], [config.stack as string, fromConfig]], DEFAULTS.stack);
  const stack = String(stackChoice.value);
  const stackProblem = stackNameProblem(stack);
  if (stackProblem) throw usage(`${describeOrigin(stackChoice.origin, '--stack')} "${stack}" is not a valid stack name: it ${stackProblem}`);
  origins.stack = stackChoice.origin;
  const derived = stackNames(stack);
  const derivedOrigin = `derived from stack "${stack}"`;

  const functionName = String(setting('functionName', flags.functionName, config.functionName, derived.functionName, derivedOrigin, 'function-name'));
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(functionName)) throw usage(`function name "${functionName}" must be 1-64 letters, digits, hyphens or underscores`);
  const roleName = String(setting('roleName', flags.roleName, config.roleName, derived.roleName, derivedOrigin, 'role-name'));
  if (!/^[\w+=,.@-]{1,64}$/.test(roleName)) throw usage(`role name "${roleName}" must be 1-64 characters of letters, digits and +=,.@_-`);
  const memory = integerSetting('--memory (MB)', setting('memory', flags.memory, config.memory, DEFAULTS.memory), 128, 10240);
  const timeout = integerSetting('--timeout (seconds)', setting('timeout', flags.timeout, config.timeout, DEFAULTS.timeout), 1, 900);
  const runtime = String(setting('runtime', flags.runtime, config.runtime, DEFAULTS.runtime));
  if (!/^nodejs(20|22|24)\.x$/.test(runtime)) throw usage(`runtime "${runtime}" is not supported: use nodejs20.x, nodejs22.x or nodejs24.x`);
  const architecture = String(setting('architecture', flags.architecture, config.architecture, DEFAULTS.architecture));
  if (!(ARCHITECTURES as readonly string[]).includes(architecture)) throw usage(`architecture must be x86_64 or arm64, not "${architecture}"`);
  const fit = String(setting('fit', flags.fit, config.fit, DEFAULTS.fit));
  if (!(FIT_MODES as readonly string[]).includes(fit)) throw usage(`fit must be cover or inside, not "${fit}"`);
  const maxSize = integerSetting('max size', setting('maxSize', flags.maxSize, config.maxSize, DEFAULTS.maxSize, 'default', 'max-size'), 1, 16384);
  const rawSuffixes = setting<string | string[]>('suffixes', flags.suffixes, config.suffixes, [...DEFAULTS.suffixes]);
  const suffixes = expandSuffixes(Array.isArray(rawSuffixes) ? rawSuffixes.map(String) : String(rawSuffixes).split(/[\s,]+/));
  // Checked against the maximum side and fit resolved above, exactly as the function will check them.
  const variants = resolveVariants(config.variants ?? DEFAULTS.variants, { maxSide: maxSize, defaultFit: fit as FitMode });

  const bucketOrigin = `derived from stack "${stack}", the account and the region`;
  const sourceBucket = optionalBucket('source bucket', setting<unknown>('sourceBucket', flags.sourceBucket, config.sourceBucket, undefined, bucketOrigin, 'source-bucket'));
  const thumbnailBucket = optionalBucket('thumbnails bucket', setting<unknown>('thumbnailBucket', flags.thumbnailBucket, config.thumbnailBucket, undefined, bucketOrigin, 'thumbnail-bucket'));
  if (sourceBucket && sourceBucket === thumbnailBucket) {
    throw usage(`the thumbnails bucket must differ from the source bucket ("${sourceBucket}"): the function would trigger itself forever`);
  }
  // Resolved here, checked where it is packaged (a missing directory must not stop `teardown` or `logs`).
  const configuredDir = config.functionDir === undefined || config.functionDir === null || config.functionDir === '' ? undefined : resolve(dirname(configSources.get(config) ?? configFilePath(undefined)), String(config.functionDir));
  const dirFromFlag = flags.functionDir !== undefined && flags.functionDir !== '';
  const functionDir = dirFromFlag ? resolve(String(flags.functionDir)) : configuredDir;
  origins.functionDir = dirFromFlag ? 'flag --function-dir' : configuredDir !== undefined ? fromConfig : 'bundled: no --function-dir, no functionDir in the config file';
  return {
    settings: { stack, sourceBucket, thumbnailBucket, functionName, roleName, memory, timeout, runtime, architecture: architecture as Architecture, suffixes, fit: fit as FitMode, maxSize, variants, ...(functionDir === undefined ? {} : { functionDir }) },
    origins,
  };
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

/** The default bucket names of a stack, unique per account and region (stack `thumbctl` gives the names thumbctl always used). */
export function defaultBucketNames(stack: string, account: string, region: string): { sourceBucket: string; thumbnailBucket: string } {
  return { sourceBucket: `${stack}-source-${account}-${region}`, thumbnailBucket: `${stack}-thumbnails-${account}-${region}` };
}

/** Fills in the default bucket names, unique per stack, account and region. */
export function withBucketDefaults(settings: ThumbnailerSettings, account: string, region: string): ResolvedSettings {
  const defaults = defaultBucketNames(settings.stack, account, region);
  for (const [name, given] of [[defaults.sourceBucket, settings.sourceBucket], [defaults.thumbnailBucket, settings.thumbnailBucket]] as const) {
    const problem = given === undefined ? bucketNameProblem(name) : undefined;
    if (problem) throw usage(`the default bucket name "${name}" (stack "${settings.stack}") ${problem}: choose a shorter --stack, or name the buckets with --source-bucket and --thumbnail-bucket`);
  }
  const sourceBucket = settings.sourceBucket ?? defaults.sourceBucket;
  const thumbnailBucket = settings.thumbnailBucket ?? defaults.thumbnailBucket;
  if (sourceBucket === thumbnailBucket) {
    throw usage(`the thumbnails bucket must differ from the source bucket ("${sourceBucket}"): the function would trigger itself forever`);
  }
  return { ...settings, sourceBucket, thumbnailBucket };
}
