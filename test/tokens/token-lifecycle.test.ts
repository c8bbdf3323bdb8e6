import assert from 'node:assert/strict';

import { HOUR, T0, tokenHarness, type TokenHarness } from './support.js';

describe('TokenStore lifecycle', () => {
  let h: TokenHarness;

  beforeEach(async () => {
    h = await tokenHarness();
  });

  describe('renew', () => {
    it('renews from now by the increment, or by the creation TTL without one', async () => {
      const { entry } = await h.child(h.root.entry, { policies: ['app'], ttl: 600 });
      h.clock.now += 300_000;
      const a = await h.store.renew(entry, 900);
      assert.equal(a.entry.ttl, 900);
      assert.equal(a.entry.expireTime, h.clock.now + 900_000);
      assert.equal(a.entry.lastRenewalTime, h.clock.now);
      const b = await h.store.renew(entry, 0);
      assert.equal(b.entry.ttl, 600);
    });

    it('moves the tracked lease with each renewal', async () => {
      const { entry } = await h.child(h.root.entry, { policies: ['app'], ttl: 600 });
      h.clock.now += 1000;
      await h.store.renew(entry, 600);
      const lease = h.expiry.tracked.get(`auth/token/create/${entry.hashedId}`);
      assert.equal(lease?.expireTime, T0 + 601_000);
    });

    it('never renews past explicit_max_ttl counted from creation', async () => {
      const { entry } = await h.child(h.root.entry, { ttl: 600, explicitMaxTtl: 1000 });
      h.clock.now += 500_000;
      const renewed = await h.store.renew(entry, 3600);
      assert.equal(renewed.entry.ttl, 500);
      assert.equal(renewed.warnings.length, 1);
      h.clock.now += 499_000;
      assert.equal((await h.store.renew(entry, 60)).entry.ttl, 1);
      h.clock.now += 1_000;
      await assert.rejects(h.store.renew(entry, 60), /token not found/);
    });

    it('never renews past the system max', async () => {
      const small = await tokenHarness({ maxTtlSeconds: HOUR });
      const { entry } = await small.child(small.root.entry, { ttl: 3000 });
      small.clock.now += 2000_000;
      assert.equal((await small.store.renew(entry, HOUR)).entry.ttl, 1600);
    });

    it('renews a periodic token to its period whatever the increment, with no max', async () => {
      const small = await tokenHarness({ maxTtlSeconds: HOUR });
      const { entry } = await small.child(small.root.entry, { period: 600, sudo: true });
      for (let renewal = 0; renewal < 20; renewal += 1) {
        small.clock.now += 500_000;
        assert.equal((await small.store.renew(entry, 5)).entry.ttl, 600);
      }
      assert.ok(small.clock.now - T0 > 2 * HOUR * 1000);
    });

    it('renews a periodic token only until its explicit max', async () => {
      const { entry } = await h.child(h.root.entry, {
        period: 600,
        explicitMaxTtl: 900,
        sudo: true,
      });
      h.clock.now += 500_000;
      assert.equal((await h.store.renew(entry, 0)).entry.ttl, 400);
    });

    it('keeps a renewed child within its non-periodic parent\'s life', async () => {
      const parent = await h.child(h.root.entry, { policies: ['app'], ttl: 600 });
      const child = await h.child(parent.entry, { ttl: 300 });
      assert.equal((await h.store.renew(child.entry, 3600)).entry.expireTime, T0 + 600_000);
    });

    it('refuses non-renewable, root and revoked tokens', async () => {
      const fixed = await h.child(h.root.entry, { ttl: 600, renewable: false });
      await assert.rejects(h.store.renew(fixed.entry, 60), /not renewable/);
      await assert.rejects(h.store.renew(h.root.entry, 60), /not renewable/);
      const gone = await h.child(h.root.entry, { ttl: 600 });
      await h.store.revoke(gone.entry);
      await assert.rejects(h.store.renew(gone.entry, 60), /token not found/);
    });
  });

  describe('revoke', () => {
    it('revokes the whole subtree deepest first, with onRevoke before any removal', async () => {
      const a = await h.child(h.root.entry, { policies: ['app'] });
      const b = await h.child(a.entry, {});
      const c = await h.child(b.entry, {});
      const d = await h.child(a.entry, {});
      await h.store.revoke(a.entry);

      assert.equal(h.revoked.length, 1);
      const order = h.revoked[0] ?? [];
      assert.equal(order.length, 4);
      assert.equal(order[0], c.entry.accessor);
      assert.deepEqual(new Set(order.slice(1, 3)), new Set([b.entry.accessor, d.entry.accessor]));
      assert.equal(order[3], a.entry.accessor);
      for (const token of [a, b, c, d]) assert.equal(await h.store.lookup(token.clientToken), null);
      const left = h.storage.paths().filter((path) => !['salt', 'batch-key'].includes(path));
      assert.deepEqual(left, [
        h.storage.paths().find((path) => path.startsWith('accessor/')),
        `id/${h.root.entry.hashedId}`,
      ]);
      assert.equal(h.expiry.tracked.size, 0);
    });

    it('keeps every token, the subtree root unusable, when onRevoke fails', async () => {
      const a = await h.child(h.root.entry, { policies: ['app'] });
      const b = await h.child(a.entry, {});
      h.failRevoke.on = true;
      await assert.rejects(h.store.revoke(a.entry), /lease revocation failed/);
      assert.equal(await h.store.lookup(a.clientToken), null);
      assert.notEqual(await h.store.lookup(b.clientToken), null);

      h.failRevoke.on = false;
      await h.store.revokeByHashedId(a.entry.hashedId);
      assert.equal(await h.store.lookup(b.clientToken), null);
    });

    it('succeeds for a token already gone', async () => {
      const a = await h.child(h.root.entry, { policies: ['app'] });
      await h.store.revoke(a.entry);
      await h.store.revokeByHashedId(a.entry.hashedId);
      await h.store.revokeByHashedId('not-a-hash');
      assert.equal(h.revoked.length, 1);
    });

    it('revoke-orphan revokes the token alone and makes its children orphans', async () => {
      const a = await h.child(h.root.entry, { policies: ['app'] });
      const b = await h.child(a.entry, {});
      const c = await h.child(b.entry, {});
      await h.store.revokeOrphan(a.entry);

      assert.deepEqual(h.revoked, [[a.entry.accessor]]);
      assert.equal(await h.store.lookup(a.clientToken), null);
      const orphan = await h.store.lookup(b.clientToken);
      assert.equal(orphan?.orphan, true);
      assert.equal(orphan?.parent, '');
      assert.equal((await h.store.lookup(c.clientToken))?.parent, b.entry.hashedId);
      const prefix = `parent/${a.entry.hashedId}`;
      const links = h.storage.paths().filter((path) => path.startsWith(prefix));
      assert.deepEqual(links, []);

      await h.store.revoke(orphan ?? b.entry);
      assert.equal(await h.store.lookup(c.clientToken), null);
    });
  });

  describe('accessors and tidy', () => {
    it('lists every accessor', async () => {
      const a = await h.child(h.root.entry, { policies: ['app'] });
      const listed = await h.store.listAccessors();
      assert.deepEqual(listed, [a.entry.accessor, h.root.entry.accessor].sort());
    });

    it('removes dangling records and revokes children of missing parents', async () => {
      const a = await h.child(h.root.entry, { policies: ['app'] });
      const b = await h.child(a.entry, {});
      const c = await h.child(h.root.entry, { policies: ['app'] });
      // Records a crash could leave: entries gone, their accessors and links still there.
      await h.storage.delete(`id/${a.entry.hashedId}`);
      await h.storage.delete(`id/${c.entry.hashedId}`);

      const result = await h.store.tidy();
      assert.deepEqual(result, {
        danglingAccessors: 2,
        danglingParentLinks: 2,
        orphanedChildrenRevoked: 1,
      });
      assert.equal(await h.store.lookup(b.clientToken), null);
      assert.deepEqual(await h.store.listAccessors(), [h.root.entry.accessor]);
      assert.equal(h.storage.paths().some((path) => path.startsWith('parent/')), false);
      assert.deepEqual(await h.store.tidy(), {
        danglingAccessors: 0,
        danglingParentLinks: 0,
        orphanedChildrenRevoked: 0,
      });
    });
  });
});
