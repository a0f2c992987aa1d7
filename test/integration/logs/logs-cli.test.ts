// CloudWatch Logs through the real aws CLI (v1 or v2, whichever is installed) against a real local cloud.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { awsCliMajor, awsJson, runAws, startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';

/** `aws logs tail` exists only in CLI v2; v1 gets the same FilterLogEvents calls tail makes instead. */
const CLI_MAJOR = awsCliMajor();

let cloud: TestCloud;

before(async () => {
  cloud = await startTestCloud();
});

after(async () => {
  await cloud.close();
});

const aws = (...args: string[]): Promise<Record<string, unknown>> => awsJson(cloud.endpoint, args);

describe('CloudWatch Logs via the aws CLI', () => {
  it('creates and describes a log group', async () => {
    await aws('logs', 'create-log-group', '--log-group-name', '/cli/created');

    const described = await aws('logs', 'describe-log-groups', '--log-group-name-prefix', '/cli/');

    const groups = described['logGroups'] as { logGroupName: string; arn: string }[];
    assert.deepEqual(
      groups.map((g) => g.logGroupName),
      ['/cli/created'],
    );
    assert.match(groups[0]!.arn, /:log-group:\/cli\/created:\*$/);
  });

  it('reports an existing group as ResourceAlreadyExistsException', async () => {
    await aws('logs', 'create-log-group', '--log-group-name', '/cli/twice');

    const again = await runAws(cloud.endpoint, ['logs', 'create-log-group', '--log-group-name', '/cli/twice']);

    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /ResourceAlreadyExistsException/);
  });

  it('puts events and filters them with a pattern', async () => {
    const now = Date.now();
    await aws('logs', 'create-log-group', '--log-group-name', '/cli/filter');
    await aws('logs', 'create-log-stream', '--log-group-name', '/cli/filter', '--log-stream-name', 'api');
    await aws(
      'logs',
      'put-log-events',
      '--log-group-name',
      '/cli/filter',
      '--log-stream-name',
      'api',
      '--log-events',
      JSON.stringify([
        { timestamp: now - 2000, message: 'INFO resized uploads/a.jpg' },
        { timestamp: now - 1000, message: 'ERROR could not read uploads/b.jpg' },
      ]),
    );

    const filtered = await aws('logs', 'filter-log-events', '--log-group-name', '/cli/filter', '--filter-pattern', 'ERROR');
    const fromStream = await aws('logs', 'get-log-events', '--log-group-name', '/cli/filter', '--log-stream-name', 'api', '--start-from-head');

    assert.deepEqual(
      (filtered['events'] as { message: string }[]).map((e) => e.message),
      ['ERROR could not read uploads/b.jpg'],
    );
    assert.equal((fromStream['events'] as unknown[]).length, 2);
  });

  it('pages filter-log-events across many events', async () => {
    const now = Date.now();
    cloud.cloud.context.stores.logs!.putEvents(
      '/cli/many',
      's',
      Array.from({ length: 25 }, (_, i) => ({ timestamp: now - 10_000 + i, message: `line ${i}` })),
    );

    // The CLI follows nextToken itself; a page size of 10 makes it take three pages.
    const all = await aws('logs', 'filter-log-events', '--log-group-name', '/cli/many', '--page-size', '10');

    assert.equal((all['events'] as unknown[]).length, 25);
  });

  describe('tailing', () => {
    const group = '/aws/lambda/cli-tail';

    before(() => {
      const now = Date.now();
      cloud.cloud.context.stores.logs!.putEvents(group, '2026/01/01/[$LATEST]abc', [
        { timestamp: now - 3 * 3600_000, message: 'too old for --since 1h' },
        { timestamp: now - 30 * 60_000, message: 'START RequestId: 1' },
        { timestamp: now - 29 * 60_000, message: 'END RequestId: 1' },
      ]);
    });

    it('serves the FilterLogEvents calls `aws logs tail --since 1h` makes', async () => {
      // What tail sends: logGroupName, interleaved, startTime = now - since, following nextToken.
      const since = await aws('logs', 'filter-log-events', '--log-group-name', group, '--interleaved', '--start-time', String(Date.now() - 3600_000));

      assert.deepEqual(
        (since['events'] as { message: string }[]).map((e) => e.message),
        ['START RequestId: 1', 'END RequestId: 1'],
      );
    });

    it('works with `aws logs tail <group> --since 1h`', { skip: CLI_MAJOR < 2 ? `aws logs tail needs CLI v2 (installed: v${CLI_MAJOR})` : false }, async () => {
      const result = await runAws(cloud.endpoint, ['logs', 'tail', group, '--since', '1h', '--format', 'short']);

      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      assert.match(lines[0]!, /START RequestId: 1$/);
    });

    it('works with `aws logs tail <group> --since 10m` when nothing is that recent', { skip: CLI_MAJOR < 2 ? `aws logs tail needs CLI v2 (installed: v${CLI_MAJOR})` : false }, async () => {
      const result = await runAws(cloud.endpoint, ['logs', 'tail', group, '--since', '10m']);

      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), '');
    });
  });
});
