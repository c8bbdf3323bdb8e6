import assert from 'node:assert/strict';

import {
  InvalidRequestError,
  makeRequest,
  PathBackend,
  type Operation,
  type Response,
} from '../../src/logical/index.js';
import { LeasePrefixRevokeError, LeaseRevokeError } from '../../src/leases/index.js';
import { leasePaths } from '../../src/vault/sys/lease-paths.js';
import { advance, leaseHarness, registerSecret, T0, type LeaseHarness } from '../leases/support.js';

describe('sys lease paths', () => {
  let h: LeaseHarness;
  let backend: PathBackend;
  let ids = 0;

  const call = (
    operation: Operation,
    path: string,
    data: Record<string, unknown> = {},
  ): Promise<Response | null> =>
    backend.handleRequest(makeRequest({ operation, path, data }, () => `req-${++ids}`));

  beforeEach(async () => {
    h = leaseHarness();
    await h.manager.start();
    backend = new PathBackend(leasePaths({ leases: () => h.manager }));
  });

  afterEach(() => h.manager.stop());

  describe('leases/lookup', () => {
    it('reads a lease in Vault shape with RFC 3339 times and the TTL left', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 3600);
      await advance(h, 600_000);
      await h.manager.renew(lease.id, 3600);
      await advance(h, 1_000);

      const response = await call('update', 'leases/lookup', { lease_id: lease.id });
      assert.deepEqual(response?.data, {
        id: lease.id,
        issue_time: '2024-01-01T00:00:00.000Z',
        expire_time: '2024-01-01T01:10:00.000Z',
        last_renewal: '2024-01-01T00:10:00.000Z',
        renewable: true,
        ttl: 3599,
      });
    });

    it('reports an irrevocable lease with its last error', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 1);
      h.revokers.failFor(lease.id);
      for (const ms of [1_000, 1_000, 2_000]) await advance(h, ms);
      const data = (await call('update', 'leases/lookup', { lease_id: lease.id }))?.data;
      assert.equal(data?.irrevocable, true);
      assert.equal(data?.revoke_error, 'backend unreachable');
      assert.equal(data?.ttl, 0);
    });

    it('answers 400 for an unknown lease and for a missing lease_id', async () => {
      const unknown = call('update', 'leases/lookup', { lease_id: 'db/x/y' });
      await assert.rejects(unknown, /invalid lease/);
      await assert.rejects(call('update', 'leases/lookup', {}), InvalidRequestError);
    });

    it('lists the ids below a prefix, and null (a 404) when there are none', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 60);
      assert.deepEqual((await call('list', 'leases/lookup/'))?.data, { keys: ['db/'] });
      assert.deepEqual((await call('list', 'leases/lookup/db/creds/app/'))?.data, {
        keys: [lease.id.slice('db/creds/app/'.length)],
      });
      assert.equal(await call('list', 'leases/lookup/aws/'), null);
    });
  });

  describe('renew', () => {
    it('renews by body or URL and answers with the lease envelope', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 60);
      const byBody = await call('update', 'leases/renew', { lease_id: lease.id, increment: '5m' });
      assert.deepEqual(byBody?.lease, { leaseId: lease.id, leaseDuration: 300, renewable: true });

      const byUrl = await call('update', `leases/renew/${lease.id}`, { increment: 120 });
      assert.equal(byUrl?.lease?.leaseDuration, 120);
      const legacy = await call('update', `renew/${lease.id}`, { increment: 60 });
      assert.equal(legacy?.lease?.leaseDuration, 60);
      assert.equal((await h.manager.lookup(lease.id))?.expireTime, T0 + 60_000);
    });

    it('warns when the max TTL caps the increment', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 60, { maxTtlSeconds: 90 });
      const response = await call('update', 'leases/renew', { lease_id: lease.id, increment: 600 });
      assert.equal(response?.lease?.leaseDuration, 90);
      assert.match(response?.warnings?.[0] ?? '', /capped at 90s/);
    });

    it('refuses to renew a token lease here', async () => {
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
        call('update', 'leases/renew', { lease_id: 'auth/token/create/h1' }),
        /tokens cannot be renewed/,
      );
    });
  });

  describe('revoke', () => {
    it('revokes synchronously by default and answers null (a 204)', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 60);
      assert.equal(await call('update', 'leases/revoke', { lease_id: lease.id }), null);
      assert.deepEqual(h.revokers.revoked, [lease.id]);
    });

    it('answers 202 for sync=false and revokes in the background', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 60);
      const response = await call('update', `revoke/${lease.id}`, { sync: 'false' });
      assert.equal(response?.status, 202);
      await h.manager.idle();
      assert.deepEqual(h.revokers.revoked, [lease.id]);
    });

    it('fails a sync revocation the backend refused, with a 500-class error', async () => {
      const lease = await registerSecret(h.manager, 'db/creds/app', 60);
      h.revokers.failFor(lease.id);
      await assert.rejects(call('update', `leases/revoke/${lease.id}`), LeaseRevokeError);
    });

    it('revokes by prefix on both spellings and reports failures', async () => {
      await registerSecret(h.manager, 'aws/creds/a', 60);
      const b = await registerSecret(h.manager, 'db/creds/b', 60);
      assert.equal(await call('update', 'leases/revoke-prefix/aws/creds'), null);
      assert.equal(h.revokers.revoked.length, 1);

      h.revokers.failFor(b.id);
      await assert.rejects(call('update', 'revoke-prefix/db/'), LeasePrefixRevokeError);
      assert.notEqual(await h.manager.lookup(b.id), null);
    });

    it('force-revokes by prefix and warns about the failures it deleted anyway', async () => {
      const a = await registerSecret(h.manager, 'db/creds/a', 60);
      h.revokers.failFor(a.id);
      const response = await call('update', 'leases/revoke-force/db/creds');
      assert.match(response?.warnings?.[0] ?? '', /^1 lease/);
      assert.equal(await h.manager.lookup(a.id), null);
      assert.equal(await call('update', 'revoke-force/db/'), null);
    });
  });

  describe('leases/tidy', () => {
    it('reports what it cleaned', async () => {
      await h.storage.put('token/t/orphan', new TextEncoder().encode('"orphan"'));
      const response = await call('update', 'leases/tidy');
      assert.deepEqual(response?.data, {
        leases: 0,
        removed_records: 0,
        removed_index_entries: 1,
        restored_index_entries: 0,
      });
    });
  });
});
