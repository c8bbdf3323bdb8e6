import assert from 'node:assert/strict';

import { MemoryStore } from '../../src/physical/memory-store.js';
import { listChildren } from '../../src/physical/semantics.js';
import { physicalStoreConformance } from './conformance.js';

physicalStoreConformance('MemoryStore', async () => ({
  store: new MemoryStore(),
  close: async () => undefined,
}));

describe('MemoryStore', () => {
  it('exposes every entry sorted by key, as copies, for inspection', async () => {
    const store = new MemoryStore();
    await store.put('b', new Uint8Array([2]));
    await store.put('a/x', new Uint8Array([1]));

    const entries = store.entries();
    assert.deepEqual(
      entries.map(([key]) => key),
      ['a/x', 'b'],
    );
    (entries[0] as [string, Uint8Array])[1][0] = 9;
    assert.deepEqual(await store.get('a/x'), new Uint8Array([1]));
    assert.equal(store.size, 2);
  });
});

describe('listChildren', () => {
  it('folds keys given in any order into sorted unique children', () => {
    const keys = ['x/2', 'x/1/a', 'y', 'x/1/b', 'x/0'];
    assert.deepEqual(listChildren(keys, 'x/'), ['0', '1/', '2']);
    assert.deepEqual(listChildren(keys, ''), ['x/', 'y']);
  });

  it('orders by UTF-16 code units, so upper case and punctuation sort first', () => {
    assert.deepEqual(listChildren(['p/b', 'p/B', 'p/-', 'p/é', 'p/1'], 'p/'), [
      '-',
      '1',
      'B',
      'b',
      'é',
    ]);
  });
});
