/**
 * The cubbyhole engine: KV version 1 semantics in a private space per token, on in-memory
 * storage; and end to end on a node, where the core mounts it, scopes it to the calling token,
 * lists it in `sys/mounts`, refuses to disable or move it, and destroys it with its token.
 */
import assert from 'node:assert/strict';

import type { FastifyInstance } from 'fastify';

import {
  createCubbyholeBackend,
  destroyCubbyhole,
} from '../../../src/engines/cubbyhole/index.js';
import {
  InmemStorage,
  InvalidRequestError,
  makeRequest,
  type Backend,
  type Operation,
} from '../../../src/logical/index.js';
import { initAndUnsealOverHttp, startNode, type Node } from '../../http/support.js';
import { apiCaller } from '../../vault/http-call.js';

const ALICE = 'a1'.repeat(32);
const BOB = 'b2'.repeat(32);

describe('Cubbyhole engine', () => {
  let storage: InmemStorage;
  let backend: Backend;
  let ids = 0;

  const send = (
    operation: Operation,
    path: string,
    owner: string | undefined,
    data: Record<string, unknown> = {},
  ) =>
    backend.handleRequest(
      makeRequest({ operation, path, data, tokenHashedId: owner }, () => `r${(ids += 1)}`),
    );

  beforeEach(() => {
    storage = new InmemStorage();
    backend = createCubbyholeBackend(storage);
  });

  describe('one token', () => {
    it('reads back what it wrote, lists it, and deletes it', async () => {
      assert.equal(await send('update', 'app/db', ALICE, { password: 'p' }), null);
      assert.deepEqual((await send('read', 'app/db', ALICE))?.data, { password: 'p' });
      assert.deepEqual((await send('list', 'app/', ALICE))?.data, { keys: ['db'] });
      assert.deepEqual((await send('list', '', ALICE))?.data, { keys: ['app/'] });
      await send('delete', 'app/db', ALICE);
      assert.equal(await send('read', 'app/db', ALICE), null);
    });

    it('refuses an empty secret and a folder path as a key', async () => {
      await assert.rejects(send('update', 'x', ALICE, {}), InvalidRequestError);
      await assert.rejects(send('update', 'dir/', ALICE, { a: 1 }), InvalidRequestError);
    });

    it('refuses requests that carry no token hash (batch tokens)', async () => {
      await assert.rejects(send('read', 'x', undefined), /only service tokens have a cubbyhole/);
    });
  });

  describe('two tokens', () => {
    it("never shows one token's secrets to the other", async () => {
      await send('update', 'shared-name', ALICE, { owner: 'alice' });
      assert.equal(await send('read', 'shared-name', BOB), null);
      assert.deepEqual((await send('list', '', BOB))?.data, { keys: [] });
      await send('update', 'shared-name', BOB, { owner: 'bob' });
      assert.deepEqual((await send('read', 'shared-name', ALICE))?.data, { owner: 'alice' });
    });

    it("destroys one token's cubbyhole and leaves the other's", async () => {
      await send('update', 'a', ALICE, { v: 1 });
      await send('update', 'deep/er/b', ALICE, { v: 2 });
      await send('update', 'a', BOB, { v: 3 });
      assert.equal(await destroyCubbyhole(storage, ALICE), 2);
      assert.deepEqual(storage.paths(), [`${BOB}/a`]);
    });
  });
});

describe('Cubbyhole on a node', () => {
  let node: Node;
  let root: string;
  const call = apiCaller(() => node.app as FastifyInstance);

  beforeEach(async () => {
    node = startNode({ clockBeaconMs: 0 });
    ({ rootToken: root } = await initAndUnsealOverHttp(node.app));
  });

  afterEach(async () => {
    node.core.sealNode();
    await node.app.close();
  });

  async function childToken(): Promise<string> {
    const created = await call('POST', 'auth/token/create', { token: root, body: {} });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    return created.json.auth.client_token as string;
  }

  it('gives every token, root included, its own cubbyhole through the default policy', async () => {
    const alice = await childToken();
    const bob = await childToken();
    const body = { secret: 'alice-only' };
    assert.equal((await call('PUT', 'cubbyhole/note', { token: alice, body })).status, 204);
    const own = await call('GET', 'cubbyhole/note', { token: alice });
    assert.equal(own.status, 200);
    assert.deepEqual(own.json.data, body);
    assert.equal((await call('GET', 'cubbyhole/note', { token: bob })).status, 404);
    assert.equal((await call('GET', 'cubbyhole/note', { token: root })).status, 404);
    assert.equal((await call('LIST', 'cubbyhole/', { token: bob })).status, 404);
  });

  it('destroys the cubbyhole when its token is revoked', async () => {
    const alice = await childToken();
    await call('PUT', 'cubbyhole/a/b', { token: alice, body: { v: '1' } });
    assert.equal(cubbyholeRecords(node), 1);
    assert.equal((await call('POST', 'auth/token/revoke-self', { token: alice })).status, 204);
    assert.equal(cubbyholeRecords(node), 0);
  });

  it('is listed in sys/mounts and can be neither disabled nor moved', async () => {
    const mounts = await call('GET', 'sys/mounts', { token: root });
    const entry = mounts.json.data['cubbyhole/'] as Record<string, unknown>;
    assert.equal(entry.type, 'cubbyhole');
    assert.equal(entry.local, true);
    assert.match(entry.accessor as string, /^cubbyhole_[0-9a-f]{8}$/);
    const again = await call('GET', 'sys/mounts', { token: root });
    assert.deepEqual((again.json.data['cubbyhole/'] as Record<string, unknown>).uuid, entry.uuid);

    const disable = await call('DELETE', 'sys/mounts/cubbyhole', { token: root });
    assert.equal(disable.status, 400);
    assert.match(disable.json.errors[0] ?? '', /cannot unmount/);
    const move = await call('POST', 'sys/remount', {
      token: root,
      body: { from: 'cubbyhole', to: 'elsewhere' },
    });
    assert.equal(move.status, 400);
    const over = await call('POST', 'sys/mounts/cubbyhole', { token: root, body: { type: 'kv' } });
    assert.equal(over.status, 400);
  });
});

/** How many values are stored under the barrier's `cubbyhole/` prefix. */
function cubbyholeRecords(node: Node): number {
  return node.physical.entries().filter(([key]) => key.startsWith('cubbyhole/')).length;
}
