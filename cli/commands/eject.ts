// `thumbctl eject [DIR]`: copy the function's sources into your project to change them; setup, status, bench and
// dev deploy that copy from then on (functionDir in the config file). The work is cli/core/develop/eject.ts.
import { resolve } from 'node:path';
import { ExitCode } from '../output.js';
import { EJECT_DEFAULTS } from '../core/defaults.js';
import { configFilePath } from '../core/settings.js';
import { defineCommand, type CommandInput } from './command.js';

export type EjectFlags = Record<string, never>;

export const ejectCommand = defineCommand<EjectFlags>({
  name: 'eject',
  description: "copy the function's sources into your project to change them (setup, status, bench and dev then deploy that copy)",
  arguments: [['[dir]', `where to copy them: a new or empty directory (default ./${EJECT_DEFAULTS.directory}/)`]],
  options: [],
  examples: ['thumbctl eject', 'thumbctl eject functions/thumbnailer', 'thumbctl eject --config deploy/thumbctl.json --json'],
  run,
});

async function run({ args, globals, output }: CommandInput<EjectFlags>): Promise<ExitCode> {
  const directory = resolve(args[0] ?? EJECT_DEFAULTS.directory);
  const configFile = configFilePath(globals.config);
  const { ejectFunction } = await import('../core/develop/eject.js');
  const result = await ejectFunction({ directory, configFile });
  if (output.json) {
    output.result(result);
    return ExitCode.ok;
  }
  const shown = result.functionDir;
  output.print(`✔ copied the function to ${shown}/: ${result.files.join(', ')}`);
  output.print(`✔ ${result.configCreated ? 'created' : 'updated'} ${configFile}: functionDir is "${shown}"`);
  output.print(`next: change ${shown}/thumbnail.ts, then \`thumbctl dev\` to see each save run, or \`thumbctl setup\` to deploy it`);
  output.print(`(\`npm install\` in ${shown}/ for your editor's types; thumbctl builds it without)`);
  return ExitCode.ok;
}
