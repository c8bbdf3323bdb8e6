// Builders and temp directories shared by the storage tests.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {
  ConfigEntry,
  Entry,
  HardState,
  NormalEntry,
  Snapshot,
} from '../../src/raft/core/types.js';
import type { SaveBatch } from '../../src/storage/raft-storage.js';

/** A save batch; most tests save entries with or without a hard state, a few a snapshot. */
export function batch(
  entries: Entry[],
  hardState: HardState | null = null,
  snapshot: Snapshot | null = null,
): SaveBatch {
  return { hardState, entries, snapshot };
}

/** A hard state in `term`, voted for node1. */
export function hs(term: number, commit = 0): HardState {
  return { term, vote: 'node1', commit };
}

/** A normal entry whose data encodes its index and term, so a mix-up shows. */
export function entry(index: number, term: number, size = 16): NormalEntry {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return { kind: 'normal', term, index, data };
}

/** Entries `from..to` (inclusive), all in `term`. */
export function entries(from: number, to: number, term: number, size = 16): Entry[] {
  const list: Entry[] = [];
  for (let i = from; i <= to; i++) list.push(entry(i, term, size));
  return list;
}

export function configEntry(index: number, term: number, withContext: boolean): ConfigEntry {
  return {
    kind: 'config',
    term,
    index,
    change: withContext
      ? { type: 'add-learner', nodeId: 'node4', context: Uint8Array.of(1, 2, 3) }
      : { type: 'remove', nodeId: 'node3' },
    config: { voters: ['node1', 'node2'], learners: withContext ? ['node4'] : [] },
  };
}

/** A snapshot at `index`/`term` with `size` bytes of data derived from the index. */
export function snapshot(index: number, term: number, size = 40): Snapshot {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index + i * 13) & 0xff;
  const config = { voters: ['node1', 'node2', 'node3'], learners: [] };
  return { meta: { index, term, config }, data };
}

/** Makes a fresh directory under the OS temp dir; `removeTempDirs` deletes them all. */
const made: string[] = [];
export async function tempDir(prefix = 'coffer-storage-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of made.splice(0)) await fs.rm(dir, { recursive: true, force: true });
}

/** Awaits `promise` and returns what it rejected with; fails if it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
