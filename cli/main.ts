// The thumbctl program: the global flags and the list of commands, nothing else. Each command is defined in
// cli/commands/<name>.ts (its options, help, examples and run); its definition is cheap to import and what it
// runs is loaded only when it runs, so `--help` and `--version` stay instant. See commands/command.ts.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode, redactSecrets } from './output.js';
import { packagePath } from './core/paths.js';
import { registerCommand } from './commands/command.js';
import { globalOptions } from './commands/flags.js';
import { backfillCommand } from './commands/backfill.js';
import { benchCommand } from './commands/bench.js';
import { demoCommand } from './commands/demo.js';
import { devCommand } from './commands/dev.js';
import { doctorCommand } from './commands/doctor.js';
import { ejectCommand } from './commands/eject.js';
import { invokeCommand } from './commands/invoke.js';
import { localServeCommand } from './commands/local.js';
import { logsCommand } from './commands/logs.js';
import { setupCommand } from './commands/setup.js';
import { statusCommand } from './commands/status.js';
import { teardownCommand } from './commands/teardown.js';
import { tracesCommand } from './commands/traces.js';
import { uploadCommand } from './commands/upload.js';

// Read from the package root, which paths.ts finds from wherever this code runs (dist/cli/, dist/bundle/, cli/).
const { version } = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };

const program = new Command('thumbctl')
  .description('Provision and operate an S3-triggered Lambda thumbnailer, on AWS or on a local cloud.')
  .version(version, '-V, --version');
for (const option of globalOptions()) program.addOption(option);
// Set before the commands are added: they inherit both.
program.showHelpAfterError('(run thumbctl --help for usage)').exitOverride();

registerCommand(program, setupCommand);
registerCommand(program, statusCommand);
registerCommand(program, teardownCommand);
registerCommand(program, doctorCommand);
registerCommand(program, uploadCommand);
registerCommand(program, invokeCommand);
registerCommand(program, logsCommand);
registerCommand(program, tracesCommand);
registerCommand(program, backfillCommand);
registerCommand(program, benchCommand);
registerCommand(program, demoCommand);
registerCommand(program, ejectCommand);
registerCommand(program, devCommand);
registerCommand(program.command('local').description('the embedded local cloud'), localServeCommand);

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
