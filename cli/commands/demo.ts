// `thumbctl demo`: the newcomer's first command. The course demo on the local cloud: setup, the bundled canyon
// photo uploaded at two sizes, their dimensions and latencies, the X-Ray summary, and what to try next.
// Always the local cloud (of --state-dir, or --endpoint-url): it never touches an AWS account.
import { dirname, relative } from 'node:path';
import { ExitCode, formatBytes } from '../output.js';
import { resolveContext } from '../core/context.js';
import { SERVE_DEFAULTS } from '../core/defaults.js';
import { defineCommand, type CommandInput } from './command.js';
import { settingFlags, settingOptions, type FunctionSettingFlags } from './flags.js';

export type DemoFlags = FunctionSettingFlags;

export const demoCommand = defineCommand<DemoFlags>({
  name: 'demo',
  description: 'run the course demo on the local cloud: setup, two uploads, the traces',
  options: settingOptions(),
  examples: ['thumbctl demo', 'thumbctl demo --state-dir /tmp/thumbctl-demo --fit inside'],
  run,
});

async function run({ options, globals, output }: CommandInput<DemoFlags>): Promise<ExitCode> {
  if (globals.target === 'aws') output.warn('the demo runs on the local cloud only; for your AWS account use `thumbctl setup --target aws`');
  const context = resolveContext({ ...globals, target: 'local' }, settingFlags(options));
  const { runDemo } = await import('../core/operate/demo.js');
  const { renderSummary, renderTraceTable } = await import('../core/traces/render-text.js');
  const session = await context.open();
  try {
    const provisioning = await session.provisioning();
    output.info(`thumbctl demo: the course's S3-triggered Lambda thumbnailer, on the local cloud (state in ${shortPath(session.connection.stateDir)})\n`);
    const result = await runDemo(
      { ...provisioning, stateDir: session.connection.stateDir },
      output,
    );
    if (output.json) {
      output.result(result);
      return ExitCode.ok;
    }

    output.print('');
    output.print('Thumbnails');
    for (const upload of result.uploads) {
      const start = upload.coldStart === null ? '' : upload.coldStart ? '  (cold start)' : '  (warm)';
      output.print(
        `  ${upload.thumbnailKey.padEnd(22)} ${`${upload.width}x${upload.height}`.padStart(9)}  ${formatBytes(upload.bytes ?? 0).padStart(8)}  ${String(upload.latencyMs).padStart(7)} ms upload to thumbnail${start}`,
      );
    }
    const saved = result.uploads.find((upload) => upload.savedTo)?.savedTo;
    if (saved) output.print(`  saved in ${shortPath(dirname(saved))}/`);
    output.print('');
    output.print('Traces (X-Ray)');
    output.print(indent(renderTraceTable(result.traces.traces)));
    output.print('');
    output.print(indent(renderSummary(result.traces.summary)));
    for (const note of result.traces.notes) output.info(`note: ${note}`);
    output.print('');
    output.print(`Done in ${(result.durationMs / 1000).toFixed(1)} s. Try next:`);
    output.print('  thumbctl upload photo.jpg 640x480 --out .   your own picture (any JPEG, PNG or WebP)');
    output.print('  thumbctl traces --service-map               where the time went, and the service map');
    output.print('  thumbctl logs --since 10m                   what the function said');
    output.print(`  thumbctl local serve                        the local cloud on ${SERVE_DEFAULTS.host}:${SERVE_DEFAULTS.port}; in another terminal:`);
    output.print(`    aws --endpoint-url http://${SERVE_DEFAULTS.host}:${SERVE_DEFAULTS.port} s3 ls    (any access key works)`);
    output.print('  thumbctl setup --target aws                 the same thumbnailer on your AWS account');
    return ExitCode.ok;
  } finally {
    await session.close();
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** A path relative to the working directory when that is shorter. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && rel.length < path.length ? rel : path;
}
