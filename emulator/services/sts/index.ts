// The STS service of the local cloud: a store over the shared database that reads roles through the
// cloud's IAM store, and the router the registry serves. It publishes the secrets of the temporary keys it
// issued as `context.stores.sts`, so `--require-auth` can verify requests signed with them, and the role
// session each stands for, so IAM enforcement can check their calls.
import { Authorizer } from '../../core/authorize.js';
import type { CloudContext } from '../../core/context.js';
import type { ServiceModule } from '../../core/service.js';
import { iamStoreOf } from '../iam/index.js';
import { createStsRouter } from './router.js';
import { StsStore } from './store.js';

export function createStsService(context: CloudContext): ServiceModule {
  const store = new StsStore(context.db, context.settings.accountId, iamStoreOf(context));
  context.stores.sts = {
    credentialFor: (accessKeyId) => store.credentialFor(accessKeyId),
    sessionOf: (accessKeyId) => store.sessionOf(accessKeyId),
  };
  return { router: createStsRouter(store, context, new Authorizer(context, 'sts')) };
}
