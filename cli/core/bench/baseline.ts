// The bare sharp baseline of a benchmark: spawns baseline-worker (a plain Node.js process: no emulator, no
// Lambda runtime, no SDK) on the same image and size and reduces its samples to a p50. Measured in the same
// run as the uploads, on the same machine, so the ratios compare like with like.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runChild } from './child.js';
import { median } from './stats.js';
import type { BaselineRequest, BaselineSamples } from './baseline-worker.js';

/** Per measurement; bench measures twice (before and after its uploads) and pools the samples. */
export const BASELINE_DEFAULTS = { iterations: 10, warmup: 3 } as const;

export interface SharpBaseline {
  sharpP50Ms: number;
  minMs: number;
  /** Samples pooled from every measurement (e.g. before and after the uploads). */
  iterations: number;
  /** The p50 of each measurement, in order: how much the machine's load moved meanwhile. */
  runsP50Ms: number[];
  samplesMs: number[];
  warmup: number;
  /** What the baseline does, for the report. */
  pipeline: string;
  /** The source image as sharp decoded it. */
  input: { format: string; width: number; height: number };
  sharp: string;
  libvips: string;
  threads: number;
}

/** The worker's command line: its compiled .js beside this module, or its .ts source under tsx (tests). */
export function baselineWorkerCommand(): { args: string[] } {
  const compiled = fileURLToPath(new URL('./baseline-worker.js', import.meta.url));
  if (existsSync(compiled)) return { args: [compiled] };
  return { args: ['--import', 'tsx', fileURLToPath(new URL('./baseline-worker.ts', import.meta.url))] };
}

/**
 * Times sharp alone: K iterations after a warm-up, in a fresh Node.js process.
 * @throws Error with the worker's message when it fails.
 */
export async function measureSharpBaseline(request: Pick<BaselineRequest, 'image' | 'width' | 'height'> & Partial<BaselineRequest>): Promise<SharpBaseline> {
  const full: BaselineRequest = { iterations: BASELINE_DEFAULTS.iterations, warmup: BASELINE_DEFAULTS.warmup, ...request };
  const { args } = baselineWorkerCommand();
  const result = await runChild(process.execPath, [...args, JSON.stringify(full)]);
  const line = result.stdout.trim().split('\n').pop() ?? '';
  let samples: BaselineSamples;
  try {
    samples = JSON.parse(line) as BaselineSamples;
  } catch {
    throw new Error(`the sharp baseline failed (exit ${result.code ?? result.signal}): ${result.stderr.trim() || 'no output'}`);
  }
  const p50 = median(samples.samplesMs) ?? 0;
  return {
    sharpP50Ms: p50,
    minMs: Math.min(...samples.samplesMs),
    iterations: full.iterations,
    runsP50Ms: [p50],
    samplesMs: samples.samplesMs,
    warmup: full.warmup,
    pipeline: `sharp(buffer).rotate().resize(${full.width}, ${full.height}, { fit: 'cover' }).toFormat('${samples.format}', ${JSON.stringify(samples.encoder)}).toBuffer()`,
    input: samples.input,
    sharp: samples.sharp,
    libvips: samples.libvips,
    threads: samples.threads,
  };
}

/** Two measurements of the same baseline as one: samples pooled, p50 over all of them. */
export function poolBaselines(first: SharpBaseline, second: SharpBaseline): SharpBaseline {
  const samplesMs = [...first.samplesMs, ...second.samplesMs];
  return {
    ...first,
    sharpP50Ms: median(samplesMs) ?? 0,
    minMs: Math.min(first.minMs, second.minMs),
    iterations: samplesMs.length,
    runsP50Ms: [...first.runsP50Ms, ...second.runsP50Ms],
    samplesMs,
  };
}
