// Shared by the S3 integration tests: a local cloud with an S3 client, unique bucket names per test, error
// assertions in the SDK's terms (error.name and the HTTP status), and a raw request for what the SDK will not send.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { LocalCloudOptions } from '../../../emulator/server.js';
import { startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';

export interface S3TestCloud extends TestCloud {
  /** The real SDK v3 S3 client, configured for this cloud. */
  s3: S3Client;
  /** Creates a fresh bucket (see bucketName) and resolves with its name. */
  newBucket(label: string): Promise<string>;
  /** Destroys the client, then closes the cloud. */
  close(): Promise<void>;
}

/** A local cloud (see startTestCloud) with an S3 client for it. */
export async function startS3Cloud(options: Partial<LocalCloudOptions> = {}): Promise<S3TestCloud> {
  const cloud = await startTestCloud(options);
  const s3 = new S3Client({ ...cloud.clientConfig });
  return {
    ...cloud,
    s3,
    async newBucket(label) {
      const bucket = bucketName(label);
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async close() {
      s3.destroy();
      await cloud.close();
    },
  };
}

/** A fresh, valid bucket name, so tests never share state. */
export function bucketName(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`.toLowerCase();
}

/** Asserts the promise fails as the SDK reports an S3 error: its name (the AWS code) and status. */
export async function expectS3Error(promise: Promise<unknown>, name: string, status: number): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    assert.equal(failure.name, name, `expected ${name}, got ${String(error)}`);
    assert.equal(failure.$metadata?.httpStatusCode, status);
    return error as Record<string, unknown>;
  }
  assert.fail(`expected ${name} (${status}), but the call succeeded`);
}

/** Reads the `<Code>` of an S3 XML error body. */
export function errorCode(xml: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
}
