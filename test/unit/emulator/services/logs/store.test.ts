import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { openDatabase, type Db } from '../../../../../emulator/state/database.js';
import { LogsStore } from '../../../../../emulator/services/logs/store.js';

const NOW = 1_800_000_000_000;
let stateDir: string;
let db: Db;
let clock = NOW;
let store: LogsStore;
let groupCounter = 0;

/** A fresh group name per test, so tests share one database without colliding. */
function newGroup(): string {
  return `/test/group-${++groupCounter}`;
}

function putAll(group: string, stream: string, messages: string[], firstTimestamp = NOW - 60_000): void {
  store.putLogEvents(
    group,
    stream,
    messages.map((message, i) => ({ timestamp: firstTimestamp + i, message })),
  );
}

before(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'logs-store-'));
  db = openDatabase(stateDir);
  store = new LogsStore(db, { accountId: '000000000000', region: 'us-east-1', now: () => clock });
});

after(() => {
  db.close();
  rmSync(stateDir, { recursive: true, force: true });
});

beforeEach(() => {
  clock = NOW;
});

describe('log groups', () => {
  it('refuses a second group with the same name', () => {
    const group = newGroup();
    store.createLogGroup(group);

    assert.throws(() => store.createLogGroup(group), { code: 'ResourceAlreadyExistsException', message: 'The specified log group already exists' });
  });

  it('refuses names outside AWS pattern', () => {
    assert.throws(() => store.createLogGroup('has space'), { code: 'InvalidParameterException' });
    assert.throws(() => store.createLogGroup(''), { code: 'InvalidParameterException' });
    assert.throws(() => store.createLogGroup(undefined), /Member must not be null/);
  });

  it('pages through groups by prefix', () => {
    for (const suffix of ['a', 'b', 'c', 'd', 'e']) store.createLogGroup(`/paged/${suffix}`);

    const first = store.describeLogGroups({ logGroupNamePrefix: '/paged/', limit: 2 });
    const second = store.describeLogGroups({ logGroupNamePrefix: '/paged/', limit: 2, nextToken: first.nextToken });
    const third = store.describeLogGroups({ logGroupNamePrefix: '/paged/', limit: 2, nextToken: second.nextToken });

    assert.deepEqual(
      [first, second, third].map((page) => page.logGroups?.map((g) => g.logGroupName)),
      [['/paged/a', '/paged/b'], ['/paged/c', '/paged/d'], ['/paged/e']],
    );
    assert.equal(third.nextToken, undefined);
    assert.equal(first.logGroups?.[0]?.arn, 'arn:aws:logs:us-east-1:000000000000:log-group:/paged/a:*');
  });

  it('accepts only AWS retention values', () => {
    const group = newGroup();
    store.createLogGroup(group);

    store.putRetentionPolicy(group, 14);
    assert.throws(() => store.putRetentionPolicy(group, 4), /Member must satisfy enum value set: \[1, 3, 5, 7, 14/);

    assert.equal(store.describeLogGroups({ logGroupNamePrefix: group }).logGroups?.[0]?.retentionInDays, 14);
    store.deleteRetentionPolicy(group);
    assert.equal(store.describeLogGroups({ logGroupNamePrefix: group }).logGroups?.[0]?.retentionInDays, undefined);
  });

  it('answers a missing group with AWS message', () => {
    assert.throws(() => store.deleteLogGroup('/nope'), { code: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
  });
});

describe('PutLogEvents', () => {
  it('refuses events out of chronological order', () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 's');

    assert.throws(
      () =>
        store.putLogEvents(group, 's', [
          { timestamp: NOW, message: 'b' },
          { timestamp: NOW - 1, message: 'a' },
        ]),
      /chronological order/,
    );
  });

  it('rejects events too new, too old or past retention, and stores the rest', () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 's');
    store.putRetentionPolicy(group, 1);

    // A batch may not span 24 hours, so each rejection reason gets its own batch.
    const expired = store.putLogEvents(group, 's', [{ timestamp: NOW - 1.5 * 86_400_000, message: 'expired' }]);
    const tooOld = store.putLogEvents(group, 's', [{ timestamp: NOW - 15 * 86_400_000, message: 'too old' }]);
    const mixed = store.putLogEvents(group, 's', [
      { timestamp: NOW - 1000, message: 'kept' },
      { timestamp: NOW + 3 * 3_600_000, message: 'too new' },
    ]);

    assert.deepEqual(expired.rejectedLogEventsInfo, { expiredLogEventEndIndex: 0 });
    assert.deepEqual(tooOld.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 0 });
    assert.deepEqual(mixed.rejectedLogEventsInfo, { tooNewLogEventStartIndex: 1 });
    assert.deepEqual(
      store.getLogEvents({ logGroupName: group, logStreamName: 's' }).events?.map((e) => e.message),
      ['kept'],
    );
  });

  it('returns a new sequence token on every call', () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 's');

    const first = store.putLogEvents(group, 's', [{ timestamp: NOW, message: 'a' }]).nextSequenceToken;
    const second = store.putLogEvents(group, 's', [{ timestamp: NOW, message: 'b' }]).nextSequenceToken;

    assert.notEqual(first, second);
    assert.match(second!, /^\d{56}$/);
  });

  it('answers a missing stream with AWS message', () => {
    const group = newGroup();
    store.createLogGroup(group);

    assert.throws(() => store.putLogEvents(group, 'nope', [{ timestamp: NOW, message: 'a' }]), { message: 'The specified log stream does not exist.' });
  });
});

describe('GetLogEvents', () => {
  it('reads the newest events by default and the oldest from the head', () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 's');
    putAll(group, 's', ['1', '2', '3', '4', '5']);

    const tail = store.getLogEvents({ logGroupName: group, logStreamName: 's', limit: 2 });
    const head = store.getLogEvents({ logGroupName: group, logStreamName: 's', limit: 2, startFromHead: true });

    assert.deepEqual(tail.events?.map((e) => e.message), ['4', '5']);
    assert.deepEqual(head.events?.map((e) => e.message), ['1', '2']);
    assert.match(tail.nextForwardToken!, /^f\/\d{56}$/);
    assert.match(tail.nextBackwardToken!, /^b\/\d{56}$/);
  });

  it('pages forward until AWS hands back the same token', () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 's');
    putAll(group, 's', ['1', '2', '3', '4', '5']);

    const seen: string[] = [];
    let token: string | undefined;
    for (let calls = 0; calls < 10; calls++) {
      const page = store.getLogEvents({ logGroupName: group, logStreamName: 's', limit: 2, startFromHead: true, nextToken: token });
      seen.push(...(page.events ?? []).map((e) => e.message!));
      if (page.nextForwardToken === token) break;
      token = page.nextForwardToken;
    }

    assert.deepEqual(seen, ['1', '2', '3', '4', '5']);
  });

  it('pages backward from the tail', () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 's');
    putAll(group, 's', ['1', '2', '3', '4', '5']);

    const last = store.getLogEvents({ logGroupName: group, logStreamName: 's', limit: 2 });
    const before = store.getLogEvents({ logGroupName: group, logStreamName: 's', limit: 2, nextToken: last.nextBackwardToken });
    const first = store.getLogEvents({ logGroupName: group, logStreamName: 's', limit: 2, nextToken: before.nextBackwardToken });
    const end = store.getLogEvents({ logGroupName: group, logStreamName: 's', limit: 2, nextToken: first.nextBackwardToken });

    assert.deepEqual(before.events?.map((e) => e.message), ['2', '3']);
    assert.deepEqual(first.events?.map((e) => e.message), ['1']);
    assert.deepEqual(end.events, []);
    assert.equal(end.nextBackwardToken, first.nextBackwardToken);
  });

  it('picks up later events with the forward token of an empty stream', () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 's');

    const empty = store.getLogEvents({ logGroupName: group, logStreamName: 's' });
    putAll(group, 's', ['late']);
    const next = store.getLogEvents({ logGroupName: group, logStreamName: 's', nextToken: empty.nextForwardToken });

    assert.deepEqual(empty.events, []);
    assert.deepEqual(next.events?.map((e) => e.message), ['late']);
  });

  it('keeps startTime inclusive and endTime exclusive', () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 's');
    putAll(group, 's', ['1', '2', '3', '4'], NOW - 100);

    const page = store.getLogEvents({ logGroupName: group, logStreamName: 's', startTime: NOW - 99, endTime: NOW - 97 });

    assert.deepEqual(page.events?.map((e) => e.message), ['2', '3']);
  });

  it('refuses a token it did not make', () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 's');

    assert.throws(() => store.getLogEvents({ logGroupName: group, logStreamName: 's', nextToken: 'f/123' }), { code: 'InvalidParameterException' });
  });
});

describe('FilterLogEvents', () => {
  it('interleaves streams in time order and pages with nextToken', async () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 'a');
    store.createLogStream(group, 'b');
    store.putLogEvents(group, 'a', [
      { timestamp: NOW - 50, message: 'a1' },
      { timestamp: NOW - 30, message: 'a2' },
    ]);
    store.putLogEvents(group, 'b', [
      { timestamp: NOW - 40, message: 'b1' },
      { timestamp: NOW - 20, message: 'b2' },
    ]);

    const first = await store.filterLogEvents({ logGroupName: group, limit: 3 });
    const second = await store.filterLogEvents({ logGroupName: group, limit: 3, nextToken: first.nextToken });

    assert.deepEqual(first.events?.map((e) => `${e.logStreamName}:${e.message}`), ['a:a1', 'b:b1', 'a:a2']);
    assert.deepEqual(second.events?.map((e) => e.message), ['b2']);
    assert.equal(second.nextToken, undefined);
    assert.equal(new Set([...first.events!, ...second.events!].map((e) => e.eventId)).size, 4);
  });

  it('filters by pattern, stream names, prefix and time', async () => {
    const group = newGroup();
    store.createLogGroup(group);
    for (const stream of ['2026/01/01/[$LATEST]aaa', '2026/01/02/[$LATEST]bbb']) {
      store.createLogStream(group, stream);
      putAll(group, stream, ['START', `ERROR in ${stream}`, 'END'], NOW - 1000);
    }

    const errors = await store.filterLogEvents({ logGroupName: group, filterPattern: 'ERROR' });
    const named = await store.filterLogEvents({ logGroupName: group, logStreamNames: ['2026/01/02/[$LATEST]bbb'], filterPattern: 'ERROR' });
    const prefixed = await store.filterLogEvents({ logGroupName: group, logStreamNamePrefix: '2026/01/01' });
    const timed = await store.filterLogEvents({ logGroupName: group, startTime: NOW - 999, endTime: NOW - 998 });

    assert.equal(errors.events?.length, 2);
    assert.deepEqual(named.events?.map((e) => e.logStreamName), ['2026/01/02/[$LATEST]bbb']);
    assert.deepEqual(prefixed.events?.map((e) => e.message), ['START', 'ERROR in 2026/01/01/[$LATEST]aaa', 'END']);
    assert.deepEqual(timed.events?.map((e) => e.message), ['ERROR in 2026/01/01/[$LATEST]aaa', 'ERROR in 2026/01/02/[$LATEST]bbb']);
  });

  it('pages a filtered read without losing matches', async () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 's');
    putAll(
      group,
      's',
      Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? `ERROR ${i}` : `INFO ${i}`)),
    );

    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await store.filterLogEvents({ logGroupName: group, filterPattern: 'ERROR', limit: 4, nextToken });
      seen.push(...page.events!.map((e) => e.message!));
      nextToken = page.nextToken;
    } while (nextToken);

    assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => `ERROR ${i * 3}`));
  });

  it('answers an unreadable pattern with InvalidParameterException', async () => {
    const group = newGroup();
    store.createLogGroup(group);

    await assert.rejects(store.filterLogEvents({ logGroupName: group, filterPattern: '[a, b]' }), { code: 'InvalidParameterException' });
  });

  it('takes a log group ARN as identifier', async () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 's');
    putAll(group, 's', ['x']);

    const page = await store.filterLogEvents({ logGroupIdentifier: `arn:aws:logs:us-east-1:000000000000:log-group:${group}:*` });

    assert.equal(page.events?.length, 1);
  });
});

describe('DescribeLogStreams', () => {
  it('orders by last event time, newest first, and pages', () => {
    const group = newGroup();
    store.createLogGroup(group);
    for (const [stream, offset] of [
      ['old', 300],
      ['newest', 100],
      ['middle', 200],
    ] as const) {
      store.createLogStream(group, stream);
      store.putLogEvents(group, stream, [{ timestamp: NOW - offset, message: stream }]);
    }
    store.createLogStream(group, 'empty');

    const first = store.describeLogStreams({ logGroupName: group, orderBy: 'LastEventTime', descending: true, limit: 2 });
    const second = store.describeLogStreams({ logGroupName: group, orderBy: 'LastEventTime', descending: true, limit: 2, nextToken: first.nextToken });

    assert.deepEqual(
      [...first.logStreams!, ...second.logStreams!].map((s) => s.logStreamName),
      ['newest', 'middle', 'old', 'empty'],
    );
    assert.equal(second.nextToken, undefined);
    const newest = first.logStreams![0]!;
    assert.equal(newest.firstEventTimestamp, NOW - 100);
    assert.equal(newest.lastEventTimestamp, NOW - 100);
    assert.equal(newest.lastIngestionTime, NOW);
    assert.equal(newest.storedBytes, 0);
    assert.equal(second.logStreams![1]!.firstEventTimestamp, undefined);
  });

  it('filters by prefix in name order, and refuses prefix with LastEventTime', () => {
    const group = newGroup();
    store.createLogGroup(group);
    for (const stream of ['b-1', 'a-2', 'a-1']) store.createLogStream(group, stream);

    const page = store.describeLogStreams({ logGroupName: group, logStreamNamePrefix: 'a-' });

    assert.deepEqual(page.logStreams?.map((s) => s.logStreamName), ['a-1', 'a-2']);
    assert.throws(() => store.describeLogStreams({ logGroupName: group, logStreamNamePrefix: 'a-', orderBy: 'LastEventTime' }), {
      message: 'Cannot order by LastEventTime with a logStreamNamePrefix.',
    });
  });
});

describe('the ingestion path for other services', () => {
  it('creates the group and stream on first use', async () => {
    const group = newGroup();

    store.ensureStream(group, '2026/01/01/[$LATEST]abc');
    store.putEvents(group, '2026/01/01/[$LATEST]abc', [{ timestamp: NOW, message: 'START RequestId: 1' }]);

    assert.equal(store.describeLogStreams({ logGroupName: group }).logStreams?.length, 1);
    assert.deepEqual((await store.filterLogEvents({ logGroupName: group })).events?.map((e) => e.message), ['START RequestId: 1']);
  });

  it('recreates a group deleted through the API', async () => {
    const group = newGroup();
    store.putEvents(group, 's', [{ timestamp: NOW, message: 'before' }]);
    store.deleteLogGroup(group);

    store.putEvents(group, 's', [{ timestamp: NOW, message: 'after' }]);

    assert.deepEqual((await store.filterLogEvents({ logGroupName: group })).events?.map((e) => e.message), ['after']);
  });

  it('recreates a group another process deleted behind its cache', async () => {
    const group = newGroup();
    store.putEvents(group, 's', [{ timestamp: NOW, message: 'before' }]);
    db.prepare('DELETE FROM logs_groups WHERE name = ?').run(group);

    store.putEvents(group, 's', [{ timestamp: NOW, message: 'after' }]);

    assert.deepEqual((await store.filterLogEvents({ logGroupName: group })).events?.map((e) => e.message), ['after']);
  });

  it('stores a batch of 10,000 lines in one transaction, quickly', () => {
    const group = newGroup();
    const events = Array.from({ length: 10_000 }, (_, i) => ({ timestamp: NOW + i, message: `line ${i}` }));

    const started = performance.now();
    store.putEvents(group, 's', events);
    const elapsed = performance.now() - started;

    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
    assert.equal(store.describeLogStreams({ logGroupName: group }).logStreams?.[0]?.lastEventTimestamp, NOW + 9_999);
  });
});

describe('retention', () => {
  it('deletes events older than the group retention', async () => {
    const group = newGroup();
    store.createLogGroup(group);
    store.createLogStream(group, 's');
    store.putLogEvents(group, 's', [{ timestamp: NOW - 2 * 86_400_000, message: 'old' }]);
    store.putLogEvents(group, 's', [{ timestamp: NOW, message: 'new' }]);
    store.putRetentionPolicy(group, 1);

    store.expireEvents();

    assert.deepEqual((await store.filterLogEvents({ logGroupName: group })).events?.map((e) => e.message), ['new']);
  });
});
