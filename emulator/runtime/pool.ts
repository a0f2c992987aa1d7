// Execution environments across all functions: reuse a warm one of the same function generation, start a
// new one otherwise, and never run more than `maxConcurrency` invocations at once (the rest wait, FIFO).
// Idle environments are reaped after `idleTimeoutMs`; retired ones (code or config changed) stop when free;
// one found over its memory when it would be reused is recycled instead. A waiter whose function changed while
// it waited gets no environment of the old generation: it is refused (StaleFunctionError) and asks again.
import type { ExecutionEnvironment } from './environment.js';
import type { RunnableFunction } from './types.js';

export interface Lease {
  environment: ExecutionEnvironment;
  /** True when the environment was created for this lease (a cold start). */
  cold: boolean;
}

interface Waiter {
  fn: RunnableFunction;
  resolve(lease: Lease): void;
  reject(error: Error): void;
}

/** The function changed (code or configuration) after the caller read it: read it again and ask again. */
export class StaleFunctionError extends Error {
  constructor(readonly functionName: string) {
    super(`function ${functionName} changed while the invocation waited for an environment`);
    this.name = 'StaleFunctionError';
  }
}

export interface PoolLimits {
  maxConcurrency: number;
  idleTimeoutMs: number;
}

export class EnvironmentPool {
  private readonly environments = new Set<ExecutionEnvironment>();
  private readonly waiters: Waiter[] = [];
  private busy = 0;
  private stopped = false;
  private readonly reaper: NodeJS.Timeout;

  /**
   * @param create - makes (and starts) an environment for the function; it must call `forget` when it dies
   * @param limits - read at each decision, so changes apply at once
   * @param isCurrent - whether this is still the function's current generation, asked when a lease is granted
   */
  constructor(
    private readonly create: (fn: RunnableFunction) => ExecutionEnvironment,
    private readonly limits: () => PoolLimits,
    private readonly isCurrent: (fn: RunnableFunction) => boolean = () => true,
  ) {
    this.reaper = setInterval(() => this.reap(), Math.min(1000, Math.max(50, limits().idleTimeoutMs / 2)));
    this.reaper.unref();
  }

  /** A lease on an environment for `fn`, when a concurrency slot is free (FIFO). */
  acquire(fn: RunnableFunction): Promise<Lease> {
    if (this.stopped) return Promise.reject(new Error('the local Lambda runtime is stopped'));
    return new Promise((resolve, reject) => {
      this.waiters.push({ fn, resolve, reject });
      this.pump();
    });
  }

  /** Ends a lease: the environment goes back to the idle set, or stops if it died or was retired. */
  release(environment: ExecutionEnvironment): void {
    this.busy -= 1;
    if (environment.state === 'busy') {
      if (environment.retired || this.stopped) environment.kill();
      else environment.markIdle();
    }
    this.pump();
  }

  /** Called by an environment that died. */
  forget(environment: ExecutionEnvironment): void {
    this.environments.delete(environment);
  }

  /** Marks every environment of the function as retired; idle ones stop now, busy ones when released. */
  retire(functionName: string): void {
    for (const environment of this.environments) {
      if (environment.fn.name !== functionName) continue;
      environment.retired = true;
      if (environment.state === 'idle') environment.kill();
    }
  }

  /** Environments alive now, for diagnostics and tests. */
  list(functionName?: string): ExecutionEnvironment[] {
    return [...this.environments].filter((environment) => functionName === undefined || environment.fn.name === functionName);
  }

  /** Kills everything and refuses new leases. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reaper);
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('the local Lambda runtime is stopped'));
    const dying = [...this.environments].map(
      (environment) =>
        new Promise<void>((resolve) => {
          const started = Date.now();
          const check = (): void => {
            if (environment.state === 'dead' || Date.now() - started > 2000) resolve();
            else setTimeout(check, 10);
          };
          environment.kill();
          check();
        }),
    );
    await Promise.all(dying);
  }

  private pump(): void {
    const { maxConcurrency } = this.limits();
    while (this.waiters.length > 0 && this.busy < maxConcurrency) {
      const waiter = this.waiters.shift()!;
      // Read before an update that has since returned: leasing it an environment would run the old code.
      if (!this.isCurrent(waiter.fn)) {
        waiter.reject(new StaleFunctionError(waiter.fn.name));
        continue;
      }
      this.busy += 1;
      const warm = this.findIdle(waiter.fn);
      if (warm) {
        warm.markBusy();
        waiter.resolve({ environment: warm, cold: false });
        continue;
      }
      this.makeRoom(maxConcurrency);
      try {
        const environment = this.create(waiter.fn);
        this.environments.add(environment);
        waiter.resolve({ environment, cold: true });
      } catch (error) {
        this.busy -= 1;
        waiter.reject(error as Error);
      }
    }
  }

  /**
   * The most recently used idle environment of this function generation (the warmest) that is within its
   * memory: one that grew past it while idle is recycled here rather than handed an invocation to fail.
   */
  private findIdle(fn: RunnableFunction): ExecutionEnvironment | undefined {
    const candidates = [...this.environments]
      .filter((environment) => environment.state === 'idle' && !environment.retired && environment.fn.name === fn.name && environment.fn.generation === fn.generation)
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt);
    return candidates.find((environment) => environment.withinMemoryLimit());
  }

  /** Keeps live environments within the limit by stopping the least recently used idle ones. */
  private makeRoom(limit: number): void {
    const live = [...this.environments].filter((environment) => environment.state !== 'dead' && environment.state !== 'stopping');
    let excess = live.length + 1 - limit;
    if (excess <= 0) return;
    const idle = live.filter((environment) => environment.state === 'idle').sort((a, b) => a.lastUsedAt - b.lastUsedAt);
    for (const environment of idle) {
      if (excess <= 0) break;
      environment.kill();
      // Dead soon; not counted against the limit any more.
      this.environments.delete(environment);
      excess -= 1;
    }
  }

  private reap(): void {
    const { idleTimeoutMs } = this.limits();
    const cutoff = Date.now() - idleTimeoutMs;
    for (const environment of this.environments) {
      if (environment.state === 'idle' && environment.lastUsedAt < cutoff) environment.kill();
    }
  }
}
