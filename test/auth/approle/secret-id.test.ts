import assert from 'node:assert/strict';

import { NotFoundError } from '../../../src/logical/index.js';
import { appRoleHarness, type AppRoleHarness } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Asserts `attempt` is refused with a 400 whose message matches `message`. */
async function rejects400(attempt: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(attempt, (err: unknown) => {
    assert.equal((err as { httpStatus?: number }).httpStatus, 400, String(err));
    assert.match((err as Error).message, message);
    return true;
  });
}

describe('AppRole secret IDs', () => {
  let ar: AppRoleHarness;

  beforeEach(async () => {
    ar = appRoleHarness();
    await ar.role('app');
  });

  describe('role/<name>/secret-id (issue)', () => {
    it('issues a UUID secret ID with an accessor, unlimited and forever by default', async () => {
      const issued = await ar.secretId('app');
      assert.match(issued.secret_id, UUID);
      assert.match(issued.secret_id_accessor, UUID);
      assert.notEqual(issued.secret_id, issued.secret_id_accessor);
      assert.equal(issued.secret_id_ttl, 0);
      assert.equal(issued.secret_id_num_uses, 0);
    });

    it("takes the role's secret_id_ttl and secret_id_num_uses by default", async () => {
      await ar.role('app', { secret_id_ttl: '10m', secret_id_num_uses: 40 });
      const issued = await ar.secretId('app');
      assert.equal(issued.secret_id_ttl, 600);
      assert.equal(issued.secret_id_num_uses, 40);
    });

    it("lets a request narrow the role's limits but not widen them", async () => {
      await ar.role('app', { secret_id_ttl: 600, secret_id_num_uses: 50 });
      const narrower = await ar.secretId('app', { ttl: 60, num_uses: 5 });
      assert.equal(narrower.secret_id_ttl, 60);
      assert.equal(narrower.secret_id_num_uses, 5);

      await rejects400(ar.secretId('app', { ttl: 601 }), /ttl cannot be longer/);
      await rejects400(ar.secretId('app', { ttl: 0 }), /ttl cannot be longer/);
      await rejects400(ar.secretId('app', { num_uses: 51 }), /num_uses cannot be higher/);
      await rejects400(ar.secretId('app', { num_uses: 0 }), /num_uses cannot be higher/);
    });

    it('lets a request set any limit when the role has none', async () => {
      const issued = await ar.secretId('app', { ttl: '1h', num_uses: 3 });
      assert.equal(issued.secret_id_ttl, 3600);
      assert.equal(issued.secret_id_num_uses, 3);
    });

    it('takes metadata as a JSON string (as Vault does) or as an object', async () => {
      const fromString = await ar.secretId('app', { metadata: '{ "tag1": "production" }' });
      const fromObject = await ar.secretId('app', { metadata: { tag2: 'dev' } });
      assert.deepEqual((await ar.lookup('app', fromString.secret_id))?.metadata, {
        tag1: 'production',
      });
      assert.deepEqual((await ar.lookup('app', fromObject.secret_id))?.metadata, { tag2: 'dev' });
    });

    it('refuses metadata that is not a JSON object of strings', async () => {
      for (const metadata of ['not json', '[1]', '{"n": 1}', '"text"', 7, ['a']]) {
        await rejects400(ar.secretId('app', { metadata }), /metadata must be a JSON object/);
      }
    });

    it("requires cidr_list and token_bound_cidrs to lie within the role's blocks", async () => {
      await ar.role('app', {
        secret_id_bound_cidrs: '10.0.0.0/8',
        token_bound_cidrs: ['192.168.0.0/16'],
      });
      await ar.secretId('app', { cidr_list: '10.1.0.0/16', token_bound_cidrs: '192.168.1.0/24' });
      await rejects400(ar.secretId('app', { cidr_list: '11.0.0.0/16' }), /within the role/);
      await rejects400(ar.secretId('app', { cidr_list: '10.0.0.0/7' }), /within the role/);
      await rejects400(ar.secretId('app', { token_bound_cidrs: '10.0.0.1' }), /within the role/);
    });

    it('refuses a bad CIDR block, a negative num_uses and a role without one', async () => {
      await rejects400(ar.secretId('app', { cidr_list: '10.0.0.0/99' }), /invalid CIDR block/);
      await rejects400(ar.secretId('app', { num_uses: -1 }), /cannot be negative/);
      await rejects400(ar.secretId('ghost'), /role "ghost" does not exist/);
    });

    it('refuses to issue for a role that does not bind secret IDs', async () => {
      await ar.role('open', { bind_secret_id: false, secret_id_bound_cidrs: '10.0.0.0/8' });
      await rejects400(ar.secretId('open'), /bind_secret_id is not set/);
    });
  });

  describe('role/<name>/secret-id (LIST)', () => {
    it('lists the accessors of the role\'s secret IDs, and only its own', async () => {
      await ar.role('other');
      const a = await ar.secretId('app');
      const b = await ar.secretId('app');
      await ar.secretId('other');
      const keys = (await ar.call('list', 'role/app/secret-id/'))?.data?.keys;
      assert.deepEqual(keys, [a.secret_id_accessor, b.secret_id_accessor].sort());
    });

    it('lists nothing for a role without secret IDs, and answers null for no role', async () => {
      assert.deepEqual((await ar.call('list', 'role/app/secret-id'))?.data, { keys: [] });
      assert.equal(await ar.call('list', 'role/ghost/secret-id/'), null);
    });
  });

  describe('role/<name>/secret-id/lookup', () => {
    it("shows a secret ID's properties in Vault's shape, times from the clock", async () => {
      const issued = await ar.secretId('app', {
        metadata: '{"tag":"x"}',
        ttl: 90,
        num_uses: 4,
        cidr_list: '127.0.0.0/8',
        token_bound_cidrs: '127.0.0.1',
      });
      assert.deepEqual(await ar.lookup('APP', issued.secret_id), {
        cidr_list: ['127.0.0.0/8'],
        creation_time: '2024-01-01T00:00:00.000Z',
        expiration_time: '2024-01-01T00:01:30.000Z',
        last_updated_time: '2024-01-01T00:00:00.000Z',
        metadata: { tag: 'x' },
        secret_id_accessor: issued.secret_id_accessor,
        secret_id_num_uses: 4,
        secret_id_ttl: 90,
        token_bound_cidrs: ['127.0.0.1'],
      });
    });

    it("shows Go's zero time as the expiration of a secret ID that never expires", async () => {
      const issued = await ar.secretId('app');
      const data = await ar.lookup('app', issued.secret_id);
      assert.equal(data?.expiration_time, '0001-01-01T00:00:00Z');
    });

    it('answers null for an unknown secret ID, or one of another role', async () => {
      await ar.role('other');
      const theirs = await ar.secretId('other');
      assert.equal(await ar.lookup('app', 'not-a-secret-id'), null);
      assert.equal(await ar.lookup('app', theirs.secret_id), null);
    });

    it('refuses a missing secret_id', async () => {
      await rejects400(ar.call('update', 'role/app/secret-id/lookup', {}), /missing secret_id/);
    });
  });

  describe('role/<name>/secret-id/destroy', () => {
    for (const operation of ['update', 'delete'] as const) {
      it(`destroys a secret ID and its accessor (${operation})`, async () => {
        const roleId = await ar.role('app');
        const issued = await ar.secretId('app');
        const before = ar.storage.paths().length;
        await ar.call(operation, 'role/app/secret-id/destroy', { secret_id: issued.secret_id });
        assert.equal(ar.storage.paths().length, before - 2);
        assert.equal(await ar.lookup('app', issued.secret_id), null);
        await assert.rejects(ar.login(roleId, issued.secret_id), /invalid role or secret ID/);
      });
    }

    it('succeeds quietly for a secret ID that is already gone', async () => {
      const result = await ar.call('update', 'role/app/secret-id/destroy', { secret_id: 'gone' });
      assert.equal(result, null);
    });
  });

  describe('role/<name>/secret-id-accessor/lookup and /destroy', () => {
    it('reads and destroys a secret ID by its accessor', async () => {
      const issued = await ar.secretId('app', { num_uses: 2 });
      const byAccessor = await ar.call('update', 'role/app/secret-id-accessor/lookup', {
        secret_id_accessor: issued.secret_id_accessor,
      });
      assert.deepEqual(byAccessor?.data, await ar.lookup('app', issued.secret_id));

      await ar.call('delete', 'role/app/secret-id-accessor/destroy', {
        secret_id_accessor: issued.secret_id_accessor,
      });
      assert.equal(await ar.lookup('app', issued.secret_id), null);
    });

    it('answers 404 for an unknown accessor or one of another role', async () => {
      await ar.role('other');
      const theirs = await ar.secretId('other');
      for (const accessor of ['unknown', theirs.secret_id_accessor]) {
        for (const action of ['lookup', 'destroy']) {
          await assert.rejects(
            ar.call('update', `role/app/secret-id-accessor/${action}`, {
              secret_id_accessor: accessor,
            }),
            NotFoundError,
          );
        }
      }
      assert.ok(await ar.lookup('other', theirs.secret_id));
    });

    it('refuses a missing secret_id_accessor', async () => {
      await rejects400(
        ar.call('update', 'role/app/secret-id-accessor/lookup', {}),
        /missing secret_id_accessor/,
      );
    });
  });

  describe('role/<name>/custom-secret-id', () => {
    it('registers the secret ID the caller chose, with the same options', async () => {
      const roleId = await ar.role('app', { secret_id_num_uses: 60 });
      const response = await ar.call('update', 'role/app/custom-secret-id', {
        secret_id: 'testsecretid',
        num_uses: 50,
        ttl: 600,
      });
      assert.equal(response?.data?.secret_id, 'testsecretid');
      assert.equal(response?.data?.secret_id_num_uses, 50);
      assert.equal(response?.data?.secret_id_ttl, 600);
      assert.ok((await ar.login(roleId, 'testsecretid'))?.login);
    });

    it('refuses a secret ID the role already has, and a missing one', async () => {
      await ar.call('update', 'role/app/custom-secret-id', { secret_id: 'dup' });
      await rejects400(
        ar.call('update', 'role/app/custom-secret-id', { secret_id: 'dup' }),
        /already registered/,
      );
      await rejects400(ar.call('update', 'role/app/custom-secret-id', {}), /missing secret_id/);
    });

    it('lets two roles register the same value independently', async () => {
      await ar.role('other');
      await ar.call('update', 'role/app/custom-secret-id', { secret_id: 'shared' });
      await ar.call('update', 'role/other/custom-secret-id', { secret_id: 'shared' });
      assert.ok(await ar.lookup('other', 'shared'));
    });
  });

  describe('the mount HMAC key', () => {
    it('is made once, on first use, and kept', async () => {
      const first = await ar.storage.get('hmac-key');
      assert.ok(first);
      await ar.secretId('app');
      assert.deepEqual(await ar.storage.get('hmac-key'), first);
    });
  });
});
