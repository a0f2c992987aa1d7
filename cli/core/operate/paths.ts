// Finds files shipped with thumbctl (templates/, assets/) from wherever this module runs: the compiled dist/ or
// the TypeScript sources under tsx. It walks up to the directory holding thumbctl's package.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** thumbctl's installation directory (where its package.json is). */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'thumbctl') return (root = dir);
      } catch {
        /* not ours; keep walking */
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the thumbctl installation (no package.json named thumbctl above this module)');
    dir = parent;
  }
}

/** A file shipped with thumbctl, e.g. `packagePath('assets', 'canyon.jpg')`. */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

/** The bundled sample photo (3000x2000 JPEG, made by scripts/make-sample.mjs): `demo` uploads it, `bench` defaults to it. */
export function samplePhotoPath(): string {
  return packagePath('assets', 'canyon.jpg');
}
