// `thumbctl setup`: create or update the buckets, role, function, tracing and trigger (idempotent), or with
// --dry-run print the plan and touch nothing (exit 4 when there is something to do). Takes over nothing it did
// not create unless told (--adopt-bucket). The work is the provisioning core's; this file only connects
// it to the terminal.
import { Option } from 'commander';
import { ExitCode } from '../output.js';
import { resolveContext } from '../core/context.js';
import { defineCommand, type CommandInput } from './command.js';
import { settingFlags, settingOptions, type FunctionSettingFlags } from './flags.js';

export interface SetupFlags extends FunctionSettingFlags {
  dryRun?: boolean;
  adoptBucket?: string[];
}

export const setupCommand = defineCommand<SetupFlags>({
  name: 'setup',
  description: 'create or update the buckets, role, function, tracing and trigger (idempotent)',
  options: [
    ...settingOptions(),
    new Option('--dry-run', 'print the plan (desired vs actual) and touch nothing; exit 4 when setup would change something'),
    new Option('--adopt-bucket <name...>', 'use this existing bucket, which thumbctl did not create: recorded as adopted (tag thumbctl:adopted), so teardown keeps it and its objects; repeatable'),
  ],
  examples: [
    'thumbctl setup',
    'thumbctl setup --dry-run --memory 1024 --timeout 30',
    'thumbctl setup --target aws --region eu-west-1 --json',
    'thumbctl setup --target aws --stack alice                      # alice-source-<account>-<region>, alice-thumbnailer, ...',
    'thumbctl setup --source-bucket my-photos --adopt-bucket my-photos',
  ],
  run,
});

async function run({ options, globals, output }: CommandInput<SetupFlags>): Promise<ExitCode> {
  const started = Date.now();
  const context = resolveContext(globals, settingFlags(options));
  const { setup } = await import('../core/provision/setup.js');
  const { renderPlan, renderSetupSummary } = await import('../core/provision/report.js');
  const session = await context.open();
  try {
    const adoptBuckets = options.adoptBucket === undefined ? [] : [options.adoptBucket].flat().map(String);
    const result = await setup({ ...(await session.provisioning()), reporter: output, dryRun: Boolean(options.dryRun), adoptBuckets, localNodeRuntime: session.localCloudPid() !== null });
    // The whole command, connection and local cloud included.
    result.durationMs = Date.now() - started;
    if (output.json) output.result(result);
    else output.print(result.dryRun ? renderPlan(result) : renderSetupSummary(result));
    const { plannedChanges } = await import('../core/provision/report.js');
    return result.dryRun && plannedChanges(result) > 0 ? ExitCode.drift : ExitCode.ok;
  } finally {
    await session.close();
  }
}
