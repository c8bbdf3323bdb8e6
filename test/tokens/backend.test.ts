import assert from 'node:assert/strict';

import {
  InvalidRequestError,
  makeRequest,
  PermissionDeniedError,
  UnsupportedPathError,
} from '../../src/logical/index.js';
import { HOUR, T0, tokenHarness, type TokenHarness } from './support.js';

type Auth = { clientToken: string; accessor: string };

describe('Token backend', () => {
  let h: TokenHarness;
  let root: string;

  beforeEach(async () => {
    h = await tokenHarness();
    root = h.root.clientToken;
  });

  async function create(data: Record<string, unknown>, token = root): Promise<Auth> {
    const response = await h.call('update', 'create', token, data);
    return response?.auth as Auth;
  }

  describe('create', () => {
    it('answers with the auth block', async () => {
      const response = await h.call('update', 'create', root, {
        policies: 'app,db',
        ttl: '1h',
        meta: { team: 'blue' },
        display_name: 'ci',
        num_uses: 3,
      });
      const auth = response?.auth;
      assert.match(auth?.clientToken ?? '', /^hvs\./);
      assert.deepEqual({ ...auth, clientToken: 'x', accessor: 'y' }, {
        clientToken: 'x',
        accessor: 'y',
        policies: ['app', 'db', 'default'],
        tokenPolicies: ['app', 'db', 'default'],
        metadata: { team: 'blue' },
        leaseDuration: HOUR,
        renewable: true,
        entityId: '',
        tokenType: 'service',
        orphan: false,
        numUses: 3,
      });
      const entry = await h.store.lookup(auth?.clientToken);
      assert.equal(entry?.path, 'auth/token/create');
      assert.equal(entry?.displayName, 'token-ci');
    });

    it('reports the TTL granted as lease_duration while the clock moves during the request', async () => {
      // Every read of the clock is a quarter second later, as committing through Raft is.
      let now = h.clock.now;
      Object.defineProperty(h.clock, 'now', { get: () => (now += 250) });
      const created = await h.call('update', 'create', root, { ttl: '1h' });
      assert.equal(created?.auth?.leaseDuration, HOUR);
      const token = created?.auth?.clientToken;
      const renewed = await h.call('update', 'renew', root, { token, increment: '2h' });
      assert.equal(renewed?.auth?.leaseDuration, 2 * HOUR);
    });

    it('refuses callers without a live token with a 403', async () => {
      await assert.rejects(h.call('update', 'create', undefined, {}), PermissionDeniedError);
      await assert.rejects(h.call('update', 'create', 'hvs.nope', {}), PermissionDeniedError);
    });

    it('creates orphans through create-orphan, and through no_parent only with sudo', async () => {
      const orphan = await h.call('update', 'create-orphan', root, { policies: ['app'] });
      assert.equal(orphan?.auth?.orphan, true);
      await assert.rejects(h.call('update', 'create', root, { no_parent: true }), /sudo/);
      const sudo = await h.call('update', 'create', root, { no_parent: true }, true);
      assert.equal(sudo?.auth?.orphan, true);
      const stored = await h.store.lookup(orphan?.auth?.clientToken);
      assert.equal(stored?.path, 'auth/token/create-orphan');
    });

    it('creates against a role and refuses an unknown one', async () => {
      await h.call('update', 'roles/deploy', root, { allowed_policies: 'app', orphan: true });
      const response = await h.call('update', 'create/deploy', root, {});
      assert.deepEqual(response?.auth?.policies, ['app', 'default']);
      assert.equal(response?.auth?.orphan, true);
      const entry = await h.store.lookup(response?.auth?.clientToken);
      assert.equal(entry?.path, 'auth/token/create/deploy');
      await assert.rejects(h.call('update', 'create/nope', root, {}), /unknown role nope/);
    });

    it('creates batch tokens when asked', async () => {
      const response = await h.call('update', 'create', root, { type: 'batch', policies: ['a'] });
      assert.match(response?.auth?.clientToken ?? '', /^hvb\./);
      assert.equal(response?.auth?.tokenType, 'batch');
      assert.equal(response?.auth?.accessor, '');
    });

    it('refuses custom ids, non-string meta, bad types and bad durations with a 400', async () => {
      for (const data of [
        { id: 'mine' },
        { meta: { n: 1 } },
        { type: 'weird' },
        { ttl: 'soon' },
        { num_uses: -1 },
      ]) {
        await assert.rejects(h.call('update', 'create', root, data), InvalidRequestError);
      }
    });

    it('warns about parameters it does not know', async () => {
      const response = await h.call('update', 'create', root, { policies: ['a'], colour: 'red' });
      assert.match(response?.warnings?.[0] ?? '', /colour/);
    });
  });

  describe('lookup', () => {
    it('answers lookup-self in Vault\'s shape', async () => {
      const { clientToken, accessor } = await create({ policies: ['app'], ttl: '1h' });
      h.clock.now += 60_000;
      const response = await h.call('read', 'lookup-self', clientToken);
      assert.deepEqual(response?.data, {
        accessor,
        creation_time: T0 / 1000,
        creation_ttl: HOUR,
        display_name: 'token',
        entity_id: '',
        expire_time: '2024-01-01T01:00:00.000Z',
        explicit_max_ttl: 0,
        id: clientToken,
        issue_time: '2024-01-01T00:00:00.000Z',
        meta: null,
        num_uses: 0,
        orphan: false,
        path: 'auth/token/create',
        policies: ['app', 'default'],
        renewable: true,
        ttl: HOUR - 60,
        type: 'service',
      });
    });

    it('shows the root token as never expiring', async () => {
      const response = await h.call('read', 'lookup-self', root);
      assert.equal(response?.data?.expire_time, null);
      assert.equal(response?.data?.ttl, 0);
      assert.deepEqual(response?.data?.policies, ['root']);
    });

    it('looks up another token by body or query, and answers 403 for a bad one', async () => {
      const { clientToken } = await create({ policies: ['app'] });
      const posted = await h.call('update', 'lookup', root, { token: clientToken });
      assert.equal(posted?.data?.id, clientToken);
      const queried = await h.call('read', 'lookup', root, { token: clientToken });
      assert.deepEqual(queried?.data, posted?.data);
      await assert.rejects(
        h.call('update', 'lookup', root, { token: 'hvs.bad' }),
        PermissionDeniedError,
      );
      const self = await h.call('update', 'lookup', root, {});
      assert.equal(self?.data?.id, root);
    });

    it('looks up by accessor without revealing the id, and answers 400 for a bad one', async () => {
      const { accessor } = await create({ policies: ['app'] });
      const response = await h.call('update', 'lookup-accessor', root, { accessor });
      assert.equal(response?.data?.id, '');
      assert.equal(response?.data?.accessor, accessor);
      await assert.rejects(
        h.call('update', 'lookup-accessor', root, { accessor: 'nope' }),
        /invalid accessor/,
      );
    });

    it('serves lookup-self to the request that spends a token\'s last use', async () => {
      const { clientToken } = await create({ policies: ['app'], num_uses: 1 });
      const entry = await h.store.lookup(clientToken);
      assert.equal((await h.store.use(entry!))?.exhausted, true);
      const response = await h.call('read', 'lookup-self', clientToken);
      assert.equal(response?.data?.num_uses, 0);
    });
  });

  describe('renew', () => {
    it('renews by token, self and accessor, answering with the auth block', async () => {
      const { clientToken, accessor } = await create({ policies: ['app'], ttl: '1h' });
      h.clock.now += 1000;
      const data = { token: clientToken, increment: '2h' };
      const byToken = await h.call('update', 'renew', root, data);
      assert.equal(byToken?.auth?.leaseDuration, 2 * HOUR);
      assert.equal(byToken?.auth?.clientToken, clientToken);
      const self = await h.call('update', 'renew-self', clientToken, { increment: 60 });
      assert.equal(self?.auth?.leaseDuration, 60);
      const byAccessor = await h.call('update', 'renew-accessor', root, { accessor });
      assert.equal(byAccessor?.auth?.clientToken, '');
      assert.equal(byAccessor?.auth?.leaseDuration, HOUR);
      const lookup = await h.call('read', 'lookup-self', clientToken);
      assert.equal(lookup?.data?.last_renewal, '2024-01-01T00:00:01.000Z');
    });

    it('answers 400 for an unknown or non-renewable token', async () => {
      await assert.rejects(h.call('update', 'renew', root, { token: 'hvs.x' }), /token not found/);
      const { clientToken } = await create({ policies: ['app'], renewable: false });
      await assert.rejects(h.call('update', 'renew-self', clientToken, {}), /not renewable/);
      await assert.rejects(h.call('update', 'renew-self', root, {}), InvalidRequestError);
    });
  });

  describe('revoke', () => {
    it('revokes by token, self and accessor with a 204, the subtree going too', async () => {
      const a = await create({ policies: ['app'] });
      const b = await create({}, a.clientToken);
      assert.equal(await h.call('update', 'revoke', root, { token: a.clientToken }), null);
      assert.equal(await h.store.lookup(b.clientToken), null);

      const c = await create({ policies: ['app'] });
      assert.equal(await h.call('update', 'revoke-self', c.clientToken), null);
      assert.equal(await h.store.lookup(c.clientToken), null);

      const d = await create({ policies: ['app'] });
      const byAccessor = await h.call('update', 'revoke-accessor', root, { accessor: d.accessor });
      assert.equal(byAccessor, null);
      assert.equal(await h.store.lookup(d.clientToken), null);
    });

    it('succeeds for an unknown token, and answers 400 for an unknown accessor', async () => {
      assert.equal(await h.call('update', 'revoke', root, { token: 'hvs.gone' }), null);
      await assert.rejects(
        h.call('update', 'revoke-accessor', root, { accessor: 'nope' }),
        /invalid accessor/,
      );
    });

    it('revoke-orphan needs sudo and keeps the children as orphans', async () => {
      const a = await create({ policies: ['app'] });
      const b = await create({}, a.clientToken);
      const data = { token: a.clientToken };
      await assert.rejects(h.call('update', 'revoke-orphan', root, data), /sudo/);
      assert.equal(await h.call('update', 'revoke-orphan', root, data, true), null);
      assert.equal(await h.store.lookup(a.clientToken), null);
      assert.equal((await h.store.lookup(b.clientToken))?.orphan, true);
      await assert.rejects(
        h.call('update', 'revoke-orphan', root, { token: a.clientToken }, true),
        /token not found/,
      );
    });
  });

  describe('roles', () => {
    it('writes, reads, lists and deletes roles in Vault\'s shape', async () => {
      const written = await h.call('update', 'roles/Deploy', root, {
        allowed_policies: ['app', 'DB'],
        period: '10m',
        token_type: 'default-batch',
        bound_cidrs: '10.0.0.0/8,127.0.0.1',
      });
      assert.equal(written, null);
      await h.call('update', 'roles/deploy', root, { orphan: true });
      const read = await h.call('read', 'roles/deploy', root);
      assert.deepEqual(read?.data, {
        name: 'deploy',
        allowed_policies: ['app', 'db'],
        allowed_policies_glob: [],
        disallowed_policies: [],
        disallowed_policies_glob: [],
        orphan: true,
        renewable: true,
        path_suffix: '',
        explicit_max_ttl: 0,
        token_explicit_max_ttl: 0,
        period: 600,
        token_period: 600,
        token_type: 'default-batch',
        token_ttl: 0,
        token_max_ttl: 0,
        token_no_default_policy: false,
        token_num_uses: 0,
        token_bound_cidrs: ['10.0.0.0/8', '127.0.0.1'],
      });
      const listed = await h.call('list', 'roles/', root);
      assert.deepEqual(listed?.data, { keys: ['deploy'] });
      assert.equal(await h.call('delete', 'roles/deploy', root), null);
      assert.equal(await h.call('read', 'roles/deploy', root), null);
    });

    it('tells create from update for the ACL', async () => {
      const request = (path: string) =>
        makeRequest({ operation: 'update', path, clientToken: root }, () => 'id');
      assert.equal(await h.backend.existenceCheck?.(request('roles/ci')), false);
      await h.call('update', 'roles/ci', root, {});
      assert.equal(await h.backend.existenceCheck?.(request('roles/ci')), true);
    });

    it('refuses a bad token_type, CIDR or use count with a 400', async () => {
      for (const data of [
        { token_type: 'weird' },
        { token_bound_cidrs: ['10.0.0.0/33'] },
        { token_bound_cidrs: ['nonsense'] },
        { token_num_uses: -1 },
      ]) {
        await assert.rejects(h.call('update', 'roles/x', root, data), InvalidRequestError);
      }
    });
  });

  describe('accessors and tidy', () => {
    it('lists accessors only with sudo', async () => {
      const { accessor } = await create({ policies: ['app'] });
      await assert.rejects(h.call('list', 'accessors/', root), PermissionDeniedError);
      const response = await h.call('list', 'accessors/', root, {}, true);
      assert.deepEqual(response?.data, { keys: [accessor, h.root.entry.accessor].sort() });
    });

    it('reports what tidy removed', async () => {
      const a = await create({ policies: ['app'] });
      const entry = await h.store.lookup(a.clientToken);
      await h.storage.delete(`id/${entry?.hashedId}`);
      const response = await h.call('update', 'tidy', root);
      assert.deepEqual(response?.data, {
        dangling_accessors: 1,
        dangling_parent_links: 1,
        orphaned_children_revoked: 0,
      });
    });

    it('answers 404 for a path it does not serve', async () => {
      await assert.rejects(h.call('read', 'nope', root), UnsupportedPathError);
    });
  });
});
