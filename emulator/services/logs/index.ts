// The CloudWatch Logs service of the local cloud: builds the store and router, publishes the store as
// `context.stores.logs` (the Lambda runtime writes function logs through it) and sweeps expired events.
import type { CloudContext } from '../../core/context.js';
import type { ServiceModule } from '../../core/service.js';
import { createLogsRouter } from './router.js';
import { LogsStore } from './store.js';
import { LogGroupTags } from './tags.js';

/** How often events past their group's retention are deleted; AWS is lazy about it too. */
const RETENTION_SWEEP_MS = 60 * 60 * 1000;

export function createLogsService(context: CloudContext): ServiceModule {
  const store = new LogsStore(context.db, { accountId: context.settings.accountId, region: context.settings.region, ...(context.disk ? { disk: context.disk } : {}) });
  context.stores.logs = store;
  let sweep: NodeJS.Timeout | undefined;
  const expire = (): void => {
    try {
      store.expireEvents();
    } catch (error) {
      context.log(`logs: retention sweep failed: ${(error as Error).message}`);
    }
  };
  return {
    router: createLogsRouter(store, context, new LogGroupTags(context.db, { accountId: context.settings.accountId, region: context.settings.region })),
    async start() {
      expire();
      sweep = setInterval(expire, RETENTION_SWEEP_MS);
      sweep.unref();
    },
    async stop() {
      if (sweep) clearInterval(sweep);
      sweep = undefined;
    },
  };
}
