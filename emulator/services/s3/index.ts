// The S3 service of the local cloud: builds the store (SQLite tables, blobs) and the REST-XML router.
// S3 publishes nothing on context.stores: no other service needs it yet (it only consumes Lambda's).
import type { CloudContext } from '../../core/context.js';
import type { ServiceModule } from '../index.js';
import { S3Router } from './router.js';
import { S3Store } from './store.js';

export { S3Store } from './store.js';

export function createS3Service(context: CloudContext): ServiceModule {
  const store = new S3Store(context);
  return { router: new S3Router(store, context) };
}
