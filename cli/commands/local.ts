// `thumbctl local serve`: the local cloud in the foreground until Ctrl-C or SIGTERM. Refuses to start a
// second server on a state directory that already has one, and says where the first one is.
import type { CommandContext } from '../main.js';
import { ExitCode, UserError } from '../output.js';
import { startServer } from '../core/local-cloud.js';
import { readConfigFile, resolveConnection } from '../core/settings.js';

export async function run({ options, globals, output }: CommandContext): Promise<number> {
  const connection = resolveConnection(globals, readConfigFile(globals.config));
  const host = String(options.host ?? '127.0.0.1');
  const port = options.port === undefined ? 4566 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be 0-65535, not "${String(options.port)}"`, ExitCode.usage);
  if (!isLoopback(host)) {
    output.warn(`binding ${host}: the local cloud checks no credentials, so anyone who can reach this address can read and change its data`);
  }
  const started = await startServer({ stateDir: connection.stateDir, host, port, mode: 'serve', region: connection.region });
  if (!('close' in started)) {
    throw new UserError(`a local cloud is already running for ${connection.stateDir} at ${started.endpoint} (pid ${started.pid})`);
  }
  if (output.json) output.jsonLine({ endpoint: started.endpoint, stateDir: connection.stateDir, pid: process.pid });
  else {
    output.print(`local cloud ready at ${started.endpoint} (state in ${connection.stateDir})`);
    output.info(`try: aws --endpoint-url ${started.endpoint} s3 ls     (any access key works; Ctrl-C to stop)`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  output.info('stopping the local cloud…');
  await started.close();
  return ExitCode.ok;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
