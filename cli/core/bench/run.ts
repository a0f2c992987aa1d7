// The core of `thumbctl bench`: make sure setup has run (the setup core, idempotent), time a bare sharp baseline,
// upload N copies of one image under unique keys C at a time, wait for every thumbnail with the upload core's
// poll, then read the X-Ray traces of exactly those invocations and put the numbers together. It composes the
// provisioning, upload and traces cores; it reports through a Reporter and never prints.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { silentReporter, type Reporter } from '../../output.js';
import type { XRayClient } from '@aws-sdk/client-xray';
import type { Target } from '../settings.js';
import { setup } from '../provision/index.js';
import type { SetupOptions } from '../provision/setup.js';
import type { ResolvedSettings } from '../settings.js';
import type { Pace } from '../provision/aws.js';
import type { CoreOptions } from '../provision/target.js';
import { samplePhotoPath } from '../paths.js';
import { putTracedObject } from '../operate/traced-put.js';
import { prepareUpload } from '../operate/upload.js';
import { pollForThumbnail } from '../operate/wait.js';
import { collectTracesReport } from '../traces/report.js';
import { percentile } from '../traces/percentiles.js';
import type { TraceRow } from '../traces/analyse.js';
import { BaselineSession, measureSharpBaseline, poolBaselines, type SharpBaseline } from './baseline.js';
import { measureImageMagick, type ImageMagickResult } from './imagemagick.js';
import { ResourceSampler, type CpuReport, type MemoryReport } from './resources.js';
import { benchKey, type BenchOptions } from './options.js';
import { idealThroughputPerSec, median, pairedRatio, ratio, splitLatencies, throughputPerSec, type LatencyBlock } from './stats.js';
import { evaluateTargets, type TargetCheck } from './targets.js';
import { measureCost } from '../cost/measure.js';
import type { CostEstimate } from '../cost/estimate.js';

/** How long to wait for the uploads' traces to be listed: the local cloud has them at once, X-Ray on AWS takes
 * tens of seconds to index them. */
export const TRACES_WAIT_MS = { local: 30_000, aws: 120_000 } as const;

/** What the provisioning core takes (setup runs first), and the benchmark's own options. */
export interface BenchRequest extends Omit<CoreOptions, 'pace'> {
  pace?: Pace;
  options: BenchOptions;
  /** The process running the local cloud (this one when embedded), or null when unknown (AWS, a remote endpoint). */
  cloudPid: number | null;
  cores?: number;
  /** Also time ImageMagick's convert on the same image (when installed). */
  imagemagick?: boolean;
  /** How the local cloud limits each environment's CPU, when known (reported, not set, here). */
  cpuShare?: 'lambda' | 'host';
}

/** What setup takes when a bench deploys (or restores) the function: the bench's own connection, these settings. */
export function benchSetupOptions(request: Omit<CoreOptions, 'pace'> & { pace?: Pace; cloudPid: number | null }, settings: ResolvedSettings, reporter: Reporter): SetupOptions {
  return {
    clients: request.clients,
    settings,
    account: request.account,
    region: request.region,
    target: request.target,
    endpoint: request.endpoint,
    reporter,
    cacheDir: request.cacheDir,
    pace: request.pace,
    localNodeRuntime: request.cloudPid !== null,
  };
}

/**
 * Reads again, by id, the traces of these ids that the listing left out or had partial, until each is complete or
 * `waitMs` runs out. A count of listed traces can be reached by another run's late trace in the same window, so
 * the bench's own ids are what it waits for.
 * @returns the rows by id, the listing's with the re-read ones over them
 */
export async function completeTraces(
  xray: XRayClient,
  base: { functionName: string; target: Target },
  rows: readonly TraceRow[],
  ids: readonly string[],
  waitMs: number,
): Promise<Map<string, TraceRow>> {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const deadline = Date.now() + waitMs;
  const incomplete = (): string[] => ids.filter((id) => !byId.get(id) || byId.get(id)!.partial);
  for (let wanted = incomplete(); wanted.length > 0 && Date.now() < deadline; wanted = incomplete()) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = await collectTracesReport(
      xray,
      { ...base, options: { sinceMs: 0, limit: wanted.length, traceIds: wanted, serviceMap: false }, serviceMap: false },
      silentReporter,
    );
    for (const row of again.traces) if (!row.partial || !byId.has(row.id)) byId.set(row.id, row);
  }
  return byId;
}

/** One upload, as measured by the client and matched with its trace. */
export interface BenchUpload {
  index: number;
  key: string;
  /** From just before PutObject to the first HeadObject that saw the thumbnail; null when it never came. */
  latencyMs: number | null;
  /** How long PutObject itself took. */
  putMs: number | null;
  coldStart: boolean | null;
  error: string | null;
  /** The X-Ray trace the upload started (null when PutObject failed). */
  traceId: string | null;
  /** Epoch ms (fractional) of the upload's start and of the thumbnail's sighting. */
  startedAtMs: number;
  observedAtMs: number | null;
  trace: TraceRow | null;
  /** The baseline sample timed right after this upload (one upload at a time only), else null. */
  baselineAfterMs: number | null;
}

/** Where the time of a typical upload went: p50 of each part, in milliseconds (null when unmeasured). */
export interface Breakdown {
  /** The client's PutObject. */
  uploadMs: number | null;
  /** From the upload reaching S3 to the invocation starting: S3 storing it, the notification, the queue, dwell. */
  beforeFunctionMs: number | null;
  /** From Lambda receiving the event to the function starting (the queue, a free environment). */
  dwellMs: number | null;
  s3GetMs: number | null;
  resizeMs: number | null;
  s3PutMs: number | null;
  /** The function's invocation as a whole (get, resize, put and the handler around them). */
  invocationMs: number | null;
  /** Each invocation minus its GetObject, resize and PutObject subsegments: the handler's own work, p50. */
  handlerOwnMs: number | null;
  /** From the function's end to the client's HeadObject seeing the thumbnail (the wait loop's lag). */
  seenAfterFunctionMs: number | null;
  /** The trace's own end to end: from the upload reaching S3 to the end of the function. */
  traceE2eMs: number | null;
}

/** `bench --json`: its fields are a contract with scripts (added to, never renamed or removed), plus fields scripts may find useful. */
export interface BenchResult {
  count: number;
  concurrency: number;
  /** The image as given, or the bundled sample's path. */
  image: string;
  size: string;
  latency: LatencyBlock & { cold: LatencyBlock; warm: LatencyBlock };
  throughputPerSec: number | null;
  coldStarts: number;
  lost: number;
  function: {
    durationP50Ms: number | null;
    resizeP50Ms: number | null;
    /** p50 of the init durations of this run's cold starts (null without one). */
    initMs: number | null;
    initMaxMs: number | null;
    /** How many of the uploads' traces were found. */
    traces: number;
  };
  /** Pooled from before, between (one upload at a time only) and after the uploads; `betweenUploads` counts the middle samples. */
  baseline: SharpBaseline & { betweenUploads: number };
  /**
   * p50 over p50, as the targets (targets.ts) define them; and, one upload at a time, the `…Paired` medians of per-upload
   * ratios against the baseline sample taken right after each upload (see pairedRatio), which the targets judge.
   */
  ratios: { e2e: number | null; resize: number | null; throughput: number | null; e2ePaired: number | null; resizePaired: number | null };
  packageBytes: number;
  /** Peak RSS of the process running the local cloud (null when not measurable). */
  peakMemoryBytes: number | null;
  /** `idleRuntimeBytes`: resident memory of each environment's runtime after the run, all of them idle then. */
  memory: MemoryReport & { idleRuntimeBytes: number[] };
  /** CPU time during the uploads, in all and per thumbnail (client; cloud, when it is a separate process; functions). */
  cpu: CpuReport & { perThumbnailMs: { client: number | null; cloud: number | null; functions: number | null } };
  breakdown: Breakdown;
  imagemagick: ImageMagickResult | null;
  targets: TargetCheck[];
  target: Target;
  runId: string;
  startedAt: string;
  cores: number;
  imageBytes: number;
  wallMs: number;
  /** Uploads whose trace was not found (their cold/warm is unknown). */
  untraced: number;
  /** Uploads that failed outright or never produced a thumbnail, with why. */
  failures: { key: string; error: string }[];
  setupMs: number;
  architecture: string;
  /** Estimated AWS cost per 1,000 thumbnails of this run's traced invocations (us-east-1 list prices, dated). */
  cost: CostEstimate;
  /** Memory (MB) the function ran with in this run. */
  memoryMb: number;
  /** How each environment's CPU was limited: 'lambda' = memory/1,769 of a vCPU (local serve --cpu-share lambda), else 'host'. */
  cpuShare: 'lambda' | 'host' | 'unknown';
  uploads?: BenchUpload[];
}

const nowEpochMs = (): number => performance.timeOrigin + performance.now();
const round1 = (ms: number): number => Math.round(ms * 10) / 10;

export async function runBench(request: BenchRequest, reporter: Reporter): Promise<BenchResult> {
  const { clients, settings, options } = request;
  const cores = request.cores ?? availableParallelism();
  const startedAt = new Date();

  // The upload core's checks first (file, format, size, trigger suffix); the key it derives gives the extension.
  // Nothing is touched when the image is unreadable.
  const image = options.image ?? samplePhotoPath();
  const prepared = await prepareUpload({ file: image, size: options.sizeText, wait: true, timeoutMs: options.timeoutMs }, settings, reporter);

  const setupStarted = performance.now();
  const setupResult = await setup(benchSetupOptions(request, settings, reporter));
  const setupMs = round1(performance.now() - setupStarted);

  const runId = `${startedAt.getTime().toString(36)}${randomBytes(2).toString('hex')}`;
  const extension = extname(prepared.key);
  const keys = Array.from({ length: options.count }, (_, index) => benchKey(runId, index, prepared.size, extension));

  // The baseline is timed before and after the uploads and pooled, so a load spike on a shared machine during
  // one of them moves the ratios less. One upload at a time, it is also timed once right after each upload, in the
  // same moment of the machine's load, for the paired ratios; that time is kept out of the throughput's wall time.
  const baselineRequest = { image: prepared.file, width: prepared.size.width, height: prepared.size.height };
  const baselineBefore = await timeBaseline(baselineRequest, reporter, 'before the uploads');
  const interleaved = options.concurrency === 1 && options.count > 1 ? await BaselineSession.start(baselineRequest) : null;
  let interleavedMs = 0;

  // ---- the uploads ----------------------------------------------------------------------------------------
  const uploadsStep = reporter.step(`uploading ${options.count} copies, ${options.concurrency} at a time`);
  const sampler = new ResourceSampler(request.cloudPid);
  sampler.start();
  const uploads: BenchUpload[] = [];
  let next = 0;
  let finished = 0;
  /** Latencies of the thumbnails seen so far: when the next one can first be expected. */
  const seen: number[] = [];
  const wallStarted = performance.now();
  const uploadOne = async (index: number): Promise<BenchUpload> => {
    const key = keys[index] as string;
    const startedAtMs = nowEpochMs();
    const started = performance.now();
    const upload: BenchUpload = { index, key, latencyMs: null, putMs: null, coldStart: null, error: null, traceId: null, startedAtMs, observedAtMs: null, trace: null, baselineAfterMs: null };
    try {
      // Traced like `upload`: S3 passes the trace on to Lambda, so the trace starts where this upload did.
      upload.traceId = await putTracedObject(clients.s3, { Bucket: settings.sourceBucket, Key: key, Body: prepared.body, ContentType: prepared.contentType });
      upload.putMs = round1(performance.now() - started);
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const sighting = await pollForThumbnail(clients.s3, { bucket: settings.thumbnailBucket, key, signal: deadline, startedAt: started, firstPollAtMs: firstPollAtMs(seen) });
      if (sighting) {
        upload.latencyMs = round1(sighting.observedAt - started);
        seen.push(upload.latencyMs);
        upload.observedAtMs = performance.timeOrigin + sighting.observedAt;
      } else {
        upload.error = `no thumbnail within ${options.timeoutMs / 1000} s`;
      }
    } catch (error) {
      upload.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    return upload;
  };
  const worker = async (): Promise<void> => {
    while (next < options.count) {
      const index = next++;
      const upload = await uploadOne(index);
      if (interleaved) {
        const paused = performance.now();
        upload.baselineAfterMs = await interleaved.sample();
        interleavedMs += performance.now() - paused;
      }
      uploads.push(upload);
      finished += 1;
      uploadsStep.update(`uploading ${options.count} copies, ${options.concurrency} at a time: ${finished} done`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  } catch (error) {
    interleaved?.kill();
    throw error;
  }
  const wallMs = round1(performance.now() - wallStarted - interleavedMs);
  const between = interleaved ? await interleaved.finish() : null;
  const { memory, cpu } = sampler.stop();
  uploads.sort((a, b) => a.index - b.index);
  const arrived = uploads.filter((u) => u.latencyMs !== null);
  const lost = uploads.length - arrived.length;
  if (lost) uploadsStep.fail(`${arrived.length} of ${options.count} thumbnails arrived; ${lost} lost`);
  else uploadsStep.succeed(`${options.count} thumbnails in ${(wallMs / 1000).toFixed(1)} s`);
  const baselineAfter = await timeBaseline(baselineRequest, reporter, 'after the uploads');
  const baseline = { ...(between?.iterations ? poolBaselines(baselineBefore, between, baselineAfter) : poolBaselines(baselineBefore, baselineAfter)), betweenUploads: between?.iterations ?? 0 };

  // ---- the traces of exactly these invocations -----------------------------------------------------------
  const report = await collectTracesReport(
    clients.xray,
    {
      functionName: settings.functionName,
      target: request.target,
      xrayOnAws: request.xrayOnAws,
      options: {
        sinceMs: Date.now() - startedAt.getTime() + 2000,
        limit: options.count * 2 + 20,
        traceIds: [],
        serviceMap: false,
        wait: arrived.length || undefined,
      },
      serviceMap: false,
      waitTimeoutMs: TRACES_WAIT_MS[(request.xrayOnAws ?? request.target === 'aws') ? 'aws' : 'local'],
      waitIntervalMs: 200,
    },
    reporter,
  );
  // Matched by the trace id the upload started, else (an endpoint that does not pass traces on) by key; rows are
  // newest first, so the first row for a key is that upload's latest.
  const ourIds = uploads.flatMap((upload) => (upload.traceId && upload.error === null ? [upload.traceId] : []));
  const rowById = await completeTraces(clients.xray, { functionName: settings.functionName, target: request.target }, report.traces, ourIds, TRACES_WAIT_MS[(request.xrayOnAws ?? request.target === 'aws') ? 'aws' : 'local']);
  const rowByKey = new Map<string, TraceRow>();
  for (const row of report.traces) if (row.key && !rowByKey.has(row.key)) rowByKey.set(row.key, row);
  for (const upload of uploads) {
    upload.trace = (upload.traceId ? rowById.get(upload.traceId) : undefined) ?? rowByKey.get(upload.key) ?? null;
    upload.coldStart = upload.trace ? upload.trace.coldStart : null;
  }
  const rows = uploads.flatMap((u) => (u.trace ? [u.trace] : []));
  // Every invocation has ended and recorded its trace by now: what each environment holds is what it holds idle.
  const idleRuntimeBytes = sampler.runtimeResidentBytes();

  const { cost, notes: costNotes } = await measureCost(clients, {
    functionName: settings.functionName,
    rows,
    window: { start: startedAt, end: new Date() },
    fallback: { memory: settings.memory, architecture: settings.architecture },
  });
  for (const note of costNotes) reporter.info(note);

  const imagemagick = request.imagemagick ? await timeImageMagick(prepared.file, prepared.size, reporter) : null;

  // ---- the numbers ---------------------------------------------------------------------------------------
  const latencies = splitLatencies(uploads);
  const coldRows = rows.filter((r) => r.coldStart);
  const initMs = median(coldRows.map((r) => r.phases.initMs));
  const resizeP50Ms = median(rows.map((r) => r.phases.resizeMs));
  const throughput = throughputPerSec(arrived.length, wallMs);
  // Warm uploads when there are any: a cold start is measured apart (initMs), not against sharp.
  const e2eP50 = latencies.warm.count ? latencies.warm.p50Ms : latencies.all.p50Ms;
  const e2eUploads = latencies.warm.count ? uploads.filter((u) => u.coldStart === false) : uploads;
  const ratios = {
    e2e: ratio(e2eP50, baseline.sharpP50Ms),
    resize: ratio(resizeP50Ms, baseline.sharpP50Ms),
    throughput: ratio(throughput, idealThroughputPerSec(cores, baseline.sharpP50Ms)),
    // One upload at a time: each upload against the baseline sample taken right after it (null otherwise).
    e2ePaired: pairedRatio(e2eUploads.map((u) => ({ value: u.latencyMs, baseline: u.baselineAfterMs }))),
    resizePaired: pairedRatio(uploads.map((u) => ({ value: u.trace?.phases.resizeMs, baseline: u.baselineAfterMs }))),
  };
  const perThumbnailMs = perThumbnail(cpu, arrived.length);
  const parts = breakdown(uploads);
  const result: BenchResult = {
    count: options.count,
    concurrency: options.concurrency,
    image,
    size: options.sizeText,
    latency: { ...latencies.all, cold: latencies.cold, warm: latencies.warm },
    throughputPerSec: throughput,
    coldStarts: coldRows.length,
    lost,
    function: {
      durationP50Ms: median(rows.map((r) => r.phases.invocationMs)),
      resizeP50Ms,
      initMs,
      initMaxMs: coldRows.length ? Math.max(...coldRows.map((r) => r.phases.initMs ?? 0)) : null,
      traces: rows.length,
    },
    baseline,
    ratios,
    packageBytes: setupResult.packageBytes,
    peakMemoryBytes: memory.cloudPeakBytes,
    memory: { ...memory, idleRuntimeBytes },
    cpu: { ...cpu, perThumbnailMs },
    breakdown: parts,
    imagemagick,
    targets: evaluateTargets({
      e2eRatio: ratios.e2e,
      resizeRatio: ratios.resize,
      e2ePairedRatio: ratios.e2ePaired,
      resizePairedRatio: ratios.resizePaired,
      throughputRatio: ratios.throughput,
      concurrency: options.concurrency,
      cores,
      handlerMs: parts.handlerOwnMs,
      cloudCpuMs: perThumbnailMs.cloud,
      initMs,
      idleRuntimeBytes,
      packageBytes: setupResult.packageBytes,
      architecture: settings.architecture,
    }),
    target: request.target,
    runId,
    startedAt: startedAt.toISOString(),
    cores,
    imageBytes: prepared.body.length,
    wallMs,
    untraced: arrived.filter((u) => !u.trace).length,
    failures: uploads.flatMap((u) => (u.error ? [{ key: u.key, error: u.error }] : [])),
    setupMs,
    architecture: settings.architecture,
    cost,
    memoryMb: cost.memoryMb,
    cpuShare: request.cpuShare ?? 'unknown',
  };
  return result;
}

/** CPU milliseconds per thumbnail that arrived. */
export function perThumbnail(cpu: CpuReport, thumbnails: number): BenchResult['cpu']['perThumbnailMs'] {
  const per = (ms: number | null): number | null => (ms === null || thumbnails === 0 ? null : round1(ms / thumbnails));
  return { client: per(cpu.clientMs), cloud: per(cpu.cloudMs), functions: per(cpu.functionsMs) };
}

/**
 * When to start polling for a thumbnail: once a few have arrived, a little before the fastest tenth of them did.
 * Polling earlier finds nothing and takes CPU from the resizes; a HeadObject costs the client ~2 ms and the cloud ~1 ms.
 */
export function firstPollAtMs(latencies: readonly number[]): number {
  if (latencies.length < 3) return 0;
  return Math.round(0.85 * (percentile(latencies, 10) ?? 0));
}

/** p50 of each part of the uploads' journeys, from the client's clock and the traces' (same machine, same epoch). */
export function breakdown(uploads: readonly BenchUpload[]): Breakdown {
  const traced = uploads.filter((u): u is BenchUpload & { trace: TraceRow } => u.trace !== null && u.latencyMs !== null);
  const part = (pick: (u: BenchUpload & { trace: TraceRow }) => number | null | undefined): number | null => median(traced.map(pick));
  const traceStart = (u: { trace: TraceRow }): number => Date.parse(u.trace.startTime);
  const phases = (u: { trace: TraceRow }): TraceRow['phases'] => u.trace.phases;
  return {
    uploadMs: median(uploads.map((u) => u.putMs)),
    beforeFunctionMs: part((u) => {
      const { e2eMs } = u.trace;
      const { invocationMs, overheadMs, initMs } = phases(u);
      if (e2eMs === null || invocationMs === null) return null;
      return e2eMs - invocationMs - (overheadMs ?? 0) - (initMs ?? 0);
    }),
    dwellMs: part((u) => u.trace.phases.dwellMs),
    s3GetMs: part((u) => u.trace.phases.s3GetMs),
    resizeMs: part((u) => u.trace.phases.resizeMs),
    s3PutMs: part((u) => u.trace.phases.s3PutMs),
    invocationMs: part((u) => u.trace.phases.invocationMs),
    handlerOwnMs: part((u) => {
      const { invocationMs, s3GetMs, resizeMs, s3PutMs } = phases(u);
      if (invocationMs === null || s3GetMs === null || resizeMs === null || s3PutMs === null) return null;
      return Math.round((invocationMs - s3GetMs - resizeMs - s3PutMs) * 10) / 10;
    }),
    seenAfterFunctionMs: part((u) => (u.observedAtMs === null || u.trace.e2eMs === null ? null : u.observedAtMs - (traceStart(u) + u.trace.e2eMs))),
    traceE2eMs: part((u) => u.trace.e2eMs),
  };
}

async function timeBaseline(request: { image: string; width: number; height: number }, reporter: Reporter, when: string): Promise<SharpBaseline> {
  const step = reporter.step(`timing bare sharp on ${request.width}x${request.height} ${when} (the baseline)`);
  try {
    const baseline = await measureSharpBaseline(request);
    step.succeed(`bare sharp ${when}: p50 ${baseline.sharpP50Ms} ms over ${baseline.iterations} iterations`);
    return baseline;
  } catch (error) {
    step.fail();
    throw error;
  }
}

async function timeImageMagick(image: string, size: { width: number; height: number }, reporter: Reporter): Promise<ImageMagickResult> {
  const step = reporter.step('timing ImageMagick convert -thumbnail on the same image');
  const result = await measureImageMagick(image, size);
  if (result.available) step.succeed(`ImageMagick: p50 ${result.convertP50Ms} ms per convert (process start ${result.startupP50Ms} ms)`);
  else step.done(`ImageMagick: ${result.reason}`);
  return result;
}
