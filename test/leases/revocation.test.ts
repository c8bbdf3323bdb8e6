import assert from 'node:assert/strict';

import { LeaseRevokeError } from '../../src/leases/index.js';
import { advance, leaseHarness, registerSecret, T0, type LeaseHarness } from './support.js';

describe('ExpirationManager revocation', () => {
  let h: LeaseHarness;

  beforeEach(async () => {
    h = leaseHarness();
    await h.manager.start();
  });

  afterEach(() => h.manager.stop());

  describe('retries', () => {
    it('retries a failed revocation with exponential back-off, then gives up', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 10);
      h.revokers.failFor(lease.id);

      await advance(h, 10_000);
      await advance(h, 999);
      assert.equal(h.revokers.attempts.length, 1);
      await advance(h, 1);
      assert.equal(h.revokers.attempts.length, 2);
      await advance(h, 2_000);
      assert.deepEqual(
        h.revokers.attempts.map((attempt) => attempt.at - T0),
        [10_000, 11_000, 13_000],
      );

      const record = await h.manager.lookup(lease.id);
      assert.equal(record?.revokeAttempts, 3);
      assert.equal(record?.irrevocable, 'backend unreachable');
      assert.equal(h.timers.count, 0);
      await advance(h, 86_400_000);
      assert.equal(h.revokers.attempts.length, 3);
    });

    it('deletes the lease once a retry succeeds', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 10);
      h.revokers.failFor(lease.id, 1);
      await advance(h, 10_000);
      assert.equal((await h.manager.lookup(lease.id))?.revokeAttempts, 1);
      await advance(h, 1_000);
      assert.deepEqual(h.revokers.revoked, [lease.id]);
      assert.deepEqual(h.storage.paths(), []);
    });

    it('keeps the back-off across a renewal attempt of the expired lease', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 10);
      h.revokers.failFor(lease.id, 1);
      await advance(h, 10_000);
      await assert.rejects(h.manager.renew(lease.id, 60), /lease expired/);
      await advance(h, 999);
      assert.equal(h.revokers.attempts.length, 1);
    });

    it('tries an irrevocable lease again when asked to revoke it', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 1);
      h.revokers.failFor(lease.id, 3);
      await advance(h, 1_000);
      await advance(h, 1_000);
      await advance(h, 2_000);
      assert.notEqual((await h.manager.lookup(lease.id))?.irrevocable, null);

      await h.manager.revoke(lease.id, { sync: true });
      assert.equal(await h.manager.lookup(lease.id), null);
    });
  });

  describe('revoke', () => {
    it('waits for a sync revocation and rejects when it failed, keeping the lease', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 600);
      h.revokers.failFor(lease.id, 1);

      const error = await h.manager.revoke(lease.id, { sync: true }).catch((e: unknown) => e);
      assert.ok(error instanceof LeaseRevokeError);
      assert.equal(error.httpStatus, 500);
      assert.equal((error.cause as Error).message, 'backend unreachable');
      assert.equal((await h.manager.lookup(lease.id))?.revokeAttempts, 1);

      // The retry is already scheduled, long before the lease would have expired.
      await advance(h, 1_000);
      assert.deepEqual(h.revokers.revoked, [lease.id]);
    });

    it('queues an async revocation and resolves before it runs', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 600);
      await h.manager.revoke(lease.id);
      await h.manager.idle();
      assert.deepEqual(h.revokers.revoked, [lease.id]);
      assert.equal(h.timers.count, 0);
    });

    it('succeeds when revoking a lease that does not exist', async () => {
      await h.manager.revoke('db/creds/app/nothing', { sync: true });
      assert.deepEqual(h.revokers.attempts, []);
    });

    it('refuses a malformed lease id with a 400', async () => {
      await assert.rejects(h.manager.revoke('/db//x', { sync: true }), /invalid lease ID/);
    });

    it('does not bring back a lease the revoker untracked before failing', async () => {
      const id = 'auth/token/create/h1';
      await h.manager.track({
        id,
        kind: 'token',
        path: 'auth/token/create',
        issueTime: T0,
        expireTime: T0 + 5_000,
        renewable: false,
        ownerToken: 'h1',
        internal: {},
      });
      h.revokers.failFor(id);
      h.revokers.onToken = async (lease) => h.manager.untrack(lease.id);

      await advance(h, 5_000);
      assert.equal(await h.manager.lookup(id), null);
      assert.deepEqual(h.storage.paths(), []);
      assert.equal(h.timers.count, 0);
    });
  });

  describe('revokePrefix', () => {
    it('revokes the leases at or below the prefix as a folder, and no others', async () => {
      const a = await registerSecret(h.manager, 'aws/creds/a', 600);
      const b = await registerSecret(h.manager, 'aws/creds/b', 600);
      const other = await registerSecret(h.manager, 'aws/credsX/c', 600);

      assert.deepEqual(await h.manager.revokePrefix('aws/creds'), { revoked: 2, failed: 0 });
      assert.deepEqual(h.revokers.revoked.sort(), [a.id, b.id].sort());
      assert.notEqual(await h.manager.lookup(other.id), null);

      assert.deepEqual(await h.manager.revokePrefix(other.id), { revoked: 1, failed: 0 });
    });

    it('keeps the leases it failed to revoke and reports them', async () => {
      const a = await registerSecret(h.manager, 'aws/creds/a', 600);
      const b = await registerSecret(h.manager, 'aws/creds/b', 600);
      h.revokers.failFor(b.id);

      assert.deepEqual(await h.manager.revokePrefix('aws/'), { revoked: 1, failed: 1 });
      assert.equal(await h.manager.lookup(a.id), null);
      assert.equal((await h.manager.lookup(b.id))?.revokeAttempts, 1);
    });

    it('with force, deletes even the leases whose revocation failed', async () => {
      await registerSecret(h.manager, 'aws/creds/a', 600);
      const b = await registerSecret(h.manager, 'aws/creds/b', 600);
      h.revokers.failFor(b.id);

      const summary = await h.manager.revokePrefix('aws/creds/', { force: true });
      assert.deepEqual(summary, { revoked: 2, failed: 1 });
      assert.deepEqual(h.storage.paths(), []);
      assert.equal(h.timers.count, 0);
    });
  });

  describe('revokeByToken', () => {
    it('revokes every secret lease the token owns and nothing else', async () => {
      const mine1 = await registerSecret(h.manager, 'db/creds/a', 600, { owner: 'tok-1' });
      const mine2 = await registerSecret(h.manager, 'kv/leased', 600, { owner: 'tok-1' });
      const theirs = await registerSecret(h.manager, 'db/creds/a', 600, { owner: 'tok-2' });
      await h.manager.track({
        id: 'auth/token/create/tok-1',
        kind: 'token',
        path: 'auth/token/create',
        issueTime: T0,
        expireTime: T0 + 600_000,
        renewable: true,
        ownerToken: 'tok-1',
        internal: {},
      });

      assert.deepEqual(await h.manager.revokeByToken('tok-1'), { revoked: 2, failed: 0 });
      assert.deepEqual(h.revokers.revoked.sort(), [mine1.id, mine2.id].sort());
      assert.notEqual(await h.manager.lookup(theirs.id), null);
      assert.notEqual(await h.manager.lookup('auth/token/create/tok-1'), null);
    });

    it('reports failures and retries them with back-off', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/a', 600, { owner: 'tok-1' });
      h.revokers.failFor(lease.id, 1);
      assert.deepEqual(await h.manager.revokeByToken('tok-1'), { revoked: 0, failed: 1 });
      await advance(h, 1_000);
      assert.deepEqual(h.revokers.revoked, [lease.id]);
    });

    it('finds nothing for a token that owns no lease', async () => {
      assert.deepEqual(await h.manager.revokeByToken('nobody'), { revoked: 0, failed: 0 });
    });
  });
});
