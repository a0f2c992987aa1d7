// Fault injection for tests, from THUMBCTL_LOCAL_FAULTS, e.g.
// `role-propagation=2,tracing-toggle=1,update-conflict=1,throttle=0.05`.
// Counted faults fire for the first N matching calls; `throttle` is a fraction of all calls.

export type CountedFault = 'role-propagation' | 'tracing-toggle' | 'update-conflict';

const FAULT_NAMES: ReadonlySet<string> = new Set<CountedFault | 'throttle'>(['role-propagation', 'tracing-toggle', 'update-conflict', 'throttle']);

/** A THUMBCTL_LOCAL_FAULTS value that cannot be read: a mistyped fault must not silently do nothing. */
export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

export class FaultInjector {
  private readonly remaining = new Map<string, number>();
  readonly throttleFraction: number;

  constructor(spec: string | undefined) {
    let throttle = 0;
    for (const part of (spec ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
      const [name, value] = part.split('=');
      const number = Number(value);
      if (!name || !Number.isFinite(number) || number < 0) {
        throw new FaultSpecError(`THUMBCTL_LOCAL_FAULTS: cannot read "${part}" (expected name=number)`);
      }
      if (!FAULT_NAMES.has(name)) {
        throw new FaultSpecError(`THUMBCTL_LOCAL_FAULTS: unknown fault "${name}" (known: ${[...FAULT_NAMES].join(', ')})`);
      }
      if (name === 'throttle') throttle = number;
      else this.remaining.set(name, Math.floor(number));
    }
    this.throttleFraction = throttle;
  }

  /** True (and counts down) while the named fault still has firings left. */
  take(fault: CountedFault): boolean {
    const left = this.remaining.get(fault) ?? 0;
    if (left <= 0) return false;
    this.remaining.set(fault, left - 1);
    return true;
  }

  shouldThrottle(): boolean {
    return this.throttleFraction > 0 && Math.random() < this.throttleFraction;
  }
}
