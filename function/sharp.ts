// sharp, loaded through its CommonJS build. Every cold start waits for sharp: its CommonJS entry loads in about
// half the time of its ES modules (~37 vs ~80 ms here, BENCHMARKS.md), because Node's ESM loader reads, links and
// evaluates its fifteen .mjs files one asynchronous step at a time. The API is the same object either way.
import { createRequire } from 'node:module';
import type SharpModule from 'sharp';

const requireCommonJs = createRequire(import.meta.url);

export const sharp: typeof SharpModule = requireCommonJs('sharp') as typeof SharpModule;
export type { FormatEnum, Metadata, Sharp, SharpOptions } from 'sharp';

/** The libvips loaders for the formats we read (sniff.ts): JPEG, PNG, WebP, GIF, and HEIF for AVIF. */
export const ALLOWED_LOADERS = [
  'VipsForeignLoadJpeg',
  'VipsForeignLoadPng',
  'VipsForeignLoadWebp',
  'VipsForeignLoadNsgif',
  'VipsForeignLoadHeif',
] as const;

/**
 * Blocks every libvips loader but {@link ALLOWED_LOADERS}, process-wide, as a second wall behind sniff.ts: even
 * bytes that slipped past the sniffer cannot reach librsvg, libtiff or any other parser. Pixel buffers handed to
 * sharp as `raw` need no loader and are unaffected. Called once by the Lambda entry point, not on import, because
 * the CLI imports these modules too and may read other formats.
 */
export function restrictLoaders(): void {
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: [...ALLOWED_LOADERS] });
}
