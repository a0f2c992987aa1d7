// `thumbctl status`: each resource present, absent or drifted, and who owns it, as a table (or --json). Read-only.
// Exits 0 when everything is present and as desired, 4 when anything is absent or drifted.
import { ExitCode } from '../output.js';
import { resolveContext } from '../core/context.js';
import { defineCommand, type CommandInput } from './command.js';
import { settingFlags, settingOptions, type FunctionSettingFlags } from './flags.js';

export type StatusFlags = FunctionSettingFlags;

export const statusCommand = defineCommand<StatusFlags>({
  name: 'status',
  description: 'show each resource: present, absent or drifted (exit 4 unless everything is present and as desired)',
  options: settingOptions(),
  examples: ['thumbctl status', 'thumbctl status --memory 1024        # drifted unless the function has 1024 MB', 'thumbctl status --target aws --profile prod --json'],
  run,
});

async function run({ options, globals, output }: CommandInput<StatusFlags>): Promise<ExitCode> {
  const started = Date.now();
  const context = resolveContext(globals, settingFlags(options));
  const { status } = await import('../core/provision/status.js');
  const { renderStatus } = await import('../core/provision/report.js');
  const session = await context.open();
  try {
    const result = await status({ ...(await session.provisioning()), reporter: output, localNodeRuntime: session.localCloudPid() !== null });
    result.durationMs = Date.now() - started;
    if (output.json) output.result(result);
    else output.print(renderStatus(result));
    return result.inSync ? ExitCode.ok : ExitCode.drift;
  } finally {
    await session.close();
  }
}
