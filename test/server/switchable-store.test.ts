import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { makeRequest } from '../../src/logical/index.js';
import { MemoryStore } from '../../src/physical/index.js';
import { SwitchablePhysicalStore } from '../../src/server/switchable-store.js';
import { Core, SingleNodeCluster } from '../../src/vault/index.js';
import { initAndUnseal } from '../vault/support.js';

/** A memory store with a read barrier, counting barriers and linearizable (non-stale) reads. */
class BarrierStore extends MemoryStore {
  barriers = 0;
  linearReads = 0;

  async readBarrier(): Promise<void> {
    this.barriers += 1;
  }

  override async get(
    key: string,
    options: { stale?: boolean } = {},
  ): Promise<Uint8Array | undefined> {
    if (options.stale !== true) this.linearReads += 1;
    return super.get(key);
  }

  override async list(prefix: string, options: { stale?: boolean } = {}): Promise<string[]> {
    if (options.stale !== true) this.linearReads += 1;
    return super.list(prefix);
  }
}

describe('SwitchablePhysicalStore', () => {
  it('resolves its read barrier at once while joining, and serves the seeded records', async () => {
    const store = new SwitchablePhysicalStore();
    await store.seed(new Map([['core/seal-config', new Uint8Array([1, 2])]]));
    await store.readBarrier();
    assert.deepEqual(await store.get('core/seal-config', { stale: true }), new Uint8Array([1, 2]));
    await assert.rejects(store.put('k', new Uint8Array([1])), /stores nothing until/);
  });

  it("passes the replicated store's read barrier and stale reads through once switched", async () => {
    const store = new SwitchablePhysicalStore();
    const target = new BarrierStore();
    store.switchTo(target);
    await store.put('a/b', new Uint8Array([7]));

    await store.readBarrier();
    assert.deepEqual(await store.get('a/b', { stale: true }), new Uint8Array([7]));
    assert.deepEqual(await store.list('a/', { stale: true }), ['b']);
    assert.equal(target.barriers, 1);
    assert.equal(target.linearReads, 0);

    await store.get('a/b');
    assert.equal(target.linearReads, 1, 'a read without options stays linearizable');
  });

  it('lets the core take one read index per API request, not one per read', async () => {
    const store = new SwitchablePhysicalStore();
    const target = new BarrierStore();
    store.switchTo(target);
    const core = new Core({ cluster: new SingleNodeCluster(), storageType: 'raft', physical: store });
    const { rootToken } = await initAndUnseal(core);
    const call = (operation: 'create' | 'read', data?: Record<string, unknown>) =>
      core.handleRequest(
        makeRequest({ operation, path: 'secret/data/app', data, clientToken: rootToken }, randomUUID),
      );
    await call('create', { data: { password: 'p1' } });

    target.barriers = 0;
    target.linearReads = 0;
    const response = await call('read');
    assert.deepEqual((response?.data as { data: unknown }).data, { password: 'p1' });
    assert.equal(target.barriers, 1);
    assert.equal(target.linearReads, 0);
  });
});
