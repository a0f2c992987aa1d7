// `thumbctl traces`: where the time went in each invocation, percentiles, waterfalls and the service map,
// read through the X-Ray API (the same on AWS and on the local cloud). This file only wires the command line
// to cli/core/traces and prints; the fetching, analysis and rendering live there.
import type { CommandContext } from '../main.js';
import { ExitCode } from '../output.js';
import { checkWritableFile } from '../core/fs.js';
import { openSession } from '../core/session.js';
import { readConfigFile, resolveConnection, resolveSettings, type SettingFlags } from '../core/settings.js';
import { resolveTracesOptions } from '../core/traces/options.js';
import { collectTracesReport, reportDocument } from '../core/traces/report.js';
import { renderHtmlReport, writeFileAtomic } from '../core/traces/render-html.js';
import { renderServiceMap, renderSummary, renderTraceTable, renderWaterfall } from '../core/traces/render-text.js';

export async function run({ options, globals, output }: CommandContext): Promise<number> {
  const tracesOptions = resolveTracesOptions(options);
  if (tracesOptions.html !== undefined) await checkWritableFile(tracesOptions.html, '--html');
  // Every setting is checked before the session opens: a bad one must not start a local cloud first.
  const config = readConfigFile(globals.config);
  resolveConnection(globals, config);
  const { functionName } = resolveSettings(options as SettingFlags, config);
  const session = await openSession(globals);
  try {
    const report = await collectTracesReport(
      session.clients.xray,
      {
        functionName,
        target: session.connection.target,
        options: tracesOptions,
        serviceMap: output.json || tracesOptions.serviceMap || tracesOptions.html !== undefined,
      },
      output,
    );

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
        output.print('');
        output.print(renderSummary(report.summary));
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
