// STUB: replaced by the real iam service.
import type { CloudContext } from '../../core/context.js';
import { NotImplementedError } from '../../core/errors.js';
import type { ServiceModule } from '../index.js';

export function createIamService(_context: CloudContext): ServiceModule {
  return {
    router: {
      name: 'iam',
      async handle() {
        const error = new NotImplementedError('iam');
        return { status: error.status, body: error.message };
      },
    },
  };
}
