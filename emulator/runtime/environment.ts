// One execution environment: a Node.js child process running our bootstrap against its own Runtime API
// server, with its output captured line by line, its memory watched (RSS above MemorySize kills it, as
// Lambda does) and its init timed. It runs one invocation at a time; pooling and logging policy live elsewhere.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { RuntimeApiServer, type RuntimeInvocation, type RuntimeReply } from './runtime-api.js';
import { environmentVariables, type EnvironmentCredentials } from './function-env.js';
import { newLogStreamName } from './log-format.js';
import type { NodeCommand, RunnableFunction } from './types.js';

export type InitOutcome =
  | { ok: true }
  | { ok: false; kind: 'init-error'; errorType: string; body: Buffer; errorMessage?: string }
  | { ok: false; kind: 'exit'; code: number | null; signal: NodeJS.Signals | null; outOfMemory: boolean }
  | { ok: false; kind: 'timeout' };

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
  /** Each line the process prints, already turned into a log event's text (newline-terminated). */
  onLine(environment: ExecutionEnvironment, message: string, timestamp: number): void;
  /** Called once, when the process is gone (for any reason). */
  onDead(environment: ExecutionEnvironment): void;
}

/** How often RSS is sampled while the environment is initialising or busy. */
const MEMORY_POLL_MS = 20;

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
  private child: ChildProcess | undefined;
  private readonly initStartedPerf = performance.now();
  private settleInit!: (outcome: InitOutcome) => void;
  private initSettled = false;
  private initError: { errorType: string; body: Buffer; errorMessage?: string } | undefined;
  private running: ((outcome: RunOutcome) => void) | undefined;
  private runTimer: NodeJS.Timeout | undefined;
  private initTimer: NodeJS.Timeout | undefined;
  private memoryTimer: NodeJS.Timeout | undefined;
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
    });
  }

  /** Starts the Runtime API and the process; init completes asynchronously (see `ready`). */
  async start(): Promise<void> {
    await this.api.listen();
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
    const child = spawn(node.binary, [...node.args, `--max-old-space-size=${this.fn.memorySizeMb}`, this.options.bootstrapPath], {
      cwd: this.fn.codeDirectory,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: Ctrl-C on `thumbctl local serve` (SIGINT to the terminal's foreground group)
      // must not kill a function mid-invocation while the cloud drains; the cloud stops its environments itself,
      // and an orphan exits on its own (bootstrap.mjs watches its parent).
      detached: true,
    });
    this.child = child;
    this.capture(child.stdout!);
    this.capture(child.stderr!);
    child.on('error', () => this.handleExit(null, null));
    child.on('exit', (code, signal) => {
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
    this.watchMemory();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Runs one invocation: delivers it, then waits for the reply, the timeout (the process is killed) or the
   * process's death.
   */
  run(invocation: RuntimeInvocation, timeoutMs: number): Promise<RunOutcome> {
    if (this.state === 'dead' || this.state === 'stopping') return Promise.resolve({ kind: 'exit', code: null, signal: 'SIGKILL', outOfMemory: false });
    this.state = 'busy';
    this.lastUsedAt = Date.now();
    this.watchMemory();
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
    this.stopWatchingMemory();
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

  /** Peak resident memory of the process so far, in MB (Lambda's "Max Memory Used"). */
  maxMemoryUsedMb(): number {
    const pid = this.child?.pid;
    if (this.killedForMemory) return this.fn.memorySizeMb;
    if (pid && !this.exited) {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        this.peakRssKb = Math.max(this.peakRssKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
      } catch {
        // Gone between the check and the read: the last sample stands.
      }
    }
    return Math.min(Math.round(this.peakRssKb / 1024), this.fn.memorySizeMb);
  }

  /** Stops the process now (SIGKILL: Lambda gives no grace either). */
  kill(): void {
    if (this.state !== 'dead') this.state = 'stopping';
    if (this.child && !this.exited) this.child.kill('SIGKILL');
    else if (!this.child) this.handleExit(null, 'SIGKILL');
  }

  private handleNext(): void {
    const now = Date.now();
    if (!this.initSettled) {
      this.initEndedAt = now;
      this.initDurationMs = performance.now() - this.initStartedPerf;
      if (this.state === 'initializing') this.state = 'busy';
      this.finishInit({ ok: true });
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
    if (this.initTimer) clearTimeout(this.initTimer);
    const outOfMemory = this.killedForMemory || this.heapExhausted;
    if (!this.initSettled) {
      if (this.initError) this.finishInit({ ok: false, kind: 'init-error', ...this.initError });
      else this.finishInit({ ok: false, kind: 'exit', code, signal, outOfMemory });
    }
    this.api.abandon();
    this.running?.({ kind: 'exit', code, signal, outOfMemory });
    for (const waiter of this.nextCallWaiters) waiter(Date.now());
    this.nextCallWaiters = [];
    this.api.close();
    this.options.onDead(this);
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

  /** Polls VmRSS while initialising or busy; above MemorySize the process is killed (Runtime.OutOfMemory). */
  private watchMemory(): void {
    if (this.memoryTimer || process.platform !== 'linux') return;
    const limitKb = this.fn.memorySizeMb * 1024;
    this.memoryTimer = setInterval(() => {
      const pid = this.child?.pid;
      if (!pid || this.exited) return;
      // Synchronous on purpose: /proc is answered from kernel memory, never a disk, and one readFileSync costs
      // ~15 µs of CPU where the promise-based readFile (open, fstat, read, close on the thread pool) cost ~110 µs,
      // fifty times a second per busy environment.
      let status: string;
      try {
        status = readFileSync(`/proc/${pid}/status`, 'utf8');
      } catch {
        return; // gone between the check and the read: its exit is handled elsewhere
      }
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      this.peakRssKb = Math.max(this.peakRssKb, rssKb);
      if (rssKb > limitKb && !this.exited) {
        this.killedForMemory = true;
        this.kill();
      }
    }, MEMORY_POLL_MS);
    this.memoryTimer.unref();
  }

  private stopWatchingMemory(): void {
    if (this.memoryTimer) clearInterval(this.memoryTimer);
    this.memoryTimer = undefined;
  }
}
