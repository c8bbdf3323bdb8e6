/**
 * The in-memory twin of `LevelStateMachine`, for tests: the same commands, results and snapshot
 * format, held in a `Map`. It reports an applied index like the durable one, but nothing
 * survives the process, so a node restarted on a fresh instance replays its log.
 */
import { assertValidKey, assertValidPrefix, compareKeys, listChildren } from './semantics.js';
import { copyBytes, decodeState, encodeState, planCommand } from './state-machine.js';
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
import type { AppliedCommand, StateMachineSnapshotMeta } from '../raft/node/types.js';

export class MemoryStateMachine implements RestorableStateMachine {
  private readonly data = new Map<string, Uint8Array>();
  private applied = 0;
  private appliedTerm = 0;
  private listener: RestoreListener | null = null;

  async apply(commands: readonly AppliedCommand[]): Promise<WriteResult[]> {
    const results: WriteResult[] = [];
    const events: RestoreEvent[] = [];
    for (const command of commands) {
      if (isRestoreCommand(command.data)) {
        const seal = this.applyRestore(command);
        results.push(seal === null ? MALFORMED_RESTORE : { ok: true });
        if (seal !== null) events.push({ ...position(command), kind: 'command', seal });
        continue;
      }
      const { result, writes } = planCommand(command.data, (key) => this.data.get(key));
      for (const [key, value] of writes) {
        if (value === undefined) this.data.delete(key);
        else this.data.set(key, copyBytes(value));
      }
      results.push(result);
      this.applied = command.index;
      this.appliedTerm = command.term;
    }
    for (const event of events) this.listener?.(event);
    return results;
  }

  async snapshot(): Promise<Uint8Array> {
    return this.encode();
  }

  async restore(data: Uint8Array, meta: StateMachineSnapshotMeta): Promise<void> {
    this.replace(decodeState(data), meta.index, meta.term);
    this.listener?.({ index: meta.index, term: meta.term, kind: 'snapshot', seal: false });
  }

  async capture(): Promise<CapturedState> {
    return { state: this.encode(), index: this.applied, term: this.appliedTerm };
  }

  setRestoreListener(listener: RestoreListener | null): void {
    this.listener = listener;
  }

  appliedIndex(): number {
    return this.applied;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertValidKey(key);
    const value = this.data.get(key);
    return value === undefined ? undefined : copyBytes(value);
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    return listChildren(this.data.keys(), prefix);
  }

  async close(): Promise<void> {}

  /** Applies a restore command; returns its `seal` flag, or null when it was malformed. */
  private applyRestore(command: AppliedCommand): boolean | null {
    const restore = decodeRestore(command.data);
    const kept = new Map(restore?.keep.map((key) => [key, this.data.get(key)]) ?? []);
    const pairs = restore === null ? null : planRestore(restore, kept);
    if (pairs === null) {
      this.applied = command.index;
      this.appliedTerm = command.term;
      return null;
    }
    this.replace(pairs, command.index, command.term);
    return restore!.seal;
  }

  private replace(pairs: readonly [string, Uint8Array][], index: number, term: number): void {
    this.data.clear();
    for (const [key, value] of pairs) this.data.set(key, copyBytes(value));
    this.applied = index;
    this.appliedTerm = term;
  }

  private encode(): Uint8Array {
    const keys = [...this.data.keys()].sort(compareKeys);
    return encodeState(keys.map((k) => [k, this.data.get(k)!] as const));
  }
}

function position(command: AppliedCommand): { index: number; term: number } {
  return { index: command.index, term: command.term };
}
