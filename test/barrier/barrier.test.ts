import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';

import { frameTerm } from '../../src/barrier/aead.js';
import { Barrier } from '../../src/barrier/barrier.js';
import {
  BarrierAlreadyInitializedError,
  BarrierConditionFailedError,
  BarrierNotInitializedError,
  IntegrityError,
  InvalidPathError,
  InvalidUnsealKeyError,
  SealedError,
} from '../../src/barrier/errors.js';
import type { Keyring } from '../../src/barrier/keyring.js';
import { KEYRING_PATH, ROOT_KEY_PATH } from '../../src/barrier/paths.js';
import type { BarrierStorage } from '../../src/barrier/types.js';
import { MemoryStore } from '../../src/physical/memory-store.js';
import { bytes, contains, HookedStore, text, unsealedBarrier } from './helpers.js';

function integrity(reason: IntegrityError['reason']): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof IntegrityError, `expected IntegrityError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    return true;
  };
}

describe('Barrier', () => {
  describe('init and unseal', () => {
    it('starts sealed and uninitialised on empty storage', async () => {
      const barrier = new Barrier(new MemoryStore());
      assert.equal(barrier.sealed, true);
      assert.equal(await barrier.isInitialized(), false);
    });

    it('stays sealed after init and opens with the unseal key', async () => {
      const store = new MemoryStore();
      const barrier = new Barrier(store);
      const key = randomBytes(32);
      await barrier.initialize(key);
      assert.equal(await barrier.isInitialized(), true);
      assert.equal(barrier.sealed, true);
      await barrier.unseal(key);
      assert.equal(barrier.sealed, false);
      assert.equal(barrier.keyStatus().term, 1);
    });

    it('refuses a second init, even from another instance on the same storage', async () => {
      const { store, barrier } = await unsealedBarrier();
      await assert.rejects(barrier.initialize(randomBytes(32)), BarrierAlreadyInitializedError);
      const other = new Barrier(store);
      await assert.rejects(other.initialize(randomBytes(32)), (err: unknown) => {
        assert.ok(err instanceof BarrierAlreadyInitializedError);
        assert.equal(err.httpStatus, 400);
        assert.equal(err.message, 'Vault is already initialized');
        return true;
      });
    });

    it('refuses a wrong unseal key and stays sealed', async () => {
      const { store } = await unsealedBarrier();
      const other = new Barrier(store);
      await assert.rejects(other.unseal(randomBytes(32)), InvalidUnsealKeyError);
      await assert.rejects(other.unseal(randomBytes(31)), InvalidUnsealKeyError);
      assert.equal(other.sealed, true);
    });

    it('refuses to unseal storage that holds no barrier', async () => {
      const barrier = new Barrier(new MemoryStore());
      await assert.rejects(barrier.unseal(randomBytes(32)), BarrierNotInitializedError);
    });

    it('reports a missing keyring as an integrity failure, not a wrong key', async () => {
      const { store, unsealKey } = await unsealedBarrier();
      await store.delete(KEYRING_PATH);
      await assert.rejects(new Barrier(store).unseal(unsealKey), integrity('missing'));
    });
  });

  describe('when sealed', () => {
    it('fails every call with SealedError (503)', async () => {
      const { barrier } = await unsealedBarrier();
      const view = barrier.view('app/');
      barrier.seal();
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['get', () => barrier.get('a')],
        ['put', () => barrier.put('a', bytes('v'))],
        ['delete', () => barrier.delete('a')],
        ['list', () => barrier.list('')],
        ['batch', () => barrier.batch([])],
        ['rotate', () => barrier.rotate()],
        ['keyStatus', async () => barrier.keyStatus()],
        ['view get', () => view.get('a')],
        ['view put', () => view.put('a', bytes('v'))],
      ];
      for (const [name, call] of calls) {
        await assert.rejects(call(), (err: unknown) => {
          assert.ok(err instanceof SealedError, `${name} did not fail with SealedError`);
          assert.equal(err.httpStatus, 503);
          assert.equal(err.message, 'Vault is sealed');
          return true;
        });
      }
    });

    it('zeroes the root key and every data key', async () => {
      const { barrier } = await unsealedBarrier();
      await barrier.rotate();
      const state = barrier['state'] as { rootKey: Buffer; keyring: Keyring };
      const keys = [state.rootKey, state.keyring.key(1) as Buffer, state.keyring.key(2) as Buffer];
      assert.ok(keys.every((key) => key.some((byte) => byte !== 0)));
      barrier.seal();
      for (const key of keys) assert.ok(key.every((byte) => byte === 0), 'a key survived seal');
      assert.equal(barrier['state'], null);
    });

    it('fails a read that was in flight when the barrier was sealed', async () => {
      const store = new HookedStore();
      const barrier = new Barrier(store);
      const key = randomBytes(32);
      await barrier.initialize(key);
      await barrier.unseal(key);
      await barrier.put('a', bytes('v'));
      store.beforeGet = async () => barrier.seal();
      await assert.rejects(barrier.get('a'), SealedError);
    });

    it('opens again with the same key after a seal', async () => {
      const { barrier, unsealKey } = await unsealedBarrier();
      await barrier.put('kept', bytes('value'));
      barrier.seal();
      await barrier.unseal(unsealKey);
      assert.equal(text(await barrier.get('kept')), 'value');
    });
  });

  describe('storage', () => {
    it('round-trips values and reports absent paths as undefined', async () => {
      const { barrier } = await unsealedBarrier();
      await barrier.put('secret/app', bytes('s3cr3t'));
      assert.equal(text(await barrier.get('secret/app')), 's3cr3t');
      assert.equal(await barrier.get('secret/none'), undefined);
      await barrier.delete('secret/app');
      assert.equal(await barrier.get('secret/app'), undefined);
    });

    it('lists children like the physical store and hides the barrier records', async () => {
      const { barrier } = await unsealedBarrier();
      await barrier.put('core/mounts', bytes('m'));
      await barrier.put('logical/a/x', bytes('1'));
      assert.deepEqual(await barrier.list(''), ['core/', 'logical/']);
      assert.deepEqual(await barrier.list('core/'), ['mounts']);
    });

    it('refuses the reserved paths and malformed ones', async () => {
      const { barrier } = await unsealedBarrier();
      for (const path of [KEYRING_PATH, ROOT_KEY_PATH, 'core/seal-config']) {
        await assert.rejects(barrier.get(path), InvalidPathError);
        await assert.rejects(barrier.put(path, bytes('x')), InvalidPathError);
        await assert.rejects(barrier.delete(path), InvalidPathError);
      }
      for (const path of ['', '/abs', 'a/', 'a//b', 'a/../b', '..', './a', 'a\0b', 'a\uD800']) {
        await assert.rejects(barrier.put(path, bytes('x')), InvalidPathError, path);
      }
      await assert.rejects(barrier.list('a'), InvalidPathError);
      await assert.rejects(barrier.list('../'), InvalidPathError);
    });

    it('stores ciphertext framed with the active term', async () => {
      const { barrier, store } = await unsealedBarrier();
      await barrier.put('p', bytes('plain'));
      const frame = (await store.get('p')) as Uint8Array;
      assert.equal(frameTerm('p', frame), 1);
      assert.ok(!contains(frame, bytes('plain')));
    });

    it('never lets a unique secret reach a stored value or key', async () => {
      const { barrier, store } = await unsealedBarrier();
      const secret = `coffer-canary-${randomUUID()}`;
      await barrier.put('secret/data/app', bytes(secret));
      await barrier.view('logical/kv/').put('config', bytes(JSON.stringify({ password: secret })));
      await barrier.batch([{ type: 'put', path: 'secret/other', value: bytes(secret) }]);
      await barrier.rotate();
      await barrier.put('secret/after-rotation', bytes(secret));

      const forms = [bytes(secret), Buffer.from(secret, 'utf16le'), bytes(secret.slice(14))];
      const entries = store.entries();
      assert.ok(entries.length >= 6);
      for (const [key, value] of entries) {
        assert.ok(!key.includes(secret.slice(14)), `the secret appears in key ${key}`);
        for (const form of forms) assert.ok(!contains(value, form), `the secret appears at ${key}`);
      }
      assert.equal(text(await barrier.get('secret/data/app')), secret);
    });
  });

  describe('integrity', () => {
    it('fails to read a value copied to another path', async () => {
      const { barrier, store } = await unsealedBarrier();
      await barrier.put('secret/a', bytes('for a only'));
      await store.put('secret/b', (await store.get('secret/a')) as Uint8Array);
      await assert.rejects(barrier.get('secret/b'), integrity('authentication_failed'));
    });

    it('fails to read a value with a flipped bit', async () => {
      const { barrier, store } = await unsealedBarrier();
      await barrier.put('k', bytes('some value'));
      const frame = Buffer.from((await store.get('k')) as Uint8Array);
      frame[20] = (frame[20] as number) ^ 0x10;
      await store.put('k', frame);
      await assert.rejects(barrier.get('k'), integrity('authentication_failed'));
    });

    it('fails to read a value under a term the keyring does not hold', async () => {
      const { barrier, store } = await unsealedBarrier();
      await barrier.put('k', bytes('v'));
      const frame = Buffer.from((await store.get('k')) as Uint8Array);
      frame.writeUInt32BE(7, 1);
      await store.put('k', frame);
      await assert.rejects(barrier.get('k'), integrity('unknown_term'));
      frame.writeUInt32BE(0, 1);
      await store.put('k', frame);
      await assert.rejects(barrier.get('k'), integrity('unknown_term'));
    });

    it('fails for truncated values and unknown frame versions', async () => {
      const { barrier, store } = await unsealedBarrier();
      await store.put('short', new Uint8Array(10));
      await assert.rejects(barrier.get('short'), integrity('truncated'));
      await barrier.put('v', bytes('x'));
      const frame = Buffer.from((await store.get('v')) as Uint8Array);
      frame[0] = 0xff;
      await store.put('v', frame);
      await assert.rejects(barrier.get('v'), integrity('unknown_version'));
    });

    it('fails to unseal when the keyring record was tampered with', async () => {
      const { store, unsealKey } = await unsealedBarrier();
      const frame = Buffer.from((await store.get(KEYRING_PATH)) as Uint8Array);
      frame[frame.length - 1] = (frame[frame.length - 1] as number) ^ 1;
      await store.put(KEYRING_PATH, frame);
      const restarted = new Barrier(store);
      await assert.rejects(restarted.unseal(unsealKey), integrity('authentication_failed'));
    });
  });

  describe('key rotation', () => {
    it('adds a term, keeps old values readable and encrypts new writes under it', async () => {
      let now = 1_000;
      const { barrier, store } = await unsealedBarrier({ now: () => now });
      await barrier.put('old', bytes('written under term 1'));
      now = 5_000;

      const status = await barrier.rotate();
      assert.equal(status.term, 2);
      assert.equal(status.installTime.getTime(), 5_000);
      await barrier.put('new', bytes('written under term 2'));

      assert.equal(frameTerm('old', (await store.get('old')) as Uint8Array), 1);
      assert.equal(frameTerm('new', (await store.get('new')) as Uint8Array), 2);
      assert.equal(text(await barrier.get('old')), 'written under term 1');
      assert.equal(text(await barrier.get('new')), 'written under term 2');
    });

    it('reports the active term, install time and encryptions in keyStatus', async () => {
      const { barrier } = await unsealedBarrier({ now: () => 42_000 });
      await barrier.put('a', bytes('1'));
      await barrier.put('b', bytes('2'));
      assert.deepEqual(barrier.keyStatus(), {
        term: 1,
        installTime: new Date(42_000),
        encryptions: 2,
      });
      await barrier.rotate();
      assert.equal(barrier.keyStatus().encryptions, 0);
    });

    it('persists rotations for the next unseal', async () => {
      const { barrier, store, unsealKey } = await unsealedBarrier();
      await barrier.put('t1', bytes('one'));
      await barrier.rotate();
      await barrier.put('t2', bytes('two'));
      barrier.seal();

      const restarted = new Barrier(store);
      await restarted.unseal(unsealKey);
      assert.equal(restarted.keyStatus().term, 2);
      assert.equal(text(await restarted.get('t1')), 'one');
      assert.equal(text(await restarted.get('t2')), 'two');
    });

    it('runs concurrent rotations one after the other without losing a term', async () => {
      const { barrier } = await unsealedBarrier();
      const statuses = await Promise.all([barrier.rotate(), barrier.rotate(), barrier.rotate()]);
      assert.deepEqual(
        statuses.map((status) => status.term),
        [2, 3, 4],
      );
    });

    it('picks up a rotation made by another node when it meets the newer term', async () => {
      const { store, barrier: nodeA, unsealKey } = await unsealedBarrier();
      const nodeB = new Barrier(store);
      await nodeB.unseal(unsealKey);

      await nodeA.rotate();
      await nodeA.put('from-a', bytes('term 2 value'));
      assert.equal(nodeB.keyStatus().term, 1);
      assert.equal(text(await nodeB.get('from-a')), 'term 2 value');
      assert.equal(nodeB.keyStatus().term, 2);

      // A rotation on B builds on the stored keyring, so it makes term 3, not a second term 2.
      assert.equal((await nodeB.rotate()).term, 3);
      await nodeA.reloadKeyring();
      assert.equal(nodeA.keyStatus().term, 3);
    });

    it('retries when the stored keyring changes between its read and its write', async () => {
      const store = new HookedStore();
      const nodeA = new Barrier(store);
      const nodeB = new Barrier(store);
      const key = randomBytes(32);
      await nodeA.initialize(key);
      await nodeA.unseal(key);
      await nodeB.unseal(key);

      let raced = false;
      store.beforeBatch = async (ops) => {
        if (!raced && ops[0]?.key === KEYRING_PATH) {
          raced = true;
          store.beforeBatch = null;
          await nodeB.rotate();
        }
      };
      const status = await nodeA.rotate();
      assert.ok(raced);
      assert.equal(status.term, 3);
    });
  });

  describe('batch', () => {
    it('applies puts and deletes atomically with plaintext conditions', async () => {
      const { barrier } = await unsealedBarrier();
      await barrier.put('meta', bytes('v1'));
      await barrier.batch([
        { type: 'put', path: 'meta', value: bytes('v2'), condition: { ifValue: bytes('v1') } },
        { type: 'put', path: 'data/2', value: bytes('payload'), condition: { ifAbsent: true } },
      ]);
      assert.equal(text(await barrier.get('meta')), 'v2');
      assert.equal(text(await barrier.get('data/2')), 'payload');
    });

    it('writes nothing when a plaintext condition does not hold', async () => {
      const { barrier } = await unsealedBarrier();
      await barrier.put('meta', bytes('v2'));
      const batch = barrier.batch([
        { type: 'put', path: 'data/3', value: bytes('x') },
        { type: 'put', path: 'meta', value: bytes('v3'), condition: { ifValue: bytes('v1') } },
      ]);
      await assert.rejects(batch, (err: unknown) => {
        assert.ok(err instanceof BarrierConditionFailedError);
        assert.equal(err.index, 1);
        assert.equal(err.path, 'meta');
        return true;
      });
      assert.equal(await barrier.get('data/3'), undefined);
      assert.equal(text(await barrier.get('meta')), 'v2');
    });

    it('compares conditions with values staged earlier in the same batch', async () => {
      const { barrier } = await unsealedBarrier();
      await barrier.batch([
        { type: 'put', path: 'k', value: bytes('a') },
        { type: 'put', path: 'k', value: bytes('b'), condition: { ifValue: bytes('a') } },
      ]);
      assert.equal(text(await barrier.get('k')), 'b');
      const stale = barrier.batch([
        { type: 'delete', path: 'k' },
        { type: 'put', path: 'k', value: bytes('c'), condition: { ifValue: bytes('b') } },
      ]);
      await assert.rejects(stale, BarrierConditionFailedError);
      assert.equal(text(await barrier.get('k')), 'b');
    });

    it('keeps the stored frame for a put of the value its condition demands (a guard)', async () => {
      const store = new HookedStore();
      const barrier = new Barrier(store);
      const key = randomBytes(32);
      await barrier.initialize(key);
      await barrier.unseal(key);
      await barrier.put('config', bytes('c1'));
      const frame = await store.inner.get('config');

      // Two writers guard on the config at once: each one's rewrite leaves the ciphertext the
      // other conditions on, so neither fails though both ran between the other's read and commit.
      const guard = (value: string) =>
        barrier.batch([
          { type: 'put', path: 'config', value: bytes('c1'), condition: { ifValue: bytes('c1') } },
          { type: 'put', path: value, value: bytes(value) },
        ]);
      store.beforeBatch = async () => {
        store.beforeBatch = null;
        await guard('b');
      };
      await guard('a');
      assert.deepEqual(await store.inner.get('config'), frame);
      assert.equal(text(await barrier.get('a')), 'a');
      assert.equal(text(await barrier.get('b')), 'b');
    });

    it('fails when the value changes between the condition read and the commit', async () => {
      const store = new HookedStore();
      const barrier = new Barrier(store);
      const key = randomBytes(32);
      await barrier.initialize(key);
      await barrier.unseal(key);
      await barrier.put('k', bytes('v1'));

      // Another writer stores the same plaintext again: new nonce, so new ciphertext.
      store.beforeBatch = async () => {
        store.beforeBatch = null;
        await barrier.put('k', bytes('v1'));
      };
      const batch = barrier.batch([
        { type: 'put', path: 'k', value: bytes('v2'), condition: { ifValue: bytes('v1') } },
      ]);
      await assert.rejects(batch, BarrierConditionFailedError);
      assert.equal(text(await barrier.get('k')), 'v1');
    });
  });

  describe('batch conditions on a value get returned', () => {
    /** A barrier over a store that counts physical reads of each path. */
    async function countingBarrier(): Promise<{
      store: HookedStore;
      barrier: Barrier;
      reads: string[];
      key: Buffer;
    }> {
      const store = new HookedStore();
      const barrier = new Barrier(store);
      const key = randomBytes(32);
      await barrier.initialize(key);
      await barrier.unseal(key);
      const reads: string[] = [];
      store.beforeGet = async (path) => {
        reads.push(path);
      };
      return { store, barrier, reads, key };
    }

    /**
     * Stores `value` at `path` with a conditioned batch, so that the barrier takes `path` for
     * one that conditions name (it keeps what `get` returned only for those).
     */
    async function putConditioned(barrier: BarrierStorage, path: string, value: string) {
      await barrier.put(path, bytes(value));
      await barrier.batch([
        { type: 'put', path, value: bytes(value), condition: { ifValue: bytes(value) } },
      ]);
    }

    async function getDefined(barrier: Barrier, path: string): Promise<Uint8Array> {
      const value = await barrier.get(path);
      assert.ok(value !== undefined, `${path} is stored`);
      return value;
    }

    it('conditions on the frame it decrypted, without reading it again', async () => {
      const { barrier, reads } = await countingBarrier();
      await putConditioned(barrier, 'meta', 'v1');
      await putConditioned(barrier, 'config', 'c1');
      const meta = await getDefined(barrier, 'meta');
      const config = await getDefined(barrier, 'config');
      reads.length = 0;
      await barrier.batch([
        { type: 'put', path: 'config', value: config, condition: { ifValue: config } },
        { type: 'put', path: 'meta', value: bytes('v2'), condition: { ifValue: meta } },
      ]);
      assert.deepEqual(reads, []);
      assert.equal(text(await barrier.get('meta')), 'v2');
      assert.equal(text(await barrier.get('config')), 'c1');
      // The caller's buffers are left as they were.
      assert.equal(text(meta), 'v1');
      assert.equal(text(config), 'c1');
    });

    it('reads a path no condition named before, and keeps values of it from then on', async () => {
      const { barrier, reads } = await countingBarrier();
      await barrier.put('fresh', bytes('v1'));
      const first = await getDefined(barrier, 'fresh');
      reads.length = 0;
      await barrier.batch([
        { type: 'put', path: 'fresh', value: bytes('v2'), condition: { ifValue: first } },
      ]);
      assert.deepEqual(reads, ['fresh']);
      const second = await getDefined(barrier, 'fresh');
      reads.length = 0;
      await barrier.batch([
        { type: 'put', path: 'fresh', value: bytes('v3'), condition: { ifValue: second } },
      ]);
      assert.deepEqual(reads, []);
      assert.equal(text(await barrier.get('fresh')), 'v3');
    });

    it('fails, writing nothing, when another value was stored since the read', async () => {
      const { barrier } = await countingBarrier();
      await putConditioned(barrier, 'meta', 'v1');
      const meta = await getDefined(barrier, 'meta');
      await barrier.put('meta', bytes('other'));
      const batch = barrier.batch([
        { type: 'put', path: 'data', value: bytes('x') },
        { type: 'put', path: 'meta', value: bytes('v2'), condition: { ifValue: meta } },
      ]);
      await assert.rejects(batch, (err: unknown) => {
        assert.ok(err instanceof BarrierConditionFailedError);
        assert.equal(err.index, 1);
        assert.equal(err.path, 'meta');
        return true;
      });
      assert.equal(await barrier.get('data'), undefined);
      assert.equal(text(await barrier.get('meta')), 'other');
    });

    it('still holds when the same plaintext was stored again since the read', async () => {
      const { barrier, reads } = await countingBarrier();
      await putConditioned(barrier, 'meta', 'v1');
      const meta = await getDefined(barrier, 'meta');
      await putConditioned(barrier, 'meta', 'v1');
      reads.length = 0;
      await barrier.batch([
        { type: 'put', path: 'meta', value: bytes('v2'), condition: { ifValue: meta } },
      ]);
      // The frame it knew was gone, so it read the stored one and compared plaintexts.
      assert.deepEqual(reads, ['meta']);
      assert.equal(text(await barrier.get('meta')), 'v2');
    });

    it('compares the bytes the buffer holds now when the caller changed it', async () => {
      const { barrier, reads } = await countingBarrier();
      await putConditioned(barrier, 'meta', 'v1');
      const meta = await getDefined(barrier, 'meta');
      meta.set(bytes('v9'));
      reads.length = 0;
      const stale = barrier.batch([
        { type: 'put', path: 'meta', value: bytes('v2'), condition: { ifValue: meta } },
      ]);
      await assert.rejects(stale, BarrierConditionFailedError);
      assert.deepEqual(reads, ['meta']);
      assert.equal(text(await barrier.get('meta')), 'v1');

      // With the changed bytes stored meanwhile, the same buffer is a condition that holds.
      const changed = await getDefined(barrier, 'meta');
      changed.set(bytes('v9'));
      await barrier.put('meta', bytes('v9'));
      await barrier.batch([
        { type: 'put', path: 'meta', value: bytes('v3'), condition: { ifValue: changed } },
      ]);
      assert.equal(text(await barrier.get('meta')), 'v3');
    });

    it('reads the path when the buffer was read from another path', async () => {
      const { store, barrier, reads } = await countingBarrier();
      await putConditioned(barrier, 'a', 'same');
      await putConditioned(barrier, 'b', 'same');
      const fromA = await getDefined(barrier, 'a');
      reads.length = 0;
      let batches = 0;
      store.beforeBatch = async () => {
        batches += 1;
      };
      await barrier.batch([
        { type: 'put', path: 'b', value: bytes('new'), condition: { ifValue: fromA } },
      ]);
      assert.deepEqual(reads, ['b']);
      assert.equal(batches, 1);
      assert.equal(text(await barrier.get('b')), 'new');
      assert.equal(text(await barrier.get('a')), 'same');
    });

    it('uses a value once, and forgets every value when sealed', async () => {
      const { barrier, reads, key } = await countingBarrier();
      await putConditioned(barrier, 'meta', 'v1');
      const first = await getDefined(barrier, 'meta');
      reads.length = 0;
      await barrier.batch([
        { type: 'put', path: 'meta', value: bytes('v1'), condition: { ifValue: first } },
      ]);
      assert.deepEqual(reads, []);
      await barrier.batch([
        { type: 'put', path: 'meta', value: bytes('v1'), condition: { ifValue: first } },
      ]);
      assert.deepEqual(reads, ['meta']);

      const second = await getDefined(barrier, 'meta');
      barrier.seal();
      await barrier.unseal(key);
      reads.length = 0;
      await barrier.batch([
        { type: 'put', path: 'meta', value: bytes('v2'), condition: { ifValue: second } },
      ]);
      assert.deepEqual(reads, ['meta']);
      assert.equal(text(await barrier.get('meta')), 'v2');
    });

    it('conditions through a view on the value the view returned', async () => {
      const { barrier, reads } = await countingBarrier();
      const view = barrier.view('mount/');
      await putConditioned(view, 'meta', 'v1');
      const meta = await view.get('meta');
      assert.ok(meta !== undefined);
      reads.length = 0;
      await view.batch([
        { type: 'delete', path: 'meta', condition: { ifValue: meta } },
      ]);
      assert.deepEqual(reads, []);
      assert.equal(await view.get('meta'), undefined);
    });
  });
});
