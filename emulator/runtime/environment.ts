// One execution environment: our bootstrap running on Node.js (or, for an OS-only runtime, the function's own
// `bootstrap`) against its own Runtime API server, inside the containment the machine allows (containment.ts),
// with its output captured line by line, the memory of all its processes watched (above MemorySize it is killed,
// as Lambda does; an idle one is recycled) and its init timed.
// It runs one invocation at a time; pooling and logging policy live elsewhere.
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RuntimeApiServer, type RuntimeInvocation, type RuntimeReply } from './runtime-api.js';
import { compileCacheDirectory } from './code-package.js';
import { storeCompileCache, storedCompileCache } from './compile-cache.js';
import { ContainedProcess, type Containment } from './containment.js';
import type { CpuShareLimiter, EnvironmentCpuGroup } from './cpu-share.js';
import type { EnvironmentLedger } from './environment-ledger.js';
import { environmentVariables, type EnvironmentCredentials } from './function-env.js';
import { newLogStreamName } from './log-format.js';
import { defaultCacheRoot } from './node-cache.js';
import { findCustomBootstrap, isOsOnlyRuntime } from './os-only-runtime.js';
import type { NodeCommand, RunnableFunction } from './types.js';

export type InitOutcome =
  | { ok: true }
  | { ok: false; kind: 'init-error'; errorType: string; body: Buffer; errorMessage?: string }
  | { ok: false; kind: 'exit'; code: number | null; signal: NodeJS.Signals | null; outOfMemory: boolean }
  | { ok: false; kind: 'timeout' }
  /** An OS-only runtime's `bootstrap` is missing or cannot be executed: nothing was started. */
  | { ok: false; kind: 'invalid-entrypoint'; reason: string };

export type RunOutcome =
  | RuntimeReply
  | { kind: 'timeout' }
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null; outOfMemory: boolean };

export interface EnvironmentOptions {
  fn: RunnableFunction;
  bootstrapPath: string;
  runtimeDirectory: string;
  endpoint: string;
  xrayDaemonAddress?: string;
  initTimeoutMs: number;
  /** The node to start and its runtime's flags, resolved before the environment is made (default: this process's node, no flags). */
  node?: NodeCommand;
  /** The environment's own credentials, identifying the function's role. */
  credentials?: EnvironmentCredentials;
  /** How environments are fenced in on this machine (probed once per server). */
  containment: Containment | Promise<Containment>;
  /** `--cpu-share lambda`: each environment in a cgroup of its own, limited to memory/1,769 of a CPU. */
  cpuShare?: CpuShareLimiter;
  /** Where the environment is recorded while it runs, for the cleanup after a crash of the server. */
  ledger?: EnvironmentLedger;
  /** The cloud's diagnostic log. */
  log?(message: string): void;
  /** Each line the process prints, already turned into a log event's text (newline-terminated). */
  onLine(environment: ExecutionEnvironment, message: string, timestamp: number): void;
  /** Called once, when the process is gone (for any reason). */
  onDead(environment: ExecutionEnvironment): void;
}

/**
 * The V8 heap limits Lambda's Node.js runtimes start node with, sized from the function's memory as their
 * /var/runtime/bootstrap does: a tenth of MemorySize for the young generation (each of its two semi-spaces half
 * of that) and the rest for the old generation. A function that allocates past them fails here as it would there.
 */
export function lambdaHeapArguments(memorySizeMb: number): string[] {
  const newSpaceMb = Math.floor(memorySizeMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpaceMb / 2)}`, `--max-old-space-size=${memorySizeMb - newSpaceMb}`];
}

/**
 * The other flags Lambda's Node.js bootstrap starts node with: `gc()` is there for a function to call, and a
 * response's headers may be up to 80 KB. Free at init: the heap flags already change V8's flag hash (BENCHMARKS.md).
 */
export const LAMBDA_NODE_FLAGS = ['--expose-gc', '--max-http-header-size=81920'] as const;

/** How long after an init its compiled code is offered to the machine-wide store. */
const STORE_COMPILED_CODE_AFTER_MS = 1_000;
/** How often the environment's memory is sampled while it is initialising or busy. */
const MEMORY_POLL_MS = 20;
/** ... and while it is idle (a function can keep allocating between invocations). */
const IDLE_MEMORY_POLL_MS = 250;

export class ExecutionEnvironment {
  readonly id = randomBytes(8).toString('hex');
  readonly fn: RunnableFunction;
  readonly logStream: string;
  /** `stopping`: killed, its exit not yet seen; never used again. */
  state: 'initializing' | 'idle' | 'busy' | 'stopping' | 'dead' = 'initializing';
  /** Set when its function changed: it finishes what it runs, then stops. */
  retired = false;
  lastUsedAt = Date.now();
  /** Epoch ms of spawn and of the first `/next` (init end). */
  initStartedAt = Date.now();
  initEndedAt: number | undefined;
  initDurationMs: number | undefined;
  /** Resolves when init ends: the first `/next`, an init error, an early exit, or the init timeout. */
  readonly ready: Promise<InitOutcome>;

  private readonly api: RuntimeApiServer;
  private processes: ContainedProcess | undefined;
  private cpuGroup: EnvironmentCpuGroup | undefined;
  private containment: Containment | undefined;
  private readonly initStartedPerf = performance.now();
  private settleInit!: (outcome: InitOutcome) => void;
  private initSettled = false;
  private initError: { errorType: string; body: Buffer; errorMessage?: string } | undefined;
  private running: ((outcome: RunOutcome) => void) | undefined;
  private runTimer: NodeJS.Timeout | undefined;
  private initTimer: NodeJS.Timeout | undefined;
  private memoryTimer: NodeJS.Timeout | undefined;
  private memoryPollMs = 0;
  private killedForMemory = false;
  private peakRssKb = 0;
  private heapExhausted = false;
  private nextCallWaiters: ((at: number) => void)[] = [];
  private exited = false;

  constructor(private readonly options: EnvironmentOptions) {
    this.fn = options.fn;
    this.logStream = newLogStreamName();
    this.ready = new Promise((resolve) => (this.settleInit = resolve));
    this.api = new RuntimeApiServer({
      onNext: () => this.handleNext(),
      onInitError: (errorType, body, errorMessage) => {
        this.initError = { errorType, body, errorMessage };
      },
      isOwnPeer: (clientPort, serverPort) => this.isOwnPeer(clientPort, serverPort),
    });
  }

  /** Starts the Runtime API and the process; init completes asynchronously (see `ready`). */
  async start(): Promise<void> {
    const containment = await this.options.containment;
    this.containment = containment;
    if (this.isStopped()) return;
    const custom = isOsOnlyRuntime(this.fn.runtime) ? findCustomBootstrap(this.fn.codeDirectory) : undefined;
    if (custom && !custom.ok) {
      this.finishInit({ ok: false, kind: 'invalid-entrypoint', reason: custom.reason });
      return;
    }
    await this.api.listen();
    // Killed while the port was being opened: handleExit already ran, so close what it could not.
    if (this.isStopped()) return this.api.close();
    const node = this.options.node ?? { binary: process.execPath, args: [] };
    const env = environmentVariables({
      nodeBinary: node.binary,
      fn: this.fn,
      logStream: this.logStream,
      runtimeApi: this.api.address,
      endpoint: this.options.endpoint,
      xrayDaemonAddress: this.options.xrayDaemonAddress,
      runtimeDirectory: this.options.runtimeDirectory,
      credentials: this.options.credentials,
    });
    this.initStartedAt = Date.now();
    const runtimeOptions = [...(containment.initShell ? ['--report-fd=3'] : []), '--loopback-listeners', `--compile-cache=${compileCacheDirectory(this.fn.codeDirectory)}`];
    this.cpuGroup = this.options.cpuShare?.create(`environment-${this.id}`, this.fn.memorySizeMb);
    const processes = new ContainedProcess({
      containment,
      ...(this.cpuGroup ? { cpuProcsFile: this.cpuGroup.procsFile } : {}),
      // The function's own runtime takes no options of ours: it gets neither the exit report nor the loopback patch.
      command: custom?.command ?? [node.binary, ...node.args, ...LAMBDA_NODE_FLAGS, ...lambdaHeapArguments(this.fn.memorySizeMb), this.options.bootstrapPath, ...runtimeOptions],
      cwd: this.fn.codeDirectory,
      env,
    });
    this.processes = processes;
    const record = processes.record();
    if (record && this.options.ledger) this.options.ledger.add(record, (message) => this.options.log?.(message));
    const child = processes.child;
    this.capture(child.stdout!);
    this.capture(child.stderr!);
    child.on('error', () => this.handleExit(null, null));
    child.on('exit', (rawCode, rawSignal) => {
      const { code, signal } = processes.decodeExit(rawCode, rawSignal);
      // Whatever the runtime left behind goes with it (in a namespace nothing can be left).
      processes.kill();
      // Let the pipes deliver what the process wrote before it died, then report.
      let reported = false;
      const report = (): void => {
        if (reported) return;
        reported = true;
        this.handleExit(code, signal);
      };
      child.once('close', report);
      setTimeout(report, 100).unref();
    });
    this.initTimer = setTimeout(() => {
      if (this.initSettled) return;
      this.finishInit({ ok: false, kind: 'timeout' });
      this.kill();
    }, this.options.initTimeoutMs);
    this.watchMemory(MEMORY_POLL_MS);
  }

  /** The spawned process (unshare, or the environment's init): the leader of its process group. */
  get pid(): number | undefined {
    return this.processes?.pid;
  }

  /** The Runtime API's address (`127.0.0.1:<port>`), for diagnostics and tests. */
  get runtimeApiAddress(): string {
    return this.api.address;
  }

  /** Connections to its Runtime API refused because they came from outside the environment. */
  get refusedRuntimeApiConnections(): number {
    return this.api.refusedConnections;
  }

  /**
   * Runs one invocation: delivers it, then waits for the reply, the timeout (the process is killed) or the
   * process's death.
   */
  run(invocation: RuntimeInvocation, timeoutMs: number): Promise<RunOutcome> {
    if (this.state === 'dead' || this.state === 'stopping') return Promise.resolve({ kind: 'exit', code: null, signal: 'SIGKILL', outOfMemory: false });
    this.state = 'busy';
    this.lastUsedAt = Date.now();
    this.watchMemory(MEMORY_POLL_MS);
    return new Promise<RunOutcome>((resolve) => {
      const finish = (outcome: RunOutcome): void => {
        if (this.running !== finish) return;
        this.running = undefined;
        if (this.runTimer) clearTimeout(this.runTimer);
        this.runTimer = undefined;
        resolve(outcome);
      };
      this.running = finish;
      this.runTimer = setTimeout(() => {
        this.api.abandon();
        finish({ kind: 'timeout' });
        this.kill();
      }, timeoutMs);
      this.api.deliver(invocation).then(finish, () => finish({ kind: 'exit', code: null, signal: null, outOfMemory: false }));
    });
  }

  /** Back to the pool. */
  markIdle(): void {
    if (this.state === 'dead' || this.state === 'stopping') return;
    this.state = 'idle';
    this.lastUsedAt = Date.now();
    this.watchMemory(IDLE_MEMORY_POLL_MS);
  }

  /**
   * True when the environment is within its memory now; otherwise it is recycled at once (an idle one that
   * grew in the background must not make the next invocation fail for it) and this returns false.
   */
  withinMemoryLimit(): boolean {
    if (this.state === 'dead' || this.state === 'stopping') return false;
    if (!this.overMemoryLimit()) return true;
    this.recycleForMemory();
    return false;
  }

  markBusy(): void {
    if (this.state === 'idle' || this.state === 'initializing') this.state = 'busy';
  }

  /** Resolves with the time of the runtime's next `/next` call, or undefined after `timeoutMs`. */
  waitForNextCall(timeoutMs: number): Promise<number | undefined> {
    if (this.state === 'dead' || this.state === 'stopping') return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      this.nextCallWaiters.push((at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  /**
   * Whether the environment can take an event: true once its runtime waits on `/next` (or after `graceMs`
   * without a word, when `run` and its timeout take over), false when it died first (a runtime may exit right
   * after posting an invocation's error, as Lambda's does after an uncaught exception).
   */
  async readyForEvent(graceMs: number): Promise<boolean> {
    if (!this.api.waitingForEvent && !this.isStopped()) await this.waitForNextCall(graceMs);
    return !this.isStopped();
  }

  /** Peak resident memory of the function's processes so far, in MB (Lambda's "Max Memory Used"). */
  maxMemoryUsedMb(): number {
    if (this.killedForMemory) return this.fn.memorySizeMb;
    if (!this.exited && this.processes) {
      this.sampleMemoryKb();
      this.peakRssKb = Math.max(this.peakRssKb, this.processes.largestPeakKb());
    }
    return Math.min(Math.round(this.peakRssKb / 1024), this.fn.memorySizeMb);
  }

  /** Stops every process of the environment now (SIGKILL: Lambda gives no grace either). */
  kill(): void {
    if (this.state !== 'dead') this.state = 'stopping';
    if (this.processes && !this.exited) this.processes.kill();
    else if (!this.processes) this.handleExit(null, 'SIGKILL');
  }

  private isStopped(): boolean {
    return this.state === 'stopping' || this.state === 'dead';
  }

  private async isOwnPeer(clientPort: number, serverPort: number): Promise<boolean> {
    if (!this.processes || !this.containment) return false;
    // Where /proc cannot tell who is at the other end (not Linux), every local process is let in.
    if (!this.containment.procAvailable) return true;
    return this.processes.ownsConnection(serverPort, clientPort);
  }

  /**
   * Offers what this init compiled (bootstrap.mjs writes it before its first `/next`) to the machine-wide store of
   * its package, so another state directory's first cold start of the same package finds it (compile-cache.ts).
   * A second later, off the first invocation's way; once per package, Node.js version and flags (the store's first
   * writer wins).
   */
  private storeCompiledCode(): void {
    const digest = basename(this.fn.codeDirectory);
    if (!/^[0-9a-f]{64}$/.test(digest)) return;
    const store = storedCompileCache(defaultCacheRoot(), digest);
    setTimeout(() => {
      void storeCompileCache({ folder: this.fn.codeDirectory, cache: compileCacheDirectory(this.fn.codeDirectory), store });
    }, STORE_COMPILED_CODE_AFTER_MS).unref();
  }

  private handleNext(): void {
    const now = Date.now();
    if (!this.initSettled) {
      this.initEndedAt = now;
      this.initDurationMs = performance.now() - this.initStartedPerf;
      if (this.state === 'initializing') this.state = 'busy';
      this.finishInit({ ok: true });
      this.storeCompiledCode();
    }
    const waiters = this.nextCallWaiters;
    this.nextCallWaiters = [];
    for (const waiter of waiters) waiter(now);
  }

  private finishInit(outcome: InitOutcome): void {
    if (this.initSettled) return;
    this.initSettled = true;
    if (this.initTimer) clearTimeout(this.initTimer);
    if (!outcome.ok) {
      this.initEndedAt = Date.now();
      this.initDurationMs = performance.now() - this.initStartedPerf;
    }
    this.settleInit(outcome);
  }

  private handleExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.state === 'dead') return;
    this.exited = true;
    this.state = 'dead';
    this.stopWatchingMemory();
    const cpuGroup = this.cpuGroup;
    if (cpuGroup) {
      // The rest of a namespace dies with its init a moment later; the kernel keeps the cgroup until then.
      cpuGroup.release();
      setTimeout(() => cpuGroup.release(), 1000).unref();
    }
    if (this.initTimer) clearTimeout(this.initTimer);
    const outOfMemory = this.killedForMemory || this.heapExhausted;
    if (!this.initSettled) {
      if (this.initError) this.finishInit({ ok: false, kind: 'init-error', ...this.initError });
      else this.finishInit({ ok: false, kind: 'exit', code, signal, outOfMemory });
    }
    const tell = (): void => {
      this.api.abandon();
      this.running?.({ kind: 'exit', code, signal, outOfMemory });
      for (const waiter of this.nextCallWaiters) waiter(Date.now());
      this.nextCallWaiters = [];
      this.api.close();
      if (this.processes) this.options.ledger?.remove(this.processes.label);
      this.options.onDead(this);
    };
    // An answer the runtime posted just before it exited still counts: it is read to its end before the exit is
    // told to the invocation (which ignores the exit when the answer settled it first).
    if (this.api.connectionsOpen) void this.api.connectionsDrained().then(tell);
    else tell();
  }

  private capture(stream: NodeJS.ReadableStream): void {
    let partial = '';
    stream.setEncoding('utf8');
    const emit = (line: string): void => {
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.includes('JavaScript heap out of memory') || line.includes('Reached heap limit')) this.heapExhausted = true;
      // The bootstrap keeps a multi-line console message on one line with `\r`; restore the newlines.
      this.options.onLine(this, `${line.replace(/\r/g, '\n')}\n`, Date.now());
    };
    stream.on('data', (chunk: string) => {
      const text = partial + chunk;
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) emit(line);
      if (partial.length > 256 * 1024) {
        emit(partial);
        partial = '';
      }
    });
    stream.on('end', () => {
      if (partial) emit(partial);
      partial = '';
    });
  }

  /**
   * Samples the memory of all the environment's processes every `intervalMs` (busy: often; idle: less). Above
   * MemorySize it is killed: a running invocation fails with Runtime.OutOfMemory; an idle environment is
   * recycled and no invocation is blamed.
   */
  private watchMemory(intervalMs: number): void {
    if (this.exited || this.state === 'dead' || !this.containment?.procAvailable) return;
    if (this.memoryTimer && this.memoryPollMs === intervalMs) return;
    this.stopWatchingMemory();
    this.memoryPollMs = intervalMs;
    this.memoryTimer = setInterval(() => {
      if (this.exited || this.state === 'stopping' || this.state === 'dead') return;
      if (!this.overMemoryLimit()) return;
      if (this.state === 'idle') this.recycleForMemory();
      else {
        this.killedForMemory = true;
        this.kill();
      }
    }, intervalMs);
    this.memoryTimer.unref();
  }

  private stopWatchingMemory(): void {
    if (this.memoryTimer) clearInterval(this.memoryTimer);
    this.memoryTimer = undefined;
    this.memoryPollMs = 0;
  }

  /** Samples now; the resident kB of the function's processes, or undefined where it cannot be measured. */
  private sampleMemoryKb(): number | undefined {
    const rssKb = this.processes?.memory();
    if (rssKb === undefined) return undefined;
    this.peakRssKb = Math.max(this.peakRssKb, rssKb);
    return rssKb;
  }

  private overMemoryLimit(): boolean {
    const rssKb = this.sampleMemoryKb();
    return rssKb !== undefined && rssKb > this.fn.memorySizeMb * 1024;
  }

  private recycleForMemory(): void {
    this.options.log?.(`lambda: recycled an idle environment of ${this.fn.name}: its processes grew past its ${this.fn.memorySizeMb} MB between invocations`);
    this.kill();
  }
}
