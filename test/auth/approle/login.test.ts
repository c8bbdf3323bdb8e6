import assert from 'node:assert/strict';

import {
  DEFAULT_TOKEN_FIELDS,
  InvalidRequestError,
  LOCAL_CONNECTION,
  LoginFailedError,
  type LoginRenewal,
  type Response,
} from '../../../src/logical/index.js';
import { appRoleHarness, type AppRoleHarness } from './support.js';

/** Asserts `attempt` is a failed login counted against `alias`. */
async function rejectsAsLoginFailure(
  attempt: Promise<unknown>,
  alias: string | null,
): Promise<void> {
  await assert.rejects(attempt, (err: unknown) => {
    assert.ok(err instanceof LoginFailedError, `expected LoginFailedError, got ${String(err)}`);
    assert.equal(err.message, 'invalid role or secret ID');
    assert.equal(err.alias, alias);
    assert.equal(err.httpStatus, 400);
    return true;
  });
}

/** Asserts `attempt` is refused for its source address: a 400 that is not a counted failure. */
async function rejectsForCidrs(attempt: Promise<unknown>, holder: string): Promise<void> {
  await assert.rejects(attempt, (err: unknown) => {
    assert.ok(err instanceof InvalidRequestError, `expected a 400, got ${String(err)}`);
    const ending = `unauthorized through CIDR restrictions on the ${holder}`;
    assert.ok(err.message.endsWith(ending), err.message);
    return true;
  });
}

describe('AppRole login', () => {
  let ar: AppRoleHarness;
  let roleId: string;

  beforeEach(async () => {
    ar = appRoleHarness();
    roleId = await ar.role('app', { token_policies: 'dev', token_ttl: '20m' });
  });

  describe('a good role ID and secret ID', () => {
    it('resolves to the login the core turns into a token', async () => {
      const { secret_id } = await ar.secretId('app', { metadata: '{"env":"prod"}' });
      const response = await ar.login(roleId, secret_id);
      const uuid = (response?.login?.internal as { role_uuid: string }).role_uuid;
      assert.deepEqual(response, {
        login: {
          alias: 'app',
          token: { ...DEFAULT_TOKEN_FIELDS, ttl: 1200, policies: ['dev'] },
          metadata: { env: 'prod', role_name: 'app' },
          internal: { role_name: 'app', role_uuid: uuid },
        },
      });
      assert.match(uuid, /^[0-9a-f-]{36}$/);
    });

    it("binds the token to the secret ID's token_bound_cidrs over the role's", async () => {
      await ar.role('app', { token_bound_cidrs: '127.0.0.0/8' });
      const narrow = await ar.secretId('app', { token_bound_cidrs: '127.0.0.1/32' });
      const plain = await ar.secretId('app');
      assert.deepEqual((await ar.login(roleId, narrow.secret_id))?.login?.token.boundCidrs, [
        '127.0.0.1/32',
      ]);
      assert.deepEqual((await ar.login(roleId, plain.secret_id))?.login?.token.boundCidrs, [
        '127.0.0.0/8',
      ]);
    });

    it('writes nothing when the secret ID has unlimited uses', async () => {
      const { secret_id } = await ar.secretId('app');
      const batches = ar.storage.batches;
      await ar.login(roleId, secret_id);
      await ar.login(roleId, secret_id);
      assert.equal(ar.storage.batches, batches);
    });

    it('logs in with the role ID alone when the role does not bind secret IDs', async () => {
      const open = await ar.role('open', {
        bind_secret_id: false,
        secret_id_bound_cidrs: '127.0.0.1',
      });
      assert.equal((await ar.login(open))?.login?.alias, 'open');
      await rejectsForCidrs(ar.login(open, undefined, '10.0.0.1'), 'role');
    });
  });

  describe('bad credentials', () => {
    it('refuses an unknown role ID, counted against no alias', async () => {
      const { secret_id } = await ar.secretId('app');
      await rejectsAsLoginFailure(ar.login('no-such-role-id', secret_id), null);
    });

    it('refuses a wrong secret ID, counted against the role', async () => {
      await ar.secretId('app');
      await rejectsAsLoginFailure(ar.login(roleId, 'wrong'), 'app');
    });

    it("refuses another role's secret ID", async () => {
      await ar.role('other');
      const theirs = await ar.secretId('other');
      await rejectsAsLoginFailure(ar.login(roleId, theirs.secret_id), 'app');
    });

    it('refuses a missing role_id or secret_id with a 400 that is no login failure', async () => {
      for (const data of [{}, { role_id: roleId }, { role_id: roleId, secret_id: '' }]) {
        await assert.rejects(ar.call('update', 'login', data), (err: unknown) => {
          assert.ok(err instanceof InvalidRequestError);
          assert.match(err.message, /missing (role_id|secret_id)/);
          return true;
        });
      }
    });
  });

  describe('expiry', () => {
    it('accepts a secret ID until its TTL runs out, then refuses and deletes it', async () => {
      const { secret_id } = await ar.secretId('app', { ttl: 60 });
      ar.clock.now += 59_999;
      assert.ok((await ar.login(roleId, secret_id))?.login);

      ar.clock.now += 1;
      await rejectsAsLoginFailure(ar.login(roleId, secret_id), 'app');
      assert.equal(await ar.lookup('app', secret_id), null);
      assert.deepEqual((await ar.call('list', 'role/app/secret-id/'))?.data, { keys: [] });
    });

    it('never expires a secret ID without a TTL', async () => {
      const { secret_id } = await ar.secretId('app');
      ar.clock.now += 10 * 365 * 86_400_000;
      assert.ok((await ar.login(roleId, secret_id))?.login);
    });
  });

  describe('limited uses', () => {
    it('spends one use per login and deletes the secret ID with its last use', async () => {
      const { secret_id, secret_id_accessor } = await ar.secretId('app', { num_uses: 2 });
      ar.clock.now += 5000;
      await ar.login(roleId, secret_id);
      const after = await ar.lookup('app', secret_id);
      assert.equal(after?.secret_id_num_uses, 1);
      assert.equal(after?.last_updated_time, '2024-01-01T00:00:05.000Z');

      await ar.login(roleId, secret_id);
      assert.equal(await ar.lookup('app', secret_id), null);
      await assert.rejects(
        ar.call('update', 'role/app/secret-id-accessor/lookup', { secret_id_accessor }),
        /no secret ID/,
      );
      await rejectsAsLoginFailure(ar.login(roleId, secret_id), 'app');
    });

    it('lets exactly one of two concurrent logins spend the last use', async () => {
      const { secret_id } = await ar.secretId('app', { num_uses: 1 });
      // Both logins read the secret ID before either writes, as on two nodes at once.
      ar.storage.holdBatches(2);
      const results = await Promise.allSettled([
        ar.login(roleId, secret_id),
        ar.login(roleId, secret_id),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(lost[0]?.reason instanceof LoginFailedError, String(lost[0]?.reason));
      assert.equal(await ar.lookup('app', secret_id), null);
    });

    it('lets exactly num_uses of many concurrent logins succeed', async () => {
      const { secret_id } = await ar.secretId('app', { num_uses: 3 });
      ar.storage.holdBatches(5);
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => ar.login(roleId, secret_id)),
      );
      const won = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<
        Response | null
      >[];
      assert.equal(won.length, 3);
      assert.ok(won.every((r) => r.value?.login?.alias === 'app'));
      assert.equal(await ar.lookup('app', secret_id), null);
    });
  });

  describe('CIDR restrictions', () => {
    it("refuses logins from outside the role's secret_id_bound_cidrs, using nothing", async () => {
      await ar.role('app', { secret_id_bound_cidrs: ['10.0.0.0/8', '2001:db8::/32'] });
      const { secret_id } = await ar.secretId('app', { num_uses: 5 });
      await rejectsForCidrs(ar.login(roleId, secret_id, '192.168.0.1'), 'role');
      await rejectsForCidrs(ar.login(roleId, 'any-guess', '192.168.0.1'), 'role');
      assert.equal((await ar.lookup('app', secret_id))?.secret_id_num_uses, 5);

      assert.ok((await ar.login(roleId, secret_id, '10.2.3.4'))?.login);
      assert.ok((await ar.login(roleId, secret_id, '::ffff:10.2.3.4'))?.login);
      assert.ok((await ar.login(roleId, secret_id, '2001:db8::9'))?.login);
    });

    it("refuses a login from outside the secret ID's cidr_list, spending no use", async () => {
      const { secret_id } = await ar.secretId('app', { num_uses: 2, cidr_list: '10.0.0.0/8' });
      await rejectsForCidrs(ar.login(roleId, secret_id, '127.0.0.1'), 'secret ID');
      assert.equal((await ar.lookup('app', secret_id))?.secret_id_num_uses, 2);
      assert.ok((await ar.login(roleId, secret_id, '10.0.0.1'))?.login);
    });

    it('refuses a login from where its token could not be used', async () => {
      await ar.role('app', { token_bound_cidrs: '10.0.0.0/8' });
      const narrow = await ar.secretId('app', { token_bound_cidrs: '10.1.0.0/16' });
      await rejectsForCidrs(ar.login(roleId, narrow.secret_id, '127.0.0.1'), 'role');
      await rejectsForCidrs(ar.login(roleId, narrow.secret_id, '10.2.0.1'), 'secret ID');
      assert.ok((await ar.login(roleId, narrow.secret_id, '10.1.0.1'))?.login);
    });
  });

  describe('the auth method contract', () => {
    const alias = (id: unknown): string | null =>
      ar.backend.loginAlias?.({ path: 'login', data: { role_id: id } }) ?? null;

    it('serves only login without a token', () => {
      assert.equal(ar.backend.isLoginPath('login'), true);
      assert.equal(ar.backend.isLoginPath('role/app'), false);
      assert.equal(ar.backend.isLoginPath('login/x'), false);
    });

    it('names the role of a role ID before the login, once this node has seen it', () => {
      assert.equal(alias(roleId), 'app');
      assert.equal(alias('unknown'), null);
      assert.equal(alias(undefined), null);
      assert.equal(ar.backend.loginAlias?.({ path: 'role/app', data: { role_id: roleId } }), null);
    });

    it('learns a role ID from a login attempt on a node that had not seen it', async () => {
      const peer = appRoleHarness(ar.storage);
      const peerAlias = (id: string): string | null =>
        peer.backend.loginAlias?.({ path: 'login', data: { role_id: id } }) ?? null;
      assert.equal(peerAlias(roleId), null);
      await rejectsAsLoginFailure(peer.login(roleId, 'wrong'), 'app');
      assert.equal(peerAlias(roleId), 'app');

      // The role ID is replaced elsewhere: the peer's next attempt finds no role and forgets it.
      await ar.call('update', 'role/app/role-id', { role_id: 'rotated' });
      await rejectsAsLoginFailure(peer.login(roleId, 'wrong'), null);
      assert.equal(peerAlias(roleId), null);
    });

    it('forgets a role ID when it is replaced or its role deleted', async () => {
      await ar.call('update', 'role/app/role-id', { role_id: 'rotated' });
      assert.equal(alias(roleId), null);
      assert.equal(alias('rotated'), 'app');
      await ar.call('delete', 'role/app');
      assert.equal(alias('rotated'), null);
    });
  });

  describe('renewal', () => {
    const renew = async (internal: Record<string, unknown>): Promise<unknown> => {
      const renewal: LoginRenewal = { alias: 'app', metadata: {}, internal, policies: ['dev'] };
      const renewLogin = ar.backend.renewLogin;
      assert.ok(renewLogin);
      return renewLogin.call(ar.backend, renewal, LOCAL_CONNECTION);
    };
    const loginInternal = async (): Promise<Record<string, unknown>> => {
      const { secret_id } = await ar.secretId('app');
      return { ...(await ar.login(roleId, secret_id))?.login?.internal };
    };

    it("answers with the role's token fields as they are now", async () => {
      const internal = await loginInternal();
      await ar.role('app', { token_ttl: 60, token_policies: 'dev,more' });
      assert.deepEqual(await renew(internal), {
        ...DEFAULT_TOKEN_FIELDS,
        ttl: 60,
        policies: ['dev', 'more'],
      });
    });

    it('still renews after the role ID is rotated', async () => {
      const internal = await loginInternal();
      await ar.call('update', 'role/app/role-id', { role_id: 'new-id' });
      assert.ok(await renew(internal));
    });

    it('refuses once the role is deleted, or deleted and created again', async () => {
      const internal = await loginInternal();
      await ar.call('delete', 'role/app');
      await assert.rejects(renew(internal), /no longer exists/);
      await ar.role('app');
      await assert.rejects(renew(internal), /no longer exists/);
    });
  });
});
