// The telemetry batcher: an invocation's trace segments reach the X-Ray store as they are handed over (a trace is
// readable as soon as its invocation is over), while log lines are still gathered into one write per stream.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogsForOthers, XRayForOthers } from '../../../../emulator/core/context.js';
import { TelemetryBatcher } from '../../../../emulator/runtime/telemetry.js';

function fakeStores(): { logs: LogsForOthers; xray: XRayForOthers; logWrites: { stream: string; messages: string[] }[]; segmentWrites: string[][] } {
  const logWrites: { stream: string; messages: string[] }[] = [];
  const segmentWrites: string[][] = [];
  return {
    logWrites,
    segmentWrites,
    logs: { ensureStream: () => undefined, putEvents: (_group, stream, events) => void logWrites.push({ stream, messages: events.map((event) => event.message) }) },
    xray: { putSegments: (documents) => void segmentWrites.push([...documents]) },
  };
}

describe('TelemetryBatcher', () => {
  it('records an invocation\'s segments at once, in one write, before any batch timer', () => {
    // Prepare: a batch delay no test waits for
    const stores = fakeStores();
    const batcher = new TelemetryBatcher(() => stores.logs, () => stores.xray, () => undefined, 60_000);

    // Act
    batcher.appendSegments(['{"id":"a"}', '{"id":"b"}']);

    // Assess
    assert.deepEqual(stores.segmentWrites, [['{"id":"a"}', '{"id":"b"}']]);
    batcher.close();
  });

  it('still gathers log lines until the batch is flushed, one write per stream', () => {
    const stores = fakeStores();
    const batcher = new TelemetryBatcher(() => stores.logs, () => stores.xray, () => undefined, 60_000);

    batcher.appendLog('/aws/lambda/f', 's1', 'START\n');
    batcher.appendLog('/aws/lambda/f', 's1', 'END\n');
    batcher.appendSegments(['{"id":"a"}']);
    const beforeFlush = stores.logWrites.length;
    batcher.flush();

    assert.equal(beforeFlush, 0);
    assert.deepEqual(stores.logWrites, [{ stream: 's1', messages: ['START\n', 'END\n'] }]);
    assert.equal(stores.segmentWrites.length, 1);
    batcher.close();
  });

  it('drops segments when the X-Ray store is absent or closed, and a failing store only warns', () => {
    const warnings: string[] = [];
    const absent = new TelemetryBatcher(() => undefined, () => undefined, (message) => void warnings.push(message));
    absent.appendSegments(['{"id":"a"}']);
    const failing = new TelemetryBatcher(() => undefined, () => ({ putSegments: () => { throw new Error('disk full'); } }), (message) => void warnings.push(message));
    failing.appendSegments(['{"id":"a"}']);
    const stores = fakeStores();
    const closed = new TelemetryBatcher(() => stores.logs, () => stores.xray, () => undefined);
    closed.close();
    closed.appendSegments(['{"id":"a"}']);

    assert.deepEqual(warnings, ['lambda: could not record 1 trace segments: disk full']);
    assert.deepEqual(stores.segmentWrites, []);
  });
});
