// status: each resource present, absent or drifted, with desired against actual and the drifted fields
// named (memory, timeout, tracing mode, policies, the trigger, the ownership tags), and who owns each resource.
// Read-only; the package is built (or taken from the cache) only to know which CodeSha256 the function should
// run. Returns the `status --json` document; inSync says whether everything is present and as desired.
import { ExitCode, silentReporter, UserError } from '../../output.js';
import { provisionedNames, type ProvisionedNames, type ProvisionScope } from './target.js';
import { buildPackage, sharedPackageCacheDir, type DeploymentPackage } from './package.js';
import { stateOf, type Difference, type ResourceState, type ResourceType } from './plan.js';
import { survey, type OwnershipEntry } from './survey.js';
import { describeLocalNodeRuntime } from '../local-cloud.js';

export interface StatusResource {
  type: ResourceType;
  name: string;
  state: ResourceState;
  desired: unknown;
  actual: unknown;
  /** The fields that differ, when drifted. */
  drift?: Difference[];
}

export interface StatusResult extends ProvisionedNames {
  functionArn: string;
  /** The function as it runs: the settings people ask about first. null when there is no function. */
  function: { memory: number; timeout: number; tracing: string; runtime: string; architecture: string; state: string; lastUpdateStatus: string } | null;
  resources: StatusResource[];
  summary: Record<ResourceState, number>;
  /** Who owns the buckets, the role, the function and its log group (read from their tags). */
  ownership: OwnershipEntry[];
  /** True when every resource is present and as desired, and owned as it should be (status exits 0; else 4). */
  inSync: boolean;
  durationMs: number;
}

export interface StatusOptions extends ProvisionScope {
  cacheDir?: string;
  /** A package to compare against instead of building one (tests). */
  package?: DeploymentPackage;
  /** The function runs in a local cloud on this machine: warn when it cannot run on its runtime's Node.js major. */
  localNodeRuntime?: boolean;
}

export async function status(options: StatusOptions): Promise<StatusResult> {
  const started = Date.now();
  const reporter = options.reporter ?? silentReporter;
  const step = reporter.step('Reading resources');
  try {
    const deployment =
      options.package ??
      (await buildPackage({
        architecture: options.settings.architecture,
        cacheDir: options.cacheDir,
        ...(options.cacheDir ? { sharedCacheDir: sharedPackageCacheDir() } : {}),
        sourceDir: options.settings.functionDir,
        progress: (text) => step.update(`Package: ${text}`),
      }));
    step.update('Reading resources');
    const found = await survey(options.clients, options.settings, { account: options.account, region: options.region }, deployment);
    step.done(`Read ${found.plans.length} resources`);
    if (options.localNodeRuntime) {
      const node = await describeLocalNodeRuntime(options.settings.runtime);
      if (node.warning) reporter.warn(node.warning);
    }
    const resources: StatusResource[] = found.plans.map((resourcePlan) => ({
      type: resourcePlan.type,
      name: resourcePlan.name,
      state: stateOf(resourcePlan),
      desired: resourcePlan.desired,
      actual: resourcePlan.actual,
      ...(resourcePlan.differences.length ? { drift: resourcePlan.differences } : {}),
    }));
    const summary: Record<ResourceState, number> = { present: 0, absent: 0, drifted: 0 };
    for (const resource of resources) summary[resource.state]++;
    const configuration = found.configuration;
    return {
      ...provisionedNames(options, found.functionArn),
      function: configuration
        ? {
            memory: configuration.MemorySize ?? 0,
            timeout: configuration.Timeout ?? 0,
            tracing: configuration.TracingConfig?.Mode ?? 'PassThrough',
            runtime: configuration.Runtime ?? '',
            architecture: configuration.Architectures?.[0] ?? 'x86_64',
            state: configuration.State ?? '',
            lastUpdateStatus: configuration.LastUpdateStatus ?? '',
          }
        : null,
      resources,
      summary,
      ownership: found.ownership,
      inSync: summary.absent === 0 && summary.drifted === 0 && found.ownership.every((entry) => entry.state === 'present'),
      durationMs: Date.now() - started,
    };
  } catch (error) {
    if (error instanceof UserError && error.exitCode === ExitCode.usage) step.cancel();
    else step.fail('Reading resources: failed');
    throw error;
  }
}
