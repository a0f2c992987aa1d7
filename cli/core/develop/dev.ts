// `thumbctl dev`'s core: set the thumbnailer up on the local cloud (setup: idempotent), then on every save of the
// function's sources rebuild incrementally, update the function's code, wait for the update to be Successful, and
// replay the last upload, reporting one DevBuild per build to a listener. A save during a build supersedes it; a
// build that fails (to bundle, deploy or run) is reported and the loop goes on. When the signal fires it deploys
// nothing more, lets a deployment in flight finish, and returns: the last good deployment stays. No terminal.
import { relative } from 'node:path';
import { UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { firstLine, UserError, type Reporter } from '../../output.js';
import { DEV_DEFAULTS } from '../defaults.js';
import { describeError } from '../../../shared/retry.js';
import { lambdaChange, waitFunctionUpdated, type Pace, type StepContext } from '../provision/aws.js';
import { functionSource } from '../provision/package.js';
import { setup, type SetupResult } from '../provision/setup.js';
import type { CoreOptions } from '../provision/target.js';
import type { TracePhases } from '../traces/analyse.js';
import { BuildCancelled, DevBuilder, type DevPackage } from './builder.js';
import { chooseReplay, replayUpload, type ReplayChoice, type ReplayRun, type ReplayTarget, type ReplayThumbnail, type ReplayVariant } from './replay.js';
import { SourceWatcher } from './watch.js';
import { BundleError } from '../provision/package.js';

export interface DevRequest extends CoreOptions {
  /** False for --no-replay: build and deploy only. */
  replay: boolean;
  /** --image and --size. */
  choice: ReplayChoice;
  /** Fires on Ctrl-C. */
  signal: AbortSignal;
  debounceMs?: number;
}

/** Where a build stopped. */
export type DevStage = 'build' | 'deploy' | 'run';

/** One build, as `dev --json` prints it (one object per line). */
export interface DevBuild {
  /** 1 for the first save after start, counting builds that finished (a superseded one is not counted). */
  build: number;
  /** When the first save of this build was seen. */
  savedAt: string;
  /** The files saved, relative to the function directory. */
  changed: string[];
  /** esbuild's incremental rebuild and the zip. null when the build failed. */
  buildMs: number | null;
  /** UpdateFunctionCode until LastUpdateStatus is Successful; 0 when the code came out the same; null when not deployed. */
  deployMs: number | null;
  /** The replay: Invoke sent → answer received; null with --no-replay or when nothing ran. */
  e2eMs: number | null;
  /** From the save to the thumbnail (or to the error). */
  saveToThumbnailMs: number;
  /** Whether this build changed the function's code. */
  deployed: boolean;
  /**
   * Where the time went: from the save to the build's start (saves coming together are gathered), esbuild, the zip,
   * UpdateFunctionCode, waiting for Successful, and after the replay's answer, reading the thumbnail and the trace back.
   */
  timings: { waitMs: number | null; bundleMs: number | null; zipMs: number | null; updateMs: number | null; settleMs: number | null; readBackMs: number | null };
  /** The code the function runs after this build (the last good deployment when this one failed). */
  codeSha256: string;
  /** The thumbnail; for an upload without a size, the first variant's. */
  thumbnail: ReplayThumbnail | null;
  /** For an upload without a size: every variant the replay made, each read back; null otherwise. */
  variants: ReplayVariant[] | null;
  phases: TracePhases | null;
  coldStart: boolean | null;
  /** Against the previous build's run that made a thumbnail (the start-up run for the first build). */
  delta: { e2eMs: number; phases: Partial<Record<keyof TracePhases, number>> } | null;
  /** null when the build made its thumbnail (or, with --no-replay, deployed); else its first line. */
  error: string | null;
  stage: DevStage | null;
  /** The first lines that say more: the source line of a build error, the stack or ERROR logs of a failed run. */
  errorLines: string[];
}

/** What `dev` found and did before it started watching. */
export interface DevStart {
  functionDir: string;
  /** True when it is the function bundled with thumbctl (nothing ejected). */
  bundled: boolean;
  setup: SetupResult;
  /** The folders watched. */
  watching: string[];
  replay: Pick<ReplayTarget, 'sourceBucket' | 'key' | 'origin'> | null;
  /** The start-up run of the deployed code, the first build's delta is against it. */
  baseline: ReplayRun | null;
}

export interface DevListener {
  started(start: DevStart): void;
  /** A finished build, with its run (its log and trace) when it replayed. */
  built(build: DevBuild, run: ReplayRun | null): void;
  /** Something that does not stop the loop (a folder that cannot be watched). */
  warn(message: string): void;
}

/** The pace of the waiter after each update: the local cloud settles in about 100 ms, so look every 20 ms. */
const DEV_PACE = (pace: Pace): Pace => ({ ...pace, waitMinDelay: Math.min(pace.waitMinDelay, 0.02), waitMaxDelay: Math.min(pace.waitMaxDelay, 0.2) });

export async function runDev(request: DevRequest, listener: DevListener, reporter: Reporter): Promise<{ builds: number }> {
  const loop = new DevLoop(request, listener, reporter);
  return loop.run();
}

class DevLoop {
  private readonly source;
  private readonly debounceMs: number;
  private readonly stepContext: StepContext;
  private watcher: SourceWatcher | undefined;
  private builder: DevBuilder | undefined;
  private replayTarget: ReplayTarget | null = null;

  private pending = new Set<string>();
  private firstSeenAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private cycle: Promise<void> | undefined;
  private building = false;
  /** Bumped by every save: a cycle that sees it change was superseded. */
  private saves = 0;
  private ready = false;
  private stopping = false;
  private builds = 0;
  private deployedSha = '';
  private lastRun: { build: number; run: ReplayRun } | null = null;

  constructor(
    private readonly request: DevRequest,
    private readonly listener: DevListener,
    private readonly reporter: Reporter,
  ) {
    this.source = functionSource({ sourceDir: request.settings.functionDir });
    this.debounceMs = request.debounceMs ?? DEV_DEFAULTS.debounceMs;
    this.stepContext = { clients: request.clients, reporter, pace: DEV_PACE(request.pace), retries: [] };
  }

  async run(): Promise<{ builds: number }> {
    const { signal } = this.request;
    // Watching starts first: a save made while setup runs is built once dev is ready.
    this.watcher = new SourceWatcher({ root: this.source.dir, onChange: (path, at) => this.changed(path, at), onProblem: (message) => this.listener.warn(message) });
    try {
      // esbuild's context opens (and sharp's files are read) while setup runs.
      const opening = DevBuilder.open(this.source, this.request.settings.architecture, this.request.cacheDir);
      opening.catch(() => undefined);
      let setupResult: SetupResult;
      try {
        setupResult = await setup({ ...this.request, reporter: this.reporter });
      } catch (error) {
        await opening.then((builder) => builder.dispose()).catch(() => undefined);
        throw error;
      }
      const builder = await opening;
      this.builder = builder;
      this.deployedSha = setupResult.codeSha256;
      if (signal.aborted) return { builds: 0 };
      const first = await builder.build();
      this.watcher.track(first.inputs);

      let baseline: ReplayRun | null = null;
      if (this.request.replay && !signal.aborted) {
        const { settings } = this.request;
        this.replayTarget = await chooseReplay(
          this.request.clients,
          { sourceBucket: settings.sourceBucket, thumbnailBucket: settings.thumbnailBucket, functionName: settings.functionName, region: this.request.region, settings },
          this.request.choice,
          this.reporter,
        );
        baseline = await replayUpload(this.request.clients, this.replayTarget);
        if (!baseline.error) this.lastRun = { build: 0, run: baseline };
      }
      this.listener.started({
        functionDir: this.source.dir,
        bundled: this.source.bundled,
        setup: setupResult,
        watching: this.watcher.watchedFolders(),
        replay: this.replayTarget && { sourceBucket: this.replayTarget.sourceBucket, key: this.replayTarget.key, origin: this.replayTarget.origin },
        baseline,
      });
      this.ready = true;
      if (this.pending.size > 0) this.schedule();
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return { builds: this.builds };
    } finally {
      await this.stop();
    }
  }

  /** Ctrl-C: nothing new is built or deployed; a cycle in flight stops at its next step (a deployment finishes). */
  private async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.watcher?.close();
    if (this.building) await this.builder?.cancel().catch(() => undefined);
    await this.cycle?.catch(() => undefined);
    await this.builder?.dispose().catch(() => undefined);
  }

  private changed(path: string, at: number): void {
    if (this.stopping) return;
    this.pending.add(path);
    this.firstSeenAt ??= at;
    this.saves += 1;
    // A newer save makes the build in progress pointless: stop esbuild now rather than wait for it.
    if (this.building) void this.builder?.cancel().catch(() => undefined);
    if (this.ready) this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), this.debounceMs);
  }

  private kick(): void {
    this.timer = undefined;
    if (this.cycle || this.stopping || this.pending.size === 0) return;
    this.cycle = this.runCycle()
      .catch((error: unknown) => this.listener.warn(`dev: ${describeError(error)}`))
      .finally(() => {
        this.cycle = undefined;
        // Saves that came while it ran (it was superseded, or they came during the replay): build again.
        if (this.pending.size > 0 && !this.timer) this.kick();
      });
  }

  private async runCycle(): Promise<void> {
    const savedAt = this.firstSeenAt ?? performance.now();
    const changed = [...this.pending];
    this.pending.clear();
    this.firstSeenAt = undefined;
    const saves = this.saves;
    const superseded = (): boolean => this.saves !== saves || this.stopping;
    const requeue = (): void => {
      if (this.stopping) return;
      for (const path of changed) this.pending.add(path);
      this.firstSeenAt ??= savedAt;
    };

    // 1. Rebuild.
    const waitMs = round(performance.now() - savedAt);
    let built: DevPackage;
    this.building = true;
    try {
      built = await this.builder!.build();
    } catch (error) {
      if (error instanceof BuildCancelled || superseded()) return requeue();
      const bundle = error instanceof BundleError ? error : undefined;
      if (!bundle && !(error instanceof UserError)) throw error;
      return this.report({ changed, savedAt, timings: { ...NO_TIMINGS, waitMs }, stage: 'build', error: (error as Error).message, errorLines: bundle?.lineText ? [`${bundle.location}: ${bundle.lineText.trimEnd()}`] : [] });
    } finally {
      this.building = false;
    }
    this.watcher?.track(built.inputs);
    if (superseded()) return requeue();
    const buildMs = round(built.bundleMs + built.zipMs);

    // 2. Deploy, unless the code came out the same (a comment, a reformat).
    let deployMs = 0;
    let deployed = false;
    const timings: DevBuild['timings'] = { ...NO_TIMINGS, waitMs, bundleMs: round(built.bundleMs), zipMs: round(built.zipMs) };
    if (built.codeSha256 !== this.deployedSha) {
      const started = performance.now();
      try {
        Object.assign(timings, await this.deploy(built));
      } catch (error) {
        return this.report({ changed, savedAt, buildMs, timings, stage: 'deploy', error: describeError(error), errorLines: [] });
      }
      deployMs = round(performance.now() - started);
      deployed = true;
      this.deployedSha = built.codeSha256;
    }
    if (superseded()) return requeue();

    // 3. Replay.
    if (!this.replayTarget) return this.report({ changed, savedAt, buildMs, timings, deployMs, deployed });
    let run: ReplayRun;
    try {
      run = await replayUpload(this.request.clients, this.replayTarget);
    } catch (error) {
      return this.report({ changed, savedAt, buildMs, timings, deployMs, deployed, stage: 'run', error: describeError(error), errorLines: [] });
    }
    timings.readBackMs = run.readBackMs;
    this.report({ changed, savedAt, buildMs, timings, deployMs, deployed, run, ...(run.error ? { stage: 'run' as const, error: run.error, errorLines: run.errorLines } : {}) });
  }

  /** UpdateFunctionCode (an update already in progress is waited out), then the SDK's waiter until Successful. */
  private async deploy(built: DevPackage): Promise<{ updateMs: number; settleMs: number }> {
    const name = this.request.settings.functionName;
    const started = performance.now();
    await lambdaChange(this.stepContext, name, 'updating the function code', () =>
      this.request.clients.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: built.zip })),
    );
    const updated = performance.now();
    await waitFunctionUpdated(this.stepContext, name);
    return { updateMs: round(updated - started), settleMs: round(performance.now() - updated) };
  }

  private report(outcome: {
    changed: string[];
    savedAt: number;
    buildMs?: number;
    timings?: DevBuild['timings'];
    deployMs?: number;
    deployed?: boolean;
    run?: ReplayRun;
    stage?: DevStage;
    error?: string;
    errorLines?: string[];
  }): void {
    const { run } = outcome;
    const build = ++this.builds;
    const previous = this.lastRun;
    const succeeded = run && !run.error;
    const document: DevBuild = {
      build,
      savedAt: new Date(performance.timeOrigin + outcome.savedAt).toISOString(),
      changed: outcome.changed.map((path) => relative(this.source.dir, path) || path).sort(),
      buildMs: outcome.buildMs ?? null,
      deployMs: outcome.deployMs ?? null,
      e2eMs: run?.e2eMs ?? null,
      saveToThumbnailMs: round(performance.now() - outcome.savedAt),
      deployed: outcome.deployed ?? false,
      timings: outcome.timings ?? NO_TIMINGS,
      codeSha256: this.deployedSha,
      thumbnail: run?.thumbnail ?? null,
      variants: run?.variants ?? null,
      phases: run?.phases ?? null,
      coldStart: run?.coldStart ?? null,
      delta: succeeded && previous ? deltaOf(run, previous.run) : null,
      error: outcome.error === undefined ? null : firstLine(outcome.error),
      stage: outcome.stage ?? null,
      errorLines: outcome.errorLines ?? [],
    };
    if (succeeded) this.lastRun = { build, run };
    this.listener.built(document, run ?? null);
  }
}

function deltaOf(run: ReplayRun, previous: ReplayRun): DevBuild['delta'] {
  const phases: Partial<Record<keyof TracePhases, number>> = {};
  for (const key of Object.keys(run.phases ?? {}) as (keyof TracePhases)[]) {
    const now = run.phases?.[key];
    const before = previous.phases?.[key];
    if (typeof now === 'number' && typeof before === 'number') phases[key] = round(now - before);
  }
  return { e2eMs: round(run.e2eMs - previous.e2eMs), phases };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

const NO_TIMINGS: DevBuild['timings'] = { waitMs: null, bundleMs: null, zipMs: null, updateMs: null, settleMs: null, readBackMs: null };
