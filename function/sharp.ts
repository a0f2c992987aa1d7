// sharp, loaded through its CommonJS build. Every cold start waits for sharp: its CommonJS entry loads in about
// half the time of its ES modules (~37 vs ~80 ms here, BENCHMARKS.md), because Node's ESM loader reads, links and
// evaluates its fifteen .mjs files one asynchronous step at a time. The API is the same object either way.
import { createRequire } from 'node:module';
import type SharpModule from 'sharp';

const requireCommonJs = createRequire(import.meta.url);

export const sharp: typeof SharpModule = requireCommonJs('sharp') as typeof SharpModule;
export type { FormatEnum, Metadata } from 'sharp';
