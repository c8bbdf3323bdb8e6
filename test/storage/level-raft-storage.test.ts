import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StorageFailedError } from '../../src/storage/errors.js';
import { LevelRaftStorage } from '../../src/storage/level-raft-storage.js';
import {
  batch,
  entries,
  entry,
  hs,
  rejection,
  removeTempDirs,
  snapshot,
  tempDir,
} from './helpers.js';
import {
  CONFORMANCE_CHUNK_SIZE,
  describeRaftStorageConformance,
} from './raft-storage.conformance.js';


/** Every path under `root` with its permission bits. */
async function modes(root: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const walk = async (p: string): Promise<void> => {
    const stat = await fs.stat(p);
    found.set(path.relative(root, p) || '.', stat.mode & 0o777);
    if (stat.isDirectory()) for (const name of await fs.readdir(p)) await walk(path.join(p, name));
  };
  await walk(root);
  return found;
}

function assertPrivate(found: Map<string, number>, dirs: Set<string>): void {
  for (const [name, mode] of found) {
    const wanted = dirs.has(name) ? 0o700 : 0o600;
    assert.equal(mode.toString(8), wanted.toString(8), `mode of ${name}`);
  }
}

describe('LevelRaftStorage', () => {
  after(removeTempDirs);

  describe('conformance', () => {
    describeRaftStorageConformance(async () => {
      const dir = await tempDir();
      const snapshotChunkSize = CONFORMANCE_CHUNK_SIZE;
      return { open: () => LevelRaftStorage.open({ dir, snapshotChunkSize }) };
    });
  });

  describe('permissions', () => {
    it('creates its directories 0700 and every file 0600, LevelDB files included', async () => {
      const dir = path.join(await tempDir(), 'a', 'node1');
      const s = await LevelRaftStorage.open({ dir });
      await s.save(batch(entries(1, 5, 1), hs(1)), true);
      await s.compact(snapshot(3, 1));
      const dirs = new Set(['.', 'log', 'snapshots']);
      const whileOpen = await modes(dir);
      const names = [...whileOpen.keys()];
      assert.ok(names.some((name) => name.endsWith('.log')), 'a LevelDB log exists');
      assert.ok(names.some((name) => name.endsWith('.snap')), 'a snapshot exists');
      assertPrivate(whileOpen, dirs);
      assert.equal((await fs.stat(path.dirname(dir))).mode & 0o777, 0o700);
      await s.close();
      const closed = await modes(dir);
      assert.ok(closed.has('clean-close'));
      assertPrivate(closed, dirs);
    });

    it('narrows an existing directory and the files LevelDB made on reopen', async () => {
      const dir = await tempDir();
      await fs.chmod(dir, 0o755);
      let s = await LevelRaftStorage.open({ dir });
      await s.save(batch(entries(1, 5, 1), hs(1)), true);
      await s.close();
      for (const name of await fs.readdir(path.join(dir, 'log'))) {
        await fs.chmod(path.join(dir, 'log', name), 0o644);
      }
      s = await LevelRaftStorage.open({ dir });
      assertPrivate(await modes(dir), new Set(['.', 'log', 'snapshots']));
      await s.close();
    });

    it('leaves files in its directory that it does not own alone', async () => {
      const dir = await tempDir();
      await fs.writeFile(path.join(dir, 'operator-notes.txt'), 'hello', { mode: 0o644 });
      await fs.chmod(path.join(dir, 'operator-notes.txt'), 0o644);
      const s = await LevelRaftStorage.open({ dir });
      await s.close();
      assert.equal((await fs.stat(path.join(dir, 'operator-notes.txt'))).mode & 0o777, 0o644);
      assert.equal((await fs.stat(dir)).mode & 0o777, 0o700);
    });
  });

  describe('group commit', () => {
    it('writes saves made in the same turn as one synced batch', async () => {
      const s = await LevelRaftStorage.open({ dir: await tempDir() });
      const saves = [];
      for (let i = 1; i <= 64; i++) {
        saves.push(s.save(batch([entry(i, 1)], hs(1, i - 1)), true));
      }
      await Promise.all(saves);
      assert.deepEqual(s.stats, { items: 64, groups: 1, syncedGroups: 1 });
      const loaded = await s.load();
      assert.deepEqual(loaded.entries, entries(1, 64, 1));
      assert.deepEqual(loaded.hardState, hs(1, 63));
      await s.close();
    });

    it('merges saves that arrive during a write into the next write, in order', async () => {
      const s = await LevelRaftStorage.open({ dir: await tempDir() });
      const first = s.save(batch(entries(1, 10, 1), hs(1)), false);
      await Promise.resolve(); // the first write is now in flight
      const later = [];
      for (let i = 5; i <= 30; i++) {
        later.push(s.save(batch([entry(i, 2)], hs(2)), i % 2 === 0));
      }
      await Promise.all([first, ...later]);
      assert.deepEqual(s.stats, { items: 27, groups: 2, syncedGroups: 1 });
      const loaded = await s.load();
      assert.deepEqual(loaded.entries, [...entries(1, 4, 1), ...entries(5, 30, 2)]);
      await s.close();
    });

    it('coalesces many concurrent savers into far fewer writes', async () => {
      const s = await LevelRaftStorage.open({ dir: await tempDir() });
      let next = 1;
      const saver = async (): Promise<void> => {
        for (let k = 0; k < 25; k++) {
          const index = next++;
          await s.save(batch([entry(index, 1)], hs(1)), true);
        }
      };
      await Promise.all(Array.from({ length: 16 }, saver));
      const { items, groups, syncedGroups } = s.stats;
      assert.equal(items, 400);
      assert.equal(syncedGroups, groups);
      assert.ok(groups <= 400 / 8, `400 saves took ${groups} writes`);
      assert.deepEqual((await s.load()).entries, entries(1, 400, 1));
      await s.close();
    });
  });

  describe('write failures', () => {
    it('fails the batch and every later call once a write fails', async () => {
      const dir = await tempDir();
      const s = await LevelRaftStorage.open({ dir });
      await s.save(batch(entries(1, 3, 1), hs(1)), true);
      await fs.rm(path.join(dir, 'snapshots'), { recursive: true });
      await fs.writeFile(path.join(dir, 'snapshots'), 'not a directory');
      const failed = s.save(batch([], null, snapshot(9, 1)), true);
      const queued = s.save(batch(entries(10, 10, 1)), true);
      for (const call of [failed, queued]) {
        const err = await rejection(call);
        assert.ok(err instanceof StorageFailedError, String(err));
        assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENOTDIR');
      }
      assert.ok((await rejection(s.load())) instanceof StorageFailedError);
      await s.close();
    });
  });

  describe('durability', () => {
    it('keeps only the newest snapshot file once the next one is durable', async () => {
      const dir = await tempDir();
      let s = await LevelRaftStorage.open({ dir, snapshotChunkSize: 8 });
      await s.save(batch(entries(1, 9, 1), hs(1)), true);
      await s.compact(snapshot(3, 1));
      await s.compact(snapshot(6, 1));
      const files = await fs.readdir(path.join(dir, 'snapshots'));
      assert.equal(files.length, 1);
      assert.match(files[0]!, /^snapshot-0000000000000006-/);
      await s.close();
      s = await LevelRaftStorage.open({ dir });
      assert.deepEqual((await s.load()).snapshot, snapshot(6, 1));
      await s.close();
    });

    it('takes saves made while a compaction writes its snapshot file, in order', async () => {
      const dir = await tempDir();
      let s = await LevelRaftStorage.open({ dir, snapshotChunkSize: 64 * 1024 });
      await s.save(batch(entries(1, 9, 1), hs(1, 9)), true);
      // The file is staged outside the group committer: these saves are planned after the
      // compaction's check and may be written before its group.
      const compaction = s.compact(snapshot(5, 1, 4 * 1024 * 1024));
      const saves = [
        s.save(batch(entries(10, 11, 1)), true),
        s.save(batch(entries(12, 12, 1), hs(1, 12)), true),
      ];
      await Promise.all([compaction, ...saves]);
      await s.close();

      s = await LevelRaftStorage.open({ dir });
      const loaded = await s.load();
      assert.deepEqual(loaded.snapshot?.meta, snapshot(5, 1).meta);
      assert.equal(loaded.snapshot?.data.length, 4 * 1024 * 1024);
      assert.deepEqual(
        loaded.entries.map((e) => e.index),
        [6, 7, 8, 9, 10, 11, 12],
      );
      const files = await fs.readdir(path.join(dir, 'snapshots'));
      assert.equal(files.length, 1, files.join(', '));
      assert.match(files[0]!, /^snapshot-0000000000000005-/);
      await s.close();
    });

    it('drops the staged file of a compaction that a newer one overtook', async () => {
      const dir = await tempDir();
      const s = await LevelRaftStorage.open({ dir });
      await s.save(batch(entries(1, 9, 1), hs(1)), true);
      await Promise.all([s.compact(snapshot(6, 1)), s.compact(snapshot(3, 1))]);
      const files = await fs.readdir(path.join(dir, 'snapshots'));
      assert.equal(files.length, 1, files.join(', '));
      assert.match(files[0]!, /^snapshot-0000000000000006-/);
      await s.close();
    });

    it('removes snapshot files a crash left behind, and keeps the one in use', async () => {
      const dir = await tempDir();
      let s = await LevelRaftStorage.open({ dir });
      await s.save(batch(entries(1, 9, 1), hs(1)), true);
      await s.compact(snapshot(3, 1));
      await s.close();
      const snapshots = path.join(dir, 'snapshots');
      const orphan = path.join(snapshots, 'snapshot-0000000000000007-0000000000000009.snap');
      await fs.writeFile(orphan, 'x');
      await fs.writeFile(`${orphan}.tmp`, 'x');
      s = await LevelRaftStorage.open({ dir });
      assert.equal((await fs.readdir(snapshots)).length, 1);
      assert.deepEqual((await s.load()).snapshot, snapshot(3, 1));
      await s.close();
    });
  });
});
