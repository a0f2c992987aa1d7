// The core of `thumbctl bench --variants`: what one decode shared by several variants saves. Each round uploads the
// image once under a key without a size (one invocation makes every variant) and then once per variant under a key
// naming that variant's size (one invocation each), one upload at a time, and compares the function's time from the
// traces. The variants are the config's, else a documented five (deployed for the run, the configuration restored
// afterwards). It composes the provisioning, upload and traces cores; it reports through a Reporter and never prints.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { variantKeysFor, variantsToJson, type Variant, type VariantEntry } from '../../../function/variants.js';
import { silentReporter, type Reporter } from '../../output.js';
import { BENCH_DEFAULTS } from '../defaults.js';
import { resolveVariants, type ResolvedSettings, type Target } from '../settings.js';
import { setup, type SetupOptions } from '../provision/setup.js';
import type { Pace } from '../provision/aws.js';
import type { CoreOptions } from '../provision/target.js';
import { samplePhotoPath } from '../paths.js';
import { putTracedObject } from '../operate/traced-put.js';
import { prepareUpload } from '../operate/upload.js';
import { pollForThumbnail } from '../operate/wait.js';
import { collectTracesReport } from '../traces/report.js';
import type { TraceRow } from '../traces/analyse.js';
import type { BenchOptions } from './options.js';
import { median, pairedRatio, ratio } from './stats.js';
import { benchSetupOptions, completeTraces, TRACES_WAIT_MS } from './run.js';

export interface VariantsBenchRequest extends Omit<CoreOptions, 'pace'> {
  pace?: Pace;
  options: BenchOptions;
  /** The process running the local cloud (this one when embedded), or null when unknown (AWS, a remote endpoint). */
  cloudPid: number | null;
  cores?: number;
}

/** `bench --variants --json`. */
export interface VariantsBenchResult {
  mode: 'variants';
  /** Rounds: each is one upload making every variant, then one upload per variant. */
  count: number;
  /** The image as given, or the bundled sample's path. */
  image: string;
  imageBytes: number;
  /** The variants measured, as the function reads them. */
  variants: VariantEntry[];
  /** True when they are the config file's; false for the bench's own five (BENCH_DEFAULTS.variants). */
  configured: boolean;
  /**
   * True when both sides do the same resizes and encodes: every variant is `same` format with the configured fit,
   * as an upload whose key names the size gets. Otherwise the separate invocations encode differently (the source's
   * format, the configured fit) and the ratio compares somewhat different work.
   */
  sameWork: boolean;
  /** The one invocation making every variant: p50 over the rounds. */
  oneInvocation: {
    invocationP50Ms: number | null;
    /** From the upload's start to the last variant seen. */
    e2eP50Ms: number | null;
    decodeP50Ms: number | null;
    /** All the variants' resizes (and encodes) together. */
    resizeP50Ms: number | null;
    s3GetP50Ms: number | null;
    s3PutP50Ms: number | null;
    perVariant: { name: string; resizeP50Ms: number | null }[];
    traces: number;
  };
  /** One invocation per variant: per round, the sums over them; p50 over the rounds. */
  separateInvocations: {
    /** Invocations per round (one per variant). */
    invocations: number;
    invocationSumP50Ms: number | null;
    /** The uploads one after another: the sum of their upload-to-thumbnail times. */
    e2eSumP50Ms: number | null;
    resizeSumP50Ms: number | null;
    s3GetSumP50Ms: number | null;
    traces: number;
  };
  /** oneInvocation.invocationP50Ms / separateInvocations.invocationSumP50Ms: the function time one invocation costs, against as many invocations as variants. */
  ratio: number | null;
  /** The median of that ratio taken round by round (each round's two sides run back to back, under the same load). */
  ratioPaired: number | null;
  /** oneInvocation.e2eP50Ms / separateInvocations.e2eSumP50Ms. */
  e2eRatio: number | null;
  /** Thumbnails that never appeared (a variant or a separate one). */
  lost: number;
  failures: { key: string; error: string }[];
  target: Target;
  runId: string;
  startedAt: string;
  cores: number;
  wallMs: number;
  setupMs: number;
  architecture: string;
}

/** One upload of a round, as measured by the client and matched with its trace. */
interface RoundUpload {
  key: string;
  /** The thumbnail keys it waits for. */
  thumbnails: string[];
  traceId: string | null;
  latencyMs: number | null;
  error: string | null;
  trace: TraceRow | null;
}

interface Round {
  variants: RoundUpload;
  separate: RoundUpload[];
}

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

/** The variants the bench measures: the configured ones, else BENCH_DEFAULTS.variants under the same rules. */
export function benchVariants(settings: Pick<ResolvedSettings, 'variants' | 'maxSize' | 'fit'>): { variants: readonly Variant[]; configured: boolean } {
  if (settings.variants.length > 0) return { variants: settings.variants, configured: true };
  return { variants: resolveVariants(BENCH_DEFAULTS.variants, { maxSide: settings.maxSize, defaultFit: settings.fit }), configured: false };
}

export async function runVariantsBench(request: VariantsBenchRequest, reporter: Reporter): Promise<VariantsBenchResult> {
  const { options } = request;
  const cores = request.cores ?? availableParallelism();
  const startedAt = new Date();
  const { variants, configured } = benchVariants(request.settings);
  const settings: ResolvedSettings = { ...request.settings, variants };

  // The upload core's checks first (file, format, trigger suffix); nothing is touched when the image is unreadable.
  const image = options.image ?? samplePhotoPath();
  const prepared = await prepareUpload({ file: image, size: options.sizeText, wait: true, timeoutMs: options.timeoutMs }, settings, reporter);
  const extension = extname(prepared.key);

  const setupOptions: SetupOptions = benchSetupOptions(request, settings, reporter);
  const setupStarted = performance.now();
  if (!configured) reporter.info(`no variants configured: deploying the bench's five (${describe(variants)}) for this run`);
  try {
    await setup(setupOptions);
    const setupMs = round1(performance.now() - setupStarted);
    const runId = `${startedAt.getTime().toString(36)}${randomBytes(2).toString('hex')}`;

    // One upload before the rounds, not counted: a configuration setup just changed starts a new environment, and its
    // first invocation (a cold start, JIT, sharp's first pipeline) would weigh on whichever side came first.
    const warmup = await uploadAndWait(request, settings, prepared, `bench-${runId}-warmup-${options.sizeText}${extension}`, [`bench-${runId}-warmup-${options.sizeText}${extension}`]);
    if (warmup.error) reporter.warn(`warm-up upload: ${warmup.error}`);

    const rounds: Round[] = [];
    const step = reporter.step(`${options.count} rounds: 1 upload making ${variants.length} variants, then ${variants.length} uploads of one size each`);
    const wallStarted = performance.now();
    for (let index = 0; index < options.count; index++) {
      const sourceKey = `bench-${runId}-v${index}${extension}`;
      const targets = variantKeysFor(sourceKey, variants) ?? [];
      const variantsUpload = await uploadAndWait(request, settings, prepared, sourceKey, targets.map((target) => target.key));
      const separate: RoundUpload[] = [];
      for (const variant of variants) {
        const key = `bench-${runId}-s${index}-${variant.width}x${variant.height}${extension}`;
        separate.push(await uploadAndWait(request, settings, prepared, key, [key]));
      }
      rounds.push({ variants: variantsUpload, separate });
      step.update(`${options.count} rounds of ${variants.length} variants: ${index + 1} done`);
    }
    const wallMs = round1(performance.now() - wallStarted);
    const uploads = rounds.flatMap((round) => [round.variants, ...round.separate]);
    const failures = uploads.flatMap((upload) => (upload.error ? [{ key: upload.key, error: upload.error }] : []));
    if (failures.length > 0) step.fail(`${failures.length} of ${uploads.length} uploads did not produce every thumbnail`);
    else step.succeed(`${options.count} rounds in ${(wallMs / 1000).toFixed(1)} s`);

    // The warm-up's trace is in the window too: waiting for all of them, it counts, or the last upload's could be missed.
    await matchTraces(request, settings, [warmup, ...uploads], startedAt, reporter);
    return summarise({ rounds, variants, configured, prepared, image, failures, settings, request, runId, startedAt, cores, wallMs, setupMs });
  } finally {
    if (!configured) await restore(setupOptions, request.settings, reporter);
  }
}

/** Puts the configuration back as the config file has it (no variants), so the bench leaves no drift behind. */
async function restore(setupOptions: SetupOptions, original: ResolvedSettings, reporter: Reporter): Promise<void> {
  const step = reporter.step('restoring the function configuration (no variants, as configured)');
  try {
    await setup({ ...setupOptions, settings: original, reporter: silentReporter });
    step.succeed('function configuration restored (no variants, as configured)');
  } catch (error) {
    step.fail(`could not restore the function configuration: ${(error as Error).message}; run \`thumbctl setup\``);
  }
}

/** Uploads under `key` (traced) and waits for each of `thumbnails`; never throws (the error is recorded). */
async function uploadAndWait(
  request: VariantsBenchRequest,
  settings: ResolvedSettings,
  prepared: { body: Buffer; contentType: string },
  key: string,
  thumbnails: string[],
): Promise<RoundUpload> {
  const upload: RoundUpload = { key, thumbnails, traceId: null, latencyMs: null, error: null, trace: null };
  const started = performance.now();
  try {
    upload.traceId = await putTracedObject(request.clients.s3, { Bucket: settings.sourceBucket, Key: key, Body: prepared.body, ContentType: prepared.contentType });
    const deadline = AbortSignal.timeout(request.options.timeoutMs);
    const sightings = await Promise.all(thumbnails.map((thumbnail) => pollForThumbnail(request.clients.s3, { bucket: settings.thumbnailBucket, key: thumbnail, signal: deadline, startedAt: started })));
    const missing = thumbnails.filter((_, index) => !sightings[index]);
    if (missing.length > 0) upload.error = `no ${missing.join(', ')} within ${request.options.timeoutMs / 1000} s`;
    else upload.latencyMs = round1(Math.max(...sightings.map((sighting) => sighting!.observedAt)) - started);
  } catch (error) {
    upload.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  return upload;
}

/** Reads the traces of exactly these uploads, matched by the trace id each upload started. */
async function matchTraces(request: VariantsBenchRequest, settings: ResolvedSettings, uploads: RoundUpload[], startedAt: Date, reporter: Reporter): Promise<void> {
  const traced = uploads.filter((upload) => upload.traceId !== null && upload.error === null);
  const report = await collectTracesReport(
    request.clients.xray,
    {
      functionName: settings.functionName,
      target: request.target,
      options: { sinceMs: Date.now() - startedAt.getTime() + 2000, limit: uploads.length * 2 + 20, traceIds: [], serviceMap: false, wait: traced.length || undefined },
      serviceMap: false,
      waitTimeoutMs: TRACES_WAIT_MS[request.target],
      waitIntervalMs: 200,
    },
    reporter,
  );
  const ids = traced.map((upload) => upload.traceId!);
  const rowById = await completeTraces(request.clients.xray, { functionName: settings.functionName, target: request.target }, report.traces, ids, TRACES_WAIT_MS[request.target]);
  for (const upload of uploads) upload.trace = upload.traceId ? (rowById.get(upload.traceId) ?? null) : null;
}

interface SummaryInput {
  rounds: Round[];
  variants: readonly Variant[];
  configured: boolean;
  prepared: { body: Buffer };
  image: string;
  failures: { key: string; error: string }[];
  settings: ResolvedSettings;
  request: VariantsBenchRequest;
  runId: string;
  startedAt: Date;
  cores: number;
  wallMs: number;
  setupMs: number;
}

/** The numbers: p50s over the rounds of each side, and the ratios. */
export function summarise(input: SummaryInput): VariantsBenchResult {
  const { rounds, variants, settings } = input;
  const oneRows = rounds.flatMap((round) => (round.variants.trace ? [round.variants.trace] : []));
  // A round's separate side counts only when every one of its invocations was traced: a sum with a hole is no sum.
  const complete = (round: Round): boolean => round.separate.every((upload) => upload.trace !== null && upload.latencyMs !== null);
  const sum = (round: Round, pick: (row: TraceRow) => number | null): number | null => {
    if (!complete(round)) return null;
    const values = round.separate.map((upload) => pick(upload.trace!));
    return values.every((value) => value !== null) ? round1((values as number[]).reduce((total, value) => total + value, 0)) : null;
  };
  const separateInvocation = rounds.map((round) => sum(round, (row) => row.phases.invocationMs));
  const separateLatency = rounds.map((round) => (complete(round) ? round1(round.separate.reduce((total, upload) => total + upload.latencyMs!, 0)) : null));
  const oneInvocationP50 = median(oneRows.map((row) => row.phases.invocationMs));
  const separateInvocationP50 = median(separateInvocation);
  const oneE2eP50 = median(rounds.map((round) => round.variants.latencyMs));
  const separateE2eP50 = median(separateLatency);
  const perVariantResize = (name: string): number | null =>
    median(oneRows.map((row) => row.variants?.resizes.find((resize) => resize.name === name)?.resizeMs ?? null));
  const lost = rounds.reduce((total, round) => total + [round.variants, ...round.separate].reduce((count, upload) => count + (upload.error ? upload.thumbnails.length : 0), 0), 0);
  return {
    mode: 'variants',
    count: rounds.length,
    image: input.image,
    imageBytes: input.prepared.body.length,
    variants: JSON.parse(variantsToJson(variants)) as VariantEntry[],
    configured: input.configured,
    sameWork: variants.every((variant) => variant.format === 'same' && variant.fit === settings.fit && variant.quality === undefined),
    oneInvocation: {
      invocationP50Ms: oneInvocationP50,
      e2eP50Ms: oneE2eP50,
      decodeP50Ms: median(oneRows.map((row) => row.variants?.decodeMs ?? null)),
      resizeP50Ms: median(oneRows.map((row) => row.phases.resizeMs)),
      s3GetP50Ms: median(oneRows.map((row) => row.phases.s3GetMs)),
      s3PutP50Ms: median(oneRows.map((row) => row.phases.s3PutMs)),
      perVariant: variants.map((variant) => ({ name: variant.name, resizeP50Ms: perVariantResize(variant.name) })),
      traces: oneRows.length,
    },
    separateInvocations: {
      invocations: variants.length,
      invocationSumP50Ms: separateInvocationP50,
      e2eSumP50Ms: separateE2eP50,
      resizeSumP50Ms: median(rounds.map((round) => sum(round, (row) => row.phases.resizeMs))),
      s3GetSumP50Ms: median(rounds.map((round) => sum(round, (row) => row.phases.s3GetMs))),
      traces: rounds.reduce((total, round) => total + round.separate.filter((upload) => upload.trace !== null).length, 0),
    },
    ratio: ratio(oneInvocationP50, separateInvocationP50),
    ratioPaired: pairedRatio(rounds.map((round, index) => ({ value: round.variants.trace?.phases.invocationMs, baseline: separateInvocation[index] }))),
    e2eRatio: ratio(oneE2eP50, separateE2eP50),
    lost,
    failures: input.failures,
    target: input.request.target,
    runId: input.runId,
    startedAt: input.startedAt.toISOString(),
    cores: input.cores,
    wallMs: input.wallMs,
    setupMs: input.setupMs,
    architecture: settings.architecture,
  };
}

function describe(variants: readonly Variant[]): string {
  return variants.map((variant) => `${variant.name} ${variant.width}x${variant.height}`).join(', ');
}
