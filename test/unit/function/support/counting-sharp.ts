// An ImageFactory that makes real sharp pipelines and records each one: what it was made from and which of
// metadata() / toBuffer() ran on it. It lets tests count decodes (a toBuffer() on a pipeline over the source bytes)
// instead of timing them.

import sharp from 'sharp';

import type { ImageFactory } from '../../../../function/thumbnail.js';

export interface PipelineRecord {
  readonly input: Buffer;
  /** Made from raw pixels (no decoder involved). */
  readonly raw: boolean;
  readonly operations: string[];
}

export interface CountingSharp {
  readonly imaging: ImageFactory;
  readonly pipelines: PipelineRecord[];
  /** Pipelines over these bytes that decoded pixels (toBuffer), as opposed to reading the header (metadata). */
  decodesOf(source: Buffer): number;
  /** Pipelines over these bytes that read the header only. */
  headerReadsOf(source: Buffer): number;
}

export function countingSharp(): CountingSharp {
  const pipelines: PipelineRecord[] = [];
  const imaging: ImageFactory = (input, options) => {
    const record: PipelineRecord = { input, raw: options.raw !== undefined, operations: [] };
    pipelines.push(record);
    const pipeline = sharp(input, options);
    const methods = pipeline as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of ['metadata', 'toBuffer']) {
      const original = methods[name]!.bind(pipeline);
      methods[name] = (...args: unknown[]) => {
        record.operations.push(name);
        return original(...args);
      };
    }
    return pipeline;
  };
  const over = (source: Buffer, operation: string) =>
    pipelines.filter((record) => record.input === source && record.operations.includes(operation)).length;
  return {
    imaging,
    pipelines,
    decodesOf: (source) => over(source, 'toBuffer'),
    headerReadsOf: (source) => over(source, 'metadata'),
  };
}
