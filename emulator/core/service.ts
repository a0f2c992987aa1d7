// What each service of the local cloud hands the registry (emulator/services/index.ts): its router, and what
// runs between the cloud's start and stop. Defined here, below both, so the registry and each service's
// index.ts import it without importing each other.
import type { ServiceRouter } from './http.js';

/** What a service factory returns. start() runs once the endpoint is known; stop() on shutdown. */
export interface ServiceModule {
  router: ServiceRouter;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}
