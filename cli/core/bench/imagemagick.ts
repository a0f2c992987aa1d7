// ImageMagick on the same image, for comparison: `convert <image> -thumbnail WxH^ -gravity center -extent WxH`,
// what the course's PIL-era code is closest to. Each run is a process of its own, as a script calling convert
// would pay; its bare start-up (`convert -version`) is timed apart. Absent or a stand-in: reported, not faked.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runChild } from './child.js';
import { median } from './stats.js';
import type { ThumbnailSize } from '../operate/size.js';

/** Debian's real binary first: a `convert` earlier on PATH may be a wrapper (or a stand-in) around it. */
export const CONVERT_CANDIDATES = ['/usr/bin/convert', 'convert'] as const;

export type ImageMagickResult =
  | { available: true; command: string; version: string; convertP50Ms: number; startupP50Ms: number; iterations: number; commandLine: string }
  | { available: false; reason: string };

/** The first candidate whose `-version` says ImageMagick, with that version line. */
export async function findImageMagick(candidates: readonly string[] = CONVERT_CANDIDATES): Promise<{ command: string; version: string } | undefined> {
  for (const command of candidates) {
    const result = await runChild(command, ['-version'], { timeoutMs: 10_000 });
    const version = /Version:\s*(ImageMagick[^\n]*)/.exec(result.stdout)?.[1];
    if (result.started && result.code === 0 && version) return { command, version: version.replace(/\s+https?:\S+$/, '').trim() };
  }
  return undefined;
}

/** The ImageMagick arguments that make the same cover-cropped thumbnail. */
export function convertArguments(image: string, size: ThumbnailSize, output: string): string[] {
  const geometry = `${size.width}x${size.height}`;
  return [image, '-thumbnail', `${geometry}^`, '-gravity', 'center', '-extent', geometry, output];
}

export async function measureImageMagick(image: string, size: ThumbnailSize, iterations = 5): Promise<ImageMagickResult> {
  const found = await findImageMagick();
  if (!found) return { available: false, reason: 'ImageMagick (convert) is not installed; on Debian: apt-get install imagemagick' };
  const dir = await mkdtemp(join(tmpdir(), 'thumbctl-bench-im-'));
  try {
    const args = convertArguments(image, size, join(dir, 'thumbnail.jpg'));
    const warm = await runChild(found.command, args);
    if (warm.code !== 0) return { available: false, reason: `convert failed: ${warm.stderr.trim().split('\n')[0] ?? `exit ${warm.code}`}` };
    const runs: number[] = [];
    const startups: number[] = [];
    for (let i = 0; i < iterations; i++) {
      runs.push((await runChild(found.command, args)).elapsedMs);
      startups.push((await runChild(found.command, ['-version'])).elapsedMs);
    }
    return {
      available: true,
      command: found.command,
      version: found.version,
      convertP50Ms: median(runs) ?? 0,
      startupP50Ms: median(startups) ?? 0,
      iterations,
      commandLine: ['convert', ...convertArguments(basename(image), size, 'out.jpg')].join(' '),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
