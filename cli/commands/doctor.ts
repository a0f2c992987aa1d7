// `thumbctl doctor`: read-only checks of a deployment, on either target, each a line with ok / warn / fail and the
// fix; --canary also uploads the bundled photo once, end to end. Exits 4 when any check fails (warnings do not).
// The checks are the provisioning core's (core/provision/doctor.ts); this file only connects them to the terminal.
import { join } from 'node:path';
import { Option } from 'commander';
import { ExitCode } from '../output.js';
import { resolveContext } from '../core/context.js';
import { defineCommand, type CommandInput } from './command.js';
import { settingFlags, settingOptions, type FunctionSettingFlags } from './flags.js';

export interface DoctorFlags extends FunctionSettingFlags {
  canary?: boolean;
}

export const doctorCommand = defineCommand<DoctorFlags>({
  name: 'doctor',
  description: 'check the deployment, read-only: credentials, region, least-privilege role, tracing, trigger, runtime, architecture (exit 4 when a check fails)',
  options: [...settingOptions(), new Option('--canary', 'also upload the bundled photo once and wait for its thumbnail')],
  examples: ['thumbctl doctor', 'thumbctl doctor --target aws --profile prod --json', 'thumbctl doctor --canary --stack alice'],
  run,
});

async function run({ options, globals, output }: CommandInput<DoctorFlags>): Promise<ExitCode> {
  const started = Date.now();
  const context = resolveContext(globals, settingFlags(options));
  const { doctor } = await import('../core/provision/doctor.js');
  const { renderDoctor } = await import('../core/provision/report.js');
  const session = await context.open();
  try {
    const { connection } = session;
    const result = await doctor({
      clients: session.clients,
      settings: session.settings,
      region: connection.region,
      target: connection.target,
      reporter: output,
      canary: Boolean(options.canary),
      cacheDir: join(connection.stateDir, 'cache'),
      ...(connection.origins.region ? { regionOrigin: connection.origins.region } : {}),
    });
    result.durationMs = Date.now() - started;
    if (output.json) output.result(result);
    else output.print(renderDoctor(result));
    return result.summary.fail > 0 ? ExitCode.drift : ExitCode.ok;
  } finally {
    await session.close();
  }
}
