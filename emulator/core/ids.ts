// Identifiers shaped like AWS's: request ids, hex ids. Randomness only; no meaning is encoded.
import { randomBytes, randomUUID } from 'node:crypto';

export function newRequestId(): string {
  return randomUUID();
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** S3's request id style: 16 upper-case hex characters. */
export function s3RequestId(): string {
  return randomHex(8).toUpperCase();
}
