// Object and part bodies in the cloud's content-addressed blob store: committing a received body with its row in
// one tick, and releasing a blob once no object, version or part (nor Lambda's code) uses it. Knows no S3 rule.
import { unlinkSync } from 'node:fs';
import type { StagedBody } from './records.js';
import { StorePart } from './tables.js';

export class ObjectBodies extends StorePart {
  /**
   * Writes a body to the blob store, then runs `commit` synchronously with its digest. The blob is
   * re-checked inside the same tick as the commit: a concurrent delete of an identical body could
   * have removed the file while we awaited (releaseBlob runs synchronously, so it cannot interleave).
   */
  async commitBody<T>(body: Buffer | StagedBody, commit: (digest: string) => T): Promise<T> {
    let digest: string;
    if (Buffer.isBuffer(body)) {
      digest = await this.context.blobs.put(body);
      for (let attempt = 0; !this.context.blobs.has(digest); attempt++) {
        if (attempt >= 3) throw new Error('blob vanished repeatedly while being committed');
        digest = await this.context.blobs.put(body);
      }
    } else {
      await body.draft.seal();
      // From here to the commit, one tick: placed and named together.
      digest = body.draft.place();
    }
    try {
      return commit(digest);
    } catch (error) {
      this.releaseBlob(digest);
      throw error;
    }
  }

  /** Writes the row in its own transaction, then releases the blobs of what it replaced. */

  // ---------------------------------------------------------------- blobs and events

  /** True while an object or an upload part uses this blob digest. */
  usesBlob(digest: string): boolean {
    return this.sql.objectRefs.get(digest) !== undefined || this.sql.partRefs.get(digest) !== undefined || this.sql.versionRefs.get(digest) !== undefined;
  }

  releaseBlobs(digests: Iterable<string>): void {
    for (const digest of new Set(digests)) this.releaseBlob(digest);
  }

  /**
   * Removes a blob no object or part references any more. Synchronous on purpose: the reference check
   * and the unlink happen in one tick, so no write in this process can claim the blob in between.
   */
  releaseBlob(digest: string): void {
    if (this.usesBlob(digest)) return;
    // Blobs are shared by content across services: Lambda code taken from S3 has the object's digest.
    try {
      if (this.context.stores.lambda?.usesBlob?.(digest)) return;
    } catch (error) {
      this.context.log(`s3: asking Lambda about blob ${digest} failed, keeping it: ${(error as Error).message}`);
      return;
    }
    try {
      unlinkSync(this.context.blobs.pathOf(digest));
    } catch {
      // Already gone: nothing to release.
    }
  }
}
