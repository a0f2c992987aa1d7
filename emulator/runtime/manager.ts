// Runs invocations: leases an environment from the pool, hands it the event through the Runtime API, and
// turns what happens (response, error, timeout, crash, out of memory, failed init) into Lambda's result,
// log lines (START/END/REPORT) and X-Ray segments. Knows nothing of the Lambda API or its storage.
import { existsSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { LogsForOthers, XRayForOthers } from '../core/context.js';
import { ExecutionEnvironment, type InitOutcome, type RunOutcome } from './environment.js';
import { LAMBDA_MB_PER_VCPU, probeCpuShare, readCpuShareChoice, refusalLine, type CpuShareLimiter } from './cpu-share.js';
import { CONTAINMENT_VARIABLE, containmentFor, readContainmentChoice, type Containment } from './containment.js';
import { EnvironmentLedger } from './environment-ledger.js';
import { describeExit, endLine, initReportLine, initStartLine, reportLine, runtimeWarningLine, startLine, timeoutLine } from './log-format.js';
import { NodeRuntimes, nodeCommandFor, type NodeRuntimeOptions } from './node-runtimes.js';
import { isOsOnlyRuntime } from './os-only-runtime.js';
import { EnvironmentPool, StaleFunctionError } from './pool.js';
import { TelemetryBatcher } from './telemetry.js';
import { buildInvocationSegments, planTrace, type InvocationTimeline, type TracePlan } from './tracing.js';
import type { LambdaTuning } from './tuning.js';
import type { InvocationRequest, InvocationResult, RunnableFunction } from './types.js';
import type { EnvironmentCredentials } from './function-env.js';

export interface RuntimeDependencies {
  /** The local cloud's endpoint (known once it listens). */
  endpoint(): string;
  tuning(): LambdaTuning;
  logs(): LogsForOthers | undefined;
  xray(): XRayForOthers | undefined;
  /** The X-Ray daemon's UDP address, when the X-Ray service runs one. */
  xrayDaemonAddress(): string | undefined;
  /** The cloud's diagnostic log. */
  log(message: string): void;
  /** Issues an environment's own credentials for its function's role, and takes them back when it dies. */
  credentials?: { issue(fn: RunnableFunction): EnvironmentCredentials; revoke(accessKeyId: string): void };
  /** The state directory: running environments are recorded under it, so a later server can kill their leftovers. */
  stateDir?: string;
  /** Whether `fn` is still the function's current generation (asked, synchronously, as each lease is granted). */
  isCurrent?(fn: RunnableFunction): boolean;
  /** The function as it is now, after `fn` turned out stale; throws the service's error when it is gone. */
  reload?(fn: RunnableFunction): Promise<RunnableFunction>;
  /** Where Node.js builds come from (default: the shared cache and npm's registry, as the environment says). */
  nodeRuntimes?: Omit<NodeRuntimeOptions, 'log' | 'signal'>;
}

/**
 * How many times one invocation re-reads a function that keeps changing under it before it gives up: each re-read
 * means another update returned while it waited, so this bounds a loop nobody should reach.
 */
export const MAX_FUNCTION_RELOADS = 10;
/** How long a warm environment's runtime may take to ask for its next event before the invocation is handed over anyway. */
const WARM_READY_GRACE_MS = 1000;
/** Warm environments tried (each found dead before it could take the event) before a cold start is all that is left. */
const MAX_WARM_ATTEMPTS = 3;

/** Where bootstrap.mjs is: next to this module (source tree), or in the source tree above a `dist/` build. */
export function locateBootstrap(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'bootstrap.mjs')];
  for (let dir = here, i = 0; i < 6; i += 1, dir = dirname(dir)) {
    candidates.push(join(dir, 'emulator', 'runtime', 'bootstrap.mjs'));
  }
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`bootstrap.mjs not found (looked in ${candidates.join(', ')})`);
  return resolve(found);
}

/** Node.js runtimes run on our bootstrap; OS-only runtimes (`provided.*`) on the function's own `bootstrap`. */
export function isRunnableRuntime(runtime: string): boolean {
  return /^nodejs\d+\.x$/.test(runtime) || isOsOnlyRuntime(runtime);
}

export class LambdaRuntime {
  private readonly pool: EnvironmentPool;
  private readonly telemetry: TelemetryBatcher;
  private readonly bootstrapPath: string;
  private readonly ledger: EnvironmentLedger | undefined;
  /** Chosen once, at start (THUMBCTL_LOCAL_CONTAINMENT, else the best the machine allows). */
  private containmentProbe: Promise<Containment> | undefined;
  /** THUMBCTL_LOCAL_CPU_SHARE=lambda: each environment's CPU limited as Lambda's is (cpu-share.ts). */
  private cpuShare: CpuShareLimiter | undefined;
  private readonly nodes: NodeRuntimes;

  constructor(private readonly deps: RuntimeDependencies) {
    this.bootstrapPath = locateBootstrap();
    this.nodes = new NodeRuntimes({ ...deps.nodeRuntimes, log: (message) => deps.log(message) });
    this.telemetry = new TelemetryBatcher(deps.logs, deps.xray, deps.log);
    this.ledger = deps.stateDir ? new EnvironmentLedger(deps.stateDir) : undefined;
    this.pool = new EnvironmentPool(
      (fn) => this.createEnvironment(fn),
      () => deps.tuning(),
      (fn) => deps.isCurrent?.(fn) ?? true,
    );
  }

  /**
   * Chooses how environments are contained (and says so in the cloud's log), then kills what the environments
   * of a server that died on this state directory left running. Before any invocation.
   */
  async start(): Promise<void> {
    const containment = await this.containment();
    const requested = process.env[CONTAINMENT_VARIABLE];
    if (requested && requested !== readContainmentChoice()) this.deps.log(`lambda: ${CONTAINMENT_VARIABLE}=${requested} is neither namespace nor process-group: ignored`);
    this.deps.log(`lambda: function containment: ${containment.summary}`);
    if (readCpuShareChoice() === 'lambda') {
      const probe = probeCpuShare();
      // The commands that set it probed first and refused; a server that cannot honour it must not run unlimited.
      if (!probe.ok) throw new Error(refusalLine(probe.reason));
      this.cpuShare = probe.limiter;
      this.deps.log(`lambda: CPU share as on Lambda (memory/${LAMBDA_MB_PER_VCPU} of a CPU per environment): ${probe.limiter.summary}`);
    }
    const leftovers = this.ledger?.reapLeftovers();
    if (leftovers && leftovers.records > 0) {
      const environments = `${leftovers.records} environment${leftovers.records === 1 ? '' : 's'}`;
      this.deps.log(`lambda: a server on this state directory died with ${environments} running; killed ${leftovers.killed} of their processes still alive`);
    }
  }

  /** How this runtime contains its environments (probed once). */
  containment(): Promise<Containment> {
    this.containmentProbe ??= containmentFor(readContainmentChoice());
    return this.containmentProbe;
  }

  /**
   * Runs one invocation to completion. Never throws for anything the function does: failures come back as
   * a result with `functionError`. It runs the function as it is when the invocation starts: if the code or
   * configuration changed after `fn` was read (an update returned while the invocation waited for a concurrency
   * slot, or while its environment was initialising the old code), it reads the function again and runs that,
   * so nothing runs old code once an update has returned, as on Lambda.
   */
  async invoke(fn: RunnableFunction, request: InvocationRequest): Promise<InvocationResult> {
    for (let reloads = 0; ; reloads++) {
      try {
        return await this.invokeGeneration(fn, request);
      } catch (error) {
        if (!(error instanceof StaleFunctionError) || !this.deps.reload) throw error;
        if (reloads >= MAX_FUNCTION_RELOADS) throw new Error(`function ${fn.name} changed ${reloads} times while one invocation waited for it`);
        fn = await this.deps.reload(fn);
      }
    }
  }

  /** One invocation of this generation of the function; StaleFunctionError when it is no longer current. */
  private async invokeGeneration(fn: RunnableFunction, request: InvocationRequest): Promise<InvocationResult> {
    const receivedAt = Date.now();
    const plan = planTrace(fn.tracingMode, request.traceHeader, lineageOf(fn));
    // The Node.js of the function's runtime, before anything else: a first use may download it (once per server
    // and machine: node-runtimes.ts), and that wait must hold no concurrency slot and start no init clock, so
    // Init Duration and the init timeout never include it. This is the one place the download happens: where
    // someone already waits for the function (and `thumbctl setup` can fetch it ahead, with a progress line).
    // Not in the background at CreateFunction: a command's own embedded cloud closes right after setup and
    // would abandon the download half-way, or hold the command open for it. An OS-only runtime brings its own.
    if (!isOsOnlyRuntime(fn.runtime)) await this.nodes.resolve(fn.runtime);
    let lease = await this.pool.acquire(fn);
    // A warm environment whose runtime has not asked for the next event yet may be exiting instead: Lambda
    // would run the invocation on a new environment then, and so do we (a bounded number of times).
    for (let attempt = 1; !lease.cold && attempt <= MAX_WARM_ATTEMPTS; attempt += 1) {
      if (await lease.environment.readyForEvent(WARM_READY_GRACE_MS)) break;
      this.pool.release(lease.environment);
      lease = await this.pool.acquire(fn);
    }
    const environment = lease.environment;
    const lines: string[] = [];
    const write = (message: string, timestamp = Date.now()): void => {
      lines.push(message);
      this.telemetry.appendLog(fn.logGroup, environment.logStream, message, timestamp);
    };
    this.tap(environment, lines);
    try {
      if (lease.cold) {
        const init = await environment.ready;
        // Retired while it initialised: the function changed, and this environment holds the old code.
        if (environment.retired) {
          environment.kill();
          throw new StaleFunctionError(fn.name);
        }
        if (!init.ok) return await this.failedInit(fn, request, environment, init, plan, lines, write);
      }
      write(`${startLine(request.requestId)}\n`);
      const invokeStartedAt = Date.now();
      const started = performance.now();
      const overheadEnded = plan.sampled ? environment.waitForNextCall(1000) : undefined;
      const outcome = await environment.run(
        {
          requestId: request.requestId,
          payload: request.payload.length === 0 ? Buffer.from('{}') : request.payload,
          deadlineMs: Date.now() + fn.timeoutSeconds * 1000,
          functionArn: fn.arn,
          traceHeader: plan.functionHeader,
          clientContext: request.clientContext,
          responseStream: request.responseStream,
        },
        fn.timeoutSeconds * 1000,
      );
      const durationMs = performance.now() - started;
      const invokeEndedAt = Date.now();
      // Lines the function printed just before replying may still be in the pipe: let them land first.
      if (environment.state !== 'dead') await new Promise((resolveLater) => setImmediate(resolveLater));
      const result = this.interpret(fn, request, outcome, invokeEndedAt);
      if (result.extraLine) write(`${result.extraLine}\n`);
      write(`${endLine(request.requestId)}\n`);
      write(
        `${reportLine({
          requestId: request.requestId,
          durationMs: outcome.kind === 'timeout' ? Math.max(durationMs, fn.timeoutSeconds * 1000) : durationMs,
          memorySizeMb: fn.memorySizeMb,
          maxMemoryUsedMb: environment.maxMemoryUsedMb(),
          initDurationMs: lease.cold ? environment.initDurationMs : undefined,
          status: result.status,
          xray: plan.sampled ? { traceId: plan.traceId, segmentId: plan.serviceSegmentId } : undefined,
        })}\n`,
      );
      if (plan.sampled) {
        const timeline: InvocationTimeline = {
          queuedAt: request.queuedAt,
          receivedAt,
          initStartedAt: lease.cold ? environment.initStartedAt : undefined,
          initEndedAt: lease.cold ? environment.initEndedAt : undefined,
          invokeStartedAt,
          invokeEndedAt,
          overheadEndedAt: invokeEndedAt,
        };
        void this.recordSegments(fn, request, plan, timeline, result.errorType, result.errorMessage, overheadEnded);
      }
      return {
        requestId: request.requestId,
        payload: result.payload,
        functionError: result.errorType ? 'Unhandled' : undefined,
        errorType: result.errorType,
        log: lines.join(''),
        logGroup: fn.logGroup,
        logStream: environment.logStream,
        durationMs,
        initDurationMs: lease.cold ? environment.initDurationMs : undefined,
        traceId: plan.traceId,
      };
    } finally {
      this.untap(environment);
      this.pool.release(environment);
    }
  }

  /** Stops reusing the function's environments (its code or configuration changed, or it was deleted). */
  retire(functionName: string): void {
    this.pool.retire(functionName);
  }

  /** Code folders no function uses any more, removed when the last environment running in them is gone. */
  private readonly releasedFolders = new Map<string, () => boolean>();

  /**
   * Removes a code folder no function uses any more: now, or once the environments still running in it (retired,
   * finishing an invocation) are gone. `stillUnused` is asked again just before, as the same code may be deployed
   * anew meanwhile. The folder is renamed aside first, so an unpack of the same code never finds half of it.
   */
  releaseCode(directory: string, stillUnused: () => boolean): void {
    this.releasedFolders.set(directory, stillUnused);
    this.removeReleased(directory);
  }

  private removeReleased(directory: string): void {
    const stillUnused = this.releasedFolders.get(directory);
    if (!stillUnused) return;
    if (this.pool.list().some((environment) => environment.fn.codeDirectory === directory && environment.state !== 'dead')) return;
    this.releasedFolders.delete(directory);
    if (!stillUnused() || !existsSync(directory)) return;
    const aside = join(dirname(directory), `.released-${randomBytes(6).toString('hex')}`);
    try {
      renameSync(directory, aside);
    } catch (error) {
      this.deps.log(`lambda: could not remove the unused code folder ${directory}: ${(error as Error).message}`);
      return;
    }
    rm(aside, { recursive: true, force: true }).catch((error: Error) => this.deps.log(`lambda: could not remove ${aside}: ${error.message}`));
  }

  /** The live environments (of one function), for diagnostics and tests. */
  environments(functionName?: string): ExecutionEnvironment[] {
    return this.pool.list(functionName);
  }

  /** Writes a line to a function's log (e.g. an async event dropped after its retries). */
  appendLog(logGroup: string, logStream: string, message: string): void {
    this.telemetry.appendLog(logGroup, logStream, message.endsWith('\n') ? message : `${message}\n`);
  }

  async stop(): Promise<void> {
    this.nodes.stop();
    await this.pool.stop();
    this.ledger?.close();
    // Invocations cut short by the stop finish on later turns; give them one, then close the batcher.
    await new Promise((resolveLater) => setImmediate(resolveLater));
    this.telemetry.close();
    this.cpuShare?.close();
  }

  private createEnvironment(fn: RunnableFunction): ExecutionEnvironment {
    const credentials = this.deps.credentials?.issue(fn);
    // Resolved by invoke() before it leased this environment.
    const node = this.nodes.peek(fn.runtime);
    const environment = new ExecutionEnvironment({
      ...(credentials ? { credentials } : {}),
      ...(node ? { node: nodeCommandFor(node, fn.variables.NODE_OPTIONS) } : {}),
      fn,
      bootstrapPath: this.bootstrapPath,
      runtimeDirectory: dirname(this.bootstrapPath),
      endpoint: this.deps.endpoint(),
      xrayDaemonAddress: this.deps.xrayDaemonAddress(),
      initTimeoutMs: this.deps.tuning().initTimeoutMs,
      containment: this.containment(),
      ...(this.cpuShare ? { cpuShare: this.cpuShare } : {}),
      ...(this.ledger ? { ledger: this.ledger } : {}),
      log: (message) => this.deps.log(message),
      onLine: (env, message, timestamp) => this.handleLine(env, message, timestamp),
      onDead: (env) => {
        if (credentials) this.deps.credentials?.revoke(credentials.accessKeyId);
        this.pool.forget(env);
        this.removeReleased(env.fn.codeDirectory);
      },
    });
    this.telemetry.appendLog(fn.logGroup, environment.logStream, `${initStartLine(fn.runtime, fn.region)}\n`);
    // Said in the function's own log, at every environment start, in the runtime's warning format.
    if (node?.warning) this.telemetry.appendLog(fn.logGroup, environment.logStream, `${runtimeWarningLine(node.warning)}\n`);
    environment.start().catch((error: Error) => {
      this.deps.log(`lambda: could not start an environment for ${fn.name}: ${error.message}`);
      environment.kill();
    });
    return environment;
  }

  private readonly taps = new Map<ExecutionEnvironment, string[]>();

  private tap(environment: ExecutionEnvironment, lines: string[]): void {
    this.taps.set(environment, lines);
  }

  private untap(environment: ExecutionEnvironment): void {
    this.taps.delete(environment);
  }

  private handleLine(environment: ExecutionEnvironment, message: string, timestamp: number): void {
    this.taps.get(environment)?.push(message);
    this.telemetry.appendLog(environment.fn.logGroup, environment.logStream, message, timestamp);
  }

  private interpret(
    fn: RunnableFunction,
    request: InvocationRequest,
    outcome: RunOutcome,
    endedAt: number,
  ): {
    payload: Buffer;
    errorType?: string;
    errorMessage?: string;
    extraLine?: string;
    status?: { kind: 'timeout' } | { kind: 'error'; errorType: string };
  } {
    switch (outcome.kind) {
      case 'response':
        return { payload: outcome.body };
      case 'error':
        return { payload: outcome.body, errorType: outcome.errorType, errorMessage: outcome.errorMessage };
      case 'too-large': {
        const errorMessage = `Response payload size (${outcome.bytes} bytes) exceeded maximum allowed payload size (${outcome.limit} bytes).`;
        return { payload: errorDocument('Function.ResponseSizeTooLarge', errorMessage), errorType: 'Function.ResponseSizeTooLarge', errorMessage };
      }
      case 'timeout': {
        // AWS's classic timeout result: the message only, and the same text as a log line.
        const line = timeoutLine(endedAt, request.requestId, fn.timeoutSeconds);
        return {
          payload: Buffer.from(JSON.stringify({ errorMessage: line })),
          errorType: 'Sandbox.Timedout',
          errorMessage: line,
          extraLine: line,
          status: { kind: 'timeout' },
        };
      }
      case 'exit': {
        const errorType = outcome.outOfMemory ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
        const signal = outcome.outOfMemory && outcome.signal !== 'SIGKILL' && outcome.signal !== 'SIGABRT' ? 'SIGKILL' : outcome.signal;
        const errorMessage = `RequestId: ${request.requestId} Error: Runtime exited with error: ${describeExit(outcome.code, signal)}`;
        return {
          payload: errorDocument(errorType, errorMessage),
          errorType,
          errorMessage,
          extraLine: `${errorMessage}\n${errorType}`,
          status: { kind: 'error', errorType },
        };
      }
    }
  }

  /** A cold start whose init failed: the invocation fails with the init error, as Lambda reports it. */
  private async failedInit(
    fn: RunnableFunction,
    request: InvocationRequest,
    environment: ExecutionEnvironment,
    init: Exclude<InitOutcome, { ok: true }>,
    plan: TracePlan,
    lines: string[],
    write: (message: string) => void,
  ): Promise<InvocationResult> {
    await new Promise((resolveLater) => setImmediate(resolveLater));
    let errorType: string;
    let errorMessage: string | undefined;
    let payload: Buffer;
    let status: 'error' | 'timeout' = 'error';
    if (init.kind === 'init-error') {
      errorType = init.errorType;
      errorMessage = init.errorMessage;
      payload = init.body;
    } else if (init.kind === 'invalid-entrypoint') {
      errorType = 'Runtime.InvalidEntrypoint';
      errorMessage = `RequestId: ${request.requestId} Error: ${init.reason}`;
      payload = errorDocument(errorType, errorMessage);
    } else if (init.kind === 'timeout') {
      status = 'timeout';
      errorType = 'Sandbox.Timedout';
      const seconds = (this.deps.tuning().initTimeoutMs / 1000).toFixed(2);
      errorMessage = `RequestId: ${request.requestId} Error: Task timed out after ${seconds} seconds`;
      payload = errorDocument(errorType, errorMessage);
    } else {
      errorType = init.outOfMemory ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
      errorMessage = `RequestId: ${request.requestId} Error: Runtime exited with error: ${describeExit(init.code, init.signal)}`;
      payload = errorDocument(errorType, errorMessage);
    }
    const initDurationMs = environment.initDurationMs ?? 0;
    write(`${initReportLine(initDurationMs, status, status === 'error' ? errorType : undefined)}\n`);
    write(`${startLine(request.requestId)}\n`);
    write(`${endLine(request.requestId)}\n`);
    write(
      `${reportLine({
        requestId: request.requestId,
        durationMs: initDurationMs,
        memorySizeMb: fn.memorySizeMb,
        maxMemoryUsedMb: environment.maxMemoryUsedMb(),
        status: { kind: 'error', errorType },
        xray: plan.sampled ? { traceId: plan.traceId, segmentId: plan.serviceSegmentId } : undefined,
      })}\n`,
    );
    environment.kill();
    if (plan.sampled) {
      const now = Date.now();
      void this.recordSegments(
        fn,
        request,
        plan,
        {
          queuedAt: request.queuedAt,
          receivedAt: environment.initStartedAt,
          initStartedAt: environment.initStartedAt,
          initEndedAt: environment.initEndedAt ?? now,
          invokeStartedAt: environment.initEndedAt ?? now,
          invokeEndedAt: now,
          overheadEndedAt: now,
        },
        errorType,
        errorMessage,
        undefined,
      );
    }
    return {
      requestId: request.requestId,
      payload,
      functionError: 'Unhandled',
      errorType,
      log: lines.join(''),
      logGroup: fn.logGroup,
      logStream: environment.logStream,
      durationMs: initDurationMs,
      initDurationMs,
      traceId: plan.traceId,
    };
  }

  private async recordSegments(
    fn: RunnableFunction,
    request: InvocationRequest,
    plan: TracePlan,
    timeline: InvocationTimeline,
    errorType: string | undefined,
    errorMessage: string | undefined,
    overheadEnded: Promise<number | undefined> | undefined,
  ): Promise<void> {
    try {
      const nextCallAt = overheadEnded ? await overheadEnded : undefined;
      const documents = buildInvocationSegments({
        plan,
        functionName: fn.name,
        functionArn: fn.arn,
        accountId: fn.accountId,
        requestId: request.requestId,
        attempt: request.attempt ?? 1,
        timeline: { ...timeline, overheadEndedAt: nextCallAt ?? timeline.overheadEndedAt },
        error: errorType ? { type: errorType, message: errorMessage ?? errorType } : undefined,
        annotations: request.annotations,
      });
      this.telemetry.appendSegments(documents);
    } catch (error) {
      // Tracing never breaks an invocation.
      this.deps.log(`lambda: could not build trace segments for ${fn.name}: ${(error as Error).message}`);
    }
  }
}

function errorDocument(errorType: string, errorMessage: string): Buffer {
  return Buffer.from(JSON.stringify({ errorType, errorMessage }));
}

const lineages = new Map<string, string>();

/** Lambda's recursion-detection lineage: `1:<8 hex of the function>:0` (we never count loops). */
function lineageOf(fn: RunnableFunction): string {
  let lineage = lineages.get(fn.arn);
  if (!lineage) {
    lineage = `1:${createHash('sha256').update(fn.arn).digest('hex').slice(0, 8)}:0`;
    if (lineages.size > 10_000) lineages.clear();
    lineages.set(fn.arn, lineage);
  }
  return lineage;
}
