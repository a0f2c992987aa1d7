// `thumbctl invoke <key>`: send the function a synthetic S3 put event for <key> (or --event FILE), like the
// console's Test button, and show the response, the function's error and its log tail.
// Exit 1 when the function errs or rejects a record; a skipped record is reported but is not a failure.
import type { CommandContext } from '../main.js';
import { ExitCode, UserError } from '../output.js';
import { openSession } from '../core/session.js';
import { readConfigFile, resolveConnection } from '../core/settings.js';
import { formatLogTail } from '../core/operate/log-format.js';
import { describeFunctionError, invokeFunction, readEventFile, rejectedRecords, syntheticPutEvent } from '../core/operate/invoke.js';
import { resolveResources, resourceSettings } from '../core/operate/resources.js';

export async function run({ args, options, globals, output }: CommandContext): Promise<number> {
  const key = args[0];
  const eventFile = options.event as string | undefined;
  if (key !== undefined && eventFile !== undefined) throw new UserError('pass a key or --event FILE, not both', ExitCode.usage);
  if (key === undefined && eventFile === undefined) throw new UserError('say what to send: a key in the source bucket (thumbctl invoke canyon-400x400.jpg) or --event FILE', ExitCode.usage);
  if (key === '') throw new UserError('the key must not be empty', ExitCode.usage);
  const config = readConfigFile(globals.config);
  resolveConnection(globals, config);
  const settings = resourceSettings(options, config);
  const givenEvent = eventFile !== undefined ? await readEventFile(eventFile) : undefined;

  const session = await openSession(globals);
  try {
    let event = givenEvent;
    if (key !== undefined) {
      const resources = await resolveResources(session, settings);
      const synthetic = await syntheticPutEvent(session.clients.s3, { bucket: resources.sourceBucket, key, region: session.connection.region });
      if (!synthetic.objectExists) output.warn(`s3://${resources.sourceBucket}/${key} does not exist; sending the event anyway`);
      event = synthetic.event;
    }
    const step = output.step(`invoking ${settings.functionName}`);
    const result = await invokeFunction(session.clients.lambda, settings.functionName, event);
    const functionError = describeFunctionError(result);
    const rejected = rejectedRecords(result.payload);
    if (functionError || rejected.length) step.fail(`${settings.functionName} answered with ${functionError ? 'an error' : 'a rejection'}`);
    else step.succeed(`${settings.functionName} answered (status ${result.statusCode})`);

    if (output.json) output.result(result);
    else {
      output.print(typeof result.payload === 'string' ? result.payload : JSON.stringify(result.payload, null, 2));
      if (result.logTail) {
        output.info('\nlog tail:');
        output.info(formatLogTail(result.logTail, output.interactive ? output.paint.bind(output) : undefined));
      }
    }
    if (functionError) {
      output.error(`the function failed: ${functionError}`);
      return ExitCode.failure;
    }
    for (const record of rejected) output.error(`the function rejected ${record.key}: ${record.reason}`);
    return rejected.length ? ExitCode.failure : ExitCode.ok;
  } finally {
    await session.close();
  }
}
