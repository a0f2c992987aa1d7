// The IAM service of the local cloud: builds the store over the shared database, publishes its
// cross-service surface as `context.stores.iam`, and hands the router to the registry.
// One store per cloud: STS reads roles through the same instance (see `iamStoreOf`).
import { Authorizer } from '../../core/authorize.js';
import type { CloudContext } from '../../core/context.js';
import type { ServiceModule } from '../../core/service.js';
import { createIamRouter } from './router.js';
import { IamStore } from './store.js';

const storesByCloud = new WeakMap<CloudContext, IamStore>();

/** The cloud's IAM store, created on first use (STS may ask before or after IAM's factory runs). */
export function iamStoreOf(context: CloudContext): IamStore {
  let store = storesByCloud.get(context);
  if (!store) {
    store = new IamStore(context.db, context.settings.accountId);
    storesByCloud.set(context, store);
  }
  return store;
}

export function createIamService(context: CloudContext): ServiceModule {
  const store = iamStoreOf(context);
  context.stores.iam = store;
  return { router: createIamRouter(store, new Authorizer(context, 'iam')) };
}
