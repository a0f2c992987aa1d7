// The S3 service of the local cloud: builds the store (SQLite tables, blobs) and the REST-XML router, and
// publishes S3's cross-service surface (object bytes for Lambda code, blob use) as `context.stores.s3`.
// No logic of its own beyond the wiring.
import type { CloudContext } from '../../core/context.js';
import { AwsError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import type { ServiceModule } from '../../core/service.js';
import { S3Router } from './router.js';
import { S3Store } from './store.js';

export { S3Store } from './store.js';

export function createS3Service(context: CloudContext): ServiceModule {
  const store = new S3Store(context);
  context.stores.s3 = {
    getObjectBytes: (bucket, key) => store.getObjectBytes(bucket, key),
    objectSize: (bucket, key) => store.objectSize(bucket, key),
    objectSummary(bucket, key) {
      try {
        const object = store.getObject(bucket, key);
        return { size: object.size, etag: object.etag };
      } catch (error) {
        if (error instanceof AwsError && error.status === 404) return undefined;
        throw error;
      }
    },
    async putObject(bucket, key, body, contentType, principalId) {
      const request = { requestId: newRequestId(), hostId: '', principalId, sourceIp: '127.0.0.1', operation: 'PutObject' };
      const object = await store.putObject(bucket, key, body, { contentType, systemMetadata: {}, userMetadata: {} }, request);
      return { etag: object.etag };
    },
    usesBlob: (digest) => store.usesBlob(digest),
  };
  return { router: new S3Router(store, context) };
}
