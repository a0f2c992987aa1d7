// `thumbctl invoke <key>`: send the function a synthetic S3 put event for <key> (or --event FILE), like the
// console's Test button, and show the response, the function's error and its log tail.
// Exit 1 when the function errs or rejects a record; a skipped record is reported but is not a failure.
import { Option } from 'commander';
import { ExitCode, UserError } from '../output.js';
import { resolveContext } from '../core/context.js';
import { defineCommand, type CommandInput } from './command.js';
import { resourceFlags, resourceOptions, type ResourceFlags } from './flags.js';

export interface InvokeFlags extends ResourceFlags {
  event?: string;
}

export const invokeCommand = defineCommand<InvokeFlags>({
  name: 'invoke',
  description: 'send the function a synthetic S3 event and show the result and log tail',
  arguments: [['[key]', 'object key in the source bucket']],
  options: [...resourceOptions(), new Option('--event <file>', 'send this event file instead')],
  examples: ['thumbctl invoke canyon-400x400.jpg', 'thumbctl invoke --event my-s3-event.json --json'],
  run,
});

async function run({ args, options, globals, output }: CommandInput<InvokeFlags>): Promise<ExitCode> {
  const key = args[0];
  const eventFile = options.event;
  if (key !== undefined && eventFile !== undefined) throw new UserError('pass a key or --event FILE, not both', ExitCode.usage);
  if (key === undefined && eventFile === undefined) throw new UserError('say what to send: a key in the source bucket (thumbctl invoke canyon-400x400.jpg) or --event FILE', ExitCode.usage);
  if (key === '') throw new UserError('the key must not be empty', ExitCode.usage);
  const context = resolveContext(globals, resourceFlags(options));
  const { formatLogTail } = await import('../core/operate/log-format.js');
  const { describeFunctionError, invokeFunction, readEventFile, rejectedRecords, syntheticPutEvent } = await import('../core/operate/invoke.js');
  const { settings } = context;
  const givenEvent = eventFile !== undefined ? await readEventFile(eventFile) : undefined;

  const session = await context.open();
  try {
    let event = givenEvent;
    if (key !== undefined) {
      const resources = await session.resources();
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
