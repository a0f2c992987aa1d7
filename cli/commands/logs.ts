// `thumbctl logs [--since 10m] [--follow] [--filter PATTERN]`: the function's CloudWatch Logs, laid out for
// people (or as JSON lines with --json). --follow polls until Ctrl-C, which ends it cleanly with exit 0.
// A log group that does not exist yet is not a failure: the function has simply not run; exit 0 with a note.
import { Option } from 'commander';
import { ExitCode, UserError } from '../output.js';
import { resolveContext } from '../core/context.js';
import { LOGS_DEFAULTS } from '../core/defaults.js';
import type { LogEvent } from '../core/operate/log-format.js';
import { defineCommand, type CommandInput } from './command.js';
import { resourceFlags, resourceOptions, type ResourceFlags } from './flags.js';

export interface LogsFlags extends ResourceFlags {
  since?: string;
  follow?: boolean;
  filter?: string;
}

export const logsCommand = defineCommand<LogsFlags>({
  name: 'logs',
  description: "print the function's CloudWatch Logs",
  options: [
    ...resourceOptions(),
    new Option('--since <duration>', `how far back, e.g. 10m, 2h, 1d (default ${LOGS_DEFAULTS.since})`),
    new Option('--follow', 'keep polling for new events until Ctrl-C'),
    new Option('--filter <pattern>', 'CloudWatch Logs filter pattern'),
  ],
  examples: ['thumbctl logs', 'thumbctl logs --since 2h --filter ERROR', 'thumbctl logs --follow --json'],
  run,
});

async function run({ options, globals, output }: CommandInput<LogsFlags>): Promise<ExitCode> {
  const { parseDuration } = await import('../core/operate/duration.js');
  const sinceMs = parseDuration(String(options.since ?? LOGS_DEFAULTS.since));
  const filterPattern = options.filter;
  const context = resolveContext(globals, resourceFlags(options));
  const { formatLogEvent, toJsonLine } = await import('../core/operate/log-format.js');
  const { filterLogEvents, followLogEvents, LogGroupMissingError, logGroupName } = await import('../core/operate/logs.js');
  const { functionName } = context.settings;
  const query = { logGroupName: logGroupName(functionName), startTime: Date.now() - sinceMs, filterPattern };
  const paint = output.interactive ? output.paint.bind(output) : undefined;
  const show = (events: LogEvent[]): void => {
    for (const event of events) {
      if (output.json) output.jsonLine(toJsonLine(event));
      else output.print(formatLogEvent(event, paint));
    }
  };
  const noLogs = `no logs yet for ${functionName}: has it run? (upload an image with \`thumbctl upload\`, or \`thumbctl invoke KEY\`)`;

  const session = await context.open();
  try {
    if (!options.follow) {
      let events: LogEvent[];
      try {
        events = await filterLogEvents(session.clients.logs, query);
      } catch (error) {
        if (error instanceof LogGroupMissingError) {
          output.info(noLogs);
          return ExitCode.ok;
        }
        throw explainFilterError(error, filterPattern);
      }
      show(events);
      if (events.length === 0) output.info(`no log events for ${functionName} in the last ${String(options.since ?? LOGS_DEFAULTS.since)}${filterPattern ? ` matching ${filterPattern}` : ''}`);
      return ExitCode.ok;
    }

    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    output.info(`following ${query.logGroupName} (Ctrl-C to stop)`);
    let warned = false;
    try {
      await followLogEvents(session.clients.logs, {
        query,
        signal: stop.signal,
        onEvents: show,
        onMissingGroup() {
          if (!warned) output.info(`${noLogs}; waiting for its first run`);
          warned = true;
        },
      });
    } catch (error) {
      throw explainFilterError(error, filterPattern);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return ExitCode.ok;
  } finally {
    await session.close();
  }
}

/** A pattern CloudWatch cannot parse is a usage error, not an AWS failure. */
function explainFilterError(error: unknown, filterPattern: string | undefined): unknown {
  if (filterPattern && error instanceof Error && error.name === 'InvalidParameterException') {
    return new UserError(`--filter "${filterPattern}" is not a CloudWatch Logs filter pattern: ${error.message}`, ExitCode.usage);
  }
  return error;
}
