/**
 * The in-memory twin of `LevelRaftStorage`, for tests of everything above storage. It plans calls
 * with the same functions, stores the same checksummed records and verifies them with the same
 * verifier, so both behave alike down to their errors. Its "disk" is a {@link MemoryRaftDisk}
 * that outlives the storage, so a test can close and reopen a node, or damage a record.
 */
import type { PersistedState, Snapshot, SnapshotMeta } from '../raft/core/types.js';
import { StorageClosedError } from './errors.js';
import { emptyView, planCompact, planSave } from './log-plan.js';
import type { LogView, WritePlan } from './log-plan.js';
import { LogVerifier } from './log-verifier.js';
import { DEFAULT_SNAPSHOT_CHUNK_SIZE, INITIAL_HARD_STATE } from './raft-storage.js';
import type { RaftStorage, SaveBatch, SnapshotReader } from './raft-storage.js';
import { decodeState, encodeEntry, encodeState, entryKey, STATE_KEY } from './record-codec.js';

/** What a {@link MemoryRaftStorage} keeps: encoded records, as they would be on disk. */
export class MemoryRaftDisk {
  /** The encoded state record, or null if nothing was ever saved. */
  state: Uint8Array | null = null;
  /** Encoded entries by index. */
  readonly entries = new Map<number, Uint8Array>();
  /** Snapshots by file name; the state record names the current one. */
  readonly snapshots = new Map<string, Snapshot>();
}

export interface MemoryRaftStorageOptions {
  /** The disk to use; a fresh one if omitted. Pass the same disk again to "reopen". */
  disk?: MemoryRaftDisk;
  /** Size of the chunks {@link SnapshotReader} hands out; defaults to 1 MiB. */
  snapshotChunkSize?: number;
}

const NAME = 'memory';

/** In-memory raft storage; see {@link RaftStorage} for the contract. */
export class MemoryRaftStorage implements RaftStorage {
  readonly disk: MemoryRaftDisk;
  private readonly chunkSize: number;
  private view: LogView;
  private closed = false;

  private constructor(disk: MemoryRaftDisk, chunkSize: number, view: LogView) {
    this.disk = disk;
    this.chunkSize = chunkSize;
    this.view = view;
  }

  /**
   * Opens the storage on `options.disk` (or a fresh disk), verifying it as `load()` does.
   * @throws CorruptStorageError if a record on the disk fails verification.
   */
  static async open(options: MemoryRaftStorageOptions = {}): Promise<MemoryRaftStorage> {
    const disk = options.disk ?? new MemoryRaftDisk();
    const storage = new MemoryRaftStorage(
      disk,
      options.snapshotChunkSize ?? DEFAULT_SNAPSHOT_CHUNK_SIZE,
      emptyView(INITIAL_HARD_STATE),
    );
    const persisted = await storage.load();
    const state = disk.state === null ? null : decodeState(STATE_KEY, disk.state);
    storage.view = {
      state: state ?? emptyView(INITIAL_HARD_STATE).state,
      terms: persisted.entries.map((e) => e.term),
    };
    return storage;
  }

  async load(): Promise<PersistedState> {
    this.checkOpen();
    const verifier = new LogVerifier(NAME);
    const { disk } = this;
    if (disk.state !== null) verifier.add(STATE_KEY, disk.state);
    const indexes = [...disk.entries.keys()].sort((a, b) => a - b);
    for (const i of indexes) verifier.add(entryKey(i), disk.entries.get(i)!);
    const { state, entries } = verifier.finish();
    if (state === null) return { hardState: { ...INITIAL_HARD_STATE }, snapshot: null, entries };

    let snapshot: Snapshot | null = null;
    if (state.snapshotFile !== null) {
      const stored = disk.snapshots.get(state.snapshotFile);
      if (stored === undefined) {
        throw verifier.corrupt('snapshot is missing', state.snapshotIndex, state.snapshotFile);
      }
      snapshot = copySnapshot(stored);
    }
    return { hardState: { ...state.hardState }, snapshot, entries };
  }

  save(batch: SaveBatch, sync: boolean): Promise<void> {
    return this.apply(() => planSave(this.view, batch, sync));
  }

  compact(snapshot: Snapshot): Promise<void> {
    return this.apply(() => planCompact(this.view, snapshot));
  }

  async openSnapshot(): Promise<SnapshotReader | null> {
    this.checkOpen();
    const name = this.view.state.snapshotFile;
    const stored = name === null ? undefined : this.disk.snapshots.get(name);
    if (stored === undefined) return null;
    return new MemorySnapshotReader(copySnapshot(stored), this.chunkSize);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Plans synchronously (so calls are ordered and validated as made), then writes at once. */
  private apply(plan: () => WritePlan | null): Promise<void> {
    try {
      this.checkOpen();
      const planned = plan();
      if (planned !== null) this.write(planned);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private write(plan: WritePlan): void {
    const { disk } = this;
    if (plan.snapshot !== null) {
      disk.snapshots.set(plan.state.snapshotFile!, copySnapshot(plan.snapshot));
    }
    for (const [from, to] of plan.deletes) {
      for (let i = from; i <= to; i++) disk.entries.delete(i);
    }
    for (const e of plan.puts) disk.entries.set(e.index, encodeEntry(e));
    disk.state = encodeState(plan.state);
    if (plan.obsoleteSnapshot !== null) disk.snapshots.delete(plan.obsoleteSnapshot);
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageClosedError(NAME);
  }
}

/** Chunks of an in-memory snapshot, cut as the file-backed reader cuts them. */
class MemorySnapshotReader implements SnapshotReader {
  readonly meta: SnapshotMeta;
  readonly size: number;
  readonly chunkCount: number;

  constructor(
    private readonly snapshot: Snapshot,
    private readonly chunkSize: number,
  ) {
    this.meta = snapshot.meta;
    this.size = snapshot.data.length;
    this.chunkCount = Math.max(1, Math.ceil(this.size / chunkSize));
  }

  async readChunk(i: number): Promise<Uint8Array> {
    if (!Number.isInteger(i) || i < 0 || i >= this.chunkCount) {
      throw new RangeError(`snapshot chunk ${i} is out of range 0..${this.chunkCount - 1}`);
    }
    return this.snapshot.data.slice(i * this.chunkSize, (i + 1) * this.chunkSize);
  }

  async readAll(): Promise<Uint8Array> {
    return this.snapshot.data.slice();
  }

  async close(): Promise<void> {}
}

function copySnapshot(snapshot: Snapshot): Snapshot {
  const { index, term, config } = snapshot.meta;
  return {
    meta: { index, term, config: { voters: [...config.voters], learners: [...config.learners] } },
    data: new Uint8Array(snapshot.data),
  };
}
