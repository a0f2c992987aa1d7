// STUB: replaced by the real sts service.
import type { CloudContext } from '../../core/context.js';
import { NotImplementedError } from '../../core/errors.js';
import type { ServiceModule } from '../index.js';

export function createStsService(_context: CloudContext): ServiceModule {
  return {
    router: {
      name: 'sts',
      async handle() {
        const error = new NotImplementedError('sts');
        return { status: error.status, body: error.message };
      },
    },
  };
}
