// `thumbctl upload <file> <WxH>`: upload an image, wait for its thumbnail, report where it is and how long it
// took. Local checks come first (nothing is started or sent for a bad file or size); the work is in core/operate.
import type { CommandContext } from '../main.js';
import { ExitCode, formatBytes } from '../output.js';
import { readServerRecord } from '../core/local-cloud.js';
import { openSession } from '../core/session.js';
import { readConfigFile, resolveConnection } from '../core/settings.js';
import { parseSeconds } from '../core/operate/duration.js';
import { resolveResources, resourceSettings } from '../core/operate/resources.js';
import { PRESIGNED_URL_SECONDS, prepareUpload, uploadImage } from '../core/operate/upload.js';

/** How long `upload` waits for the thumbnail unless --timeout says otherwise. */
export const DEFAULT_WAIT_SECONDS = 60;

export async function run({ args, options, globals, output }: CommandContext): Promise<number> {
  const [file = '', size = ''] = args;
  const config = readConfigFile(globals.config);
  resolveConnection(globals, config);
  const settings = resourceSettings(options, config);
  const timeoutMs = parseSeconds(options.timeout, DEFAULT_WAIT_SECONDS);
  const prepared = await prepareUpload(
    { file, size, key: options.key as string | undefined, out: options.out as string | undefined, wait: options.wait !== false, timeoutMs },
    settings,
    output,
  );

  const session = await openSession(globals);
  try {
    const resources = await resolveResources(session, settings);
    const { result, savedTo } = await uploadImage(session.clients, resources, prepared, output);
    if (output.json) {
      output.result(result);
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
    output.info(urlNote(session.connection.target, session.connection.stateDir, session.endpoint, Boolean(globals.endpointUrl)));
    return ExitCode.ok;
  } finally {
    await session.close();
  }
}

/** The presigned URL lasts an hour on AWS; on a local cloud, only as long as that cloud runs. */
function urlNote(target: string, stateDir: string, endpoint: string | undefined, explicitEndpoint: boolean): string {
  const hours = PRESIGNED_URL_SECONDS / 3600;
  if (target !== 'local' || explicitEndpoint || readServerRecord(stateDir)?.endpoint === endpoint) return `(the url is valid for ${hours} h)`;
  return '(the url points at this command\'s own local cloud, gone now: use --out to keep the thumbnail, or run `thumbctl local serve` first)';
}
