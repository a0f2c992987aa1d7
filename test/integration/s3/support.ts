// Shared by the S3 integration tests: unique bucket names per test, error assertions in the SDK's
// terms (error.name and the HTTP status), and a raw request for what the SDK will not send.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

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
