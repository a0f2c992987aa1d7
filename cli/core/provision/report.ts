// Text renderings of the result documents for people: the setup plan, the status table, the teardown list.
// Pure functions returning strings; the commands decide where they go.
import type { Difference } from './plan.js';
import type { SetupResult } from './setup.js';
import type { StatusResult } from './status.js';
import type { TeardownResult } from './teardown.js';
import type { DoctorResult } from './doctor.js';
import type { OwnershipEntry } from './survey.js';

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function short(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    const text = String(value);
    return text.length > 48 ? `${text.slice(0, 45)}...` : text;
  }
  const json = JSON.stringify(value);
  return json.length > 48 ? 'differs' : json;
}

/** A variants list as people read it: `thumb 400x400 cover same, card 800x600 cover webp q75` (or `none`). */
export function describeVariantList(value: unknown): string {
  if (!Array.isArray(value)) return short(value);
  if (value.length === 0) return 'none';
  const text = (value as Record<string, unknown>[])
    .map((entry) => [entry.name, entry.size, entry.fit, entry.format, entry.quality === undefined ? undefined : `q${String(entry.quality)}`].filter((part) => part !== undefined).join(' '))
    .join(', ');
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** Each difference as a change ("memory 256 → 512") or as drift ("memory 256, want 512"). */
export function describeDifferences(differences: readonly Difference[] | undefined, style: 'change' | 'drift' = 'change'): string {
  return (differences ?? [])
    .map((difference) => {
      const describe = difference.field === 'variants' ? describeVariantList : short;
      const actual = describe(difference.actual);
      const desired = describe(difference.desired);
      if (actual === 'differs' || desired === 'differs') return `${difference.field} differs`;
      return style === 'change' ? `${difference.field} ${actual} → ${desired}` : `${difference.field} ${actual}, want ${desired}`;
    })
    .join('; ');
}

/** The log group is not among the plan's resources (it has no settings of its own): its line comes from the ownership list. */
function logGroupEntry(ownership: readonly OwnershipEntry[] | undefined): OwnershipEntry | undefined {
  return ownership?.find((entry) => entry.type === 'log-group');
}

/** How many changes a dry run found: planned resources, and the log group when it would be created or tagged. */
export function plannedChanges(result: Pick<SetupResult, 'resources' | 'ownership'>): number {
  return result.resources.filter((resource) => resource.action === 'planned').length + (logGroupEntry(result.ownership)?.action === 'planned' ? 1 : 0);
}

export function renderPlan(result: SetupResult): string {
  const rows = result.resources.map((resource) => {
    const detail = resource.action === 'planned' ? (resource.change === 'create' ? 'would be created' : `would change: ${describeDifferences(resource.changes)}`) : '';
    return [resource.type, resource.name, resource.action, detail];
  });
  const logGroup = logGroupEntry(result.ownership);
  if (logGroup) {
    const detail = logGroup.change === 'create' ? 'would be created' : logGroup.change === 'claim' ? 'would be tagged as thumbctl\'s' : (logGroup.reason ?? '');
    rows.push(['log-group', logGroup.name, logGroup.action ?? 'unchanged', detail]);
  }
  const planned = plannedChanges(result);
  const heading = planned === 0 ? 'Dry run: everything is in place; setup would change nothing.' : `Dry run: setup would create or change ${planned} of ${rows.length} resources (nothing was touched).`;
  const claims = result.ownership.filter((entry) => entry.change === 'claim' && entry.reason).map((entry) => `  ${entry.type} ${entry.name}: made by thumbctl before it tagged its resources (${entry.reason}): setup records it`);
  return [`${heading}\n\n${table(['TYPE', 'NAME', 'ACTION', 'DETAIL'], rows)}`, ...(claims.length ? ['', ...claims] : [])].join('\n');
}

export function renderSetupSummary(result: SetupResult): string {
  const counts = new Map<string, number>();
  for (const resource of result.resources) counts.set(resource.action, (counts.get(resource.action) ?? 0) + 1);
  const tally = [...counts].map(([action, count]) => `${count} ${action}`).join(', ');
  const retries = result.retries.length ? `; ${result.retries.length} ${result.retries.length === 1 ? 'retry' : 'retries'}` : '';
  return [
    `Thumbnailer ready in ${(result.durationMs / 1000).toFixed(1)} s (${tally}${retries}).`,
    `  uploads:    s3://${result.sourceBucket}`,
    `  thumbnails: s3://${result.thumbnailBucket}`,
    `  function:   ${result.functionArn} (tracing ${result.tracing.mode})`,
  ].join('\n');
}

export function renderStatus(result: StatusResult): string {
  const rows = result.resources.map((resource) => {
    let detail = '';
    if (resource.state === 'drifted') detail = describeDifferences(resource.drift, 'drift');
    if (resource.state === 'absent') detail = 'run thumbctl setup';
    return [resource.type, resource.name, resource.state, detail];
  });
  const fn = result.function;
  const heading = fn
    ? `Function ${result.functionName}: ${fn.memory} MB, ${fn.timeout} s, tracing ${fn.tracing}, ${fn.runtime}, ${fn.architecture}, ${fn.state || 'unknown state'}`
    : `Function ${result.functionName}: absent`;
  const summary = `${result.summary.present} present, ${result.summary.drifted} drifted, ${result.summary.absent} absent`;
  return `${heading}\n\n${table(['TYPE', 'NAME', 'STATE', 'DETAIL'], rows)}\n\n${summary}\n\n${renderOwnership(result.ownership)}`;
}

const OWNER_WORDS: Record<OwnershipEntry['owner'], string> = {
  created: 'created by this stack',
  adopted: 'adopted by this stack (teardown keeps it)',
  'other-stack': 'another stack\'s',
  untagged: 'no thumbctl tag',
  absent: 'absent',
};

/** Who owns each of the five resources, as read from their tags. */
export function renderOwnership(ownership: readonly OwnershipEntry[]): string {
  const rows = ownership.map((entry) => [entry.type, entry.name, entry.owner === 'other-stack' ? `stack ${entry.stack}` : OWNER_WORDS[entry.owner], entry.reason ?? '']);
  return table(['OWNED', 'NAME', 'OWNER', 'NOTE'], rows);
}

export function renderTeardown(result: TeardownResult): string {
  const deleted = result.resources.filter((resource) => resource.action === 'deleted').length;
  const absent = result.resources.filter((resource) => resource.action === 'absent').length;
  const lines = [`Teardown done in ${(result.durationMs / 1000).toFixed(1)} s: ${deleted} deleted, ${absent} already absent, ${result.kept.length} kept.`];
  for (const kept of result.kept) lines.push(`  kept ${kept.type} ${kept.name}: ${kept.reason}`);
  return lines.join('\n');
}

/** One line per check (status, name, what was found, the fix), then the tally. */
export function renderDoctor(result: DoctorResult): string {
  const lines = result.checks.map((check) => `${check.status.padEnd(4)}  ${check.name.padEnd(12)}  ${check.detail}${check.fix ? `  (fix: ${check.fix})` : ''}`);
  const { ok, warn, fail } = result.summary;
  const heading = `thumbctl doctor: ${result.functionName} on ${result.target} (${result.region}${result.account ? `, account ${result.account}` : ''})`;
  return [heading, '', ...lines, '', `${ok} ok, ${warn} warn, ${fail} fail`].join('\n');
}
