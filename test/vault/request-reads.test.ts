import assert from 'node:assert/strict';

import { MemoryStore } from '../../src/physical/index.js';
import { RequestReads } from '../../src/vault/request-reads.js';
import { coreHarness, initAndUnseal } from './support.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A memory store with a read barrier that counts barriers and linearizable (non-stale) reads. */
class CountingStore extends MemoryStore {
  barriers = 0;
  linearReads = 0;
  staleReads = 0;
  failNext = false;

  async readBarrier(): Promise<void> {
    this.barriers += 1;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('no leader');
    }
  }

  override async get(
    key: string,
    options: { stale?: boolean } = {},
  ): Promise<Uint8Array | undefined> {
    this.count(options);
    return super.get(key);
  }

  override async list(prefix: string, options: { stale?: boolean } = {}): Promise<string[]> {
    this.count(options);
    return super.list(prefix);
  }

  reset(): void {
    this.barriers = 0;
    this.linearReads = 0;
    this.staleReads = 0;
  }

  private count(options: { stale?: boolean }): void {
    if (options.stale === true) this.staleReads += 1;
    else this.linearReads += 1;
  }
}

describe('RequestReads', () => {
  it('takes one read barrier per request and serves all its reads locally', async () => {
    const physical = new CountingStore();
    const { core, call } = coreHarness({ physical });
    const { rootToken } = await initAndUnseal(core);
    await call('create', 'secret/data/app', { token: rootToken, data: { data: { a: '1' } } });

    physical.reset();
    const response = await call('read', 'secret/data/app', { token: rootToken });
    assert.deepEqual((response?.data as { data: unknown }).data, { a: '1' });
    assert.equal(physical.barriers, 1);
    assert.equal(physical.linearReads, 0);
    assert.ok(physical.staleReads >= 3, `${physical.staleReads} local reads`);

    physical.reset();
    await call('create', 'secret/data/app', { token: rootToken, data: { data: { a: '2' } } });
    assert.equal(physical.barriers, 1);
    assert.equal(physical.linearReads, 0);
  });

  it('takes a read index per read outside any request', async () => {
    const physical = new CountingStore();
    const reads = new RequestReads(physical);
    await physical.put('k', bytes('v'));
    await reads.get('k');
    await reads.list('');
    assert.equal(physical.barriers, 0);
    assert.equal(physical.linearReads, 2);
  });

  it('shares one barrier among the reads of a request, not across requests', async () => {
    const physical = new CountingStore();
    const reads = new RequestReads(physical);
    await physical.put('a/x', bytes('1'));
    const request = () =>
      reads.run(() => Promise.all([reads.get('a/x'), reads.list('a/'), reads.get('a/y')]));
    await Promise.all([request(), request()]);
    assert.equal(physical.barriers, 2);
    assert.equal(physical.staleReads, 6);
    assert.equal(physical.linearReads, 0);
  });

  it('fails the read when the barrier fails, and tries again on the next read', async () => {
    const physical = new CountingStore();
    const reads = new RequestReads(physical);
    await physical.put('k', bytes('v'));
    physical.failNext = true;
    await reads.run(async () => {
      await assert.rejects(reads.get('k'), /no leader/);
      assert.deepEqual(await reads.get('k'), bytes('v'));
    });
    assert.equal(physical.barriers, 2);
  });

  it('passes reads through over a store without a read barrier', async () => {
    const physical = new MemoryStore();
    const reads = new RequestReads(physical);
    await reads.put('k', bytes('v'));
    assert.deepEqual(await reads.run(() => reads.get('k')), bytes('v'));
    assert.deepEqual(await reads.run(() => reads.list('')), ['k']);
  });
});
