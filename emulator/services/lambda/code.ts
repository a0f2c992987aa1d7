// Function code: takes a deployment package (inline base64 or an S3 object), checks it as Lambda does, keeps it in
// the blob store by digest and unpacks it once per digest for the runtime, sharing the unchanged files of the package
// it replaces. Knows nothing of functions: the store records which digest a function uses (and names the one an
// update replaces), the executor asks here for the unpacked folder before running it.
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import type { S3ForOthers } from '../../core/context.js';
import type { BlobStore } from '../../state/blobs.js';
import {
  CodePackageError,
  MAX_UNZIPPED_BYTES,
  MAX_ZIPPED_BYTES,
  codeDirectory,
  inspectCodePackage,
  unpackCodePackage,
  unpackCodePackageReporting,
  type ShareableEntry,
  type UnpackedPackage,
} from '../../runtime/code-package.js';
import { InvalidParameterValueException, RequestEntityTooLargeException } from './errors.js';

/** AWS's words for a package it cannot unzip. */
const COULD_NOT_UNZIP = 'Could not unzip uploaded file. Please check your file, then try to upload again.';

/** AWS: a CreateFunction/UpdateFunctionCode request body may be at most this large (50 MB, base64 in JSON). */
export const MAX_CODE_REQUEST_BYTES = 70_167_211;

/** Where a package comes from, as CreateFunction's Code and UpdateFunctionCode name it (blobs as base64 text, or decoded). */
export interface CodeSource {
  ZipFile?: string | Buffer;
  S3Bucket?: string;
  S3Key?: string;
  S3ObjectVersion?: string;
}

export interface StoredCode {
  sha256Hex: string;
  size: number;
}

export interface FunctionCodeOptions {
  blobs: BlobStore;
  stateDir: string;
  /** The cloud's S3, for packages given as S3Bucket/S3Key (undefined while S3 is not running). */
  s3: () => S3ForOthers | undefined;
  log(message: string): void;
}

/**
 * Bytes of recently unpacked packages kept in memory, with their entries, for the update that replaces them (at most
 * the direct-upload limit): that update neither reads the replaced zip from disk nor walks it again.
 */
export const MAX_KEPT_PACKAGE_BYTES = MAX_ZIPPED_BYTES;

export class FunctionCode {
  /** Code folders known to exist, so a warm invocation does not stat the disk. */
  private readonly unpacked = new Set<string>();
  /** The packages unpacked last, oldest first, within MAX_KEPT_PACKAGE_BYTES. */
  private readonly kept = new Map<string, { zip: Buffer; entries: ReadonlyMap<string, ShareableEntry> }>();

  constructor(private readonly options: FunctionCodeOptions) {}

  /** Unpacks started by acceptUnpackingLater and not finished, by digest. */
  private readonly unpacking = new Map<string, Promise<string | undefined>>();
  /** Awaited before a deferred unpack begins: tests hold a function in Pending with it. */
  beforeDeferredUnpack: () => Promise<void> = async () => undefined;

  /**
   * Reads the package (inline base64 or from S3), validates and unpacks it, and stores it by digest.
   * @param replacing - the digest of the package this one replaces (UpdateFunctionCode): its unchanged files are shared
   */
  async accept(code: CodeSource, replacing?: string): Promise<StoredCode> {
    const { stored, zip, maxZipped, refuse } = await this.receive(code);
    const previous = replacing !== undefined && replacing !== stored.sha256Hex ? this.unpackedPackage(replacing) : undefined;
    await this.unpack(stored.sha256Hex, zip, maxZipped, previous).catch(refuse);
    return stored;
  }

  /**
   * CreateFunction's half of accept: the package is read, checked and stored before this returns (a bad one is
   * refused here, as AWS refuses it in the call), and unpacked afterwards, while the new function is Pending.
   * `unpacked` never rejects. It resolves to why the package cannot be unpacked when its content is at fault (sizes
   * that lie, found only while inflating): the function then fails to create. An unpack that fails for another
   * reason (a full disk) is logged, and the first invocation unpacks again (directory()), as for a state directory
   * restored without its code folders.
   */
  async acceptUnpackingLater(code: CodeSource): Promise<{ stored: StoredCode; unpacked: Promise<string | undefined> }> {
    const { stored, zip, maxZipped } = await this.receive(code);
    const digest = stored.sha256Hex;
    const earlier = this.unpacking.get(digest);
    if (earlier) return { stored, unpacked: earlier };
    const unpacked = this.beforeDeferredUnpack()
      .then(() => this.unpack(digest, zip, maxZipped))
      .then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof CodePackageError) {
            this.options.log(`lambda: refused a code package while unpacking it: ${error.message}`);
            return error.kind === 'too-large-unzipped' ? `Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes` : COULD_NOT_UNZIP;
          }
          this.options.log(`lambda: unpacking code ${digest} failed, it is unpacked again at its first invocation: ${(error as Error).message}`);
          return undefined;
        },
      )
      .finally(() => this.unpacking.delete(digest));
    this.unpacking.set(digest, unpacked);
    return { stored, unpacked };
  }

  /** Resolves once every unpack acceptUnpackingLater started has finished (the cloud closes after them). */
  async settled(): Promise<void> {
    await Promise.all(this.unpacking.values());
  }

  /** The package read, checked against Lambda's rules and stored by digest; not unpacked. */
  private async receive(code: CodeSource): Promise<{ stored: StoredCode; zip: Buffer; maxZipped: number; refuse: (error: unknown) => never }> {
    let zip: Buffer;
    let maxZipped = MAX_ZIPPED_BYTES;
    if (code.ZipFile !== undefined) {
      if (code.S3Bucket !== undefined || code.S3Key !== undefined) {
        throw new InvalidParameterValueException('Please provide either ZipFile or S3Bucket and S3Key for the function code, not both.');
      }
      zip = typeof code.ZipFile === 'string' ? Buffer.from(code.ZipFile, 'base64') : code.ZipFile;
    } else if (code.S3Bucket !== undefined && code.S3Key !== undefined) {
      zip = await this.readS3Object(code.S3Bucket, code.S3Key);
      // From S3 only the unzipped limit applies.
      maxZipped = MAX_UNZIPPED_BYTES;
    } else {
      throw new InvalidParameterValueException('Please provide a source for function code.');
    }
    if (zip.length > maxZipped) throw new RequestEntityTooLargeException(MAX_CODE_REQUEST_BYTES, 'CreateFunction');
    const refuse = (error: unknown): never => {
      if (!(error instanceof CodePackageError)) throw error;
      if (error.kind === 'too-large-unzipped') throw new InvalidParameterValueException(`Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
      if (error.kind === 'too-large-zipped') throw new RequestEntityTooLargeException(MAX_CODE_REQUEST_BYTES, 'CreateFunction');
      this.options.log(`lambda: refused a code package: ${error.message}`);
      throw new InvalidParameterValueException(COULD_NOT_UNZIP);
    };
    // Checked before anything is stored, so a refused package leaves no blob behind.
    await inspectCodePackage(zip, { maxZippedBytes: maxZipped }).catch(refuse);
    const sha256Hex = await this.options.blobs.put(zip);
    return { stored: { sha256Hex, size: zip.length }, zip, maxZipped, refuse };
  }

  /** Unpacks a package receive() has just inspected with the same limits (so it is not walked again), and keeps its entries. */
  private async unpack(sha256Hex: string, zip: Buffer, maxZipped: number, previous?: UnpackedPackage): Promise<void> {
    const unpacked = await unpackCodePackageReporting(this.options.stateDir, sha256Hex, zip, { maxZippedBytes: maxZipped }, previous, { inspected: true });
    if (unpacked.entries) this.keep(sha256Hex, zip, unpacked.entries);
  }

  private keep(sha256Hex: string, zip: Buffer, entries: ReadonlyMap<string, ShareableEntry>): void {
    this.kept.delete(sha256Hex);
    if (zip.length > MAX_KEPT_PACKAGE_BYTES) return;
    this.kept.set(sha256Hex, { zip, entries });
    let bytes = 0;
    for (const package_ of this.kept.values()) bytes += package_.zip.length;
    for (const [digest, package_] of this.kept) {
      if (bytes <= MAX_KEPT_PACKAGE_BYTES) break;
      this.kept.delete(digest);
      bytes -= package_.zip.length;
    }
  }

  /** The replaced package's zip and folder when both are still there (else the new one is unpacked whole). */
  private unpackedPackage(sha256Hex: string): UnpackedPackage | undefined {
    const directory = codeDirectory(this.options.stateDir, sha256Hex);
    if (!existsSync(directory)) return undefined;
    const kept = this.kept.get(sha256Hex);
    if (kept) return { zip: kept.zip, directory, entries: kept.entries };
    try {
      // Read in one call: read through the thread pool piece by piece it took 10-120 ms under load, against a few.
      // Bounded by the direct-upload limit, so the event loop never waits on more than 50 MB (a larger package
      // from S3 is unpacked whole).
      if (this.options.blobs.size(sha256Hex) > MAX_ZIPPED_BYTES) return undefined;
      return { zip: readFileSync(this.options.blobs.pathOf(sha256Hex)), directory };
    } catch {
      return undefined;
    }
  }

  /**
   * The folder the package of this digest is unpacked in; unpacks it again if the folder is missing (e.g. a state
   * directory restored without its `code/` folder).
   */
  async directory(sha256Hex: string): Promise<string> {
    const directory = codeDirectory(this.options.stateDir, sha256Hex);
    await this.unpacking.get(sha256Hex);
    if (!this.unpacked.has(directory) && !existsSync(directory)) {
      const zip = await this.options.blobs.read(sha256Hex);
      await unpackCodePackage(this.options.stateDir, sha256Hex, zip, { maxZippedBytes: MAX_UNZIPPED_BYTES });
    }
    this.unpacked.add(directory);
    return directory;
  }

  /**
   * Forgets a package no function uses any more (the store has checked): its blob goes now, unless an S3 object
   * holds the same bytes (blobs are shared by content). Its folder is the runtime's to remove, once nothing runs
   * in it. Synchronous, so the caller's reference check and the unlink happen in one tick, as S3 releases its blobs.
   */
  release(sha256Hex: string): void {
    this.unpacked.delete(codeDirectory(this.options.stateDir, sha256Hex));
    this.kept.delete(sha256Hex);
    let sharedWithS3: boolean;
    try {
      sharedWithS3 = this.options.s3()?.usesBlob?.(sha256Hex) ?? false;
    } catch (error) {
      this.options.log(`lambda: asking S3 about blob ${sha256Hex} failed, keeping it: ${(error as Error).message}`);
      sharedWithS3 = true;
    }
    if (sharedWithS3) return;
    try {
      unlinkSync(this.options.blobs.pathOf(sha256Hex));
    } catch {
      // Already gone.
    }
  }

  /** The folder a package of this digest is (or would be) unpacked in. */
  directoryOf(sha256Hex: string): string {
    return codeDirectory(this.options.stateDir, sha256Hex);
  }

  private async readS3Object(bucket: string, key: string): Promise<Buffer> {
    const s3 = this.options.s3();
    if (!s3) {
      throw new InvalidParameterValueException(`Error occurred while GetObject. S3 Error Code: ServiceUnavailable. S3 Error Message: the local cloud's S3 is not available to Lambda`);
    }
    // Read whole, so bounded first: no package larger than the unzipped limit can be valid (AWS says so too).
    const size = s3.objectSize?.(bucket, key);
    if (size !== undefined && size > MAX_UNZIPPED_BYTES) throw new InvalidParameterValueException(`Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
    const bytes = await s3.getObjectBytes(bucket, key);
    if (!bytes) throw new InvalidParameterValueException('Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.');
    return bytes;
  }
}
