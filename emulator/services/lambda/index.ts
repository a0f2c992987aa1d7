// STUB: replaced by the real lambda service.
import type { CloudContext } from '../../core/context.js';
import { NotImplementedError } from '../../core/errors.js';
import type { ServiceModule } from '../index.js';

export function createLambdaService(_context: CloudContext): ServiceModule {
  return {
    router: {
      name: 'lambda',
      async handle() {
        const error = new NotImplementedError('lambda');
        return { status: error.status, body: error.message };
      },
    },
  };
}
