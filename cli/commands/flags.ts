// The flags several commands share, declared once with their help (each default quoted from core/defaults.ts):
// the global flags, the resource names, and the function's settings; and the pickers that hand a command's
// parsed flags to the context. A command's own flags are declared in its own file.
import { Option } from 'commander';
import { DEFAULT_CONFIG_FILE, DEFAULT_STATE_DIR, DEFAULTS } from '../core/defaults.js';
import { ARCHITECTURES, TARGETS, type GlobalOptions, type SettingFlags } from '../core/settings.js';

/** The global flags as commander parses them (THUMBCTL_TARGET already merged into `target`). */
export type GlobalFlags = GlobalOptions;

/** The resources a command works on. */
export interface ResourceFlags {
  sourceBucket?: string;
  thumbnailBucket?: string;
  functionName?: string;
  roleName?: string;
}

/** The resources and how the function is configured (setup applies these, status compares against them). */
export interface FunctionSettingFlags extends ResourceFlags {
  memory?: string;
  timeout?: string;
  runtime?: string;
  architecture?: string;
  suffixes?: string;
  fit?: string;
  maxSize?: string;
  functionDir?: string;
}

/** Every command takes these, before or after its name. */
export function globalOptions(): Option[] {
  return [
    new Option('--target <target>', 'where to provision: local cloud or AWS').choices(TARGETS).env('THUMBCTL_TARGET'),
    new Option('--endpoint-url <url>', "send every AWS call to this endpoint (a `thumbctl local serve`, LocalStack, ...); default: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, else the target's own"),
    new Option('--region <region>', `AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else ${DEFAULTS.region})`),
    new Option('--profile <profile>', 'AWS profile from the standard credential chain (default: AWS_PROFILE)'),
    new Option('--stack <name>', `name of this deployment: the default resource names derive from it, so several can share an account (default: THUMBCTL_STACK, else ${DEFAULTS.stack})`),
    new Option('--state-dir <dir>', `the local cloud's data directory (default: ${DEFAULT_STATE_DIR})`),
    new Option('--config <file>', `settings file (default: ${DEFAULT_CONFIG_FILE} if present)`),
    new Option('--json', 'print one JSON document on stdout for scripts'),
    new Option('--debug', 'say where each setting came from, and print stack traces for unexpected errors'),
  ];
}

/** Which resources a command works on (every command that touches the thumbnailer takes these). */
export function resourceOptions(): Option[] {
  return [
    new Option('--source-bucket <name>', 'bucket that receives uploads'),
    new Option('--thumbnail-bucket <name>', 'bucket the thumbnails are written to'),
    new Option('--function-name <name>', 'Lambda function name'),
    new Option('--role-name <name>', "the function's IAM role"),
  ];
}

/** The resources and how the function is configured. */
export function settingOptions(): Option[] {
  return [
    ...resourceOptions(),
    new Option('--memory <mb>', `function memory in MB (default ${DEFAULTS.memory})`),
    new Option('--timeout <seconds>', `function timeout in seconds (default ${DEFAULTS.timeout})`),
    new Option('--runtime <runtime>', `Lambda runtime (default ${DEFAULTS.runtime})`),
    new Option('--architecture <arch>', `${ARCHITECTURES.join(' or ')} (default ${DEFAULTS.architecture})`),
    suffixesOption(),
    new Option('--fit <mode>', 'cover (exact size, centre-cropped) or inside (whole picture)'),
    new Option('--max-size <pixels>', `largest thumbnail side allowed (default ${DEFAULTS.maxSize})`),
    functionDirOption(),
  ];
}

/** Which object keys trigger the function. */
export function suffixesOption(): Option {
  return new Option('--suffixes <list>', `comma-separated suffixes that trigger (default ${DEFAULTS.suffixes.join(',')})`);
}

/** Which function to package: a directory made by `thumbctl eject` (setup, status, bench and dev take it). */
export function functionDirOption(): Option {
  return new Option('--function-dir <dir>', 'deploy the function in this directory (default: functionDir in the config file, else the bundled function)');
}

/** Only the resource names reach the settings: a command's own flags (upload's --timeout is its wait) stay out. */
export function resourceFlags(flags: ResourceFlags): SettingFlags {
  return { sourceBucket: flags.sourceBucket, thumbnailBucket: flags.thumbnailBucket, functionName: flags.functionName, roleName: flags.roleName };
}

/** The resource names and the function's settings. */
export function settingFlags(flags: FunctionSettingFlags): SettingFlags {
  return {
    ...resourceFlags(flags),
    memory: flags.memory,
    timeout: flags.timeout,
    runtime: flags.runtime,
    architecture: flags.architecture,
    suffixes: flags.suffixes,
    fit: flags.fit,
    maxSize: flags.maxSize,
    functionDir: flags.functionDir,
  };
}
