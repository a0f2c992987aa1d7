// backfill's own flags: every bad one refused before anything starts, with exit 2 and a line that names it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSince, resolveBackfillRequest } from '../../../../../cli/core/backfill/options.js';
import { UserError } from '../../../../../cli/output.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');

function refused(flags: Parameters<typeof resolveBackfillRequest>[0], pattern: RegExp): void {
  assert.throws(() => resolveBackfillRequest(flags, NOW), (error: unknown) => error instanceof UserError && error.exitCode === 2 && pattern.test(error.message));
}

describe('resolveBackfillRequest', () => {
  it('defaults to invoking from this machine at the default pace', () => {
    assert.deepEqual(resolveBackfillRequest({}, NOW), { kind: 'backfill', mode: 'invoke', concurrency: 8, ratePerSecond: 100, dryRun: false, role: { kind: 'default' } });
  });

  it('reads every flag', () => {
    const request = resolveBackfillRequest({ prefix: 'a/', since: '2026-03-01', concurrency: '16', rate: '50', dryRun: true }, NOW);
    assert.deepEqual(request, { kind: 'backfill', mode: 'invoke', prefix: 'a/', since: Date.parse('2026-03-01T00:00:00Z'), concurrency: 16, ratePerSecond: 50, dryRun: true, role: { kind: 'default' } });
    assert.deepEqual(resolveBackfillRequest({ via: 'batch-operations', createRole: true }, NOW), { kind: 'backfill', mode: 'batch-operations', concurrency: 8, ratePerSecond: 100, dryRun: false, role: { kind: 'create' } });
    assert.deepEqual(resolveBackfillRequest({ status: '00e123a4-c0d8-41f4-a0eb-b46f9ba5b07c', follow: false }, NOW), { kind: 'status', jobId: '00e123a4-c0d8-41f4-a0eb-b46f9ba5b07c', follow: false });
  });

  it('refuses bad values and flags that do not go together', () => {
    refused({ concurrency: '0' }, /--concurrency must be a whole number from 1 to 256/);
    refused({ concurrency: '1000' }, /--concurrency/);
    refused({ rate: '2.5' }, /--rate must be a whole number/);
    refused({ via: 'carrier-pigeon' }, /--via must be invoke or batch-operations/);
    refused({ createRole: true }, /go with --via batch-operations/);
    refused({ via: 'batch-operations', createRole: true, roleArn: 'arn:aws:iam::123456789012:role/r' }, /not both/);
    refused({ via: 'batch-operations', roleArn: 'arn:aws:iam::123456789012:user/r' }, /not an IAM role ARN/);
    refused({ via: 'batch-operations', concurrency: '4' }, /S3 Batch Operations paces them/);
    refused({ status: 'abc' }, /--status needs a job id/);
    refused({ status: '00e123a4-c0d8-41f4-a0eb-b46f9ba5b07c', prefix: 'a/' }, /takes none of --prefix/);
    refused({ follow: false }, /--no-follow goes with --status/);
    refused({ prefix: '' }, /--prefix must be 1 to 1024 bytes/);
  });
});

describe('parseSince', () => {
  it('reads dates (UTC), times and durations', () => {
    assert.equal(parseSince('2026-03-01', NOW), Date.parse('2026-03-01T00:00:00Z'));
    assert.equal(parseSince('2026-03-01T06:30:00Z', NOW), Date.parse('2026-03-01T06:30:00Z'));
    assert.equal(parseSince('7d', NOW), NOW - 7 * 86_400_000);
  });

  it('refuses anything else, and the future', () => {
    for (const text of ['yesterday', '2026-13-01', '2026-02-30x', '']) assert.throws(() => parseSince(text, NOW), UserError, text);
    assert.throws(() => parseSince('2027-01-01', NOW), /in the future/);
  });
});
