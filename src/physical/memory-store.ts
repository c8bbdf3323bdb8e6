/**
 * An in-memory {@link PhysicalStore}: a single-process twin of the replicated store for tests
 * and for code that does not need durability. It follows the same contract (the shared
 * conformance suite runs against it) and copies bytes on the way in and out.
 */
import {
  assertValidBatch,
  assertValidKey,
  assertValidPrefix,
  listChildren,
  planBatch,
} from './semantics.js';
import type { BatchOp, PhysicalStore } from './types.js';

/** A {@link PhysicalStore} held in a `Map`. Nothing survives the process. */
export class MemoryStore implements PhysicalStore {
  private readonly data = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    assertValidKey(key);
    const value = this.data.get(key);
    return value === undefined ? undefined : copy(value);
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    assertValidKey(key);
    this.data.set(key, copy(value));
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    this.data.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    return listChildren(this.data.keys(), prefix);
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    assertValidBatch(ops);

    // Plan against the current state first; only a batch whose conditions all hold is applied,
    // and it is applied in one synchronous step, so no other call can observe half of it.
    const writes = planBatch(ops, (key) => this.data.get(key));
    for (const [key, value] of writes) {
      if (value === undefined) this.data.delete(key);
      else this.data.set(key, copy(value));
    }
  }

  /**
   * Every stored entry, sorted by key, as copies. For tests and debugging: it is how a test
   * checks that nothing stored holds a plaintext secret.
   */
  entries(): Array<[string, Uint8Array]> {
    return [...this.data.keys()]
      .sort()
      .map((key): [string, Uint8Array] => [key, copy(this.data.get(key) as Uint8Array)]);
  }

  /** The number of stored keys. */
  get size(): number {
    return this.data.size;
  }
}

function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
