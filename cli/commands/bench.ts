// `thumbctl bench`: upload N copies of an image C at a time, wait for every thumbnail, and report latency,
// throughput and the function's phases against a bare sharp baseline measured in the same run. This file only
// connects the command line to cli/core/bench and prints; the work is there.
import { Option } from 'commander';
import { ExitCode } from '../output.js';
import { resolveContext } from '../core/context.js';
import { BENCH_DEFAULTS } from '../core/defaults.js';
import type { BenchFlags as BenchOwnFlags } from '../core/bench/options.js';
import { defineCommand, type CommandInput } from './command.js';
import { resourceFlags, resourceOptions, type ResourceFlags } from './flags.js';

export interface BenchFlags extends ResourceFlags, BenchOwnFlags {}

export const benchCommand = defineCommand<BenchFlags>({
  name: 'bench',
  description: 'measure end-to-end latency against a bare sharp baseline',
  options: [
    ...resourceOptions(),
    new Option('--image <file>', 'image to upload (default: the bundled sample)'),
    new Option('--size <WxH>', `thumbnail size (default ${BENCH_DEFAULTS.size})`),
    new Option('--count <n>', `uploads (default ${BENCH_DEFAULTS.count})`),
    new Option('--concurrency <n>', 'uploads at a time (default: cores)'),
    new Option('--imagemagick', "also time ImageMagick's convert -thumbnail on the same image (when installed)"),
    new Option(
      '--variants',
      `one upload making every configured variant (without any, a documented five) against one upload per variant; --count rounds (default ${BENCH_DEFAULTS.variantRounds})`,
    ),
  ],
  examples: [
    'thumbctl bench',
    'thumbctl bench --count 50 --concurrency 1 --size 200x150',
    'thumbctl bench --image photo.jpg --imagemagick --json',
    'thumbctl bench --variants --count 5',
  ],
  run,
});

async function run({ options, globals, output }: CommandInput<BenchFlags>): Promise<ExitCode> {
  // Every check that needs nothing started comes first (exit 2, nothing touched).
  const context = resolveContext(globals, resourceFlags(options));
  const { resolveBenchOptions } = await import('../core/bench/options.js');
  const { renderBenchText, renderVariantsBenchText } = await import('../core/bench/render-text.js');
  const { runBench } = await import('../core/bench/run.js');
  const benchOptions = resolveBenchOptions(options, context.settings);
  const session = await context.open();
  try {
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
