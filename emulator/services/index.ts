// The registry: every service of the local cloud, listed once. Each service folder has the same shape:
// router.ts (wire protocol), store.ts (state and rules, no HTTP), errors.ts (AWS's exact errors), and an
// index.ts whose factory builds them, publishes the store's cross-service surface on the context and returns a
// ServiceModule (core/service.ts).
import type { CloudContext } from '../core/context.js';
import type { ServiceRouter } from '../core/http.js';
import type { ServiceName } from '../core/routing.js';
import type { ServiceModule } from '../core/service.js';
import { createS3Service } from './s3/index.js';
import { createIamService } from './iam/index.js';
import { createStsService } from './sts/index.js';
import { createLambdaService } from './lambda/index.js';
import { createLogsService } from './logs/index.js';
import { createXRayService } from './xray/index.js';
import { createS3ControlService } from './s3control/index.js';

export interface CloudServices {
  routers: Record<ServiceName, ServiceRouter>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createServices(context: CloudContext): CloudServices {
  const modules: Record<ServiceName, ServiceModule> = {
    iam: createIamService(context),
    sts: createStsService(context),
    logs: createLogsService(context),
    xray: createXRayService(context),
    lambda: createLambdaService(context),
    s3: createS3Service(context),
    s3control: createS3ControlService(context),
  };
  const routers = Object.fromEntries(Object.entries(modules).map(([name, module]) => [name, module.router])) as Record<ServiceName, ServiceRouter>;
  return {
    routers,
    async start() {
      for (const module of Object.values(modules)) await module.start?.();
    },
    async stop() {
      // S3 Control first: its jobs invoke functions. Then Lambda: it stops environments that may still be writing
      // to logs and traces.
      for (const name of ['s3control', 'lambda', 's3', 'xray', 'logs', 'sts', 'iam'] as const) await modules[name].stop?.();
    },
  };
}
