// `thumbctl teardown`: delete what this stack created, and only that: ownership is read from the resources' tags;
// an adopted bucket keeps its objects (--delete-thumbnails removes the thumbnails our function wrote to it) and
// whatever carries no thumbctl tag is kept and listed with the reason. --force deletes those untagged ones too and
// always asks on a terminal, --yes or not; --yes never implies it. Without a terminal, --yes confirms. The deleting
// is the provisioning core's.
import { Option } from 'commander';
import { ExitCode, UserError } from '../output.js';
import { resolveContext } from '../core/context.js';
import { defineCommand, type CommandInput } from './command.js';
import { resourceFlags, resourceOptions, type ResourceFlags } from './flags.js';

export interface TeardownFlags extends ResourceFlags {
  yes?: boolean;
  force?: boolean;
  deleteThumbnails?: boolean;
}

export const teardownCommand = defineCommand<TeardownFlags>({
  name: 'teardown',
  description: 'delete what setup created for this stack (resources thumbctl did not create are kept)',
  options: [
    ...resourceOptions(),
    new Option('-y, --yes', 'do not ask for confirmation (does not imply --force)'),
    new Option('--force', 'also delete what carries no thumbctl tag at all (never another stack\'s or an adopted bucket); asks on a terminal even with --yes'),
    new Option('--delete-thumbnails', 'from an adopted thumbnails bucket, also delete the thumbnails this stack\'s function wrote (nothing else)'),
  ],
  examples: ['thumbctl teardown', 'thumbctl teardown --yes --target aws --region eu-west-1', 'thumbctl teardown --yes --delete-thumbnails --stack alice', 'thumbctl teardown --force        # a deployment made before thumbctl tagged its resources'],
  run,
});

async function run({ options, globals, output }: CommandInput<TeardownFlags>): Promise<ExitCode> {
  const started = Date.now();
  const confirmed = Boolean(options.yes);
  const force = Boolean(options.force);
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  if (!confirmed && !interactive) {
    throw new UserError('teardown deletes the buckets thumbctl created (and every object in them), the function and the role: pass --yes to confirm when not on a terminal', ExitCode.usage);
  }
  const context = resolveContext(globals, resourceFlags(options));
  const { planTeardown, teardown } = await import('../core/provision/teardown.js');
  const { renderTeardown } = await import('../core/provision/report.js');
  const { createInterface } = await import('node:readline/promises');
  const session = await context.open();
  try {
    const provisioning = await session.provisioning();
    // --force always asks on a terminal: it deletes what thumbctl cannot prove it made.
    if (interactive && (!confirmed || force)) {
      const plan = await planTeardown(provisioning.clients, provisioning.settings, { account: provisioning.account, region: provisioning.region }, force);
      const lines = plan.resources
        .filter((entry) => entry.decision.action !== 'absent')
        .map((entry) => {
          const kind = entry.kind.padEnd(10);
          if (entry.decision.action === 'keep') return `  keep     ${kind} ${entry.name}: ${entry.decision.reason}`;
          if (entry.decision.action === 'release') return `  keep     ${kind} ${entry.name}: adopted, kept with its objects (only thumbctl's tags and trigger removed${options.deleteThumbnails && entry.purpose === 'thumbnails' ? ", and the thumbnails the function wrote" : ''})`;
          const untagged = entry.owner === 'untagged' ? '   <- NOT tagged as thumbctl\'s: deleted only because of --force' : '';
          return `  DELETE   ${kind} ${entry.name}${entry.kind === 'bucket' ? ' (emptied first: every object and version)' : ''}${untagged}`;
        });
      process.stderr.write(
        `thumbctl teardown, stack ${provisioning.settings.stack}, on ${provisioning.target} (${provisioning.region}, account ${provisioning.account}):\n${lines.join('\n') || '  nothing is there'}\n` +
          '(with the function go its S3 permission and trigger; with the role its policies)\n',
      );
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      let answer = '';
      try {
        answer = await prompt.question(force ? 'Delete all of this, the untagged resources too? [y/N] ' : 'Delete all of this? [y/N] ');
      } finally {
        prompt.close();
      }
      if (!/^y(es)?$/i.test(answer.trim())) {
        output.info('Nothing deleted.');
        return ExitCode.ok;
      }
    }
    const result = await teardown({ ...provisioning, reporter: output, force, deleteThumbnails: Boolean(options.deleteThumbnails) });
    result.durationMs = Date.now() - started;
    if (output.json) output.result(result);
    else output.print(renderTeardown(result));
    return ExitCode.ok;
  } finally {
    await session.close();
  }
}
