import assert from 'node:assert/strict';
import { CorruptStorageError } from '../../src/storage/errors.js';
import { MemoryRaftDisk, MemoryRaftStorage } from '../../src/storage/memory-raft-storage.js';
import { batch, entries, hs } from './helpers.js';
import {
  CONFORMANCE_CHUNK_SIZE,
  describeRaftStorageConformance,
} from './raft-storage.conformance.js';

describe('MemoryRaftStorage', () => {
  describe('conformance', () => {
    describeRaftStorageConformance(async () => {
      const disk = new MemoryRaftDisk();
      const snapshotChunkSize = CONFORMANCE_CHUNK_SIZE;
      return { open: () => MemoryRaftStorage.open({ disk, snapshotChunkSize }) };
    });
  });

  describe('verification', () => {
    it('refuses to open a disk with a damaged entry, naming its index', async () => {
      const s = await MemoryRaftStorage.open();
      await s.save(batch(entries(1, 3, 1), hs(1)), true);
      await s.close();
      s.disk.entries.get(2)![7] ^= 0x10;
      const err = await MemoryRaftStorage.open({ disk: s.disk }).catch((e: unknown) => e);
      assert.ok(err instanceof CorruptStorageError, String(err));
      assert.equal(err.index, 2);
      assert.match(err.message, /checksum mismatch/);
    });

    it('refuses to open a disk with a missing entry', async () => {
      const s = await MemoryRaftStorage.open();
      await s.save(batch(entries(1, 3, 1), hs(1)), true);
      await s.close();
      s.disk.entries.delete(3);
      const err = await MemoryRaftStorage.open({ disk: s.disk }).catch((e: unknown) => e);
      assert.ok(err instanceof CorruptStorageError, String(err));
      assert.match(err.message, /entry 3 is missing/);
    });
  });
});
