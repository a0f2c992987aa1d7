// The two reliability scenarios, at any size: `runLoad` (N uploads at concurrency C, every
// thumbnail, one invocation each, the server's memory) and `runCrash` (kill -9 of `local serve` mid-burst, a
// restart on the same state directory, every acknowledged upload's thumbnail). Each returns a JSON report with
// the problems it found; the tests (CI sizes) assert on the report, scripts/load.ts and scripts/crash.ts print it.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertBuilt,
  census,
  childPids,
  cloudLog,
  functionLogEvents,
  integrityCheck,
  isRunning,
  logsClient,
  poll,
  queueState,
  runSetup,
  s3Client,
  sampleJpeg,
  sampleMemory,
  startServe,
  uploadBurst,
  uploadKeys,
  waitForThumbnails,
  type InvocationCensus,
  type MemoryReport,
} from './reliability.js';

export interface Machine {
  cores: number;
  node: string;
  /** 1, 5 and 15 minute load averages at the end of the run. */
  loadAverage: number[];
}

export interface LoadOptions {
  count: number;
  concurrency: number;
  /** How long to wait for the thumbnails after the last upload (default: 2 min + 100 ms per upload). */
  deadlineMs?: number;
  /** Keep the state directory afterwards (its path is in the report). */
  keepState?: boolean;
  /** Progress lines (to stderr in the scripts). */
  log?: (line: string) => void;
}

export interface LoadReport {
  scenario: 'load';
  count: number;
  concurrency: number;
  image: { width: number; height: number; bytes: number; thumbnail: string };
  acknowledged: number;
  failedUploads: { key: string; error: string }[];
  thumbnails: number;
  missingThumbnails: string[];
  invocations: {
    /** REPORT lines: one per invocation, failed or not. */
    total: number;
    successful: number;
    failed: string[];
    /** Uploads with exactly one / more than one / no `thumbnail created` line. */
    uploadsWithOne: number;
    uploadsWithMore: number;
    uploadsWithNone: number;
    /** Events started more than once under the same request id (logged retries). */
    retriedEvents: number;
    coldStarts: number;
  };
  errorLines: string[];
  /** Lines of <state-dir>/cloud.log that mention a failure. */
  cloudLogProblems: string[];
  memory: MemoryReport & { limitMb: number };
  timing: {
    uploadSeconds: number;
    /** From the first upload to the first `thumbnail created` line (includes the cold starts). */
    firstThumbnailSeconds: number;
    /** From the first upload to the last `thumbnail created` line. */
    endToEndSeconds: number;
    uploadsPerSecond: number;
    thumbnailsPerSecond: number;
  };
  machine: Machine;
  stateDir: string;
  problems: string[];
}

/** The local cloud's memory bound the tests hold it to. */
export const MEMORY_LIMIT_MB = 1536;

const CLOUD_LOG_PROBLEM = /fail|error|cannot|dropped/i;

function invocationSummary(counts: InvocationCensus, keys: readonly string[]): LoadReport['invocations'] {
  let one = 0;
  let more = 0;
  let none = 0;
  for (const key of keys) {
    const created = counts.createdPerKey.get(key) ?? 0;
    if (created === 1) one += 1;
    else if (created > 1) more += 1;
    else none += 1;
  }
  return {
    total: counts.reports,
    successful: counts.reports - counts.failedReports.length,
    failed: counts.failedReports,
    uploadsWithOne: one,
    uploadsWithMore: more,
    uploadsWithNone: none,
    retriedEvents: [...counts.startsPerRequest.values()].filter((starts) => starts > 1).length,
    coldStarts: counts.coldStarts,
  };
}

async function settledCensus(logs: ReturnType<typeof logsClient>, functionName: string, keys: readonly string[], timeoutMs: number): Promise<InvocationCensus> {
  // The log lines follow the thumbnail by a few milliseconds (batched); wait until every key has its line.
  await poll(async () => {
    const counts = census(await functionLogEvents(logs, functionName));
    return keys.every((key) => counts.createdPerKey.has(key)) ? true : undefined;
  }, timeoutMs, 500);
  // Then a little longer, so a duplicate invocation running late would be counted too.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return census(await functionLogEvents(logs, functionName));
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  assertBuilt();
  const log = options.log ?? (() => {});
  const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-load-'));
  const problems: string[] = [];
  const serve = await startServe(stateDir);
  const memory = sampleMemory(serve.pid);
  const s3 = s3Client(serve.endpoint, 1);
  const poller = s3Client(serve.endpoint);
  const logs = logsClient(serve.endpoint);
  try {
    log(`local serve pid ${serve.pid} at ${serve.endpoint}; state in ${stateDir}`);
    const deployment = await runSetup(stateDir);
    const body = await sampleJpeg(640, 480);
    const keys = uploadKeys('load', options.count);
    log(`uploading ${options.count} images (640x480, ${body.length} bytes) at concurrency ${options.concurrency}`);
    const burst = await uploadBurst(s3, deployment.sourceBucket, keys, body, options.concurrency);
    log(`${burst.acknowledged.length} acknowledged, ${burst.failed.length} failed in ${((burst.endedAt - burst.startedAt) / 1000).toFixed(1)} s; waiting for thumbnails`);
    const deadlineMs = options.deadlineMs ?? 120_000 + 100 * options.count;
    const thumbnails = await waitForThumbnails(poller, deployment.thumbnailBucket, burst.acknowledged, deadlineMs);
    log(`${thumbnails.found.length} thumbnails; reading the function's logs`);
    const counts = await settledCensus(logs, deployment.functionName, thumbnails.found, 60_000);
    const peak = await memory.stop();
    const invocations = invocationSummary(counts, keys);
    const lastCreatedAt = counts.lastCreatedAt ?? Date.now();
    const endToEndSeconds = (lastCreatedAt - burst.startedAt) / 1000;
    const uploadSeconds = (burst.endedAt - burst.startedAt) / 1000;
    const cloudLogProblems = cloudLog(stateDir).filter((line) => CLOUD_LOG_PROBLEM.test(line));

    if (burst.failed.length > 0) problems.push(`${burst.failed.length} uploads failed`);
    if (thumbnails.missing.length > 0 || thumbnails.found.length !== options.count) problems.push(`${options.count - thumbnails.found.length} thumbnails missing`);
    if (invocations.uploadsWithOne !== options.count) {
      problems.push(`${invocations.uploadsWithMore} uploads made more than one thumbnail, ${invocations.uploadsWithNone} none`);
    }
    // A second invocation for one upload is acceptable only as a logged retry of the same event.
    if (invocations.total !== options.count + invocations.failed.length || invocations.failed.length > invocations.retriedEvents) {
      problems.push(`${invocations.total} invocations for ${options.count} uploads (${invocations.failed.length} failed, ${invocations.retriedEvents} retried)`);
    }
    if (counts.errorLines.length > 0) problems.push(`${counts.errorLines.length} error lines in the function's logs`);
    if (cloudLogProblems.length > 0) problems.push(`${cloudLogProblems.length} problem lines in cloud.log`);
    if (Math.max(peak.peakRssMb, peak.peakHwmMb) > MEMORY_LIMIT_MB) problems.push(`the local cloud peaked at ${Math.max(peak.peakRssMb, peak.peakHwmMb)} MB`);
    return {
      scenario: 'load',
      count: options.count,
      concurrency: options.concurrency,
      image: { width: 640, height: 480, bytes: body.length, thumbnail: '64x64' },
      acknowledged: burst.acknowledged.length,
      failedUploads: burst.failed,
      thumbnails: thumbnails.found.length,
      missingThumbnails: thumbnails.missing,
      invocations,
      errorLines: counts.errorLines.slice(0, 20),
      cloudLogProblems: cloudLogProblems.slice(0, 20),
      memory: { ...peak, limitMb: MEMORY_LIMIT_MB },
      timing: {
        uploadSeconds: round(uploadSeconds),
        firstThumbnailSeconds: round(((counts.firstCreatedAt ?? lastCreatedAt) - burst.startedAt) / 1000),
        endToEndSeconds: round(endToEndSeconds),
        uploadsPerSecond: round(options.count / uploadSeconds),
        thumbnailsPerSecond: round(thumbnails.found.length / endToEndSeconds),
      },
      machine: machine(),
      stateDir,
      problems,
    };
  } finally {
    await memory.stop();
    s3.destroy();
    poller.destroy();
    logs.destroy();
    await serve.stop();
    if (!options.keepState) rmSync(stateDir, { recursive: true, force: true });
  }
}

export interface CrashOptions {
  count: number;
  concurrency: number;
  /** Kill -9 the server right after this many acknowledgements. */
  killAfter: number;
  deadlineMs?: number;
  keepState?: boolean;
  log?: (line: string) => void;
}

export interface CrashReport {
  scenario: 'crash';
  count: number;
  concurrency: number;
  killAfter: number;
  acknowledged: number;
  failed: number;
  /** Why the unacknowledged uploads failed, by SDK error name. */
  failedBy: Record<string, number>;
  /** Acknowledged uploads whose thumbnail appeared after the restart. */
  recovered: number;
  missingThumbnails: string[];
  /** Unacknowledged uploads that had nevertheless been stored (their answer was lost) and got a thumbnail. */
  unacknowledgedWithThumbnail: number;
  /** Acknowledged uploads thumbnailed more than once (their event was running when the server died). */
  duplicateThumbnails: number;
  environments: {
    /** Function environments (the server's child processes) alive just before the kill. */
    atKill: number;
    /** Of those, still running `orphanWaitMs` after the kill (should be 0). */
    orphansLeft: number[];
    /** How long after the kill the last of them was gone (up to `orphanWaitMs`). */
    orphansGoneAfterMs: number;
    orphanWaitMs: number;
  };
  database: {
    /** PRAGMA integrity_check, read-only, on the state the crash left, then with the restarted server. */
    afterCrash: string;
    afterRestart: string;
    /** Events in the queue as the crash left it, and how many of them the dead server had claimed. */
    queuedAtCrash: number;
    claimedAtCrash: number;
    /** Events still queued once every thumbnail was there and the queue had time to drain. */
    queuedAtEnd: number;
    /** The restarted server said it gave back the dead server's claims (queue.ts requeueAbandonedClaims). */
    claimsRequeued: boolean;
  };
  restartSeconds: number;
  recoverySeconds: number;
  memory: MemoryReport;
  machine: Machine;
  stateDir: string;
  problems: string[];
}

export async function runCrash(options: CrashOptions): Promise<CrashReport> {
  assertBuilt();
  const log = options.log ?? (() => {});
  const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-crash-'));
  const problems: string[] = [];
  const first = await startServe(stateDir);
  let second: Awaited<ReturnType<typeof startServe>> | undefined;
  const memory = sampleMemory(first.pid);
  const s3 = s3Client(first.endpoint, 1);
  try {
    log(`local serve pid ${first.pid} at ${first.endpoint}; state in ${stateDir}`);
    const deployment = await runSetup(stateDir);
    const body = await sampleJpeg(640, 480);
    const keys = uploadKeys('crash', options.count);
    let environmentsAtKill: number[] = [];
    let killedAt = 0;
    log(`uploading ${options.count} images at concurrency ${options.concurrency}; kill -9 after ${options.killAfter} acknowledgements`);
    const burst = await uploadBurst(s3, deployment.sourceBucket, keys, body, options.concurrency, (acknowledged) => {
      if (acknowledged !== options.killAfter) return;
      environmentsAtKill = [...new Set([...childPids(first.pid), ...memory.environments()])];
      killedAt = Date.now();
      first.child.kill('SIGKILL');
    });
    await first.exited;
    const peak = await memory.stop();
    s3.destroy();
    log(`${burst.acknowledged.length} acknowledged, ${burst.failed.length} failed; ${environmentsAtKill.length} environments were running`);

    // Orphaned environments must notice their server is gone and exit.
    const orphanWaitMs = 10_000;
    await poll(() => (environmentsAtKill.some(isRunning) ? undefined : true), orphanWaitMs, 50);
    const orphansGoneAfterMs = Date.now() - killedAt;
    const orphansLeft = environmentsAtKill.filter(isRunning);
    for (const pid of orphansLeft) process.kill(pid, 'SIGKILL');

    const afterCrash = integrityCheck(stateDir);
    const atCrash = queueState(stateDir);
    const restartStarted = Date.now();
    second = await startServe(stateDir);
    const restartSeconds = (Date.now() - restartStarted) / 1000;
    log(`restarted: pid ${second.pid} at ${second.endpoint} in ${restartSeconds.toFixed(1)} s; waiting for the acknowledged uploads' thumbnails`);
    const poller = s3Client(second.endpoint);
    const logs = logsClient(second.endpoint);
    try {
      const deadlineMs = options.deadlineMs ?? 120_000 + 100 * options.count;
      const thumbnails = await waitForThumbnails(poller, deployment.thumbnailBucket, burst.acknowledged, deadlineMs);
      const recoverySeconds = (Date.now() - restartStarted) / 1000;
      const queuedAtEnd = (await poll(() => (queueState(stateDir).queued === 0 ? 0 : undefined), 30_000)) ?? queueState(stateDir).queued;
      const unacknowledged = keys.filter((key) => !burst.acknowledged.includes(key));
      const landed = await waitForThumbnails(poller, deployment.thumbnailBucket, unacknowledged, 0);
      const counts = await settledCensus(logs, deployment.functionName, thumbnails.found, 30_000);
      const afterRestart = integrityCheck(stateDir);
      const claimsRequeued = cloudLog(stateDir).some((line) => line.includes('re-queueing async events claimed by'));
      const failedBy: Record<string, number> = {};
      for (const { error } of burst.failed) failedBy[error] = (failedBy[error] ?? 0) + 1;

      if (burst.acknowledged.length + burst.failed.length !== options.count) problems.push('acknowledged + failed != uploads');
      if (killedAt === 0) problems.push('the server was not killed mid-burst');
      if (thumbnails.missing.length > 0) problems.push(`${thumbnails.missing.length} acknowledged uploads have no thumbnail`);
      if (orphansLeft.length > 0) problems.push(`${orphansLeft.length} function environments outlived their server`);
      if (afterCrash !== 'ok' || afterRestart !== 'ok') problems.push(`integrity_check: ${afterCrash} / ${afterRestart}`);
      if (queuedAtEnd !== 0) problems.push(`${queuedAtEnd} events still queued`);
      if (atCrash.claimed > 0 && !claimsRequeued) problems.push(`the dead server's ${atCrash.claimed} claims were not re-queued at restart`);
      return {
        scenario: 'crash',
        count: options.count,
        concurrency: options.concurrency,
        killAfter: options.killAfter,
        acknowledged: burst.acknowledged.length,
        failed: burst.failed.length,
        failedBy,
        recovered: thumbnails.found.length,
        missingThumbnails: thumbnails.missing,
        unacknowledgedWithThumbnail: landed.found.length,
        duplicateThumbnails: burst.acknowledged.filter((key) => (counts.createdPerKey.get(key) ?? 0) > 1).length,
        environments: { atKill: environmentsAtKill.length, orphansLeft, orphansGoneAfterMs, orphanWaitMs },
        database: { afterCrash, afterRestart, queuedAtCrash: atCrash.queued, claimedAtCrash: atCrash.claimed, queuedAtEnd, claimsRequeued },
        restartSeconds: round(restartSeconds),
        recoverySeconds: round(recoverySeconds),
        memory: peak,
        machine: machine(),
        stateDir,
        problems,
      };
    } finally {
      poller.destroy();
      logs.destroy();
    }
  } finally {
    await memory.stop();
    s3.destroy();
    await first.kill9();
    await second?.stop();
    if (!options.keepState) rmSync(stateDir, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The machine, and how busy it was at the end of the run (other work skews the timings, not the counts). */
function machine(): Machine {
  return { cores: availableParallelism(), node: process.versions.node, loadAverage: loadavg().map((load) => round(load)) };
}
