// The bare sharp baseline, run by `bench` in a Node.js process of its own: read the image, warm up, then time
// K iterations of the function's decode → orient → resize → encode with nothing around it (no S3, no Lambda,
// no tracing) and print every sample as one JSON line. It imports only sharp and the function's encoder settings.
//
// Usage: node baseline-worker.js '{"image":"canyon.jpg","width":400,"height":400,"iterations":20,"warmup":3}'
// With `"interactive": true` instead of `iterations`, it warms up, prints `{"ready":true}`, times one iteration
// per line read on stdin (printing `{"sampleMs":…}`), and prints the whole result when stdin closes: bench uses
// that to time the baseline between its uploads, in the same moments of a shared machine's load.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import sharp from 'sharp';
import { ENCODER_OPTIONS, OUTPUT_FOR_SOURCE, type OutputFormat } from '../../../function/thumbnail.js';

/** What the worker is asked to do (argv[2], JSON). */
export interface BaselineRequest {
  image: string;
  width: number;
  height: number;
  iterations: number;
  warmup: number;
  /** Time one iteration per stdin line instead of `iterations` at once. */
  interactive?: boolean;
}

/** What it prints (one line of JSON on stdout). */
export interface BaselineSamples {
  /** Milliseconds per iteration, in the order measured. */
  samplesMs: number[];
  format: OutputFormat;
  /** The source image as decoded: its format and stored dimensions. */
  input: { format: string; width: number; height: number };
  /** The encoder options used: the function's ENCODER_OPTIONS for that format. */
  encoder: object;
  bytesOut: number;
  sharp: string;
  libvips: string;
  /** libvips threads per image (sharp.concurrency()). */
  threads: number;
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as BaselineRequest;
  // As in the function: every upload is a new image, so the operation cache would only flatter repeats.
  sharp.cache(false);
  const input = await readFile(request.image);
  const { format: sourceFormat, width, height } = await sharp(input).metadata();
  const format: OutputFormat = (OUTPUT_FOR_SOURCE as Record<string, OutputFormat>)[sourceFormat ?? ''] ?? 'jpeg';
  const once = (): Promise<Buffer> =>
    sharp(input).rotate().resize(request.width, request.height, { fit: 'cover' }).toFormat(format, ENCODER_OPTIONS[format]).toBuffer();

  let bytesOut = 0;
  for (let i = 0; i < request.warmup; i++) bytesOut = (await once()).length;
  const samplesMs: number[] = [];
  const timeOnce = async (): Promise<number> => {
    const started = performance.now();
    bytesOut = (await once()).length;
    const sampleMs = Math.round((performance.now() - started) * 100) / 100;
    samplesMs.push(sampleMs);
    return sampleMs;
  };
  if (request.interactive) {
    process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
    for await (const line of createInterface({ input: process.stdin })) {
      if (line.trim()) process.stdout.write(`${JSON.stringify({ sampleMs: await timeOnce() })}\n`);
    }
  } else {
    for (let i = 0; i < request.iterations; i++) await timeOnce();
  }
  const result: BaselineSamples = { samplesMs, format, input: { format: sourceFormat ?? 'unknown', width, height }, encoder: ENCODER_OPTIONS[format], bytesOut, sharp: sharp.versions.sharp, libvips: sharp.versions.vips, threads: sharp.concurrency() };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`baseline: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
