// `thumbctl teardown`: delete everything setup made. Asks first on a terminal (unless --yes); refuses
// without --yes when nobody is there to ask. The deleting is the provisioning core's.
import { Option } from 'commander';
import { ExitCode, UserError } from '../output.js';
import { resolveContext } from '../core/context.js';
import { defineCommand, type CommandInput } from './command.js';
import { resourceFlags, resourceOptions, type ResourceFlags } from './flags.js';

export interface TeardownFlags extends ResourceFlags {
  yes?: boolean;
}

export const teardownCommand = defineCommand<TeardownFlags>({
  name: 'teardown',
  description: 'delete everything setup made',
  options: [...resourceOptions(), new Option('-y, --yes', 'do not ask for confirmation')],
  examples: ['thumbctl teardown', 'thumbctl teardown --yes --target aws --region eu-west-1'],
  run,
});

async function run({ options, globals, output }: CommandInput<TeardownFlags>): Promise<ExitCode> {
  const started = Date.now();
  const confirmed = Boolean(options.yes);
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  if (!confirmed && !interactive) {
    throw new UserError('teardown deletes the buckets (and every object in them), the function and the role: pass --yes to confirm when not on a terminal', ExitCode.usage);
  }
  const context = resolveContext(globals, resourceFlags(options));
  const { teardown, teardownTargets } = await import('../core/provision/teardown.js');
  const { renderTeardown } = await import('../core/provision/report.js');
  const { createInterface } = await import('node:readline/promises');
  const session = await context.open();
  try {
    const provisioning = await session.provisioning();
    if (!confirmed) {
      const list = teardownTargets(provisioning.settings)
        .map((resource) => `  ${resource.type.padEnd(10)} ${resource.name}`)
        .join('\n');
      process.stderr.write(`thumbctl teardown will delete, on ${provisioning.target} (${provisioning.region}, account ${provisioning.account}):\n${list}\nThe buckets are emptied first: every object and version in them is lost.\n`);
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      let answer = '';
      try {
        answer = await prompt.question('Delete all of this? [y/N] ');
      } finally {
        prompt.close();
      }
      if (!/^y(es)?$/i.test(answer.trim())) {
        output.info('Nothing deleted.');
        return ExitCode.ok;
      }
    }
    const result = await teardown({ ...provisioning, reporter: output });
    result.durationMs = Date.now() - started;
    if (output.json) output.result(result);
    else output.print(renderTeardown(result));
    return ExitCode.ok;
  } finally {
    await session.close();
  }
}
