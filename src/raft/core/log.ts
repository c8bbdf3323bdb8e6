/**
 * The in-memory Raft log of one node: the entries after the last compaction point, which of
 * them are committed, applied and on stable storage, and the membership each config entry set.
 *
 * The core keeps the whole uncompacted log in memory (the application compacts it behind its
 * snapshots), so every read here is synchronous and the core stays free of I/O.
 */
import { invariant } from '../../util/assert.js';
import type { ConfState, Entry, Snapshot } from './types.js';

/** Bytes an entry takes in size budgets: its payload plus a fixed allowance for the header. */
export function entrySize(entry: Entry): number {
  return entry.kind === 'normal' ? entry.data.length + 24 : 64;
}

const EMPTY_CONFIG: ConfState = { voters: [], learners: [] };

export class RaftLog {
  /**
   * The index just before the first entry in memory; entries up to it are compacted.
   * Invariant: offset <= committed.
   */
  private offset: number;
  /** The term of the entry at `offset` (0 for an empty log). */
  private offsetTerm: number;
  /** Entries offset+1 ... lastIndex(), in order. */
  private entries: Entry[];
  /** The membership as of `offset`. */
  private baseConfig: ConfState;
  /** Config entries in `entries`, in index order. */
  private configs: { index: number; config: ConfState }[] = [];

  /** Highest index known to be committed. Invariant: committed <= lastIndex(). */
  committed: number;
  /** Highest index handed to the application to apply. Invariant: applied <= committed. */
  applied: number;
  /** Highest index the driver has persisted. Invariant: stabled <= lastIndex(). */
  stabled: number;
  /** The newest snapshot: the one to send a follower that needs compacted entries. */
  snapshot: Snapshot | null;
  /** A snapshot received from the leader that the driver has not persisted yet. */
  pendingSnapshot: Snapshot | null = null;
  /** Bumped whenever the membership in the log may have changed. */
  configVersion = 0;

  constructor(snapshot: Snapshot | null, entries: Entry[], committed: number, applied: number | null) {
    this.snapshot = snapshot;
    this.offset = snapshot?.meta.index ?? 0;
    this.offsetTerm = snapshot?.meta.term ?? 0;
    this.baseConfig = snapshot?.meta.config ?? EMPTY_CONFIG;
    this.entries = [];
    for (const [i, entry] of entries.entries()) {
      invariant(entry.index === this.offset + 1 + i, 'persisted log is not contiguous', {
        expected: this.offset + 1 + i,
        found: entry.index,
      });
    }
    this.pushEntries(entries);
    // An applied index (from a durable state machine) may run ahead of a commit index that was
    // written without fsync; whatever was applied was committed.
    this.committed = Math.max(committed, this.offset, applied ?? 0);
    invariant(this.committed <= this.lastIndex(), 'persisted commit index is beyond the log', {
      commit: committed,
      lastIndex: this.lastIndex(),
    });
    this.applied = Math.max(applied ?? this.offset, this.offset);
    invariant(this.applied <= this.committed, 'applied index is beyond the commit index', {
      applied: this.applied,
      commit: this.committed,
    });
    this.stabled = this.lastIndex();
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** The term of the entry at `index`, or undefined if it is compacted away or not there yet. */
  term(index: number): number | undefined {
    if (index === this.offset) return this.offsetTerm;
    if (index < this.offset || index > this.lastIndex()) return undefined;
    return this.entries[index - this.offset - 1]!.term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  entryAt(index: number): Entry {
    invariant(index > this.offset && index <= this.lastIndex(), 'entry out of range', { index });
    return this.entries[index - this.offset - 1]!;
  }

  /**
   * Whether a candidate's log, ending at (lastIndex, lastTerm), is at least as up-to-date as
   * ours (Raft §5.4.1): a later last term wins, and with equal terms the longer log wins.
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Entries [lo, hi) capped at `maxBytes` and `maxCount`, but always at least one if any. */
  slice(lo: number, hi: number, maxBytes: number, maxCount: number): Entry[] {
    invariant(lo > this.offset && hi <= this.lastIndex() + 1, 'slice out of range', { lo, hi });
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi && out.length < maxCount; i++) {
      const entry = this.entries[i - this.offset - 1]!;
      bytes += entrySize(entry);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(entry);
    }
    return out;
  }

  /** Appends entries that follow the last one directly; the leader's path. */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    invariant(entries[0]!.index === this.lastIndex() + 1, 'append is not contiguous', {
      lastIndex: this.lastIndex(),
      first: entries[0]!.index,
    });
    this.pushEntries(entries);
  }

  /**
   * The follower's side of AppendEntries (Raft §5.3): if our log holds an entry at `prevIndex`
   * with `prevTerm`, drop any entry that conflicts with `entries`, append the ones we lack and
   * return the index of the last entry the leader sent. Returns null when the check fails.
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: Entry[]): number | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNew = prevIndex + entries.length;

    // Skip what we already hold; an entry we hold with another term, and all after it, goes.
    let start = 0;
    while (start < entries.length) {
      const entry = entries[start]!;
      if (entry.index <= this.offset) {
        start++;
        continue;
      }
      if (!this.matchTerm(entry.index, entry.term)) break;
      start++;
    }
    if (start < entries.length) {
      const conflict = entries[start]!.index;
      invariant(conflict > this.committed, 'leader asked to overwrite a committed entry', {
        conflict,
        committed: this.committed,
      });
      this.truncateAfter(conflict - 1);
      this.pushEntries(entries.slice(start));
    }
    return lastNew;
  }

  /**
   * Where a rejected append should resume (the "fast backtracking" of Raft §5.3): the largest
   * index at or below `index` whose term is at or below `term`, with that term.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (;;) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
      i--;
    }
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    invariant(index <= this.lastIndex(), 'commit index beyond the log', {
      commit: index,
      lastIndex: this.lastIndex(),
    });
    this.committed = index;
  }

  /** Entries committed but not yet handed out for applying, capped at `maxBytes`. */
  nextCommitted(maxBytes: number): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    if (lo > this.committed) return [];
    return this.slice(lo, this.committed + 1, maxBytes, Number.MAX_SAFE_INTEGER);
  }

  /** Entries the driver has not persisted yet. */
  unstable(): Entry[] {
    if (this.stabled >= this.lastIndex()) return [];
    return this.entries.slice(this.stabled - this.offset);
  }

  /**
   * Replaces the log with a snapshot's (Raft §7): used on a follower when the snapshot holds
   * entries its log lacks or contradicts. The driver persists and restores it from the next Ready.
   */
  restore(snapshot: Snapshot): void {
    this.offset = snapshot.meta.index;
    this.offsetTerm = snapshot.meta.term;
    this.baseConfig = snapshot.meta.config;
    this.entries = [];
    this.configs = [];
    this.committed = snapshot.meta.index;
    this.stabled = snapshot.meta.index;
    this.snapshot = snapshot;
    this.pendingSnapshot = snapshot;
    this.configVersion++;
  }

  /**
   * Records the application's snapshot at `index` and drops entries up to `index - keep`.
   * Returns the snapshot with its meta filled in.
   */
  compact(index: number, data: Uint8Array, keep: number): Snapshot {
    const term = this.term(index);
    invariant(term !== undefined, 'snapshot index is not in the log', { index });
    const snapshot: Snapshot = { meta: { index, term, config: this.configAt(index) }, data };
    this.snapshot = snapshot;

    const cut = Math.min(index - keep, this.applied, this.stabled);
    if (cut > this.offset) {
      const cutTerm = this.term(cut)!;
      this.baseConfig = this.configAt(cut);
      this.configs = this.configs.filter((c) => c.index > cut);
      this.entries = this.entries.slice(cut - this.offset);
      this.offset = cut;
      this.offsetTerm = cutTerm;
    }
    return snapshot;
  }

  /** The membership as of `index` (at or after the compaction point). */
  configAt(index: number): ConfState {
    let config = this.baseConfig;
    for (const c of this.configs) {
      if (c.index > index) break;
      config = c.config;
    }
    return config;
  }

  /** The membership in force: the newest in the log, committed or not. */
  config(): ConfState {
    return this.configs.length > 0 ? this.configs[this.configs.length - 1]!.config : this.baseConfig;
  }

  /** The index of the newest config entry, or 0 if the log holds none past the compaction point. */
  lastConfigIndex(): number {
    return this.configs.length > 0 ? this.configs[this.configs.length - 1]!.index : 0;
  }

  private truncateAfter(index: number): void {
    this.entries.length = index - this.offset;
    if (this.stabled > index) this.stabled = index;
    const before = this.configs.length;
    while (this.configs.length > 0 && this.configs[this.configs.length - 1]!.index > index) {
      this.configs.pop();
    }
    if (this.configs.length !== before) this.configVersion++;
  }

  private pushEntries(entries: Entry[]): void {
    for (const entry of entries) {
      this.entries.push(entry);
      if (entry.kind === 'config') {
        this.configs.push({ index: entry.index, config: entry.config });
        this.configVersion++;
      }
    }
  }
}
