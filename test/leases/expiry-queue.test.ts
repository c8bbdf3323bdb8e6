import assert from 'node:assert/strict';

import { ExpiryQueue } from '../../src/leases/expiry-queue.js';
import { decodeSegment, encodeSegment } from '../../src/leases/lease-store.js';
import { seededRandom } from '../../src/util/random.js';
import { FakeTimers } from './support.js';

describe('ExpiryQueue', () => {
  let clock: { now: number };
  let timers: FakeTimers;
  let fired: string[];
  let queue: ExpiryQueue;

  beforeEach(() => {
    clock = { now: 0 };
    timers = new FakeTimers(clock);
    fired = [];
    queue = new ExpiryQueue(timers, () => clock.now, (ids) => fired.push(...ids), 60_000);
  });

  it('reports ids in due order with one timer armed at a time', () => {
    const random = seededRandom(7);
    const times = new Map<string, number>();
    for (let i = 0; i < 200; i += 1) {
      const at = Math.floor(random() * 50_000);
      times.set(`lease-${i}`, at);
      queue.schedule(`lease-${i}`, at);
      assert.ok(timers.count <= 1);
    }
    timers.advance(50_000);
    const expected = [...times].sort((a, b) => a[1] - b[1]).map(([id]) => id);
    assert.deepEqual(
      fired.map((id) => times.get(id)),
      expected.map((id) => times.get(id)),
    );
    assert.equal(fired.length, 200);
    assert.equal(timers.count, 0);
  });

  it('forgets cancelled ids and uses only the latest time of a rescheduled one', () => {
    queue.schedule('a', 1_000);
    queue.schedule('b', 2_000);
    queue.cancel('a');
    queue.schedule('b', 5_000);
    timers.advance(4_999);
    assert.deepEqual(fired, []);
    timers.advance(1);
    assert.deepEqual(fired, ['b']);
  });

  it('re-arms at most maxDelayMs ahead, so a far expiry is checked again meanwhile', () => {
    queue.schedule('far', 3_600_000);
    timers.advance(60_000);
    assert.deepEqual(fired, []);
    assert.equal(timers.count, 1);
    clock.now = 3_600_000;
    timers.advance(60_000);
    assert.deepEqual(fired, ['far']);
  });

  it('drops everything on clear', () => {
    queue.schedule('a', 1_000);
    queue.clear();
    assert.equal(timers.count, 0);
    timers.advance(10_000);
    assert.deepEqual(fired, []);
  });
});

describe('lease storage segments', () => {
  it('round-trips ids with slashes, percents and dots through one segment', () => {
    for (const id of ['a/b/c', '100%/x', '%2F', '.', '..', 'a.b']) {
      const segment = encodeSegment(id);
      assert.ok(!segment.includes('/') && segment !== '.' && segment !== '..', segment);
      assert.equal(decodeSegment(segment), id);
    }
  });
});
