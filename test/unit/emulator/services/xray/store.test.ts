import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Db } from '../../../../../emulator/state/database.js';
import { XRayStore } from '../../../../../emulator/services/xray/store.js';
import { lambdaTraceDocuments, START, TRACE_ID } from './lambda-trace.js';

let stateDir: string;
let db: Db;
let counter = 0;

/** A trace id unique to the test, START seconds plus an offset so windows can be chosen per test. */
function traceId(offsetSeconds = 0): string {
  return `1-${(START + offsetSeconds).toString(16)}-${(++counter).toString(16).padStart(24, '0')}`;
}

function segment(id: string, trace: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ name: 'svc', id, trace_id: trace, start_time: START, end_time: START + 1, ...fields });
}

function newStore(options: Partial<ConstructorParameters<typeof XRayStore>[1]> = {}): XRayStore {
  return new XRayStore(db, { accountId: '000000000000', region: 'us-east-1', now: () => (START + 60) * 1000, ...options });
}

before(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'xray-store-'));
  db = openDatabase(stateDir);
});

after(() => {
  db.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('XRayStore', () => {
  it('reports invalid documents as unprocessed and stores the rest', async () => {
    const store = newStore();

    const unprocessed = store.putTraceSegments([...lambdaTraceDocuments(), '{"id":"0000000000000001"}']);

    assert.equal(unprocessed.length, 1);
    assert.equal(unprocessed[0]!.Id, '0000000000000001');
    assert.equal((await store.batchGetTraces([TRACE_ID])).Traces?.[0]?.Segments?.length, 2);
  });

  it('replaces an in-progress segment with the finished one, never the reverse', async () => {
    const store = newStore();
    const trace = traceId();
    store.putTraceSegments([segment('1000000000000001', trace, { end_time: undefined, in_progress: true })]);
    assert.equal((await store.batchGetTraces([trace])).Traces?.[0]?.Duration, 0);

    store.putTraceSegments([segment('1000000000000001', trace)]);
    store.putTraceSegments([segment('1000000000000001', trace, { end_time: undefined, in_progress: true })]);

    const [stored] = (await store.batchGetTraces([trace])).Traces!;
    assert.equal(stored!.Duration, 1);
    assert.equal(stored!.Segments?.length, 1);
    assert.equal(JSON.parse(stored!.Segments![0]!.Document!).in_progress, undefined);
  });

  it('pages trace summaries newest first', async () => {
    const store = newStore({ summariesPageSize: 2 });
    const ids = [1, 2, 3, 4, 5].map((i) => {
      const id = traceId(1000 + i);
      store.putTraceSegments([segment(`20000000000000${i}0`, id, { start_time: START + 1000 + i, end_time: START + 1000 + i + 0.5 })]);
      return id;
    });

    const seen: string[] = [];
    let processed = 0;
    let nextToken: string | undefined;
    do {
      const page = await store.getTraceSummaries({ startTime: START + 1000, endTime: START + 1010, nextToken });
      assert.ok((page.TraceSummaries?.length ?? 0) <= 2);
      processed += page.TracesProcessedCount ?? 0;
      seen.push(...page.TraceSummaries!.map((s) => s.Id!));
      nextToken = page.NextToken;
    } while (nextToken);

    assert.deepEqual(seen, [...ids].reverse());
    // Each page counts the traces it read: together, each trace once.
    assert.equal(processed, 5);
  });

  it('selects by trace id time or by event time', async () => {
    const store = newStore();
    // A trace whose id says START+2000 but whose segment ended at START+2500.
    const id = traceId(2000);
    store.putTraceSegments([segment('3000000000000001', id, { start_time: START + 2499, end_time: START + 2500 })]);

    const byTraceId = await store.getTraceSummaries({ startTime: START + 1999, endTime: START + 2001 });
    const byEvent = await store.getTraceSummaries({ startTime: START + 2499, endTime: START + 2501, timeRangeType: 'Event' });
    const byEventMiss = await store.getTraceSummaries({ startTime: START + 1999, endTime: START + 2001, timeRangeType: 'Event' });

    assert.deepEqual(byTraceId.TraceSummaries?.map((s) => s.Id), [id]);
    assert.deepEqual(byEvent.TraceSummaries?.map((s) => s.Id), [id]);
    assert.deepEqual(byEventMiss.TraceSummaries, []);
  });

  it('filters summaries with a filter expression', async () => {
    const store = newStore();
    store.putTraceSegments(lambdaTraceDocuments());

    const hit = await store.getTraceSummaries({ startTime: START - 1, endTime: START + 1, filterExpression: 'service("S3") AND annotation.source_key = "uploads/cat.jpg"' });
    const miss = await store.getTraceSummaries({ startTime: START - 1, endTime: START + 1, filterExpression: 'fault' });

    assert.deepEqual(hit.TraceSummaries?.map((s) => s.Id), [TRACE_ID]);
    assert.deepEqual(miss.TraceSummaries, []);
    await assert.rejects(store.getTraceSummaries({ startTime: START, endTime: START + 1, filterExpression: 'edge("a","b")' }), { code: 'InvalidRequestException' });
  });

  it('refuses windows AWS refuses', async () => {
    const store = newStore();

    await assert.rejects(store.getTraceSummaries({ startTime: START + 10, endTime: START }), { code: 'InvalidRequestException' });
    await assert.rejects(store.getTraceSummaries({ startTime: START, endTime: START + 25 * 3600 }), { code: 'InvalidRequestException' });
    await assert.rejects(store.getTraceSummaries({ startTime: START, endTime: START + 1, timeRangeType: 'Whenever' }), { code: 'InvalidRequestException' });
  });

  it('gets at most five traces at once and reports unknown ids', async () => {
    const store = newStore();

    const result = await store.batchGetTraces([traceId()]);

    assert.deepEqual(result.Traces, []);
    assert.equal(result.UnprocessedTraceIds?.length, 1);
    await assert.rejects(store.batchGetTraces([1, 2, 3, 4, 5, 6].map(() => traceId())), { code: 'InvalidRequestException' });
  });

  it('drops the oldest documents beyond its limit', async () => {
    // Received after every other test's documents, so those are the oldest and go first.
    const store = newStore({ maxSegments: 3, now: () => (START + 120) * 1000 });
    const before = (db.prepare('SELECT COUNT(*) AS n FROM xray_segments').get() as { n: number }).n;
    const id = traceId();
    store.putTraceSegments([1, 2, 3, 4, 5].map((i) => segment(`400000000000000${i}`, id, { start_time: START + i, end_time: START + i + 1 })));

    const deleted = store.enforceRetention();

    assert.equal(deleted, before + 5 - 3);
    const kept = (await store.batchGetTraces([id])).Traces?.[0]?.Segments?.map((s) => s.Id);
    assert.deepEqual(kept, ['4000000000000003', '4000000000000004', '4000000000000005']);
  });
});
