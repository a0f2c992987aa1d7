#!/usr/bin/env node
// Bundles the CLI and the local cloud into dist/bundle/ (the third step of `npm run build`, after tsc and the
// assets): thumbctl.js, the chunks it imports on demand (each command's work, the emulator, the AWS SDK), the bench's
// baseline worker, and their source maps. Start-up then loads a handful of files instead of resolving, reading and
// linking ~150 ES modules and the SDK's CommonJS one by one. Packages with native parts (better-sqlite3, sharp,
// esbuild) stay external and load from node_modules as before. It type-checks nothing: tsc, before it, does.
import { builtinModules } from 'node:module';
import { rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const OUT_DIR = 'dist/bundle';
/** Packages that ship .node binaries or spawn their own executables: loaded from node_modules, never inlined. */
const NATIVE_PACKAGES = ['better-sqlite3', 'sharp', 'esbuild'];

// Bundled CommonJS code (the AWS SDK, commander) still calls require() for Node.js built-ins: the banner gives each
// file a require bound to its own location.
const BANNER = "import { createRequire as __thumbctlCreateRequire } from 'node:module'; const require = __thumbctlCreateRequire(import.meta.url);";

/**
 * The bundle's ES-module imports of Node.js built-ins become require() calls, as in the function's bundle
 * (cli/core/provision/package.ts): an ES import of a built-in makes Node build its ES facade, reading every export
 * (node:http's lazy getters load undici). Same module object either way. node:module stays an import: the banner
 * needs it.
 */
const builtinsThroughRequire = {
  name: 'builtins-through-require',
  setup(pluginBuild) {
    const names = builtinModules.filter((name) => !name.startsWith('_') && name !== 'module');
    const filter = new RegExp(`^(node:)?(${names.map((name) => name.replace(/[/]/g, '\\/')).join('|')})$`);
    pluginBuild.onResolve({ filter }, (args) =>
      // Static imports only: a dynamic import() of such a wrapper would see its default export alone, not its names.
      args.kind === 'import-statement' ? { path: args.path.replace(/^node:/, ''), namespace: 'builtin-through-require' } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
  },
};

rmSync(OUT_DIR, { recursive: true, force: true });
const result = await build({
  // Every file lands in one folder, so a module that finds a sibling by `new URL('./x.js', import.meta.url)`
  // (the bench's baseline worker) finds it from whichever chunk it ends up in.
  entryPoints: { thumbctl: 'cli/main.ts', 'baseline-worker': 'cli/core/bench/baseline-worker.ts' },
  outdir: OUT_DIR,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The SDK's ES modules, which esbuild can tree-shake, over its CommonJS builds.
  mainFields: ['module', 'main'],
  external: NATIVE_PACKAGES,
  plugins: [builtinsThroughRequire],
  banner: { js: BANNER },
  chunkNames: 'chunk-[hash]',
  // Stack traces (`--debug`) name the TypeScript sources; the sources themselves are not copied into the maps.
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
// Which sources each output file holds: the tests read it to prove `--help` loads no SDK or emulator.
const inputsByOutput = Object.fromEntries(
  Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.js'))
    .map(([file, output]) => [file.slice(OUT_DIR.length + 1), Object.keys(output.inputs).sort()]),
);
writeFileSync(`${OUT_DIR}/inputs.json`, `${JSON.stringify(inputsByOutput)}\n`);
