// `thumbctl upload <file> [WxH]`: upload an image, wait for its thumbnail (without a size: for every configured
// variant), report where each is and how long it took. Local checks come first (nothing is started or sent for a bad
// file or size); the work is in core/operate.
import { Option } from 'commander';
import { ExitCode, formatBytes } from '../output.js';
import { resolveContext } from '../core/context.js';
import { UPLOAD_DEFAULTS } from '../core/defaults.js';
import { defineCommand, type CommandInput } from './command.js';
import { resourceFlags, resourceOptions, type ResourceFlags } from './flags.js';

export interface UploadFlags extends ResourceFlags {
  key?: string;
  out?: string;
  /** False for --no-wait. */
  wait: boolean;
  /** How long to wait for the thumbnail, in seconds (not the function's timeout). */
  timeout?: string;
}

export const uploadCommand = defineCommand<UploadFlags>({
  name: 'upload',
  description: 'upload an image, wait for its thumbnail (or every configured variant) and report the latency',
  arguments: [
    ['<file>', 'image to upload'],
    ['[size]', 'thumbnail size as WIDTHxHEIGHT, e.g. 400x400; without it, the variants of the config file'],
  ],
  options: [
    ...resourceOptions(),
    new Option('--key <key>', 'object key to upload as (with a size it must hold it, like photo-400x400.jpg; without, like photo.jpg)'),
    new Option('--out <path>', 'download the thumbnail to this path (variants: into this directory)'),
    new Option('--no-wait', 'return right after the upload'),
    new Option('--timeout <seconds>', `how long to wait for the thumbnail (default ${UPLOAD_DEFAULTS.waitSeconds})`),
  ],
  examples: [
    'thumbctl upload photo.jpg 400x400',
    'thumbctl upload photo.jpg 640x480 --out .',
    'thumbctl upload photo.png 200x150 --key holiday-200x150.png --no-wait --json',
    'thumbctl upload photo.jpg --out thumbs/        # every variant of the config file',
  ],
  run,
});

async function run({ args, options, globals, output }: CommandInput<UploadFlags>): Promise<ExitCode> {
  const [file = '', size] = args;
  const context = resolveContext(globals, resourceFlags(options));
  const { parseSeconds } = await import('../core/operate/duration.js');
  const { PRESIGNED_URL_SECONDS, prepareUpload, uploadImage } = await import('../core/operate/upload.js');
  const timeoutMs = parseSeconds(options.timeout, UPLOAD_DEFAULTS.waitSeconds);
  const prepared = await prepareUpload(
    { file, ...(size === undefined ? {} : { size }), key: options.key, out: options.out, wait: options.wait !== false, timeoutMs },
    context.settings,
    output,
  );

  const session = await context.open();
  try {
    const resources = await session.resources();
    const { result, savedTo } = await uploadImage(session.clients, resources, prepared, output);
    if (output.json) {
      output.result(result);
      return ExitCode.ok;
    }
    if (result.variants) {
      if (result.latencyMs === null) {
        output.print(`uploaded s3://${result.sourceBucket}/${result.sourceKey}; its ${result.variants.length} variants will appear in s3://${result.thumbnailBucket}:`);
      }
      const nameWidth = Math.max(...result.variants.map((variant) => variant.name.length));
      for (const variant of result.variants) {
        const measured = variant.bytes === null ? '' : `  ${variant.width}x${variant.height}, ${formatBytes(variant.bytes)}, ${variant.contentType ?? 'unknown type'}`;
        output.print(`${variant.name.padEnd(nameWidth)}  s3://${result.thumbnailBucket}/${variant.key}${measured}`);
      }
      if (result.latencyMs === null) return ExitCode.ok;
      output.print(`latency  ${result.latencyMs} ms from the start of the upload to the last variant`);
      if (savedTo) output.print(`saved in ${savedTo}`);
      return ExitCode.ok;
    }
    if (result.latencyMs === null) {
      output.print(`uploaded s3://${result.sourceBucket}/${result.sourceKey}; the thumbnail will appear as s3://${result.thumbnailBucket}/${result.thumbnailKey}`);
      return ExitCode.ok;
    }
    output.print(`thumbnail  s3://${result.thumbnailBucket}/${result.thumbnailKey}`);
    output.print(`size       ${result.width}x${result.height}, ${formatBytes(result.bytes ?? 0)}, ${result.contentType ?? 'unknown type'}`);
    output.print(`latency    ${result.latencyMs} ms from the start of the upload to the thumbnail`);
    output.print(`url        ${result.url}`);
    if (savedTo) output.print(`saved to   ${savedTo}`);
    output.info(urlNote(session.embedded, PRESIGNED_URL_SECONDS));
    return ExitCode.ok;
  } finally {
    await session.close();
  }
}

/** The presigned URL lasts an hour on AWS; on a local cloud, only as long as that cloud runs. */
function urlNote(embedded: boolean, presignedUrlSeconds: number): string {
  if (!embedded) return `(the url is valid for ${presignedUrlSeconds / 3600} h)`;
  return '(the url points at this command\'s own local cloud, gone now: use --out to keep the thumbnail, or run `thumbctl local serve` first)';
}
