// The async queue's SQL against an in-memory database: claims in order, retries later, claims given back.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { EventQueue } from '../../../../../emulator/services/lambda/event-queue.js';

let queue: EventQueue;

beforeEach(() => {
  queue = new EventQueue(new Database(':memory:'));
});

const event = (requestId: string) => ({ functionName: 'f', requestId, payload: '{}', source: 's3' as const });

describe('EventQueue', () => {
  it('claims the oldest available event once, for one owner', () => {
    queue.enqueue(event('a'), 1000);
    queue.enqueue({ ...event('b'), traceHeader: 'Root=1-x' }, 1001);
    const first = queue.claimNext('worker-1', 2000);
    assert.equal(first?.requestId, 'a');
    assert.equal(first?.attempts, 0);
    assert.equal(first?.enqueuedAt, 1000);
    const second = queue.claimNext('worker-2', 2000);
    assert.deepEqual([second?.requestId, second?.traceHeader, second?.source], ['b', 'Root=1-x', 's3']);
    assert.equal(queue.claimNext('worker-1', 2000), undefined);
    assert.equal(queue.queuedCount(), 2);
  });

  it('makes a retried event available again only at its time, with its attempts counted', () => {
    queue.enqueue(event('a'), 1000);
    const claimed = queue.claimNext('w', 1000)!;
    queue.retryEventLater(claimed.id, 1, 5000);
    assert.equal(queue.nextAvailableAt(), 5000);
    assert.equal(queue.claimNext('w', 4999), undefined);
    assert.equal(queue.claimNext('w', 5000)?.attempts, 1);
  });

  it('gives back the claims of an owner, and forgets completed events', () => {
    queue.enqueue(event('a'), 1000);
    queue.enqueue(event('b'), 1000);
    queue.claimNext('gone', 1500);
    assert.deepEqual(queue.claimOwners(), [{ owner: 'gone', claimedAt: 1500 }]);
    queue.releaseClaims('gone');
    assert.deepEqual(queue.claimOwners(), []);
    const again = queue.claimNext('w', 2000)!;
    assert.equal(again.requestId, 'a');
    queue.completeEvent(again.id);
    assert.equal(queue.queuedCount(), 1);
  });
});
