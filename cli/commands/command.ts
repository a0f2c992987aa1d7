// The command template: a command is a definition (name, arguments, options with their help, examples) and a
// run() that receives its flags typed. main.ts registers each definition; the code a command runs is imported
// inside its run(), so `--help` and `--version` load no AWS SDK, emulator or image library. Errors become one
// line and an exit code here, in one place. No command writes to the terminal except through Output.
import { Command, type Option } from 'commander';
import { ExitCode, firstLine, Output, UserError } from '../output.js';
import type { GlobalFlags } from './flags.js';

/** What a command's run() receives. */
export interface CommandInput<Flags> {
  /** The positional arguments, as declared. */
  args: string[];
  /** The command's own options (its flags), as commander parsed them. */
  options: Flags;
  globals: GlobalFlags;
  output: Output;
}

export interface CommandDefinition<Flags> {
  /** The name typed after `thumbctl` (after its group for a subcommand: `serve` of `local`). */
  name: string;
  description: string;
  /** Positional arguments in commander's syntax (`<file>` required, `[key]` optional), with their help. */
  arguments?: readonly (readonly [name: string, description: string])[];
  options: readonly Option[];
  /** Command lines shown under "Examples:" in the command's --help. */
  examples: readonly string[];
  /** Checks, connects, works and prints; returns the exit code. Imports what it runs here, not at the top of its file. */
  run(input: CommandInput<Flags>): Promise<ExitCode>;
}

/** Identity at run time; it types `run`'s flags from the definition's type parameter. */
export function defineCommand<Flags>(definition: CommandDefinition<Flags>): CommandDefinition<Flags> {
  return definition;
}

/** Adds a command to `parent` (the program, or a group such as `local`). */
export function registerCommand<Flags>(parent: Command, definition: CommandDefinition<Flags>): Command {
  const command = parent.command(definition.name).description(definition.description);
  for (const [name, description] of definition.arguments ?? []) command.argument(name, description);
  for (const option of definition.options) command.addOption(option);
  command.addHelpText('after', `\nExamples:\n${definition.examples.map((line) => `  $ ${line}`).join('\n')}`);
  command.action(async function (this: Command) {
    await runCommand(definition, this);
  });
  return command;
}

async function runCommand<Flags>(definition: CommandDefinition<Flags>, command: Command): Promise<void> {
  const parsed = command.optsWithGlobals<GlobalFlags>();
  const output = await Output.create({ json: Boolean(parsed.json) });
  // With --debug, the context reports where each setting came from (flag, environment, config file, profile, default).
  const globals: GlobalFlags = parsed.debug ? { ...parsed, report: (text) => output.debug(text) } : parsed;
  try {
    process.exitCode = await definition.run({ args: command.args, options: command.opts<Flags & Record<string, unknown>>(), globals, output });
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
