// The performance bar thumbctl holds itself to, as data: each target with its limit, checked against what a benchmark
// measured. A target that was not measured (no cold start, no --version timing) is `met: null`, never a pass.
// Pure; the targets are ratios or absolute limits, never wall-clock assertions in tests. The bar is the second
// round's (the pipeline's own cost near zero, cold starts and memory below the lightest peer); the first round's
// limits that it did not raise (resize, zip, --version, no-op setup) stand.

export const TARGETS = {
  e2e: { label: 'warm end-to-end p50', limit: 1.3, goal: '≤ 1.3 × sharp baseline' },
  resize: { label: 'resize phase p50', limit: 1.15, goal: '≤ 1.15 × sharp baseline' },
  handler: { label: 'function invocation minus its GetObject, resize and PutObject, p50', limit: 3, goal: '≤ 3 ms' },
  cloudCpu: { label: 'local cloud CPU per upload and thumbnail', limit: 10, goal: '≤ 10 ms' },
  throughput: { label: 'throughput at concurrency = cores', limit: 0.7, goal: '≥ 0.7 × cores / baseline' },
  init: { label: 'cold start (init)', limit: 150, goal: '≤ 150 ms' },
  idleMemory: { label: 'idle function environment RSS', limit: 60 * 1024 * 1024, goal: '≤ 60 MB' },
  serveReady: { label: '`thumbctl local serve` ready', limit: 300, goal: '≤ 300 ms' },
  firstSetup: { label: 'first `thumbctl setup` on a fresh state dir', limit: 1500, goal: '≤ 1.5 s' },
  zip: { label: 'deployment zip (x86_64)', limit: 10 * 1024 * 1024, goal: '≤ 10 MB' },
  version: { label: '`thumbctl --version` over `node -e 0`', limit: 150, goal: '≤ 150 ms' },
  setup: { label: 'no-op `thumbctl setup`', limit: 1500, goal: '≤ 1.5 s' },
} as const;

export type TargetId = keyof typeof TARGETS;

export interface TargetCheck {
  id: TargetId;
  label: string;
  goal: string;
  /** What was measured, in the target's terms (a ratio, milliseconds or bytes); null when not measured. */
  value: number | null;
  limit: number;
  met: boolean | null;
  /** Why the target was not checked, when it was not. */
  note?: string;
  /**
   * For the two ratio targets: `paired` when judged on the median of per-upload ratios against the baseline sample
   * taken right after each upload (one upload at a time), `p50` when on p50 over p50 (no paired samples).
   */
  basis?: 'paired' | 'p50';
}

/** What the checks read; every field is optional, a missing one leaves its target unchecked. */
export interface TargetInputs {
  e2eRatio?: number | null;
  resizeRatio?: number | null;
  /** Paired versions of the two (see TargetCheck.basis); when present they are what is judged. */
  e2ePairedRatio?: number | null;
  resizePairedRatio?: number | null;
  /** Measured throughput / (cores / baseline). */
  throughputRatio?: number | null;
  concurrency?: number;
  cores?: number;
  /** p50 of each invocation minus its S3 GetObject, resize and PutObject subsegments (the handler's own work). */
  handlerMs?: number | null;
  /** CPU of the local cloud's process per upload and thumbnail (null when the cloud runs in the measuring process). */
  cloudCpuMs?: number | null;
  initMs?: number | null;
  /** Resident memory of each idle environment's runtime; the largest is judged. */
  idleRuntimeBytes?: readonly number[] | null;
  /** Spawn → `local serve`'s ready line, on a fresh state directory. */
  serveReadyMs?: number | null;
  /** A first `setup` on a fresh state directory (the local cloud running). */
  firstSetupMs?: number | null;
  packageBytes?: number | null;
  architecture?: string;
  versionOverheadMs?: number | null;
  noopSetupMs?: number | null;
}

function check(id: TargetId, value: number | null | undefined, atMost: boolean, note?: string): TargetCheck {
  const { label, limit, goal } = TARGETS[id];
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return { id, label, goal, value: null, limit, met: null, note: note ?? 'not measured' };
  }
  return { id, label, goal, value, limit, met: atMost ? value <= limit : value >= limit };
}

/** Checks every target the inputs speak to, in TARGETS' order. */
export function evaluateTargets(inputs: TargetInputs): TargetCheck[] {
  // A shared machine's speed changes within a run (bare sharp alone went 41 → 63 → 41 ms between consecutive
  // uploads): p50 over p50 compares a numerator and a denominator taken in different moments, the paired median
  // compares each upload with the baseline of its own moment. The paired figure is judged when there is one.
  const judged = (id: 'e2e' | 'resize', p50: number | null | undefined, paired: number | null | undefined): TargetCheck =>
    typeof paired === 'number' ? { ...check(id, paired, true), basis: 'paired' } : { ...check(id, p50, true), basis: 'p50' };
  const checks: TargetCheck[] = [judged('e2e', inputs.e2eRatio, inputs.e2ePairedRatio), judged('resize', inputs.resizeRatio, inputs.resizePairedRatio)];
  checks.push(check('handler', inputs.handlerMs, true));
  checks.push(check('cloudCpu', inputs.cloudCpuMs, true, inputs.cloudCpuMs === null ? 'the cloud ran inside the measuring process' : undefined));
  if (inputs.concurrency !== undefined && inputs.cores !== undefined && inputs.concurrency !== inputs.cores) {
    checks.push(check('throughput', null, false, `measured at concurrency ${inputs.concurrency}, not cores (${inputs.cores})`));
  } else {
    checks.push(check('throughput', inputs.throughputRatio, false));
  }
  checks.push(check('init', inputs.initMs, true, inputs.initMs === null ? 'no cold start in this run' : undefined));
  const idle = inputs.idleRuntimeBytes?.length ? Math.max(...inputs.idleRuntimeBytes) : null;
  checks.push(check('idleMemory', idle, true, inputs.idleRuntimeBytes ? 'no environment alive at the end of the run' : undefined));
  // Timed by `npm run bench` around the commands; a `thumbctl bench` run leaves them unmeasured.
  checks.push(check('serveReady', inputs.serveReadyMs, true));
  checks.push(check('firstSetup', inputs.firstSetupMs, true));
  checks.push(
    check('zip', inputs.architecture && inputs.architecture !== 'x86_64' ? null : inputs.packageBytes, true, inputs.architecture && inputs.architecture !== 'x86_64' ? `the target is for x86_64, not ${inputs.architecture}` : undefined),
  );
  checks.push(check('version', inputs.versionOverheadMs, true));
  checks.push(check('setup', inputs.noopSetupMs, true));
  return checks;
}
