// The RaftStorage contract as one suite, run against every implementation (see
// level-raft-storage.test.ts and memory-raft-storage.test.ts).
import assert from 'node:assert/strict';
import type { Entry } from '../../src/raft/core/types.js';
import type { RaftStorage } from '../../src/storage/raft-storage.js';
import { StorageClosedError } from '../../src/storage/errors.js';
import { InvariantError } from '../../src/util/assert.js';
import { batch, configEntry, entries, entry, hs, rejection, snapshot } from './helpers.js';

/** Opens storages on one backing store; `open()` again after `close()` reopens the same data. */
export interface StorageHarness {
  open(): Promise<RaftStorage>;
}

/** The chunk size every harness must configure, so chunking is exercised with small data. */
export const CONFORMANCE_CHUNK_SIZE = 16;

export function describeRaftStorageConformance(makeHarness: () => Promise<StorageHarness>): void {
  let harness: StorageHarness;
  let open: RaftStorage[];

  beforeEach(async () => {
    harness = await makeHarness();
    open = [];
  });

  afterEach(async () => {
    for (const s of open) await s.close();
  });

  async function fresh(): Promise<RaftStorage> {
    const s = await harness.open();
    open.push(s);
    return s;
  }

  async function reopen(s: RaftStorage): Promise<RaftStorage> {
    await s.close();
    return fresh();
  }

  /** `index@term` of each entry: short to read in a failed assertion. */
  const indexes = (list: Entry[]): string[] => list.map((e) => `${e.index}@${e.term}`);

  describe('load', () => {
    it('returns the initial hard state and nothing else when nothing was saved', async () => {
      const s = await fresh();
      assert.deepEqual(await s.load(), {
        hardState: { term: 0, vote: null, commit: 0 },
        snapshot: null,
        entries: [],
      });
    });

    it('returns what was saved, entries as given', async () => {
      const s = await fresh();
      const saved = [entry(1, 1), configEntry(2, 1, true), configEntry(3, 2, false)];
      saved.push(entry(4, 2, 0));
      await s.save(batch(saved, hs(2, 3)), true);
      assert.deepEqual(await s.load(), { hardState: hs(2, 3), snapshot: null, entries: saved });
    });

    it('returns the same state after close and reopen', async () => {
      let s = await fresh();
      await s.save(batch(entries(1, 4, 3), hs(3, 2)), true);
      await s.compact(snapshot(2, 3));
      const before = await s.load();
      s = await reopen(s);
      assert.deepEqual(await s.load(), before);
    });

    it('hands out copies that do not share memory with stored data', async () => {
      const s = await fresh();
      const e = entry(1, 1);
      await s.save(batch([e], hs(1)), true);
      e.data[0] ^= 0xff;
      const first = await s.load();
      assert.deepEqual(first.entries, [entry(1, 1)]);
      (first.entries[0] as typeof e).data[1] ^= 0xff;
      assert.deepEqual((await s.load()).entries, [entry(1, 1)]);
    });
  });

  describe('save', () => {
    it('keeps the stored hard state when the batch has none', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 1, 4), hs(4, 1)), true);
      await s.save(batch(entries(2, 2, 4)), false);
      assert.deepEqual((await s.load()).hardState, hs(4, 1));
    });

    it('replaces the entry at the first index and every entry after it', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 5, 1), hs(1)), true);
      await s.save(batch(entries(3, 3, 2), hs(2)), true);
      assert.deepEqual(indexes((await s.load()).entries), ['1@1', '2@1', '3@2']);
    });

    it('appends entries that follow the last index', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 2, 1), hs(1)), true);
      await s.save(batch(entries(3, 4, 1)), true);
      assert.deepEqual((await s.load()).entries, entries(1, 4, 1));
    });

    it('applies calls in the order they were made, without waiting for each', async () => {
      const s = await fresh();
      const calls = [
        s.save(batch(entries(1, 3, 1), hs(1)), true),
        s.save(batch(entries(2, 2, 2), hs(2)), false),
        s.save(batch(entries(3, 4, 2), hs(2, 2)), true),
      ];
      await Promise.all(calls);
      const loaded = await s.load();
      assert.deepEqual(indexes(loaded.entries), ['1@1', '2@2', '3@2', '4@2']);
      assert.deepEqual(loaded.hardState, hs(2, 2));
    });

    it('rejects entries that leave a gap and writes nothing of that batch', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 2, 1), hs(1)), true);
      const err = await rejection(s.save(batch(entries(4, 4, 1), hs(9)), true));
      assert.ok(err instanceof InvariantError, String(err));
      const unchanged = { hardState: hs(1), snapshot: null, entries: entries(1, 2, 1) };
      assert.deepEqual(await s.load(), unchanged);
    });

    it('rejects entries that are not contiguous or whose terms decrease', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 2, 2), hs(2)), true);
      const bad = [
        [entry(3, 2), entry(5, 2)],
        [entry(3, 2), entry(4, 1)],
        [entry(3, 1)],
        [entry(0, 1)],
      ];
      for (const list of bad) {
        const err = await rejection(s.save(batch(list), true));
        assert.ok(err instanceof InvariantError, `${indexes(list)}: ${String(err)}`);
      }
      await s.save(batch(entries(3, 3, 2)), true);
      assert.deepEqual((await s.load()).entries, entries(1, 3, 2));
    });

    it('keeps entries after a snapshot whose term matches the stored entry at its index', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 6, 1), hs(1)), true);
      await s.save(batch([], hs(1, 4), snapshot(4, 1)), true);
      const loaded = await s.load();
      assert.deepEqual(loaded.snapshot, snapshot(4, 1));
      assert.deepEqual(loaded.entries, entries(5, 6, 1));
      assert.deepEqual(loaded.hardState, hs(1, 4));
    });

    it('drops the whole log for a snapshot whose term differs, then appends the batch', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 6, 1), hs(1)), true);
      await s.save(batch(entries(3, 6, 3), hs(3, 4), snapshot(4, 2)), true);
      const loaded = await s.load();
      assert.deepEqual(loaded.snapshot, snapshot(4, 2));
      assert.deepEqual(indexes(loaded.entries), ['5@3', '6@3']);
    });

    it('drops the whole log for a snapshot beyond the last index', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 3, 1), hs(1)), true);
      await s.save(batch([], hs(2, 10), snapshot(10, 2)), false);
      await s.save(batch(entries(11, 11, 2)), true);
      const loaded = await s.load();
      assert.deepEqual(loaded.snapshot?.meta.index, 10);
      assert.deepEqual(loaded.entries, entries(11, 11, 2));
    });

    it('rejects a snapshot that is not newer than the stored one', async () => {
      const s = await fresh();
      await s.save(batch([], hs(1), snapshot(5, 1)), true);
      const err = await rejection(s.save(batch([], null, snapshot(5, 1)), true));
      assert.ok(err instanceof InvariantError, String(err));
      assert.deepEqual((await s.load()).snapshot, snapshot(5, 1));
    });
  });

  describe('compact', () => {
    it('stores the snapshot and deletes the entries up to its index', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 8, 2), hs(2, 5)), true);
      await s.compact(snapshot(5, 2));
      const loaded = await s.load();
      assert.deepEqual(loaded.snapshot, snapshot(5, 2));
      assert.deepEqual(loaded.entries, entries(6, 8, 2));
      await s.compact(snapshot(8, 2, 0));
      const empty = { hardState: hs(2, 5), snapshot: snapshot(8, 2, 0), entries: [] };
      assert.deepEqual(await s.load(), empty);
    });

    it('ignores a snapshot at or below the stored snapshot index', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 8, 2), hs(2, 5)), true);
      await s.compact(snapshot(5, 2));
      await s.compact(snapshot(3, 2));
      await s.compact(snapshot(5, 2, 3));
      const loaded = await s.load();
      assert.deepEqual(loaded.snapshot, snapshot(5, 2));
      assert.deepEqual(loaded.entries, entries(6, 8, 2));
    });

    it('rejects a snapshot beyond the last index or with another term', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 4, 2), hs(2, 5)), true);
      for (const snap of [snapshot(5, 2), snapshot(3, 1)]) {
        const err = await rejection(s.compact(snap));
        assert.ok(err instanceof InvariantError, String(err));
      }
      assert.deepEqual((await s.load()).entries, entries(1, 4, 2));
    });

    it('lets entries be appended and replaced after the snapshot', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 6, 2), hs(2)), true);
      await s.compact(snapshot(4, 2));
      await s.save(batch(entries(5, 7, 3), hs(3)), true);
      assert.deepEqual(indexes((await s.load()).entries), ['5@3', '6@3', '7@3']);
      const err = await rejection(s.save(batch(entries(5, 5, 1)), true));
      assert.ok(err instanceof InvariantError, 'a term below the snapshot term');
    });
  });

  describe('openSnapshot', () => {
    it('returns null when there is no snapshot', async () => {
      const s = await fresh();
      assert.equal(await s.openSnapshot(), null);
    });

    it('reads the snapshot back in chunks of the configured size', async () => {
      const s = await fresh();
      const snap = snapshot(3, 1, 3 * CONFORMANCE_CHUNK_SIZE + 5);
      await s.save(batch([], hs(1), snap), true);
      const reader = (await s.openSnapshot())!;
      try {
        assert.deepEqual(reader.meta, snap.meta);
        assert.equal(reader.size, snap.data.length);
        assert.equal(reader.chunkCount, 4);
        const chunks = [];
        for (let i = 0; i < reader.chunkCount; i++) chunks.push(await reader.readChunk(i));
        assert.deepEqual(chunks.map((c) => c.length), [16, 16, 16, 5]);
        assert.deepEqual(Buffer.concat(chunks), Buffer.from(snap.data));
        assert.deepEqual(Buffer.from(await reader.readAll()), Buffer.from(snap.data));
        await assert.rejects(reader.readChunk(4), RangeError);
      } finally {
        await reader.close();
      }
    });

    it('reads an empty snapshot as one empty chunk', async () => {
      const s = await fresh();
      await s.save(batch([], hs(1), snapshot(3, 1, 0)), true);
      const reader = (await s.openSnapshot())!;
      assert.equal(reader.chunkCount, 1);
      assert.equal((await reader.readChunk(0)).length, 0);
      await reader.close();
    });

    it('keeps reading an open snapshot after a compaction replaced it', async () => {
      const s = await fresh();
      await s.save(batch(entries(1, 9, 1), hs(1)), true);
      const old = snapshot(3, 1, 50);
      await s.compact(old);
      const reader = (await s.openSnapshot())!;
      await s.compact(snapshot(6, 1, 50));
      assert.deepEqual(Buffer.from(await reader.readAll()), Buffer.from(old.data));
      await reader.close();
      const current = (await s.openSnapshot())!;
      assert.equal(current.meta.index, 6);
      await current.close();
    });
  });

  describe('close', () => {
    it('makes every later call reject with StorageClosedError', async () => {
      const s = await fresh();
      await s.close();
      await s.close();
      const calls = [
        s.load(),
        s.save(batch([], hs(1)), true),
        s.compact(snapshot(1, 1)),
        s.openSnapshot(),
      ];
      for (const call of calls) assert.ok((await rejection(call)) instanceof StorageClosedError);
    });

    it('finishes saves still in flight before it resolves', async () => {
      let s = await fresh();
      const pending = s.save(batch(entries(1, 20, 1), hs(1)), true);
      await s.close();
      await pending;
      s = await fresh();
      assert.equal((await s.load()).entries.length, 20);
    });
  });
}
