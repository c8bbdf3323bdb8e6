import assert from 'node:assert/strict';

import {
  LoginFailedError,
  UnsupportedOperationError,
  UnsupportedPathError,
} from '../../../src/logical/index.js';
import { storedText } from '../support.js';
import { appRoleHarness, type AppRoleHarness } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const DEFAULT_READ = {
  bind_secret_id: true,
  secret_id_bound_cidrs: [],
  secret_id_num_uses: 0,
  secret_id_ttl: 0,
  local_secret_ids: false,
  token_ttl: 0,
  token_max_ttl: 0,
  token_explicit_max_ttl: 0,
  token_period: 0,
  token_policies: [],
  token_no_default_policy: false,
  token_num_uses: 0,
  token_bound_cidrs: [],
  token_type: 'default',
  policies: [],
  period: 0,
};

describe('AppRole roles', () => {
  let ar: AppRoleHarness;

  beforeEach(() => {
    ar = appRoleHarness();
  });

  describe('role/<name>', () => {
    it("creates a role with Vault's defaults and reads it back", async () => {
      await ar.call('update', 'role/app', {});
      assert.deepEqual((await ar.call('read', 'role/app'))?.data, DEFAULT_READ);
    });

    it('reads durations as seconds', async () => {
      await ar.call('update', 'role/app', {
        secret_id_ttl: '10m',
        secret_id_num_uses: 40,
        token_ttl: '20m',
        token_max_ttl: 1800,
        token_policies: ['default', 'Dev'],
        secret_id_bound_cidrs: '10.0.0.0/8',
        token_type: 'batch',
      });
      assert.deepEqual((await ar.call('read', 'role/app'))?.data, {
        ...DEFAULT_READ,
        secret_id_ttl: 600,
        secret_id_num_uses: 40,
        secret_id_bound_cidrs: ['10.0.0.0/8'],
        token_ttl: 1200,
        token_max_ttl: 1800,
        token_policies: ['default', 'dev'],
        policies: ['default', 'dev'],
        token_type: 'batch',
      });
    });

    it('answers null (a 404) for a role that does not exist', async () => {
      assert.equal(await ar.call('read', 'role/missing'), null);
      assert.equal(await ar.call('read', 'role/missing/role-id'), null);
    });

    it('treats names case-insensitively and lists them lower-case, sorted', async () => {
      await ar.call('update', 'role/Web App', {});
      await ar.call('update', 'role/api', {});
      assert.ok(await ar.call('read', 'role/WEB APP'));
      assert.deepEqual((await ar.call('list', 'role/'))?.data, { keys: ['api', 'web app'] });
    });

    it('keeps what an update does not name, including the role ID', async () => {
      const roleId = await ar.role('app', { secret_id_ttl: 60, token_policies: 'a' });
      const again = await ar.role('app', { token_num_uses: 2 });
      assert.equal(again, roleId);
      const data = (await ar.call('read', 'role/app'))?.data;
      assert.equal(data?.secret_id_ttl, 60);
      assert.deepEqual(data?.token_policies, ['a']);
      assert.equal(data?.token_num_uses, 2);
    });

    it('reads the legacy bound_cidr_list as secret_id_bound_cidrs, as Vault does', async () => {
      await ar.call('update', 'role/app', { bound_cidr_list: '10.0.0.0/8' });
      const data = (await ar.call('read', 'role/app'))?.data;
      assert.deepEqual(data?.secret_id_bound_cidrs, ['10.0.0.0/8']);
      assert.deepEqual(data?.token_bound_cidrs, []);
    });

    it('tells create from update for the ACL through its existence check', async () => {
      assert.equal(await ar.exists('role/app'), false);
      await ar.call('update', 'role/App', {});
      assert.equal(await ar.exists('role/app'), true);
    });

    it('allows bind_secret_id=false only with a CIDR bound', async () => {
      await assert.rejects(
        ar.call('update', 'role/open', { bind_secret_id: false }),
        /at least one constraint/,
      );
      assert.equal(await ar.call('read', 'role/open'), null);
      await ar.call('update', 'role/a', {
        bind_secret_id: false,
        secret_id_bound_cidrs: '10.0.0.1',
      });
      await ar.call('update', 'role/b', { bind_secret_id: false, token_bound_cidrs: '10.0.0.1' });
      assert.equal((await ar.call('read', 'role/a'))?.data?.bind_secret_id, false);
    });
  });

  describe('refusing bad input with a 400', () => {
    const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
      ['a negative secret_id_num_uses', { secret_id_num_uses: -1 }, /cannot be negative/],
      ['a bad secret_id_bound_cidrs block', { secret_id_bound_cidrs: '10.0.0.0/40' }, /CIDR/],
      ['a bad token_bound_cidrs block', { token_bound_cidrs: 'nope' }, /CIDR/],
      ['a bad secret_id_ttl', { secret_id_ttl: 'soon' }, /invalid duration/],
      ['a non-boolean bind_secret_id', { bind_secret_id: 'maybe' }, /bind_secret_id/],
      ['an unknown token_type', { token_type: 'x' }, /invalid token_type/],
      ['an empty role_id', { role_id: '' }, /role_id cannot be empty/],
    ];
    for (const [what, data, message] of refusals) {
      it(`refuses ${what}`, async () => {
        await assert.rejects(ar.call('update', 'role/app', data), (err: unknown) => {
          assert.equal((err as { httpStatus?: number }).httpStatus, 400);
          assert.match((err as Error).message, message);
          return true;
        });
        assert.equal(await ar.call('read', 'role/app'), null);
      });
    }

    it('refuses names with characters Vault does not allow', async () => {
      for (const name of ['semi;colon', 'star*', 'ünï', '..']) {
        await assert.rejects(ar.call('update', `role/${name}`, {}), /invalid role_name/, name);
      }
      await assert.rejects(ar.call('update', `role/${'a'.repeat(4096)}`, {}), /invalid role_name/);
    });

    it('refuses to change local_secret_ids after creation', async () => {
      await ar.call('update', 'role/app', { local_secret_ids: true });
      await assert.rejects(
        ar.call('update', 'role/app', { local_secret_ids: false }),
        /only be set when the role is created/,
      );
    });
  });

  describe('role/<name>/role-id', () => {
    it('reads a generated UUID role ID', async () => {
      assert.match(await ar.role('app'), UUID);
    });

    it('sets a custom role ID: the new one logs in, the old one no longer does', async () => {
      const old = await ar.role('app');
      const { secret_id } = await ar.secretId('app');
      await ar.call('update', 'role/app/role-id', { role_id: 'custom-role-id' });
      assert.deepEqual((await ar.call('read', 'role/app/role-id'))?.data, {
        role_id: 'custom-role-id',
      });
      assert.ok((await ar.login('custom-role-id', secret_id))?.login);
      await assert.rejects(ar.login(old, secret_id), LoginFailedError);
    });

    it('takes a custom role ID when the role is created, too', async () => {
      assert.equal(await ar.role('app', { role_id: 'chosen' }), 'chosen');
    });

    it('keeps role IDs unique across roles', async () => {
      await ar.role('one', { role_id: 'taken' });
      await ar.role('two');
      await assert.rejects(
        ar.call('update', 'role/two/role-id', { role_id: 'taken' }),
        /already in use/,
      );
      await assert.rejects(ar.call('update', 'role/three', { role_id: 'taken' }), /already in use/);
      assert.equal(await ar.call('read', 'role/three'), null);
      assert.notEqual((await ar.call('read', 'role/two/role-id'))?.data?.role_id, 'taken');
    });

    it('gives a role ID to only one of two roles claiming it at once', async () => {
      await ar.role('first'); // makes the mount's HMAC key, so only the two claims write below
      ar.storage.holdBatches(2);
      const results = await Promise.allSettled([
        ar.call('update', 'role/one', { role_id: 'contested' }),
        ar.call('update', 'role/two', { role_id: 'contested' }),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      const holders = await Promise.all(
        ['one', 'two'].map(async (name) => (await ar.call('read', `role/${name}/role-id`))?.data),
      );
      assert.deepEqual(holders.filter((data) => data?.role_id === 'contested').length, 1);
    });

    it('frees the old role ID for another role once it is replaced', async () => {
      await ar.role('one', { role_id: 'first' });
      await ar.call('update', 'role/one/role-id', { role_id: 'second' });
      assert.equal(await ar.role('two', { role_id: 'first' }), 'first');
    });

    it('refuses a missing role_id and a role that does not exist', async () => {
      await ar.role('app');
      await assert.rejects(ar.call('update', 'role/app/role-id', {}), /missing role_id/);
      await assert.rejects(
        ar.call('update', 'role/ghost/role-id', { role_id: 'x' }),
        /role "ghost" does not exist/,
      );
    });
  });

  describe('deleting a role', () => {
    it('deletes its role ID, its secret IDs and their accessors with it', async () => {
      const roleId = await ar.role('app');
      const { secret_id } = await ar.secretId('app');
      await ar.secretId('app');
      assert.equal(await ar.call('delete', 'role/app'), null);
      assert.deepEqual(ar.storage.paths(), ['hmac-key']);
      await assert.rejects(ar.login(roleId, secret_id), LoginFailedError);
      assert.equal(await ar.call('delete', 'role/app'), null);
    });

    it('never lets a secret ID of a deleted role log in to a new role of that name', async () => {
      await ar.role('app', { role_id: 'fixed' });
      const { secret_id } = await ar.secretId('app');
      // Leave the old secret ID behind, as a crash between two writes might.
      const leftovers = ar.storage.paths().filter((path) => path.startsWith('secret-id/'));
      const saved = await Promise.all(leftovers.map((path) => ar.storage.get(path)));
      await ar.call('delete', 'role/app');
      await Promise.all(leftovers.map((path, i) => ar.storage.put(path, saved[i] as Uint8Array)));

      await ar.role('app', { role_id: 'fixed' });
      await assert.rejects(ar.login('fixed', secret_id), LoginFailedError);
    });
  });

  describe('storage', () => {
    it('keys role IDs, secret IDs and accessors by HMAC and never stores a secret ID', async () => {
      await ar.role('app', { role_id: 'visible-role-id' });
      const issued = await ar.secretId('app');
      const paths = ar.storage.paths();
      assert.equal(paths.some((path) => path.includes('visible-role-id')), false);
      assert.equal(paths.some((path) => path.includes(issued.secret_id_accessor)), false);
      assert.equal((await storedText(ar.storage)).includes(issued.secret_id), false);
      const layout = [
        /^hmac-key$/,
        /^role\/app$/,
        /^(role-id|accessor)\/[0-9a-f]{64}$/,
        /^secret-id\/[0-9a-f-]{36}\/[0-9a-f]{64}$/,
      ];
      for (const path of paths) assert.ok(layout.some((rule) => rule.test(path)), path);
    });
  });

  describe('routing', () => {
    it('answers 404 for an unknown path and 405 for an unsupported operation', async () => {
      await assert.rejects(ar.call('read', 'roles/app'), UnsupportedPathError);
      await assert.rejects(ar.call('read', 'login'), UnsupportedOperationError);
      await assert.rejects(ar.call('delete', 'role/app/role-id'), UnsupportedOperationError);
    });
  });
});
