// The thumbctl program: commander options for every command, and nothing else loaded up front. Each
// command's code lives in commands/<name>.ts and is imported only when that command runs, so `--help`
// and `--version` stay instant. Errors become one line and an exit code here, in one place.
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, firstLine, Output, redactSecrets, UserError } from './output.js';
import type { GlobalOptions } from './core/settings.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** What every command module receives. */
export interface CommandContext {
  args: string[];
  options: Record<string, unknown>;
  globals: GlobalOptions & { debug?: boolean };
  output: Output;
}

export type CommandModule = { run(context: CommandContext): Promise<number | void> };

const program = new Command('thumbctl')
  .description('Provision and operate an S3-triggered Lambda thumbnailer, on AWS or on a local cloud.')
  .version(version, '-V, --version')
  .addOption(new Option('--target <target>', 'where to provision: local cloud or AWS').choices(['local', 'aws']).env('THUMBCTL_TARGET'))
  .option('--endpoint-url <url>', 'send every AWS call to this endpoint (a `thumbctl local serve`, LocalStack, ...)')
  .option('--region <region>', 'AWS region (default: AWS_REGION, else us-east-1)')
  .option('--profile <profile>', 'AWS profile from the standard credential chain')
  .option('--state-dir <dir>', "the local cloud's data directory (default: .thumbctl)")
  .option('--config <file>', 'settings file (default: thumbctl.config.json if present)')
  .option('--json', 'print one JSON document on stdout for scripts')
  .option('--debug', 'print stack traces for unexpected errors')
  .showHelpAfterError('(run thumbctl --help for usage)')
  .exitOverride();

function command(name: string, description: string, moduleName = name): Command {
  return program
    .command(name)
    .description(description)
    .action(async function (this: Command) {
      await runCommand(moduleName, this);
    });
}

/** Which resources a command works on (every command that touches the thumbnailer takes these). */
function resourceFlags(cmd: Command): Command {
  return cmd
    .option('--source-bucket <name>', 'bucket that receives uploads')
    .option('--thumbnail-bucket <name>', 'bucket the thumbnails are written to')
    .option('--function-name <name>', 'Lambda function name')
    .option('--role-name <name>', "the function's IAM role");
}

/** How the function is configured (setup applies these, status compares against them). */
function settingFlags(cmd: Command): Command {
  return resourceFlags(cmd)
    .option('--memory <mb>', 'function memory in MB (default 512)')
    .option('--timeout <seconds>', 'function timeout in seconds (default 10)')
    .option('--runtime <runtime>', 'Lambda runtime (default nodejs22.x)')
    .option('--architecture <arch>', 'x86_64 or arm64 (default x86_64)')
    .option('--suffixes <list>', 'comma-separated suffixes that trigger (default .jpg,.jpeg,.png,.webp)')
    .option('--fit <mode>', 'cover (exact size, centre-cropped) or inside (whole picture)')
    .option('--max-size <pixels>', 'largest thumbnail side allowed (default 4096)');
}

settingFlags(command('setup', 'create or update the buckets, role, function, tracing and trigger (idempotent)'))
  .option('--dry-run', 'print the plan (desired vs actual) and touch nothing');
settingFlags(command('status', 'show each resource: present, absent or drifted'));
resourceFlags(command('teardown', 'delete everything setup made'))
  .option('-y, --yes', 'do not ask for confirmation');
resourceFlags(command('upload', 'upload an image, wait for its thumbnail and report the latency'))
  .argument('<file>', 'image to upload')
  .argument('<size>', 'thumbnail size as WIDTHxHEIGHT, e.g. 400x400')
  .option('--key <key>', 'object key to upload as (must hold a size, like photo-400x400.jpg)')
  .option('--out <path>', 'download the thumbnail to this path')
  .option('--no-wait', 'return right after the upload')
  .option('--timeout <seconds>', 'how long to wait for the thumbnail (default 60)');
resourceFlags(command('invoke', 'send the function a synthetic S3 event and show the result and log tail'))
  .argument('[key]', 'object key in the source bucket')
  .option('--event <file>', 'send this event file instead');
resourceFlags(command('logs', "print the function's CloudWatch Logs"))
  .option('--since <duration>', 'how far back, e.g. 10m, 2h, 1d (default 10m)')
  .option('--follow', 'keep polling for new events until Ctrl-C')
  .option('--filter <pattern>', 'CloudWatch Logs filter pattern');
resourceFlags(command('traces', 'X-Ray traces: where the time went, percentiles and the service map'))
  .option('--since <duration>', 'how far back (default 15m)')
  .option('--limit <n>', 'at most this many traces (default 50)')
  .option('--trace-id <id...>', 'draw these traces as waterfalls')
  .option('--service-map', 'draw the service map')
  .option('--html <file>', 'write a self-contained HTML report')
  .option('--wait <count>', 'poll until at least this many traces are indexed');
resourceFlags(command('bench', 'measure end-to-end latency against a bare sharp baseline'))
  .option('--image <file>', 'image to upload (default: the bundled sample)')
  .option('--size <WxH>', 'thumbnail size (default 400x400)')
  .option('--count <n>', 'uploads (default 20)')
  .option('--concurrency <n>', 'uploads at a time (default: cores)')
  .option('--imagemagick', "also time ImageMagick's convert -thumbnail on the same image (when installed)");
settingFlags(command('demo', 'run the course demo on the local cloud: setup, two uploads, the traces'));

const local = program.command('local').description('the embedded local cloud');
local
  .command('serve')
  .description('run the local cloud in the foreground (S3, Lambda, IAM, STS, X-Ray, CloudWatch Logs)')
  .option('--host <host>', 'address to bind (default 127.0.0.1)')
  .option('--port <port>', 'port to listen on (default 4566)')
  .option('--require-auth', 'verify SigV4 signatures: only THUMBCTL_LOCAL_ACCESS_KEY_ID/THUMBCTL_LOCAL_SECRET_ACCESS_KEY (set both), or the key in THUMBCTL_LOCAL_CREDENTIALS_FILE, get in')
  .option('--allow-origin <origin...>', 'let web pages from this origin (e.g. http://localhost:5173) call the local cloud, with CORS; repeatable, * for any')
  .action(async function (this: Command) {
    await runCommand('local', this);
  });

async function runCommand(moduleName: string, cmd: Command): Promise<void> {
  const globals = cmd.optsWithGlobals() as CommandContext['globals'];
  const output = await Output.create({ json: Boolean(globals.json) });
  try {
    const module = (await import(`./commands/${moduleName}.js`)) as CommandModule;
    const code = await module.run({ args: cmd.args, options: cmd.opts(), globals, output });
    process.exitCode = code ?? ExitCode.ok;
  } catch (error) {
    process.exitCode = reportError(error, output, Boolean(globals.debug));
  }
}

/** Turns any error into one line on stderr and an exit code. */
export function reportError(error: unknown, output: Output, debug: boolean): number {
  if (error instanceof UserError) {
    output.error(error.message);
    return error.exitCode;
  }
  const awsError = error as { name?: string; message?: string; $metadata?: unknown };
  if (awsError && awsError.$metadata) {
    output.error(`${awsError.name}: ${firstLine(awsError.message)}`);
    if (debug) output.info(String((error as Error).stack));
    return ExitCode.failure;
  }
  const message = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${firstLine(error.message)}` : String(error);
  output.error(`unexpected error: ${message}${debug ? '' : ' (run with --debug for details)'}`);
  if (debug && error instanceof Error) output.info(String(error.stack));
  return ExitCode.failure;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are not errors; everything else commander rejects is a usage error.
    process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : ExitCode.usage;
  } else {
    process.exitCode = ExitCode.failure;
    process.stderr.write(`thumbctl: ${redactSecrets((error as Error).message)}\n`);
  }
}
