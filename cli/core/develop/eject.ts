// `thumbctl eject`: copies the function (its sources, a tsconfig and a package.json pinning what it imports to
// the versions thumbctl ships) into a new or empty directory of the user's project, and records that directory as
// `functionDir` in the config file, so setup, status, bench and dev package it from then on. It never overwrites:
// a non-empty directory or an unreadable config file is refused before anything is written. No terminal.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ExitCode, UserError } from '../../output.js';
import { writeFileAtomic } from '../fs.js';
import { functionDir, packagePath, packageRoot } from '../paths.js';
import { findPackageDir, FUNCTION_ENTRY, FUNCTION_PACKAGES } from '../provision/package.js';
import { readConfigFile } from '../settings.js';

/** The ejected tsconfig (templates/): type-checks the sources as thumbctl does, emits nothing (esbuild bundles). */
export const FUNCTION_TSCONFIG_TEMPLATE = ['templates', 'function-tsconfig.json'] as const;
/** Type-checking needs these beside the runtime packages; pinned to thumbctl's own. */
const TYPECHECK_PACKAGES = ['typescript', '@types/node'] as const;

export interface EjectRequest {
  /** Where to copy the function (absolute). */
  directory: string;
  /** The config file to record `functionDir` in (absolute; created when missing). */
  configFile: string;
  /** thumbctl's installation (default: found from this module). */
  root?: string;
}

/** `eject --json`. */
export interface EjectResult {
  directory: string;
  /** What the config file now says: relative to the config file's directory when inside it. */
  functionDir: string;
  configFile: string;
  /** True when the config file did not exist before. */
  configCreated: boolean;
  /** The files written, relative to `directory`. */
  files: string[];
  /** The npm packages package.json pins, name → version. */
  dependencies: Record<string, string>;
}

const usage = (message: string): UserError => new UserError(message, ExitCode.usage);

export async function ejectFunction(request: EjectRequest): Promise<EjectResult> {
  const root = request.root ?? packageRoot();
  const directory = resolve(request.directory);
  checkTarget(directory);
  // Read (and so validated) before anything is written: a config file that is not a JSON object stops eject here.
  const configCreated = !existsSync(request.configFile);
  const config = configCreated ? {} : readConfigFile(request.configFile);

  const sources = functionSources(request.root ? join(root, 'function') : functionDir());
  const manifest = functionManifest(root);
  const files = new Map<string, string | Buffer>();
  for (const source of sources) files.set(basename(source), readFileSync(source));
  files.set('tsconfig.json', readFileSync(request.root ? join(root, ...FUNCTION_TSCONFIG_TEMPLATE) : packagePath(...FUNCTION_TSCONFIG_TEMPLATE)));
  files.set('package.json', `${JSON.stringify(manifest, null, 2)}\n`);

  await writeDirectory(directory, files);
  const recorded = recordedPath(directory, dirname(request.configFile));
  try {
    await writeFileAtomic(request.configFile, `${JSON.stringify({ ...config, functionDir: recorded }, null, 2)}\n`);
  } catch (error) {
    // The copy without the config entry would be deployed by nothing: take it back.
    await rm(directory, { recursive: true, force: true });
    throw new UserError(`cannot write the config file ${request.configFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return {
    directory,
    functionDir: recorded,
    configFile: request.configFile,
    configCreated,
    files: [...files.keys()].sort(),
    dependencies: manifest.dependencies,
  };
}

/** The target must be new or an empty directory: eject never overwrites anything. */
function checkTarget(directory: string): void {
  const stats = statSync(directory, { throwIfNoEntry: false });
  if (!stats) return;
  if (!stats.isDirectory()) throw usage(`${directory} exists and is not a directory: eject into a new or empty directory`);
  if (readdirSync(directory).length > 0) throw usage(`${directory} is not empty: eject into a new or empty directory (nothing was written)`);
}

/** The function's own modules: every .ts file of function/ but tests and declarations. */
export function functionSources(dir: string): string[] {
  const names = readdirSync(dir).filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts'));
  if (!names.includes(FUNCTION_ENTRY)) throw new UserError(`thumbctl's function sources are incomplete: no ${FUNCTION_ENTRY} in ${dir}`);
  return names.sort().map((name) => join(dir, name));
}

export interface FunctionManifest {
  name: string;
  private: true;
  type: 'module';
  description: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** package.json for the ejected function: what it imports, at the versions installed with thumbctl. */
export function functionManifest(root: string): FunctionManifest {
  const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const pinned = (name: string): string => {
    const dir = findPackageDir(name, root);
    const version = dir ? (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version : undefined;
    // Not installed (a production install has no typescript): the range thumbctl itself declares.
    const declared = own.dependencies?.[name] ?? own.devDependencies?.[name];
    if (!version && !declared) throw new UserError(`cannot pin ${name}: it is neither installed with thumbctl nor declared in its package.json`);
    return version ?? declared!;
  };
  return {
    name: 'thumbnailer',
    private: true,
    type: 'module',
    description: `The thumbctl thumbnailer, ejected from thumbctl ${own.version ?? ''}: \`thumbctl setup\` (or \`thumbctl dev\`) bundles and deploys this directory.`.replace(' :', ':'),
    scripts: { typecheck: 'tsc -p tsconfig.json' },
    dependencies: Object.fromEntries(FUNCTION_PACKAGES.map((name) => [name, pinned(name)])),
    devDependencies: Object.fromEntries(TYPECHECK_PACKAGES.map((name) => [name, pinned(name)])),
  };
}

/** Writes every file into a staging folder beside the target, then renames it into place: all or nothing. */
async function writeDirectory(directory: string, files: ReadonlyMap<string, string | Buffer>): Promise<void> {
  const parent = dirname(directory);
  await mkdir(parent, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw usage(`cannot create ${parent}: ${error.code ?? error.message}`);
  });
  const staging = join(parent, `.${basename(directory)}.eject-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(staging);
    for (const [name, content] of files) await writeFile(join(staging, name), content, { flag: 'wx' });
    // An empty target directory is replaced; rmdir refuses if something appeared in it meanwhile.
    if (existsSync(directory)) await rmdir(directory);
    await rename(staging, directory);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw usage(`${directory} is not empty: eject into a new or empty directory (nothing was written)`);
    throw new UserError(`cannot write ${directory}: ${code ?? (error as Error).message}`);
  }
}

/** The directory as the config file records it: relative to the config file's folder when inside it (portable). */
export function recordedPath(directory: string, configDir: string): string {
  const inside = relative(configDir, directory);
  if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return inside.split(sep).join('/');
  return directory;
}
