import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { combine } from 'shamir-secret-sharing';

import { decryptValue } from '../../src/barrier/aead.js';
import { Barrier } from '../../src/barrier/barrier.js';
import {
  BarrierAlreadyInitializedError,
  BarrierNotInitializedError,
  SealedError,
} from '../../src/barrier/errors.js';
import { Keyring } from '../../src/barrier/keyring.js';
import { KEYRING_PATH, ROOT_KEY_PATH, SEAL_CONFIG_PATH } from '../../src/barrier/paths.js';
import { MemoryStore } from '../../src/physical/memory-store.js';
import {
  DuplicateShareError,
  InvalidSealConfigError,
  InvalidShareError,
  UnsealFailedError,
} from '../../src/seal/errors.js';
import type { InitParams } from '../../src/seal/seal-config.js';
import { ShamirSeal, type InitResult } from '../../src/seal/shamir-seal.js';

interface Node {
  store: MemoryStore;
  barrier: Barrier;
  seal: ShamirSeal;
}

function node(store = new MemoryStore()): Node {
  const barrier = new Barrier(store);
  return { store, barrier, seal: new ShamirSeal(store, barrier) };
}

async function initialized(params: InitParams = {}): Promise<Node & { init: InitResult }> {
  const fresh = node();
  return { ...fresh, init: await fresh.seal.initialize(params) };
}

const contains = (haystack: Uint8Array, needle: Uint8Array): boolean =>
  Buffer.from(haystack).indexOf(Buffer.from(needle)) !== -1;

describe('ShamirSeal', () => {
  describe('initialize', () => {
    it('reports an uninitialised, sealed store before init', async () => {
      assert.deepEqual(await node().seal.status(), {
        type: 'shamir',
        initialized: false,
        sealed: true,
        t: 0,
        n: 0,
        progress: 0,
        nonce: '',
      });
    });

    it('returns 5 shares in hex and base64 by default and leaves the store sealed', async () => {
      const { seal, init } = await initialized();
      assert.equal(init.keys.length, 5);
      assert.equal(init.keysBase64.length, 5);
      init.keys.forEach((hex, i) => {
        assert.match(hex, /^[0-9a-f]{66}$/);
        assert.equal(Buffer.from(hex, 'hex').toString('base64'), init.keysBase64[i]);
      });
      assert.equal(new Set(init.keys).size, 5);
      const status = await seal.status();
      assert.deepEqual([status.initialized, status.sealed, status.t, status.n], [true, true, 3, 5]);
    });

    it('refuses a second init as already initialized, here or on another node', async () => {
      const { store, seal } = await initialized();
      for (const attempt of [seal, node(store).seal]) {
        await assert.rejects(attempt.initialize(), (err: unknown) => {
          assert.ok(err instanceof BarrierAlreadyInitializedError);
          assert.equal(err.httpStatus, 400);
          assert.equal(err.message, 'Vault is already initialized');
          return true;
        });
      }
    });

    it('lets only one of two concurrent inits on shared storage succeed', async () => {
      const store = new MemoryStore();
      const results = await Promise.allSettled([
        node(store).seal.initialize(),
        node(store).seal.initialize(),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    });

    it('refuses invalid parameters with a 400 and writes nothing', async () => {
      const { store, seal } = node();
      const invalid = seal.initialize({ secretShares: 3, secretThreshold: 4 });
      await assert.rejects(invalid, (err: unknown) => {
        assert.ok(err instanceof InvalidSealConfigError);
        assert.equal(err.httpStatus, 400);
        return true;
      });
      await assert.rejects(seal.initialize({ secretShares: 300 }), InvalidSealConfigError);
      assert.equal(store.size, 0);
    });

    it('stores no plaintext root key, unseal key or data key', async () => {
      const { store, init } = await initialized({ secretShares: 3, secretThreshold: 2 });

      // Rebuild every key from outside the seal, following the documented hierarchy.
      const shares = init.keys.slice(0, 2).map((hex) => new Uint8Array(Buffer.from(hex, 'hex')));
      const unsealKey = await combine(shares);
      const rootKey = decryptValue(
        unsealKey,
        ROOT_KEY_PATH,
        (await store.get(ROOT_KEY_PATH)) as Uint8Array,
      );
      const keyringBytes = decryptValue(
        rootKey,
        KEYRING_PATH,
        (await store.get(KEYRING_PATH)) as Uint8Array,
      );
      const dataKey = Keyring.decode(keyringBytes).key(1) as Buffer;

      const entries = store.entries();
      assert.deepEqual(
        entries.map(([key]) => key),
        [KEYRING_PATH, ROOT_KEY_PATH, SEAL_CONFIG_PATH],
      );
      for (const [path, value] of entries) {
        for (const [name, key] of Object.entries({ unsealKey, rootKey, dataKey })) {
          assert.equal(key.length, 32);
          assert.ok(!contains(value, key), `${name} appears in plaintext at ${path}`);
          assert.ok(!contains(value, Buffer.from(Buffer.from(key).toString('hex'))), name);
          assert.ok(!contains(value, Buffer.from(Buffer.from(key).toString('base64'))), name);
        }
        for (const share of init.keys) assert.ok(!contains(value, Buffer.from(share, 'hex')));
      }
    });
  });

  describe('submitShare', () => {
    it('unseals with exactly the threshold of shares, in any order and encoding', async () => {
      const { seal, barrier, init } = await initialized({ secretShares: 5, secretThreshold: 3 });
      const orders = [
        [0, 1, 2],
        [2, 1, 0],
        [4, 0, 3],
        [3, 4, 1],
        [1, 3, 4],
      ];
      for (const order of orders) {
        for (const [step, i] of order.entries()) {
          const key = step % 2 === 0 ? init.keys[i] : init.keysBase64[i];
          const status = await seal.submitShare(key as string);
          assert.equal(status.sealed, step < 2, `order ${order.join(',')} step ${step}`);
          assert.equal(status.progress, step < 2 ? step + 1 : 0);
        }
        assert.equal(barrier.sealed, false);
        seal.seal();
      }
    });

    it('keeps one nonce for an attempt and clears it when the attempt ends', async () => {
      const { seal, init } = await initialized();
      const first = await seal.submitShare(init.keys[0] as string);
      assert.match(first.nonce, /^[0-9a-f-]{36}$/);
      const second = await seal.submitShare(init.keys[1] as string);
      assert.equal(second.nonce, first.nonce);
      const done = await seal.submitShare(init.keys[2] as string);
      assert.deepEqual([done.sealed, done.progress, done.nonce], [false, 0, '']);
    });

    it('does not count a duplicate share, even in the other encoding', async () => {
      const { seal, init } = await initialized();
      await seal.submitShare(init.keys[0] as string);
      for (const again of [init.keys[0], init.keysBase64[0]]) {
        await assert.rejects(seal.submitShare(again as string), (err: unknown) => {
          assert.ok(err instanceof DuplicateShareError);
          assert.equal(err.httpStatus, 400);
          return true;
        });
      }
      assert.equal((await seal.status()).progress, 1);
      await seal.submitShare(init.keys[1] as string);
      assert.equal((await seal.submitShare(init.keys[2] as string)).sealed, false);
    });

    it('refuses a share with the index of one already given', async () => {
      const { seal, init } = await initialized();
      await seal.submitShare(init.keys[0] as string);
      const forged = Buffer.from(init.keys[1] as string, 'hex');
      forged[32] = Buffer.from(init.keys[0] as string, 'hex')[32] as number;
      await assert.rejects(seal.submitShare(forged.toString('hex')), DuplicateShareError);
      assert.equal((await seal.status()).progress, 1);
    });

    it('refuses malformed, mis-sized and non-base64 shares without losing progress', async () => {
      const { seal, init } = await initialized();
      await seal.submitShare(init.keys[0] as string);
      const bad = ['', 'zz', 'not base64 at all!', (init.keys[1] as string).slice(0, 64), 'AAAA'];
      for (const key of bad) {
        await assert.rejects(seal.submitShare(key), (err: unknown) => {
          assert.ok(err instanceof InvalidShareError, `${key} was not refused`);
          assert.equal(err.httpStatus, 400);
          return true;
        });
      }
      const status = await seal.status();
      assert.equal(status.progress, 1);
      assert.equal(status.sealed, true);
    });

    it('fails with wrong shares, resets progress and keeps no key', async () => {
      const { seal, barrier, init } = await initialized();
      const stranger = await initialized();
      await seal.submitShare(init.keys[0] as string);
      await seal.submitShare(init.keys[1] as string);
      await assert.rejects(seal.submitShare(stranger.init.keys[2] as string), (err: unknown) => {
        assert.ok(err instanceof UnsealFailedError);
        assert.equal(err.httpStatus, 400);
        return true;
      });
      const status = await seal.status();
      assert.deepEqual([status.sealed, status.progress, status.nonce], [true, 0, '']);
      assert.equal(barrier.sealed, true);
      assert.equal(barrier['state'], null);

      for (const key of init.keys.slice(2)) await seal.submitShare(key);
      assert.equal(barrier.sealed, false);
    });

    it('ignores shares once unsealed', async () => {
      const { seal, init } = await initialized({ secretShares: 2, secretThreshold: 2 });
      await seal.submitShare(init.keys[0] as string);
      await seal.submitShare(init.keys[1] as string);
      const status = await seal.submitShare('garbage that is never parsed');
      assert.deepEqual([status.sealed, status.progress], [false, 0]);
    });

    it('refuses shares before init', async () => {
      await assert.rejects(node().seal.submitShare('00'), (err: unknown) => {
        assert.ok(err instanceof BarrierNotInitializedError);
        assert.equal(err.message, 'Vault is not initialized');
        return true;
      });
    });

    it('unseals a 1-of-1 seal with its single 32-byte key', async () => {
      const { seal, init } = await initialized({ secretShares: 1, secretThreshold: 1 });
      assert.match(init.keys[0] as string, /^[0-9a-f]{64}$/);
      const status = await seal.submitShare(init.keysBase64[0] as string);
      assert.equal(status.sealed, false);
    });
  });

  describe('reset and seal', () => {
    it('forgets collected shares on reset and wipes them', async () => {
      const { seal, init } = await initialized();
      await seal.submitShare(init.keys[0] as string);
      await seal.submitShare(init.keys[1] as string);
      const held = [...(seal['progress']['shares'] as Buffer[])];
      assert.equal(held.length, 2);

      const status = await seal.reset();
      assert.deepEqual([status.progress, status.nonce, status.sealed], [0, '', true]);
      for (const share of held) assert.ok(share.every((byte) => byte === 0));

      // After a reset the same shares count again, and the threshold is needed in full.
      await seal.submitShare(init.keys[1] as string);
      await seal.submitShare(init.keys[3] as string);
      assert.equal((await seal.status()).sealed, true);
      assert.equal((await seal.submitShare(init.keys[4] as string)).sealed, false);
    });

    it('seals again, wiping the barrier keys, and unseals with the shares', async () => {
      const { seal, barrier, init } = await initialized();
      for (const key of init.keys.slice(0, 3)) await seal.submitShare(key);
      const secret = `canary-${randomUUID()}`;
      await barrier.put('secret/app', new TextEncoder().encode(secret));
      const rootKey = (barrier['state'] as { rootKey: Buffer }).rootKey;

      seal.seal();
      assert.equal((await seal.status()).sealed, true);
      assert.ok(rootKey.every((byte) => byte === 0));
      await assert.rejects(barrier.get('secret/app'), SealedError);

      for (const key of init.keys.slice(2)) await seal.submitShare(key);
      assert.equal(new TextDecoder().decode(await barrier.get('secret/app')), secret);
    });

    it('survives a restart: a new process reads the configuration and unseals', async () => {
      const { store, init } = await initialized({ secretShares: 4, secretThreshold: 2 });
      const restarted = node(store);
      const status = await restarted.seal.status();
      assert.deepEqual([status.initialized, status.sealed, status.t, status.n], [true, true, 2, 4]);
      await restarted.seal.submitShare(init.keys[3] as string);
      assert.equal((await restarted.seal.submitShare(init.keys[0] as string)).sealed, false);
    });
  });
});
