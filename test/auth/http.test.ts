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
    method: 'GET' | 'POST' | 'DELETE',
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
      const login = (secret_id: string) =>
        call('POST', 'auth/approle/login', {
          body: { role_id: roleId, secret_id },
          remote: '10.0.0.5',
        });
      for (let i = 0; i < 5; i++) assert.equal((await login(`guess-${i}`)).status, 400);
      assert.equal((await login(secret)).status, 429);
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
