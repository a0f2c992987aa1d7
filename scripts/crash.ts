#!/usr/bin/env -S node --import tsx
// `npm run crash`: the full-size crash run — kill -9 of `thumbctl local serve` after 60 of 200 uploads
// (concurrency 16) have been acknowledged, a restart on the same state directory — printing the JSON report
// (acknowledged / failed / recovered, orphaned environments, integrity_check) on stdout. Exits 1 on problems.
//
// Options (environment): CRASH_COUNT (default 200), CRASH_CONCURRENCY (default 16), CRASH_KILL_AFTER (default 60),
// CRASH_KEEP_STATE=1.
import { runCrash } from './harness/scenarios.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const report = await runCrash({
  count: Number(process.env.CRASH_COUNT ?? 200),
  concurrency: Number(process.env.CRASH_CONCURRENCY ?? 16),
  killAfter: Number(process.env.CRASH_KILL_AFTER ?? 60),
  keepState: process.env.CRASH_KEEP_STATE === '1',
  log: (line) => process.stderr.write(`crash: ${line}\n`),
});
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exitCode = report.problems.length === 0 ? 0 : 1;
