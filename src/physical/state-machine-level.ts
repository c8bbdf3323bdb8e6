/**
 * The durable key/value state machine: its own classic-level database in `<dataDir>/state`.
 *
 * Each apply writes the data and the applied index in one LevelDB batch (a restore command,
 * restore-command.ts, in a batch of its own), so after a crash the database holds exactly the
 * commands up to the index it reports, and the node resumes after it
 * (the core's `applied` option). Writes are not fsynced: the Raft log is the durable record, and
 * whatever a crash loses here, index included, is applied again from it.
 *
 * Keys are stored as UTF-16 code units, big-endian (`keyBytes`), behind a one-byte namespace.
 * That is lossless for any JavaScript string (UTF-8 would fold lone surrogates together), and
 * LevelDB's byte order is then exactly the UTF-16 code unit order `list` promises.
 *
 * Point reads (`get`, and the values a batch's conditions need) use LevelDB's synchronous get:
 * they come from the memtable or the block and page caches in a few microseconds, where an
 * asynchronous get costs a thread-pool round trip of about 90 µs of CPU on the project's
 * machine (cluster/bench/raft-cpu.ts, docs/BENCHMARKS.md "Leader CPU per operation").
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { Packr } from 'msgpackr';
import type { AppliedCommand, StateMachineSnapshotMeta } from '../raft/node/types.js';
import { assertValidKey, assertValidPrefix, compareKeys } from './semantics.js';
import {
  copyBytes,
  decodeState,
  encodeStateBytes,
  keyBytes,
  keyFromBytes,
  planCommand,
} from './state-machine.js';
import type { WriteResult } from './state-machine.js';
import {
  decodeRestore,
  isRestoreCommand,
  MALFORMED_RESTORE,
  planRestore,
} from './restore-command.js';
import type {
  CapturedState,
  RestorableStateMachine,
  RestoreEvent,
  RestoreListener,
} from './restore-command.js';

type Db = ClassicLevel<Uint8Array, Uint8Array>;
type LevelOp =
  | { type: 'put'; key: Uint8Array; value: Uint8Array }
  | { type: 'del'; key: Uint8Array };

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** The applied-index record; sorts before every data key. */
const APPLIED_KEY = Uint8Array.of(0x00, 0x61);
const DATA_NS = 0x01;
/** Just past the last data key. */
const DATA_END = Uint8Array.of(DATA_NS + 1);
/** Entries read per step while capturing a snapshot. */
const CAPTURE_BATCH = 1024;

export interface LevelStateMachineOptions {
  /** The node's data directory; the database lives in its `state` subdirectory. */
  dataDir: string;
}

export class LevelStateMachine implements RestorableStateMachine {
  private listener: RestoreListener | null = null;
  /** The batch being written, if any; the applied index moves when it settles. */
  private writing: Promise<void> | null = null;

  private constructor(
    private readonly db: Db,
    private applied: number,
    private appliedTerm: number,
  ) {}

  /** Opens (creating if needed) `<dataDir>/state` and reads the applied index. */
  static async open(options: LevelStateMachineOptions): Promise<LevelStateMachine> {
    const dir = path.join(options.dataDir, 'state');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const db: Db = new ClassicLevel(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    const record = await db.get(APPLIED_KEY);
    const applied = record === undefined ? { index: 0, term: 0 } : decodeApplied(record);
    return new LevelStateMachine(db, applied.index, applied.term);
  }

  /**
   * Applies runs of write commands in one LevelDB batch each; a restore command between them is
   * a batch of its own, so each batch sees the state the one before it left.
   */
  async apply(commands: readonly AppliedCommand[]): Promise<WriteResult[]> {
    const results: WriteResult[] = [];
    const events: RestoreEvent[] = [];
    let run: AppliedCommand[] = [];
    for (const command of commands) {
      if (!isRestoreCommand(command.data)) {
        run.push(command);
        continue;
      }
      results.push(...(await this.applyWrites(run)));
      run = [];
      const seal = await this.applyRestore(command);
      results.push(seal === null ? MALFORMED_RESTORE : { ok: true });
      if (seal !== null) {
        events.push({ index: command.index, term: command.term, kind: 'command', seal });
      }
    }
    results.push(...(await this.applyWrites(run)));
    for (const event of events) this.listener?.(event);
    return results;
  }

  /** Dumps every key from one LevelDB snapshot (an iterator reads a consistent view). */
  async snapshot(): Promise<Uint8Array> {
    return (await this.capture()).state;
  }

  /** Replaces every key, and the applied index, in one atomic batch. */
  async restore(data: Uint8Array, meta: StateMachineSnapshotMeta): Promise<void> {
    await this.replace(decodeState(data), meta.index, meta.term);
    this.listener?.({ index: meta.index, term: meta.term, kind: 'snapshot', seal: false });
  }

  /**
   * Waits for the batch in flight, then takes an explicit LevelDB snapshot and reads the applied
   * index in the same tick: the dump and the index describe the same state.
   */
  async capture(): Promise<CapturedState> {
    for (;;) {
      const pending = this.writing;
      if (pending === null) break;
      await pending.catch(() => undefined);
      // Settled, so the applied index has moved; a newer batch may have started meanwhile.
      if (this.writing === pending) break;
    }
    const snapshot = this.db.snapshot();
    const index = this.applied;
    const term = this.appliedTerm;
    try {
      // Stored keys are the namespace byte and then the key in keyBytes form, which the dump
      // takes as it is. Entries come in batches: one await per entry cost most of the capture.
      const keys: Uint8Array[] = [];
      const values: Uint8Array[] = [];
      const iterator = this.db.iterator({ gte: Uint8Array.of(DATA_NS), lt: DATA_END, snapshot });
      try {
        for (;;) {
          const entries = await iterator.nextv(CAPTURE_BATCH);
          if (entries.length === 0) break;
          for (const [key, value] of entries) {
            keys.push(key.subarray(1));
            values.push(value);
          }
        }
      } finally {
        await iterator.close();
      }
      return { state: encodeStateBytes(keys, values), index, term };
    } finally {
      await snapshot.close();
    }
  }

  setRestoreListener(listener: RestoreListener | null): void {
    this.listener = listener;
  }

  appliedIndex(): number {
    return this.applied;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertValidKey(key);
    const value = this.db.getSync(dataKey(key));
    return value === undefined ? undefined : copyBytes(value);
  }

  /**
   * Walks the keys under `prefix` in order, and jumps over each folder's subtree once it has
   * seen the folder, so a listing costs about one step per child.
   */
  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    const children: string[] = [];
    const iterator = this.db.keys({ gte: dataKey(prefix), lt: DATA_END });
    try {
      for (;;) {
        const raw = await iterator.next();
        if (raw === undefined) break;
        const key = decodeKey(raw);
        if (!key.startsWith(prefix)) break;
        const rest = key.slice(prefix.length);
        const slash = rest.indexOf('/');
        if (slash === -1) {
          if (rest.length > 0) children.push(rest);
          continue;
        }
        children.push(rest.slice(0, slash + 1));
        // '0' is the code unit right after '/': the first key past this folder's subtree.
        iterator.seek(dataKey(`${prefix}${rest.slice(0, slash)}0`));
      }
    } finally {
      await iterator.close();
    }
    return [...new Set(children)].sort(compareKeys);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Write commands, planned against the stored state and written in one batch. */
  private async applyWrites(commands: readonly AppliedCommand[]): Promise<WriteResult[]> {
    if (commands.length === 0) return [];
    // Writes of earlier commands in this call, which later ones' conditions must see.
    const staged = new Map<string, Uint8Array | undefined>();
    const ops: LevelOp[] = [];
    const results: WriteResult[] = [];

    // LevelDB reads synchronously, so a condition reads its key when it is checked; nothing is
    // written before the whole run is planned.
    const read = (key: string): Uint8Array | undefined =>
      staged.has(key) ? staged.get(key) : this.db.getSync(dataKey(key));
    for (const command of commands) {
      const { result, writes } = planCommand(command.data, read);
      for (const [key, value] of writes) {
        staged.set(key, value);
        const stored = dataKey(key);
        if (value === undefined) ops.push({ type: 'del', key: stored });
        else ops.push({ type: 'put', key: stored, value });
      }
      results.push(result);
    }

    const last = commands[commands.length - 1]!;
    await this.commit(ops, last.index, last.term);
    return results;
  }

  /** A restore command; returns its `seal` flag, or null when it was malformed (no change). */
  private async applyRestore(command: AppliedCommand): Promise<boolean | null> {
    const restore = decodeRestore(command.data);
    let pairs: [string, Uint8Array][] | null = null;
    if (restore !== null) {
      const keys = restore.keep.map(dataKey);
      const stored = keys.length === 0 ? [] : await this.db.getMany(keys);
      pairs = planRestore(restore, new Map(restore.keep.map((key, i) => [key, stored[i]])));
    }
    if (pairs === null) {
      await this.commit([], command.index, command.term);
      return null;
    }
    await this.replace(pairs, command.index, command.term);
    return restore!.seal;
  }

  /** Deletes every key and writes `pairs`, with the applied index, in one atomic batch. */
  private async replace(
    pairs: readonly [string, Uint8Array][],
    index: number,
    term: number,
  ): Promise<void> {
    const ops: LevelOp[] = [];
    for await (const key of this.db.keys({ gte: Uint8Array.of(DATA_NS), lt: DATA_END })) {
      ops.push({ type: 'del', key });
    }
    for (const [key, value] of pairs) ops.push({ type: 'put', key: dataKey(key), value });
    await this.commit(ops, index, term);
  }

  /** Writes `ops` and the applied record in one batch; the index moves once it is written. */
  private async commit(ops: LevelOp[], index: number, term: number): Promise<void> {
    // A chained batch: abstract-level's array form copies and re-validates every operation in
    // JavaScript, several times the CPU of this (cluster/bench/raft-cpu.ts).
    const batch = this.db.batch();
    try {
      for (const op of ops) {
        if (op.type === 'put') batch.put(op.key, op.value);
        else batch.del(op.key);
      }
      batch.put(APPLIED_KEY, appliedRecord(index, term));
    } catch (err) {
      await batch.close();
      throw err;
    }
    const written = batch.write().then(() => {
      this.applied = index;
      this.appliedTerm = term;
    });
    this.writing = written;
    try {
      await written;
    } finally {
      if (this.writing === written) this.writing = null;
    }
  }
}

function decodeApplied(record: Uint8Array): { index: number; term: number } {
  const { index, term } = packr.unpack(record) as { index: number; term?: number };
  return { index, term: term ?? 0 };
}

function appliedRecord(index: number, term: number): Uint8Array {
  return packr.pack({ index, term }) as Uint8Array;
}

function dataKey(key: string): Uint8Array {
  const out = keyBytes(key, 1);
  out[0] = DATA_NS;
  return out;
}

function decodeKey(raw: Uint8Array): string {
  return keyFromBytes(raw, 1);
}
