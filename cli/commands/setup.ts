// `thumbctl setup`: create or update the buckets, role, function, tracing and trigger (idempotent), or with
// --dry-run print the plan and touch nothing (exit 4 when there is something to do). Takes over nothing it did
// not create unless told (--adopt-bucket). With --batch-operations-role also the role backfill's S3 Batch
// Operations jobs run as (never unasked). The work is the provisioning core's; this file only connects
// it to the terminal.
import { Option } from 'commander';
import { ExitCode, type Output } from '../output.js';
import type { SetupResult } from '../core/provision/setup.js';
import { resolveContext } from '../core/context.js';
import { defineCommand, type CommandInput } from './command.js';
import { settingFlags, settingOptions, type FunctionSettingFlags } from './flags.js';

export interface SetupFlags extends FunctionSettingFlags {
  dryRun?: boolean;
  adoptBucket?: string[];
  batchOperationsRole?: boolean;
}

export const setupCommand = defineCommand<SetupFlags>({
  name: 'setup',
  description: 'create or update the buckets, role, function, tracing and trigger (idempotent)',
  options: [
    ...settingOptions(),
    new Option('--dry-run', 'print the plan (desired vs actual) and touch nothing; exit 4 when setup would change something'),
    new Option('--adopt-bucket <name...>', 'use this existing bucket, which thumbctl did not create: recorded as adopted (tag thumbctl:adopted), so teardown keeps it and its objects; repeatable'),
    new Option('--batch-operations-role', 'also create (or correct) the IAM role S3 Batch Operations runs `backfill --via batch-operations` jobs as'),
  ],
  examples: [
    'thumbctl setup',
    'thumbctl setup --dry-run --memory 1024 --timeout 30',
    'thumbctl setup --target aws --region eu-west-1 --json',
    'thumbctl setup --target aws --stack alice                      # alice-source-<account>-<region>, alice-thumbnailer, ...',
    'thumbctl setup --source-bucket my-photos --adopt-bucket my-photos',
    'thumbctl setup --batch-operations-role --target aws   # then: thumbctl backfill --via batch-operations',
  ],
  run,
});

/** What `--batch-operations-role` did: the role `backfill --via batch-operations` finds by its name. */
interface BatchOperationsRoleOutcome {
  roleName: string;
  roleArn?: string;
  action: 'created' | 'updated' | 'unchanged' | 'planned';
}

async function batchOperationsRole(session: Session, result: SetupResult, output: Output): Promise<BatchOperationsRoleOutcome> {
  const { BATCH_ROLE_DEFAULT_NAME, ensureBatchRole } = await import('../core/provision/batch-role.js');
  if (result.dryRun) return { roleName: BATCH_ROLE_DEFAULT_NAME, action: 'planned' };
  const role = await ensureBatchRole(
    session.clients.iam,
    { roleName: BATCH_ROLE_DEFAULT_NAME, thumbnailBucket: result.thumbnailBucket, functionArn: result.functionArn, region: session.connection.region },
    output,
  );
  return { roleName: BATCH_ROLE_DEFAULT_NAME, roleArn: role.roleArn, action: role.created ? 'created' : role.updated ? 'updated' : 'unchanged' };
}

type Session = Awaited<ReturnType<ReturnType<typeof resolveContext>['open']>>;

async function run({ options, globals, output }: CommandInput<SetupFlags>): Promise<ExitCode> {
  const started = Date.now();
  const context = resolveContext(globals, settingFlags(options));
  const { setup } = await import('../core/provision/setup.js');
  const { renderPlan, renderSetupSummary } = await import('../core/provision/report.js');
  const session = await context.open();
  try {
    const adoptBuckets = options.adoptBucket === undefined ? [] : [options.adoptBucket].flat().map(String);
    const result: SetupResult & { batchOperationsRole?: BatchOperationsRoleOutcome } = await setup({
      ...(await session.provisioning()),
      reporter: output,
      dryRun: Boolean(options.dryRun),
      adoptBuckets,
      localNodeRuntime: session.localCloudPid() !== null,
    });
    if (options.batchOperationsRole) result.batchOperationsRole = await batchOperationsRole(session, result, output);
    // The whole command, connection and local cloud included.
    result.durationMs = Date.now() - started;
    if (output.json) output.result(result);
    else {
      output.print(result.dryRun ? renderPlan(result) : renderSetupSummary(result));
      if (result.batchOperationsRole) output.print(`  backfill role: ${result.batchOperationsRole.roleArn ?? result.batchOperationsRole.roleName} (${result.batchOperationsRole.action})`);
    }
    const { plannedChanges } = await import('../core/provision/report.js');
    const rolePlanned = result.batchOperationsRole?.action === 'planned';
    return result.dryRun && (plannedChanges(result) > 0 || rolePlanned) ? ExitCode.drift : ExitCode.ok;
  } finally {
    await session.close();
  }
}
