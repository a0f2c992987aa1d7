// STUB: replaced by the real s3 service.
import type { CloudContext } from '../../core/context.js';
import { NotImplementedError } from '../../core/errors.js';
import type { ServiceModule } from '../index.js';

export function createS3Service(_context: CloudContext): ServiceModule {
  return {
    router: {
      name: 's3',
      async handle() {
        const error = new NotImplementedError('s3');
        return { status: error.status, body: error.message };
      },
    },
  };
}
