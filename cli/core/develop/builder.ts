// `dev`'s builder: the function's esbuild context kept open between saves, so a rebuild re-reads and re-parses only
// what changed, and a package made from the new bundle plus sharp's files, deflated once at start and spliced in as
// they were zipped (zip-records.ts): each save deflates only the bundle's files it changed, and the zip is byte for byte the one
// `setup` makes of the same sources, so both deploy the same CodeSha256 and `status` sees no drift after `dev`.
// No terminal, no AWS calls.
import { createHash } from 'node:crypto';
import { isAbsolute, resolve, sep } from 'node:path';
import type { BuildContext } from 'esbuild';
import type { Architecture } from '../settings.js';
import {
  bundleEntries,
  bundleError,
  bundleFiles,
  bundleOptions,
  checkFunctionDirectory,
  dependencyEntries,
  MAX_ZIP_BYTES,
  type FunctionSource,
} from '../provision/package.js';
import { spliceZip, ZipRecordCache, zipRecordsOf, type ZipRecord } from './zip-records.js';
import { formatBytes, UserError } from '../../output.js';

/** One build of the function, ready to deploy. */
export interface DevPackage {
  zip: Buffer;
  /** Base64 SHA-256, as Lambda reports CodeSha256. */
  codeSha256: string;
  /** Milliseconds the rebuild took (esbuild only). */
  bundleMs: number;
  /** Milliseconds the zip took. */
  zipMs: number;
  /** The source files the bundle read (absolute; node_modules left out): what `dev` watches. */
  inputs: string[];
}

/** A rebuild that a newer save made pointless: esbuild stopped it. */
export class BuildCancelled extends Error {
  constructor() {
    super('the build was superseded by a newer save');
    this.name = 'BuildCancelled';
  }
}

export class DevBuilder {
  private cancelled = false;
  /** The bundle's records of the last build: each save deflates only the files it changed. */
  private readonly bundleRecords = new ZipRecordCache();

  private constructor(
    private readonly context: BuildContext,
    private readonly paths: { absWorkingDir: string; outdir: string },
    private readonly dependencies: ZipRecord[],
  ) {}

  /** Opens esbuild's context, and reads and deflates sharp's files once. */
  static async open(source: FunctionSource, architecture: Architecture, cacheDir: string | undefined): Promise<DevBuilder> {
    checkFunctionDirectory(source);
    const esbuild = await import('esbuild');
    const options = { ...bundleOptions(source), metafile: true };
    const [context, dependencies] = await Promise.all([
      esbuild.context(options),
      dependencyEntries(source, architecture, cacheDir).then((entries) => zipRecordsOf(entries)),
    ]);
    return new DevBuilder(context, { absWorkingDir: options.absWorkingDir, outdir: options.outdir }, dependencies);
  }

  /**
   * Rebuilds and zips. Throws BundleError (the bundler's first error) for code that does not build, and
   * BuildCancelled when cancel() stopped it.
   */
  async build(): Promise<DevPackage> {
    this.cancelled = false;
    const started = performance.now();
    let result;
    try {
      result = await this.context.rebuild();
    } catch (error) {
      if (this.cancelled) throw new BuildCancelled();
      throw bundleError(error, this.paths);
    }
    if (this.cancelled) throw new BuildCancelled();
    const bundleMs = performance.now() - started;
    const zipStarted = performance.now();
    const { records } = await this.bundleRecords.recordsOf(bundleEntries(bundleFiles(result, this.paths)));
    const zip = spliceZip([records, this.dependencies]);
    if (zip.length > MAX_ZIP_BYTES) throw new UserError(`the deployment package is ${formatBytes(zip.length)}, over Lambda's ${formatBytes(MAX_ZIP_BYTES)} upload limit`);
    const inputs = Object.keys(result.metafile?.inputs ?? {})
      .map((input) => (isAbsolute(input) ? input : resolve(this.paths.absWorkingDir, input)))
      .filter((input) => !input.split(sep).includes('node_modules'));
    return { zip, codeSha256: createHash('sha256').update(zip).digest('base64'), bundleMs, zipMs: performance.now() - zipStarted, inputs };
  }

  /** Stops a rebuild in progress (a newer save arrived); its build() throws BuildCancelled. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    await this.context.cancel();
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
  }
}
