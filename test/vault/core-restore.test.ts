/**
 * The core's snapshot hooks (src/vault/core.ts): the cluster's snapshot key, and what a node
 * does once a restore replaced its storage (`afterRestore`), on in-memory storage.
 */
import assert from 'node:assert/strict';

import { KEYRING_PATH, ROOT_KEY_PATH, SEAL_CONFIG_PATH } from '../../src/barrier/paths.js';
import type { MemoryStore } from '../../src/physical/index.js';
import { SNAPSHOT_KEY_PATH } from '../../src/vault/core.js';
import { coreHarness, initAndUnseal, type CoreHarness } from './support.js';

/** Copies the key records of `from` over `to`: what a forced restore of another cluster does. */
async function adoptKeysOf(from: MemoryStore, to: MemoryStore): Promise<void> {
  for (const path of [ROOT_KEY_PATH, KEYRING_PATH, SEAL_CONFIG_PATH]) {
    await to.put(path, (await from.get(path))!);
  }
}

/** Replaces everything `to` holds with what `from` holds: a restore of another cluster. */
async function adoptStateOf(from: MemoryStore, to: MemoryStore): Promise<void> {
  for (const [key] of to.entries()) await to.delete(key);
  for (const [key, value] of from.entries()) await to.put(key, value);
}

describe('Core snapshot hooks', () => {
  let h: CoreHarness;
  let keys: string[];
  let other: CoreHarness;
  let otherKeys: string[];

  beforeEach(async () => {
    h = coreHarness();
    ({ keys } = await initAndUnseal(h.core));
    other = coreHarness();
    ({ keys: otherKeys } = await other.core.initialize({ secretShares: 3, secretThreshold: 2 }));
  });

  describe('snapshotKey', () => {
    it('creates one key on first use, behind the barrier, and returns it after', async () => {
      assert.equal(await h.core.snapshotKey({ create: false }), null);
      const key = await h.core.snapshotKey({ create: true });
      assert.equal(key?.byteLength, 32);
      assert.deepEqual(await h.core.snapshotKey({ create: false }), key);
      const stored = await h.physical.get(SNAPSHOT_KEY_PATH);
      assert.ok(stored !== undefined && !Buffer.from(stored).includes(Buffer.from(key!)));
    });

    it('is refused while sealed', async () => {
      h.core.sealNode();
      await assert.rejects(h.core.snapshotKey({ create: true }), { code: 'vault_sealed' });
    });
  });

  describe('afterRestore', () => {
    it('keeps an unsealed node unsealed when its keys still open the state', async () => {
      await h.core.afterRestore({ seal: false });
      assert.equal(h.core.sealed, false);
      assert.deepEqual(h.core.mounts().map((m) => m.path), ['cubbyhole/', 'secret/']);
    });

    it('seals an unsealed node whose keys no longer open the state', async () => {
      await adoptKeysOf(other.physical, h.physical);
      await h.core.afterRestore({ seal: false });
      assert.equal(h.core.sealed, true);
      const status = await h.core.sealStatus();
      assert.deepEqual([status.t, status.n], [2, 3], 'the new seal configuration is read');
    });

    it("with seal, seals and then opens with the restored cluster's shares only", async () => {
      await adoptStateOf(other.physical, h.physical);
      await h.core.afterRestore({ seal: true });
      assert.equal(h.core.sealed, true);
      await assert.rejects(async () => {
        for (const key of keys.slice(0, 2)) await h.core.unseal(key);
      });
      await h.core.resetUnseal();
      for (const key of otherKeys.slice(0, 2)) await h.core.unseal(key);
      assert.equal(h.core.sealed, false);
    });

    it('leaves an unseal under way alone on a sealed node', async () => {
      h.core.sealNode();
      await h.core.unseal(keys[0]!);
      await h.core.afterRestore({ seal: false });
      assert.equal((await h.core.sealStatus()).progress, 1);
      for (const key of keys.slice(1, 3)) await h.core.unseal(key);
      assert.equal(h.core.sealed, false);
    });

    it('re-reads the seal configuration of an idle sealed node', async () => {
      h.core.sealNode();
      assert.deepEqual([(await h.core.sealStatus()).t], [3]);
      await adoptKeysOf(other.physical, h.physical);
      await h.core.afterRestore({ seal: false });
      assert.deepEqual([(await h.core.sealStatus()).t], [2]);
    });
  });
});
