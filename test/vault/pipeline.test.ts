/**
 * The request pipeline end to end on one node behind the HTTP layer: policies limit tokens,
 * sudo guards root-protected paths, auth method logins become tokens (bound CIDRs, lockout,
 * revocation when the method is disabled), secrets become leases, token TTLs expire on the
 * cluster clock, and the audit log sees only hashes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { FastifyInstance } from 'fastify';

import {
  DEFAULT_TOKEN_FIELDS,
  LoginFailedError,
  PathBackend,
  type AuthBackend,
  type Backend,
  type BackendFactory,
  type LeasedSecret,
} from '../../src/logical/index.js';
import { initAndUnsealOverHttp, startNode, type Node } from '../http/support.js';

/** A login method for tests: `login/<name>` with `password` = `right`; policies from the body. */
const fakeAuth: BackendFactory = () => {
  const backend = new PathBackend([
    {
      pattern: 'login/(?<name>.+)',
      fields: {
        name: { type: 'string', description: '' },
        password: { type: 'string', description: '' },
        policies: { type: 'string-list', description: '' },
        bound: { type: 'string-list', description: '' },
      },
      operations: {
        update: async (_request, fields) => {
          const name = fields.string('name').toLowerCase();
          if (fields.string('password') !== 'right') {
            throw new LoginFailedError('invalid username or password', name);
          }
          return {
            login: {
              alias: name,
              metadata: { username: name },
              token: {
                ...DEFAULT_TOKEN_FIELDS,
                policies: fields.stringList('policies'),
                boundCidrs: fields.stringList('bound'),
              },
            },
          };
        },
      },
      synopsis: 'log in',
    },
  ]);
  const method: AuthBackend = Object.assign(backend, {
    isLoginPath: (relative: string) => relative.startsWith('login/'),
    loginAlias: (request: { path: string }) =>
      request.path.startsWith('login/') ? request.path.slice('login/'.length).toLowerCase() : null,
  });
  return method;
};

/** An engine that hands out a leased secret at `creds` and records revocations. */
function leasingEngine(revoked: LeasedSecret[]): BackendFactory {
  return (): Backend =>
    Object.assign(
      new PathBackend([
        {
          pattern: 'creds',
          operations: {
            read: async () => ({
              data: { username: 'u1' },
              secret: { ttl: 60, renewable: true, internal: { username: 'u1' } },
            }),
          },
          synopsis: 'creds',
        },
      ]),
      { revokeSecret: async (secret: LeasedSecret) => void revoked.push(secret) },
    );
}

describe('Request pipeline', () => {
  let node: Node;
  let app: FastifyInstance;
  let root: string;
  let unsealKeys: string[];
  let clock: number;
  const revoked: LeasedSecret[] = [];
  let dir: string;

  const call = async (
    method: string,
    url: string,
    options: { token?: string; body?: unknown; remote?: string } = {},
  ) => {
    const response = await app.inject({
      method: method as 'GET',
      url: `/v1/${url}`,
      headers: options.token === undefined ? {} : { 'x-vault-token': options.token },
      ...(options.body === undefined ? {} : { payload: options.body as object }),
      ...(options.remote === undefined ? {} : { remoteAddress: options.remote }),
    });
    const text = response.body;
    return {
      status: response.statusCode,
      headers: response.headers,
      json: (text.length > 0 ? JSON.parse(text) : null) as Record<string, unknown> & {
        data: Record<string, unknown>;
        auth: Record<string, unknown>;
        errors: string[];
      },
    };
  };

  beforeEach(async () => {
    clock = Date.UTC(2026, 0, 1);
    revoked.length = 0;
    dir = mkdtempSync(path.join(tmpdir(), 'coffer-pipeline-'));
    node = startNode({
      now: () => clock,
      clockBeaconMs: 0,
      authMethods: { fake: fakeAuth },
      engines: {
        kv: (await import('../../src/engines/kv/index.js')).createKvBackend,
        leasing: leasingEngine(revoked),
      },
    });
    app = node.app;
    ({ rootToken: root, keys: unsealKeys } = await initAndUnsealOverHttp(app));
  });

  afterEach(async () => {
    node.core.sealNode();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function tokenWith(policy: string): Promise<string> {
    assert.equal(
      (await call('PUT', 'sys/policies/acl/p', { token: root, body: { policy } })).status,
      204,
    );
    const created = await call('POST', 'auth/token/create', {
      token: root,
      body: { policies: ['p'] },
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    return created.json.auth.client_token as string;
  }

  describe('policies', () => {
    it('lets a token do what its policy grants and nothing else', async () => {
      const token = await tokenWith('path "secret/data/app/*" { capabilities = ["create", "read"] }');
      const body = { data: { password: 'p' } };
      assert.equal((await call('PUT', 'secret/data/app/db', { token, body })).status, 200);
      const read = await call('GET', 'secret/data/app/db', { token });
      assert.equal(read.status, 200);
      assert.deepEqual((read.json.data.data as Record<string, unknown>).password, 'p');

      for (const [method, url] of [
        ['GET', 'secret/data/other'],
        ['PUT', 'secret/data/other'],
        ['GET', 'sys/mounts'],
        ['DELETE', 'secret/data/app/db'],
      ] as const) {
        const refused = await call(method, url, { token, body: method === 'PUT' ? body : undefined });
        assert.equal(refused.status, 403, `${method} ${url}`);
        assert.deepEqual(refused.json.errors, ['permission denied']);
      }
    });

    it('asks an update of an existing item for update, of a new one for create', async () => {
      const token = await tokenWith('path "secret/data/*" { capabilities = ["create"] }');
      const body = { data: { a: 1 } };
      assert.equal((await call('PUT', 'secret/data/x', { token, body })).status, 200);
      assert.equal((await call('PUT', 'secret/data/x', { token, body })).status, 403);
    });

    it('answers the KV preflight for a mount the token has any capability under', async () => {
      const token = await tokenWith('path "secret/data/app/*" { capabilities = ["read"] }');
      const allowed = await call('GET', 'sys/internal/ui/mounts/secret/app/db', { token });
      assert.equal(allowed.status, 200, JSON.stringify(allowed.json));
      assert.equal(allowed.json.data.path, 'secret/');
      // The default policy grants cubbyhole/; nothing grants sys/ or a path with no mount.
      const cubbyhole = await call('GET', 'sys/internal/ui/mounts/cubbyhole/x', { token });
      assert.equal(cubbyhole.status, 200);
      for (const url of ['sys/x', 'nowhere/x']) {
        const refused = await call('GET', `sys/internal/ui/mounts/${url}`, { token });
        assert.equal(refused.status, 403, url);
      }
      const denied = await tokenWith('path "secret/*" { capabilities = ["deny"] }');
      const refused = await call('GET', 'sys/internal/ui/mounts/secret/app', { token: denied });
      assert.equal(refused.status, 403);
    });

    it('needs sudo on root-protected paths besides the capability', async () => {
      const plain = await tokenWith('path "sys/audit/*" { capabilities = ["update"] }');
      const body = { type: 'file', options: { file_path: path.join(dir, 'a.log') } };
      assert.equal((await call('PUT', 'sys/audit/file', { token: plain, body })).status, 403);
      const sudo = await tokenWith('path "sys/audit/*" { capabilities = ["update", "sudo"] }');
      assert.equal((await call('PUT', 'sys/audit/file', { token: sudo, body })).status, 204);
    });
  });

  describe('tokens', () => {
    it('revokes the children of a revoked token', async () => {
      const parent = await tokenWith('path "auth/token/create" { capabilities = ["update"] }');
      const child = (await call('POST', 'auth/token/create', { token: parent })).json.auth
        .client_token as string;
      assert.equal((await call('GET', 'auth/token/lookup-self', { token: child })).status, 200);
      assert.equal((await call('POST', 'auth/token/revoke-self', { token: parent })).status, 204);
      assert.equal((await call('GET', 'auth/token/lookup-self', { token: child })).status, 403);
    });

    it('refuses a token once its TTL has passed on the cluster clock', async () => {
      const created = await call('POST', 'auth/token/create', { token: root, body: { ttl: '60s' } });
      const token = created.json.auth.client_token as string;
      clock += 59_000;
      assert.equal((await call('GET', 'auth/token/lookup-self', { token })).status, 200);
      clock += 2_000;
      assert.equal((await call('GET', 'auth/token/lookup-self', { token })).status, 403);
    });
  });

  describe('auth methods', () => {
    beforeEach(async () => {
      assert.equal(
        (await call('POST', 'sys/auth/fake', { token: root, body: { type: 'fake' } })).status,
        204,
      );
    });

    it('lists the method beside the token method, without the auth/ prefix', async () => {
      const listed = await call('GET', 'sys/auth', { token: root });
      assert.equal(listed.status, 200);
      assert.deepEqual(Object.keys(listed.json.data).sort(), ['fake/', 'token/']);
      assert.equal((listed.json.data['fake/'] as { type: string }).type, 'fake');
    });

    it('logs in without a token and gets an orphan token with the policies asked for', async () => {
      const login = await call('POST', 'auth/fake/login/Alice', {
        body: { password: 'right', policies: ['p'] },
      });
      assert.equal(login.status, 200, JSON.stringify(login.json));
      const auth = login.json.auth;
      assert.deepEqual(auth.policies, ['default', 'p']);
      assert.deepEqual(auth.metadata, { username: 'alice' });
      assert.equal(auth.orphan, true);
      const self = await call('GET', 'auth/token/lookup-self', {
        token: auth.client_token as string,
      });
      assert.equal(self.json.data.display_name, 'fake-alice');
      assert.equal(self.json.data.path, 'auth/fake/login/Alice');
    });

    it('refuses a bound token used from outside its CIDR blocks', async () => {
      const login = await call('POST', 'auth/fake/login/bob', {
        body: { password: 'right', bound: ['10.1.0.0/16'] },
      });
      const token = login.json.auth.client_token as string;
      const inside = await call('GET', 'auth/token/lookup-self', { token, remote: '10.1.2.3' });
      assert.equal(inside.status, 200);
      const outside = await call('GET', 'auth/token/lookup-self', { token, remote: '127.0.0.1' });
      assert.equal(outside.status, 403);
    });

    it('locks a user after 5 failures, answers 429 with Retry-After, and unlocks', async () => {
      for (let i = 0; i < 5; i += 1) {
        const failed = await call('POST', 'auth/fake/login/carol', { body: { password: 'wrong' } });
        assert.equal(failed.status, 400);
      }
      const locked = await call('POST', 'auth/fake/login/CAROL', { body: { password: 'right' } });
      assert.equal(locked.status, 429);
      assert.ok(Number(locked.headers['retry-after']) > 0);
      // Another user of the same method is not affected.
      const other = await call('POST', 'auth/fake/login/dave', { body: { password: 'right' } });
      assert.equal(other.status, 200);

      const listed = await call('GET', 'sys/locked-users', { token: root });
      const mounts = (listed.json.data.by_namespace as { mount_accessors: unknown[] }[])[0]
        ?.mount_accessors as { mount_accessor: string; alias_identifiers: string[] }[];
      assert.deepEqual(mounts[0]?.alias_identifiers, ['carol']);
      const accessor = mounts[0]?.mount_accessor ?? '';
      const unlock = await call('POST', `sys/locked-users/${accessor}/unlock/carol`, {
        token: root,
      });
      assert.equal(unlock.status, 204);
      const again = await call('POST', 'auth/fake/login/carol', { body: { password: 'right' } });
      assert.equal(again.status, 200);
    });

    it('lifts the lockout once its time has passed', async () => {
      for (let i = 0; i < 5; i += 1) {
        await call('POST', 'auth/fake/login/erin', { body: { password: 'wrong' } });
      }
      assert.equal(
        (await call('POST', 'auth/fake/login/erin', { body: { password: 'right' } })).status,
        429,
      );
      clock += 15 * 60_000 + 1_000;
      assert.equal(
        (await call('POST', 'auth/fake/login/erin', { body: { password: 'right' } })).status,
        200,
      );
    });

    it('revokes every token the method issued when it is disabled', async () => {
      const login = await call('POST', 'auth/fake/login/frank', { body: { password: 'right' } });
      const token = login.json.auth.client_token as string;
      assert.equal((await call('GET', 'auth/token/lookup-self', { token })).status, 200);
      assert.equal((await call('DELETE', 'sys/auth/fake', { token: root })).status, 204);
      assert.equal((await call('GET', 'auth/token/lookup-self', { token })).status, 403);
      const listed = await call('GET', 'sys/auth', { token: root });
      assert.deepEqual(Object.keys(listed.json.data), ['token/']);
    });

    it('refuses to disable or re-enable the token method', async () => {
      assert.equal((await call('DELETE', 'sys/auth/token', { token: root })).status, 400);
      const again = await call('POST', 'sys/auth/token2', { token: root, body: { type: 'token' } });
      assert.equal(again.status, 400);
    });
  });

  describe('leases', () => {
    it('registers a secret as a lease, looks it up and revokes it through its engine', async () => {
      const mount = await call('POST', 'sys/mounts/db', { token: root, body: { type: 'leasing' } });
      assert.equal(mount.status, 204);
      const creds = await call('GET', 'db/creds', { token: root });
      assert.equal(creds.status, 200);
      const leaseId = creds.json.lease_id as string;
      assert.match(leaseId, /^db\/creds\/.+/u);
      assert.equal(creds.json.lease_duration, 60);

      const lookup = await call('PUT', 'sys/leases/lookup', {
        token: root,
        body: { lease_id: leaseId },
      });
      assert.equal(lookup.status, 200);
      assert.equal(lookup.json.data.id, leaseId);

      const revoke = await call('PUT', 'sys/leases/revoke', {
        token: root,
        body: { lease_id: leaseId },
      });
      assert.equal(revoke.status, 204);
      assert.deepEqual(
        revoked.map((secret) => secret.internal),
        [{ username: 'u1' }],
      );
    });

    it("revokes a token's leases with the token", async () => {
      await call('POST', 'sys/mounts/db', { token: root, body: { type: 'leasing' } });
      const child = (
        await call('POST', 'auth/token/create', { token: root, body: { policies: ['root'] } })
      ).json.auth.client_token as string;
      assert.equal((await call('GET', 'db/creds', { token: child })).status, 200);
      assert.equal((await call('POST', 'auth/token/revoke-self', { token: child })).status, 204);
      assert.equal(revoked.length, 1);
    });
  });

  describe('audit', () => {
    it('logs requests and responses with secrets and tokens hashed', async () => {
      const file = path.join(dir, 'audit.log');
      const enabled = await call('PUT', 'sys/audit/file', {
        token: root,
        body: { type: 'file', options: { file_path: file } },
      });
      assert.equal(enabled.status, 204);
      const secret = 'correct-horse-battery-staple';
      const body = { data: { password: secret } };
      assert.equal((await call('PUT', 'secret/data/app', { token: root, body })).status, 200);
      assert.equal((await call('GET', 'secret/data/app', { token: root })).status, 200);

      const text = readFileSync(file, 'utf8');
      const lines = text.trim().split('\n').map((line) => JSON.parse(line) as { type: string });
      assert.ok(lines.length >= 4, `${lines.length} lines`);
      assert.ok(lines.some((line) => line.type === 'request'));
      assert.ok(lines.some((line) => line.type === 'response'));
      assert.ok(!text.includes(secret), 'the secret is in the audit log');
      assert.ok(!text.includes(root), 'the root token is in the audit log');
      assert.ok(text.includes('hmac-sha256:'));
    });

    it('fails closed: no device can write, so no secret leaves and no write is made', async () => {
      const logs = path.join(dir, 'logs');
      mkdirSync(logs);
      const enabled = await call('PUT', 'sys/audit/file', {
        token: root,
        body: { type: 'file', options: { file_path: path.join(logs, 'audit.log') } },
      });
      assert.equal(enabled.status, 204);
      const secret = 'correct-horse-battery-staple';
      const body = { data: { password: secret } };
      assert.equal((await call('PUT', 'secret/data/app', { token: root, body })).status, 200);

      // The log's directory is gone when the node unseals: its only device cannot write.
      assert.equal((await call('PUT', 'sys/seal', { token: root })).status, 204);
      rmSync(logs, { recursive: true, force: true });
      for (const key of unsealKeys.slice(0, 3)) {
        await call('PUT', 'sys/unseal', { body: { key } });
      }

      const read = await call('GET', 'secret/data/app', { token: root });
      assert.equal(read.status, 500);
      assert.equal(read.headers['content-type'], 'application/json');
      assert.deepEqual(Object.keys(read.json), ['errors']);
      assert.ok(!JSON.stringify(read.json).includes(secret), 'the secret left unaudited');
      const other = { data: { password: 'never-written' } };
      const write = await call('PUT', 'secret/data/app', { token: root, body: other });
      assert.equal(write.status, 500);

      // Once the device can write again, the secret is where it was, at version 1.
      mkdirSync(logs);
      const after = await call('GET', 'secret/data/app', { token: root });
      assert.equal(after.status, 200, JSON.stringify(after.json));
      assert.deepEqual(after.json.data.data, { password: secret });
      assert.equal((after.json.data.metadata as { version: number }).version, 1);
    });
  });
});
