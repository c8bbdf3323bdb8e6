import assert from 'node:assert/strict';

import { NoncePool } from '../../src/barrier/nonces.js';

/** A fill that writes a distinct byte pattern per call and counts the calls. */
function countingFill(): { fill: (target: Buffer) => void; calls: () => number } {
  let calls = 0;
  return {
    fill: (target) => {
      calls += 1;
      for (let i = 0; i < target.length; i++) target[i] = (calls * 31 + i) & 0xff;
    },
    calls: () => calls,
  };
}

describe('NoncePool', () => {
  it('hands out consecutive, non-overlapping slices of one fill', () => {
    const source = countingFill();
    const pool = new NoncePool(4, 3, source.fill);
    const drawn = [0, 1, 2].map(() => {
      const nonce = new Uint8Array(4);
      pool.next(nonce);
      return [...nonce];
    });
    assert.equal(source.calls(), 1);
    const expected = (i: number): number => (31 + i) & 0xff;
    assert.deepEqual(drawn, [
      [0, 1, 2, 3].map(expected),
      [4, 5, 6, 7].map(expected),
      [8, 9, 10, 11].map(expected),
    ]);
  });

  it('refills before the first draw and whenever a fill is used up, never reusing bytes', () => {
    const source = countingFill();
    const pool = new NoncePool(2, 2, source.fill);
    assert.equal(source.calls(), 0);
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const nonce = new Uint8Array(2);
      pool.next(nonce);
      seen.push(Buffer.from(nonce).toString('hex'));
      assert.equal(source.calls(), Math.floor(i / 2) + 1);
    }
    assert.equal(new Set(seen).size, seen.length);
  });

  it('draws distinct nonces from the system random source across many fills', () => {
    const pool = new NoncePool(12, 341);
    const seen = new Set<string>();
    const count = 5000;
    for (let i = 0; i < count; i++) {
      const nonce = Buffer.alloc(12);
      pool.next(nonce);
      seen.add(nonce.toString('hex'));
    }
    assert.equal(seen.size, count);
    assert.equal(seen.has('00'.repeat(12)), false);
  });

  it('refuses a target of the wrong size and bad pool sizes', () => {
    const pool = new NoncePool(12, 2);
    assert.throws(() => pool.next(new Uint8Array(11)), RangeError);
    assert.throws(() => new NoncePool(0, 2), RangeError);
    assert.throws(() => new NoncePool(12, 1.5), RangeError);
  });

  it('hands out nothing stale when a fill throws', () => {
    let fail = true;
    const pool = new NoncePool(2, 2, (target) => {
      if (fail) throw new Error('no entropy');
      target.fill(7);
    });
    assert.throws(() => pool.next(new Uint8Array(2)), /no entropy/);
    fail = false;
    const nonce = new Uint8Array(2);
    pool.next(nonce);
    assert.deepEqual([...nonce], [7, 7]);
  });
});
