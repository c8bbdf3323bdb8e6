import assert from 'node:assert/strict';

import {
  InternalError,
  InvalidRequestError,
  InmemStorage,
  encodeJson,
} from '../../src/logical/index.js';
import {
  DEFAULT_POLICY,
  InvalidPolicyError,
  PolicyStore,
  normalizePolicyName,
} from '../../src/policy/index.js';

const READ_APP = 'path "secret/app" { capabilities = ["read"] }';
const WRITE_APP = 'path "secret/app" { capabilities = ["update"] }';

describe('PolicyStore', () => {
  let storage: InmemStorage;
  let store: PolicyStore;

  beforeEach(async () => {
    storage = new InmemStorage();
    store = await PolicyStore.open(storage);
  });

  describe('the default policy', () => {
    it('is created on first open', async () => {
      assert.deepEqual(storage.paths(), ['default']);
      const policy = await store.get('default');
      assert.equal(policy?.raw, DEFAULT_POLICY);
      assert.ok((policy?.rules.length ?? 0) > 5);
    });

    it('may be edited, and a later open keeps the edit', async () => {
      await store.put('default', READ_APP);
      const reopened = await PolicyStore.open(storage);
      assert.equal((await reopened.get('default'))?.raw, READ_APP);
    });

    it('cannot be deleted, in any spelling', async () => {
      for (const name of ['default', 'Default', ' DEFAULT ']) {
        await assert.rejects(store.delete(name), InvalidRequestError, name);
      }
      assert.notEqual(await store.get('default'), undefined);
    });
  });

  describe('the root policy', () => {
    it('cannot be written under any name that normalises to root', async () => {
      for (const name of ['root', 'ROOT', ' Root ', '\troot\n']) {
        await assert.rejects(store.put(name, READ_APP), /cannot update "root" policy/, name);
      }
      assert.deepEqual(storage.paths(), ['default']);
    });

    it('cannot be deleted', async () => {
      await assert.rejects(store.delete(' Root '), /cannot delete "root" policy/);
    });

    it('reads as an empty policy and is never listed as stored', async () => {
      assert.deepEqual(await store.get('root'), { name: 'root', raw: '', rules: [] });
      assert.deepEqual(await store.list(), ['default']);
    });
  });

  describe('put, get, list, delete', () => {
    it('stores a policy under its lower-cased, trimmed name', async () => {
      const policy = await store.put(' Dev-Team ', READ_APP);
      assert.equal(policy.name, 'dev-team');
      assert.equal(normalizePolicyName(' Dev-Team '), 'dev-team');
      assert.deepEqual(await store.list(), ['default', 'dev-team']);
      assert.equal((await store.get('DEV-TEAM'))?.raw, READ_APP);
    });

    it('replaces a policy on a second put', async () => {
      await store.put('dev', READ_APP);
      await store.put('dev', WRITE_APP);
      assert.deepEqual((await store.get('dev'))?.rules[0]?.capabilities, ['update']);
    });

    it('refuses an invalid policy and writes nothing', async () => {
      await assert.rejects(
        store.put('dev', 'path "a" {\n  capabilities = ["reed"]\n}'),
        (err: unknown) => err instanceof InvalidPolicyError && err.line === 2,
      );
      assert.equal(await store.get('dev'), undefined);
    });

    it('refuses empty text and invalid names', async () => {
      await assert.rejects(store.put('dev', '  \n'), /'policy' parameter not supplied or empty/);
      for (const name of ['', '   ', 'a/b', '..', 'bad\u0000name']) {
        await assert.rejects(store.put(name, READ_APP), InvalidRequestError, name);
      }
    });

    it('deletes a policy, and deleting an absent one succeeds', async () => {
      await store.put('dev', READ_APP);
      await store.delete('Dev');
      assert.equal(await store.get('dev'), undefined);
      await store.delete('never-existed');
      assert.deepEqual(await store.list(), ['default']);
    });
  });

  describe('acl', () => {
    it('unions the named policies and skips names with no policy', async () => {
      await store.put('reader', READ_APP);
      await store.put('writer', WRITE_APP);
      const acl = await store.acl(['Reader', 'writer', 'missing', 'reader']);
      assert.deepEqual(acl.policyNames, ['reader', 'writer']);
      assert.deepEqual(acl.capabilities('secret/app'), ['read', 'update']);
    });

    it('gives the root ACL when root is among the names', async () => {
      const acl = await store.acl(['default', ' ROOT ']);
      assert.equal(acl.isRoot, true);
    });

    it('reuses a built ACL while the policies are unchanged', async () => {
      await store.put('reader', READ_APP);
      const first = await store.acl(['reader', 'default']);
      assert.equal(await store.acl(['reader', 'default']), first);
    });

    it('reflects a write and a delete on the next call', async () => {
      await store.put('dev', READ_APP);
      assert.deepEqual((await store.acl(['dev'])).capabilities('secret/app'), ['read']);
      await store.put('dev', WRITE_APP);
      assert.deepEqual((await store.acl(['dev'])).capabilities('secret/app'), ['update']);
      await store.delete('dev');
      assert.deepEqual((await store.acl(['dev'])).capabilities('secret/app'), ['deny']);
    });

    it('sees a policy written through another store on the same storage', async () => {
      const other = await PolicyStore.open(storage);
      await store.put('dev', READ_APP);
      assert.deepEqual((await other.acl(['dev'])).capabilities('secret/app'), ['read']);
      await store.put('dev', WRITE_APP);
      assert.deepEqual((await other.acl(['dev'])).capabilities('secret/app'), ['update']);
    });

    it('fails closed when a stored policy no longer parses', async () => {
      await storage.put(
        'broken',
        encodeJson({ name: 'broken', type: 'acl', raw: 'path "a" { nope = 1 }' }),
      );
      await assert.rejects(store.acl(['default', 'broken']), InternalError);
    });
  });
});
