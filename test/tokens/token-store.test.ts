import assert from 'node:assert/strict';

import { InvalidRequestError } from '../../src/logical/index.js';
import { TokenStore } from '../../src/tokens/index.js';
import { dumpStorage, HOUR, T0, tokenHarness, type TokenHarness } from './support.js';

describe('TokenStore', () => {
  let h: TokenHarness;

  beforeEach(async () => {
    h = await tokenHarness();
  });

  describe('storage', () => {
    it('never stores a token id or its random part in clear', async () => {
      const { clientToken } = await h.child(h.root.entry, { policies: ['app'] });
      const dump = await dumpStorage(h.storage);
      assert.match(clientToken, /^hvs\.[A-Za-z0-9]{32}$/);
      for (const id of [clientToken, h.root.clientToken]) {
        assert.equal(dump.includes(id), false);
        assert.equal(dump.includes(id.slice(4)), false);
      }
    });

    it('keeps one salt across reopenings, so existing tokens still resolve', async () => {
      const reopened = await TokenStore.open({ storage: h.storage, now: () => h.clock.now });
      const found = await reopened.lookup(h.root.clientToken);
      assert.equal(found?.hashedId, h.root.entry.hashedId);
    });

    it('writes the entry, the accessor record and the parent link for a child', async () => {
      await h.child(h.root.entry, { policies: ['app'] });
      const paths = h.storage.paths();
      assert.equal(paths.filter((path) => /^id\/[0-9a-f]{64}$/.test(path)).length, 2);
      assert.equal(paths.filter((path) => /^accessor\/[0-9a-f]{64}$/.test(path)).length, 2);
      const link = /^parent\/[0-9a-f]{64}\/[0-9a-f]{64}$/;
      assert.equal(paths.filter((path) => link.test(path)).length, 1);
    });
  });

  describe('lookup', () => {
    it('resolves null for a missing, empty, unknown or malformed token', async () => {
      assert.equal(await h.store.lookup(undefined), null);
      assert.equal(await h.store.lookup(''), null);
      assert.equal(await h.store.lookup('hvs.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), null);
      assert.equal(await h.store.lookup('hvb.not-a-sealed-blob'), null);
    });

    it('resolves null once the token has expired', async () => {
      const { clientToken } = await h.child(h.root.entry, { ttl: 60 });
      h.clock.now += 59_000;
      assert.notEqual(await h.store.lookup(clientToken), null);
      h.clock.now += 1_000;
      assert.equal(await h.store.lookup(clientToken), null);
    });

    it('finds a token by its accessor and not by anything else', async () => {
      const { entry } = await h.child(h.root.entry, { policies: ['app'] });
      assert.equal((await h.store.lookupByAccessor(entry.accessor))?.hashedId, entry.hashedId);
      assert.equal(await h.store.lookupByAccessor('nope'), null);
      assert.equal(await h.store.lookupByAccessor(''), null);
    });
  });

  describe('policies', () => {
    it('adds default unless told not to, and inherits the parent\'s policies', async () => {
      const a = await h.child(h.root.entry, { policies: ['App', 'db', 'app'] });
      assert.deepEqual(a.entry.policies, ['app', 'db', 'default']);
      const b = await h.child(h.root.entry, { policies: ['app'], noDefaultPolicy: true });
      assert.deepEqual(b.entry.policies, ['app']);
      const c = await h.child(a.entry, {});
      assert.deepEqual(c.entry.policies, ['app', 'db', 'default']);
    });

    it('lets a non-root parent grant only a subset of its policies', async () => {
      const parent = await h.child(h.root.entry, { policies: ['app', 'db'] });
      const ok = await h.child(parent.entry, { policies: ['db'] });
      assert.deepEqual(ok.entry.policies, ['db', 'default']);
      await assert.rejects(
        h.child(parent.entry, { policies: ['admin'] }),
        /child policies must be subset of parent/,
      );
    });

    it('grants root only from a root token, and a root child never expires', async () => {
      const child = await h.child(h.root.entry, { policies: ['root'] });
      assert.deepEqual(child.entry.policies, ['root']);
      assert.equal(child.entry.expireTime, 0);
      assert.equal(child.entry.renewable, false);
      const plain = await h.child(h.root.entry, { policies: ['app'] });
      await assert.rejects(h.child(plain.entry, { policies: ['root'] }), InvalidRequestError);
      for (const spelling of [' Root ', 'ROOT', '\troot\n']) {
        await assert.rejects(
          h.child(plain.entry, { policies: ['app', spelling] }),
          InvalidRequestError,
          JSON.stringify(spelling),
        );
      }
    });

    it('refuses a token left with no policy at all', async () => {
      await assert.rejects(
        h.child(h.root.entry, { policies: [], noDefaultPolicy: true }),
        /at least one policy/,
      );
    });
  });

  describe('orphans and sudo', () => {
    it('makes no_parent tokens orphans only with sudo', async () => {
      await assert.rejects(h.child(h.root.entry, { noParent: true }), /sudo/);
      const { entry } = await h.child(h.root.entry, { noParent: true, sudo: true });
      assert.equal(entry.orphan, true);
      assert.equal(entry.parent, '');
    });

    it('makes create-orphan tokens orphans without sudo', async () => {
      const parent = await h.child(h.root.entry, { policies: ['app'] });
      const { entry } = await h.child(parent.entry, { orphan: true });
      assert.equal(entry.orphan, true);
      assert.equal(h.storage.paths().filter((path) => path.startsWith('parent/')).length, 1);
    });

    it('needs sudo for a period unless a role sets it', async () => {
      await assert.rejects(h.child(h.root.entry, { period: 60 }), /periodic/);
      const { entry } = await h.child(h.root.entry, { period: 60, sudo: true });
      assert.equal(entry.period, 60);
      assert.equal(entry.ttl, 60);
    });

    it('refuses children of limited-use tokens and of revoked parents', async () => {
      const limited = await h.child(h.root.entry, { numUses: 3 });
      await assert.rejects(h.child(limited.entry, {}), /restricted use token/);
      const parent = await h.child(h.root.entry, { policies: ['app'] });
      await h.store.revoke(parent.entry);
      await assert.rejects(h.child(parent.entry, {}), /parent token has been revoked/);
    });
  });

  describe('TTL', () => {
    it('gives the default TTL when none is asked for, capped by the system max', async () => {
      const small = await tokenHarness({ maxTtlSeconds: 2 * HOUR, defaultTtlSeconds: HOUR });
      const a = await small.child(small.root.entry, { policies: ['app'] });
      assert.equal(a.entry.ttl, HOUR);
      const b = await small.child(small.root.entry, { policies: ['app'], ttl: 5 * HOUR });
      assert.equal(b.entry.ttl, 2 * HOUR);
      assert.equal(b.warnings.length, 1);
      const c = await h.child(h.root.entry, { policies: ['app'] });
      assert.equal(c.entry.ttl, 768 * HOUR);
    });

    it('caps the TTL by explicit_max_ttl, and a root child gets it as its TTL', async () => {
      const a = await h.child(h.root.entry, { policies: ['app'], ttl: HOUR, explicitMaxTtl: 600 });
      assert.equal(a.entry.ttl, 600);
      assert.equal(a.entry.expireTime, T0 + 600_000);
      const b = await h.child(h.root.entry, { policies: ['root'], explicitMaxTtl: 900 });
      assert.equal(b.entry.ttl, 900);
    });

    it('caps a child at its non-periodic parent\'s remaining life', async () => {
      const parent = await h.child(h.root.entry, { policies: ['app'], ttl: HOUR });
      h.clock.now += 1_800_000;
      const child = await h.child(parent.entry, { ttl: 2 * HOUR });
      assert.equal(child.entry.expireTime, parent.entry.expireTime);
      const orphan = await h.child(parent.entry, { ttl: 2 * HOUR, orphan: true });
      assert.equal(orphan.entry.ttl, 2 * HOUR);
    });

    it('does not cap a child of a periodic parent', async () => {
      const parent = await h.child(h.root.entry, { policies: ['app'], period: 60, sudo: true });
      const child = await h.child(parent.entry, { ttl: HOUR });
      assert.equal(child.entry.ttl, HOUR);
    });

    it('caps a period by explicit_max_ttl', async () => {
      const { entry, warnings } = await h.child(h.root.entry, {
        period: HOUR,
        explicitMaxTtl: 600,
        sudo: true,
      });
      assert.equal(entry.ttl, 600);
      assert.match(warnings[0] ?? '', /period/);
    });

    it('tracks each expiring token as a token lease, and never the root token', async () => {
      const { entry } = await h.child(h.root.entry, { policies: ['app'], ttl: 60 });
      const leaseId = `auth/token/create/${entry.hashedId}`;
      assert.deepEqual(h.expiry.calls, [`track ${leaseId}`]);
      assert.deepEqual(h.expiry.tracked.get(leaseId), {
        id: leaseId,
        kind: 'token',
        path: 'auth/token/create',
        issueTime: T0,
        expireTime: T0 + 60_000,
        renewable: true,
        ownerToken: entry.hashedId,
        internal: {},
      });
    });
  });

  describe('entry fields', () => {
    it('prefixes and sanitizes display names, and keeps meta', async () => {
      const a = await h.child(h.root.entry, { displayName: 'my app!', meta: { team: 'blue' } });
      assert.equal(a.entry.displayName, 'token-my-app');
      assert.deepEqual(a.entry.meta, { team: 'blue' });
      const b = await h.child(h.root.entry, {});
      assert.equal(b.entry.displayName, 'token');
      assert.equal(b.entry.meta, null);
    });

    it('records the parent\'s hashed id, type, role and an empty entity id', async () => {
      const { entry } = await h.child(h.root.entry, { policies: ['app'] });
      assert.equal(entry.parent, h.root.entry.hashedId);
      assert.equal(entry.type, 'service');
      assert.equal(entry.role, '');
      assert.equal(entry.entityId, '');
      assert.equal(entry.orphan, false);
      assert.match(entry.accessor, /^[A-Za-z0-9]{24}$/);
    });
  });

  describe('use', () => {
    it('passes unlimited tokens without writing', async () => {
      const before = await dumpStorage(h.storage);
      const used = await h.store.use(h.root.entry);
      assert.deepEqual(used, { entry: h.root.entry, exhausted: false });
      assert.equal(await dumpStorage(h.storage), before);
    });

    it('counts uses down, allows the last one, then refuses the token', async () => {
      const { clientToken, entry } = await h.child(h.root.entry, { numUses: 2 });
      const first = await h.store.use(entry);
      assert.equal(first?.exhausted, false);
      assert.equal(first?.entry.numUses, 1);
      const last = await h.store.use(entry);
      assert.equal(last?.exhausted, true);
      assert.equal(await h.store.lookup(clientToken), null);
      assert.notEqual(await h.store.lookup(clientToken, { inFlight: true }), null);
      assert.equal(await h.store.use(entry), null);
    });

    it('lets only one of two concurrent requests spend the last use', async () => {
      const { entry } = await h.child(h.root.entry, { numUses: 1 });
      const results = await Promise.all([h.store.use(entry), h.store.use(entry)]);
      assert.equal(results.filter((result) => result !== null).length, 1);
      assert.equal(results.find((result) => result !== null)?.exhausted, true);
    });
  });
});
