// The PhysicalStore contract as one suite, run against every implementation: the memory store
// now, the Raft-backed store when it lands. A store that passes it can sit under the barrier.
import assert from 'node:assert/strict';

import { ConditionFailedError, InvalidKeyError } from '../../src/physical/errors.js';
import type { PhysicalStore } from '../../src/physical/types.js';

/** Opens a fresh, empty store for one test, and closes it afterwards. */
export interface StoreFixture {
  store: PhysicalStore;
  close(): Promise<void>;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

export function physicalStoreConformance(name: string, open: () => Promise<StoreFixture>): void {
  describe(`PhysicalStore conformance: ${name}`, () => {
    let fixture: StoreFixture;
    let store: PhysicalStore;

    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.close();
    });

    describe('get, put and delete', () => {
      it('returns undefined for a key never written', async () => {
        assert.equal(await store.get('nothing/here'), undefined);
      });

      it('returns the bytes that were put, and the latest put wins', async () => {
        await store.put('a/b', bytes('one'));
        assert.equal(text(await store.get('a/b')), 'one');
        await store.put('a/b', bytes('two'));
        assert.equal(text(await store.get('a/b')), 'two');
      });

      it('stores empty values as present', async () => {
        await store.put('empty', new Uint8Array(0));
        const value = await store.get('empty');
        assert.ok(value !== undefined);
        assert.equal(value.byteLength, 0);
      });

      it('forgets a deleted key and accepts deleting an absent one', async () => {
        await store.put('k', bytes('v'));
        await store.delete('k');
        assert.equal(await store.get('k'), undefined);
        await store.delete('k');
        await store.delete('never');
      });

      it('is not changed by mutating a value after put or after get', async () => {
        const input = bytes('abc');
        await store.put('k', input);
        input[0] = 0x7a;
        const output = await store.get('k');
        assert.ok(output !== undefined);
        output[1] = 0x7a;
        assert.equal(text(await store.get('k')), 'abc');
      });

      for (const key of ['', 'ends/with/slash/', 'nul\0byte']) {
        it(`refuses the invalid key ${JSON.stringify(key)} on every call`, async () => {
          await assert.rejects(store.get(key), InvalidKeyError);
          await assert.rejects(store.put(key, bytes('v')), InvalidKeyError);
          await assert.rejects(store.delete(key), InvalidKeyError);
          await assert.rejects(store.batch([{ type: 'delete', key }]), InvalidKeyError);
        });
      }
    });

    describe('list', () => {
      beforeEach(async () => {
        for (const key of ['a/b', 'a/c/d', 'a/c/e', 'a/c/f/g', 'a/B', 'a/a', 'top', 'z/1']) {
          await store.put(key, bytes(key));
        }
      });

      it('returns immediate children, sorted, each folder once with a trailing slash', async () => {
        assert.deepEqual(await store.list('a/'), ['B', 'a', 'b', 'c/']);
        assert.deepEqual(await store.list('a/c/'), ['d', 'e', 'f/']);
      });

      it('lists the root with the empty prefix', async () => {
        assert.deepEqual(await store.list(''), ['a/', 'top', 'z/']);
      });

      it('returns an empty list for a prefix that holds nothing', async () => {
        assert.deepEqual(await store.list('missing/'), []);
      });

      it('cuts an arbitrary prefix where it ends, not at a slash', async () => {
        await store.put('fob/x', bytes('1'));
        await store.put('foo', bytes('2'));
        assert.deepEqual(await store.list('fo'), ['b/', 'o']);
        assert.deepEqual(await store.list('top'), []);
      });

      it('drops a folder once its last key is deleted', async () => {
        await store.delete('z/1');
        assert.deepEqual(await store.list(''), ['a/', 'top']);
      });
    });

    describe('batch', () => {
      it('applies every op of a batch without conditions', async () => {
        await store.put('gone', bytes('x'));
        await store.batch([
          { type: 'put', key: 'one', value: bytes('1') },
          { type: 'put', key: 'two', value: bytes('2') },
          { type: 'delete', key: 'gone' },
        ]);
        assert.equal(text(await store.get('one')), '1');
        assert.equal(text(await store.get('two')), '2');
        assert.equal(await store.get('gone'), undefined);
      });

      it('resolves an empty batch without changing anything', async () => {
        await store.batch([]);
        assert.deepEqual(await store.list(''), []);
      });

      it('lets the later of two ops on the same key win', async () => {
        await store.batch([
          { type: 'put', key: 'k', value: bytes('first') },
          { type: 'put', key: 'k', value: bytes('second') },
        ]);
        assert.equal(text(await store.get('k')), 'second');
      });

      it('writes under ifAbsent only when the key is absent', async () => {
        await store.batch([
          { type: 'put', key: 'k', value: bytes('1'), condition: { ifAbsent: true } },
        ]);
        const second = store.batch([
          { type: 'put', key: 'k', value: bytes('2'), condition: { ifAbsent: true } },
        ]);
        await assert.rejects(second, ConditionFailedError);
        assert.equal(text(await store.get('k')), '1');
      });

      it('writes under ifValue only when the stored bytes match exactly', async () => {
        await store.put('k', bytes('old'));
        const stale = store.batch([
          { type: 'put', key: 'k', value: bytes('new'), condition: { ifValue: bytes('ol') } },
        ]);
        await assert.rejects(stale, ConditionFailedError);
        await store.batch([
          { type: 'delete', key: 'k', condition: { ifValue: bytes('old') } },
        ]);
        assert.equal(await store.get('k'), undefined);
      });

      it('never matches ifValue on an absent key', async () => {
        const batch = store.batch([
          { type: 'put', key: 'k', value: bytes('v'), condition: { ifValue: new Uint8Array(0) } },
        ]);
        await assert.rejects(batch, ConditionFailedError);
      });

      it('writes nothing when any condition fails, and names the failing op', async () => {
        await store.put('guard', bytes('held'));
        await store.put('victim', bytes('kept'));
        const batch = store.batch([
          { type: 'put', key: 'new', value: bytes('1') },
          { type: 'delete', key: 'victim' },
          { type: 'put', key: 'guard', value: bytes('2'), condition: { ifAbsent: true } },
        ]);
        await assert.rejects(batch, (err: unknown) => {
          assert.ok(err instanceof ConditionFailedError);
          assert.equal(err.index, 2);
          assert.equal(err.key, 'guard');
          assert.equal(err.code, 'physical_condition_failed');
          return true;
        });
        assert.equal(await store.get('new'), undefined);
        assert.equal(text(await store.get('victim')), 'kept');
        assert.equal(text(await store.get('guard')), 'held');
      });

      it('checks each condition against the earlier ops of the same batch', async () => {
        await store.batch([
          { type: 'put', key: 'k', value: bytes('a') },
          { type: 'put', key: 'k', value: bytes('b'), condition: { ifValue: bytes('a') } },
          { type: 'delete', key: 'k', condition: { ifValue: bytes('b') } },
          { type: 'put', key: 'k', value: bytes('c'), condition: { ifAbsent: true } },
        ]);
        assert.equal(text(await store.get('k')), 'c');

        const clash = store.batch([
          { type: 'delete', key: 'k' },
          { type: 'put', key: 'k', value: bytes('d'), condition: { ifValue: bytes('c') } },
        ]);
        await assert.rejects(clash, ConditionFailedError);
        assert.equal(text(await store.get('k')), 'c');
      });

      it('refuses a batch with one invalid key before applying any op', async () => {
        const batch = store.batch([
          { type: 'put', key: 'fine', value: bytes('1') },
          { type: 'put', key: 'bad/', value: bytes('2') },
        ]);
        await assert.rejects(batch, InvalidKeyError);
        assert.equal(await store.get('fine'), undefined);
      });
    });
  });
}
