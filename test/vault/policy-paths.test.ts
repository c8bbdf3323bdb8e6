/** The `sys/` policy and capability paths, driven through a PathBackend with a fake host. */
import assert from 'node:assert/strict';

import {
  InmemStorage,
  InvalidRequestError,
  makeRequest,
  PathBackend,
  PermissionDeniedError,
  type Operation,
  type Response,
} from '../../src/logical/index.js';
import { InvalidPolicyError, PolicyStore, type Acl } from '../../src/policy/index.js';
import { policyPaths, type PolicyPathsHost } from '../../src/vault/sys/policy-paths.js';

const DEV = 'path "secret/data/app/*" {\n  capabilities = ["read", "update"]\n}\n';

class FakeHost implements PolicyPathsHost {
  /** Token id to policy names. */
  readonly tokens = new Map<string, string[]>();
  /** Accessor to policy names. */
  readonly accessors = new Map<string, string[]>();

  constructor(readonly store: PolicyStore) {}

  policies(): PolicyStore {
    return this.store;
  }

  async aclForToken(token: string): Promise<Acl | null> {
    const names = this.tokens.get(token);
    return names === undefined ? null : this.store.acl(names);
  }

  async aclForAccessor(accessor: string): Promise<Acl | null> {
    const names = this.accessors.get(accessor);
    return names === undefined ? null : this.store.acl(names);
  }
}

describe('policy paths', () => {
  let host: FakeHost;
  let backend: PathBackend;
  let ids = 0;

  const call = (
    operation: Operation,
    path: string,
    data: Record<string, unknown> = {},
    clientToken?: string,
  ): Promise<Response | null> =>
    backend.handleRequest(makeRequest({ operation, path, data, clientToken }, () => `r-${++ids}`));

  beforeEach(async () => {
    host = new FakeHost(await PolicyStore.open(new InmemStorage()));
    backend = new PathBackend(policyPaths(host));
    host.tokens.set('t-dev', ['dev']);
    host.tokens.set('t-root', ['root']);
    host.accessors.set('a-dev', ['dev', 'default']);
  });

  describe('sys/policies/acl', () => {
    it('lists the stored policies with root last', async () => {
      await call('update', 'policies/acl/dev', { policy: DEV });
      const response = await call('list', 'policies/acl/');
      assert.deepEqual(response?.data, { keys: ['default', 'dev', 'root'] });
      assert.equal(response?.dataAtTopLevel, true);
    });

    it('writes a policy and reads it back as {name, policy}', async () => {
      assert.equal(await call('update', 'policies/acl/Dev', { policy: DEV }), null);
      const response = await call('read', 'policies/acl/dev');
      assert.deepEqual(response?.data, { name: 'dev', policy: DEV });
    });

    it('accepts a base64-encoded policy and stores the decoded text', async () => {
      const policy = Buffer.from(DEV).toString('base64');
      await call('create', 'policies/acl/dev', { policy });
      assert.equal((await call('read', 'policies/acl/dev'))?.data?.policy, DEV);
    });

    it('answers null (a 404) for a missing policy and reads root as empty', async () => {
      assert.equal(await call('read', 'policies/acl/nope'), null);
      assert.deepEqual((await call('read', 'policies/acl/root'))?.data, {
        name: 'root',
        policy: '',
      });
    });

    it('refuses an invalid policy with the line of the problem', async () => {
      await assert.rejects(
        call('update', 'policies/acl/dev', { policy: 'path "a" {\n  capabilities = ["reed"]\n}' }),
        (err: unknown) =>
          err instanceof InvalidPolicyError &&
          err.message === 'policy line 2: unknown capability "reed"',
      );
    });

    it('refuses to write root and to delete default or root', async () => {
      const root = call('update', 'policies/acl/ Root ', { policy: DEV });
      await assert.rejects(root, InvalidRequestError);
      await assert.rejects(call('delete', 'policies/acl/default'), InvalidRequestError);
      await assert.rejects(call('delete', 'policies/acl/root'), InvalidRequestError);
      await assert.rejects(call('update', 'policies/acl/dev', { policy: '' }), /not supplied/);
    });

    it('deletes a policy', async () => {
      await call('update', 'policies/acl/dev', { policy: DEV });
      assert.equal(await call('delete', 'policies/acl/dev'), null);
      assert.equal(await call('read', 'policies/acl/dev'), null);
    });
  });

  describe('sys/policy (the older API)', () => {
    it('lists as {policies, keys} on read and on list', async () => {
      for (const [operation, path] of [
        ['read', 'policy'],
        ['list', 'policy/'],
      ] as const) {
        const response = await call(operation, path);
        const names = ['default', 'root'];
        assert.deepEqual(response?.data, { policies: names, keys: names });
      }
    });

    it('writes with policy, reads as {name, rules}', async () => {
      assert.equal(await call('update', 'policy/dev', { policy: DEV }), null);
      assert.deepEqual((await call('read', 'policy/dev'))?.data, { name: 'dev', rules: DEV });
    });

    it('writes with the deprecated rules field, with a warning', async () => {
      const response = await call('update', 'policy/dev', { rules: DEV });
      assert.deepEqual(response?.warnings, ["'rules' is deprecated, please use 'policy' instead"]);
      assert.equal((await call('read', 'policy/dev'))?.data?.rules, DEV);
    });

    it('deletes through the older path too', async () => {
      await call('update', 'policy/dev', { policy: DEV });
      await call('delete', 'policy/dev');
      assert.equal(await call('read', 'policy/dev'), null);
    });
  });

  describe('sys/capabilities*', () => {
    beforeEach(async () => {
      await call('update', 'policies/acl/dev', { policy: DEV });
    });

    it('reports a token\'s capabilities on one path, also as "capabilities"', async () => {
      const response = await call('update', 'capabilities', {
        token: 't-dev',
        paths: ['secret/data/app/db'],
      });
      assert.deepEqual(response?.data, {
        'secret/data/app/db': ['read', 'update'],
        capabilities: ['read', 'update'],
      });
      assert.equal(response?.dataAtTopLevel, true);
    });

    it('reports several paths without the "capabilities" key', async () => {
      const response = await call('update', 'capabilities', {
        token: 't-dev',
        paths: ['secret/data/app/db', 'sys/mounts'],
      });
      assert.deepEqual(response?.data, {
        'secret/data/app/db': ['read', 'update'],
        'sys/mounts': ['deny'],
      });
    });

    it('takes the deprecated path field, comma-separated', async () => {
      const response = await call('update', 'capabilities', {
        token: 't-root',
        path: 'a,b',
      });
      assert.deepEqual(response?.data, { a: ['root'], b: ['root'] });
    });

    it('refuses an unknown or missing token with 400, and missing paths', async () => {
      const unknown = call('update', 'capabilities', { token: 'nope', paths: ['a'] });
      await assert.rejects(unknown, /invalid token/);
      await assert.rejects(call('update', 'capabilities', { paths: ['a'] }), InvalidRequestError);
      await assert.rejects(
        call('update', 'capabilities', { token: 't-dev' }),
        /paths must be supplied/,
      );
    });

    it('reports the calling token for capabilities-self', async () => {
      const response = await call(
        'update',
        'capabilities-self',
        { paths: ['secret/data/app/x'] },
        't-dev',
      );
      assert.deepEqual(response?.data?.capabilities, ['read', 'update']);
    });

    it('answers 403 to capabilities-self without a valid token', async () => {
      await assert.rejects(
        call('update', 'capabilities-self', { paths: ['a'] }),
        PermissionDeniedError,
      );
      await assert.rejects(
        call('update', 'capabilities-self', { paths: ['a'] }, 'nope'),
        PermissionDeniedError,
      );
    });

    it('reports by accessor, and refuses an unknown accessor', async () => {
      const response = await call('update', 'capabilities-accessor', {
        accessor: 'a-dev',
        paths: ['cubbyhole/x'],
      });
      assert.deepEqual(response?.data?.capabilities, [
        'create',
        'delete',
        'list',
        'read',
        'update',
      ]);
      await assert.rejects(
        call('update', 'capabilities-accessor', { accessor: 'nope', paths: ['a'] }),
        /invalid accessor/,
      );
    });

    it('keeps a path named __proto__ as a plain key', async () => {
      const response = await call('update', 'capabilities', {
        token: 't-dev',
        paths: ['__proto__', 'x'],
      });
      const data = response?.data as Record<string, unknown>;
      assert.deepEqual(Object.keys(data), ['__proto__', 'x']);
      assert.equal(Object.getPrototypeOf(data), Object.prototype);
    });
  });
});
