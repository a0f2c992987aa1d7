// `thumbctl status`: each resource present, absent or drifted, as a table (or --json). Read-only.
import type { CommandContext } from '../main.js';
import { ExitCode } from '../output.js';
import type { SettingFlags } from '../core/settings.js';
import { status } from '../core/provision/status.js';
import { coreOptions, openTarget } from '../core/provision/target.js';
import { renderStatus } from '../core/provision/report.js';

export async function run({ options, globals, output }: CommandContext): Promise<number> {
  const started = Date.now();
  const target = await openTarget(globals, options as SettingFlags);
  try {
    const result = await status({ ...coreOptions(target), reporter: output });
    result.durationMs = Date.now() - started;
    if (output.json) output.result(result);
    else output.print(renderStatus(result));
    return ExitCode.ok;
  } finally {
    await target.session.close();
  }
}
