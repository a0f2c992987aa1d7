// `thumbctl teardown`: delete everything setup made. Asks first on a terminal (unless --yes); refuses
// without --yes when nobody is there to ask. The deleting is the provisioning core's.
import { createInterface } from 'node:readline/promises';
import type { CommandContext } from '../main.js';
import { ExitCode, UserError } from '../output.js';
import type { SettingFlags } from '../core/settings.js';
import { teardown, teardownTargets } from '../core/provision/teardown.js';
import { coreOptions, openTarget } from '../core/provision/target.js';
import { renderTeardown } from '../core/provision/report.js';

export async function run({ options, globals, output }: CommandContext): Promise<number> {
  const started = Date.now();
  const confirmed = Boolean(options.yes);
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  if (!confirmed && !interactive) {
    throw new UserError('teardown deletes the buckets (and every object in them), the function and the role: pass --yes to confirm when not on a terminal', ExitCode.usage);
  }
  const target = await openTarget(globals, options as SettingFlags);
  try {
    if (!confirmed) {
      const list = teardownTargets(target.settings)
        .map((resource) => `  ${resource.type.padEnd(10)} ${resource.name}`)
        .join('\n');
      process.stderr.write(`thumbctl teardown will delete, on ${target.session.connection.target} (${target.region}, account ${target.account}):\n${list}\nThe buckets are emptied first: every object and version in them is lost.\n`);
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
    const result = await teardown({ ...coreOptions(target), reporter: output });
    result.durationMs = Date.now() - started;
    if (output.json) output.result(result);
    else output.print(renderTeardown(result));
    return ExitCode.ok;
  } finally {
    await target.session.close();
  }
}
