// The X-Ray service of the local cloud: builds the store, router and UDP daemon, publishes the store as
// `context.stores.xray` (the Lambda runtime writes segments through it and reads `daemonAddress` from it),
// and runs the daemon between start() and stop().
import type { CloudContext } from '../../core/context.js';
import type { ServiceModule } from '../../core/service.js';
import { XRayDaemon } from './daemon.js';
import { createXRayRouter } from './router.js';
import { XRayStore } from './store.js';

export function createXRayService(context: CloudContext): ServiceModule {
  const store = new XRayStore(context.db, {
    accountId: context.settings.accountId,
    region: context.settings.region,
    log: context.log,
    ...(context.disk ? { disk: context.disk } : {}),
  });
  const daemon = new XRayDaemon((document) => store.putSegments([document]), context.log);
  context.stores.xray = store;
  return {
    router: createXRayRouter(store, context),
    async start() {
      store.enforceRetention();
      store.daemonAddress = await daemon.start('127.0.0.1');
    },
    async stop() {
      store.daemonAddress = undefined;
      await daemon.stop();
    },
  };
}
