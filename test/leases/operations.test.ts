import assert from 'node:assert/strict';

import { encodeJson, InvalidRequestError } from '../../src/logical/index.js';
import { InvalidLeaseOptionsError } from '../../src/leases/index.js';
import { advance, leaseHarness, registerSecret, T0, type LeaseHarness } from './support.js';

describe('ExpirationManager operations', () => {
  let h: LeaseHarness;

  beforeEach(async () => {
    h = leaseHarness();
    await h.manager.start();
  });

  afterEach(() => h.manager.stop());

  describe('registerSecret and lookup', () => {
    it('issues an id of the path and 24 base62 characters, storing record and index', async () => {
      const lease = await registerSecret(h.manager, 'database/creds/app', 60, { owner: 'tok/1' });
      assert.match(lease.id, /^database\/creds\/app\/[0-9A-Za-z]{24}$/);
      assert.deepEqual(await h.manager.lookup(lease.id), {
        id: lease.id,
        kind: 'secret',
        path: 'database/creds/app',
        issueTime: T0,
        expireTime: T0 + 60_000,
        lastRenewalTime: null,
        renewable: true,
        ownerToken: 'tok/1',
        internal: { user: 'v-app-1' },
        revokeAttempts: 0,
        irrevocable: null,
      });
      const encoded = lease.id.replace(/\//g, '%2F');
      assert.deepEqual(h.storage.paths(), [`id/${encoded}`, `token/tok%2F1/${encoded}`]);
    });

    it('caps the first TTL at the max TTL', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 600, { maxTtlSeconds: 60 });
      assert.equal(lease.expireTime, T0 + 60_000);
      assert.equal(lease.maxExpireTime, T0 + 60_000);
    });

    it('refuses a lease without a TTL or with an empty path', async () => {
      await assert.rejects(registerSecret(h.manager, 'db/creds/app', 0), InvalidRequestError);
      await assert.rejects(registerSecret(h.manager, '', 60), InvalidRequestError);
    });

    it('answers null for an unknown lease', async () => {
      assert.equal(await h.manager.lookup('db/creds/app/none'), null);
    });

    it('refuses options it cannot run with', () => {
      assert.throws(() => h.newManager({ retry: { attempts: 0 } }), InvalidLeaseOptionsError);
      assert.throws(() => h.newManager({ concurrency: 0 }), InvalidLeaseOptionsError);
    });
  });

  describe('listPrefix', () => {
    it('lists the children of a prefix as folders and leaves', async () => {
      const a = await registerSecret(h.manager, 'aws/creds/a', 60);
      await registerSecret(h.manager, 'aws/creds/b', 60);
      await registerSecret(h.manager, 'db/creds/c', 60);

      assert.deepEqual(await h.manager.listPrefix(''), ['aws/', 'db/']);
      assert.deepEqual(await h.manager.listPrefix('aws/creds/'), ['a/', 'b/']);
      assert.deepEqual(await h.manager.listPrefix('aws/creds/a/'), [a.id.split('/')[3]]);
      assert.deepEqual(await h.manager.listPrefix('nothing/'), []);
    });
  });

  describe('renew', () => {
    it('extends from now by the increment and records the renewal time', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 60);
      await advance(h, 30_000);
      const renewed = await h.manager.renew(lease.id, 120);
      assert.equal(renewed.expireTime, T0 + 150_000);
      assert.equal(renewed.lastRenewalTime, T0 + 30_000);
      assert.deepEqual(await h.manager.lookup(lease.id), renewed);
    });

    it('caps a renewal at the max TTL from issue', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 60, { maxTtlSeconds: 100 });
      await advance(h, 50_000);
      const renewed = await h.manager.renew(lease.id, 3600);
      assert.equal(renewed.expireTime, T0 + 100_000);
    });

    it('grants the previous period when asked for no increment and no renewer is set', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 60);
      await advance(h, 10_000);
      assert.equal((await h.manager.renew(lease.id, 0)).expireTime, T0 + 70_000);
    });

    it('grants what the secret renewer grants, and passes on its refusal', async () => {
      const calls: Array<[string, number]> = [];
      const manager = h.newManager({
        renewers: {
          secret: async (lease, increment) => {
            calls.push([lease.id, increment]);
            if (increment > 1000) throw new InvalidRequestError('too long');
            return 30;
          },
        },
      });
      const lease = await registerSecret(manager, 'db/creds/app', 60);
      assert.equal((await manager.renew(lease.id, 300)).expireTime, T0 + 30_000);
      await assert.rejects(manager.renew(lease.id, 5000), /too long/);
      assert.deepEqual(calls, [
        [lease.id, 300],
        [lease.id, 5000],
      ]);
    });

    it('refuses unknown, non-renewable, token and expired leases with a 400', async () => {
      await assert.rejects(h.manager.renew('db/creds/none/x', 60), /lease not found/);

      const fixed = await registerSecret(h.manager, 'db/creds/app', 60, { renewable: false });
      await assert.rejects(h.manager.renew(fixed.id, 60), /lease is not renewable/);

      await h.manager.track({
        id: 'auth/token/create/h1',
        kind: 'token',
        path: 'auth/token/create',
        issueTime: T0,
        expireTime: T0 + 60_000,
        renewable: true,
        ownerToken: 'h1',
        internal: {},
      });
      await assert.rejects(
        h.manager.renew('auth/token/create/h1', 60),
        (error: unknown) =>
          error instanceof InvalidRequestError && /tokens cannot/.test(error.message),
      );

      const lease = await registerSecret(h.manager, 'db/creds/app', 10);
      h.revokers.failFor(lease.id, 1);
      await advance(h, 10_000);
      await assert.rejects(h.manager.renew(lease.id, 60), /lease expired/);
    });
  });

  describe('tidy', () => {
    it('removes damaged records and dangling index entries and restores lost ones', async () => {
      const kept = await registerSecret(h.manager, 'db/creds/a', 60, { owner: 'tok-1' });
      const lost = await registerSecret(h.manager, 'db/creds/b', 60, { owner: 'tok-1' });
      const encode = (id: string) => id.replace(/\//g, '%2F');
      await h.storage.delete(`token/tok-1/${encode(lost.id)}`);
      await h.storage.put('id/db%2Fcreds%2Fbroken', encodeJson({ id: 'db/creds/broken' }));
      await h.storage.put('id/db%2Fcreds%2Fgarbage', new TextEncoder().encode('{not json'));
      await h.storage.put('token/tok-2/db%2Fcreds%2Fgone', encodeJson('db/creds/gone'));
      await h.storage.put(`token/tok-9/${encode(kept.id)}`, encodeJson(kept.id));

      assert.deepEqual(await h.manager.tidy(), {
        leases: 4,
        removedRecords: 2,
        removedIndexEntries: 2,
        restoredIndexEntries: 1,
      });
      assert.deepEqual(h.storage.paths(), [
        `id/${encode(kept.id)}`,
        `id/${encode(lost.id)}`,
        `token/tok-1/${encode(kept.id)}`,
        `token/tok-1/${encode(lost.id)}`,
      ]);
      assert.deepEqual(await h.manager.tidy(), {
        leases: 2,
        removedRecords: 0,
        removedIndexEntries: 0,
        restoredIndexEntries: 0,
      });
    });
  });
});
