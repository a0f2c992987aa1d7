#!/usr/bin/env -S node --import tsx
// `npm run load`: the full-size load run — 1,000 uploads at concurrency 32 against `thumbctl local serve`
// in its own process — printing the JSON report (thumbnails, invocations per upload, the server's peak RSS,
// throughput) on stdout and progress on stderr. Exits 1 when the report lists problems. Needs `npm run build`.
//
// Options (environment): LOAD_COUNT (default 1000), LOAD_CONCURRENCY (default 32), LOAD_KEEP_STATE=1.
import { runLoad } from './harness/scenarios.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const report = await runLoad({
  count: Number(process.env.LOAD_COUNT ?? 1000),
  concurrency: Number(process.env.LOAD_CONCURRENCY ?? 32),
  keepState: process.env.LOAD_KEEP_STATE === '1',
  log: (line) => process.stderr.write(`load: ${line}\n`),
});
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exitCode = report.problems.length === 0 ? 0 : 1;
