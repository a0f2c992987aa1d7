// `thumbctl bench`: upload N copies of an image C at a time, wait for every thumbnail, and report latency,
// throughput and the function's phases against a bare sharp baseline measured in the same run. This file only
// connects the command line to cli/core/bench and prints; the work is there.
import { Option } from 'commander';
import { ExitCode, UserError } from '../output.js';
import type { ConnectionSettings } from '../core/settings.js';
import { resolveContext } from '../core/context.js';
import { BENCH_DEFAULTS } from '../core/defaults.js';
import type { BenchFlags as BenchOwnFlags } from '../core/bench/options.js';
import { defineCommand, type CommandInput } from './command.js';
import { functionDirOption, resourceFlags, resourceOptions, type ResourceFlags } from './flags.js';

export interface BenchFlags extends ResourceFlags, BenchOwnFlags {
  functionDir?: string;
  cpuShare?: string;
  memory?: string;
}

export const benchCommand = defineCommand<BenchFlags>({
  name: 'bench',
  description: 'measure end-to-end latency against a bare sharp baseline',
  options: [
    ...resourceOptions(),
    functionDirOption(),
    new Option('--image <file>', 'image to upload (default: the bundled sample)'),
    new Option('--size <WxH>', `thumbnail size (default ${BENCH_DEFAULTS.size})`),
    new Option('--count <n>', `uploads (default ${BENCH_DEFAULTS.count})`),
    new Option('--concurrency <n>', 'uploads at a time (default: cores)'),
    new Option('--imagemagick', "also time ImageMagick's convert -thumbnail on the same image (when installed)"),
    new Option(
      '--variants',
      `one upload making every configured variant (without any, a documented five) against one upload per variant; --count rounds (default ${BENCH_DEFAULTS.variantRounds})`,
    ),
    new Option('--memory <mb[,mb...]>', 'function memory in MB; several, comma-separated, sweep them (duration and cost per 1,000 at each, at Lambda\'s CPU share)'),
    new Option('--cpu-share <share>', "lambda: run the local cloud's environments at memory/1769 of a CPU, as Lambda does (needs a writable cgroup cpu controller); a --memory sweep implies it"),
  ],
  examples: [
    'thumbctl bench',
    'thumbctl bench --count 50 --concurrency 1 --size 200x150',
    'thumbctl bench --image photo.jpg --imagemagick --json',
    'thumbctl bench --variants --count 5',
    'thumbctl bench --memory 256,512,1024,1769     # duration and cost per 1,000 at each size',
  ],
  run,
});

async function run({ options, globals, output }: CommandInput<BenchFlags>): Promise<ExitCode> {
  // Every check that needs nothing started comes first (exit 2, nothing touched).
  const { parseMemoryList } = await import('../core/bench/sweep.js');
  const sizes = parseMemoryList(options.memory);
  // One size is the function's memory for this run (setup applies it); several are a sweep.
  const context = resolveContext(globals, { ...resourceFlags(options), functionDir: options.functionDir, ...(sizes || options.memory === undefined ? {} : { memory: options.memory }) });
  const { resolveBenchOptions } = await import('../core/bench/options.js');
  const { renderBenchText, renderVariantsBenchText } = await import('../core/bench/render-text.js');
  const { runBench } = await import('../core/bench/run.js');
  const benchOptions = resolveBenchOptions(options, context.settings);
  if (options.cpuShare !== undefined && options.cpuShare !== 'lambda' && options.cpuShare !== 'host') {
    throw new UserError(`--cpu-share must be lambda or host, not "${String(options.cpuShare)}"`, ExitCode.usage);
  }
  if (sizes && options.cpuShare === 'host') throw new UserError("--memory with several sizes compares them at Lambda's CPU share: drop --cpu-share host", ExitCode.usage);
  if (sizes && benchOptions.variants) throw new UserError('--variants runs at one memory size: give --memory one size', ExitCode.usage);
  const cpuShare = sizes || options.cpuShare === 'lambda' ? await lambdaCpuShare(context.connection) : undefined;
  const session = await context.open();
  try {
    if (sizes) {
      const { runMemorySweep, renderSweepText } = await import('../core/bench/sweep.js');
      const result = await runMemorySweep(
        { ...(await session.provisioning()), options: benchOptions, cloudPid: session.localCloudPid() },
        sizes,
        cpuShare ?? 'aws',
        output,
      );
      if (output.json) output.result(result);
      else output.print(renderSweepText(result));
      return result.lost > 0 ? ExitCode.failure : ExitCode.ok;
    }
    if (benchOptions.variants) {
      const { runVariantsBench } = await import('../core/bench/variants.js');
      const result = await runVariantsBench({ ...(await session.provisioning()), options: benchOptions, cloudPid: session.localCloudPid() }, output);
      if (output.json) output.result(result);
      else output.print(renderVariantsBenchText(result));
      return result.lost > 0 ? ExitCode.failure : ExitCode.ok;
    }
    const result = await runBench(
      {
        ...(await session.provisioning()),
        options: benchOptions,
        cloudPid: session.localCloudPid(),
        imagemagick: Boolean(options.imagemagick),
        ...(cpuShare === 'lambda' ? { cpuShare } : context.connection.target === 'local' && !context.connection.endpointUrl ? { cpuShare: 'host' as const } : {}),
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

/**
 * Lambda's CPU share for this run: on AWS it is Lambda's own ('aws'); locally, a running `local serve` must have
 * been started with --cpu-share lambda, and without one the cloud this command starts gets it (probed now, and
 * refused in one line where the machine cannot). A local endpoint elsewhere cannot be checked, so it is refused.
 */
async function lambdaCpuShare(connection: ConnectionSettings): Promise<'lambda' | 'aws'> {
  if (connection.target === 'aws') return 'aws';
  if (connection.endpointUrl) {
    throw new UserError(`--cpu-share lambda: cannot tell whether the local cloud at ${connection.endpointUrl} limits each environment's CPU; run it with \`thumbctl local serve --cpu-share lambda\` on this state directory`);
  }
  const { readServerRecord } = await import('../core/local-cloud.js');
  const running = readServerRecord(connection.stateDir);
  if (running) {
    if (running.cpuShare === 'lambda') return 'lambda';
    throw new UserError(
      `--cpu-share lambda: the local cloud running for ${connection.stateDir} (pid ${running.pid}) gives functions the host's full CPU; restart it with \`thumbctl local serve --cpu-share lambda\`, or stop it and bench starts its own`,
    );
  }
  const { cpuShareSetting } = await import('./local.js');
  await cpuShareSetting('lambda');
  return 'lambda';
}
