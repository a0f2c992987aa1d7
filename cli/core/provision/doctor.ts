// doctor: read-only checks of a deployment on either target, each a line with ok / warn / fail and the fix:
// credentials and the identity in use, the region, a least-privilege role that only Lambda can assume, tracing
// Active, the trigger's suffix filters, the runtime still supported, the package's architecture matching the
// function's, and (canary) one upload of the bundled photo end to end. It changes nothing (the canary's upload and
// its thumbnail excepted) and fixes nothing: each fix is a command for the user to run.
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { describeError, isError } from '../../../shared/retry.js';
import { silentReporter, type Reporter } from '../../output.js';
import { samplePhotoPath } from '../paths.js';
import { observeAttachedPolicies, observeFunction, observeInlinePolicy, observeNotifications, observeRole } from './observe.js';
import { buildPackage, sharedPackageCacheDir } from './package.js';
import { decodePolicyDocument, managedPolicyArn, MANAGED_POLICIES, partitionOf, type PolicyDocument, type PolicyStatement } from './policies.js';
import { desiredTrigger, functionArn as functionArnOf, logGroupName, planTrigger, triggerFromNotifications } from './plan.js';
import { provisionedNames, type ProvisionedNames } from './target.js';
import { withBucketDefaults, type ResolvedSettings, type Target, type ThumbnailerSettings } from '../settings.js';
import type { AwsClients } from '../clients.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  /** Stable identifier: credentials, region, role-policy, role-trust, tracing, trigger, runtime, architecture, canary. */
  name: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to run or change when it is not ok. */
  fix?: string;
}

/** `doctor --json`, exactly. */
export interface DoctorResult extends ProvisionedNames {
  checks: DoctorCheck[];
  summary: Record<CheckStatus, number>;
  durationMs: number;
}

export interface DoctorOptions {
  clients: AwsClients;
  /** Bucket names may be left to their defaults: they are derived once the credentials name the account. */
  settings: ThumbnailerSettings;
  region: string;
  target: Target;
  reporter?: Reporter;
  /** Where the region came from (`flag --region`, `env AWS_REGION`, ...). */
  regionOrigin?: string;
  /** Built packages: the architecture check compares the deployed code with this thumbctl's package. */
  cacheDir?: string;
  /** Upload the bundled photo and wait for its thumbnail. */
  canary?: boolean;
  /** The date the runtime check compares deprecation dates with (tests pin it). */
  now?: Date;
}

/**
 * When AWS stops supporting each Node.js runtime ("deprecation": no security patches, then no creates or updates).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
 */
export const RUNTIME_DEPRECATION: Readonly<Record<string, string>> = {
  'nodejs16.x': '2024-06-12',
  'nodejs18.x': '2025-09-01',
  'nodejs20.x': '2026-04-30',
  'nodejs22.x': '2027-04-30',
  'nodejs24.x': '2028-04-30',
};

/** How long before its deprecation a runtime is worth a warning. */
const RUNTIME_WARNING_DAYS = 180;

/** The canary's thumbnail size and how long it waits for it. */
const CANARY = { size: '64x64', timeoutMs: 60_000 } as const;

export async function doctor(options: DoctorOptions): Promise<DoctorResult> {
  const started = Date.now();
  const reporter = options.reporter ?? silentReporter;
  const { clients, region } = options;
  let settings = withBucketDefaults(options.settings, '', region);
  const checks: DoctorCheck[] = [];
  const add = (check: DoctorCheck): void => {
    checks.push(check);
  };

  // 1. Credentials: nothing else can be read without them.
  let account = '';
  try {
    const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
    account = identity.Account ?? '';
    settings = withBucketDefaults(options.settings, account, region);
    add({ name: 'credentials', status: 'ok', detail: `${identity.Arn ?? 'unknown identity'} (account ${account})` });
  } catch (error) {
    add({ name: 'credentials', status: 'fail', detail: `STS GetCallerIdentity failed: ${describeError(error)}`, fix: 'set AWS_PROFILE or --profile, or run aws sso login / aws configure' });
    return finish();
  }

  add({
    name: 'region',
    status: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/.test(region) ? 'ok' : 'warn',
    detail: `${region}${options.regionOrigin ? ` (from ${options.regionOrigin})` : ''}`,
    ...(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/.test(region) ? {} : { fix: 'pass --region with a region name such as eu-west-1' }),
  });

  const identity = { account, region };
  const [role, attached, configuration, notifications] = await Promise.all([
    observeRole(clients, settings.roleName),
    observeAttachedPolicies(clients, settings.roleName),
    observeFunction(clients, settings.functionName),
    observeNotifications(clients, settings.sourceBucket).catch((error: unknown) => {
      if (isError(error, 'NoSuchBucket')) return null;
      throw error;
    }),
  ]);

  // 2. The role: least privilege, and only Lambda may assume it.
  if (!role) {
    add({ name: 'role-policy', status: 'fail', detail: `role ${settings.roleName} does not exist`, fix: 'thumbctl setup' });
    add({ name: 'role-trust', status: 'fail', detail: `role ${settings.roleName} does not exist`, fix: 'thumbctl setup' });
  } else {
    add(await rolePolicyCheck(options, settings, attached ?? []));
    add(trustCheck(settings.roleName, role.trustPolicy));
  }

  // 3. The function: tracing, runtime, architecture.
  if (!configuration) {
    for (const name of ['tracing', 'runtime', 'architecture']) add({ name, status: 'fail', detail: `function ${settings.functionName} does not exist`, fix: 'thumbctl setup' });
  } else {
    const mode = configuration.TracingConfig?.Mode ?? 'PassThrough';
    add(mode === 'Active' ? { name: 'tracing', status: 'ok', detail: 'Active' } : { name: 'tracing', status: 'fail', detail: `${mode}: uploads are not traced`, fix: 'thumbctl setup' });
    add(runtimeCheck(configuration.Runtime ?? '', options.now ?? new Date()));
    add(await architectureCheck(options, settings, configuration));
  }

  // 4. The trigger: our configuration on the source bucket, invoking our function, for every suffix.
  if (notifications === null) {
    add({ name: 'trigger', status: 'fail', detail: `source bucket ${settings.sourceBucket} does not exist`, fix: 'thumbctl setup' });
  } else {
    const arn = configuration?.FunctionArn ?? functionArnOf(settings, identity);
    const plan = planTrigger(settings.sourceBucket, desiredTrigger(settings, arn), triggerFromNotifications(notifications));
    if (plan.change === 'none') {
      add({ name: 'trigger', status: 'ok', detail: `${settings.sourceBucket} invokes ${settings.functionName} for ${settings.suffixes.join(' ')}` });
    } else {
      const found = triggerFromNotifications(notifications)?.configurations ?? [];
      const suffixes = found.map((entry) => entry.suffix);
      const sameSuffixes = [...suffixes].sort().join(' ') === [...settings.suffixes].sort().join(' ');
      const strays = found.filter((entry) => entry.functionArn !== arn).map((entry) => entry.functionArn);
      const detail =
        found.length === 0
          ? `no thumbctl trigger on ${settings.sourceBucket}: uploads make no thumbnails`
          : !sameSuffixes
            ? `the trigger's suffix filters are ${suffixes.join(' ')}, not ${settings.suffixes.join(' ')}`
            : strays.length
              ? `the trigger invokes ${[...new Set(strays)].join(', ')}, not ${arn}`
              : `the trigger on ${settings.sourceBucket} differs from thumbctl's (events)`;
      add({ name: 'trigger', status: 'fail', detail, fix: 'thumbctl setup' });
    }
  }

  // 5. The canary: the whole path, once.
  if (options.canary) add(await canaryCheck(options, settings, reporter));

  return finish();

  function finish(): DoctorResult {
    const summary = { ok: 0, warn: 0, fail: 0 };
    for (const check of checks) summary[check.status]++;
    return { ...provisionedNames({ ...options, settings, account }), checks, summary, durationMs: Date.now() - started };
  }
}

/** A statement's values of `key` as a list (IAM takes "x" and ["x"] alike). */
function listOf(statement: PolicyStatement, key: string): string[] {
  const value = statement[key];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function statementsOf(document: PolicyDocument | undefined): PolicyStatement[] {
  if (!document) return [];
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}

/**
 * Least privilege: no Allow with a wildcard action (or NotAction), and every resource one of the two buckets (or
 * their objects) or the function's log group; only the two AWS managed policies thumbctl attaches.
 */
async function rolePolicyCheck(options: DoctorOptions, settings: ResolvedSettings, attached: readonly string[]): Promise<DoctorCheck> {
  const { clients, region } = options;
  const partition = partitionOf(region);
  const allowed = [settings.sourceBucket, settings.thumbnailBucket].flatMap((bucket) => [`arn:${partition}:s3:::${bucket}`, `arn:${partition}:s3:::${bucket}/*`]);
  const logGroup = logGroupName(settings.functionName);
  const allowedResource = (resource: string): boolean =>
    allowed.includes(resource) || new RegExp(`^arn:${partition}:logs:[^:]*:[^:]*:log-group:${logGroup.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(:\\*|:log-stream:.*)?$`).test(resource);

  const names = [];
  let marker: string | undefined;
  // Bounded: a role holds at most 10 KB of inline policies, so a few pages at most.
  for (let page = 0; page < 10; page++) {
    const answer = await clients.iam.send(new ListRolePoliciesCommand({ RoleName: settings.roleName, Marker: marker }));
    names.push(...(answer.PolicyNames ?? []));
    if (!answer.IsTruncated || !answer.Marker) break;
    marker = answer.Marker;
  }
  const problems: string[] = [];
  for (const name of names) {
    const inline = await observeInlinePolicy(clients, settings.roleName, name);
    for (const statement of statementsOf(inline?.document)) {
      if (statement.Effect !== 'Allow') continue;
      if (statement.NotAction !== undefined || statement.NotResource !== undefined) problems.push(`${name} allows by NotAction/NotResource`);
      const wildcards = listOf(statement, 'Action').filter((action) => action.includes('*'));
      if (wildcards.length) problems.push(`${name} allows ${wildcards.join(', ')}`);
      const outside = listOf(statement, 'Resource').filter((resource) => !allowedResource(resource));
      if (outside.length) problems.push(`${name} reaches ${outside.join(', ')}`);
    }
  }
  const expected = MANAGED_POLICIES.map((policy) => managedPolicyArn(policy, region));
  const extra = attached.filter((arn) => !expected.includes(arn));
  if (extra.length) problems.push(`attached ${extra.join(', ')}`);
  if (problems.length) {
    return { name: 'role-policy', status: 'fail', detail: `role ${settings.roleName} is wider than the thumbnailer needs: ${problems.join('; ')}`, fix: `remove what thumbctl did not put there, then thumbctl setup` };
  }
  if (names.length === 0) return { name: 'role-policy', status: 'fail', detail: `role ${settings.roleName} has no access policy: the function cannot read uploads`, fix: 'thumbctl setup' };
  return { name: 'role-policy', status: 'ok', detail: `no wildcard actions; resources: the two buckets${attached.length ? `; managed: ${MANAGED_POLICIES.map((policy) => policy.name).join(', ')} (logs and traces)` : ''}` };
}

/** Only the Lambda service may assume the role, and only with sts:AssumeRole. */
function trustCheck(roleName: string, trustPolicy: PolicyDocument | undefined): DoctorCheck {
  const problems: string[] = [];
  const statements = statementsOf(trustPolicy).filter((statement) => statement.Effect === 'Allow');
  for (const statement of statements) {
    const principal = statement.Principal;
    const services = principal && typeof principal === 'object' ? listOf(principal as PolicyStatement, 'Service') : [];
    const others = principal && typeof principal === 'object' ? Object.keys(principal).filter((key) => key !== 'Service') : ['*'];
    if (statement.NotPrincipal !== undefined) problems.push('a NotPrincipal statement');
    if (others.length) problems.push(`principals ${others.map((key) => (key === '*' ? '*' : `${key} ${JSON.stringify((principal as PolicyStatement)[key])}`)).join(', ')}`);
    const foreign = services.filter((service) => service !== 'lambda.amazonaws.com');
    if (foreign.length) problems.push(`services ${foreign.join(', ')}`);
    const actions = listOf(statement, 'Action').filter((action) => action !== 'sts:AssumeRole');
    if (actions.length) problems.push(`actions ${actions.join(', ')}`);
  }
  if (statements.length === 0) problems.push('no one (Lambda cannot run the function)');
  if (problems.length) return { name: 'role-trust', status: 'fail', detail: `role ${roleName} can be assumed by ${problems.join('; ')}`, fix: 'thumbctl setup (restores the trust policy to Lambda alone)' };
  return { name: 'role-trust', status: 'ok', detail: 'assumable by lambda.amazonaws.com only' };
}

export function runtimeCheck(runtime: string, now: Date): DoctorCheck {
  const deprecation = RUNTIME_DEPRECATION[runtime];
  if (!deprecation) return { name: 'runtime', status: 'fail', detail: `${runtime || 'no runtime'}: not a Node.js runtime thumbctl knows`, fix: 'thumbctl setup --runtime nodejs22.x' };
  const days = Math.floor((Date.parse(`${deprecation}T00:00:00Z`) - now.getTime()) / 86_400_000);
  const newest = Object.keys(RUNTIME_DEPRECATION).at(-1)!;
  if (days <= 0) return { name: 'runtime', status: 'fail', detail: `${runtime}: deprecated by AWS since ${deprecation}`, fix: `thumbctl setup --runtime ${newest}` };
  if (days <= RUNTIME_WARNING_DAYS) return { name: 'runtime', status: 'warn', detail: `${runtime}: AWS deprecates it on ${deprecation} (in ${days} days)`, fix: `thumbctl setup --runtime ${newest}` };
  return { name: 'runtime', status: 'ok', detail: `${runtime}: supported until ${deprecation}` };
}

/** The deployed code is this thumbctl's package for the function's own architecture (sharp is native code). */
async function architectureCheck(options: DoctorOptions, settings: ResolvedSettings, configuration: FunctionConfiguration): Promise<DoctorCheck> {
  const functionArchitecture = configuration.Architectures?.[0] ?? 'x86_64';
  const deployment = await buildPackage({ architecture: settings.architecture, ...(options.cacheDir ? { cacheDir: options.cacheDir, sharedCacheDir: sharedPackageCacheDir() } : {}) });
  const ours = configuration.CodeSha256 === deployment.codeSha256;
  if (ours && functionArchitecture === deployment.architecture) return { name: 'architecture', status: 'ok', detail: `package and function both ${functionArchitecture}` };
  if (ours) {
    return {
      name: 'architecture',
      status: 'fail',
      detail: `the function runs on ${functionArchitecture} but its package was built for ${deployment.architecture}: its image library cannot load`,
      fix: `thumbctl setup --architecture ${deployment.architecture}`,
    };
  }
  if (functionArchitecture !== settings.architecture) {
    return { name: 'architecture', status: 'fail', detail: `the function runs on ${functionArchitecture}, this stack builds ${settings.architecture} packages`, fix: `thumbctl setup --architecture ${functionArchitecture} (or thumbctl setup, for ${settings.architecture})` };
  }
  return { name: 'architecture', status: 'warn', detail: `the deployed code is not this thumbctl's ${settings.architecture} package (changed since, or by another version)`, fix: 'thumbctl setup' };
}

async function canaryCheck(options: DoctorOptions, settings: ResolvedSettings, reporter: Reporter): Promise<DoctorCheck> {
  const { prepareUpload, uploadImage } = await import('../operate/upload.js');
  try {
    const prepared = await prepareUpload({ file: samplePhotoPath(), size: CANARY.size, key: `thumbctl-doctor/canary-${Date.now()}-${CANARY.size}.jpg`, wait: true, timeoutMs: CANARY.timeoutMs }, settings, reporter);
    const { result } = await uploadImage(options.clients, settings, prepared, silentReporter);
    return { name: 'canary', status: 'ok', detail: `s3://${result.sourceBucket}/${result.sourceKey} → ${result.width}x${result.height} thumbnail in ${result.latencyMs} ms` };
  } catch (error) {
    return { name: 'canary', status: 'fail', detail: `the bundled photo made no thumbnail: ${describeError(error)}`, fix: 'thumbctl logs --since 5m, then thumbctl setup' };
  }
}
