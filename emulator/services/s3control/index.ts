// The S3 Control service of the local cloud, for S3 Batch Operations: builds the store (jobs and tasks in SQLite),
// the job runner and the REST-XML router, and runs the runner between start() and stop(). It publishes nothing on
// the context: no other service needs S3 Control. No logic of its own beyond the wiring.
import type { CloudContext } from '../../core/context.js';
import type { ServiceModule } from '../index.js';
import { S3ControlRouter } from './router.js';
import { JobRunner } from './runner.js';
import { S3ControlStore } from './store.js';

export function createS3ControlService(context: CloudContext): ServiceModule {
  const store = new S3ControlStore(context);
  const runner = new JobRunner(store, context);
  store.onChange = () => runner.wake();
  return {
    router: new S3ControlRouter(store, context),
    async start() {
      runner.start();
    },
    async stop() {
      await runner.stop();
    },
  };
}
