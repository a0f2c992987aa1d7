// `thumbctl traces`: where the time went in each invocation, percentiles, waterfalls and the service map,
// read through the X-Ray API (the same on AWS and on the local cloud). This file only wires the command line
// to cli/core/traces and prints; the fetching, analysis and rendering live there.
import { Option } from 'commander';
import { ExitCode } from '../output.js';
import { resolveContext } from '../core/context.js';
import { TRACES_DEFAULTS } from '../core/defaults.js';
import type { TracesFlags as TracesOwnFlags } from '../core/traces/options.js';
import { defineCommand, type CommandInput } from './command.js';
import { resourceFlags, resourceOptions, type ResourceFlags } from './flags.js';

export interface TracesFlags extends ResourceFlags, TracesOwnFlags {}

export const tracesCommand = defineCommand<TracesFlags>({
  name: 'traces',
  description: 'X-Ray traces: where the time went, percentiles and the service map',
  options: [
    ...resourceOptions(),
    new Option('--since <duration>', `how far back (default ${TRACES_DEFAULTS.since})`),
    new Option('--limit <n>', `at most this many traces (default ${TRACES_DEFAULTS.limit})`),
    new Option('--trace-id <id...>', 'draw these traces as waterfalls'),
    new Option('--service-map', 'draw the service map'),
    new Option('--html <file>', 'write a self-contained HTML report'),
    new Option('--wait <count>', 'poll until at least this many traces are indexed'),
  ],
  examples: ['thumbctl traces', 'thumbctl traces --since 1h --service-map', 'thumbctl traces --trace-id 1-6790a1b2-0123456789abcdef01234567', 'thumbctl traces --wait 2 --html report.html'],
  run,
});

async function run({ options, globals, output }: CommandInput<TracesFlags>): Promise<ExitCode> {
  const { resolveTracesOptions } = await import('../core/traces/options.js');
  const { checkWritableFile } = await import('../core/fs.js');
  const tracesOptions = resolveTracesOptions(options);
  if (tracesOptions.html !== undefined) await checkWritableFile(tracesOptions.html, '--html');
  const context = resolveContext(globals, resourceFlags(options));
  const { collectTracesReport, reportDocument } = await import('../core/traces/report.js');
  const { renderHtmlReport, writeFileAtomic } = await import('../core/traces/render-html.js');
  const { renderServiceMap, renderSummary, renderTraceTable, renderVariantResizes, renderWaterfall } = await import('../core/traces/render-text.js');
  const { functionName, memory, architecture } = context.settings;
  const session = await context.open();
  try {
    const report = await collectTracesReport(
      session.clients.xray,
      {
        functionName,
        target: session.connection.target,
        xrayOnAws: session.onAws('xray'),
        options: tracesOptions,
        serviceMap: output.json || tracesOptions.serviceMap || tracesOptions.html !== undefined,
      },
      output,
    );
    if (report.traces.length > 0) {
      const { measureCost } = await import('../core/cost/measure.js');
      const window = { start: new Date(report.window.start), end: new Date(report.window.end) };
      const { cost, notes } = await measureCost(session.clients, { functionName, rows: report.traces, window, fallback: { memory, architecture } });
      report.cost = cost;
      report.notes.push(...notes);
    }

    if (tracesOptions.html !== undefined) {
      const written = await writeFileAtomic(tracesOptions.html, renderHtmlReport(report));
      output.info(`wrote ${written}`);
    }

    if (output.json) {
      output.result(reportDocument(report));
    } else {
      if (report.traces.length === 0) {
        output.print(`no traces of ${functionName} between ${report.window.start} and ${report.window.end}`);
      } else {
        output.print(renderTraceTable(report.traces));
        const perVariant = renderVariantResizes(report.traces);
        if (perVariant) output.print(`\n${perVariant}`);
        output.print('');
        output.print(renderSummary(report.summary));
        if (report.cost) {
          const { renderCost } = await import('../core/cost/estimate.js');
          output.print('');
          output.print(renderCost(report.cost));
        }
      }
      for (const timeline of report.timelines) {
        output.print('');
        output.print(renderWaterfall(timeline));
      }
      if (tracesOptions.serviceMap) {
        output.print('');
        output.print(renderServiceMap(report.serviceMap));
      }
    }
    for (const note of report.notes) output.info(`note: ${note}`);

    if (!report.waitReached) return ExitCode.timeout;
    if (tracesOptions.traceIds.length > 0 && report.traces.length === 0) return ExitCode.failure;
    return ExitCode.ok;
  } finally {
    await session.close();
  }
}
