// STUB: replaced by the real logs service.
import type { CloudContext } from '../../core/context.js';
import { NotImplementedError } from '../../core/errors.js';
import type { ServiceModule } from '../index.js';

export function createLogsService(_context: CloudContext): ServiceModule {
  return {
    router: {
      name: 'logs',
      async handle() {
        const error = new NotImplementedError('logs');
        return { status: error.status, body: error.message };
      },
    },
  };
}
