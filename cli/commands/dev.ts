// `thumbctl dev`: set up on the local cloud if needed, then on each save of the function rebuild, redeploy and
// replay the last upload, one line per build (--json: one object per line). Ctrl-C leaves the cloud and the last
// good deployment as they are. This file connects the command line to cli/core/develop/dev.ts and prints.
import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { Option } from 'commander';
import { ExitCode, UserError } from '../output.js';
import { resolveContext } from '../core/context.js';
import { DEV_DEFAULTS } from '../core/defaults.js';
import { defineCommand, type CommandInput } from './command.js';
import { settingFlags, settingOptions, type FunctionSettingFlags } from './flags.js';

export interface DevFlags extends FunctionSettingFlags {
  /** false for --no-replay. */
  replay?: boolean;
  image?: string;
  size?: string;
}

export const devCommand = defineCommand<DevFlags>({
  name: 'dev',
  description: 'on each save of the function: rebuild, redeploy to the local cloud and replay the last upload',
  options: [
    ...settingOptions(),
    new Option('--no-replay', 'build and deploy only; run nothing'),
    new Option('--image <file>', 'replay this image (uploaded once at start) instead of the last upload'),
    new Option('--size <WxH>', `the thumbnail size for --image (default ${DEV_DEFAULTS.size})`),
  ],
  examples: ['thumbctl dev', 'thumbctl dev --image photo.jpg --size 200x150', 'thumbctl dev --function-dir thumbnailer --json'],
  run,
});

async function run({ options, globals, output }: CommandInput<DevFlags>): Promise<ExitCode> {
  const replay = options.replay !== false;
  if (!replay && (options.image !== undefined || options.size !== undefined)) throw new UserError('--image and --size choose what to replay: drop them or --no-replay', ExitCode.usage);
  const context = resolveContext(globals, settingFlags(options));
  if (context.connection.target !== 'local') {
    throw new UserError('dev runs on the local cloud only; to deploy the same function to AWS run `thumbctl setup --target aws`', ExitCode.usage);
  }
  if (options.size !== undefined) {
    const { parseThumbnailSize } = await import('../core/operate/size.js');
    parseThumbnailSize(options.size, context.settings.maxSize);
  }
  if (options.image !== undefined && !(await stat(options.image).catch(() => undefined))?.isFile()) {
    throw new UserError(`--image: file not found: ${options.image}`, ExitCode.usage);
  }
  const { runDev } = await import('../core/develop/dev.js');
  const { renderBuildDetails, renderBuildLine, renderStart } = await import('../core/develop/render.js');
  const paint = output.interactive ? output.paint.bind(output) : undefined;

  // Ctrl-C (or SIGTERM) ends the loop; a second one ends the process at once (Node's default).
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const session = await context.open();
  try {
    await runDev(
      { ...(await session.provisioning()), replay, choice: { image: options.image, size: options.size }, signal: stop.signal },
      {
        started(start) {
          const shown = relative(process.cwd(), start.functionDir) || '.';
          const lines = renderStart(start, shown.startsWith('..') ? start.functionDir : `${shown}/`);
          // Under --json too (on stderr): whoever drives dev knows when saves start to count.
          for (const line of lines) output.notice(line);
        },
        built(build, replayRun) {
          if (output.json) return output.jsonLine(build);
          output.print(renderBuildLine(build, paint));
          for (const line of renderBuildDetails(build, replayRun, paint)) output.print(line);
        },
        warn: (message) => output.warn(message),
      },
      output,
    );
    return ExitCode.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await session.close();
  }
}
