/**
 * The durable home of one node's Raft state: hard state, log entries and the newest snapshot.
 * The driver persists each `Ready` through {@link RaftStorage.save} and hands in the snapshots it
 * makes through {@link RaftStorage.compact}. Two implementations share this contract and one
 * conformance suite: `LevelRaftStorage` (classic-level plus snapshot files) and
 * `MemoryRaftStorage` (tests).
 */
import type {
  Entry,
  HardState,
  PersistedState,
  Snapshot,
  SnapshotMeta,
} from '../raft/core/types.js';

/** One `Ready`'s worth of durable state, written atomically by {@link RaftStorage.save}. */
export interface SaveBatch {
  /** The new hard state, or null to keep the stored one. */
  hardState: HardState | null;
  /** Entries to store, contiguous and in index order; may be empty. */
  entries: Entry[];
  /** A snapshot received from the leader, or null. */
  snapshot: Snapshot | null;
}

/**
 * Reads the stored snapshot back in verified chunks, e.g. to stream it to a follower. A reader
 * keeps its snapshot readable even if a later compaction replaces it; close it when done.
 */
export interface SnapshotReader {
  readonly meta: SnapshotMeta;
  /** Total length of the snapshot's data in bytes. */
  readonly size: number;
  /** Number of chunks; every chunk but the last holds exactly the storage's chunk size. */
  readonly chunkCount: number;
  /**
   * Returns chunk `i` (0-based) after checking its checksum.
   * @throws CorruptStorageError if the chunk fails its checksum or is cut short.
   * @throws RangeError if `i` is not below `chunkCount`.
   */
  readChunk(i: number): Promise<Uint8Array>;
  /** Returns the whole data, every chunk verified. */
  readAll(): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Durable Raft storage.
 *
 * The log always covers `snapshot.index + 1 .. lastIndex` without gaps (from 1 when there is no
 * snapshot). Calls take effect in the order they are made: `save()` and `compact()` validate and
 * order their batch synchronously, before returning the promise, so a caller may issue the next
 * call without awaiting the previous one. Everything a call wrote is visible to `load()`
 * after its promise resolves, and survives a crash once a synced write holding it resolved.
 *
 * After a write fails, every call rejects with `StorageFailedError`; after `close()` began, with
 * `StorageClosedError`.
 */
export interface RaftStorage {
  /**
   * Reads and verifies everything stored: the hard state (term 0, no vote, commit 0 when none was
   * ever saved), the newest snapshot, and the entries after it. Verifies every record's checksum,
   * that entries run without gaps from `snapshot.meta.index + 1` to the last index saved, and that
   * their terms never decrease. Waits for writes in flight first.
   * @throws CorruptStorageError if any of that fails; the node must stop.
   */
  load(): Promise<PersistedState>;

  /**
   * Persists one batch atomically, in this order:
   * 1. `snapshot`, if set (Raft §7): the log up to `snapshot.meta.index` is dropped. Stored
   *    entries after it are kept only if the stored entry at that index has the snapshot's term;
   *    otherwise the whole log is dropped.
   * 2. `entries`: each replaces the stored entry at its index and every stored entry after it
   *    (Raft §5.3). Entries at or below the snapshot index are covered by it and skipped.
   * 3. `hardState`, if set.
   *
   * Resolves once the batch is written; with `sync` (or a snapshot), only once it is fsynced.
   * Concurrent calls may be merged into one write (group commit); a synced caller is never
   * acknowledged before the write that holds its batch is synced.
   * @throws InvariantError (synchronously validated, returned as a rejection) if the entries are
   *   not contiguous, would leave a gap after the last index, have decreasing terms, or if the
   *   snapshot is not newer than the stored one. Nothing of the batch is written then.
   */
  save(batch: SaveBatch, sync: boolean): Promise<void>;

  /**
   * Stores a snapshot the application made of its own state and deletes every entry up to
   * `snapshot.meta.index`; the previous snapshot is deleted once the new one is durable. Always
   * synced. A snapshot at or below the stored snapshot's index is ignored (a newer one arrived
   * from the leader in the meantime).
   * @throws InvariantError if `snapshot.meta.index` is beyond the last index, or the stored entry
   *   there has a different term.
   */
  compact(snapshot: Snapshot): Promise<void>;

  /** Opens the newest snapshot for chunked reading, or returns null when there is none. */
  openSnapshot(): Promise<SnapshotReader | null>;

  /** Waits for writes in flight, then releases the storage. Later calls reject. Idempotent. */
  close(): Promise<void>;
}

/** The hard state of a node that never saved one. */
export const INITIAL_HARD_STATE: Readonly<HardState> = Object.freeze({
  term: 0,
  vote: null,
  commit: 0,
});

/** The snapshot chunk size used unless an implementation is told otherwise: 1 MiB. */
export const DEFAULT_SNAPSHOT_CHUNK_SIZE = 1 << 20;
