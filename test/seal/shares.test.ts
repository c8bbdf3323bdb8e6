import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { InvalidShareError } from '../../src/seal/errors.js';
import { resolveSealConfig } from '../../src/seal/seal-config.js';
import {
  combineShares,
  formatShare,
  parseShare,
  shareSize,
  splitUnsealKey,
} from '../../src/seal/shares.js';

/** Every k-element subset of `items`, in order. */
function subsets<T>(items: T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [first, ...rest] = items as [T, ...T[]];
  return [...subsets(rest, k - 1).map((tail) => [first, ...tail]), ...subsets(rest, k)];
}

describe('shares', () => {
  describe('splitUnsealKey and combineShares', () => {
    it('rebuilds the key from every subset of threshold shares, in either order', async () => {
      const config = resolveSealConfig({ secretShares: 5, secretThreshold: 3 });
      const key = randomBytes(32);
      const shares = await splitUnsealKey(key, config);
      assert.equal(shares.length, 5);
      for (const share of shares) assert.equal(share.length, shareSize(config));

      for (const subset of subsets(shares, 3)) {
        assert.deepEqual(await combineShares(subset, config), key);
        assert.deepEqual(await combineShares([...subset].reverse(), config), key);
      }
    });

    it('rebuilds a different key from fewer shares than the threshold', async () => {
      const config = resolveSealConfig({ secretShares: 5, secretThreshold: 3 });
      const key = randomBytes(32);
      const shares = await splitUnsealKey(key, config);
      assert.notDeepEqual(await combineShares(shares.slice(0, 2), config), key);
    });

    it('hands out the key itself as the single share of a 1-of-1 seal', async () => {
      const config = resolveSealConfig({ secretShares: 1, secretThreshold: 1 });
      const key = randomBytes(32);
      const [share] = await splitUnsealKey(key, config);
      assert.equal(shareSize(config), 32);
      assert.deepEqual(Buffer.from(share as Uint8Array), key);
      assert.deepEqual(await combineShares([share as Uint8Array], config), key);
    });
  });

  describe('parseShare', () => {
    const share = Buffer.concat([randomBytes(32), Buffer.from([7])]);
    const { hex, base64 } = formatShare(share);

    it('reads a share written as hex or as base64', () => {
      assert.equal(hex.length, 66);
      assert.equal(base64.length, 44);
      assert.deepEqual(parseShare(hex, 33), share);
      assert.deepEqual(parseShare(hex.toUpperCase(), 33), share);
      assert.deepEqual(parseShare(base64, 33), share);
    });

    it('refuses strings that are neither hex nor base64', () => {
      for (const bad of ['', 'not a key!', `${hex.slice(0, 65)}g`, `${base64.slice(0, 43)}*`, 42]) {
        assert.throws(
          () => parseShare(bad, 33),
          (err: unknown) => {
            assert.ok(err instanceof InvalidShareError);
            assert.equal(err.httpStatus, 400);
            assert.match(err.message, /must be a valid hex or base64 string/);
            return true;
          },
          String(bad),
        );
      }
    });

    it('refuses base64 without its padding', () => {
      const unpadded = Buffer.from(randomBytes(32)).toString('base64').replace(/=+$/, '');
      assert.throws(() => parseShare(unpadded, 32), InvalidShareError);
    });

    it('refuses shares of the wrong size and says what size it wanted', () => {
      assert.throws(() => parseShare(hex.slice(0, 64), 33), /must be 33 bytes, got 32/);
      assert.throws(() => parseShare(`${hex}00`, 33), /must be 33 bytes, got 34/);
      assert.throws(() => parseShare(hex, 32), /must be 32 bytes, got 33/);
    });

    it('refuses a split share whose index byte is 0', () => {
      const zero = Buffer.concat([randomBytes(32), Buffer.from([0])]);
      assert.throws(() => parseShare(zero.toString('hex'), 33), /not a valid share/);
    });
  });
});
