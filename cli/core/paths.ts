// Where thumbctl's own files are: the package root (the directory whose package.json is named "thumbctl"),
// and in it function/, templates/ and assets/. Found by walking up from this module, so the same code works
// compiled (dist/cli/core/) and from source under tsx (cli/core/). No other path logic lives here.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** thumbctl's installation directory (where its package.json is). */
export function packageRoot(): string {
  if (root) return root;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'thumbctl') return (root = dir);
      } catch {
        /* not ours; keep walking */
      }
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the thumbctl package root above ${start}`);
  }
}

/** A file shipped with thumbctl, e.g. `packagePath('assets', 'canyon.jpg')`. */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

/** The Lambda function's sources (function/*.ts), shipped with the CLI. */
export const functionDir = (): string => packagePath('function');

/** The policy documents and test events. */
export const templatesDir = (): string => packagePath('templates');

/** The bundled sample photo (3000x2000 JPEG, made by scripts/make-sample.mjs): `demo` uploads it, `bench` defaults to it. */
export function samplePhotoPath(): string {
  return packagePath('assets', 'canyon.jpg');
}
