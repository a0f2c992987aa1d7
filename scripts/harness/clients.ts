// The client settings every harness talks to a local cloud with: its endpoint, the test region and fixed
// credentials (an unauthenticated local cloud accepts any), path-style S3. Shared by the tests
// (test/helpers/local-cloud.ts re-exports it) and the reliability scripts; nothing else lives here.

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
export const TEST_REGION = 'us-east-1';

/** What any SDK v3 client needs to talk to a local cloud (path-style, as the local cloud serves S3). */
export interface TestClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: true;
}

/** Client settings for a local cloud at `endpoint`, with the test credentials: spread into any SDK v3 client's constructor. */
export function clientConfigFor(endpoint: string): TestClientConfig {
  return { endpoint, region: TEST_REGION, credentials: { ...TEST_CREDENTIALS }, forcePathStyle: true };
}
