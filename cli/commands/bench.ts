// `thumbctl bench`: upload N copies of an image C at a time, wait for every thumbnail, and report latency,
// throughput and the function's phases against a bare sharp baseline measured in the same run. This file only
// connects the command line to cli/core/bench and prints; the work is there.
import type { CommandContext } from '../main.js';
import { ExitCode } from '../output.js';
import { readServerRecord } from '../core/local-cloud.js';
import { coreOptions, openTarget } from '../core/provision/target.js';
import { readConfigFile, resolveSettings, type SettingFlags } from '../core/settings.js';
import { resolveBenchOptions } from '../core/bench/options.js';
import { renderBenchText } from '../core/bench/render-text.js';
import { runBench } from '../core/bench/run.js';

export async function run({ options, globals, output }: CommandContext): Promise<number> {
  // Every check that needs nothing started comes first (exit 2, nothing touched).
  const benchOptions = resolveBenchOptions(options, resolveSettings(options as SettingFlags, readConfigFile(globals.config)));
  const target = await openTarget(globals, options as SettingFlags);
  const { session } = target;
  try {
    const result = await runBench(
      {
        ...coreOptions(target),
        options: benchOptions,
        cloudPid: cloudProcess(session.connection.target, session.connection.stateDir, session.endpoint, Boolean(session.connection.endpointUrl)),
        imagemagick: Boolean(options.imagemagick),
      },
      output,
    );
    if (output.json) output.result(result);
    else output.print(renderBenchText(result));
    return result.lost > 0 ? ExitCode.failure : ExitCode.ok;
  } finally {
    await session.close();
  }
}

/** Which process runs the local cloud: a `local serve` of the state directory, else this one (embedded). */
function cloudProcess(target: string, stateDir: string, endpoint: string | undefined, explicitEndpoint: boolean): number | null {
  if (target !== 'local' && !explicitEndpoint) return null;
  const record = readServerRecord(stateDir);
  if (record && record.endpoint === endpoint) return record.pid;
  return target === 'local' && !explicitEndpoint ? process.pid : null;
}
