// The only I/O the thumbnailer needs: read the source object, write the thumbnail. Kept behind a tiny interface so
// tests can plug in a real in-memory store instead of mocking the AWS SDK.
// It does not retry, classify image errors or log; the SDK retries throttling itself and the handler decides the rest.

import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

import type { S3ClientSettings } from './config.js';

/** An object's bytes and, when the store knows it, its Content-Type. */
export interface StoredObject {
  readonly body: Buffer;
  readonly contentType?: string;
}

/** Where source images come from and thumbnails go to. */
export interface ThumbnailStorage {
  /**
   * @param bucket - Source bucket name.
   * @param key - Decoded object key.
   * @throws ObjectNotFoundError when the object does not exist (it may have been deleted since the event).
   */
  getObject(bucket: string, key: string): Promise<StoredObject>;
  /**
   * @param bucket - Destination bucket name.
   * @param key - Destination object key.
   * @param body - The bytes to store.
   * @param contentType - Sent as the object's Content-Type.
   * @param metadata - User metadata (`x-amz-meta-*`) stored with the object.
   */
  putObject(bucket: string, key: string, body: Buffer, contentType: string, metadata?: Readonly<Record<string, string>>): Promise<void>;
}

/** The object is gone. Permanent: no retry will bring it back. */
export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';

  /**
   * @param bucket - Bucket that was read.
   * @param key - Key that was missing.
   * @param options - Standard error options, e.g. the SDK error as `cause`.
   */
  constructor(
    readonly bucket: string,
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`s3://${bucket}/${key} does not exist`, options);
  }
}

/**
 * Creates the S3 client for this execution environment. Construction does no I/O, so it is safe at module scope.
 *
 * @param settings - Endpoint override and addressing style (see readS3Settings).
 */
export function createS3Client(settings: S3ClientSettings): S3Client {
  return new S3Client({
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
  });
}

/**
 * A {@link ThumbnailStorage} backed by Amazon S3 (or any S3-compatible endpoint).
 *
 * @param client - An S3 client, possibly already instrumented for X-Ray.
 */
export function s3Storage(client: S3Client): ThumbnailStorage {
  return {
    async getObject(bucket, key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array(0);
        // A view over the same memory, not a copy: sources can be tens of megabytes.
        const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        return response.ContentType === undefined ? { body } : { body, contentType: response.ContentType };
      } catch (error) {
        if (isNotFound(error)) throw new ObjectNotFoundError(bucket, key, { cause: error });
        throw error;
      }
    },
    async putObject(bucket, key, body, contentType, metadata) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ...(metadata ? { Metadata: { ...metadata } } : {}) }));
    },
  };
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || status === 404;
}
