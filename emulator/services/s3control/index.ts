// The S3 Control service of the local cloud, for S3 Batch Operations: builds the store (jobs and tasks in SQLite),
// the job runner and the REST-XML router, and runs the runner between start() and stop(). It publishes nothing on
// the context: no other service needs S3 Control. No logic of its own beyond the wiring.
import { Authorizer, decideForRole } from '../../core/authorize.js';
import type { CloudContext } from '../../core/context.js';
import type { ServiceModule } from '../../core/service.js';
import { createS3ControlRouter } from './router.js';
import { JobRunner } from './runner.js';
import { S3ControlStore } from './store.js';

export function createS3ControlService(context: CloudContext): ServiceModule {
  const store = new S3ControlStore(context.db, { accountId: context.settings.accountId });
  const runner = new JobRunner(store, {
    iam: () => context.stores.iam,
    s3: () => context.stores.s3,
    lambda: () => context.stores.lambda,
    decide: (session, permission, region) => decideForRole(context, session, permission, region),
    log: context.log,
  });
  store.onChange = () => runner.wake();
  return {
    router: createS3ControlRouter({ store, authorizer: new Authorizer(context, 's3control'), faults: context.faults }),
    async start() {
      runner.start();
    },
    async stop() {
      await runner.stop();
    },
  };
}
