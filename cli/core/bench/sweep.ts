// `bench --memory 256,512,1024,1769`: the same bench at each memory size, then duration and cost per 1,000
// thumbnails side by side, the cheapest and the fastest marked — what AWS Lambda Power Tuning does on AWS, here
// with no account. Locally it is only meaningful with each environment at Lambda's CPU share (the command checks
// that before anything runs); this module runs the sizes and compares, it does not decide whether it may.
import type { Reporter } from '../../output.js';
import { ExitCode, UserError } from '../../output.js';
import { setup } from '../provision/index.js';
import { priceTableSummary } from '../cost/prices.js';
import { benchSetupOptions, runBench, type BenchRequest, type BenchResult } from './run.js';

/** Lambda's memory range, in MB. */
export const MEMORY_RANGE = { min: 128, max: 10_240 } as const;
/** At most this many sizes in one sweep (each is a full bench run). */
export const MAX_SWEEP_SIZES = 16;

/** `--memory` as a sweep: two or more comma-separated sizes in MB; undefined for one size (an ordinary setting). */
export function parseMemoryList(text: string | undefined): number[] | undefined {
  if (text === undefined || !String(text).includes(',')) return undefined;
  const parts = String(text).split(',').map((part) => part.trim());
  const sizes: number[] = [];
  for (const part of parts) {
    if (!/^\d+$/.test(part)) throw new UserError(`--memory takes sizes in MB separated by commas, e.g. 256,512,1024,1769; not "${part}"`, ExitCode.usage);
    const size = Number(part);
    if (size < MEMORY_RANGE.min || size > MEMORY_RANGE.max) throw new UserError(`--memory sizes must be ${MEMORY_RANGE.min}-${MEMORY_RANGE.max} MB, not ${size}`, ExitCode.usage);
    if (!sizes.includes(size)) sizes.push(size);
  }
  if (sizes.length < 2) throw new UserError('--memory with commas sweeps two or more sizes, e.g. 256,512,1024,1769', ExitCode.usage);
  if (sizes.length > MAX_SWEEP_SIZES) throw new UserError(`--memory sweeps at most ${MAX_SWEEP_SIZES} sizes`, ExitCode.usage);
  return sizes;
}

export interface MemorySweepRow {
  memoryMb: number;
  /** vCPU the size gets on Lambda (memory/1,769), and so locally under --cpu-share lambda. */
  vcpu: number;
  /** p50 of the function's invocation duration (the Invocation subsegment). */
  durationP50Ms: number | null;
  /** Mean billed duration per invocation (rounded up to the ms, init included). */
  billedMsMean: number | null;
  /** Warm end-to-end p50 seen by the client. */
  e2eWarmP50Ms: number | null;
  costPer1000: number;
  cheapest: boolean;
  fastest: boolean;
  lost: number;
}

export interface MemorySweepResult {
  sweep: MemorySweepRow[];
  cheapestMemoryMb: number | null;
  fastestMemoryMb: number | null;
  /** 'lambda': local environments at memory/1,769 of a CPU; 'aws': real Lambda. */
  cpuShare: 'lambda' | 'aws';
  prices: ReturnType<typeof priceTableSummary>;
  lost: number;
  runs: BenchResult[];
}

/** The table of a sweep from its runs: cheapest by total cost per 1,000, fastest by duration p50 (ties: less memory). */
export function summariseSweep(runs: readonly BenchResult[], cpuShare: MemorySweepResult['cpuShare']): MemorySweepResult {
  const rows: MemorySweepRow[] = runs.map((run) => ({
    memoryMb: run.memoryMb,
    vcpu: Math.round((run.memoryMb / 1769) * 1000) / 1000,
    durationP50Ms: run.function.durationP50Ms,
    billedMsMean: run.cost.billedMsMean === null ? null : Math.round(run.cost.billedMsMean * 10) / 10,
    e2eWarmP50Ms: run.latency.warm.p50Ms,
    costPer1000: run.cost.per1000.total,
    cheapest: false,
    fastest: false,
    lost: run.lost,
  }));
  const measured = rows.filter((row) => row.durationP50Ms !== null && row.billedMsMean !== null);
  const best = (score: (row: MemorySweepRow) => number): MemorySweepRow | undefined =>
    [...measured].sort((a, b) => score(a) - score(b) || a.memoryMb - b.memoryMb)[0];
  const cheapest = best((row) => row.costPer1000);
  const fastest = best((row) => row.durationP50Ms ?? Infinity);
  if (cheapest) cheapest.cheapest = true;
  if (fastest) fastest.fastest = true;
  return {
    sweep: rows,
    cheapestMemoryMb: cheapest?.memoryMb ?? null,
    fastestMemoryMb: fastest?.memoryMb ?? null,
    cpuShare,
    prices: priceTableSummary(),
    lost: runs.reduce((sum, run) => sum + run.lost, 0),
    runs: [...runs],
  };
}

/** Runs the bench at each size (setup sets the function's memory first), then puts the function back as configured. */
export async function runMemorySweep(request: BenchRequest, sizes: readonly number[], cpuShare: MemorySweepResult['cpuShare'], reporter: Reporter): Promise<MemorySweepResult> {
  const runs: BenchResult[] = [];
  try {
    for (const memory of sizes) {
      reporter.info(`memory ${memory} MB (${(memory / 1769).toFixed(2)} vCPU):`);
      runs.push(await runBench({ ...request, settings: { ...request.settings, memory }, ...(cpuShare === 'lambda' ? { cpuShare: 'lambda' as const } : {}) }, reporter));
    }
  } finally {
    // Back to the configured memory, as Power Tuning leaves the function as it found it.
    await setup(benchSetupOptions(request, request.settings, reporter)).catch((error: Error) => reporter.warn(`could not put ${request.settings.functionName} back to ${request.settings.memory} MB: ${error.message}`));
  }
  return summariseSweep(runs, cpuShare);
}

/** The sweep for people: one row per size, the cheapest and the fastest marked, and where the prices come from. */
export function renderSweepText(result: MemorySweepResult): string {
  const header = `  ${'memory'.padStart(8)} ${'vCPU'.padStart(6)} ${'duration p50'.padStart(13)} ${'billed (mean)'.padStart(14)} ${'e2e warm p50'.padStart(13)} ${'cost / 1,000'.padStart(13)}`;
  const ms = (value: number | null): string => (value === null ? '-' : `${value.toFixed(1)} ms`);
  const lines = [
    `bench --memory: ${result.sweep.length} sizes, ${result.cpuShare === 'lambda' ? "each environment at Lambda's CPU share (memory/1769 of a CPU)" : 'on AWS Lambda'}`,
    '',
    header,
    ...result.sweep.map((row) => {
      const marks = [row.cheapest ? 'cheapest' : '', row.fastest ? 'fastest' : '', row.lost ? `${row.lost} lost` : ''].filter(Boolean).join(', ');
      return `  ${`${row.memoryMb} MB`.padStart(8)} ${row.vcpu.toFixed(2).padStart(6)} ${ms(row.durationP50Ms).padStart(13)} ${ms(row.billedMsMean).padStart(14)} ${ms(row.e2eWarmP50Ms).padStart(13)} ${`$${row.costPer1000.toFixed(4)}`.padStart(13)}${marks ? `  ← ${marks}` : ''}`;
    }),
    '',
    `  cost per 1,000 thumbnails: Lambda duration + request + S3 GET/PUT + X-Ray trace + Logs; ${result.prices.region} list prices read ${result.prices.takenOn} (${result.prices.sources.join(', ')})`,
  ];
  return lines.join('\n');
}
