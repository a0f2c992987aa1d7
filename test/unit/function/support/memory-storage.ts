// A real, in-memory ThumbnailStorage for tests: objects live in a Map, calls are recorded.
// It is not a mock of the AWS SDK; it implements the same small contract the S3 storage does.

import { ObjectNotFoundError, type StoredObject, type ThumbnailStorage } from '../../../../function/storage.js';

export interface StorageCall {
  readonly operation: 'getObject' | 'putObject';
  readonly bucket: string;
  readonly key: string;
  /** putObject's user metadata, when it sent any. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Failure to inject into the next matching call, e.g. an S3 503 SlowDown. */
export type FailureInjector = (call: StorageCall) => Error | undefined;

export class MemoryStorage implements ThumbnailStorage {
  readonly objects = new Map<string, StoredObject>();
  readonly calls: StorageCall[] = [];
  failWith: FailureInjector = () => undefined;

  /**
   * @param bucket - Bucket name.
   * @param key - Object key.
   * @param body - Object bytes.
   * @param contentType - Optional Content-Type.
   */
  seed(bucket: string, key: string, body: Buffer, contentType?: string): void {
    this.objects.set(address(bucket, key), contentType === undefined ? { body } : { body, contentType });
  }

  /**
   * @param bucket - Bucket name.
   * @param key - Object key.
   */
  read(bucket: string, key: string): StoredObject | undefined {
    return this.objects.get(address(bucket, key));
  }

  async getObject(bucket: string, key: string): Promise<StoredObject> {
    const call: StorageCall = { operation: 'getObject', bucket, key };
    this.calls.push(call);
    const failure = this.failWith(call);
    if (failure) throw failure;
    const object = this.objects.get(address(bucket, key));
    if (object === undefined) throw new ObjectNotFoundError(bucket, key);
    return object;
  }

  async putObject(bucket: string, key: string, body: Buffer, contentType: string, metadata?: Readonly<Record<string, string>>): Promise<void> {
    const call: StorageCall = { operation: 'putObject', bucket, key, ...(metadata ? { metadata } : {}) };
    this.calls.push(call);
    const failure = this.failWith(call);
    if (failure) throw failure;
    this.objects.set(address(bucket, key), { body, contentType });
  }
}

/** An error shaped like the AWS SDK v3's throttling error (HTTP 503 SlowDown). */
export function s3SlowDown(): Error {
  return Object.assign(new Error('Please reduce your request rate.'), {
    name: 'SlowDown',
    $fault: 'server',
    $metadata: { httpStatusCode: 503 },
  });
}

function address(bucket: string, key: string): string {
  return `${bucket}\u0000${key}`;
}
