/**
 * The in-memory twin of `LevelStateMachine`, for tests: the same commands, results and snapshot
 * format, held in a `Map`. It reports an applied index like the durable one, but nothing
 * survives the process, so a node restarted on a fresh instance replays its log.
 */
import { assertValidKey, assertValidPrefix, listChildren } from './semantics.js';
import { copyBytes, decodeState, encodeState, planCommand } from './state-machine.js';
import type { KvStateMachine, WriteResult } from './state-machine.js';
import type { AppliedCommand, StateMachineSnapshotMeta } from '../raft/node/types.js';

export class MemoryStateMachine implements KvStateMachine {
  private readonly data = new Map<string, Uint8Array>();
  private applied = 0;

  async apply(commands: readonly AppliedCommand[]): Promise<WriteResult[]> {
    const results: WriteResult[] = [];
    for (const command of commands) {
      const { result, writes } = planCommand(command.data, (key) => this.data.get(key));
      for (const [key, value] of writes) {
        if (value === undefined) this.data.delete(key);
        else this.data.set(key, copyBytes(value));
      }
      results.push(result);
      this.applied = command.index;
    }
    return results;
  }

  async snapshot(): Promise<Uint8Array> {
    const keys = [...this.data.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return encodeState(keys.map((k) => [k, this.data.get(k)!] as const));
  }

  async restore(data: Uint8Array, meta: StateMachineSnapshotMeta): Promise<void> {
    const pairs = decodeState(data);
    this.data.clear();
    for (const [key, value] of pairs) this.data.set(key, copyBytes(value));
    this.applied = meta.index;
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
}
