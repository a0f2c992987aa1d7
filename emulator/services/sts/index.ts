// The STS service of the local cloud: a store over the shared database that reads roles through the
// cloud's IAM store, and the router the registry serves. STS publishes nothing on `context.stores`.
import type { CloudContext } from '../../core/context.js';
import type { ServiceModule } from '../index.js';
import { iamStoreOf } from '../iam/index.js';
import { StsRouter } from './router.js';
import { StsStore } from './store.js';

export function createStsService(context: CloudContext): ServiceModule {
  const store = new StsStore(context.db, context.settings.accountId, iamStoreOf(context));
  return { router: new StsRouter(store) };
}
