// Durability across a real crash: a writer process kills itself with SIGKILL the moment it has
// acknowledged enough synced saves, with more in flight, and everything it acknowledged must be
// there on reopen. (SIGKILL keeps what reached the kernel; it cannot show a missing fsync, only
// an acknowledgement given before the write.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LevelRaftStorage } from '../../src/storage/level-raft-storage.js';
import { entry, removeTempDirs, snapshot, tempDir } from './helpers.js';

const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));

/** Runs the writer until it kills itself; returns the acknowledgement lines it left. */
async function runUntilKilled(dir: string, ackFile: string, count: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, ackFile, String(count)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the writer did not finish in 15 s'));
    }, 15_000);
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the writer exited with code ${code}, signal ${signal}`));
    });
  });
  return (await fs.readFile(ackFile, 'utf8')).trim().split('\n');
}

describe('LevelRaftStorage crash durability', () => {
  after(removeTempDirs);

  it('has every acknowledged save after the writer is killed with SIGKILL', async () => {
    const work = await tempDir();
    const dir = path.join(work, 'node1');
    const acks = await runUntilKilled(dir, path.join(work, 'acks'), 60);
    assert.ok(acks.includes('compacted'));
    const acked = acks.filter((line) => line !== 'compacted').map(Number);

    const s = await LevelRaftStorage.open({ dir });
    try {
      const { hardState, snapshot: snap, entries } = await s.load();
      assert.deepEqual(snap, snapshot(20, 1));
      const lastIndex = entries.at(-1)!.index;
      assert.equal(entries[0]!.index, 21);
      for (const index of acked) assert.ok(index <= lastIndex, `acknowledged ${index} is stored`);
      entries.forEach((e) => assert.deepEqual(e, entry(e.index, 1, 200)));
      assert.deepEqual(hardState, { term: 1, vote: 'node1', commit: lastIndex });
    } finally {
      await s.close();
    }
  });
});
