// `thumbctl setup`: create or update the buckets, role, function, tracing and trigger (idempotent), or with
// --dry-run print the plan and touch nothing. The work is the provisioning core's; this file only connects
// it to the terminal.
import type { CommandContext } from '../main.js';
import { ExitCode } from '../output.js';
import type { SettingFlags } from '../core/settings.js';
import { setup } from '../core/provision/setup.js';
import { coreOptions, openTarget } from '../core/provision/target.js';
import { renderPlan, renderSetupSummary } from '../core/provision/report.js';

export async function run({ options, globals, output }: CommandContext): Promise<number> {
  const started = Date.now();
  const target = await openTarget(globals, options as SettingFlags);
  try {
    const result = await setup({ ...coreOptions(target), reporter: output, dryRun: Boolean(options.dryRun) });
    // The whole command, connection and local cloud included.
    result.durationMs = Date.now() - started;
    if (output.json) output.result(result);
    else output.print(result.dryRun ? renderPlan(result) : renderSetupSummary(result));
    return ExitCode.ok;
  } finally {
    await target.session.close();
  }
}
