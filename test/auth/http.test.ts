/**
 * userpass and AppRole mounted in a real core behind the HTTP layer: their logins become tokens
 * with Vault's `auth` block, failures answer Vault's error envelope, and the core's lockout
 * counts them under the canonical alias.
 */
import assert from 'node:assert/strict';

import type { FastifyInstance } from 'fastify';

import { createAppRoleBackend } from '../../src/auth/approle/index.js';
import { createUserpassBackend, scryptHasher } from '../../src/auth/userpass/index.js';
import { initAndUnsealOverHttp, startNode, type Node } from '../http/support.js';
import { TEST_SCRYPT } from './userpass/support.js';

describe('userpass and AppRole behind the core', () => {
  let node: Node;
  let app: FastifyInstance;
  let root: string;

  const call = async (
    method: 'GET' | 'POST' | 'DELETE' | 'LIST',
    url: string,
    options: { token?: string; body?: object; remote?: string } = {},
  ) => {
    const response = await app.inject({
      method,
      url: `/v1/${url}`,
      headers: options.token === undefined ? {} : { 'x-vault-token': options.token },
      ...(options.body === undefined ? {} : { payload: options.body }),
      ...(options.remote === undefined ? {} : { remoteAddress: options.remote }),
    });
    const text = response.body;
    return {
      status: response.statusCode,
      json: (text.length > 0 ? JSON.parse(text) : null) as {
        data: Record<string, unknown>;
        auth: Record<string, unknown>;
        errors: string[];
      },
    };
  };

  beforeEach(async () => {
    node = startNode({
      now: () => Date.UTC(2026, 0, 1),
      clockBeaconMs: 0,
      authMethods: {
        userpass: (context) =>
          createUserpassBackend(context, { hasher: scryptHasher(TEST_SCRYPT) }),
        approle: createAppRoleBackend,
      },
    });
    app = node.app;
    ({ rootToken: root } = await initAndUnsealOverHttp(app));
    for (const type of ['userpass', 'approle']) {
      const mounted = await call('POST', `sys/auth/${type}`, { token: root, body: { type } });
      assert.equal(mounted.status, 204, JSON.stringify(mounted.json));
    }
  });

  afterEach(async () => {
    node.core.sealNode();
    await app.close();
  });

  describe('sys/auth', () => {
    it('enables a method at a nested path, reads it, tunes it and disables it', async () => {
      const body = { type: 'userpass', description: 'people', config: { max_lease_ttl: '2h' } };
      const enabled = await call('POST', 'sys/auth/team/people', { token: root, body });
      assert.equal(enabled.status, 204, JSON.stringify(enabled.json));
      const listed = await call('GET', 'sys/auth', { token: root });
      assert.equal((listed.json.data['team/people/'] as { type: string }).type, 'userpass');

      const read = await call('GET', 'sys/auth/team/people', { token: root });
      assert.equal(read.status, 200, JSON.stringify(read.json));
      assert.equal(read.json.data.type, 'userpass');
      assert.equal(read.json.data.description, 'people');
      assert.equal((read.json.data.config as { max_lease_ttl: number }).max_lease_ttl, 7200);

      const tune = { default_lease_ttl: '10m', max_lease_ttl: '1h', description: 'staff' };
      const tuned = await call('POST', 'sys/auth/team/people/tune', { token: root, body: tune });
      assert.equal(tuned.status, 204, JSON.stringify(tuned.json));
      const settings = await call('GET', 'sys/auth/team/people/tune', { token: root });
      assert.equal(settings.json.data.default_lease_ttl, 600);
      assert.equal(settings.json.data.max_lease_ttl, 3600);
      assert.equal(settings.json.data.description, 'staff');

      const user = { password: 'pw', token_ttl: '3h' };
      const created = await call('POST', 'auth/team/people/users/ann', { token: root, body: user });
      assert.equal(created.status, 204, JSON.stringify(created.json));
      const login = await call('POST', 'auth/team/people/login/ann', { body: { password: 'pw' } });
      assert.equal(login.status, 200, JSON.stringify(login.json));
      // The user asks for 3h; the tuned mount caps it at 1h.
      assert.equal(login.json.auth.lease_duration, 3600);
      const token = login.json.auth.client_token as string;
      const self = await call('GET', 'auth/token/lookup-self', { token });
      assert.equal(self.json.data.display_name, 'team-people-ann');

      assert.equal((await call('DELETE', 'sys/auth/team/people', { token: root })).status, 204);
      assert.equal((await call('GET', 'sys/auth/team/people', { token: root })).status, 404);
      assert.equal((await call('GET', 'auth/token/lookup-self', { token })).status, 403);
      const gone = await call('POST', 'auth/team/people/login/ann', { body: { password: 'pw' } });
      assert.notEqual(gone.status, 200);
    });

    it('refuses a path inside or above an enabled method, and unknown types', async () => {
      for (const path of ['userpass/inner', 'approle']) {
        const refused = await call('POST', `sys/auth/${path}`, {
          token: root,
          body: { type: 'userpass' },
        });
        assert.equal(refused.status, 400, path);
      }
      const unknown = await call('POST', 'sys/auth/x', { token: root, body: { type: 'nope' } });
      assert.equal(unknown.status, 400);
    });

    it('needs a token with sudo on sys/auth to enable a method', async () => {
      const login = await call('POST', 'auth/userpass/users/u', {
        token: root,
        body: { password: 'pw' },
      });
      assert.equal(login.status, 204);
      const user = await call('POST', 'auth/userpass/login/u', { body: { password: 'pw' } });
      const token = user.json.auth.client_token as string;
      const refused = await call('POST', 'sys/auth/more', { token, body: { type: 'userpass' } });
      assert.equal(refused.status, 403);
    });

    it('ends the batch tokens of a disabled method, even once it is enabled again', async () => {
      const body = { password: 'pw', token_type: 'batch' };
      const created = await call('POST', 'auth/userpass/users/bea', { token: root, body });
      assert.equal(created.status, 204, JSON.stringify(created.json));
      const login = await call('POST', 'auth/userpass/login/bea', { body: { password: 'pw' } });
      assert.equal(login.status, 200, JSON.stringify(login.json));
      const token = login.json.auth.client_token as string;
      assert.match(token, /^hvb\./u);
      assert.equal((await call('GET', 'auth/token/lookup-self', { token })).status, 200);

      assert.equal((await call('DELETE', 'sys/auth/userpass', { token: root })).status, 204);
      const gone = await call('GET', 'auth/token/lookup-self', { token });
      assert.equal(gone.status, 403);
      assert.deepEqual(gone.json.errors, ['permission denied']);
      assert.equal((await call('POST', 'auth/token/renew-self', { token })).status, 403);
      // The default policy lets a token read its own cubbyhole: refused as well.
      assert.equal((await call('GET', 'cubbyhole/x', { token })).status, 403);

      // The same path enabled again is a new mount, with a new accessor.
      const enable = { type: 'userpass' };
      const again = await call('POST', 'sys/auth/userpass', { token: root, body: enable });
      assert.equal(again.status, 204);
      assert.equal((await call('GET', 'auth/token/lookup-self', { token })).status, 403);
      assert.equal((await call('POST', 'auth/token/renew-self', { token })).status, 403);
    });

    it('ends them as well where another token names them in the body', async () => {
      const body = { password: 'pw', token_type: 'batch' };
      const created = await call('POST', 'auth/userpass/users/bea', { token: root, body });
      assert.equal(created.status, 204, JSON.stringify(created.json));
      const login = await call('POST', 'auth/userpass/login/bea', { body: { password: 'pw' } });
      assert.equal(login.status, 200, JSON.stringify(login.json));
      const token = login.json.auth.client_token as string;
      const before = await call('POST', 'auth/token/lookup', { token: root, body: { token } });
      assert.equal(before.status, 200, JSON.stringify(before.json));

      assert.equal((await call('DELETE', 'sys/auth/userpass', { token: root })).status, 204);
      const lookup = await call('POST', 'auth/token/lookup', { token: root, body: { token } });
      assert.equal(lookup.status, 403, JSON.stringify(lookup.json));
      const renew = await call('POST', 'auth/token/renew', { token: root, body: { token } });
      assert.equal(renew.status, 400, JSON.stringify(renew.json));
      assert.deepEqual(renew.json.errors, ['token not found']);
      // Revoking a batch token is a no-op, dead or alive: it still answers 204.
      const revoke = await call('POST', 'auth/token/revoke', { token: root, body: { token } });
      assert.equal(revoke.status, 204, JSON.stringify(revoke.json));
    });
  });

  describe('userpass', () => {
    beforeEach(async () => {
      const body = { password: 'foo', token_policies: 'admins' };
      const created = await call('POST', 'auth/userpass/users/mitchellh', { token: root, body });
      assert.equal(created.status, 204, JSON.stringify(created.json));
    });

    it('logs in without a token and answers with a working orphan token', async () => {
      const body = { password: 'foo' };
      const login = await call('POST', 'auth/userpass/login/MitchellH', { body });
      assert.equal(login.status, 200, JSON.stringify(login.json));
      assert.deepEqual(login.json.auth.metadata, { username: 'mitchellh' });
      assert.deepEqual(login.json.auth.token_policies, ['admins', 'default']);
      assert.equal(login.json.auth.orphan, true);

      const token = login.json.auth.client_token as string;
      const self = await call('GET', 'auth/token/lookup-self', { token });
      assert.equal(self.status, 200);
      assert.equal(self.json.data.display_name, 'userpass-mitchellh');
    });

    it('issues the token the user record describes, legacy field names included', async () => {
      const users: Record<string, object> = {
        limited: {
          token_policies: 'dev',
          token_no_default_policy: true,
          token_num_uses: 2,
          token_ttl: '10m',
          token_explicit_max_ttl: '1h',
          token_bound_cidrs: '10.0.0.0/8',
        },
        legacy: { policies: 'dev', period: '30m', bound_cidr_list: '10.0.0.0/8' },
        batch: { token_policies: 'dev', token_type: 'batch', token_ttl: '5m' },
      };
      // Without the default policy, the token can look itself up only through `dev`.
      const policy = { policy: 'path "auth/token/lookup-self" { capabilities = ["read"] }' };
      const written = await call('POST', 'sys/policies/acl/dev', { token: root, body: policy });
      assert.equal(written.status, 204, JSON.stringify(written.json));
      const looked: Record<string, Record<string, unknown>> = {};
      for (const [name, fields] of Object.entries(users)) {
        const body = { password: 'pw', ...fields };
        const created = await call('POST', `auth/userpass/users/${name}`, { token: root, body });
        assert.equal(created.status, 204, JSON.stringify(created.json));
        const login = await call('POST', `auth/userpass/login/${name}`, {
          body: { password: 'pw' },
          remote: '10.1.2.3',
        });
        assert.equal(login.status, 200, JSON.stringify(login.json));
        const token = login.json.auth.client_token as string;
        // Looked up by root, so that no use of the token is spent.
        const lookup = await call('POST', 'auth/token/lookup', { token: root, body: { token } });
        assert.equal(lookup.status, 200, JSON.stringify(lookup.json));
        looked[name] = { ...lookup.json.data, token_type: login.json.auth.token_type, token };
      }

      const { limited, legacy, batch } = looked as Record<string, Record<string, unknown>>;
      assert.deepEqual(limited?.policies, ['dev']);
      assert.equal(limited?.num_uses, 2);
      assert.equal(limited?.ttl, 600);
      assert.equal(limited?.explicit_max_ttl, 3600);
      assert.deepEqual(limited?.bound_cidrs, ['10.0.0.0/8']);
      assert.equal(limited?.orphan, true);

      assert.deepEqual(legacy?.policies, ['default', 'dev']);
      assert.equal(legacy?.period, 1800);
      assert.equal(legacy?.ttl, 1800);
      assert.deepEqual(legacy?.bound_cidrs, ['10.0.0.0/8']);

      assert.equal(batch?.token_type, 'batch');
      assert.equal(batch?.type, 'batch');
      assert.match(String(batch?.token), /^hvb\./u);
      assert.equal(batch?.ttl, 300);

      // The limited token: two uses, from inside its block only, then it is gone.
      const token = String(limited?.token);
      const outside = await call('GET', 'auth/token/lookup-self', { token, remote: '192.0.2.1' });
      assert.equal(outside.status, 403);
      for (let use = 0; use < 2; use++) {
        const self = await call('GET', 'auth/token/lookup-self', { token, remote: '10.1.2.3' });
        assert.equal(self.status, 200, `use ${use + 1}`);
      }
      const spent = await call('GET', 'auth/token/lookup-self', { token, remote: '10.1.2.3' });
      assert.equal(spent.status, 403);
    });

    it('answers a wrong password and an unknown user with the same 400', async () => {
      for (const name of ['mitchellh', 'nobody']) {
        const refused = await call('POST', `auth/userpass/login/${name}`, {
          body: { password: 'bar' },
        });
        assert.equal(refused.status, 400);
        assert.deepEqual(refused.json.errors, ['invalid username or password']);
      }
    });

    it('locks the user after 5 failures whatever the case of the name', async () => {
      for (const name of ['mitchellh', 'MITCHELLH', 'MitchellH', 'mitchellH', 'Mitchellh']) {
        const refused = await call('POST', `auth/userpass/login/${name}`, {
          body: { password: 'wrong' },
        });
        assert.equal(refused.status, 400);
      }
      const locked = await call('POST', 'auth/userpass/login/mitchellh', {
        body: { password: 'foo' },
      });
      assert.equal(locked.status, 429);
    });

    it("renews a login token on the user's TTL settings as they are at the renewal", async () => {
      const user = { token_ttl: '1h', token_explicit_max_ttl: '3h' };
      const set = await call('POST', 'auth/userpass/users/mitchellh', { token: root, body: user });
      assert.equal(set.status, 204, JSON.stringify(set.json));
      const login = await call('POST', 'auth/userpass/login/mitchellh', {
        body: { password: 'foo' },
      });
      assert.equal(login.status, 200, JSON.stringify(login.json));
      assert.equal(login.json.auth.lease_duration, 3600);
      const token = login.json.auth.client_token as string;
      const renew = (body: object = {}) => call('POST', 'auth/token/renew-self', { token, body });

      // A longer token_ttl applies to the next renewal without an increment.
      const longer = { token_ttl: '2h' };
      const changed = await call('POST', 'auth/userpass/users/mitchellh', {
        token: root,
        body: longer,
      });
      assert.equal(changed.status, 204, JSON.stringify(changed.json));
      const renewed = await renew();
      assert.equal(renewed.status, 200, JSON.stringify(renewed.json));
      assert.equal(renewed.json.auth.lease_duration, 7200);
      // An increment the client asks for still wins over the user's TTL, as in Vault.
      assert.equal((await renew({ increment: '10m' })).json.auth.lease_duration, 600);

      // A period set since the login makes the token periodic...
      const periodic = { token_period: '30m' };
      const again = await call('POST', 'auth/userpass/users/mitchellh', {
        token: root,
        body: periodic,
      });
      assert.equal(again.status, 204, JSON.stringify(again.json));
      const renewedPeriodic = await renew();
      assert.equal(renewedPeriodic.json.auth.lease_duration, 1800);
      const self = await call('GET', 'auth/token/lookup-self', { token });
      assert.equal(self.json.data.period, 1800);

      // ...and the explicit max TTL of the login still caps every renewal.
      const long = { token_period: 0, token_ttl: '5h' };
      const third = await call('POST', 'auth/userpass/users/mitchellh', {
        token: root,
        body: long,
      });
      assert.equal(third.status, 204, JSON.stringify(third.json));
      const capped = await renew();
      assert.equal(capped.status, 200, JSON.stringify(capped.json));
      assert.equal(capped.json.auth.lease_duration, 3 * 3600);
    });

    it('unlocks the user named in any case, as its logins are counted', async () => {
      for (let i = 0; i < 5; i++) {
        const refused = await call('POST', 'auth/userpass/login/mitchellh', {
          body: { password: 'wrong' },
        });
        assert.equal(refused.status, 400);
      }
      const listed = await call('GET', 'sys/auth', { token: root });
      const accessor = (listed.json.data['userpass/'] as { accessor: string }).accessor;
      const unlock = await call('POST', `sys/locked-users/${accessor}/unlock/MitchellH`, {
        token: root,
      });
      assert.equal(unlock.status, 204, JSON.stringify(unlock.json));
      const login = await call('POST', 'auth/userpass/login/mitchellh', {
        body: { password: 'foo' },
      });
      assert.equal(login.status, 200, JSON.stringify(login.json));
    });
  });

  describe('AppRole', () => {
    let roleId: string;

    beforeEach(async () => {
      const body = { token_policies: 'dev', secret_id_bound_cidrs: '10.0.0.0/8' };
      const created = await call('POST', 'auth/approle/role/app', { token: root, body });
      assert.equal(created.status, 204);
      const read = await call('GET', 'auth/approle/role/app/role-id', { token: root });
      roleId = read.json.data.role_id as string;
    });

    const secretId = async (body: object = {}): Promise<string> => {
      const issued = await call('POST', 'auth/approle/role/app/secret-id', { token: root, body });
      assert.equal(issued.status, 200, JSON.stringify(issued.json));
      return issued.json.data.secret_id as string;
    };

    /** A login to role `app` from inside its secret_id_bound_cidrs. */
    const loginWith = (secret_id: string) =>
      call('POST', 'auth/approle/login', {
        body: { role_id: roleId, secret_id },
        remote: '10.0.0.5',
      });

    it('logs in once with a one-use secret ID, with the role name in the metadata', async () => {
      const secret = await secretId({ num_uses: 1 });
      const body = { role_id: roleId, secret_id: secret };
      const login = await call('POST', 'auth/approle/login', { body, remote: '10.0.0.5' });
      assert.equal(login.status, 200, JSON.stringify(login.json));
      assert.deepEqual(login.json.auth.metadata, { role_name: 'app' });
      assert.deepEqual(login.json.auth.token_policies, ['default', 'dev']);

      const again = await call('POST', 'auth/approle/login', { body, remote: '10.0.0.5' });
      assert.equal(again.status, 400);
      assert.deepEqual(again.json.errors, ['invalid role or secret ID']);
    });

    it('locks the role after 5 bad secret IDs', async () => {
      const secret = await secretId();
      for (let i = 0; i < 5; i++) assert.equal((await loginWith(`guess-${i}`)).status, 400);
      assert.equal((await loginWith(secret)).status, 429);
    });

    it('keeps a locked role locked once the backends were rebuilt', async () => {
      const secret = await secretId();
      for (let i = 0; i < 5; i++) assert.equal((await loginWith(`guess-${i}`)).status, 400);
      // Any change of the auth table rebuilds every backend, as a new leader or a restart
      // does: the role a role_id names is no longer known before the login runs.
      const body = { type: 'approle' };
      const more = await call('POST', 'sys/auth/approle2', { token: root, body });
      assert.equal(more.status, 204);
      const locked = await loginWith(secret);
      assert.equal(locked.status, 429, JSON.stringify(locked.json));
    });

    it('forgets earlier failures after a login the node had no hint for', async () => {
      const secret = await secretId();
      for (let i = 0; i < 4; i++) assert.equal((await loginWith(`guess-${i}`)).status, 400);
      // Rebuilding the backends drops the role_id hint: the core learns the role only from the
      // login itself, and must clear the role's failures under that name.
      const body = { type: 'approle' };
      assert.equal((await call('POST', 'sys/auth/approle2', { token: root, body })).status, 204);
      const good = await loginWith(secret);
      assert.equal(good.status, 200, JSON.stringify(good.json));
      for (let i = 0; i < 4; i++) {
        assert.equal((await loginWith(`again-${i}`)).status, 400, `failure ${i + 1} after the login`);
      }
      assert.equal((await loginWith(secret)).status, 200);
    });

    it('does not count logins from outside secret_id_bound_cidrs towards the lockout', async () => {
      const secret = await secretId();
      const body = { role_id: roleId, secret_id: secret };
      for (let i = 0; i < 6; i++) {
        const outside = await call('POST', 'auth/approle/login', { body, remote: '192.0.2.1' });
        assert.equal(outside.status, 400);
        assert.match(outside.json.errors[0] ?? '', /unauthorized through CIDR restrictions/);
      }
      const inside = await call('POST', 'auth/approle/login', { body, remote: '10.0.0.5' });
      assert.equal(inside.status, 200);
    });
  });
});
