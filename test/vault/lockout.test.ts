/**
 * Login lockout counters on their own: failures counted per alias within the window, the lock
 * they set, and no failure lost when several requests (or nodes) count at once.
 */
import assert from 'node:assert/strict';

import {
  ConflictError,
  InmemStorage,
  RateLimitedError,
  StorageConditionFailedError,
  type StorageOp,
} from '../../src/logical/index.js';
import { LoginLockout, type LockoutPolicy } from '../../src/vault/lockout.js';

const POLICY: LockoutPolicy = { threshold: 5, windowMs: 60_000, durationMs: 60_000 };

/** A storage whose every conditional write loses, as if another writer always got there first. */
class AlwaysRacedStorage extends InmemStorage {
  conditionalWrites = 0;

  override async batch(ops: readonly StorageOp[]): Promise<void> {
    if (ops.some((op) => op.condition !== undefined)) {
      this.conditionalWrites += 1;
      throw new StorageConditionFailedError(0, ops[0]?.path ?? '');
    }
    return super.batch(ops);
  }
}

describe('LoginLockout', () => {
  const now = () => Date.UTC(2026, 0, 1);

  describe('counting', () => {
    it('locks an alias at the threshold-th failure and leaves the others alone', async () => {
      const lockout = new LoginLockout(new InmemStorage(), now, POLICY);
      for (let i = 0; i < POLICY.threshold - 1; i++) await lockout.failed('acc', 'carol');
      await lockout.check('acc', 'carol');
      await lockout.failed('acc', 'carol');
      await assert.rejects(lockout.check('acc', 'carol'), RateLimitedError);
      await lockout.check('acc', 'dave');
      await lockout.check('other', 'carol');
    });

    it('forgets the failures of an alias after a success', async () => {
      const lockout = new LoginLockout(new InmemStorage(), now, POLICY);
      for (let i = 0; i < POLICY.threshold - 1; i++) await lockout.failed('acc', 'carol');
      await lockout.succeeded('acc', 'carol');
      await lockout.failed('acc', 'carol');
      await lockout.check('acc', 'carol');
    });
  });

  describe('concurrent failures', () => {
    for (const counters of [1, 3]) {
      it(`counts each of threshold failures at once through ${counters} counter(s)`, async () => {
        const storage = new InmemStorage();
        // One counter per node or request, all on the same replicated records.
        const lockouts = Array.from(
          { length: counters },
          () => new LoginLockout(storage, now, POLICY),
        );
        await Promise.all(
          Array.from({ length: POLICY.threshold }, (_, i) =>
            lockouts[i % counters]!.failed('acc', 'carol'),
          ),
        );
        await assert.rejects(lockouts[0]!.check('acc', 'carol'), RateLimitedError);
        const locked = await lockouts[0]!.locked();
        assert.deepEqual(
          locked.map((entry) => entry.alias),
          ['carol'],
        );
      });
    }

    it('counts failures that came at once exactly: one more locks the alias', async () => {
      const storage = new InmemStorage();
      const lockout = new LoginLockout(storage, now, POLICY);
      await Promise.all(
        Array.from({ length: POLICY.threshold - 1 }, () => lockout.failed('acc', 'carol')),
      );
      await lockout.check('acc', 'carol');
      await lockout.failed('acc', 'carol');
      await assert.rejects(lockout.check('acc', 'carol'), RateLimitedError);
    });

    it('gives up with a 409 after a bounded number of lost races', async () => {
      const storage = new AlwaysRacedStorage();
      const lockout = new LoginLockout(storage, now, POLICY);
      await assert.rejects(lockout.failed('acc', 'carol'), ConflictError);
      assert.ok(storage.conditionalWrites > 1, 'retried at least once');
      assert.ok(storage.conditionalWrites <= 64, `bounded: ${storage.conditionalWrites} tries`);
    });
  });
});
