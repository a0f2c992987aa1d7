// The backfill's pacer on a fake clock: the concurrency bound, bounded and reported retries of throttled calls with
// the pace halved, and an error no retry fixes stopping everything after it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvokePacer, type PacedRetry, type PacerOptions } from '../../../../../cli/core/backfill/pacer.js';

/** An SDK-shaped error. */
function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
}

function pacer(overrides: Partial<PacerOptions> = {}) {
  let clock = 0;
  const retries: PacedRetry[] = [];
  const sleeps: number[] = [];
  const instance = new InvokePacer({
    concurrency: 3,
    ratePerSecond: 100,
    attempts: 4,
    initialDelayMs: 200,
    maxDelayMs: 1000,
    onRetry: (event) => retries.push(event),
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    ...overrides,
  });
  return { instance, retries, sleeps };
}

describe('InvokePacer', () => {
  it('keeps at most `concurrency` calls in flight', async () => {
    const { instance } = pacer();
    const releases: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const call = () =>
      new Promise<void>((resolve) => {
        running += 1;
        most = Math.max(most, running);
        releases.push(() => {
          running -= 1;
          resolve();
        });
      });
    const submitted = (async () => {
      for (let i = 0; i < 7; i++) await instance.submit(`k${i}`, call, () => undefined);
    })();
    for (let turns = 0; turns < 50 && releases.length < 7; turns++) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
    }
    await submitted;
    while (releases.length > 0) releases.shift()!();
    await instance.drain();
    assert.equal(most, 3);
    assert.equal(instance.counts.succeeded, 7);
  });

  it('spaces call starts by the rate', async () => {
    const { instance, sleeps } = pacer({ ratePerSecond: 10 });
    for (let i = 0; i < 3; i++) await instance.submit(`k${i}`, async () => undefined, () => undefined);
    await instance.drain();
    assert.deepEqual(sleeps, [100, 100]);
  });

  it('retries a throttled call, says so each time, halves the pace per throttle and earns it back per success', async () => {
    const { instance, retries } = pacer();
    let attempts = 0;
    const outcomes: boolean[] = [];
    await instance.submit('photo-1.jpg', async () => {
      attempts += 1;
      if (attempts <= 2) throw awsError('TooManyRequestsException', 429);
    }, (ok) => outcomes.push(ok));
    await instance.drain();
    assert.deepEqual(outcomes, [true]);
    assert.deepEqual(
      retries.map((event) => [event.what, event.attempt, event.attempts, event.throttled, event.ratePerSecond, event.delayMs]),
      [
        ['Invoke for photo-1.jpg', 1, 4, true, 50, 200],
        ['Invoke for photo-1.jpg', 2, 4, true, 25, 400],
      ],
    );
    assert.equal(instance.ratePerSecond, 26);
    assert.deepEqual([instance.counts.retries, instance.counts.throttled], [2, 2]);
  });

  it('gives up after its attempts and counts the call failed, without stopping the others', async () => {
    const { instance, retries } = pacer();
    const outcomes: boolean[] = [];
    await instance.submit('busy.jpg', async () => {
      throw awsError('ServiceException', 500);
    }, (ok) => outcomes.push(ok));
    await instance.drain();
    assert.deepEqual(outcomes, [false]);
    assert.equal(retries.length, 3, 'four attempts: three retries');
    assert.equal(instance.fatal, undefined);
    assert.equal(await instance.submit('next.jpg', async () => undefined, () => undefined), true);
  });

  it('stops at an error no retry fixes: nothing further is started', async () => {
    const { instance, retries } = pacer();
    await instance.submit('a.jpg', async () => {
      throw awsError('ResourceNotFoundException', 404);
    }, () => undefined);
    await instance.drain();
    assert.equal(retries.length, 0);
    assert.equal((instance.fatal as Error).name, 'ResourceNotFoundException');
    let started = false;
    assert.equal(await instance.submit('b.jpg', async () => (started = true), () => undefined), false);
    assert.equal(started, false);
  });

  it('starts nothing once interrupted', async () => {
    const controller = new AbortController();
    const { instance } = pacer({ signal: controller.signal });
    controller.abort();
    assert.equal(await instance.submit('a.jpg', async () => undefined, () => undefined), false);
  });
});
