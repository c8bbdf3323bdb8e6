/**
 * Verification of a stored log, shared by every implementation so they fail alike: records are fed
 * in key order (the state record first, then entries by index) and every one is checked before
 * the log is handed to the node.
 */
import type { Entry } from '../raft/core/types.js';
import { CorruptStorageError } from './errors.js';
import { decodeEntry, decodeState, parseKey, RecordError } from './record-codec.js';
import type { LogState } from './record-codec.js';

/** A verified log: its state record (null for storage never written) and its entries. */
export interface VerifiedLog {
  state: LogState | null;
  entries: Entry[];
}

/**
 * Checks, record by record: every checksum; that each entry sits under the key of its own index;
 * that entries run from the snapshot index + 1 without gaps up to the last index the state record
 * names, and no further; that their terms never decrease. The last check catches damage that
 * leaves whole, valid records behind: a batch LevelDB dropped, an old version resurrected.
 */
export class LogVerifier {
  private state: LogState | null = null;
  private readonly entries: Entry[] = [];
  private next = 0;
  private prevTerm = 0;

  constructor(private readonly dir: string) {}

  /** The index after the last entry verified so far: where damage found next would be. */
  get position(): number {
    return this.next;
  }

  /** Feeds one record; records must come in key order. @throws CorruptStorageError */
  add(key: Uint8Array, value: Uint8Array): void {
    const parsed = parseKey(key);
    if (parsed === null) {
      throw this.corrupt(`unknown record key ${Buffer.from(key).toString('hex')}`);
    }
    if (parsed.kind === 'state') {
      this.state = this.decode(() => decodeState(key, value), 'state record');
      this.next = this.state.snapshotIndex + 1;
      this.prevTerm = this.state.snapshotTerm;
      return;
    }

    const { index } = parsed;
    const state = this.state;
    if (state === null) throw this.corrupt('log entry stored without a state record', index);
    if (index < this.next) {
      throw this.corrupt(`entry at or below the snapshot index ${state.snapshotIndex}`, index);
    }
    if (index > state.lastIndex) {
      throw this.corrupt(`entry beyond the last index ${state.lastIndex}`, index);
    }
    if (index > this.next) this.missing(this.next, index - 1);

    const entry = this.decode(() => decodeEntry(key, value), 'log entry', index);
    if (entry.index !== index) throw this.corrupt(`record holds entry ${entry.index}`, index);
    if (entry.term < this.prevTerm) {
      throw this.corrupt(`term ${entry.term} is below the previous term ${this.prevTerm}`, index);
    }
    this.entries.push(entry);
    this.next = index + 1;
    this.prevTerm = entry.term;
  }

  /** Ends the walk. @throws CorruptStorageError if entries at the end are missing. */
  finish(): VerifiedLog {
    const state = this.state;
    if (state !== null && this.next <= state.lastIndex) this.missing(this.next, state.lastIndex);
    return { state, entries: this.entries };
  }

  /** A {@link CorruptStorageError} for this storage. */
  corrupt(detail: string, index?: number, file?: string): CorruptStorageError {
    return new CorruptStorageError({ dir: this.dir, index, file }, detail);
  }

  private missing(from: number, to: number): never {
    const which = from === to ? `entry ${from} is` : `entries ${from}..${to} are`;
    throw this.corrupt(`${which} missing`, from);
  }

  private decode<T>(fn: () => T, what: string, index?: number): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof RecordError) throw this.corrupt(`${what}: ${err.message}`, index);
      throw err;
    }
  }
}
