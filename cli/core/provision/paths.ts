// Where thumbctl's own files are: the package root (the directory whose package.json is named "thumbctl"),
// and in it function/ and templates/. Found by walking up from this module, so the same code works compiled
// (dist/cli/core/provision/) and from source under tsx (cli/core/provision/). No other path logic lives here.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The thumbctl package root, found by walking up from `from` (default: this module's directory). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  if (cachedRoot && from === dirname(fileURLToPath(import.meta.url))) return cachedRoot;
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'thumbctl') {
          if (from === dirname(fileURLToPath(import.meta.url))) cachedRoot = dir;
          return dir;
        }
      } catch {
        /* not ours; keep walking */
      }
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the thumbctl package root above ${from}`);
  }
}

/** The Lambda function's sources (function/*.ts), shipped with the CLI. */
export const functionDir = (): string => join(packageRoot(), 'function');

/** The policy documents and test events. */
export const templatesDir = (): string => join(packageRoot(), 'templates');
