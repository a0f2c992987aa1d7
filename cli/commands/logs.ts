// `thumbctl logs [--since 10m] [--follow] [--filter PATTERN]`: the function's CloudWatch Logs, laid out for
// people (or as JSON lines with --json). --follow polls until Ctrl-C, which ends it cleanly with exit 0.
// A log group that does not exist yet is not a failure: the function has simply not run; exit 0 with a note.
import type { CommandContext } from '../main.js';
import { ExitCode, UserError } from '../output.js';
import { openSession } from '../core/session.js';
import { readConfigFile, resolveConnection } from '../core/settings.js';
import { parseDuration } from '../core/operate/duration.js';
import { formatLogEvent, toJsonLine, type LogEvent } from '../core/operate/log-format.js';
import { filterLogEvents, followLogEvents, LogGroupMissingError, logGroupName } from '../core/operate/logs.js';
import { resourceSettings } from '../core/operate/resources.js';

export const DEFAULT_SINCE = '10m';

export async function run({ options, globals, output }: CommandContext): Promise<number> {
  const sinceMs = parseDuration(String(options.since ?? DEFAULT_SINCE));
  const filterPattern = options.filter as string | undefined;
  const config = readConfigFile(globals.config);
  resolveConnection(globals, config);
  const { functionName } = resourceSettings(options, config);
  const query = { logGroupName: logGroupName(functionName), startTime: Date.now() - sinceMs, filterPattern };
  const paint = output.interactive ? output.paint.bind(output) : undefined;
  const show = (events: LogEvent[]): void => {
    for (const event of events) {
      if (output.json) output.jsonLine(toJsonLine(event));
      else output.print(formatLogEvent(event, paint));
    }
  };
  const noLogs = `no logs yet for ${functionName}: has it run? (upload an image with \`thumbctl upload\`, or \`thumbctl invoke KEY\`)`;

  const session = await openSession(globals);
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
      if (events.length === 0) output.info(`no log events for ${functionName} in the last ${String(options.since ?? DEFAULT_SINCE)}${filterPattern ? ` matching ${filterPattern}` : ''}`);
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
