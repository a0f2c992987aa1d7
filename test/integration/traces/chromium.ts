// Renders an HTML file in headless Chromium (Debian's `chromium`) and checks the screenshot is a drawing,
// not a blank page: the colours the report's SVGs use must be present where they are drawn.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';

export const CHROMIUM = process.env.THUMBCTL_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));

/** Why the browser test cannot run here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  return CHROMIUM ? undefined : 'Chromium is not installed (apt-get install chromium, or set THUMBCTL_CHROMIUM): the HTML report was not rendered';
}

/** Takes a 1280x1600 screenshot of the file; returns the PNG bytes. */
export async function screenshot(htmlFile: string, timeoutMs = 60_000): Promise<Buffer> {
  if (!CHROMIUM) throw new Error(chromiumMissing());
  const profile = mkdtempSync(join(tmpdir(), 'thumbctl-chromium-'));
  const png = join(profile, 'shot.png');
  try {
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      `--screenshot=${png}`,
      '--window-size=1280,1600',
      pathToFileURL(htmlFile).href,
    ];
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(CHROMIUM as string, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    if (!existsSync(png)) throw new Error(`chromium wrote no screenshot (exit ${result.code}):\n${result.stderr.slice(-2000)}`);
    return readFileSync(png);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export interface ColourCensus {
  width: number;
  height: number;
  /** Distinct colours after rounding each channel to 16 levels. */
  distinct: number;
  /** Pixels within a small distance of the given colour. */
  near(hex: string, tolerance?: number): number;
}

/** Counts the colours of a region of a PNG. */
export async function colourCensus(png: Buffer, region: { left: number; top: number; width: number; height: number }): Promise<ColourCensus> {
  const { data, info } = await sharp(png).extract(region).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const buckets = new Set<number>();
  for (let i = 0; i < data.length; i += 3) buckets.add(((data[i] as number) >> 4) * 256 + ((data[i + 1] as number) >> 4) * 16 + ((data[i + 2] as number) >> 4));
  return {
    width: info.width,
    height: info.height,
    distinct: buckets.size,
    near(hex, tolerance = 24) {
      const [r, g, b] = [1, 3, 5].map((o) => parseInt(hex.slice(o, o + 2), 16)) as [number, number, number];
      let count = 0;
      for (let i = 0; i < data.length; i += 3) {
        if (Math.abs((data[i] as number) - r) <= tolerance && Math.abs((data[i + 1] as number) - g) <= tolerance && Math.abs((data[i + 2] as number) - b) <= tolerance) count++;
      }
      return count;
    },
  };
}
