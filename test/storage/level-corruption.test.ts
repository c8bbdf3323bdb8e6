// Damage done to the real files on disk, the way a failing disk or a careless operator would,
// must stop the storage with CorruptStorageError and never come back as a shorter, valid log.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { CORRUPTION_REMEDY, CorruptStorageError } from '../../src/storage/errors.js';
import { LevelRaftStorage } from '../../src/storage/level-raft-storage.js';
import { encodeEntry, entryKey } from '../../src/storage/record-codec.js';
import type { Entry } from '../../src/raft/core/types.js';
import {
  batch,
  entries,
  entry,
  hs,
  removeTempDirs,
  snapshot,
  tempDir,
} from './helpers.js';


/** Opens, saves entries 1..count one synced write each, and closes cleanly. */
async function filled(
  count = 20,
  make: (i: number) => Entry = (i) => entry(i, 1, 64),
): Promise<string> {
  const dir = await tempDir();
  const s = await LevelRaftStorage.open({ dir });
  for (let i = 1; i <= count; i++) {
    await s.save(batch([make(i)], hs(1, i - 1)), true);
  }
  await s.close();
  return dir;
}

/** Opens and closes again, so LevelDB moves its write-ahead log into a table (.ldb) file. */
async function settle(dir: string): Promise<void> {
  await (await LevelRaftStorage.open({ dir })).close();
}

async function levelFile(dir: string, pattern: RegExp): Promise<string> {
  const name = (await fs.readdir(path.join(dir, 'log'))).find((n) => pattern.test(n));
  assert.ok(name, `a file matching ${pattern} in ${dir}/log`);
  return path.join(dir, 'log', name);
}

async function flipByte(file: string, at: (size: number) => number): Promise<void> {
  const bytes = await fs.readFile(file);
  bytes[at(bytes.length)]! ^= 0x20;
  await fs.writeFile(file, bytes);
}

/** A crash leaves no clean-close mark; removing it makes the damage the only clue. */
async function forgetCleanClose(dir: string): Promise<void> {
  await fs.rm(path.join(dir, 'clean-close'));
}

async function openFails(dir: string): Promise<CorruptStorageError> {
  const err = await LevelRaftStorage.open({ dir }).then(
    async (s) => {
      await s.close();
      return null;
    },
    (e: unknown) => e,
  );
  assert.ok(err instanceof CorruptStorageError, `expected CorruptStorageError, got ${String(err)}`);
  assert.equal(err.code, 'storage_corrupt');
  assert.ok(err.message.includes(dir), 'the message names the directory');
  assert.ok(err.message.includes(CORRUPTION_REMEDY), 'the message names the way out');
  return err;
}

/** Writes straight into the LevelDB database, as damage that keeps LevelDB itself happy. */
async function editLevel(
  dir: string,
  edit: (db: ClassicLevel<Uint8Array, Uint8Array>) => Promise<unknown>,
): Promise<void> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path.join(dir, 'log'), {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  await db.open();
  await edit(db);
  await db.close();
}

describe('LevelRaftStorage corruption', () => {
  after(removeTempDirs);

  describe('in the LevelDB write-ahead log (.log)', () => {
    it('stops when a flipped byte made LevelDB drop writes, even with no clean-close mark', async () => {
      const dir = await filled();
      await forgetCleanClose(dir);
      await flipByte(await levelFile(dir, /\.log$/), (size) => Math.floor(size / 2));
      const err = await openFails(dir);
      assert.match(err.message, /dropping \d+ bytes/);
      assert.match(err.file ?? '', /^log\/\d+\.log$/);
    });

    it('stops when the last write in the file is the one damaged', async () => {
      const dir = await filled();
      await forgetCleanClose(dir);
      await flipByte(await levelFile(dir, /\.log$/), (size) => size - 20);
      assert.match((await openFails(dir)).message, /checksum mismatch/);
    });

    it('keeps refusing after the first refusal, though LevelDB has repaired the evidence', async () => {
      const dir = await filled();
      await forgetCleanClose(dir);
      await flipByte(await levelFile(dir, /\.log$/), (size) => Math.floor(size / 2));
      await openFails(dir);
      await openFails(dir);
      const err = await openFails(dir);
      assert.equal(err.file, 'CORRUPT');
      assert.match(err.message, /dropping \d+ bytes/);
    });

    it('stops when the file was cut short after a clean close', async () => {
      const dir = await filled();
      const file = await levelFile(dir, /\.log$/);
      await fs.truncate(file, (await fs.stat(file)).size - 30);
      const err = await openFails(dir);
      assert.match(err.message, /lost writes made before the last clean close/);
      assert.equal(err.file, 'clean-close');
    });

    it('takes a cut inside the last write after a crash for a torn, unacknowledged write', async () => {
      // LevelDB cannot tell this from a crash in the middle of a write, and neither can we.
      const dir = await filled();
      await forgetCleanClose(dir);
      const file = await levelFile(dir, /\.log$/);
      await fs.truncate(file, (await fs.stat(file)).size - 30);
      const s = await LevelRaftStorage.open({ dir });
      const loaded = await s.load();
      assert.deepEqual(loaded.entries, entries(1, 19, 1, 64));
      assert.deepEqual(loaded.hardState, hs(1, 18));
      await s.close();
    });
  });

  describe('in LevelDB tables (.ldb) and bookkeeping', () => {
    it('names the entry whose stored bytes changed in an uncompressed table block', async () => {
      const random = (index: number): Entry => {
        return { kind: 'normal', term: 1, index, data: randomBytes(200) };
      };
      const made: Entry[] = [];
      const dir = await filled(20, (i) => made[made.push(random(i)) - 1]!);
      await settle(dir);
      const table = await levelFile(dir, /\.ldb$/);
      const bytes = await fs.readFile(table);
      const at = bytes.indexOf(Buffer.from((made[6] as { data: Uint8Array }).data));
      assert.ok(at > 0, 'entry 7 is stored uncompressed');
      await flipByte(table, () => at + 100);
      const err = await openFails(dir);
      assert.equal(err.index, 7);
      assert.match(err.message, /checksum mismatch/);
    });

    // A sweep rather than one position: some bytes of a table are dead (superseded versions of
    // the state record, block trailers LevelDB does not verify on read, footer padding), and
    // damage there is harmless. Damage anywhere else must stop the storage.
    for (const kind of ['.ldb', '.log'] as const) {
      it(`either stops or loads the exact log, whichever byte of a ${kind} file flips`, async () => {
        const dir = await filled(120, (i) => entry(i, 1 + Math.floor(i / 50), 40));
        if (kind === '.ldb') await settle(dir);
        await forgetCleanClose(dir);
        const pristine = await tempDir();
        await fs.cp(dir, pristine, { recursive: true });
        const s = await LevelRaftStorage.open({ dir: pristine });
        const original = await s.load();
        await s.close();
        const pattern = kind === '.ldb' ? /\.ldb$/ : /\.log$/;
        const file = path.relative(dir, await levelFile(dir, pattern));
        const size = (await fs.stat(path.join(dir, file))).size;
        let stopped = 0;
        for (let at = 7; at < size; at += Math.ceil(size / 12)) {
          const copy = await tempDir();
          await fs.cp(dir, copy, { recursive: true });
          await flipByte(path.join(copy, file), () => at);
          const outcome = await LevelRaftStorage.open({ dir: copy }).then(
            async (t) => {
              const loaded = await t.load();
              await t.close();
              return loaded;
            },
            (err: unknown) => err,
          );
          if (outcome instanceof CorruptStorageError) stopped++;
          else assert.deepEqual(outcome, original, `flipped byte ${at} of ${file}: ${outcome}`);
        }
        assert.ok(stopped > 0, 'some damage was found');
      });
    }

    it('stops when the MANIFEST is damaged', async () => {
      const dir = await filled();
      await flipByte(await levelFile(dir, /^MANIFEST-/), () => 20);
      assert.match((await openFails(dir)).message, /LevelDB cannot open/);
    });

    it('stops instead of starting an empty log when CURRENT is missing', async () => {
      const dir = await filled();
      await fs.rm(path.join(dir, 'log', 'CURRENT'));
      assert.equal((await openFails(dir)).file, 'log/CURRENT');
    });

    it('stops when the log database is gone but a snapshot remains', async () => {
      const dir = await tempDir();
      const s = await LevelRaftStorage.open({ dir });
      await s.save(batch(entries(1, 5, 1), hs(1)), true);
      await s.compact(snapshot(3, 1));
      await s.close();
      await fs.rm(path.join(dir, 'log'), { recursive: true });
      await fs.rm(path.join(dir, 'clean-close'));
      assert.equal((await openFails(dir)).file, 'log');
    });
  });

  describe('in records that LevelDB reads back intact', () => {
    it('names a missing entry in the middle of the log', async () => {
      const dir = await filled(10);
      await editLevel(dir, (db) => db.del(entryKey(5)));
      const err = await openFails(dir);
      assert.equal(err.index, 5);
      assert.match(err.message, /entry 5 is missing/);
    });

    it('names missing entries at the end of the log', async () => {
      const dir = await filled(10);
      await editLevel(dir, async (db) => {
        await db.del(entryKey(9));
        await db.del(entryKey(10));
      });
      assert.match((await openFails(dir)).message, /entries 9\.\.10 are missing/);
    });

    it('stops on an entry stored under another index or beyond the last index', async () => {
      const dir = await filled(10);
      await editLevel(dir, (db) => db.put(entryKey(11), encodeEntry(entry(11, 1))));
      assert.match((await openFails(dir)).message, /beyond the last index 10/);
    });

    it('stops on a damaged state record', async () => {
      const dir = await filled(10);
      await editLevel(dir, async (db) => {
        const value = (await db.get(Uint8Array.of(1)))!;
        value[value.length - 1]! ^= 1;
        await db.put(Uint8Array.of(1), value);
      });
      assert.match((await openFails(dir)).message, /state record: checksum mismatch/);
    });

    it('stops on a damaged clean-close mark', async () => {
      const dir = await filled(3);
      await flipByte(path.join(dir, 'clean-close'), (size) => size - 1);
      assert.equal((await openFails(dir)).file, 'clean-close');
    });
  });

  describe('in snapshot files', () => {
    async function withSnapshot(): Promise<string> {
      const dir = await tempDir();
      const s = await LevelRaftStorage.open({ dir, snapshotChunkSize: 64 });
      await s.save(batch(entries(1, 5, 1), hs(1)), true);
      await s.compact(snapshot(4, 1, 300));
      await s.close();
      return dir;
    }

    async function snapshotFile(dir: string): Promise<string> {
      const [name] = await fs.readdir(path.join(dir, 'snapshots'));
      return path.join(dir, 'snapshots', name!);
    }

    it('names the snapshot file and chunk when a chunk fails its checksum', async () => {
      const dir = await withSnapshot();
      const file = await snapshotFile(dir);
      await flipByte(file, (size) => size - 10);
      const err = await openFails(dir);
      assert.equal(err.file, `snapshots/${path.basename(file)}`);
      assert.equal(err.index, 4);
      assert.match(err.message, /snapshot chunk 4 fails its checksum/);
    });

    it('stops when the snapshot file was cut short or removed', async () => {
      let dir = await withSnapshot();
      await fs.truncate(await snapshotFile(dir), 200);
      assert.match((await openFails(dir)).message, /header promises/);
      dir = await withSnapshot();
      await fs.rm(await snapshotFile(dir));
      assert.match((await openFails(dir)).message, /snapshot file is missing/);
    });

    it('stops when the snapshot header is damaged', async () => {
      const dir = await withSnapshot();
      await flipByte(await snapshotFile(dir), () => 30);
      assert.match((await openFails(dir)).message, /snapshot header: checksum mismatch/);
    });
  });
});
