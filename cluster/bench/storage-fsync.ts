/**
 * Benchmark of durable raft storage: synced saves per second into `LevelRaftStorage`, for one
 * saver writing batches of 1 and of 64 entries of 200 bytes, and for 16 concurrent savers writing
 * 1 entry each, where group commit merges the saves that queue behind a write in flight into one
 * synced LevelDB batch. Prints figures only; speed is not asserted.
 *
 * Run: `node --import tsx cluster/bench/storage-fsync.ts`. Options through the environment:
 * RUN_MS (default 2000) per scenario, DIR (default a new temp directory, removed afterwards;
 * point it at the disk you mean to measure).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Entry } from '../../src/raft/core/types.js';
import { LevelRaftStorage } from '../../src/storage/level-raft-storage.js';

const RUN_MS = Number(process.env['RUN_MS'] ?? 2000);
const ENTRY_BYTES = 200;

interface Result {
  scenario: string;
  saves: number;
  entries: number;
  writes: number;
  seconds: number;
}

/** Runs `savers` concurrent loops of synced saves of `batch` entries each for RUN_MS. */
async function run(root: string, scenario: string, savers: number, batch: number): Promise<Result> {
  const dir = path.join(root, scenario.replace(/\W+/g, '-'));
  const storage = await LevelRaftStorage.open({ dir });
  const payload = randomBytes(ENTRY_BYTES);
  let next = 1;
  let saves = 0;
  const started = performance.now();
  const deadline = started + RUN_MS;

  const saver = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const entries: Entry[] = [];
      for (let k = 0; k < batch; k++) {
        entries.push({ kind: 'normal', term: 1, index: next++, data: payload });
      }
      const hardState = { term: 1, vote: 'node1', commit: next - 1 };
      await storage.save({ hardState, entries, snapshot: null }, true);
      saves++;
    }
  };
  await Promise.all(Array.from({ length: savers }, saver));
  const seconds = (performance.now() - started) / 1000;
  const { groups } = storage.stats;
  await storage.close();
  return { scenario, saves, entries: saves * batch, writes: groups, seconds };
}

async function main(): Promise<void> {
  const root = process.env['DIR'] ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'coffer-bench-')));
  try {
    const results = [
      await run(root, '1 saver, 1 entry', 1, 1),
      await run(root, '1 saver, 64 entries', 1, 64),
      await run(root, '16 savers, 1 entry', 16, 1),
    ];
    console.log(`synced saves of ${ENTRY_BYTES}-byte entries, ${RUN_MS} ms each, in ${root}`);
    console.table(
      results.map((r) => ({
        scenario: r.scenario,
        'saves/s': Math.round(r.saves / r.seconds),
        'entries/s': Math.round(r.entries / r.seconds),
        'synced writes/s': Math.round(r.writes / r.seconds),
        'saves per write': (r.saves / r.writes).toFixed(1),
      })),
    );
  } finally {
    if (process.env['DIR'] === undefined) await fs.rm(root, { recursive: true, force: true });
  }
}

await main();
