// The bare sharp baseline of a benchmark: spawns baseline-worker (a plain Node.js process: no emulator, no
// Lambda runtime, no SDK) on the same image and size and reduces its samples to a p50. Measured in the same
// run as the uploads, on the same machine, so the ratios compare like with like.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
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
  return toBaseline(full, samples);
}

function toBaseline(request: BaselineRequest, samples: BaselineSamples): SharpBaseline {
  const p50 = median(samples.samplesMs) ?? 0;
  return {
    sharpP50Ms: p50,
    minMs: samples.samplesMs.length ? Math.min(...samples.samplesMs) : 0,
    iterations: samples.samplesMs.length,
    runsP50Ms: [p50],
    samplesMs: samples.samplesMs,
    warmup: request.warmup,
    pipeline: `sharp(buffer).rotate().resize(${request.width}, ${request.height}, { fit: 'cover' }).toFormat('${samples.format}', ${JSON.stringify(samples.encoder)}).toBuffer()`,
    input: samples.input,
    sharp: samples.sharp,
    libvips: samples.libvips,
    threads: samples.threads,
  };
}

/**
 * The baseline timed one iteration at a time, between a benchmark's uploads, by one warm worker process: each
 * sample is taken in the same moments of a shared machine's load as the uploads beside it, which measuring only
 * before and after cannot promise (a neighbour's job starting mid-run moved ratios by ±0.4 that way).
 */
export class BaselineSession {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(
    private readonly request: BaselineRequest,
    private readonly child: ChildProcessWithoutNullStreams,
    reader: Interface,
  ) {
    this.lines = reader[Symbol.asyncIterator]();
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
  }

  /**
   * Starts the worker and waits for its warm-up.
   * @throws Error with the worker's message when it fails.
   */
  static async start(request: Pick<BaselineRequest, 'image' | 'width' | 'height'> & Partial<BaselineRequest>): Promise<BaselineSession> {
    const full: BaselineRequest = { iterations: 0, warmup: BASELINE_DEFAULTS.warmup, ...request, interactive: true };
    const { args } = baselineWorkerCommand();
    const child = spawn(process.execPath, [...args, JSON.stringify(full)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const session = new BaselineSession(full, child, createInterface({ input: child.stdout }));
    await session.nextLine<{ ready: boolean }>();
    return session;
  }

  /** Times one iteration now. */
  async sample(): Promise<number> {
    this.child.stdin.write('1\n');
    return (await this.nextLine<{ sampleMs: number }>()).sampleMs;
  }

  /** Ends the worker; its samples as one baseline. */
  async finish(): Promise<SharpBaseline> {
    this.child.stdin.end();
    return toBaseline(this.request, await this.nextLine<BaselineSamples>());
  }

  /** Stops the worker without waiting (an aborted benchmark). */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  private async nextLine<T>(): Promise<T> {
    const next = await this.lines.next();
    if (!next.done) {
      try {
        return JSON.parse(next.value) as T;
      } catch {
        // fall through: not the worker's output
      }
    }
    await new Promise<void>((resolve) => (this.child.exitCode !== null || this.child.signalCode !== null ? resolve() : this.child.once('close', () => resolve())));
    throw new Error(`the sharp baseline failed (exit ${this.child.exitCode ?? this.child.signalCode}): ${this.stderr.trim() || 'no output'}`);
  }
}

/** Measurements of the same baseline as one: samples pooled, p50 over all of them. */
export function poolBaselines(first: SharpBaseline, ...rest: SharpBaseline[]): SharpBaseline {
  const all = [first, ...rest];
  const samplesMs = all.flatMap((baseline) => baseline.samplesMs);
  return {
    ...first,
    sharpP50Ms: median(samplesMs) ?? 0,
    minMs: Math.min(...all.map((baseline) => baseline.minMs)),
    iterations: samplesMs.length,
    runsP50Ms: all.map((baseline) => baseline.runsP50Ms).flat(),
    samplesMs,
  };
}
