import assert from 'node:assert/strict';

import { encodeJson, type Storage, type StorageOp } from '../../src/logical/index.js';
import { advance, leaseHarness, registerSecret, T0, type LeaseHarness } from './support.js';

describe('ExpirationManager expiry', () => {
  let h: LeaseHarness;

  beforeEach(async () => {
    h = leaseHarness();
    await h.manager.start();
  });

  afterEach(() => h.manager.stop());

  describe('scheduling', () => {
    it('revokes a secret lease once its TTL has passed, and not a moment before', async () => {
      const lease = await registerSecret(h.manager, 'database/creds/app', 60);

      await advance(h, 59_999);
      assert.deepEqual(h.revokers.revoked, []);
      await advance(h, 1);
      assert.deepEqual(h.revokers.revoked, [lease.id]);
      assert.equal(await h.manager.lookup(lease.id), null);
      assert.deepEqual(h.storage.paths(), []);
    });

    it('arms one timer for many leases, for the soonest of them', async () => {
      for (let i = 0; i < 50; i += 1) await registerSecret(h.manager, 'db/creds/a', 100 + i);
      await registerSecret(h.manager, 'db/creds/b', 10);
      assert.equal(h.timers.count, 1);

      await advance(h, 10_000);
      assert.equal(h.revokers.revoked.length, 1);
      assert.equal(h.timers.count, 1);
      await advance(h, 150_000);
      assert.equal(h.revokers.revoked.length, 51);
      assert.equal(h.timers.count, 0);
    });

    it('revokes in expiry order when several leases come due in one step', async () => {
      const late = await registerSecret(h.manager, 'db/creds/late', 30);
      const early = await registerSecret(h.manager, 'db/creds/early', 20);
      h.timers.advance(10_000);
      h.timers.advance(30_000);
      await h.manager.idle();
      assert.deepEqual(h.revokers.revoked, [early.id, late.id]);
    });

    it('follows a renewal: revoked at the new expiry, not the old one', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 60);
      await advance(h, 50_000);
      await h.manager.renew(lease.id, 60);

      await advance(h, 20_000);
      assert.deepEqual(h.revokers.revoked, []);
      await advance(h, 40_000);
      assert.deepEqual(h.revokers.revoked, [lease.id]);
    });

    it('decides on the cluster clock even when the local timer fires late', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 600);
      // The cluster clock jumps ahead of the local timer (a newer replicated timestamp).
      h.clock.now += 600_000;
      await advance(h, 60_000);
      assert.deepEqual(h.revokers.revoked, [lease.id]);
    });
  });

  describe('token leases (track and untrack)', () => {
    const tokenLease = (id: string, expireTime: number) => ({
      id,
      kind: 'token' as const,
      path: 'auth/token/create',
      issueTime: T0,
      expireTime,
      renewable: true,
      ownerToken: id.split('/').pop() as string,
      internal: {},
    });

    it('calls the token revoker when a tracked token lease expires', async () => {
      await h.manager.track(tokenLease('auth/token/create/h1', T0 + 30_000));
      await advance(h, 30_000);
      assert.deepEqual(h.revokers.revoked, ['auth/token/create/h1']);
      assert.deepEqual(h.storage.paths(), []);
    });

    it('forgets an untracked lease without revoking it', async () => {
      await h.manager.track(tokenLease('auth/token/create/h1', T0 + 30_000));
      await h.manager.untrack('auth/token/create/h1');
      await h.manager.untrack('auth/token/create/never-tracked');
      await advance(h, 60_000);
      assert.deepEqual(h.revokers.revoked, []);
      assert.deepEqual(h.storage.paths(), []);
    });

    it('moves the expiry when tracked again and records the renewal time', async () => {
      await h.manager.track(tokenLease('auth/token/create/h1', T0 + 30_000));
      await advance(h, 20_000);
      await h.manager.track(tokenLease('auth/token/create/h1', T0 + 90_000));

      const record = await h.manager.lookup('auth/token/create/h1');
      assert.equal(record?.lastRenewalTime, T0 + 20_000);
      await advance(h, 60_000);
      assert.deepEqual(h.revokers.revoked, []);
      await advance(h, 10_000);
      assert.deepEqual(h.revokers.revoked, ['auth/token/create/h1']);
    });

    it('never expires a lease whose expireTime is 0 (a root token)', async () => {
      await h.manager.track(tokenLease('auth/token/root/h0', 0));
      assert.equal(h.timers.count, 0);
      await advance(h, 10 * 365 * 86_400_000);
      assert.deepEqual(h.revokers.revoked, []);
    });
  });

  describe('leader change', () => {
    it('revokes the expired leases at once on start and reschedules the others', async () => {
      const short = await registerSecret(h.manager, 'db/creds/short', 10);
      const long = await registerSecret(h.manager, 'db/creds/long', 100);
      h.manager.stop();

      // The old leader is gone for a while; nothing runs meanwhile.
      h.timers.advance(50_000);
      assert.deepEqual(h.revokers.revoked, []);

      const next = h.newManager();
      await next.start();
      await next.idle();
      assert.deepEqual(h.revokers.revoked, [short.id]);

      await advance(h, 49_999, next);
      assert.deepEqual(h.revokers.revoked, [short.id]);
      await advance(h, 1, next);
      assert.deepEqual(h.revokers.revoked, [short.id, long.id]);
      next.stop();
    });

    it('runs none of a stopped manager pending work', async () => {
      await registerSecret(h.manager, 'db/creds/app', 10);
      h.manager.stop();
      assert.equal(h.timers.count, 0);
      await advance(h, 3_600_000);
      assert.deepEqual(h.revokers.revoked, []);
      assert.equal(h.storage.paths().length, 2);
    });

    it('drops queued revocations when stopped before they ran', async () => {
      const { storage, clock, revokers, newManager } = h;
      await registerSecret(h.manager, 'db/creds/a', 10);
      await registerSecret(h.manager, 'db/creds/b', 10);
      h.manager.stop();
      clock.now += 20_000;

      const next = newManager({ concurrency: 1 });
      const started = next.start();
      await started;
      next.stop();
      await next.idle();
      // At most the revocation already running when stop came finishes.
      assert.ok(revokers.revoked.length <= 1, `revoked ${revokers.revoked.length}`);
      assert.ok(storage.paths().length >= 2);
    });

    it('leaves a lease renewed during the load where the renewal put it', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 3600);
      h.manager.stop();

      const gated = new GatedStorage(h.storage);
      const next = h.newManager({ storage: gated });
      const release = gated.holdNextGet();
      const loading = next.start();
      await gated.held;

      // The loader holds the old record (expiring in an hour); a renewal shortens it to 60 s.
      await next.renew(lease.id, 60);
      release();
      await loading;

      await advance(h, 60_000, next);
      assert.deepEqual(h.revokers.revoked, [lease.id]);
      next.stop();
    });

    it('serves lookups and revocations while the load is still running', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 3600);
      h.manager.stop();

      const gated = new GatedStorage(h.storage);
      const next = h.newManager({ storage: gated });
      const release = gated.holdNextGet();
      const loading = next.start();
      await gated.held;

      assert.equal((await next.lookup(lease.id))?.id, lease.id);
      await next.revoke(lease.id, { sync: true });
      release();
      await loading;
      await next.idle();
      assert.deepEqual(h.revokers.revoked, [lease.id]);
      assert.equal(h.timers.count, 0);
      next.stop();
    });

    it('rejects start when the leases cannot be loaded, and still serves requests', async () => {
      h.manager.stop();
      const inner = h.storage;
      const failing: Storage = {
        get: (path) => inner.get(path),
        put: (path, value) => inner.put(path, value),
        delete: (path) => inner.delete(path),
        batch: (ops) => inner.batch(ops),
        list: async () => {
          throw new Error('storage unavailable');
        },
      };
      const next = h.newManager({ storage: failing });
      await assert.rejects(next.start(), /storage unavailable/);
      await next.idle();
      const lease = await registerSecret(next, 'db/creds/app', 60);
      assert.equal((await next.lookup(lease.id))?.id, lease.id);
      next.stop();
    });

    it('skips damaged records on load and keeps the rest', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 10);
      h.manager.stop();
      await h.storage.put('id/broken', encodeJson({ id: 'broken' }));

      const next = h.newManager();
      await next.start();
      await advance(h, 10_000, next);
      assert.deepEqual(h.revokers.revoked, [lease.id]);
      next.stop();
    });
  });
});

/** A storage whose next `get` reads at once but answers only when released. */
class GatedStorage implements Storage {
  private gate: { release: Promise<void> } | null = null;
  private signalHeld: () => void = () => undefined;
  /** Resolves once a get is being held. */
  held: Promise<void> = Promise.resolve();

  constructor(private readonly inner: Storage) {}

  holdNextGet(): () => void {
    let release!: () => void;
    this.gate = { release: new Promise<void>((resolve) => (release = resolve)) };
    this.held = new Promise<void>((resolve) => (this.signalHeld = resolve));
    return release;
  }

  async get(path: string): Promise<Uint8Array | undefined> {
    const value = await this.inner.get(path);
    const gate = this.gate;
    if (gate !== null) {
      this.gate = null;
      this.signalHeld();
      await gate.release;
    }
    return value;
  }

  put(path: string, value: Uint8Array): Promise<void> {
    return this.inner.put(path, value);
  }

  delete(path: string): Promise<void> {
    return this.inner.delete(path);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  batch(ops: readonly StorageOp[]): Promise<void> {
    return this.inner.batch(ops);
  }
}
