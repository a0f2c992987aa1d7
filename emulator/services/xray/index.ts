// STUB: replaced by the real xray service.
import type { CloudContext } from '../../core/context.js';
import { NotImplementedError } from '../../core/errors.js';
import type { ServiceModule } from '../index.js';

export function createXRayService(_context: CloudContext): ServiceModule {
  return {
    router: {
      name: 'xray',
      async handle() {
        const error = new NotImplementedError('xray');
        return { status: error.status, body: error.message };
      },
    },
  };
}
