// node:crypto behind the Checksum interface the SDK's SigV4 signer takes (@smithy/signature-v4), for tests that
// sign raw requests themselves.
import { createHash, createHmac } from 'node:crypto';

export class Sha256 {
  private readonly hash;
  constructor(secret?: string | Uint8Array) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}
