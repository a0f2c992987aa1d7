// The provisioning core's public surface: setup, status and teardown (each takes clients, resolved settings
// and a Reporter, and returns its result document), the deployment package, and the pure plan. No terminal.
export { setup, type SetupOptions, type SetupResult, type SetupResource, type SetupAction } from './setup.js';
export { status, type StatusOptions, type StatusResult, type StatusResource } from './status.js';
export { teardown, teardownTargets, emptyBucket, type TeardownOptions, type TeardownResult, type TeardownResource } from './teardown.js';
export { buildPackage, zipDeterministic, type DeploymentPackage, type PackageOptions } from './package.js';
export { AWS_PACE, LOCAL_PACE, paceFor, type Pace, type ProvisionClients, type RetryRecord } from './aws.js';
export * as plan from './plan.js';
export * as policies from './policies.js';
