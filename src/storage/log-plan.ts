/**
 * The semantics of `save()` and `compact()`, as pure functions shared by every implementation:
 * given the log as it will be once all earlier calls are written (the {@link LogView}), validate a
 * call and turn it into a {@link WritePlan} of deletes, puts and a new state record. Planning
 * happens synchronously when the call is made, so calls are ordered and validated at once even
 * while earlier writes are still in flight.
 */
import type { Entry, HardState, Snapshot } from '../raft/core/types.js';
import { invariant } from '../util/assert.js';
import type { LogState } from './record-codec.js';
import type { SaveBatch } from './raft-storage.js';

/** The projected log: its state record plus the term of every entry, for cheap checks. */
export interface LogView {
  state: LogState;
  /** `terms[k]` is the term of the entry at `state.snapshotIndex + 1 + k`. */
  terms: number[];
}

/**
 * One call turned into storage operations. Apply in this order: store `snapshot` (under
 * `state.snapshotFile`), delete the `deletes` ranges, put `puts`, write `state`. Once that is
 * durable, `obsoleteSnapshot` may be deleted.
 */
export interface WritePlan {
  snapshot: Snapshot | null;
  /** Inclusive ranges of entry indexes to delete. */
  deletes: Array<readonly [number, number]>;
  puts: Entry[];
  state: LogState;
  obsoleteSnapshot: string | null;
  sync: boolean;
  /**
   * The snapshot's file, already written and synced under this temporary name in the snapshot
   * directory: the write only renames it. Absent: the write writes the file itself.
   */
  staged?: string;
}

/** A fresh view: no snapshot, no entries, the initial hard state. */
export function emptyView(hardState: HardState): LogView {
  return {
    state: {
      hardState: { ...hardState },
      snapshotIndex: 0,
      snapshotTerm: 0,
      snapshotFile: null,
      lastIndex: 0,
      seq: 0,
    },
    terms: [],
  };
}

/** The term of the entry at `index`, the snapshot's term at its index, else undefined. */
export function termAt(view: LogView, index: number): number | undefined {
  const { snapshotIndex, snapshotTerm, lastIndex } = view.state;
  if (index === snapshotIndex) return snapshotTerm;
  if (index < snapshotIndex || index > lastIndex) return undefined;
  return view.terms[index - snapshotIndex - 1];
}

/** The name a snapshot file gets; `seq` keeps two snapshots at the same index apart. */
export function snapshotFileName(index: number, seq: number): string {
  const hex = (n: number): string => n.toString(16).padStart(16, '0');
  return `snapshot-${hex(index)}-${hex(seq)}.snap`;
}

/**
 * Validates `batch` against `view` and plans it (see `RaftStorage.save`), updating `view` to the
 * log as it will be after the plan. On a failed check nothing changes.
 * @throws InvariantError when the batch breaks the save contract.
 */
export function planSave(view: LogView, batch: SaveBatch, sync: boolean): WritePlan {
  const old = view.state;
  const seq = old.seq + 1;

  // 1. Validate without touching the view: where the log stands once the snapshot is applied.
  const snap = batch.snapshot?.meta ?? null;
  let baseSnapIndex = old.snapshotIndex;
  let baseSnapTerm = old.snapshotTerm;
  let keepSuffix = true;
  if (snap !== null) {
    invariant(snap.index > old.snapshotIndex, 'saved snapshot is not newer than the stored one', {
      index: snap.index,
      stored: old.snapshotIndex,
    });
    keepSuffix = termAt(view, snap.index) === snap.term;
    baseSnapIndex = snap.index;
    baseSnapTerm = snap.term;
  }
  const baseLast = keepSuffix ? Math.max(old.lastIndex, baseSnapIndex) : baseSnapIndex;
  const entries = checkEntries(batch.entries).filter((e) => e.index > baseSnapIndex);
  if (entries.length > 0) {
    const first = entries[0]!.index;
    invariant(first <= baseLast + 1, 'saved entries leave a gap after the last index', {
      first,
      lastIndex: baseLast,
    });
    const prevTerm = first - 1 === baseSnapIndex ? baseSnapTerm : termAt(view, first - 1);
    const term = entries[0]!.term;
    invariant(prevTerm !== undefined && term >= prevTerm, 'saved entry term decreases', {
      index: first,
      term,
      previous: prevTerm,
    });
  }

  // 2. The snapshot replaces the log up to its index, or all of it when the terms disagree.
  const deletes: Array<readonly [number, number]> = [];
  let obsoleteSnapshot: string | null = null;
  const state: LogState = { ...old, hardState: { ...(batch.hardState ?? old.hardState) }, seq };
  if (snap !== null) {
    pushRange(deletes, old.snapshotIndex + 1, keepSuffix ? snap.index : old.lastIndex);
    view.terms = keepSuffix ? view.terms.slice(snap.index - old.snapshotIndex) : [];
    state.snapshotIndex = snap.index;
    state.snapshotTerm = snap.term;
    state.snapshotFile = snapshotFileName(snap.index, seq);
    state.lastIndex = baseLast;
    obsoleteSnapshot = old.snapshotFile;
  }

  // 3. Entries overwrite from their first index and cut off whatever followed (Raft §5.3).
  if (entries.length > 0) {
    const first = entries[0]!.index;
    const last = first + entries.length - 1;
    pushRange(deletes, last + 1, state.lastIndex);
    view.terms.length = first - state.snapshotIndex - 1;
    for (const e of entries) view.terms.push(e.term);
    state.lastIndex = last;
  }

  // A snapshot is always synced: the one it replaces is deleted once this write is done.
  view.state = state;
  return {
    snapshot: batch.snapshot,
    deletes,
    puts: entries,
    state,
    obsoleteSnapshot,
    sync: sync || snap !== null,
  };
}

/**
 * Plans a compaction to `snapshot` (see `RaftStorage.compact`), updating `view`; returns null when
 * the snapshot is not newer than the stored one.
 * @throws InvariantError when the snapshot is beyond the log or disagrees with its term.
 */
export function planCompact(view: LogView, snapshot: Snapshot): WritePlan | null {
  const old = view.state;
  const { index, term } = snapshot.meta;
  if (index <= old.snapshotIndex) return null;
  invariant(index <= old.lastIndex, 'compaction snapshot is beyond the last index', {
    index,
    lastIndex: old.lastIndex,
  });
  invariant(termAt(view, index) === term, 'compaction snapshot term differs from the log', {
    index,
    term,
    logTerm: termAt(view, index),
  });

  const seq = old.seq + 1;
  const state: LogState = {
    ...old,
    snapshotIndex: index,
    snapshotTerm: term,
    snapshotFile: snapshotFileName(index, seq),
    seq,
  };
  view.terms = view.terms.slice(index - old.snapshotIndex);
  view.state = state;
  return {
    snapshot,
    deletes: [[old.snapshotIndex + 1, index]],
    puts: [],
    state,
    obsoleteSnapshot: old.snapshotFile,
    sync: true,
  };
}

/** Checks the batch is contiguous with non-decreasing terms; returns it for chaining. */
function checkEntries(entries: Entry[]): Entry[] {
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    invariant(Number.isSafeInteger(e.index) && e.index >= 1, 'saved entry has a bad index', {
      index: e.index,
    });
    if (k === 0) continue;
    const prev = entries[k - 1]!;
    invariant(e.index === prev.index + 1, 'saved entries are not contiguous', {
      index: e.index,
      previous: prev.index,
    });
    invariant(e.term >= prev.term, 'saved entry term decreases', {
      index: e.index,
      term: e.term,
      previous: prev.term,
    });
  }
  return entries;
}

function pushRange(ranges: Array<readonly [number, number]>, from: number, to: number): void {
  if (from <= to) ranges.push([from, to]);
}
